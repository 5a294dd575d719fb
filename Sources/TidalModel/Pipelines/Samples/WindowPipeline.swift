import Foundation
import TidalCore
import TidalData
import TidalNet

/// Windows of `lookback` rows over one labelled series, each classified by the label at its last
/// row. The series is split chronologically (a window belongs to the part of its last row), the
/// scaling is fitted on the training rows only.
struct WindowPipeline: TaskPipeline {
    let spec: SeriesWindowSpec
    /// Threads the evaluations and the test scoring run their batches on (`TaskPipeline.train` sets it).
    var threads = 1

    init(spec: SeriesWindowSpec) { self.spec = spec }

    var schema: TaskSchema { .windows(spec) }
    var task: TaskKind { .classify }
    var input: TaskInput { .windows }

    // MARK: training

    static func prepare(_ plan: TrainingPlan, observer: TrainingObserver?) throws -> PreparedTask<WindowPipeline> {
        let request = plan.request
        let label = request.labelColumn!
        let categoricalNames = request.categorical
        let features = try featureColumns(request).filter { !categoricalNames.contains($0) }
        var options = request.table
        options.numericColumns = features
        options.textColumns = [label] + categoricalNames
        let table = try Table.load(path: request.dataPath, options: options)
        let lookback = request.lookback ?? 24
        let split = ChronologicalSplit(rowCount: table.rowCount, testFraction: request.testFraction, valFraction: request.valFraction)
        let categorical = try categoricalNames.map { name -> CategoricalColumn in
            guard let values = table.text(name) else {
                throw DataError.unknownColumn(source: table.source, requested: name, known: table.header)
            }
            return CategoricalColumn(name: name, trainingValues: Array(values[0 ..< split.trainEnd]))
        }
        guard lookback <= split.trainEnd else {
            throw DataError.unusable(
                source: table.source, reason: "--lookback \(lookback) is longer than the \(split.trainEnd) training rows")
        }
        func windows(_ ends: Range<Int>) -> SampleSet {
            .windows(
                of: table, features: features, label: label, lookback: lookback, stride: request.stride, ends: ends,
                categorical: categorical)
        }
        let trainSet = windows(0 ..< split.trainEnd)
        let validationSet = windows(split.trainEnd ..< split.testStart), testSet = windows(split.testStart ..< table.rowCount)
        let classes = try trainingClasses(trainSet.labels, source: request.dataPath, what: "windows")
        let statistics = features.map { name -> RunningStatistics in
            var s = RunningStatistics()
            table.numeric(name)![0 ..< split.trainEnd].withUnsafeBufferPointer { s.add(contentsOf: $0) }
            return s
        }
        let sample = SampleSpec(
            layout: .window, channels: features.count, classes: classes,
            normalizer: Normalizer(kind: normalizerKind(request.scaling), statistics: statistics),
            maxLength: lookback, patch: request.patch ?? SampleSpec.automaticPatch(length: lookback))
        let spec = SeriesWindowSpec(
            sample: sample, columns: features, labelColumn: label, lookback: lookback, timeColumn: table.timeName,
            categorical: categorical)
        let train = try SampleDataset(spec: sample, set: trainSet)
        // A window whose class never occurs in training cannot be scored; say how many were left out.
        let keptValidation = validationSet.filtered(to: classes), keptTest = testSet.filtered(to: classes)
        let dropped = (validationSet.count - keptValidation.count) + (testSet.count - keptTest.count)
        let validation = keptValidation.count > 0 ? try SampleDataset(spec: sample, set: keptValidation) : nil
        let test = keptTest.count > 0 ? try SampleDataset(spec: sample, set: keptTest) : nil
        let note = dropped > 0 ? "; \(dropped) validation/test windows of classes absent from training left out of scoring" : ""
        let description =
            "classify windows of \(lookback) rows by \"\(label)\": \(train.count) training, \(validation?.count ?? 0) validation, "
            + "\(test?.count ?? 0) test windows; features \(features.joined(separator: ",")), \(classes.count) classes\(note)"
        return PreparedTask(
            pipeline: WindowPipeline(spec: spec),
            architecture: SamplePipeline.architecture(plan, spec: sample, categorical: categorical),
            train: train, validation: validation, test: test, training: SamplePipeline.training(plan, count: train.count),
            objective: .classification(classes: classes.count), steps: sample.steps, description: description,
            choices: nil,
            warning: missingClassesWarning(classes: classes, testLabels: testSet.labels, part: testPartName(request, of: "rows")))
    }

    /// The feature columns: those given, else every numeric column but the label (which needs a
    /// typing pass over the file).
    static func featureColumns(_ request: TrainingRequest) throws -> [String] {
        if !request.features.isEmpty { return request.features }
        let label = request.labelColumn!
        var probe = request.table
        probe.inferTextColumns = true
        probe.missing = .keep
        probe.textColumns = [label] + request.categorical
        let header = try Table.load(path: request.dataPath, options: probe)
        let features = zip(header.names, header.columns).compactMap { name, column in
            if case .numeric = column, name != label { return name } else { return nil }
        }
        guard !features.isEmpty else {
            throw DataError.unusable(source: request.dataPath, reason: "no numeric feature columns besides the label \"\(label)\"")
        }
        return features
    }

    func evaluate(_ network: SequenceModel, on data: SampleDataset) -> Evaluation {
        SampleScoring.evaluation(network, data, objective: .classification(classes: spec.sample.classes.count), threads: threads)
    }

    func score(_ network: any SequencePredicting, _ prepared: PreparedTask<WindowPipeline>) -> Scoring {
        guard let test = prepared.test else { return Scoring(test: nil) }
        return SampleScoring.classification(
            test: test.labels, predicted: SampleScoring.predictions(network, test, threads: threads).map(\.argmax),
            train: prepared.train.labels, classes: spec.sample.classes)
    }

    // MARK: a trained model

    func mismatch(with a: ModelArchitecture) -> String? {
        let s = spec.sample
        // The sizes first: within their limits, `stepFeatures` (patch × channels) cannot overflow.
        if let problem = SamplePipeline.problem(s) { return problem }
        let fits =
            s.layout == .window && s.stepFeatures == a.inputSize && a.vocabularySize == 0 && a.skipSteps == 0
            && spec.columns.count == s.channels && s.maxLength == spec.lookback && !s.isRegression && s.classes.count == a.outputSize
            && spec.categorical.map(\.values.count) == a.categoricalVocabularies
            && spec.categorical.map(\.dimension) == a.categoricalDimensions
        return SchemaCheck.first(
            SamplePipeline.problem(s),
            SchemaCheck.unique(spec.columns + spec.categorical.map(\.name) + [spec.labelColumn], "input columns"),
            SchemaCheck.categorical(spec.categorical),
            fits ? nil : "the series-window schema does not fit the architecture")
    }

    var summary: SchemaSummary {
        var summary = SamplePipeline.summary(spec.sample)
        summary.lines[0] =
            "schema: windows of \(spec.lookback) rows classified by \"\(spec.labelColumn)\"; features "
            + "\(spec.columns.joined(separator: ",")), "
            + "time column \(spec.timeColumn ?? "-"), patch \(spec.sample.patch), classes \(spec.sample.classes.joined(separator: ","))"
        if !spec.categorical.isEmpty { summary.lines.append(categoricalLine(spec.categorical)) }
        if case var .object(schema) = summary.fields["schema"] {
            schema["columns"] = .strings(spec.columns)
            schema["label_column"] = .string(spec.labelColumn)
            schema["lookback"] = .int(spec.lookback)
            schema["time_column"] = .optional(spec.timeColumn)
            summary.fields["schema"] = .object(schema)
        }
        summary.fields["categorical"] = categoricalFields(spec.categorical)
        return summary
    }

    func evaluate(_ model: TrainedModel, dataPath: String, options: TableOptions, threads: Int) throws -> Scoring {
        var o = options
        o.numericColumns = spec.columns
        o.textColumns = [spec.labelColumn] + spec.categorical.map(\.name)
        let table = try Table.load(path: dataPath, options: o)
        let set = SampleSet.windows(
            of: table, features: spec.columns, label: spec.labelColumn, lookback: spec.lookback,
            ends: 0 ..< table.rowCount, categorical: spec.categorical)
        let data = try SampleDataset(spec: spec.sample, set: set)
        return SampleScoring.classification(
            model.makePredictor(), labels: data.labels, set: data, classes: spec.sample.classes, threads: threads)
    }

    func rowPredictor(_ model: TrainedModel) throws -> any RowPredictor {
        SamplePredictor(
            spec: spec.sample, network: model.makePredictor(),
            input: RowInput(numeric: spec.columns, categorical: spec.categorical, time: spec.timeColumn, window: spec.lookback))
    }
}
