#if canImport(Glibc)
    import Glibc
#endif

/// Count, mean, variance, min and max of a stream of values, in one pass.
///
/// Welford's update, in `Double`, with Chan et al.'s formula to merge two partial results,
/// so the statistics can be built chunk by chunk (or in parallel) and stay stable over
/// 10^8 values. References: Welford (1962); Chan, Golub & LeVeque (1983).
public struct RunningStatistics: Sendable, Equatable, Codable {
    /// Values added (NaN skipped).
    public private(set) var count = 0
    /// Mean of the values added; 0 before any.
    public private(set) var mean = 0.0
    /// Σ (x − mean)², Welford's `M2`.
    public private(set) var sumOfSquaredDeviations = 0.0
    /// Smallest value added; +∞ before any.
    public private(set) var minimum = Double.infinity
    /// Largest value added; −∞ before any.
    public private(set) var maximum = -Double.infinity

    /// Statistics of no values.
    public init() {}

    /// Adds one value; NaN (missing) is skipped.
    public mutating func add(_ x: Double) {
        guard !x.isNaN else { return }
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        sumOfSquaredDeviations += delta * (x - mean)
        if x < minimum { minimum = x }
        if x > maximum { maximum = x }
    }

    /// Adds a chunk of values.
    public mutating func add(contentsOf values: UnsafeBufferPointer<Float>) {
        for v in values { add(Double(v)) }
    }

    /// Merges statistics of another part of the same stream.
    public mutating func merge(_ other: RunningStatistics) {
        guard other.count > 0 else { return }
        guard count > 0 else { self = other; return }
        let total = count + other.count
        let delta = other.mean - mean
        mean += delta * Double(other.count) / Double(total)
        sumOfSquaredDeviations += other.sumOfSquaredDeviations + delta * delta * Double(count) * Double(other.count) / Double(total)
        count = total
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
    }

    /// Population variance (divides by n).
    public var populationVariance: Double { count > 0 ? sumOfSquaredDeviations / Double(count) : 0 }
    /// Sample variance (divides by n − 1), as pandas' `std` reports.
    public var sampleVariance: Double { count > 1 ? sumOfSquaredDeviations / Double(count - 1) : .nan }
}

/// Per-column scaling fitted on training rows only, then frozen into the model.
///
/// `zscore`: `(x − mean) / std` (population std); `minmax`: `(x − min) / (max − min)`;
/// `none`: identity. A constant column gets scale 1 so nothing divides by zero.
/// Invertible, so predictions go back to original units.
public struct Normalizer: Sendable, Equatable, Codable {
    /// The scaling formula: z-scores, min–max, or none.
    public enum Kind: String, Sendable, Codable, CaseIterable { case zscore, minmax, none }

    /// Which formula `shift` and `scale` implement.
    public var kind: Kind
    /// Per column: subtracted first.
    public var shift: [Double]
    /// Per column: divided by after the shift.
    public var scale: [Double]

    /// A normalizer from its parts.
    /// - Precondition: `shift` and `scale` have one entry per column.
    public init(kind: Kind, shift: [Double], scale: [Double]) {
        precondition(shift.count == scale.count)
        self.kind = kind
        self.shift = shift
        self.scale = scale
    }

    /// Builds the normalizer from per-column statistics.
    public init(kind: Kind, statistics: [RunningStatistics]) {
        self.kind = kind
        switch kind {
        case .none:
            shift = Array(repeating: 0, count: statistics.count)
            scale = Array(repeating: 1, count: statistics.count)
        case .zscore:
            shift = statistics.map(\.mean)
            scale = statistics.map {
                let s = $0.populationVariance.squareRoot(); return s > 1e-12 ? s : 1
            }
        case .minmax:
            shift = statistics.map { $0.count > 0 ? $0.minimum : 0 }
            scale = statistics.map {
                let r = $0.maximum - $0.minimum; return $0.count > 0 && r > 1e-12 ? r : 1
            }
        }
    }

    /// Fits on rows `rows` of each column in one pass.
    public init(kind: Kind, fitting columns: [[Float]], rows: Range<Int>) {
        let stats = columns.map { column -> RunningStatistics in
            var s = RunningStatistics()
            column[rows].withUnsafeBufferPointer { s.add(contentsOf: $0) }
            return s
        }
        self.init(kind: kind, statistics: stats)
    }

    /// Columns scaled.
    public var columnCount: Int { shift.count }

    /// `(x − shift) / scale` for `column`, computed in `Double`.
    public func transform(_ x: Float, column: Int) -> Float {
        Float((Double(x) - shift[column]) / scale[column])
    }

    /// `y · scale + shift` for `column`: the inverse of `transform`.
    public func inverse(_ y: Float, column: Int) -> Float {
        Float(Double(y) * scale[column] + shift[column])
    }

    /// Little-endian bytes: kind (u8), column count (u32), then shift and scale per column (f64).
    public func serialized() -> [UInt8] {
        var out: [UInt8] = [Kind.allCases.firstIndex(of: kind).map(UInt8.init)!]
        withUnsafeBytes(of: UInt32(columnCount).littleEndian) { out.append(contentsOf: $0) }
        for c in 0 ..< columnCount {
            withUnsafeBytes(of: shift[c].bitPattern.littleEndian) { out.append(contentsOf: $0) }
            withUnsafeBytes(of: scale[c].bitPattern.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    /// Reads what `serialized()` wrote; nil when the bytes do not form a normalizer.
    public init?(serialized bytes: [UInt8]) {
        guard bytes.count >= 5, Int(bytes[0]) < Kind.allCases.count else { return nil }
        let n = Int(UInt32(bytes[1]) | UInt32(bytes[2]) << 8 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 24)
        guard bytes.count == 5 + 16 * n else { return nil }
        func double(at offset: Int) -> Double {
            var bits: UInt64 = 0
            for k in 0 ..< 8 { bits |= UInt64(bytes[offset + k]) << (8 * UInt64(k)) }
            return Double(bitPattern: bits)
        }
        self.init(
            kind: Kind.allCases[Int(bytes[0])],
            shift: (0 ..< n).map { double(at: 5 + 16 * $0) },
            scale: (0 ..< n).map { double(at: 13 + 16 * $0) })
    }
}
