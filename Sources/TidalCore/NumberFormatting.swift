import Foundation

/// A number in at most 6 significant digits, without a trailing ".0" (scaling shifts, scales).
public func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    return String(format: "%.6g", x)
}

/// A metric with 4 significant digits (tables, epoch lines, notes).
public func formatMetric(_ x: Double) -> String { String(format: "%.4g", x) }
