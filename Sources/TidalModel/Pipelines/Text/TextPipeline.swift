import Foundation
import TidalCore
import TidalData
import TidalNet

/// Text classification: each document's tokens through an embedding, a class per document.
struct TextPipeline: TaskPipeline {
    let spec: TextSpec
    /// Threads the evaluations and the test scoring run their batches on (`TaskPipeline.train` sets it).
    var threads = 1

    init(spec: TextSpec) { self.spec = spec }

    var schema: TaskSchema { .text(spec) }
    var task: TaskKind { .classify }
    var input: TaskInput { .text }

    // MARK: training

    /// Documents split by file order: the test part (a file or the last test fraction), then a
    /// validation part (the last `valFraction`, 10 % by default) that early stopping watches.
    static func prepare(_ plan: TrainingPlan, observer: TrainingObserver?) throws -> PreparedTask<TextPipeline> {
        let request = plan.request
        let textColumn = request.textColumn!
        guard let labelColumn = request.labelColumn else {
            throw DataError.unusable(source: request.dataPath, reason: "text classification needs --label COL")
        }
        var options = request.table
        if options.timeColumn == nil { options.timeColumn = "" }
        let all = try Documents.load(path: request.dataPath, textColumn: textColumn, labelColumn: labelColumn, options: options)
        var train = all, test: Documents?
        if let testPath = request.testPath {
            test = try Documents.load(path: testPath, textColumn: textColumn, labelColumn: labelColumn, options: options)
        } else if request.testFraction > 0 {
            let cut = Int((Double(all.count) * (1 - request.testFraction)).rounded(.down))
            test = all.slice(cut ..< all.count)
            train = all.slice(0 ..< cut)
        }
        let valFraction = request.valFraction > 0 ? request.valFraction : 0.1
        let cut = train.count - Int((Double(train.count) * valFraction).rounded(.down))
        let validation = train.slice(cut ..< train.count)
        train = train.slice(0 ..< cut)
        let classes = try trainingClasses(train.labels!, source: request.dataPath, what: "documents")
        let vocabulary = Vocabulary(
            building: train.texts.map(Tokenizer.tokens), maxSize: request.vocabularySize, minCount: request.minCount)
        let spec = TextSpec(
            textColumn: textColumn, labelColumn: labelColumn, classes: classes, vocabulary: vocabulary, maxLength: request.maxLength)
        let trainSet = try spec.dataset(train, source: request.dataPath)
        let validationSet = try spec.dataset(validation, source: request.dataPath)
        let testSet = try test.map { try spec.dataset($0, source: request.testPath ?? request.dataPath) }
        var training = plan.training
        if training.batchSize == 0 { training.batchSize = 32 }
        if training.patience == nil { training.patience = 3 }
        let description =
            "classify text \"\(textColumn)\": \(trainSet.count) training, \(validationSet.count) validation, "
            + "\(testSet?.count ?? 0) test documents; vocabulary \(vocabulary.count) tokens, \(classes.count) classes"
        return PreparedTask(
            pipeline: TextPipeline(spec: spec),
            architecture: plan.architecture(
                inputSize: request.embeddingDimension, outputSize: classes.count,
                vocabularySize: vocabulary.count),
            train: trainSet, validation: validationSet, test: testSet, training: training,
            objective: .classification(classes: classes.count), steps: request.maxLength, description: description,
            choices: nil,
            warning: missingClassesWarning(classes: classes, testLabels: test?.labels, part: testPartName(request, of: "documents")))
    }

    func evaluate(_ network: SequenceModel, on data: TextDataset) -> Evaluation {
        SampleScoring.evaluation(network, data, objective: .classification(classes: spec.classes.count), threads: threads)
    }

    func score(_ network: any SequencePredicting, _ prepared: PreparedTask<TextPipeline>) -> Scoring {
        guard let test = prepared.test else { return Scoring(test: nil) }
        return SampleScoring.classification(
            test: test.labels, predicted: SampleScoring.predictions(network, test, threads: threads).map(\.argmax),
            train: prepared.train.labels, classes: spec.classes)
    }

    // MARK: a trained model

    func mismatch(with a: ModelArchitecture) -> String? {
        let fits =
            spec.vocabulary.count == a.vocabularySize && spec.classes.count == a.outputSize
            && a.categoricalVocabularies.isEmpty && a.skipSteps == 0
        return SchemaCheck.first(
            SchemaCheck.within("vocabulary size", spec.vocabulary.count, 2 ... ModelLimits.vocabularySize),
            SchemaCheck.unique(spec.vocabulary.tokens, "vocabulary tokens"),
            SchemaCheck.within("maxLength", spec.maxLength, 1 ... ModelLimits.lookback),
            SchemaCheck.unique(spec.classes, "classes"), spec.classes.count >= 2 ? nil : "a classifier needs at least two classes",
            fits ? nil : "the text schema does not fit the architecture")
    }

    var summary: SchemaSummary {
        SchemaSummary(
            lines: [
                "schema: text column \"\(spec.textColumn)\", label column \"\(spec.labelColumn)\", vocabulary \(spec.vocabulary.count) "
                    + "tokens, "
                    + "up to \(spec.maxLength) tokens per document, classes \(spec.classes.joined(separator: ","))"
            ],
            fields: [
                "schema": [
                    "text_column": .string(spec.textColumn), "label_column": .string(spec.labelColumn),
                    "vocabulary_size": .int(spec.vocabulary.count), "max_length": .int(spec.maxLength),
                    "classes": .strings(spec.classes),
                ]
            ])
    }

    func evaluate(_ model: TrainedModel, dataPath: String, options: TableOptions, threads: Int) throws -> Scoring {
        var o = options
        o.timeColumn = o.timeColumn ?? ""
        let docs = try Documents.load(path: dataPath, textColumn: spec.textColumn, labelColumn: spec.labelColumn, options: o)
        let set = try spec.dataset(docs, source: dataPath)
        return SampleScoring.classification(model.makePredictor(), labels: set.labels, set: set, classes: spec.classes, threads: threads)
    }

    func rowPredictor(_ model: TrainedModel) throws -> any RowPredictor {
        TextPredictor(spec: spec, network: model.makePredictor())
    }
}

/// Classifies each row's document on its own.
final class TextPredictor: RowPredictor {
    let spec: TextSpec
    let network: any SequencePredicting
    private let batch = Batch()

    init(spec: TextSpec, network: any SequencePredicting) {
        self.spec = spec
        self.network = network
    }

    var input: RowInput { RowInput(text: [spec.textColumn]) }
    var columns: PredictionColumns { .classes(spec.classes) }

    func predict(_ window: RowWindow) -> [Float] {
        TextDataset(documents: [spec.encode(window.texts[0])], labels: [0]).fill([0], into: batch)
        return Array(UnsafeBufferPointer(start: network.predict(batch), count: spec.classes.count))
    }
}

extension TextSpec {
    /// Labelled documents as token ids.
    /// - Throws: `DataError.layout` naming the line of a label training never saw.
    func dataset(_ documents: Documents, source: String) throws -> TextDataset {
        let labels = try (documents.labels ?? []).enumerated().map { i, label -> Int32 in
            guard let c = classes.firstIndex(of: label) else {
                throw DataError.layout(
                    .init(source: source, line: documents.lines[i]),
                    reason: "label \"\(label)\" was not seen in training; the classes are \(classes.joined(separator: ", "))")
            }
            return Int32(c)
        }
        return TextDataset(documents: documents.texts.map(encode), labels: labels)
    }
}
