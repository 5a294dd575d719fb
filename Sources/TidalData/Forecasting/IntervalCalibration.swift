/// Conformal prediction intervals for a forecaster (split conformal, normalised by each window's scale).
///
/// Calibration keeps, per output (target and horizon step), the sorted nonconformity scores
/// `|y − ŷ| / s` of forecasts the model's training procedure made on rows it was not fitted on,
/// where `s` is the window's own scale: the mean absolute one-step change of the target over the
/// window (`windowScale`). The level-`L` interval after a window is `ŷ ± q·s`, with `q` the
/// empirical `L`-quantile of the `n` scores, interpolated linearly (NumPy's default). Split
/// conformal's finite-sample rank `⌈(n + 1)·L⌉` guarantees at least `L` coverage but
/// over-covers on the short series typical here (tens of held-out windows): measured over seven
/// series at H = 1, the mean gap to nominal coverage at 80 % was 8.6 points with it and 6.1 with
/// the interpolated quantile. Dividing by `s` lets one calibration serve a series whose level
/// and swings grow (airline), and the series of a many-series model at their own scales.
///
/// A quantile forecaster (`--quantiles`) is calibrated by conformalised quantile regression
/// (Romano, Patterson & Candès, "Conformalized Quantile Regression", NeurIPS 2019): for level
/// `L = 1 − α` it takes the quantile pair `pair(for:in:)` picks — `(α/2, 1 − α/2)` when the model
/// has both — scores each held-out window by `max(q_lo − y, y − q_hi) / s` (negative inside the
/// band), and widens (or narrows) the band to `[q_lo − Q·s, q_hi + Q·s]` with `Q` the same
/// interpolated `L`-quantile of those scores (`pairs`). A level whose pair holds no scores (an
/// `--alert` level that was not calibrated and needs another pair) falls back to the symmetric
/// interval around the median from `scores`, which a quantile model keeps too.
public struct IntervalCalibration: Sendable, Codable, Equatable {
    /// The levels, in percent, written beside every forecast (`value_h1_lo80`, …).
    public var levels: [Double]
    /// Per output (target-major, then horizon step): the sorted scores `|y − ŷ| / s`.
    public var scores: [[Float]]
    /// Conformalised quantile regression: the quantile pairs the levels use, each with its sorted
    /// scores per output; nil for a point model (files written before quantile heads hold none).
    public var pairs: [QuantilePair]?

    /// One quantile pair's calibration: its levels (values of the model's quantile list) and per
    /// output the sorted scores `max(q_lo − y, y − q_hi) / s`.
    public struct QuantilePair: Sendable, Codable, Equatable {
        /// The lower quantile level τ_lo.
        public var lower: Double
        /// The upper quantile level τ_hi.
        public var upper: Double
        /// Per output: the sorted scores.
        public var scores: [[Float]]

        /// A pair's calibration from unsorted scores per output (non-finite ones are dropped).
        public init(lower: Double, upper: Double, scores: [[Float]]) {
            self.lower = lower
            self.upper = upper
            self.scores = scores.map { $0.filter(\.isFinite).sorted() }
        }
    }

    /// A calibration for `levels` from unsorted `scores` per output.
    public init(levels: [Double], scores: [[Float]]) {
        self.levels = levels
        self.scores = scores.map { $0.filter(\.isFinite).sorted() }
    }

    /// The calibration residuals per output.
    public var count: Int { scores.map(\.count).min() ?? 0 }

    /// The quantile of output `o`'s scores at `level` percent (linear interpolation between order statistics).
    public func quantile(_ level: Double, output o: Int) -> Float { Self.quantile(level, of: scores[o]) }

    /// The quantile of sorted scores `s` at `level` percent (linear interpolation between order
    /// statistics, NumPy's default); NaN when `s` is empty.
    public static func quantile(_ level: Double, of s: [Float]) -> Float {
        guard !s.isEmpty else { return .nan }
        let position = Double(s.count - 1) * level / 100
        let low = Int(position.rounded(.down)), high = min(low + 1, s.count - 1)
        let f = Float(position - Double(low))
        return s[low] * (1 - f) + s[high] * f
    }

    /// The scale of a window: the mean absolute one-step change of column `c` over its rows
    /// (`raw` row-major, `columns` wide, `rows` rows); 1 for a flat window.
    public static func windowScale(_ raw: UnsafePointer<Float>, rows: Int, column c: Int, columns C: Int) -> Float {
        guard rows > 1 else { return 1 }
        var sum = 0.0, level = 0.0
        for t in 1 ..< rows {
            sum += abs(Double(raw[t * C + c]) - Double(raw[(t - 1) * C + c]))
            level += abs(Double(raw[t * C + c]))
        }
        let scale = sum / Double(rows - 1)
        return scale > 1e-9 * max(1, level / Double(rows - 1)) ? Float(scale) : 1
    }

    /// Output names for `outputNames`: each forecast, then its `lo<L>` and `hi<L>` bounds per level.
    public func names(_ outputNames: [String]) -> [String] { outputNames.flatMap { [$0] + boundNames($0) } }

    /// The bound columns of one output: `<name>_lo<L>`, `<name>_hi<L>` per level.
    public func boundNames(_ name: String) -> [String] {
        levels.flatMap { l in ["\(name)_lo\(Self.label(l))", "\(name)_hi\(Self.label(l))"] }
    }

    /// The indices of the quantile pair a level-`level` interval is built on, from the sorted
    /// quantile levels `quantiles`: the largest at or below `α/2` (else the smallest) and the
    /// smallest at or above `1 − α/2` (else the largest), `α = 1 − level/100` — the exact pair
    /// when the model has it, else the nearest pair around it, else the widest it has. Nil with
    /// fewer than two quantiles.
    public static func pair(for level: Double, in quantiles: [Double]) -> (lower: Int, upper: Int)? {
        guard quantiles.count >= 2 else { return nil }
        let alpha = 1 - level / 100, tolerance = 1e-9
        let lower = quantiles.lastIndex { $0 <= alpha / 2 + tolerance } ?? 0
        let upper = quantiles.firstIndex { $0 >= 1 - alpha / 2 - tolerance } ?? quantiles.count - 1
        return lower < upper ? (lower, upper) : nil
    }

    /// The level-`level` interval of output `o`.
    /// - Parameters:
    ///   - point: the point forecast (the median of a quantile model).
    ///   - quantiles: the output's quantile values, in `quantileLevels` order (empty for a point model).
    ///   - quantileLevels: the model's sorted quantile levels.
    ///   - scale: the window's scale `s` (`windowScale`).
    /// - Returns: `[q_lo − Q·s, q_hi + Q·s]` when the level's quantile pair is calibrated (a band that
    ///   a negative `Q` would turn inside out collapses to its midpoint), else `point ± q·s`.
    public func bounds(
        _ level: Double, output o: Int, point: Float, quantiles: ArraySlice<Float>, quantileLevels: [Double], scale: Float
    ) -> (lo: Float, hi: Float) {
        if let pairs, let (i, j) = Self.pair(for: level, in: quantileLevels),
            let pair = pairs.first(where: { $0.lower == quantileLevels[i] && $0.upper == quantileLevels[j] })
        {
            let q = Self.quantile(level, of: pair.scores[o]) * scale
            let base = quantiles.startIndex
            let lo = quantiles[base + i] - q, hi = quantiles[base + j] + q
            return lo <= hi ? (lo, hi) : ((lo + hi) / 2, (lo + hi) / 2)
        }
        let half = quantile(level, output: o) * scale
        return (point - half, point + half)
    }

    /// `80` for 80.0, `99.5` for 99.5.
    public static func label(_ level: Double) -> String { level == level.rounded() ? "\(Int(level))" : "\(level)" }
}
