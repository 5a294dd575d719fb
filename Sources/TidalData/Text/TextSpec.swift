import TidalCore

/// How raw text reaches a text classifier; frozen into the model file.
public struct TextSpec: Sendable, Codable, Equatable {
    /// The column holding the document.
    public var textColumn: String
    /// The column holding the class (optional at prediction time).
    public var labelColumn: String
    /// Class names in output order.
    public var classes: [String]
    /// Token ids: `<pad>` = 0, `<unk>` = 1, then the training vocabulary.
    public var vocabulary: Vocabulary
    /// Tokens kept per document (the first ones).
    public var maxLength: Int

    /// A spec from its parts.
    public init(textColumn: String, labelColumn: String, classes: [String], vocabulary: Vocabulary, maxLength: Int) {
        self.textColumn = textColumn
        self.labelColumn = labelColumn
        self.classes = classes
        self.vocabulary = vocabulary
        self.maxLength = maxLength
    }

    /// A document's token ids as the network sees them: at least one, at most `maxLength`.
    public func encode(_ text: String) -> [Int32] {
        let ids = vocabulary.encode(Tokenizer.tokens(text))
        if ids.isEmpty { return [1] }
        return Array(ids.prefix(maxLength))
    }
}

/// Documents and labels as a `SampleSource`: token ids, left-padded with `<pad>` and masked.
public struct TextDataset: SampleSource, Sendable {
    /// Each document's token ids, at least one each.
    public let documents: [[Int32]]
    /// Each document's class index.
    public let labels: [Int32]

    /// A dataset of `documents` and their `labels`.
    /// - Precondition: one label per document.
    public init(documents: [[Int32]], labels: [Int32]) {
        precondition(documents.count == labels.count)
        self.documents = documents
        self.labels = labels
    }

    /// Number of documents.
    public var count: Int { documents.count }

    /// Fills `batch` with the documents at `indices`: token ids `[steps, size]` left-padded with `<pad>`, and the mask.
    public func fill(_ indices: [Int], into batch: Batch) {
        let B = indices.count
        let T = indices.map { documents[$0].count }.max() ?? 1
        batch.start(steps: T, size: B, features: 0)
        let tokens = batch.reserveTokens()
        let mask = batch.mask.reserve(T * B)
        var padded = false
        for (b, i) in indices.enumerated() {
            let doc = documents[i], pad = T - doc.count
            if pad > 0 { padded = true }
            for t in 0 ..< T {
                mask[t * B + b] = t < pad ? 0 : 1
                tokens[t * B + b] = t < pad ? 0 : doc[t - pad]
            }
        }
        batch.hasMask = padded
        batch.labels = indices.map { labels[$0] }
    }
}
