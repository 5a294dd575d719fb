/// Forecast errors in original units, pooled over every test window, horizon step and target.
///
/// `MAE = mean|e|`, `RMSE = √mean e²`, `sMAPE = mean 200·|e| / (|y| + |ŷ|)` (a term with zero
/// denominator counts 0), `MASE = MAE / scale` with scale the training part's in-sample
/// seasonal-naive MAE (lag `season`, or 1) — the protocol of `bench/baselines.md`.
public struct ForecastMetrics: Sendable, Codable, Equatable {
    /// Mean absolute error.
    public var mae: Double
    /// Root mean squared error.
    public var rmse: Double
    /// Symmetric mean absolute percentage error, in percent (0 … 200).
    public var smape: Double
    /// Mean absolute scaled error; NaN when the scale is 0 or unknown.
    public var mase: Double

    /// Scores `predicted` against `actual`.
    /// - Parameters:
    ///   - actual: the true values.
    ///   - predicted: the forecasts, in the same order.
    ///   - scale: the MASE denominator (`scale(_:end:season:)`).
    /// - Precondition: both arrays have the same, non-zero length.
    public init(actual: [Double], predicted: [Double], scale: Double) {
        precondition(actual.count == predicted.count && !actual.isEmpty)
        var absSum = 0.0, sqSum = 0.0, smapeSum = 0.0
        for (y, p) in zip(actual, predicted) {
            let e = y - p
            absSum += abs(e)
            sqSum += e * e
            let denominator = abs(y) + abs(p)
            if denominator > 0 { smapeSum += 200 * abs(e) / denominator }
        }
        let n = Double(actual.count)
        mae = absSum / n
        rmse = (sqSum / n).squareRoot()
        smape = smapeSum / n
        mase = scale > 0 ? mae / scale : .nan
    }

    /// The in-sample seasonal-naive MAE of `series[0 ..< end]` at lag `season` (1 = naive).
    public static func scale(_ series: [Double], end: Int, season: Int) -> Double {
        let m = max(1, season)
        guard end > m else { return .nan }
        var sum = 0.0
        for t in m ..< end { sum += abs(series[t] - series[t - m]) }
        return sum / Double(end - m)
    }
}

/// Classification scores: accuracy, macro-F1, per-class precision and recall, confusion matrix.
public struct ClassificationMetrics: Sendable, Codable, Equatable {
    /// Fraction of samples classified correctly; NaN for none.
    public var accuracy: Double
    /// Mean F1 over the classes present in the labels or the predictions (scikit-learn's `f1_score(average="macro")`).
    public var macroF1: Double
    /// Per class: correct predictions of the class over all predictions of it (0 when never predicted).
    public var precision: [Double]
    /// Per class: correct predictions of the class over all its samples (0 when absent).
    public var recall: [Double]
    /// `confusion[actual][predicted]` counts.
    public var confusion: [[Int]]

    /// Scores `predicted` class indices against `actual` ones, each in `0 ..< classes`.
    public init(actual: [Int], predicted: [Int], classes: Int) {
        var confusion = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        for (a, p) in zip(actual, predicted) { confusion[a][p] += 1 }
        self.confusion = confusion
        accuracy = actual.isEmpty ? .nan : Double(zip(actual, predicted).filter { $0 == $1 }.count) / Double(actual.count)
        precision = (0 ..< classes).map { c in
            let predictedC = (0 ..< classes).reduce(0) { $0 + confusion[$1][c] }
            return predictedC > 0 ? Double(confusion[c][c]) / Double(predictedC) : 0
        }
        recall = (0 ..< classes).map { c in
            let actualC = confusion[c].reduce(0, +)
            return actualC > 0 ? Double(confusion[c][c]) / Double(actualC) : 0
        }
        // Macro-F1 over the classes present in the actual labels or the predictions (sklearn's
        // labels = union), F1 = 0 where precision + recall = 0.
        var f1s: [Double] = []
        for c in 0 ..< classes {
            let present = confusion[c].reduce(0, +) > 0 || (0 ..< classes).contains { confusion[$0][c] > 0 }
            guard present else { continue }
            let p = precision[c], r = recall[c]
            f1s.append(p + r > 0 ? 2 * p * r / (p + r) : 0)
        }
        macroF1 = f1s.isEmpty ? .nan : f1s.reduce(0, +) / Double(f1s.count)
    }
}

/// Forecast errors of many series (the panel protocol of `bench/baselines.md`): every series
/// scored on its own, the headline the mean MASE over series (M4's average), also the median,
/// with MAE, RMSE and sMAPE pooled over every error of every series.
public struct SeriesMetrics: Sendable, Equatable {
    /// One series' figures.
    public struct Series: Sendable, Equatable {
        /// The series id.
        public var name: String
        /// Its errors pooled over its origins and horizon steps; MASE with its own scale.
        public var metrics: ForecastMetrics
        /// Forecast origins scored.
        public var origins: Int
    }

    /// Each scored series, in the table's order of first appearance.
    public var series: [Series]
    /// Errors pooled over every series (its MASE is NaN: there is no common scale).
    public var pooled: ForecastMetrics
    /// Mean MASE over the series with a known scale; NaN when none has one.
    public var meanMASE: Double
    /// Median MASE over the same series.
    public var medianMASE: Double

    /// Figures from each series' and the pooled (actual, predicted) pairs.
    /// - Precondition: `pooled` is not empty.
    public init(series: [Series], pooled: [(Double, Double)]) {
        self.series = series
        self.pooled = ForecastMetrics(actual: pooled.map(\.0), predicted: pooled.map(\.1), scale: .nan)
        (meanMASE, medianMASE) = Self.meanAndMedian(series.map(\.metrics.mase))
    }

    /// The mean and median of the known (not NaN) per-series MASEs; NaN for none.
    public static func meanAndMedian(_ mases: [Double]) -> (mean: Double, median: Double) {
        let m = mases.filter { !$0.isNaN }.sorted()
        guard !m.isEmpty else { return (.nan, .nan) }
        return (m.reduce(0, +) / Double(m.count), m.count % 2 == 1 ? m[m.count / 2] : (m[m.count / 2 - 1] + m[m.count / 2]) / 2)
    }

    /// How many series `self` has a lower MASE on than `other` (matched by name).
    public func better(than other: SeriesMetrics) -> Int {
        let theirs = Dictionary(other.series.map { ($0.name, $0.metrics.mase) }, uniquingKeysWith: { a, _ in a })
        return series.filter { s in theirs[s.name].map { s.metrics.mase < $0 } ?? false }.count
    }
}
