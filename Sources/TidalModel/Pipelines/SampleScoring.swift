import TidalCore
import TidalData
import TidalNet

/// Predictions and scores over whole samples, shared by the sample, window and text pipelines.
enum SampleScoring {
    /// One sample's network outputs and the index of the largest.
    struct Output { var values: [Float]; var argmax: Int }

    /// The network's outputs for every sample, in order (batches on `threads` threads, the same figures for any count).
    static func predictions(_ model: any SequencePredicting, _ set: any SampleSource, threads: Int = 1) -> [Output] {
        let O = model.architecture.outputSize
        var out = [Output](repeating: Output(values: [], argmax: 0), count: set.count)
        predictInBatches(model, set, batchSize: 64, threads: threads) { indices, output, _ in
            for (b, i) in indices.enumerated() {
                let row = Array(UnsafeBufferPointer(start: output + b * O, count: O))
                out[i] = Output(values: row, argmax: argmax(output + b * O, O))
            }
        }
        return out
    }

    /// Mean loss, and accuracy (classification) or MAE in original units (regression, `targetScale` per unit).
    static func evaluation(
        _ model: any SequencePredicting, _ set: any SampleSource, objective: Objective, targetScale: Double = 1, threads: Int = 1
    ) -> Evaluation {
        var total = 0.0, correct = 0, absError = 0.0
        predictInBatches(model, set, batchSize: 64, threads: threads) { _, output, batch in
            switch objective {
            case let .classification(classes):
                let loss = batch.labels.withUnsafeBufferPointer {
                    CrossEntropy.evaluate(
                        logits: output, labels: $0.baseAddress!, batch: batch.size, classes: classes,
                        probabilities: nil, gradient: nil)
                }
                total += Double(loss) * Double(batch.size)
                for b in 0 ..< batch.size where argmax(output + b * classes, classes) == Int(batch.labels[b]) { correct += 1 }
            case .regression, .quantiles:
                let targets = batch.targets.pointer
                total +=
                    Double(objective.valueLoss(prediction: output, target: targets, count: batch.size, gradient: nil)) * Double(batch.size)
                for b in 0 ..< batch.size { absError += abs(Double(output[b] - targets[b])) * targetScale }
            }
        }
        let n = Double(set.count)
        if case .classification = objective { return Evaluation(loss: total / n, accuracy: Double(correct) / n) }
        return Evaluation(loss: total / n, mae: absError / n)
    }

    /// Test scores of a classifier and the majority-class baseline (the most frequent training class)
    /// on the same test samples, plus the figures kept in the model's metadata.
    static func classification(test: [Int32], predicted: [Int], train: [Int32], classes: [String]) -> Scoring {
        let actual = test.map(Int.init)
        let metrics = ClassificationMetrics(actual: actual, predicted: predicted, classes: classes.count)
        let counts = (0 ..< classes.count).map { c in train.filter { $0 == c }.count }
        let majority = counts.indices.max { counts[$0] < counts[$1] }!
        let baseline = ClassificationMetrics(
            actual: actual, predicted: Array(repeating: majority, count: actual.count),
            classes: classes.count)
        return Scoring(
            test: .init(metrics, classes: classes), baselines: ["majority": .init(baseline, classes: classes)],
            final: ["accuracy": metrics.accuracy, "macro_f1": metrics.macroF1])
    }

    /// Scores of a classifier on labelled samples, without baselines (`evaluate` on a new file).
    static func classification(
        _ model: any SequencePredicting, labels: [Int32], set: any SampleSource, classes: [String], threads: Int = 1
    ) -> Scoring {
        let predicted = predictions(model, set, threads: threads).map(\.argmax)
        let m = ClassificationMetrics(actual: labels.map(Int.init), predicted: predicted, classes: classes.count)
        return Scoring(test: .init(m, classes: classes))
    }
}
