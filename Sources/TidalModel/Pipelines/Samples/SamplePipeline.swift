import Foundation
import TidalCore
import TidalData
import TidalNet

/// Whole samples (UCR rows or long-format samples): a class, or one number, per sample.
struct SamplePipeline: TaskPipeline {
    let spec: SampleSpec
    var loss: RegressionLoss = .mse
    /// Threads the evaluations and the test scoring run their batches on (`TaskPipeline.train` sets it).
    var threads = 1

    init(spec: SampleSpec) { self.spec = spec }

    var schema: TaskSchema { .samples(spec) }
    var task: TaskKind { spec.isRegression ? .regress : .classify }
    var input: TaskInput { .samples }
    var objective: Objective { spec.isRegression ? .regression(loss) : .classification(classes: spec.classes.count) }

    // MARK: training

    static func prepare(_ plan: TrainingPlan, observer: TrainingObserver?) throws -> PreparedTask<SamplePipeline> {
        let request = plan.request
        let (trainSet, validationSet, testSet) = try split(plan)
        let classify = plan.task == .classify
        var classes: [String] = []
        var targetShift = 0.0, targetScale = 1.0
        if classify {
            classes = try trainingClasses(trainSet.labels, source: request.dataPath, what: "samples")
        } else {
            var stats = RunningStatistics()
            for (i, label) in trainSet.labels.enumerated() {
                guard let v = Double(label) else {
                    throw DataError.layout(
                        .init(source: trainSet.source, line: trainSet.lines[i], column: 1),
                        reason: "regression target \"\(label)\" is not a number")
                }
                stats.add(v)
            }
            targetShift = stats.mean
            let s = stats.populationVariance.squareRoot()
            targetScale = s > 1e-12 ? s : 1
        }
        var channelStats = Array(repeating: RunningStatistics(), count: trainSet.channels)
        for (i, v) in trainSet.values.enumerated() { channelStats[i % trainSet.channels].add(Double(v)) }
        var spec = SampleSpec(
            layout: request.format == .ucr ? .ucr : .long, channels: trainSet.channels, classes: classes,
            normalizer: Normalizer(kind: normalizerKind(request.scaling), statistics: channelStats),
            targetShift: targetShift, targetScale: targetScale, maxLength: trainSet.maxLength,
            patch: request.patch ?? SampleSpec.automaticPatch(length: trainSet.maxLength))
        var patchNote = ""
        if request.patch == nil, request.choosesPatch, classify,
            let (patch, note) = try PatchSearch(plan: plan, spec: spec, set: trainSet, observer: observer).run()
        {
            spec.patch = patch
            patchNote = "; " + note
        }
        var pipeline = SamplePipeline(spec: spec)
        pipeline.loss = request.loss
        let train = try SampleDataset(spec: spec, set: trainSet)
        let description =
            "\(plan.task.rawValue): \(train.count) training, \(validationSet?.count ?? 0) validation, \(testSet?.count ?? 0) test samples; "
            + "\(spec.channels) channel(s), length up to \(spec.maxLength), patch \(spec.patch)"
            + (classify ? ", \(classes.count) classes" : "") + patchNote
        return PreparedTask(
            pipeline: pipeline, architecture: architecture(plan, spec: spec), train: train,
            validation: try validationSet.map { try SampleDataset(spec: spec, set: $0) },
            test: try testSet.map { try SampleDataset(spec: spec, set: $0) },
            training: training(plan, count: train.count), objective: pipeline.objective, steps: spec.steps,
            description: description, choices: nil,
            warning: classify
                ? missingClassesWarning(classes: classes, testLabels: testSet?.labels, part: testPartName(request, of: "samples")) : nil)
    }

    /// The training, validation and test samples: a separate test file or the last test
    /// fraction, then the last validation fraction of what is left.
    static func split(_ plan: TrainingPlan) throws -> (train: SampleSet, validation: SampleSet?, test: SampleSet?) {
        let request = plan.request
        let all = try SampleSet.load(path: request.dataPath, format: request.format, hasHeader: request.table.hasHeader)
        var trainSet = all, testSet: SampleSet?
        if let testPath = request.testPath {
            let test = try SampleSet.load(path: testPath, format: request.format, hasHeader: request.table.hasHeader)
            if test.channels != all.channels {
                throw DataError.unusable(source: testPath, reason: "\(test.channels) channels, but the training file has \(all.channels)")
            }
            testSet = test
        } else if request.testFraction > 0 {
            let cut = Int((Double(all.count) * (1 - request.testFraction)).rounded(.down))
            trainSet = all.subset(0 ..< cut)
            testSet = all.subset(cut ..< all.count)
        }
        var validationSet: SampleSet?
        if request.valFraction > 0 {
            let cut = trainSet.count - Int((Double(trainSet.count) * request.valFraction).rounded(.down))
            validationSet = trainSet.subset(cut ..< trainSet.count)
            trainSet = trainSet.subset(0 ..< cut)
        }
        guard trainSet.count > 0 else {
            throw TrainingError.noSamples(part: "training", reason: "\(request.dataPath) has no samples left for training")
        }
        return (trainSet, validationSet, testSet)
    }

    /// The training settings for `count` whole samples: unless given, the batch grows with the set (8 to 32).
    static func training(_ plan: TrainingPlan, count: Int) -> TrainingConfiguration {
        var training = plan.training
        if training.batchSize == 0 { training.batchSize = min(32, max(8, count / 8)) }
        return training
    }

    /// The network for whole samples under `spec`.
    static func architecture(_ plan: TrainingPlan, spec: SampleSpec, categorical: [CategoricalColumn] = []) -> ModelArchitecture {
        plan.architecture(
            inputSize: spec.stepFeatures, outputSize: plan.task == .classify ? spec.classes.count : 1, categorical: categorical)
    }

    func evaluate(_ network: SequenceModel, on data: SampleDataset) -> Evaluation {
        SampleScoring.evaluation(network, data, objective: objective, targetScale: spec.targetScale, threads: threads)
    }

    func score(_ network: any SequencePredicting, _ prepared: PreparedTask<SamplePipeline>) -> Scoring {
        guard let test = prepared.test else { return Scoring(test: nil) }
        let outputs = SampleScoring.predictions(network, test, threads: threads)
        if !spec.isRegression {
            return SampleScoring.classification(
                test: test.labels, predicted: outputs.map(\.argmax), train: prepared.train.labels,
                classes: spec.classes)
        }
        let actual = test.targets.map(spec.originalTarget)
        let m = ForecastMetrics(actual: actual, predicted: outputs.map { spec.originalTarget($0.values[0]) }, scale: 1)
        let mean = ForecastMetrics(actual: actual, predicted: Array(repeating: spec.targetShift, count: actual.count), scale: 1)
        return Scoring(
            test: MetricsReport.Scores(mae: m.mae, rmse: m.rmse),
            baselines: ["train_mean": MetricsReport.Scores(mae: mean.mae, rmse: mean.rmse)],
            final: ["mae": m.mae, "rmse": m.rmse])
    }

    // MARK: a trained model

    func mismatch(with a: ModelArchitecture) -> String? {
        // The sizes first: within their limits, `stepFeatures` (patch × channels) cannot overflow.
        if let problem = Self.problem(spec) { return problem }
        let fits =
            spec.layout != .window && spec.stepFeatures == a.inputSize && a.vocabularySize == 0
            && a.categoricalVocabularies.isEmpty && spec.outputCount == a.outputSize && a.skipSteps == 0
        return SchemaCheck.first(Self.problem(spec), fits ? nil : "the sample schema does not fit the architecture")
    }

    /// Why a sample spec cannot be used whatever the network: sizes, scaling, classes.
    static func problem(_ spec: SampleSpec) -> String? {
        SchemaCheck.first(
            SchemaCheck.within("channels", spec.channels, 1 ... ModelLimits.inputSize),
            SchemaCheck.within("maxLength", spec.maxLength, 1 ... ModelLimits.lookback),
            SchemaCheck.within("patch", spec.patch, 1 ... ModelLimits.lookback),
            SchemaCheck.unique(spec.classes, "classes", allowEmpty: true),
            spec.classes.count == 1 ? "a classifier needs at least two classes" : nil,
            SchemaCheck.normalizer(spec.normalizer, columns: spec.channels),
            spec.targetShift.isFinite && spec.targetScale.isFinite && spec.targetScale > 0
                ? nil : "the target scaling is not finite and positive")
    }

    var summary: SchemaSummary { Self.summary(spec) }

    /// The summary of a sample spec (also the core of a series-window spec's).
    static func summary(_ spec: SampleSpec) -> SchemaSummary {
        let n = spec.normalizer
        let kind = spec.isRegression ? ", regression" : ", classes \(spec.classes.joined(separator: ","))"
        let scaling =
            "scaling: \(n.kind.rawValue) ("
            + zip(n.shift, n.scale).enumerated()
            .map { "ch\($0): shift \(formatNumber($1.0)), scale \(formatNumber($1.1))" }.joined(separator: "; ") + ")"
        return SchemaSummary(
            lines: [
                "schema: \(spec.layout.rawValue) layout, \(spec.channels) channel(s), samples up to \(spec.maxLength) steps"
                    + ", patch \(spec.patch)" + kind, scaling,
            ],
            fields: [
                "schema": [
                    "layout": .string(spec.layout.rawValue), "channels": .int(spec.channels),
                    "classes": .strings(spec.classes), "max_length": .int(spec.maxLength), "patch": .int(spec.patch),
                ],
                "normalizer": ["kind": .string(n.kind.rawValue), "shift": .numbers(n.shift), "scale": .numbers(n.scale)],
            ])
    }

    func evaluate(_ model: TrainedModel, dataPath: String, options: TableOptions, threads: Int) throws -> Scoring {
        let set = try SampleSet.load(path: dataPath, format: spec.layout == .long ? .long : .ucr, hasHeader: options.hasHeader)
        let data = try SampleDataset(spec: spec, set: set)
        let network = model.makePredictor()
        if !spec.isRegression {
            return SampleScoring.classification(network, labels: data.labels, set: data, classes: spec.classes, threads: threads)
        }
        let outputs = SampleScoring.predictions(network, data, threads: threads)
        let actual = data.targets.map(spec.originalTarget)
        let m = ForecastMetrics(actual: actual, predicted: outputs.map { spec.originalTarget($0.values[0]) }, scale: 1)
        let mean = ForecastMetrics(actual: actual, predicted: Array(repeating: spec.targetShift, count: actual.count), scale: 1)
        return Scoring(
            test: MetricsReport.Scores(mae: m.mae, rmse: m.rmse),
            baselines: ["train_mean": MetricsReport.Scores(mae: mean.mae, rmse: mean.rmse)])
    }

    func rowPredictor(_ model: TrainedModel) throws -> any RowPredictor {
        guard spec.layout == .ucr else {
            throw ModelUseError.notReplayable(
                reason: "replay reads one sample per row (UCR layout); this model reads the long layout "
                    + "— use `tidal evaluate` on whole files")
        }
        return SamplePredictor(spec: spec, network: model.makePredictor(), input: RowInput(wideSample: true))
    }
}

/// Predicts one whole sample per row (UCR rows), or one window of a labelled series.
final class SamplePredictor: RowPredictor {
    let spec: SampleSpec
    let network: any SequencePredicting
    let input: RowInput
    private let batch = Batch()

    init(spec: SampleSpec, network: any SequencePredicting, input: RowInput) {
        self.spec = spec
        self.network = network
        self.input = input
    }

    var columns: PredictionColumns { spec.isRegression ? .values(["prediction"]) : .classes(spec.classes) }

    func predict(_ window: RowWindow) -> [Float] {
        if input.wideSample {
            window.sample.withUnsafeBufferPointer {
                spec.fillOne($0.baseAddress!, codes: nil, categoryCount: 0, length: $0.count, into: batch)
            }
        } else {
            let K = input.categorical.count
            spec.fillOne(
                window.numbers.baseAddress!, codes: K > 0 ? window.codes.baseAddress! : nil, categoryCount: K,
                length: input.window, into: batch)
        }
        let out = network.predict(batch)
        if spec.isRegression { return [Float(spec.originalTarget(out[0]))] }
        return Array(UnsafeBufferPointer(start: out, count: spec.classes.count))
    }
}

extension SampleSpec {
    /// A regression output (or scaled target) in original units.
    func originalTarget(_ v: Float) -> Double { Double(v) * targetScale + targetShift }
}

/// The class names of the training labels, in first-seen order.
/// - Throws: `DataError.unusable` when they hold fewer than two classes.
func trainingClasses(_ labels: [String], source: String, what: String) throws -> [String] {
    let classes = ClassLabels(collecting: labels).names
    if classes.count < 2 {
        throw DataError.unusable(
            source: source,
            reason: "the training \(what) hold only one class (\"\(classes.first ?? "")\"); "
                + "classification needs at least two")
    }
    return classes
}

/// The warning for a test part that lacks classes the training part has, naming them; nil when
/// every training class occurs in `testLabels`, or there is no test part.
///
/// Such a test part scores the model on the other classes only: macro-F1 averages over the classes
/// present (`ClassificationMetrics`), and the majority baseline scores 0 when its class is missing.
/// - Parameters:
///   - classes: the training classes.
///   - testLabels: the test part's labels (nil or empty: no test part).
///   - part: the test part as the user knows it, e.g. `the test file GunPoint_TEST.csv`.
func missingClassesWarning(classes: [String], testLabels: [String]?, part: String) -> String? {
    guard let testLabels, !testLabels.isEmpty else { return nil }
    let present = Set(testLabels)
    let missing = classes.filter { !present.contains($0) }
    guard !missing.isEmpty else { return nil }
    let names = missing.map { "\"\($0)\"" }.joined(separator: ", ")
    return "\(part) holds no \(missing.count == 1 ? "class" : "classes") \(names) of the training part: its scores cover "
        + "the other classes only (macro-F1 averages over the classes present)"
}

/// How a test part is named in warnings: the `--test` file, or the last `--test-fraction` of the
/// `what` (samples, rows, documents).
func testPartName(_ request: TrainingRequest, of what: String) -> String {
    request.testPath.map { "the test file \($0)" } ?? "the test part (the last --test-fraction of the \(what))"
}

/// The global normalizer for a scaling flag (z-scores by default).
func normalizerKind(_ scaling: Scaling?) -> Normalizer.Kind {
    switch scaling ?? .zscore {
    case .minmax: return .minmax
    case .none: return .none
    case .zscore, .window: return .zscore
    }
}
