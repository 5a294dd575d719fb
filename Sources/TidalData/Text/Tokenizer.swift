/// Splits text into lower-cased word and punctuation tokens.
///
/// Rules: text is lower-cased with Unicode case mapping (`"Élan"` → `"élan"`); a token is a run of
/// letters, digits and combining marks, where an apostrophe (`'` or `’`) between two letters
/// stays inside the word (`"don't"`); every other visible character (punctuation, symbols, emoji)
/// is a token of its own; white space only separates.
///
/// ```swift
/// Tokenizer.tokens("A three-hour cinema master class.")  // ["a", "three", "-", "hour", "cinema", "master", "class", "."]
/// ```
public enum Tokenizer {
    /// The tokens of `text`, in order.
    public static func tokens(_ text: String) -> [String] {
        var out: [String] = []
        var word = String.UnicodeScalarView()
        let scalars = Array(text.lowercased().unicodeScalars)
        func flush() {
            if !word.isEmpty { out.append(String(word)); word = String.UnicodeScalarView() }
        }
        for (i, s) in scalars.enumerated() {
            let p = s.properties
            if p.isAlphabetic || p.numericType != nil || p.generalCategory == .nonspacingMark || p.generalCategory == .spacingMark {
                word.append(s)
            } else if (s == "'" || s == "\u{2019}"), !word.isEmpty, i + 1 < scalars.count, scalars[i + 1].properties.isAlphabetic {
                word.append("'")
            } else if p.isWhitespace || s.value < 0x20 {
                flush()
            } else {
                flush()
                out.append(String(s))
            }
        }
        flush()
        return out
    }
}

/// Token ↔ id, built from training text only: id 0 is `<pad>`, 1 is `<unk>`, then tokens by
/// decreasing frequency (ties in code-point order), at most `maxSize` ids, each seen at least `minCount` times.
public struct Vocabulary: Sendable, Equatable, Codable {
    /// The padding token, id 0.
    public static let padding = "<pad>"
    /// The token of every word not in the vocabulary, id 1.
    public static let unknown = "<unk>"

    /// Every token, in id order.
    public private(set) var tokens: [String]
    private var ids: [String: Int32]

    /// A vocabulary whose token `i` has id `i`.
    /// - Precondition: no token appears twice.
    public init(tokens: [String]) {
        self.tokens = tokens
        ids = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, Int32($0)) })
    }

    /// Counts tokens over `documents` and keeps the most frequent.
    public init(building documents: [[String]], maxSize: Int, minCount: Int) {
        var counts: [String: Int] = [:]
        for doc in documents { for t in doc { counts[t, default: 0] += 1 } }
        let kept = counts.filter { $0.value >= minCount }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        self.init(tokens: [Self.padding, Self.unknown] + kept.prefix(max(0, maxSize - 2)).map(\.key))
    }

    /// Number of ids.
    public var count: Int { tokens.count }

    /// The id of each token (`<unk>` = 1 for unknown ones).
    public func encode(_ tokens: [String]) -> [Int32] { tokens.map { ids[$0] ?? 1 } }

    /// Decodes the token list (a JSON array of strings, in id order).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let tokens = try container.decode([String].self)
        // A model file is untrusted: a token listed twice is an error, not `init(tokens:)`'s trap.
        guard Set(tokens).count == tokens.count else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "a vocabulary token appears twice")
        }
        self.init(tokens: tokens)
    }

    /// Encodes the token list as a JSON array of strings, in id order.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(tokens)
    }
}
