/// A common cut in time (`--test-start`): a row is at or after it when its time is.
///
/// Times compare as `TimeKey` orders them (calendar dates and times, quarters, plain numbers)
/// when the cut and the row's time parse as the same kind, and as text otherwise (the protocol
/// of `bench/baselines.md`, whose times sort as text).
public struct TimeCut: Sendable, Equatable {
    /// The cut as given.
    public let text: String
    private let key: (Double, TimeKey.Kind)?
    private let source: String

    /// A cut at `text`.
    /// - Throws: `DataError.unusable` for an empty cut.
    public init(_ text: String, source: String, timeColumn: String?) throws {
        guard !text.isEmpty else {
            throw DataError.unusable(source: source, reason: "--test-start needs a time, e.g. 2013Q1 or 2020-06-01")
        }
        self.text = text
        self.source = source
        key = Self.orderKey(text).map { ($0.key, $0.kind) }
    }

    /// The error for a table without a time column.
    public var needsTimeColumn: DataError {
        .unusable(source: source, reason: "--test-start \(text) needs a time column; name it with --time-column")
    }

    /// Whether a row whose time is `time` is at or after the cut.
    public func contains(_ time: String) -> Bool {
        if let key, let parsed = Self.orderKey(time), parsed.kind == key.1 { return parsed.key >= key.0 }
        return time >= text
    }

    static func orderKey(_ text: String) -> (key: Double, kind: TimeKey.Kind)? {
        Array(text.utf8).withUnsafeBufferPointer(TimeKey.orderKey(bytes:))
    }

    /// Two cuts are equal when their text is.
    public static func == (a: TimeCut, b: TimeCut) -> Bool { a.text == b.text }
}
