import TidalData
import TidalCore
import Foundation
import TidalModel

/// Writes the training plots of an outcome into a directory.
enum PlotWriter {
    static func write(_ outcome: TrainingOutcome, to directory: String) throws {
        try createDirectory(directory)
        let report = outcome.report
        let h = report.history
        func save(_ name: String, _ svg: String) throws {
            try OutputPaths.write(Array(svg.utf8), to: (directory as NSString).appendingPathComponent(name), flag: "--plots")
        }
        var lossSeries = [LineChart.Series(name: "train loss", values: h.map(\.trainLoss))]
        if h.contains(where: { $0.valLoss != nil }) {
            lossSeries.append(.init(name: "validation loss", values: h.map { $0.valLoss ?? .nan }))
        }
        let classify = h.contains { $0.trainAcc != nil }
        try save(
            "loss.svg",
            LineChart(
                title: "Loss per epoch (\(report.cell))", xLabel: "epoch",
                yLabel: classify ? "cross-entropy" : "loss (scaled units)", series: lossSeries
            ).svg())
        if !classify, h.contains(where: { $0.testMae != nil }) {
            try save(
                "test_mae.svg",
                LineChart(
                    title: "Test MAE per epoch (original units)", xLabel: "epoch", yLabel: "MAE",
                    series: [.init(name: "test MAE", values: h.map { $0.testMae ?? .nan })]
                ).svg())
        }
        if classify {
            var acc = [LineChart.Series(name: "train accuracy", values: h.map { 100 * ($0.trainAcc ?? .nan) })]
            if h.contains(where: { $0.valAcc != nil }) {
                acc.append(.init(name: "validation accuracy", values: h.map { 100 * ($0.valAcc ?? .nan) }))
            }
            if h.contains(where: { $0.testAcc != nil }) {
                acc.append(.init(name: "test accuracy", values: h.map { 100 * ($0.testAcc ?? .nan) }))
            }
            try save(
                "accuracy.svg",
                LineChart(title: "Accuracy per epoch (\(report.cell))", xLabel: "epoch", yLabel: "accuracy %", series: acc).svg())
            if let confusion = report.test?.confusion, let classes = report.test?.classes {
                try save("confusion.svg", confusionSVG(confusion, classes: classes, title: "Test confusion matrix"))
            }
        }
        if let perSeries = report.test?.perSeries {
            // Many series: each one's MASE, sorted, for the model and each baseline (the distributions side by side).
            func sorted(_ entries: [MetricsReport.Scores.SeriesEntry]?) -> [Double] { (entries ?? []).compactMap(\.mase).sorted() }
            var series = [LineChart.Series(name: "\(report.cell)", values: sorted(perSeries))]
            for (name, b) in report.baselines.sorted(by: { $0.key < $1.key }) {
                series.append(.init(name: name.replacingOccurrences(of: "_", with: " "), values: sorted(b.perSeries), faint: true))
            }
            try save(
                "mase.svg",
                LineChart(
                    title: "Per-series test MASE, sorted (\(perSeries.count) series)", xLabel: "series, by rank", yLabel: "MASE",
                    series: series
                ).svg())
        }
        let curves = outcome.forecastCurves
        if let actual = curves["actual"], let model = curves["model"] {
            var series = [
                LineChart.Series(name: "actual", values: actual), LineChart.Series(name: "\(report.cell) one-step", values: model),
            ]
            for name in ["naive", "seasonal naive"] { if let c = curves[name] { series.append(.init(name: name, values: c, faint: true)) } }
            var chart = LineChart(
                title: "Test part: actual vs one-step forecast", xLabel: outcome.testTimes == nil ? "test window" : "time", yLabel: "value",
                series: series)
            chart.xTickLabels = outcome.testTimes
            try save("forecast.svg", chart.svg())
        }
    }

    /// Creates the plots directory (and any missing parents), or says in one line why it cannot.
    static func createDirectory(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CommandError("cannot create the --plots directory \(directory); give a directory you can write to")
        }
    }
}
