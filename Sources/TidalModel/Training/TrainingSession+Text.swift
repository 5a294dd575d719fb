import Foundation
import TidalCore
import TidalData
import TidalNet

extension TrainingSession {
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
            (scores, baselines, final) = classificationScores(test: testSet.labels, predicted: samplePredictions(network, testSet).map(\.argmax),
                                                              train: trainSet.labels, classes: classes)
        }
        let report = makeReport(task: .classify, cell: request.cell, result: result, test: scores, baselines: baselines,
                                parameters: network.parameterCount, choices: nil)
        let model = TrainedModel(task: .classify, architecture: architecture, forecast: nil, samples: nil, text: spec, network: network,
                                 metadata: metadata(request, result: result, metrics: final))
        return TrainingOutcome(model: model, result: result, report: report, forecastCurves: [:], testTimes: nil)
    }
}
