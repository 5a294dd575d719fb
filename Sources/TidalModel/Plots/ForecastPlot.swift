/// What `forecast.svg` shows: for one series, or a few of many, the tail of the history before
/// the scored part, the actual values, the one-step forecasts, the baselines and, for a
/// calibrated model, the interval bands. Built by the forecasting pipeline; drawn by `FanChart`.
public struct ForecastPlot: Sendable, Equatable {
    /// A baseline's one-step forecasts, aligned with `Panel.actual`.
    public struct Baseline: Sendable, Equatable {
        /// `naive`, `seasonal naive`.
        public var name: String
        /// NaN where the baseline has no forecast.
        public var values: [Double]

        /// A baseline's values.
        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    /// A conformal interval at one level, aligned with `Panel.actual` (NaN outside the scored part).
    public struct Band: Sendable, Equatable {
        /// The level in percent (80, 95).
        public var level: Double
        /// Lower bounds.
        public var lower: [Double]
        /// Upper bounds.
        public var upper: [Double]

        /// A band.
        public init(level: Double, lower: [Double], upper: [Double]) {
            self.level = level
            self.lower = lower
            self.upper = upper
        }
    }

    /// One series' rows: a history tail, then the scored rows.
    public struct Panel: Sendable, Equatable {
        /// The series id ("" for a file of one series).
        public var series: String
        /// Why this series is shown (`best`, `median`, `worst` by MASE), nil when all are shown.
        public var role: String?
        /// The series' test MASE, when known.
        public var mase: Double?
        /// The series-local row number of the first row shown.
        public var firstRow: Int
        /// The time-column text of each row shown, when the data have a time column.
        public var times: [String]?
        /// The actual first-target value of each row shown.
        public var actual: [Double]
        /// Index into `actual` of the first scored row (rows before it are history).
        public var scoredStart: Int
        /// The model's one-step forecast of each row (NaN where none).
        public var forecast: [Double]
        /// The baselines' one-step forecasts.
        public var baselines: [Baseline]
        /// Interval bands, widest level last.
        public var bands: [Band]

        /// A panel from its parts.
        public init(
            series: String, role: String?, mase: Double?, firstRow: Int, times: [String]?, actual: [Double], scoredStart: Int,
            forecast: [Double], baselines: [Baseline], bands: [Band]
        ) {
            self.series = series
            self.role = role
            self.mase = mase
            self.firstRow = firstRow
            self.times = times
            self.actual = actual
            self.scoredStart = scoredStart
            self.forecast = forecast
            self.baselines = baselines
            self.bands = bands
        }
    }

    /// The first target's name.
    public var target: String
    /// What the scored rows are called (`test`, or `scored` for `evaluate`).
    public var part: String
    /// Series in the data with scored rows (1 for a single series).
    public var seriesCount: Int
    /// The panels shown.
    public var panels: [Panel]

    /// A plot from its parts.
    public init(target: String, part: String, seriesCount: Int, panels: [Panel]) {
        self.target = target
        self.part = part
        self.seriesCount = seriesCount
        self.panels = panels
    }

    /// Which of `mases` (by index) to show: all of them when there are at most `count`, else the
    /// best, the median and the worst by MASE (series without a MASE are never picked then).
    public static func pick(_ mases: [Double?], count: Int = 3) -> [(index: Int, role: String?)] {
        guard mases.count > count else { return mases.indices.map { ($0, nil) } }
        let ranked = mases.indices.filter { mases[$0].map(\.isFinite) ?? false }.sorted { mases[$0]! < mases[$1]! }
        guard let best = ranked.first, let worst = ranked.last else { return [(0, nil)] }
        var picks = [(best, "best"), (ranked[(ranked.count - 1) / 2], "median"), (worst, "worst")]
        var seen = Set<Int>()
        picks = picks.filter { seen.insert($0.0).inserted }
        return picks.map { ($0.0, $0.1) }
    }
}
