import TidalCore

/// Whole labelled sequences: one sample per UCR row, or per `sample` id in the long format.
///
/// Samples may differ in length. Values are stored time-major per sample,
/// `[length, channels]`, all samples back to back.
public struct SampleSet: Sendable {
    /// The file the samples came from.
    public var source: String
    /// Values per time step.
    public var channels: Int
    /// Every sample's values, `[length, channels]` each, concatenated.
    public var values: [Float]
    /// Sample `i` spans time steps `offsets[i] ..< offsets[i + 1]`.
    public var offsets: [Int]
    /// Each sample's label as written in the file (a class name, or a number for regression).
    public var labels: [String]
    /// Each sample's first input line (for messages).
    public var lines: [Int]
    /// Categorical ids per time step, `[steps, K]` parallel to `values` (empty without categorical inputs).
    public var codes: [Int32] = []
    /// Categorical inputs per time step (`K`); 0 without them.
    public var categoryCount = 0

    /// Samples from their parts: sample `i` is `values[offsets[i] · channels ..< offsets[i + 1] · channels]`.
    public init(source: String, channels: Int, values: [Float], offsets: [Int], labels: [String], lines: [Int]) {
        self.source = source
        self.channels = channels
        self.values = values
        self.offsets = offsets
        self.labels = labels
        self.lines = lines
    }

    /// Number of samples.
    public var count: Int { labels.count }
    /// Time steps of sample `i`.
    public func length(_ i: Int) -> Int { offsets[i + 1] - offsets[i] }
    /// Time steps of the longest sample; 0 for an empty set.
    public var maxLength: Int { (0 ..< count).map(length).max() ?? 0 }

    /// The layouts `SampleSet` reads.
    public enum Format: String, Sendable, CaseIterable {
        /// `label,t0,t1,…`: one sample per row; trailing empty cells make a shorter sample.
        case ucr
        /// `sample,label,t,ch0,ch1,…`: one row per time step, a sample's rows consecutive.
        case long
    }

    /// Reads a file in `format`.
    public static func load(path: String, format: Format, hasHeader: Bool = true) throws -> SampleSet {
        let source = try FileByteSource(path: path)
        switch format {
        case .ucr: return try loadWide(source: source, hasHeader: hasHeader)
        case .long: return try loadLong(source: source, hasHeader: hasHeader)
        }
    }

    /// Reads the UCR wide layout `label,t0,…`.
    public static func loadWide(source: any ByteSource, hasHeader: Bool = true) throws -> SampleSet {
        let stream = try CSVStream(source: source)
        var set = SampleSet(source: stream.sourceName, channels: 1, values: [], offsets: [0], labels: [], lines: [])
        var header: [String]?
        try stream.forEachRecord { record in
            if header == nil {
                header = hasHeader ? record.strings : (0 ..< record.count).map(String.init)
                stream.fieldNames = header
                if hasHeader { return true }
            }
            guard record.count >= 2 else {
                throw DataError.layout(
                    SourceLocation(source: set.source, line: record.line), reason: "a UCR row needs a label and at least one value")
            }
            // Trailing missing cells shorten the sample; a gap before the last value is an error.
            var last = record.count - 1
            while last >= 1, record.number(last) == .missing { last -= 1 }
            guard last >= 1 else {
                throw DataError.layout(record.location(ofField: 1, source: set.source), reason: "sample has no values")
            }
            for field in 1 ... last {
                set.values.append(try record.requireNumber(field, source: set.source, column: header![field]))
            }
            set.offsets.append(set.values.count)
            set.labels.append(record.string(0))
            set.lines.append(record.line)
            return true
        }
        if header == nil { throw DataError.emptyInput(source: set.source) }
        if set.count == 0 { throw DataError.headerOnly(source: set.source) }
        return set
    }

    /// Reads the long layout `sample,label,t,ch0,…`.
    public static func loadLong(source: any ByteSource, hasHeader: Bool = true) throws -> SampleSet {
        let stream = try CSVStream(source: source)
        var set = SampleSet(source: stream.sourceName, channels: 0, values: [], offsets: [0], labels: [], lines: [])
        var header: [String]?
        var currentSample: String?
        var expectedT = 0
        try stream.forEachRecord { record in
            if header == nil {
                header = hasHeader ? record.strings : (0 ..< record.count).map(String.init)
                stream.fieldNames = header
                guard record.count >= 4 else {
                    throw DataError.layout(
                        SourceLocation(source: set.source, line: record.line),
                        reason: "the long format needs columns sample,label,t and at least one channel")
                }
                set.channels = record.count - 3
                if hasHeader { return true }
            }
            let sample = record.string(0)
            if sample != currentSample {
                if currentSample != nil { set.offsets.append(set.values.count / set.channels) }
                currentSample = sample
                set.labels.append(record.string(1))
                set.lines.append(record.line)
                expectedT = 0
            } else if record.string(1) != set.labels[set.labels.count - 1] {
                throw DataError.layout(
                    record.location(ofField: 1, source: set.source),
                    reason: "sample \(sample) changes its label from \"\(set.labels.last!)\" to \"\(record.string(1))\"")
            }
            if case let .value(t) = record.number(2), t != Double(expectedT) {
                throw DataError.layout(
                    record.location(ofField: 2, source: set.source),
                    reason:
                        "sample \(sample): expected t = \(expectedT), found \(record.string(2)); rows of a sample must be consecutive "
                        + "and in time order"
                )
            }
            expectedT += 1
            for field in 3 ..< record.count {
                set.values.append(try record.requireNumber(field, source: set.source, column: header![field]))
            }
            return true
        }
        if header == nil { throw DataError.emptyInput(source: set.source) }
        if set.labels.isEmpty { throw DataError.headerOnly(source: set.source) }
        set.offsets.append(set.values.count / set.channels)
        return set
    }
}

/// Class names in a fixed order and the index of each.
///
/// Order: numerically when every name is a number (`1, 2, 10`), else by text.
public struct ClassLabels: Sendable, Equatable, Codable {
    /// The class names; a class's index is its place here.
    public var names: [String]

    /// Classes in the order given.
    public init(names: [String]) { self.names = names }

    /// The distinct labels of `labels`, ordered.
    public init(collecting labels: [String]) {
        let unique = Array(Set(labels))
        let numbers = unique.compactMap(Double.init)
        if numbers.count == unique.count {
            names = unique.sorted { Double($0)! < Double($1)! }
        } else {
            names = unique.sorted()
        }
    }

    /// Number of classes.
    public var count: Int { names.count }
    /// The index of class `label`, or nil for a label not seen in training.
    public func index(of label: String) -> Int? { names.firstIndex(of: label) }
}

extension SampleSet {
    /// The samples at `indices`, in that order, as a new set (categorical codes kept).
    public func subset(indices: [Int]) -> SampleSet {
        var out = SampleSet(source: source, channels: channels, values: [], offsets: [0], labels: [], lines: [])
        out.categoryCount = categoryCount
        for i in indices {
            out.values.append(contentsOf: values[offsets[i] * channels ..< offsets[i + 1] * channels])
            out.codes.append(contentsOf: codes[offsets[i] * categoryCount ..< offsets[i + 1] * categoryCount])
            out.offsets.append(out.values.count / channels)
            out.labels.append(labels[i])
            out.lines.append(lines[i])
        }
        return out
    }

    /// The samples at `range`, as a new set.
    public func subset(_ range: Range<Int>) -> SampleSet { subset(indices: Array(range)) }

    /// The samples whose label is one of `classes` (windows of a class unseen in training are left out of evaluation).
    public func filtered(to classes: [String]) -> SampleSet {
        subset(indices: (0 ..< count).filter { classes.contains(labels[$0]) })
    }
}
