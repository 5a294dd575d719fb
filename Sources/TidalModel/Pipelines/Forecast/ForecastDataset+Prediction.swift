import TidalCore
import TidalData
import TidalNet

extension ForecastDataset {
    /// Predictions in original units, `[count, outputCount]` (row per origin), batches run on `threads` threads.
    package func predict(_ model: any SequencePredicting, threads: Int = 1) -> [Float] {
        predict(model, loss: nil, threads: threads).values
    }

    /// Predictions in original units and, with `loss`, the mean loss on the network's scale — from one
    /// forward pass. Every origin must have its complete targets when `loss` is given.
    ///
    /// With `threads` ≥ 2 the batches run that many at a time (`predictInBatches`); the figures are
    /// bit-identical for every thread count.
    package func predict(_ model: any SequencePredicting, loss: RegressionLoss?, threads: Int = 1) -> (values: [Float], meanLoss: Double) {
        let O = spec.outputCount, C = spec.columns.count
        var result = [Float](repeating: 0, count: count * O)
        var total = 0.0
        let scratch = FloatBuffer(capacity: spec.steps * spec.featureCount)
        raw.withUnsafeBufferPointer { r in
            result.withUnsafeMutableBufferPointer { out in
                predictInBatches(model, self, threads: threads) { indices, output, batch in
                    if let loss {
                        total +=
                            Double(loss.evaluate(prediction: output, target: batch.targets.pointer, count: batch.size * O, gradient: nil))
                            * Double(batch.size)
                    }
                    for (b, index) in indices.enumerated() {
                        let window = r.baseAddress! + (origins[index] - spec.lookback) * C
                        let stats = spec.prepareWindow(raw: window, into: scratch.pointer, stepStride: spec.featureCount)
                        spec.invert(output: output + b * O, raw: window, stats: stats, into: out.baseAddress! + index * O)
                    }
                }
            }
        }
        return (result, count > 0 ? total / Double(count) : 0)
    }
}

extension ForecastDataset {
    /// Loss on the network's scale and MAE in original units over the windows (every origin
    /// must have its complete targets), batches run on `threads` threads.
    package func evaluate(_ model: any SequencePredicting, loss: RegressionLoss, threads: Int = 1) -> Evaluation {
        guard count > 0 else { return Evaluation(loss: .nan, mae: .nan) }
        let (predicted, meanLoss) = predict(model, loss: loss, threads: threads)
        let actual = actuals()
        var mae = 0.0
        for i in predicted.indices { mae += abs(Double(predicted[i]) - Double(actual[i])) }
        return Evaluation(loss: meanLoss, mae: mae / Double(predicted.count))
    }
}
