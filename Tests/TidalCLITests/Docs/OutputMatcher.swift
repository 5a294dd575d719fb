import Foundation

/// Compares the output a document shows with the output a command printed.
///
/// * A line that is only `…` (optionally followed by a note in parentheses, `…  (149 such lines)`)
///   stands for any number of lines, none included.
/// * A `…` inside a line stands for any text within that line (a timing, say).
/// * Runs of spaces and tabs match any run of spaces and tabs (columns may shift), and trailing
///   white space is ignored.
/// * Integers (`66`, `1960`, `24`) must be equal. A number with a fraction or an exponent (`452.26508`,
///   `97.2`, `1.0e-04`) may differ by a relative `tolerance` (default ``relativeTolerance``).
enum OutputMatcher {
    /// 10⁻⁴: what a figure may move when the floating-point order of a sum changes (another CPU's BLAS
    /// kernels, another vectorization), far less than one unit in the last printed digit of a 4-digit
    /// figure (`13.58` → `13.59` is 7·10⁻⁴) so that an edited number fails. Runs on the same machine,
    /// binary, `--seed` and `--threads` print the same bytes; this only absorbs the last digits of
    /// long figures (`452.26508` may read `452.2651`).
    static let relativeTolerance = 1e-4

    /// Whether `line` is a many-line elision: `…`, or `…` then white space and a `(note)`.
    static func isElision(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("…") else { return false }
        let rest = trimmed.dropFirst().trimmingCharacters(in: .whitespaces)
        return rest.isEmpty || (rest.hasPrefix("(") && rest.hasSuffix(")") && trimmed.dropFirst().first?.isWhitespace == true)
    }

    /// For each expected line, the actual lines it stands for (one line, or any number for an elision);
    /// `nil` when `actual` does not match `expected`.
    static func match(_ expected: [String], _ actual: [String], tolerance: Double = relativeTolerance) -> [Range<Int>]? {
        let patterns = expected.map { isElision($0) ? nil : LinePattern($0) }
        // matches[i][j]: expected[i...] matches actual[j...] (computed from the end).
        var matches = Array(repeating: Array(repeating: false, count: actual.count + 1), count: expected.count + 1)
        matches[expected.count][actual.count] = true
        for i in stride(from: expected.count - 1, through: 0, by: -1) {
            for j in stride(from: actual.count, through: 0, by: -1) {
                if let pattern = patterns[i] {
                    matches[i][j] = j < actual.count && matches[i + 1][j + 1] && pattern.matches(actual[j], tolerance: tolerance)
                } else {
                    matches[i][j] = matches[i + 1][j] || (j < actual.count && matches[i][j + 1])
                }
            }
        }
        guard matches[0][0] else { return nil }
        var ranges: [Range<Int>] = []
        var j = 0
        for i in expected.indices {
            if patterns[i] != nil {
                ranges.append(j ..< (j + 1))
                j += 1
            } else {
                var end = j
                while !matches[i + 1][end] { end += 1 }  // the shortest elision that lets the rest match
                ranges.append(j ..< end)
                j = end
            }
        }
        return ranges
    }

    /// The first expected line that does not match, and the actual line it was compared with (`nil`: the
    /// output ended): the head before the first elision is compared from the start, the tail after the
    /// last from the end, and a line between them is reported when head and tail match.
    static func firstDifference(_ expected: [String], _ actual: [String], tolerance: Double = relativeTolerance) -> (Int, String?) {
        let head = expected.prefix { !isElision($0) }
        for (i, line) in head.enumerated() where i >= actual.count || !LinePattern(line).matches(actual[i], tolerance: tolerance) {
            return (i, i < actual.count ? actual[i] : nil)
        }
        if head.count == expected.count { return (expected.count, actual.count > expected.count ? actual[expected.count] : nil) }
        let tail = expected.suffix(expected.reversed().prefix { !isElision($0) }.count)
        for (k, line) in tail.reversed().enumerated() {
            let a = actual.count - 1 - k
            if a < head.count || !LinePattern(line).matches(actual[a], tolerance: tolerance) {
                return (expected.count - 1 - k, a >= head.count ? actual[a] : nil)
            }
        }
        let middle = expected.indices.dropFirst(head.count).dropLast(tail.count).first { !isElision(expected[$0]) }
        return (middle ?? head.count, nil)
    }

    /// `expected` rewritten from `actual`: lines become the lines they match, elisions and lines with an
    /// inline `…` stay. When `actual` no longer matches, the lines before the first elision become the
    /// first actual lines, those after the last the last ones, and each group between is placed where
    /// its text and integers are found. `nil` when a group cannot be placed.
    static func updated(_ expected: [String], _ actual: [String]) -> [String]? {
        if let ranges = match(expected, actual) {
            return expected.indices.map { i in
                let got = actual[ranges[i].lowerBound]
                if isElision(expected[i]) { return expected[i] }
                return expected[i].contains("…") ? LinePattern(expected[i]).refreshed(from: got) ?? got : got
            }
        }
        let elisions = expected.filter(isElision)
        // A line with an inline `…` keeps it, with the numbers it now shows, while its text still matches.
        let kept = { (line: String, got: String) in line.contains("…") ? LinePattern(line).refreshed(from: got) ?? got : got }
        let groups = expected.split(omittingEmptySubsequences: false, whereSeparator: isElision).map(Array.init)
        guard let head = groups.first, let tail = groups.last, groups.count > 1 else {
            return actual.count == expected.count ? zip(expected, actual).map(kept) : actual
        }
        guard head.count + tail.count <= actual.count else { return nil }
        let tailStart = actual.count - tail.count
        var result = zip(head, actual).map(kept)
        var next = head.count
        for (g, group) in groups.enumerated().dropFirst().dropLast() {
            result.append(elisions[g - 1])
            let patterns = group.map(LinePattern.init)
            let fits = { (s: Int) in patterns.indices.allSatisfy { patterns[$0].matches(actual[s + $0], tolerance: .infinity) } }
            guard next + group.count <= tailStart, let start = (next ... (tailStart - group.count)).first(where: fits) else { return nil }
            result += actual[start ..< (start + group.count)]
            next = start + group.count
        }
        return result + [elisions[elisions.count - 1]] + zip(tail, actual.suffix(tail.count)).map(kept)
    }
}

/// One expected line as a regular expression: numbers captured, white space flexible, `…` any text.
struct LinePattern {
    static let number = try! NSRegularExpression(pattern: "[0-9]+(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
    static let numberPattern = "([0-9]+(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"

    let regex: NSRegularExpression
    /// The expected line, without trailing white space.
    let text: String
    /// The numbers of the expected line, in order, and where they are in `text`.
    let numbers: [String]
    let numberRanges: [NSRange]

    init(_ line: String) {
        let text = line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) as NSString
        var pattern = "^", numbers: [String] = [], ranges: [NSRange] = []
        var position = 0
        /// Text as a pattern: a run of white space matches any run, `…` any text, the rest itself.
        func literal(_ s: String) -> String {
            var out = "", inSpace = false
            for character in s {
                if character == " " || character == "\t" {
                    if !inSpace { out += "[ \\t]+" }
                    inSpace = true
                    continue
                }
                inSpace = false
                out += character == "…" ? ".*" : NSRegularExpression.escapedPattern(for: String(character))
            }
            return out
        }
        for match in Self.number.matches(in: text as String, range: NSRange(location: 0, length: text.length)) {
            let before = literal(text.substring(with: NSRange(location: position, length: match.range.location - position)))
            pattern += before + Self.numberPattern
            numbers.append(text.substring(with: match.range))
            ranges.append(match.range)
            position = match.range.location + match.range.length
        }
        let rest = literal(text.substring(from: position))
        pattern += rest + "[ \\t]*$"
        self.regex = try! NSRegularExpression(pattern: pattern)
        self.numbers = numbers
        self.numberRanges = ranges
        self.text = text as String
    }

    /// Whether `line` matches, its numbers within `tolerance` of the expected ones.
    func matches(_ line: String, tolerance: Double) -> Bool {
        let text = line as NSString
        guard let match = regex.firstMatch(in: line, range: NSRange(location: 0, length: text.length)) else { return false }
        for (k, want) in numbers.enumerated() {
            let got = text.substring(with: match.range(at: k + 1))
            guard Self.close(got, want, tolerance: tolerance) else { return false }
        }
        return true
    }

    /// The expected line with the numbers `line` shows in their places, its `…` kept; `nil` when `line`
    /// does not have its text.
    func refreshed(from line: String) -> String? {
        let got = line as NSString
        guard let match = regex.firstMatch(in: line, range: NSRange(location: 0, length: got.length)) else { return nil }
        let result = NSMutableString(string: text)
        for k in numberRanges.indices.reversed() {
            result.replaceCharacters(in: numberRanges[k], with: got.substring(with: match.range(at: k + 1)))
        }
        return result as String
    }

    /// Integers equal; other numbers within a relative `tolerance` (any, when it is infinite).
    static func close(_ got: String, _ want: String, tolerance: Double) -> Bool {
        let isInteger = !want.contains(where: { ".eE".contains($0) })
        guard !isInteger, let g = Double(got), let w = Double(want) else { return got == want }
        return tolerance.isInfinite || abs(g - w) <= tolerance * abs(w)
    }
}
