import TidalCore
import TidalData

/// What a row predictor reads of each input row.
public struct RowInput: Sendable, Equatable {
    /// Numeric columns, in the order the predictor reads them.
    public var numeric: [String]
    /// Categorical columns: each row's value becomes its id in the column's vocabulary.
    public var categorical: [CategoricalColumn]
    /// Text columns whose raw value the predictor reads (documents).
    public var text: [String]
    /// The model's time column, copied to the output when the input has it.
    public var time: String?
    /// Rows per prediction: 1 predicts every row on its own; more keeps a rolling window of the
    /// last accepted rows and predicts from the `window`-th row on.
    public var window: Int
    /// UCR rows: every field but a label column (`label`, `target` or `class`) is one value of a
    /// sample whose length varies from row to row; trailing empty fields shorten it.
    public var wideSample: Bool
    /// The series column of a many-series model: each series id keeps its own window.
    public var series: String?

    /// What a predictor reads; every part defaults to nothing, one row at a time.
    public init(
        numeric: [String] = [], categorical: [CategoricalColumn] = [], text: [String] = [], time: String? = nil,
        window: Int = 1, wideSample: Bool = false, series: String? = nil
    ) {
        self.series = series
        self.numeric = numeric
        self.categorical = categorical
        self.text = text
        self.time = time
        self.window = window
        self.wideSample = wideSample
    }

    /// Every column a header must hold, in the order rows without a header carry them (the series and time columns first).
    public var columns: [String] { (series.map { [$0] } ?? []) + (time.map { [$0] } ?? []) + numeric + categorical.map(\.name) + text }
}

/// What a predictor writes for each prediction.
public enum PredictionColumns: Sendable, Equatable {
    /// Named numbers: `value_h1,…` for forecasts, `prediction` for regression.
    case values([String])
    /// A label and one probability per class: `label,p_<class>…`.
    case classes([String])
}

/// The rows a predictor sees: the last `window` accepted rows, oldest first.
public struct RowWindow {
    /// Numeric values `[window, numeric.count]`, row-major.
    public let numbers: UnsafeBufferPointer<Float>
    /// Categorical ids `[window, categorical.count]`, row-major.
    public let codes: UnsafeBufferPointer<Int32>
    /// The newest row's text fields, in `RowInput.text` order.
    public let texts: [String]
    /// Wide samples: the newest row's values.
    public let sample: [Float]
}

/// Predicts from one row (or a rolling window of rows) at a time: what `replay` and `predict`
/// feed. Each schema makes its own (`TrainedModel.rowPredictor()`); the engine around it reads
/// rows, rejects bad ones and writes the lines, the same way for every task.
public protocol RowPredictor: AnyObject {
    /// What it reads of each row.
    var input: RowInput { get }
    /// What it writes.
    var columns: PredictionColumns { get }
    /// The prediction for the rows in `window`: the numbers of `columns`, or one logit per class.
    func predict(_ window: RowWindow) -> [Float]
}
