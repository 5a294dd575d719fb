import Foundation
import TidalCore
import TidalData
import TidalNet

extension TrainingSession {
    // MARK: whole samples

    /// Windows of `lookback` rows over a long series, each labelled by the label column at its last row.
    /// The series is split chronologically (a window belongs to the part of its last row), the scaling
    /// is fitted on the training rows only.
    public static func seriesWindows(_ table: Table, features: [String], label: String, lookback: Int, stride: Int, ends: Range<Int>,
                                     categorical: [CategoricalColumn] = []) -> SampleSet {
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
        var features = request.forecast.features
        if features.isEmpty {
            // No --features: every numeric column but the label. Only then is a typing pass over the file needed.
            var probe = options
            probe.inferTextColumns = true
            probe.missing = .keep
            probe.textColumns = [label] + request.forecast.categorical
            let header = try Table.load(path: request.dataPath, options: probe)
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
        let categorical = try categoricalNames.map { name -> CategoricalColumn in
            guard let values = table.text(name) else { throw DataError.unknownColumn(source: table.source, requested: name, known: table.header) }
            let training = Array(values[0 ..< split.trainEnd])
            return CategoricalColumn(name: name, trainingValues: training, dimension: min(10, max(2, (Set(training).count + 1) / 2)))
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
        var spec = SampleSpec(layout: request.format == .ucr ? .ucr : .long, channels: trainSet.channels, classes: classes,
                              normalizer: Normalizer(kind: kind, statistics: channelStats),
                              targetShift: targetShift, targetScale: targetScale, maxLength: trainSet.maxLength,
                              patch: request.patch ?? SampleSpec.automaticPatch(length: trainSet.maxLength))
        var patchNote = ""
        if request.patch == nil, request.choosesPatch, let (patch, note) = try choosePatch(request, spec: spec, set: trainSet, observer: observer) {
            spec.patch = patch
            patchNote = "; " + note
        }
        let train = try SampleDataset(spec: spec, set: trainSet)
        let validation = try validationSet.map { try SampleDataset(spec: spec, set: $0) }
        let test = try testSet.map { try SampleDataset(spec: spec, set: $0) }
        return try trainSampleModel(request, spec: spec, train: train, validation: validation, test: test, observer: observer,
                                    description: "\(request.task.rawValue): \(train.count) training, \(validation?.count ?? 0) validation, \(test?.count ?? 0) test samples; \(spec.channels) channel(s), length up to \(spec.maxLength), patch \(spec.patch)\(classify ? ", \(classes.count) classes" : "")\(patchNote)")
    }

    /// The training settings for `count` whole samples: unless given, the batch grows with the set (8 to 32).
    static func sampleTraining(_ request: TrainingRequest, count: Int) -> TrainingConfiguration {
        var training = request.training
        if training.batchSize == 0 { training.batchSize = min(32, max(8, count / 8)) }
        return training
    }

    /// The network for whole samples under `spec`.
    static func sampleArchitecture(_ request: TrainingRequest, spec: SampleSpec) -> ModelArchitecture {
        var architecture = ModelArchitecture(cell: request.cell, inputSize: spec.stepFeatures, hiddenSize: request.hidden,
                                             layers: request.layers, dropout: request.dropout,
                                             outputSize: request.task == .classify ? spec.classes.count : 1)
        architecture.categoricalVocabularies = spec.categorical?.map(\.values.count) ?? []
        architecture.categoricalDimensions = spec.categorical?.map(\.dimension) ?? []
        return architecture
    }

    /// Trains and scores a model on whole samples (UCR, long format or series windows).
    static func trainSampleModel(_ request: TrainingRequest, spec: SampleSpec, train: SampleDataset, validation: SampleDataset?,
                                 test: SampleDataset?, observer: TrainingObserver?, description: String) throws -> TrainingOutcome {
        let classify = request.task == .classify
        let classes = spec.classes
        let targetShift = spec.targetShift, targetScale = spec.targetScale
        let architecture = sampleArchitecture(request, spec: spec)
        let network = makeNetwork(architecture, request, steps: spec.steps)
        observer?.started(description: description)
        let objective: Objective = classify ? .classification(classes: classes.count) : .regression(request.loss)
        let trainer = Trainer(configuration: sampleTraining(request, count: train.count), objective: objective)
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
                (scores, baselines, final) = classificationScores(test: test.labels, predicted: outputsOfTest.map(\.argmax),
                                                                  train: train.labels, classes: classes)
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
}

extension SampleSet {
    /// The samples at `indices`, in that order, as a new set.
    func subset(indices: [Int]) -> SampleSet {
        var out = SampleSet(source: source, channels: channels, values: [], offsets: [0], labels: [], lines: [])
        out.categoryCount = categoryCount
        for i in indices {
            out.values.append(contentsOf: values[offsets[i] * channels ..< offsets[i + 1] * channels])
            out.codes.append(contentsOf: codes[offsets[i] * categoryCount ..< offsets[i + 1] * categoryCount])
            out.offsets.append(out.values.count / channels)
            out.labels.append(labels[i])
            out.lines.append(lines[i])
        }
        return out
    }

    /// The samples whose label is one of `classes` (windows of a class unseen in training are left out of evaluation).
    func filtered(to classes: [String]) -> SampleSet {
        subset(indices: (0 ..< count).filter { classes.contains(labels[$0]) })
    }

    /// The samples at `range`, as a new set.
    public func subset(_ range: Range<Int>) -> SampleSet { subset(indices: Array(range)) }
}
