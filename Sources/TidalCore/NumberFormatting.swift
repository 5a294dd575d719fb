import Foundation

/// A number in at most 6 significant digits, without a trailing ".0" (scaling shifts, scales).
public func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    return String(format: "%.6g", x)
}

/// A metric with 4 significant digits (tables, epoch lines, notes).
public func formatMetric(_ x: Double) -> String { String(format: "%.4g", x) }

/// A count with thousands separators: `12,345`.
public func formatCount(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = n < 0 ? "-" : ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return out
}
