import Foundation
import TidalCore
import TidalData
import TidalNet

/// Everything a training run needs, as plain values (the CLI fills it from its flags).
public struct TrainingRequest: Sendable {
    public var task: TaskKind = .forecast
    public var dataPath: String
    /// A separate test file (UCR ships one), or nil to split the data file.
    public var testPath: String?
    public var table = TableOptions()
    /// Whole-sample layout for classify and regress.
    public var format: SampleSet.Format = .ucr
    public var forecast = ForecastSetup(targets: [])
    public var cell: CellKind = .lstm
    public var hidden = 64
    public var layers = 1
    public var dropout: Float = 0
    /// The linear autoregressive skip for forecasting (nil: on for forecasting).
    public var skip: Bool?
    public var loss: RegressionLoss = .mse
    public var training = TrainingConfiguration()
    public var scaling: Scaling?
    /// Time steps per network step for whole samples (nil: automatic).
    public var patch: Int?
    /// Text classification: the document column (nil for numeric data) and its settings.
    public var textColumn: String?
    public var labelColumn: String?
    public var vocabularySize = 20000
    public var minCount = 2
    public var maxLength = 100
    public var embeddingDimension = 64

    /// How the gates that keep memory start (LSTM forget gate, GRU update gate); see `GateInitialization`.
    public var gateInitialization: GateInitialization = .auto

    public init(dataPath: String) { self.dataPath = dataPath }
}

/// What a training run produced.
public struct TrainingOutcome: Sendable {
    public var model: TrainedModel
    public var result: TrainingResult
    public var report: MetricsReport
    /// Forecasting: one-step test predictions and actual values, baselines alike, for `forecast.svg`.
    public var forecastCurves: [String: [Double]]
    /// Test-part time labels when there is a time column.
    public var testTimes: [String]?

    public init(model: TrainedModel, result: TrainingResult, report: MetricsReport, forecastCurves: [String: [Double]], testTimes: [String]?) {
        self.model = model
        self.result = result
        self.report = report
        self.forecastCurves = forecastCurves
        self.testTimes = testTimes
    }
}

/// Receives progress while a session runs.
public protocol TrainingObserver {
    func started(description: String)
    func epochEnded(_ record: EpochRecord, of total: Int, task: TaskKind)
    func batchEnded(_ index: Int, of count: Int, epoch: Int)
}

/// Runs a whole training request: load, split, scale, train, evaluate against baselines.
public enum TrainingSession {
    public static func run(_ request: TrainingRequest, observer: TrainingObserver?) throws -> TrainingOutcome {
        if request.textColumn != nil { return try runText(request, observer: observer) }
        if request.labelColumn != nil && request.task == .classify { return try runSeriesWindows(request, observer: observer) }
        switch request.task {
        case .forecast: return try runForecast(request, observer: observer)
        case .classify, .regress: return try runSamples(request, observer: observer)
        }
    }

    // MARK: forecasting

    /// Forecasting. When the user fixed neither the validation part nor both scaling and
    /// differencing, the choice is made on the training part alone: each candidate
    /// (per-window scaling; z-score on differences of lag `season`, or 1) trains on the first
    /// 80 % of the training rows with early stopping on the last 20 %; the candidate with the
    /// lowest validation MAE wins, and it is refitted on the whole training part for its best
    /// epoch count. The test part is never looked at.
    static func runForecast(_ request: TrainingRequest, observer: TrainingObserver?) throws -> TrainingOutcome {
        var options = request.table
        let setup = request.forecast
        let features = setup.features.isEmpty ? setup.targets : setup.features
        options.numericColumns = features + setup.targets.filter { !features.contains($0) }
        options.textColumns = setup.categorical
        let table = try Table.load(path: request.dataPath, options: options)
        var final = setup
        var training = request.training
        if training.batchSize == 0 { training.batchSize = 32 }
        var request = request
        request.training = training
        var selectionNote = ""
        if setup.valFraction == 0 {
            let season = max(1, setup.season)
            var candidates: [(Scaling, Int)] = []
            switch (setup.scaling, setup.difference) {
            case let (s?, d?): candidates = [(s, d)]
            case let (s?, nil): candidates = [(s, 0), (s, season)]
            case let (nil, d?): candidates = [(.window, d), (.zscore, d)]
            case (nil, nil): candidates = [(.window, 0), (.zscore, season)]
            }
            var best: (mae: Double, scaling: Scaling, difference: Int, epochs: Int)?
            var tried: [String] = []
            for (scaling, difference) in candidates {
                var trial = setup
                trial.scaling = scaling
                trial.difference = difference
                trial.valFraction = 0.2
                guard let task = try? ForecastTask(table: table, setup: trial), task.validation.count >= 2, task.train.count >= 2 else { continue }
                var config = request.training
                config.patience = config.patience ?? 10
                let network = makeNetwork(architecture(for: task.spec, request), request, steps: task.spec.steps)
                let result = try Trainer(configuration: config, objective: .regression(request.loss))
                    .train(network, on: task.train, validate: { task.evaluate($0, on: task.validation, loss: request.loss)! })
                let mae = result.history[result.bestEpoch - 1].validation?.mae ?? .infinity
                tried.append("\(scaling.rawValue)/d\(difference): \(formatShort(mae)) at epoch \(result.bestEpoch)")
                if best == nil || mae < best!.mae { best = (mae, scaling, difference, result.bestEpoch) }
            }
            if let best {
                final.scaling = best.scaling
                final.difference = best.difference
                training.epochs = max(1, best.epochs)
                training.patience = nil
                selectionNote = "; chosen on a validation tail of the training part (MAE \(tried.joined(separator: ", "))), refitted for \(training.epochs) epochs"
            }
        }
        let task = try ForecastTask(table: table, setup: final)
        let spec = task.spec
        let architecture = architecture(for: spec, request)
        let network = makeNetwork(architecture, request, steps: spec.steps)
        let choices = task.choices + selectionNote
        observer?.started(description: "forecast \(spec.targets.joined(separator: ",")): \(task.train.count) training, \(task.validation.count) validation, \(task.test.count) test windows; lookback \(spec.lookback), horizon \(spec.horizon); \(choices)")
        let trainer = Trainer(configuration: training, objective: .regression(request.loss))
        let epochs = training.epochs
        var currentEpoch = 1
        let result = try trainer.train(network, on: task.train,
                                       validate: task.validation.count > 0 ? { task.evaluate($0, on: task.validation, loss: request.loss)! } : nil,
                                       test: task.test.count > 0 ? { task.evaluate($0, on: task.test, loss: request.loss)! } : nil,
                                       onEpoch: { observer?.epochEnded($0, of: epochs, task: .forecast); currentEpoch = $0.epoch + 1 },
                                       onBatch: { observer?.batchEnded($0, of: $1, epoch: currentEpoch) })
        var baselines: [String: MetricsReport.Scores] = [:]
        var curves: [String: [Double]] = [:]
        var test: ForecastMetrics?
        if task.test.count > 0 {
            let predicted = task.test.predict(network)
            let actual = task.test.actuals(), naive = task.test.naive()
            test = task.metrics(of: predicted, on: task.test)
            baselines["naive"] = .init(task.metrics(of: naive, on: task.test))
            let O = spec.outputCount
            func firstStep(_ a: [Float]) -> [Double] { stride(from: 0, to: a.count, by: O).map { Double(a[$0]) } }
            curves["actual"] = firstStep(actual)
            curves["model"] = firstStep(predicted)
            curves["naive"] = firstStep(naive)
            if spec.season > 1 {
                let seasonal = task.test.seasonalNaive(period: spec.season)
                baselines["seasonal_naive"] = .init(task.metrics(of: seasonal, on: task.test))
                curves["seasonal naive"] = firstStep(seasonal)
            }
        }
        let report = makeReport(task: .forecast, cell: request.cell, result: result, test: test.map(MetricsReport.Scores.init),
                                baselines: baselines, parameters: network.parameterCount, choices: choices)
        let model = TrainedModel(task: .forecast, architecture: architecture, forecast: spec, samples: nil, network: network,
                                 metadata: metadata(request, result: result, metrics: test.map { ["mae": $0.mae, "rmse": $0.rmse, "smape": $0.smape, "mase": $0.mase] } ?? [:]))
        let times = task.time.map { t in task.test.origins.map { t[$0 - 1] } }
        return TrainingOutcome(model: model, result: result, report: report, forecastCurves: curves, testTimes: times)
    }

    static func architecture(for spec: ForecastSpec, _ request: TrainingRequest) -> ModelArchitecture {
        var a = ModelArchitecture(cell: request.cell, inputSize: spec.featureCount, hiddenSize: request.hidden,
                                  layers: request.layers, dropout: request.dropout, outputSize: spec.outputCount,
                                  skipSteps: (request.skip ?? true) ? spec.steps : 0)
        a.categoricalVocabularies = spec.categorical.map(\.values.count)
        a.categoricalDimensions = spec.categorical.map(\.dimension)
        return a
    }

    /// A freshly initialised network (PyTorch's initialisation), then the gate-bias shift.
    static func makeNetwork(_ architecture: ModelArchitecture, _ request: TrainingRequest, steps: Int) -> SequenceModel {
        let network = SequenceModel(architecture, seed: request.training.seed)
        var generator = SeededGenerator(seed: request.training.seed ^ 0xC4_0000)
        request.gateInitialization.apply(to: network, steps: steps, generator: &generator)
        return network
    }

    static func formatShort(_ x: Double) -> String { String(format: "%.4g", x) }

    // MARK: whole samples

    /// Windows of `lookback` rows over a long series, each labelled by the label column at its last row.
    /// The series is split chronologically (a window belongs to the part of its last row), the scaling
    /// is fitted on the training rows only.
    public static func seriesWindows(_ table: Table, features: [String], label: String, lookback: Int, stride: Int, ends: Range<Int>,
                                     categorical: [ForecastSpec.CategoricalColumn] = []) -> SampleSet {
        let F = features.count, K = categorical.count
        let columns = features.map { table.numeric($0)! }
        let labels = table.text(label) ?? table.numeric(label)!.map { formatLabel($0) }
        let categoryValues = categorical.map { table.text($0.name)! }
        var set = SampleSet(source: table.source, channels: F, values: [], offsets: [0], labels: [], lines: [])
        set.categoryCount = K
        for e in Swift.stride(from: max(ends.lowerBound, lookback - 1), to: ends.upperBound, by: stride) {
            for r in (e - lookback + 1) ... e {
                for f in 0 ..< F { set.values.append(columns[f][r]) }
                for k in 0 ..< K { set.codes.append(categorical[k].id(of: categoryValues[k][r])) }
            }
            set.offsets.append(set.values.count / F)
            set.labels.append(labels[e])
            set.lines.append(table.lines[e])
        }
        return set
    }

    static func formatLabel(_ v: Float) -> String { v == v.rounded() ? String(Int(v)) : "\(v)" }

    static func runSeriesWindows(_ request: TrainingRequest, observer: TrainingObserver?) throws -> TrainingOutcome {
        let label = request.labelColumn!
        var options = request.table
        var probe = options
        probe.inferTextColumns = true
        probe.missing = .keep
        probe.textColumns = [label] + request.forecast.categorical
        let header = try Table.load(path: request.dataPath, options: probe)
        var features = request.forecast.features
        if features.isEmpty {
            features = zip(header.names, header.columns).compactMap { name, column in
                if case .numeric = column, name != label { return name } else { return nil }
            }
        }
        guard !features.isEmpty else { throw DataError.unusable(source: request.dataPath, reason: "no numeric feature columns besides the label \"\(label)\"") }
        let categoricalNames = request.forecast.categorical
        features.removeAll { categoricalNames.contains($0) }
        options.numericColumns = features
        options.textColumns = [label] + categoricalNames
        let table = try Table.load(path: request.dataPath, options: options)
        let lookback = request.forecast.lookback ?? 24
        let split = ChronologicalSplit(rowCount: table.rowCount, testFraction: request.forecast.testFraction, valFraction: request.forecast.valFraction)
        let categorical = try categoricalNames.map { name -> ForecastSpec.CategoricalColumn in
            guard let values = table.text(name) else { throw DataError.unknownColumn(source: table.source, requested: name, known: table.header) }
            let training = Array(values[0 ..< split.trainEnd])
            return ForecastSpec.CategoricalColumn(name: name, trainingValues: training, dimension: min(10, max(2, (Set(training).count + 1) / 2)))
        }
        guard lookback <= split.trainEnd else {
            throw DataError.unusable(source: table.source, reason: "--lookback \(lookback) is longer than the \(split.trainEnd) training rows")
        }
        let stride = request.forecast.stride
        let trainSet = seriesWindows(table, features: features, label: label, lookback: lookback, stride: stride, ends: 0 ..< split.trainEnd, categorical: categorical)
        let validationSet = seriesWindows(table, features: features, label: label, lookback: lookback, stride: stride, ends: split.trainEnd ..< split.testStart, categorical: categorical)
        let testSet = seriesWindows(table, features: features, label: label, lookback: lookback, stride: stride, ends: split.testStart ..< table.rowCount, categorical: categorical)
        let classes = ClassLabels(collecting: trainSet.labels).names
        if classes.count < 2 {
            throw DataError.unusable(source: request.dataPath, reason: "the training windows hold only one class (\"\(classes.first ?? "")\"); classification needs at least two")
        }
        let statistics = features.map { name -> RunningStatistics in
            var s = RunningStatistics()
            table.numeric(name)![0 ..< split.trainEnd].withUnsafeBufferPointer { s.add(contentsOf: $0) }
            return s
        }
        let scaling = request.scaling ?? .zscore
        let kind: Normalizer.Kind = scaling == .minmax ? .minmax : scaling == .none ? .none : .zscore
        var spec = SampleSpec(layout: .window, channels: features.count, classes: classes, normalizer: Normalizer(kind: kind, statistics: statistics),
                              targetShift: 0, targetScale: 1, maxLength: lookback, patch: request.patch ?? SampleSpec.automaticPatch(length: lookback))
        spec.columns = features
        spec.labelColumn = label
        spec.lookback = lookback
        spec.timeColumn = table.timeName
        spec.categorical = categorical.isEmpty ? nil : categorical
        let train = try SampleDataset(spec: spec, set: trainSet)
        // A window whose class never occurs in training cannot be scored; say how many were left out.
        let keptValidation = validationSet.filtered(to: classes), keptTest = testSet.filtered(to: classes)
        let dropped = (validationSet.count - keptValidation.count) + (testSet.count - keptTest.count)
        let validation = keptValidation.count > 0 ? try SampleDataset(spec: spec, set: keptValidation) : nil
        let test = keptTest.count > 0 ? try SampleDataset(spec: spec, set: keptTest) : nil
        let note = dropped > 0 ? "; \(dropped) validation/test windows of classes absent from training left out of scoring" : ""
        return try trainSampleModel(request, spec: spec, train: train, validation: validation, test: test, observer: observer,
                                    description: "classify windows of \(lookback) rows by \"\(label)\": \(train.count) training, \(validation?.count ?? 0) validation, \(test?.count ?? 0) test windows; features \(features.joined(separator: ",")), \(classes.count) classes\(note)")
    }

    static func runSamples(_ request: TrainingRequest, observer: TrainingObserver?) throws -> TrainingOutcome {
        let all = try SampleSet.load(path: request.dataPath, format: request.format, hasHeader: request.table.hasHeader)
        var trainSet = all, testSet: SampleSet?
        if let testPath = request.testPath {
            testSet = try SampleSet.load(path: testPath, format: request.format, hasHeader: request.table.hasHeader)
            if testSet!.channels != all.channels {
                throw DataError.unusable(source: testPath, reason: "\(testSet!.channels) channels, but the training file has \(all.channels)")
            }
        } else if request.forecast.testFraction > 0 {
            let cut = Int((Double(all.count) * (1 - request.forecast.testFraction)).rounded(.down))
            trainSet = all.subset(0 ..< cut)
            testSet = all.subset(cut ..< all.count)
        }
        var validationSet: SampleSet?
        if request.forecast.valFraction > 0 {
            let cut = trainSet.count - Int((Double(trainSet.count) * request.forecast.valFraction).rounded(.down))
            validationSet = trainSet.subset(cut ..< trainSet.count)
            trainSet = trainSet.subset(0 ..< cut)
        }
        guard trainSet.count > 0 else { throw TrainingError.noSamples(part: "training", reason: "\(request.dataPath) has no samples left for training") }
        let classify = request.task == .classify
        var classes: [String] = []
        var targetShift = 0.0, targetScale = 1.0
        if classify {
            classes = ClassLabels(collecting: trainSet.labels).names
            if classes.count < 2 {
                throw DataError.unusable(source: request.dataPath, reason: "the training samples hold only one class (\"\(classes.first ?? "")\"); classification needs at least two")
            }
        } else {
            var stats = RunningStatistics()
            for (i, label) in trainSet.labels.enumerated() {
                guard let v = Double(label) else {
                    throw DataError.layout(.init(source: trainSet.source, line: trainSet.lines[i], column: 1), reason: "regression target \"\(label)\" is not a number")
                }
                stats.add(v)
            }
            targetShift = stats.mean
            let s = stats.populationVariance.squareRoot()
            targetScale = s > 1e-12 ? s : 1
        }
        var channelStats = Array(repeating: RunningStatistics(), count: trainSet.channels)
        for (i, v) in trainSet.values.enumerated() { channelStats[i % trainSet.channels].add(Double(v)) }
        let scaling = request.scaling ?? .zscore
        let kind: Normalizer.Kind = scaling == .minmax ? .minmax : scaling == .none ? .none : .zscore
        let spec = SampleSpec(layout: request.format == .ucr ? .ucr : .long, channels: trainSet.channels, classes: classes,
                              normalizer: Normalizer(kind: kind, statistics: channelStats),
                              targetShift: targetShift, targetScale: targetScale, maxLength: trainSet.maxLength,
                              patch: request.patch ?? SampleSpec.automaticPatch(length: trainSet.maxLength))
        let train = try SampleDataset(spec: spec, set: trainSet)
        let validation = try validationSet.map { try SampleDataset(spec: spec, set: $0) }
        let test = try testSet.map { try SampleDataset(spec: spec, set: $0) }
        return try trainSampleModel(request, spec: spec, train: train, validation: validation, test: test, observer: observer,
                                    description: "\(request.task.rawValue): \(train.count) training, \(validation?.count ?? 0) validation, \(test?.count ?? 0) test samples; \(spec.channels) channel(s), length up to \(spec.maxLength), patch \(spec.patch)\(classify ? ", \(classes.count) classes" : "")")
    }

    /// Trains and scores a model on whole samples (UCR, long format or series windows).
    static func trainSampleModel(_ request: TrainingRequest, spec: SampleSpec, train: SampleDataset, validation: SampleDataset?,
                                 test: SampleDataset?, observer: TrainingObserver?, description: String) throws -> TrainingOutcome {
        let classify = request.task == .classify
        let classes = spec.classes
        let targetShift = spec.targetShift, targetScale = spec.targetScale
        let outputs = classify ? classes.count : 1
        var architecture = ModelArchitecture(cell: request.cell, inputSize: spec.stepFeatures, hiddenSize: request.hidden,
                                             layers: request.layers, dropout: request.dropout, outputSize: outputs)
        architecture.categoricalVocabularies = spec.categorical?.map(\.values.count) ?? []
        architecture.categoricalDimensions = spec.categorical?.map(\.dimension) ?? []
        let network = makeNetwork(architecture, request, steps: (spec.maxLength + spec.patch - 1) / spec.patch)
        observer?.started(description: description)
        let objective: Objective = classify ? .classification(classes: classes.count) : .regression(request.loss)
        var training = request.training
        if training.batchSize == 0 { training.batchSize = min(32, max(8, train.count / 8)) }
        let trainer = Trainer(configuration: training, objective: objective)
        let evaluate: (SequenceModel, SampleDataset) -> Evaluation = { model, set in
            sampleEvaluation(model, set, objective: objective)
        }
        var currentEpoch = 1
        let epochs = request.training.epochs
        let result = try trainer.train(network, on: train,
                                       validate: validation.map { v in { evaluate($0, v) } },
                                       test: test.map { t in { evaluate($0, t) } },
                                       onEpoch: { observer?.epochEnded($0, of: epochs, task: request.task); currentEpoch = $0.epoch + 1 },
                                       onBatch: { observer?.batchEnded($0, of: $1, epoch: currentEpoch) })
        var scores: MetricsReport.Scores?
        var baselines: [String: MetricsReport.Scores] = [:]
        var final: [String: Double] = [:]
        if let test {
            let outputsOfTest = samplePredictions(network, test)
            if classify {
                let predicted = outputsOfTest.map(\.argmax)
                let metrics = ClassificationMetrics(actual: test.labels.map(Int.init), predicted: predicted, classes: classes.count)
                scores = .init(metrics, classes: classes)
                final = ["accuracy": metrics.accuracy, "macro_f1": metrics.macroF1]
                let trainCounts = (0 ..< classes.count).map { c in train.labels.filter { $0 == c }.count }
                let majority = trainCounts.indices.max { trainCounts[$0] < trainCounts[$1] }!
                let majorityMetrics = ClassificationMetrics(actual: test.labels.map(Int.init), predicted: Array(repeating: majority, count: test.count), classes: classes.count)
                baselines["majority"] = .init(majorityMetrics, classes: classes)
            } else {
                let actual = test.targets.map { Double($0) * targetScale + targetShift }
                let predicted = outputsOfTest.map { Double($0.values[0]) * targetScale + targetShift }
                let m = ForecastMetrics(actual: actual, predicted: predicted, scale: 1)
                scores = MetricsReport.Scores(mae: m.mae, rmse: m.rmse)
                final = ["mae": m.mae, "rmse": m.rmse]
                let meanMetrics = ForecastMetrics(actual: actual, predicted: Array(repeating: targetShift, count: actual.count), scale: 1)
                baselines["train_mean"] = MetricsReport.Scores(mae: meanMetrics.mae, rmse: meanMetrics.rmse)
            }
        }
        let report = makeReport(task: request.task, cell: request.cell, result: result, test: scores, baselines: baselines,
                                parameters: network.parameterCount, choices: nil)
        let model = TrainedModel(task: request.task, architecture: architecture, forecast: nil, samples: spec, network: network,
                                 metadata: metadata(request, result: result, metrics: final))
        return TrainingOutcome(model: model, result: result, report: report, forecastCurves: [:], testTimes: nil)
    }

    // MARK: text

    /// Reads the text and label columns of a CSV file.
    public static func loadDocuments(path: String, textColumn: String, labelColumn: String?, options: TableOptions) throws -> (texts: [String], labels: [String]?, lines: [Int]) {
        var o = options
        o.numericColumns = []
        o.textColumns = [textColumn] + (labelColumn.map { [$0] } ?? [])
        o.timeColumn = o.timeColumn ?? ""
        let table = try Table.load(path: path, options: o)
        return (table.text(table.names[0])!, labelColumn.map { _ in table.text(table.names[1])! }, table.lines)
    }

    static func runText(_ request: TrainingRequest, observer: TrainingObserver?) throws -> TrainingOutcome {
        let textColumn = request.textColumn!
        guard let labelColumn = request.labelColumn else {
            throw DataError.unusable(source: request.dataPath, reason: "text classification needs --label COL")
        }
        var options = request.table
        if options.timeColumn == nil { options.timeColumn = "" }
        let all = try loadDocuments(path: request.dataPath, textColumn: textColumn, labelColumn: labelColumn, options: options)
        var train = (texts: all.texts, labels: all.labels!)
        var test: (texts: [String], labels: [String])?
        if let testPath = request.testPath {
            let t = try loadDocuments(path: testPath, textColumn: textColumn, labelColumn: labelColumn, options: options)
            test = (t.texts, t.labels!)
        } else if request.forecast.testFraction > 0 {
            let cut = Int((Double(all.texts.count) * (1 - request.forecast.testFraction)).rounded(.down))
            test = (Array(all.texts[cut...]), Array(all.labels![cut...]))
            train = (Array(all.texts[..<cut]), Array(all.labels![..<cut]))
        }
        var validation: (texts: [String], labels: [String])?
        let valFraction = request.forecast.valFraction > 0 ? request.forecast.valFraction : 0.1
        let cut = train.texts.count - Int((Double(train.texts.count) * valFraction).rounded(.down))
        validation = (Array(train.texts[cut...]), Array(train.labels[cut...]))
        train = (Array(train.texts[..<cut]), Array(train.labels[..<cut]))
        let classes = ClassLabels(collecting: train.labels).names
        if classes.count < 2 {
            throw DataError.unusable(source: request.dataPath, reason: "the training documents hold only one class (\"\(classes.first ?? "")\"); classification needs at least two")
        }
        let tokenized = train.texts.map(Tokenizer.tokens)
        let vocabulary = Vocabulary(building: tokenized, maxSize: request.vocabularySize, minCount: request.minCount)
        let spec = TextSpec(textColumn: textColumn, labelColumn: labelColumn, classes: classes, vocabulary: vocabulary, maxLength: request.maxLength)
        func dataset(_ part: (texts: [String], labels: [String]), _ name: String) throws -> TextDataset {
            let labels = try part.labels.map { label -> Int32 in
                guard let c = classes.firstIndex(of: label) else {
                    throw DataError.unusable(source: name, reason: "label \"\(label)\" was not seen in training; the classes are \(classes.joined(separator: ", "))")
                }
                return Int32(c)
            }
            return TextDataset(documents: part.texts.map(spec.encode), labels: labels)
        }
        let trainSet = try dataset(train, request.dataPath)
        let validationSet = try validation.map { try dataset($0, request.dataPath) }
        let testSet = try test.map { try dataset($0, request.testPath ?? request.dataPath) }
        let architecture = ModelArchitecture(cell: request.cell, inputSize: request.embeddingDimension, hiddenSize: request.hidden,
                                             layers: request.layers, dropout: request.dropout, outputSize: classes.count,
                                             vocabularySize: vocabulary.count)
        let network = makeNetwork(architecture, request, steps: request.maxLength)
        observer?.started(description: "classify text \"\(textColumn)\": \(trainSet.count) training, \(validationSet?.count ?? 0) validation, \(testSet?.count ?? 0) test documents; vocabulary \(vocabulary.count) tokens, \(classes.count) classes")
        let objective = Objective.classification(classes: classes.count)
        var training = request.training
        if training.batchSize == 0 { training.batchSize = 32 }
        if training.patience == nil { training.patience = 3 }
        var currentEpoch = 1
        let result = try Trainer(configuration: training, objective: objective).train(
            network, on: trainSet,
            validate: validationSet.map { v in { sampleEvaluation($0, v, objective: objective) } },
            test: testSet.map { t in { sampleEvaluation($0, t, objective: objective) } },
            onEpoch: { observer?.epochEnded($0, of: training.epochs, task: .classify); currentEpoch = $0.epoch + 1 },
            onBatch: { observer?.batchEnded($0, of: $1, epoch: currentEpoch) })
        var scores: MetricsReport.Scores?
        var baselines: [String: MetricsReport.Scores] = [:]
        var final: [String: Double] = [:]
        if let testSet {
            let predicted = samplePredictions(network, testSet).map(\.argmax)
            let metrics = ClassificationMetrics(actual: testSet.labels.map(Int.init), predicted: predicted, classes: classes.count)
            scores = .init(metrics, classes: classes)
            final = ["accuracy": metrics.accuracy, "macro_f1": metrics.macroF1]
            let counts = (0 ..< classes.count).map { c in trainSet.labels.filter { $0 == c }.count }
            let majority = counts.indices.max { counts[$0] < counts[$1] }!
            baselines["majority"] = .init(ClassificationMetrics(actual: testSet.labels.map(Int.init), predicted: Array(repeating: majority, count: testSet.count), classes: classes.count), classes: classes)
        }
        let report = makeReport(task: .classify, cell: request.cell, result: result, test: scores, baselines: baselines,
                                parameters: network.parameterCount, choices: nil)
        let model = TrainedModel(task: .classify, architecture: architecture, forecast: nil, samples: nil, text: spec, network: network,
                                 metadata: metadata(request, result: result, metrics: final))
        return TrainingOutcome(model: model, result: result, report: report, forecastCurves: [:], testTimes: nil)
    }

    struct SampleOutput { var values: [Float]; var argmax: Int }

    static func samplePredictions(_ model: SequenceModel, _ set: any SampleSource) -> [SampleOutput] {
        let O = model.architecture.outputSize
        var out = [SampleOutput](repeating: SampleOutput(values: [], argmax: 0), count: set.count)
        predictInBatches(model, set, batchSize: 64) { indices, output, _ in
            for (b, i) in indices.enumerated() {
                let row = Array(UnsafeBufferPointer(start: output + b * O, count: O))
                out[i] = SampleOutput(values: row, argmax: row.indices.max { row[$0] < row[$1] }!)
            }
        }
        return out
    }

    static func sampleEvaluation(_ model: SequenceModel, _ set: any SampleSource, objective: Objective) -> Evaluation {
        var total = 0.0, correct = 0, absError = 0.0
        predictInBatches(model, set, batchSize: 64) { indices, output, batch in
            switch objective {
            case let .classification(classes):
                let loss = batch.labels.withUnsafeBufferPointer {
                    CrossEntropy.evaluate(logits: output, labels: $0.baseAddress!, batch: batch.size, classes: classes, probabilities: nil, gradient: nil)
                }
                total += Double(loss) * Double(batch.size)
                for b in 0 ..< batch.size where argmax(output + b * classes, classes) == Int(batch.labels[b]) { correct += 1 }
            case let .regression(kind):
                total += Double(kind.evaluate(prediction: output, target: batch.targets.pointer, count: batch.size, gradient: nil)) * Double(batch.size)
                let scale = (set as? SampleDataset)?.spec.targetScale ?? 1
                for b in 0 ..< batch.size { absError += abs(Double(output[b] - batch.targets.pointer[b])) * scale }
            }
        }
        let n = Double(set.count)
        if case .classification = objective { return Evaluation(loss: total / n, accuracy: Double(correct) / n) }
        return Evaluation(loss: total / n, mae: absError / n)
    }

    static func makeReport(task: TaskKind, cell: CellKind, result: TrainingResult, test: MetricsReport.Scores?,
                           baselines: [String: MetricsReport.Scores], parameters: Int, choices: String?) -> MetricsReport {
        MetricsReport(task: task.rawValue, cell: cell.rawValue, epochsRun: result.epochsRun, bestEpoch: result.bestEpoch,
                      history: result.history.map {
                          .init(epoch: $0.epoch, trainLoss: $0.trainLoss, valLoss: $0.validation?.loss, trainAcc: $0.trainAccuracy,
                                valAcc: $0.validation?.accuracy, testAcc: $0.test?.accuracy, testMae: $0.test?.mae, gradientNorm: $0.gradientNorm)
                      },
                      test: test, baselines: baselines, trainSeconds: result.seconds, parameters: parameters, choices: choices)
    }

    static func metadata(_ request: TrainingRequest, result: TrainingResult, metrics: [String: Double]) -> TrainingMetadata {
        let formatter = ISO8601DateFormatter()
        return TrainingMetadata(createdAt: formatter.string(from: Date()), dataFile: (request.dataPath as NSString).lastPathComponent,
                                dataSHA256: (try? SHA256.hexDigest(ofFile: request.dataPath)) ?? "",
                                seed: request.training.seed, epochs: result.epochsRun, finalMetrics: metrics.filter { $0.value.isFinite },
                                tidalVersion: TidalModelVersion.string)
    }
}

/// The version written into model files.
public enum TidalModelVersion {
    public static let string = "0.1.0"
}

extension SampleSet {
    /// The samples whose label is one of `classes` (windows of a class unseen in training are left out of evaluation).
    func filtered(to classes: [String]) -> SampleSet {
        var out = SampleSet(source: source, channels: channels, values: [], offsets: [0], labels: [], lines: [])
        out.categoryCount = categoryCount
        for i in 0 ..< count where classes.contains(labels[i]) {
            out.values.append(contentsOf: values[offsets[i] * channels ..< offsets[i + 1] * channels])
            out.codes.append(contentsOf: codes[offsets[i] * categoryCount ..< offsets[i + 1] * categoryCount])
            out.offsets.append(out.values.count / channels)
            out.labels.append(labels[i])
            out.lines.append(lines[i])
        }
        return out
    }

    /// The samples at `range`, as a new set.
    public func subset(_ range: Range<Int>) -> SampleSet {
        let start = offsets[range.lowerBound], end = offsets[range.upperBound]
        return SampleSet(source: source, channels: channels, values: Array(values[start * channels ..< end * channels]),
                         offsets: offsets[range.lowerBound ... range.upperBound].map { $0 - start },
                         labels: Array(labels[range]), lines: Array(lines[range]))
    }
}
