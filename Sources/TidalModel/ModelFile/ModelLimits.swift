import TidalCore
import TidalData
import TidalNet

/// The largest models Tidal trains and loads (`Docs/model-format.md` lists them).
///
/// `tidal train` refuses flags beyond them, and the model loader refuses a description beyond
/// them before it allocates anything, so a file `train` writes always loads and an edited file
/// cannot make the loader allocate more than the limits allow.
public enum ModelLimits {
    /// Hidden units per recurrent layer.
    public static let hiddenSize = 4096
    /// Stacked recurrent layers.
    public static let layers = 16
    /// Values per network step (features × patch, or an embedding's size).
    public static let inputSize = 1 << 20
    /// Head outputs (targets × horizon, or classes).
    public static let outputSize = 1 << 20
    /// Rows per window (forecasting and series windows): replay keeps this many rows per series.
    public static let lookback = 1 << 20
    /// Values forecast per target.
    public static let horizon = 1 << 16
    /// Token ids of a text model, and values of one categorical column.
    public static let vocabularySize = 1 << 22
    /// Categorical covariates.
    public static let categoricalColumns = 64
    /// The size of one embedding vector.
    public static let embeddingDimension = 1024
    /// Classes of a classifier.
    public static let classes = 1 << 16
    /// Quantiles per forecast value of a quantile head.
    public static let quantiles = 99
    /// Networks in an ensemble.
    public static let members = 32
    /// Learnable values in all, over every ensemble member (1 GiB of Float32).
    public static let parameters = 1 << 28
    /// Bytes of a model file's JSON description.
    public static let descriptionBytes = 1 << 28

    /// Why `architecture` lies outside the limits, or nil when it is within them.
    public static func problem(with a: ModelArchitecture) -> String? {
        func outside(_ name: String, _ value: Int, _ range: ClosedRange<Int>) -> String? {
            range.contains(value) ? nil : "\(name) is \(value), outside \(range.lowerBound)...\(range.upperBound)"
        }
        let checks: [String?] = [
            outside("hiddenSize", a.hiddenSize, 1 ... hiddenSize), outside("layers", a.layers, 1 ... layers),
            outside("inputSize", a.inputSize, 1 ... inputSize), outside("outputSize", a.outputSize, 1 ... outputSize),
            outside("skipSteps", a.skipSteps, 0 ... lookback), outside("vocabularySize", a.vocabularySize, 0 ... vocabularySize),
            outside("categorical columns", a.categoricalVocabularies.count, 0 ... categoricalColumns),
            a.categoricalVocabularies.count == a.categoricalDimensions.count
                ? nil : "categorical vocabularies and dimensions differ in number",
            a.dropout.isFinite && a.dropout >= 0 && a.dropout < 1 ? nil : "dropout is \(a.dropout), outside [0, 1)",
            outside("quantiles", a.quantiles, 0 ... quantiles),
            a.quantiles == 0 || a.outputSize % a.quantiles == 0
                ? nil : "outputSize \(a.outputSize) is no multiple of quantiles \(a.quantiles)",
        ]
        if let problem = checks.compactMap({ $0 }).first { return problem }
        for (v, d) in zip(a.categoricalVocabularies, a.categoricalDimensions) {
            if let problem = outside("a categorical vocabulary", v, 1 ... vocabularySize)
                ?? outside("an embedding dimension", d, 1 ... embeddingDimension)
            {
                return problem
            }
        }
        guard let count = a.parameterCountIfValid, count <= parameters else { return "more than \(parameters) parameters" }
        return nil
    }
}

/// Checks shared by the schemas' `mismatch`: finite, usable scaling and unique names.
enum SchemaCheck {
    /// Why `normalizer` cannot scale `columns` columns (counts, non-finite or degenerate values), or nil.
    static func normalizer(_ n: Normalizer, columns: Int) -> String? {
        guard n.shift.count == columns, n.scale.count == columns else {
            return "the normalizer has \(n.shift.count) shifts and \(n.scale.count) scales for \(columns) columns"
        }
        let limit = Double(Float.greatestFiniteMagnitude) / 4
        guard n.shift.allSatisfy({ $0.isFinite && abs($0) <= limit }),
            n.scale.allSatisfy({ $0.isFinite && $0 >= 1e-30 && $0 <= limit })
        else {
            return "the normalizer holds a shift or scale that is not finite, not positive, or out of Float32's range"
        }
        return nil
    }

    /// Why `names` cannot name `what` (empty, or one name twice), or nil.
    static func unique(_ names: [String], _ what: String, allowEmpty: Bool = false) -> String? {
        if names.isEmpty && !allowEmpty { return "no \(what)" }
        return Set(names).count == names.count ? nil : "a name appears twice among the \(what) (\(names.joined(separator: ",")))"
    }

    /// Why `value` is outside `range` for field `name`, or nil.
    static func within(_ name: String, _ value: Int, _ range: ClosedRange<Int>) -> String? {
        range.contains(value) ? nil : "\(name) is \(value), outside \(range.lowerBound)...\(range.upperBound)"
    }

    /// Why categorical columns cannot be read: too many, an empty or repeated vocabulary.
    static func categorical(_ columns: [CategoricalColumn]) -> String? {
        if columns.count > ModelLimits.categoricalColumns { return "more than \(ModelLimits.categoricalColumns) categorical columns" }
        for column in columns {
            if let problem = SchemaCheck.first(
                SchemaCheck.within("the vocabulary of \"\(column.name)\"", column.values.count, 1 ... ModelLimits.vocabularySize),
                SchemaCheck.unique(column.values, "values of \"\(column.name)\""))
            {
                return problem
            }
        }
        return nil
    }

    /// The first problem of several checks, or nil.
    static func first(_ checks: String?...) -> String? { checks.compactMap { $0 }.first }
}
