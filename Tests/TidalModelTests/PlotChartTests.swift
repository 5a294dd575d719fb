import TidalTestSupport
@testable import TidalModel
import XCTest

/// Every chart kind renders to a well-formed SVG that `rsvg-convert` draws at the declared size
/// (`SVGCheck`), and shows what it is for: legends outside the data, a visible 100 % line, a
/// colour scale and counts on the confusion matrix, bands and named panels on the fan chart.
final class PlotChartTests: XCTestCase {
    func check(_ document: SVGDocument, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> SVGCheck.Summary {
        let summary = try SVGCheck.verify(text: document.finished(), name: name, file: file, line: line)
        XCTAssertEqual(Double(summary.width), document.width, file: file, line: line)
        XCTAssertEqual(Double(summary.height), document.height, file: file, line: line)
        return summary
    }

    func testTheLegendStandsRightOfTheDataArea() throws {
        var chart = LineChart(title: "Loss", xTitle: "epoch", yTitle: "loss")
        chart.lines = [
            .init(name: "a rather long legend name", x: [1, 2, 3], y: [3, 2, 1], color: PlotStyle.color(0)),
            .init(name: "b", x: [1, 2, 3], y: [1, 2, 3], color: PlotStyle.color(1)),
        ]
        let document = chart.svg(plotWidth: 400, plotHeight: 200)
        let summary = try check(document, "legend.svg")
        XCTAssertTrue(summary.texts.contains("a rather long legend name"))
        // The document is wider than axis + data area by the legend's width.
        XCTAssertGreaterThanOrEqual(document.width, 400 + chart.legend.width + 30)
    }

    func testAccuracyShowsTheHundredPercentLineInsideTheFrame() throws {
        let epochs = (1 ... 12).map(Double.init)
        let train = epochs.map { min(100, 60 + 4 * $0) }, test = epochs.map { min(100, 55 + 5 * $0) }
        var chart = LineChart(title: "Accuracy", xTitle: "epoch", yTitle: "accuracy, %")
        chart.yIncludes = [100]
        chart.references = [.init(y: 100, label: "100 %")]
        chart.lines = [
            .init(name: "training", x: epochs, y: train, color: PlotStyle.color(0)),
            .init(name: "test", x: epochs, y: test, color: PlotStyle.color(2)),
        ]
        let summary = try check(chart.svg(), "accuracy.svg")
        XCTAssertTrue(summary.texts.contains("100 %"))
        let frame = PlotFrame(x: 0, y: 0, width: 100, height: 100)
        XCTAssertLessThan(frame.py(1), frame.y + frame.height)
        XCTAssertGreaterThan(frame.py(1), frame.y, "the top of the axis is drawn inside the frame")
    }

    func testCompareAndGradientPlotsUseLogAxesWhenValuesSpanDecades() throws {
        func result(_ losses: [Double], norms: [Double]) -> TrainingResult {
            let history = losses.enumerated().map { k, loss in
                EpochRecord(
                    epoch: k + 1, steps: nil, trainLoss: loss, trainAccuracy: nil, validation: nil, test: nil, gradientNorm: 1,
                    stepGradientNorms: norms)
            }
            return TrainingResult(history: history, bestEpoch: losses.count, seconds: 1)
        }
        let runs = [
            ("rnn", result([0.9, 0.7, 0.69, 0.69], norms: (0 ..< 30).map { 0.5 * pow(0.5, Double($0)) })),
            ("lstm", result([0.9, 0.1, 0.01, 0.002], norms: (0 ..< 30).map { 0.2 * pow(0.9, Double($0)) })),
        ]
        let files = TrainingPlots.compare(runs.map { (cell: $0.0, result: $0.1) })
        XCTAssertEqual(files.map(\.name), ["compare_loss.svg", "compare_gradients.svg"])
        for file in files {
            let summary = try check(file.document, file.name)
            XCTAssertTrue(summary.texts.contains("rnn") && summary.texts.contains("lstm"), file.name)
        }
        let gradientTicks = try check(files[1].document, "g.svg").texts.filter { $0.hasPrefix("10") }
        XCTAssertGreaterThanOrEqual(gradientTicks.count, 3, "powers of ten on the gradient axis")
        let lossTexts = try check(files[0].document, "l.svg").texts
        XCTAssertTrue(lossTexts.contains("0.01") || lossTexts.contains("0.005"), "the loss axis is logarithmic: \(lossTexts)")
    }

    func testTheConfusionMatrixGrowsWithItsClassesAndShowsCountsAndAScale() throws {
        func matrix(_ n: Int) -> [[Int]] { (0 ..< n).map { i in (0 ..< n).map { j in i == j ? 40 + i : (i + j) % 3 } } }
        let two = ConfusionChart(matrix: matrix(2), classes: ["cat", "dog"], title: "Test confusion matrix").svg()
        let tenNames = (0 ..< 10).map { "class \($0)" }
        let ten = ConfusionChart(matrix: matrix(10), classes: tenNames, title: "Test confusion matrix").svg()
        let twoSummary = try check(two, "confusion2.svg"), tenSummary = try check(ten, "confusion10.svg")
        XCTAssertGreaterThan(ten.width, two.width)
        XCTAssertGreaterThan(ten.height, two.height)
        XCTAssertGreaterThanOrEqual(two.width, 300)
        XCTAssertTrue(twoSummary.texts.contains("cat") && twoSummary.texts.contains("dog") && twoSummary.texts.contains("41"))
        XCTAssertTrue(tenSummary.texts.contains("100 %") && tenSummary.texts.contains("0 %"), "the colour scale's ticks")
        XCTAssertTrue(tenNames.allSatisfy(tenSummary.texts.contains))
        XCTAssertGreaterThanOrEqual(tenSummary.counts["rect", default: 0], 100 + 20)
    }

    /// A monthly series with a seasonal pattern: 48 rows of history, 24 scored.
    func panel(_ name: String, phase: Double, bands: Bool) -> ForecastPlot.Panel {
        let rows = 72, start = 48
        let times = (0 ..< rows).map { String(format: "%04d-%02d", 2015 + $0 / 12, $0 % 12 + 1) }
        let actual = (0 ..< rows).map { 100 + Double($0) + 20 * sin(Double($0) / 12 * 2 * .pi + phase) }
        let forecast = actual.indices.map { $0 < start ? Double.nan : actual[$0] + 3 * cos(Double($0)) }
        func band(_ level: Double, _ half: Double) -> ForecastPlot.Band {
            .init(
                level: level, lower: forecast.map { $0.isNaN ? .nan : $0 - half }, upper: forecast.map { $0.isNaN ? .nan : $0 + half })
        }
        let naive = actual.indices.map { $0 < start ? Double.nan : actual[$0 - 1] }
        return .init(
            series: name, role: nil, mase: 0.8 + phase, firstRow: 0, times: times, actual: actual, scoredStart: start, forecast: forecast,
            baselines: [.init(name: "naive", values: naive)], bands: bands ? [band(80, 6), band(95, 10)] : [])
    }

    func testTheFanChartShowsHistoryActualForecastAndBandsWithDateTicks() throws {
        let plot = ForecastPlot(target: "value", part: "test", seriesCount: 1, panels: [panel("", phase: 0, bands: true)])
        let summary = try check(FanChart.svg(plot, model: "lstm"), "forecast.svg")
        for name in ["history", "actual (test)", "lstm forecast", "80 % interval", "95 % interval", "naive"] {
            XCTAssertTrue(summary.texts.contains(name), "legend entry \(name)")
        }
        XCTAssertTrue(summary.texts.contains("2017") || summary.texts.contains("2017-01"), "calendar ticks: \(summary.texts)")
        XCTAssertGreaterThanOrEqual(summary.counts["path", default: 0], 2 + 4, "two bands and four lines")
    }

    func testManySeriesForecastsArePanelsNamedByTheirRole() throws {
        let mases = [1.4, 0.6, 0.9, 2.2, 0.7]
        let picks = ForecastPlot.pick(mases)
        XCTAssertEqual(picks.map(\.index), [1, 2, 3])
        XCTAssertEqual(picks.map(\.role), ["best", "median", "worst"])
        XCTAssertEqual(ForecastPlot.pick([1, 2]).map(\.index), [0, 1])
        var panels = [
            panel("north", phase: 0, bands: false), panel("south", phase: 0.5, bands: false), panel("west", phase: 1, bands: false),
        ]
        for (k, role) in ["best", "median", "worst"].enumerated() { panels[k].role = role }
        let plot = ForecastPlot(target: "visitors", part: "test", seriesCount: 12, panels: panels)
        let document = FanChart.svg(plot, model: "gru")
        let summary = try check(document, "forecast-panels.svg")
        for name in ["north", "south", "west"] {
            XCTAssertTrue(summary.texts.contains { $0.hasPrefix("series \(name)") }, "panel title for \(name): \(summary.texts)")
        }
        XCTAssertTrue(summary.texts.contains { $0.contains("best, median and worst of 12 series") })
        XCTAssertGreaterThan(document.height, 3 * 180)
    }

    func testTheMASEDistributionComparesTheModelWithTheBaselines() throws {
        let model = (0 ..< 40).map { 0.5 + Double($0) / 40 }, naive = (0 ..< 40).map { 0.8 + Double($0) / 30 }
        let summary = try check(
            MASEChart.svg([.init(name: "lstm", mases: model, isModel: true), .init(name: "naive", mases: naive, isModel: false)]),
            "mase.svg")
        XCTAssertTrue(summary.texts.contains { $0.hasPrefix("lstm (median 0.9") }, "\(summary.texts)")
        XCTAssertTrue(summary.texts.contains { $0.hasPrefix("naive (median") })
        XCTAssertTrue(summary.texts.contains("MASE 1"))
    }

    func testALogAxisLeavesAGapAtZero() throws {
        var chart = LineChart(title: "norms", xTitle: "step", yTitle: "norm")
        chart.yKind = .log
        chart.lines = [.init(name: "rnn", x: [0, 1, 2, 3, 4, 5], y: [1, 1e-3, 0, 0, 1e-9, 1e-12], color: PlotStyle.color(0))]
        let summary = try check(chart.svg(), "log-gap.svg")
        // Two runs of the line (before and after the zeros), no point drawn at a made-up floor.
        XCTAssertEqual(summary.counts["path"], 2)
        XCTAssertTrue(summary.texts.contains("10⁻¹²") || summary.texts.contains("10⁻¹⁰"), "\(summary.texts)")
    }

    func testTextIsEscaped() throws {
        var chart = LineChart(title: "a < b & \"c\"", xTitle: nil, yTitle: nil)
        chart.lines = [.init(name: "<x>", x: [0, 1], y: [0, 1], color: PlotStyle.color(0))]
        let summary = try check(chart.svg(), "escape.svg")
        XCTAssertTrue(summary.texts.contains("a < b & \"c\""))
        XCTAssertTrue(summary.texts.contains("<x>"))
    }
}
