import TidalCore
import TidalData
import TidalNet

/// What a model predicts.
public enum TaskKind: String, Sendable, Codable, CaseIterable {
    /// The next `horizon` values of target columns from a window of rows.
    case forecast
    /// A class for each sample (a UCR row, a long-format sample, a window of a labelled series, or a document).
    case classify
    /// One number for each whole sample.
    case regress
}

/// How a model reads its input and what it predicts: the value a model file holds beside the
/// network's weights.
///
/// Each case has one pipeline (`TaskPipeline`) that prepares its datasets, scores predictions
/// against the baselines, checks a model file's description, describes itself for `inspect`
/// and makes the row predictor `replay` and `predict` use. `pipeline` is the one place that
/// looks at the case; everything else asks the schema.
public enum TaskSchema: Sendable, Equatable {
    /// Windows of rows forecasting the next values.
    case forecast(ForecastSpec)
    /// Whole samples (UCR rows or long-format samples), classified or regressed.
    case samples(SampleSpec)
    /// Windows of a labelled series, classified.
    case windows(SeriesWindowSpec)
    /// Text documents, classified.
    case text(TextSpec)

    /// The pipeline serving this schema.
    var pipeline: any TaskPipeline {
        switch self {
        case let .forecast(spec): return ForecastPipeline(spec: spec)
        case let .samples(spec): return SamplePipeline(spec: spec)
        case let .windows(spec): return WindowPipeline(spec: spec)
        case let .text(spec): return TextPipeline(spec: spec)
        }
    }

    /// What the model predicts.
    public var task: TaskKind { pipeline.task }

    /// The input it reads.
    public var input: TaskInput { pipeline.input }

    /// Why the schema does not fit `architecture` (a model file's description), or nil when it does.
    public func mismatch(with architecture: ModelArchitecture) -> String? { pipeline.mismatch(with: architecture) }

    /// What `tidal inspect` shows of the schema: text lines and JSON fields.
    public var summary: SchemaSummary { pipeline.summary }
}

/// A schema described for people (`lines`) and programs (`fields`).
public struct SchemaSummary: Sendable, Equatable {
    /// One line each, e.g. `schema: …` and `scaling: …`.
    public var lines: [String]
    /// The same facts as JSON members (`schema`, `normalizer`, `categorical`).
    public var fields: [String: JSONValue]

    /// A summary from its parts.
    public init(lines: [String], fields: [String: JSONValue]) {
        self.lines = lines
        self.fields = fields
    }
}
