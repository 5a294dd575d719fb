import TidalCore
import TidalData
import TidalNet

/// A dataset's forecasts in original units: the point forecasts `[count, outputCount]` (row per
/// origin) and, for a quantile model, every quantile `[count, outputCount × Q]` (empty for a point model).
package struct DatasetForecasts: Sendable {
    /// Point forecasts (a quantile model's median), `[count, outputCount]`.
    package var values: [Float]
    /// Quantile values, `[count, outputCount × Q]`, value `o`'s quantile `j` at `o · Q + j` within a row.
    package var quantiles: [Float]
    /// The mean loss on the network's scale, when asked for.
    package var meanLoss: Double
}

extension ForecastDataset {
    /// Predictions in original units, `[count, outputCount]` (row per origin), batches run on `threads` threads.
    package func predict(_ model: any SequencePredicting, threads: Int = 1) -> [Float] {
        forecasts(model, loss: nil, threads: threads).values
    }

    /// Predictions in original units (points and quantiles) and, with `loss`, the mean loss on the
    /// network's scale — from one forward pass. Every origin must have its complete targets when
    /// `loss` is given.
    ///
    /// With `threads` ≥ 2 the batches run that many at a time (`predictInBatches`); the figures are
    /// bit-identical for every thread count.
    package func forecasts(_ model: any SequencePredicting, loss: Objective?, threads: Int = 1) -> DatasetForecasts {
        let O = spec.outputCount, C = spec.columns.count, Q = spec.quantiles.count, N = spec.networkOutputCount
        var result = [Float](repeating: 0, count: count * O)
        var quantiles = [Float](repeating: 0, count: count * O * Q)
        var total = 0.0
        let scratch = FloatBuffer(capacity: spec.steps * spec.featureCount)
        raw.withUnsafeBufferPointer { r in
            result.withUnsafeMutableBufferPointer { out in
                quantiles.withUnsafeMutableBufferPointer { qs in
                    predictInBatches(model, self, threads: threads) { indices, output, batch in
                        if let loss {
                            total +=
                                Double(
                                    loss.valueLoss(prediction: output, target: batch.targets.pointer, count: batch.size * O, gradient: nil))
                                * Double(batch.size)
                        }
                        for (b, index) in indices.enumerated() {
                            let window = r.baseAddress! + (origins[index] - spec.lookback) * C
                            let stats = spec.prepareWindow(raw: window, into: scratch.pointer, stepStride: spec.featureCount)
                            spec.invertAll(
                                output: output + b * N, raw: window, stats: stats, values: out.baseAddress! + index * O,
                                quantiles: Q > 0 ? qs.baseAddress! + index * O * Q : nil)
                        }
                    }
                }
            }
        }
        return DatasetForecasts(values: result, quantiles: quantiles, meanLoss: count > 0 ? total / Double(count) : 0)
    }
}

extension ForecastDataset {
    /// Loss on the network's scale (`loss`: a regression or quantile objective) and MAE in
    /// original units of the point forecasts over the windows (every origin must have its complete
    /// targets), batches run on `threads` threads.
    package func evaluate(_ model: any SequencePredicting, loss: Objective, threads: Int = 1) -> Evaluation {
        guard count > 0 else { return Evaluation(loss: .nan, mae: .nan) }
        let forecasts = forecasts(model, loss: loss, threads: threads)
        let predicted = forecasts.values
        let actual = actuals()
        var mae = 0.0
        for i in predicted.indices { mae += abs(Double(predicted[i]) - Double(actual[i])) }
        return Evaluation(loss: forecasts.meanLoss, mae: mae / Double(predicted.count))
    }
}
