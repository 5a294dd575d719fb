import Foundation
import TidalData

/// One plot of a run: its file name and its SVG document.
public struct PlotFile: Sendable {
    /// The file name (`loss.svg`).
    public var name: String
    /// The document (`document.finished()` is the file's text; `width`/`height` its size).
    public var document: SVGDocument

    /// A plot file.
    public init(name: String, document: SVGDocument) {
        self.name = name
        self.document = document
    }
}

/// The plots of a training or evaluation run (`tidal train --plots`, `tidal evaluate --plots`):
/// `loss.svg`, `test_mae.svg` and `forecast.svg` for forecasters, `mase.svg` with many series,
/// `accuracy.svg` and `confusion.svg` for classifiers.
public enum TrainingPlots {
    /// Every plot `outcome` has data for.
    public static func files(_ outcome: TrainingOutcome) -> [PlotFile] {
        let report = outcome.report
        var files: [PlotFile] = []
        if !report.history.isEmpty { files += historyPlots(report) }
        if let confusion = report.test?.confusion, let classes = report.test?.classes {
            files.append(
                .init(
                    name: "confusion.svg",
                    document: ConfusionChart(matrix: confusion, classes: classes, title: "Test confusion matrix").svg()))
        }
        if let perSeries = report.test?.perSeries {
            var methods = [MASEChart.Method(name: report.cell, mases: perSeries.compactMap(\.mase), isModel: true)]
            for (name, b) in report.baselines.sorted(by: { $0.key < $1.key }) {
                methods.append(
                    .init(
                        name: name.replacingOccurrences(of: "_", with: " "), mases: (b.perSeries ?? []).compactMap(\.mase), isModel: false))
            }
            files.append(.init(name: "mase.svg", document: MASEChart.svg(methods)))
        }
        if let plot = outcome.forecastPlot, !plot.panels.isEmpty {
            files.append(.init(name: "forecast.svg", document: FanChart.svg(plot, model: report.cell)))
        }
        return files
    }

    /// Loss, and accuracy or test MAE, per epoch.
    static func historyPlots(_ report: MetricsReport) -> [PlotFile] {
        let h = report.history
        let epochs = h.map { Double($0.epoch) }
        let classify = h.contains { $0.trainAcc != nil }
        var loss = LineChart(
            title: "Loss per epoch (\(report.cell))", xTitle: "epoch", yTitle: classify ? "cross-entropy" : "loss (scaled units)")
        loss.yKind = .automatic
        loss.lines.append(.init(name: "training", x: epochs, y: h.map(\.trainLoss), color: PlotStyle.color(0), dots: h.count <= 30))
        if h.contains(where: { $0.valLoss != nil }) {
            loss.lines.append(
                .init(name: "validation", x: epochs, y: h.map { $0.valLoss ?? .nan }, color: PlotStyle.color(3), dots: h.count <= 30))
        }
        var files = [PlotFile(name: "loss.svg", document: loss.svg())]
        if classify {
            var accuracy = LineChart(title: "Accuracy per epoch (\(report.cell))", xTitle: "epoch", yTitle: "accuracy, %")
            accuracy.yIncludes = [100]
            accuracy.references = [.init(y: 100, label: "100 %")]
            let parts: [(String, KeyPath<MetricsReport.EpochEntry, Double?>, Int)] = [
                ("training", \.trainAcc, 0), ("validation", \.valAcc, 3), ("test", \.testAcc, 2),
            ]
            for (name, path, color) in parts where h.contains(where: { $0[keyPath: path] != nil }) {
                accuracy.lines.append(
                    .init(
                        name: name, x: epochs, y: h.map { 100 * ($0[keyPath: path] ?? .nan) }, color: PlotStyle.color(color),
                        dots: h.count <= 30))
            }
            files.append(.init(name: "accuracy.svg", document: accuracy.svg()))
        } else if h.contains(where: { $0.testMae != nil }) {
            var mae = LineChart(title: "Test MAE per epoch (original units)", xTitle: "epoch", yTitle: "MAE")
            mae.yKind = .automatic
            mae.lines.append(
                .init(name: "test MAE", x: epochs, y: h.map { $0.testMae ?? .nan }, color: PlotStyle.color(2), dots: h.count <= 30))
            files.append(.init(name: "test_mae.svg", document: mae.svg()))
        }
        return files
    }

    /// `tidal compare --plots`: every cell's training loss per epoch (`compare_loss.svg`, a log axis
    /// when the curves span decades) and, for each cell, the gradient norm reaching each time step
    /// in the last epoch (`compare_gradients.svg`, log axis).
    public static func compare(_ runs: [(cell: String, result: TrainingResult)]) -> [PlotFile] {
        var loss = LineChart(title: "Training loss per epoch", xTitle: "epoch", yTitle: "training loss")
        loss.yKind = .automatic
        for (k, run) in runs.enumerated() {
            let h = run.result.history
            loss.lines.append(
                .init(name: run.cell, x: h.map { Double($0.epoch) }, y: h.map(\.trainLoss), color: PlotStyle.color(k), dots: h.count <= 30))
        }
        var gradients = LineChart(
            title: "Gradient reaching each time step (last epoch)", xTitle: "steps before the end of the sequence", yTitle: "‖dLoss/dh_t‖")
        gradients.yKind = .log
        for (k, run) in runs.enumerated() {
            guard let norms = run.result.history.last?.stepGradientNorms, !norms.isEmpty else { continue }
            gradients.lines.append(.init(name: run.cell, x: norms.indices.map(Double.init), y: norms, color: PlotStyle.color(k)))
        }
        return [
            PlotFile(name: "compare_loss.svg", document: loss.svg()), PlotFile(name: "compare_gradients.svg", document: gradients.svg()),
        ]
    }
}
