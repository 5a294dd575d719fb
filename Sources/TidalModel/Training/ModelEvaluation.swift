import TidalCore
import TidalData
import TidalNet

/// Scores a trained model on new data with its frozen schema and scaling.
public enum ModelEvaluation {
    /// - Returns: the model's scores, the baselines on the same samples, and forecast curves for plotting.
    public static func run(_ model: TrainedModel, dataPath: String, table options: TableOptions) throws
        -> (test: MetricsReport.Scores, baselines: [String: MetricsReport.Scores], curves: [String: [Double]]) {
        if let spec = model.text {
            let docs = try TrainingSession.loadDocuments(path: dataPath, textColumn: spec.textColumn, labelColumn: spec.labelColumn,
                                                         options: { var o = options; o.timeColumn = o.timeColumn ?? ""; return o }())
            let labels = try docs.labels!.enumerated().map { i, label -> Int32 in
                guard let c = spec.classes.firstIndex(of: label) else {
                    throw DataError.layout(.init(source: dataPath, line: docs.lines[i]), reason: "label \"\(label)\" is not one of the model's classes (\(spec.classes.joined(separator: ", ")))")
                }
                return Int32(c)
            }
            let set = TextDataset(documents: docs.texts.map(spec.encode), labels: labels)
            let predicted = TrainingSession.samplePredictions(model.makeNetwork(), set).map(\.argmax)
            let m = ClassificationMetrics(actual: labels.map(Int.init), predicted: predicted, classes: spec.classes.count)
            return (.init(m, classes: spec.classes), [:], [:])
        }
        switch model.task {
        case .forecast:
            let forecaster = Forecaster(model)
            let spec = forecaster.spec
            var options = options
            options.numericColumns = spec.columns
            options.textColumns = spec.categorical.map(\.name)
            let table = try Table.load(path: dataPath, options: options)
            let raw = try forecaster.rawRows(table)
            let n = table.rowCount
            guard n >= spec.lookback + spec.horizon else {
                throw DataError.unusable(source: table.source, reason: "\(n) rows hold no complete window of lookback \(spec.lookback) + horizon \(spec.horizon)")
            }
            let set = ForecastDataset(spec: spec, raw: raw, origins: Array(spec.lookback ... n - spec.horizon), codes: try forecaster.codes(table))
            let network = model.makeNetwork()
            let predicted = set.predict(network)
            let C = spec.columns.count
            let c0 = spec.columns.firstIndex(of: spec.targets[0])!
            let scale = ForecastMetrics.scale((0 ..< n).map { Double(raw[$0 * C + c0]) }, end: n, season: spec.season)
            func metrics(_ p: [Float]) -> ForecastMetrics { set.metrics(of: p, scale: scale) }
            var baselines = ["naive": MetricsReport.Scores(metrics(set.naive()))]
            if spec.season > 1 { baselines["seasonal_naive"] = .init(metrics(set.seasonalNaive(period: spec.season))) }
            return (.init(metrics(predicted)), baselines,
                    ["actual": set.firstStep(set.actuals()), "model": set.firstStep(predicted), "naive": set.firstStep(set.naive())])
        case .classify where model.samples?.layout == .window:
            let spec = model.samples!
            var o = options
            o.numericColumns = spec.columns!
            o.textColumns = [spec.labelColumn!] + (spec.categorical ?? []).map(\.name)
            let table = try Table.load(path: dataPath, options: o)
            let set = TrainingSession.seriesWindows(table, features: spec.columns!, label: spec.labelColumn!, lookback: spec.lookback!, stride: 1,
                                                    ends: 0 ..< table.rowCount, categorical: spec.categorical ?? [])
            let data = try SampleDataset(spec: spec, set: set)
            let outputs = TrainingSession.samplePredictions(model.makeNetwork(), data)
            let m = ClassificationMetrics(actual: data.labels.map(Int.init), predicted: outputs.map(\.argmax), classes: spec.classes.count)
            return (.init(m, classes: spec.classes), [:], [:])
        case .classify, .regress:
            let spec = model.samples!
            let set = try SampleSet.load(path: dataPath, format: spec.layout == .long ? .long : .ucr, hasHeader: options.hasHeader)
            let data = try SampleDataset(spec: spec, set: set)
            let network = model.makeNetwork()
            let outputs = TrainingSession.samplePredictions(network, data)
            if model.task == .classify {
                let m = ClassificationMetrics(actual: data.labels.map(Int.init), predicted: outputs.map(\.argmax), classes: spec.classes.count)
                return (.init(m, classes: spec.classes), [:], [:])
            }
            let actual = data.targets.map { Double($0) * spec.targetScale + spec.targetShift }
            let predicted = outputs.map { Double($0.values[0]) * spec.targetScale + spec.targetShift }
            let m = ForecastMetrics(actual: actual, predicted: predicted, scale: 1)
            let mean = ForecastMetrics(actual: actual, predicted: Array(repeating: spec.targetShift, count: actual.count), scale: 1)
            return (MetricsReport.Scores(mae: m.mae, rmse: m.rmse), ["train_mean": MetricsReport.Scores(mae: mean.mae, rmse: mean.rmse)], [:])
        }
    }
}
