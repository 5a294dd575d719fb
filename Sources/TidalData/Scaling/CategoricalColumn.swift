/// A text (or integer) column used as a categorical input: its training values get ids, and each
/// id an embedding vector that joins the numeric features at every step. Frozen into the model.
public struct CategoricalColumn: Sendable, Codable, Equatable {
    /// The column's name in the input.
    public var name: String
    /// Id order: `<unk>` first, then the training values in sorted order.
    public var values: [String]
    /// Length of each value's embedding vector.
    public var dimension: Int

    /// A column whose ids are `<unk>` (0) and then `trainingValues`' distinct values, sorted.
    public init(name: String, trainingValues: [String], dimension: Int) {
        self.name = name
        values = ["<unk>"] + Array(Set(trainingValues)).sorted()
        self.dimension = dimension
    }

    /// The id of a value (0 when training never saw it).
    public func id(of value: String) -> Int32 { values.firstIndex(of: value).map(Int32.init) ?? 0 }

    /// The column's vocabulary from its training values, with the default embedding size
    /// (half the distinct values, between 2 and 10).
    public init(name: String, trainingValues: [String]) {
        let distinct = Set(trainingValues).count
        self.init(name: name, trainingValues: trainingValues, dimension: min(10, max(2, (distinct + 1) / 2)))
    }
}
