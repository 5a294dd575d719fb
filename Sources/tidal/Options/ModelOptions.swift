import TidalCore
import ArgumentParser
import Foundation
import TidalData
import TidalModel
import TidalNet

extension CellKind: ExpressibleByArgument {}
extension Pooling: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension RegressionLoss: ExpressibleByArgument {}
extension Scaling: ExpressibleByArgument {}
extension TaskKind: ExpressibleByArgument {}
extension BatchSampling: ExpressibleByArgument {}
extension SampleSet.Format: ExpressibleByArgument {}

/// The data, model and training flags of `train` (and of `compare`, which trains several cells);
/// the cell is each command's own (`train --cell`, `compare --cells`).
struct TrainingFlags: ParsableArguments {
    @Option(help: "Training data: a CSV file, or - for standard input.")
    var data: String

    @Option(help: "forecast (next values of --target), classify (labelled samples) or regress (one number per sample).")
    var task: TaskKind = .forecast

    @Option(
        help: "Column to forecast (repeatable, or comma-separated). Default: a column named 'value' or 'y', else the only numeric column.")
    var target: [ListArgument<String>] = []

    @Option(help: "Input column (repeatable, or comma-separated). Default: the targets.")
    var features: [ListArgument<String>] = []

    @Option(
        help:
            """
            A text (or integer) column used as a categorical covariate (repeatable, or comma-separated; forecasting and \
            series-window classification): its values get a vocabulary from the training rows and an embedding joining the \
            numeric features at every step.
            """
    )
    var categorical: [ListArgument<String>] = []

    @Option(help: "Text classification: the column holding each document (with --task classify and --label).")
    var text: String?

    @Option(
        help:
            """
            Classification: the class column — of text documents (with --text), or of a series whose windows of --lookback rows are \
            classified by the label at their last row.
            """
    )
    var label: String?

    @Option(name: .customLong("vocab-size"), help: "Text: the most frequent training tokens kept (ids 0 and 1 are <pad> and <unk>).")
    var vocabSize: Int = 20000

    @Option(name: .customLong("min-count"), help: "Text: keep only tokens seen at least this often in training.")
    var minCount: Int = 2

    @Option(name: .customLong("max-length"), help: "Text: tokens kept per document (the first ones).")
    var maxLength: Int = 100

    @Option(name: .customLong("embedding-dim"), help: "Text: size of each token's embedding vector.")
    var embeddingDim: Int = 64

    @Option(help: "Sample layout for classify/regress: ucr (label,t0,t1,…) or long (sample,label,t,ch0,…).")
    var format: SampleSet.Format = .ucr

    @Option(
        help:
            """
            Forecasting: conformal prediction intervals at these levels in percent (e.g. 80,95): calibrated on forecasts of a \
            held-out tail of the training part, frozen into the model, written beside every forecast as <target>_h1_lo80, \
            <target>_h1_hi80, … and scored on the test part (coverage, width, MSIS).
            """,
        transform: { text in
            try text.split(separator: ",").map { part -> Double in
                guard let v = Double(part.trimmingCharacters(in: .whitespaces)), v > 0, v < 100 else {
                    throw ValidationError("--level takes percentages between 0 and 100, e.g. 80,95; not '\(part)'")
                }
                return v
            }
        })
    var level: [[Double]] = []

    @Option(
        help:
            """
            Forecasting: quantile levels in (0, 1) (repeatable, or comma-separated, e.g. 0.1,0.5,0.9): a quantile head trained \
            with the pinball loss, whose quantiles never cross (a base plus softplus increments). 0.5 is added when absent: the \
            median is the point forecast. Written as <target>_h1_q0.1, …; with --level, conformalised quantile regression.
            """)
    var quantiles: [ListArgument<Double>] = []

    @Flag(
        name: .customLong("series-embedding"),
        help: """
            Many series: the series id is also an input, a learned embedding per training series (a series not seen in training \
            reads <unk>).
            """)
    var seriesEmbedding = false

    @Option(
        help: ArgumentHelp(
            "Many series: how batches draw training windows: uniform (every window alike) or balanced (every series alike).",
            valueName: "uniform|balanced"))
    var sampling: BatchSampling?

    @Option(help: "A separate test file (as UCR ships them); otherwise the last --test-fraction is the test part.")
    var test: String?

    @Option(
        help: ArgumentHelp(
            "Seasonal period: auto, or rows per season (1 = none).",
            discussion:
                "auto (the default) reads the time column's spacing: monthly 12, quarterly 4, weekly 52, daily 7, "
                + "hourly 24, half-hourly 48, quarter-hourly 96; yearly, an integer index or no time column 1. "
                + "The season sets the seasonal-naive baseline, MASE, the differencing candidates and the default lookback "
                + "(two seasons, or 24 rows without one). The first output line says which season was used."))
    var season: SeasonChoice = .auto

    @Option(help: "Hidden units per layer.")
    var hidden: Int = 64

    @Option(help: "Stacked recurrent layers.")
    var layers: Int = 1

    @Flag(
        help:
            """
            Whole samples (classify, regress): every recurrent layer also reads the sequence backwards (PyTorch's bidirectional=True); \
            the head reads both directions.
            """
    )
    var bidirectional = false

    @Option(
        help:
            """
            Whole samples (classify, regress): what the head reads — last (the final state), mean or max (over the real steps of the \
            top layer's outputs), or attention (a learned weighting of the steps).
            """
    )
    var pool: Pooling = .last

    @Option(help: "Dropout between recurrent layers, and on token embeddings for text (training only). Default: 0; 0.5 for text.")
    var dropout: Float?

    @Option(help: "Optimizer: adam, adamw or sgd (momentum 0.9). Default: adam for forecasting, adamw for whole samples.")
    var optimizer: OptimizerKind?

    @Option(help: "Learning rate. Default: 1e-3 for forecasting, 3e-3 for whole samples.")
    var lr: Float?

    @Option(
        name: .customLong("weight-decay"),
        help:
            """
            Weight decay (L2 for adam/sgd, decoupled for adamw). Default: 0 for forecasting (0.03 on differenced series), 0.01 for \
            whole samples.
            """
    )
    var weightDecay: Float?

    @Option(
        help:
            """
            Batch size. Default: 32 (forecasting); for whole samples 32, or an eighth of the training samples when that is smaller \
            (at least 8).
            """
    )
    var batch: Int?

    @Option(
        help:
            """
            Time steps grouped into one network step for classify/regress (default: keeps samples within 64 steps; a classifier with \
            up to 200,000 training values compares that with 8 steps and one step by 4-fold cross-validation).
            """
    )
    var patch: Int?

    @Option(
        help:
            """
            Training epochs: full passes over the training part (fewer with --patience). Default: 100 for forecasting, 150 for \
            whole samples, 20 for text, when the training part holds at most \(formatCount(TrainingBudget.stepThreshold)) \
            windows, samples or documents; above that, --steps \(TrainingBudget.defaultSteps).
            """
    )
    var epochs: Int?

    @Option(
        help:
            """
            A step budget instead of epochs: this many optimizer steps, each on a batch drawn uniformly from the whole \
            training part, evaluated every --eval-every steps. Default: \(TrainingBudget.defaultSteps) when the training part \
            holds more than \(formatCount(TrainingBudget.stepThreshold)) windows, samples or documents (and --epochs is not \
            given); the forecast setting search then spends at most half as many again on short trials, so the time no longer \
            grows with the rows.
            """
    )
    var steps: Int?

    @Option(
        name: .customLong("eval-every"),
        help:
            """
            With a step budget: steps between evaluations (default \(TrainingBudget.evaluationInterval); one output line each, \
            the unit of --patience and --checkpoint-every).
            """
    )
    var evalEvery: Int?

    @Option(help: "Clip the global gradient norm to this value (0 = off).")
    var clip: Float = 1

    @Option(
        help:
            """
            Stop after this many epochs (evaluations, with a step budget) without a better validation loss; best weights are \
            restored. Needs --val-fraction. Default: off.
            """
    )
    var patience: Int?

    @Option(help: "Regression loss: mse, mae or huber.")
    var loss: RegressionLoss = .mse

    @Option(
        help:
            """
            Scaling: window (each window by its own mean/std), zscore, minmax or none. Default: for forecasting window or \
            zscore, chosen with --difference on the training part; zscore otherwise.
            """
    )
    var normalize: Scaling?

    @Option(
        help:
            """
            Train on differences of this lag (0, 1 or the season); forecasts are integrated back. Default: 0 or the season, \
            chosen with --normalize on the training part.
            """
    )
    var difference: Int?

    @Option(
        help: "Linear autoregressive skip from the window to the forecast (on or off; forecasting, default on, off on differenced series).")
    var skip: OnOff?

    @Option(
        name: .customLong("gate-init"),
        help:
            """
            Memory-gate initialisation: auto (default: chrono above 32 steps), chrono (per-unit forget/update-gate biases spread \
            over the sequence's time scales), pytorch (unchanged), or a number added to those biases.
            """
    )
    var gateInit: String = "auto"

    @Option(help: "Random seed (weights, shuffling, dropout).")
    var seed: UInt64 = 0

    @Option(
        help: ArgumentHelp(
            "Networks trained from successive seeds that predict together.",
            discussion:
                "Default: 3 for forecasting (the median of their forecasts), 1 for classification and regression of "
                + "samples and text (an ensemble averages class probabilities); 1 with --checkpoint, --resume or "
                + "--init-from, which hold one network. Training time grows with the count."))
    var ensemble: Int?

    @Option(
        help:
            """
            Threads for training (each batch is split across them), evaluation and the test scoring. Default: the cores this \
            process may use (affinity mask and cgroup CPU quota). Results are identical for a given --seed and thread count, \
            not across thread counts (the gradient sums round differently); evaluation figures match across thread counts.
            """
    )
    var threads: Int?

    @OptionGroup var csv: CSVInputOptions
    @OptionGroup var windows: WindowOptions

    func validate() throws {
        // Sizes within the limits every model file must respect, so `train` never writes what `replay` could not load.
        let bounds: [(String, Int?, ClosedRange<Int>)] = [
            ("--hidden", hidden, 1 ... ModelLimits.hiddenSize), ("--layers", layers, 1 ... ModelLimits.layers),
            ("--batch", batch, 1 ... 1 << 20), ("--patch", patch, 1 ... ModelLimits.lookback), ("--epochs", epochs, 1 ... 1_000_000),
            ("--season", season.period, 1 ... ModelLimits.lookback), ("--lookback", windows.lookback, 1 ... ModelLimits.lookback),
            ("--horizon", windows.horizon, 1 ... ModelLimits.horizon), ("--stride", windows.stride, 1 ... ModelLimits.lookback),
            ("--vocab-size", vocabSize, 3 ... ModelLimits.vocabularySize), ("--min-count", minCount, 1 ... Int.max),
            ("--max-length", maxLength, 1 ... ModelLimits.lookback),
            ("--embedding-dim", embeddingDim, 1 ... ModelLimits.embeddingDimension),
            ("--threads", threads, 1 ... 1024), ("--ensemble", ensemble, 1 ... ModelLimits.members),
            ("--steps", steps, 1 ... 100_000_000), ("--eval-every", evalEvery, 1 ... 1_000_000),
            ("--difference", difference, 0 ... ModelLimits.lookback - 1),
        ]
        for case let (flag, value?, range) in bounds where !range.contains(value) {
            throw ValidationError("\(flag) must lie in \(range.lowerBound)...\(range.upperBound), not \(value)")
        }
        if let dropout, !(0 ..< 1).contains(dropout) { throw ValidationError("--dropout must lie in [0, 1)") }
        if (dropout ?? 0) > 0 && layers == 1 && text == nil {
            throw ValidationError("--dropout acts between stacked layers (and on text embeddings); use --layers 2 or more")
        }
        if let lr, lr <= 0 { throw ValidationError("--lr must be positive") }
        if steps != nil && epochs != nil { throw ValidationError("--steps and --epochs are two budgets; give one of them") }
        if evalEvery != nil && epochs != nil { throw ValidationError("--eval-every applies to a step budget, not to --epochs") }
        if patience != nil && windows.valFraction == 0 {
            throw ValidationError("--patience needs a validation part: add --val-fraction (e.g. 0.1)")
        }
        if task == .forecast && bidirectional {
            throw ValidationError("--bidirectional is for classify and regress: a forecaster reads the window's end")
        }
        if task == .forecast && pool != .last {
            throw ValidationError("--pool \(pool.rawValue) is for classify and regress: a forecaster reads the window's end (--pool last)")
        }
        if task != .forecast && !level.isEmpty { throw ValidationError("--level is for --task forecast") }
        if task != .forecast && !quantiles.isEmpty { throw ValidationError("--quantiles is for --task forecast") }
        if let problem = TrainingRequest.quantileProblem(quantiles.flattened()) { throw ValidationError("--quantiles: \(problem)") }
        if task != .forecast && windows.testStart != nil {
            throw ValidationError("--test-start is for --task forecast; classify and regress split with --test-fraction or --test")
        }
        if task == .forecast && test != nil {
            throw ValidationError("--test is for classify and regress; forecasting splits the series with --test-fraction")
        }
        if task != .forecast && (!target.isEmpty || (windows.lookback != nil && label == nil)) && text == nil {
            throw ValidationError(
                "--target and --lookback are for --task forecast; classify and regress read whole samples (--format ucr|long)")
        }
        if text != nil && task != .classify { throw ValidationError("--text needs --task classify") }
        if text != nil && label == nil { throw ValidationError("--text needs --label COL, the column holding each document's class") }
        if label != nil && task != .classify { throw ValidationError("--label needs --task classify") }
        if !categorical.isEmpty && !(task == .forecast || (task == .classify && label != nil && text == nil)) {
            throw ValidationError(
                "--categorical works with --task forecast and with classification of series windows (--task classify --label COL)")
        }
        if GateInitialization(argument: gateInit) == nil {
            throw ValidationError("--gate-init must be chrono, pytorch or a number, not '\(gateInit)'")
        }
    }

    /// The data path to read: standard input (`-`) is copied once into a temporary file, because
    /// training reads its data more than once (to pick defaults, then to train). The copy lives in a
    /// private directory (`mkdtemp`, mode 0700) registered with `TemporaryFiles`, so it goes away
    /// with the process: on exit, and on SIGINT, SIGTERM or SIGHUP.
    func dataPath() throws -> String {
        guard data == "-" else { return data }
        if let spooled = Self.spooledStandardInput { return spooled }
        let path = try StandardInputSpool.copy()
        Self.spooledStandardInput = path
        return path
    }

    nonisolated(unsafe) static var spooledStandardInput: String?

    /// The request for the library: the flags as given; the library resolves every default.
    func request() throws -> TrainingRequest {
        var r = TrainingRequest(dataPath: try dataPath())
        r.task = task
        r.testPath = test
        r.table = csv.tableOptions()
        r.format = format
        r.targets = target.flattened()
        r.features = features.flattened()
        r.categorical = categorical.flattened()
        r.labelColumn = label
        r.textColumn = text
        r.lookback = windows.lookback
        r.horizon = windows.horizon
        r.stride = windows.stride
        r.testFraction = windows.testFraction
        r.testStart = windows.testStart
        r.seriesEmbedding = seriesEmbedding
        r.sampling = sampling
        r.levels = Array(Set(level.joined())).sorted()
        r.quantiles = quantiles.flattened()
        r.valFraction = windows.valFraction
        r.season = season.period
        r.scaling = normalize
        r.difference = difference
        r.patch = patch
        r.hidden = hidden
        r.layers = layers
        r.bidirectional = bidirectional
        r.pool = pool
        r.dropout = dropout
        r.skip = skip.map { $0 == .on }
        r.gateInitialization = GateInitialization(argument: gateInit)!
        r.vocabularySize = vocabSize
        r.minCount = minCount
        r.maxLength = maxLength
        r.embeddingDimension = embeddingDim
        r.epochs = epochs
        r.steps = steps
        r.evaluationInterval = evalEvery
        r.batchSize = batch
        r.learningRate = lr
        r.optimizer = optimizer
        r.weightDecay = weightDecay
        r.clip = clip > 0 ? clip : nil
        r.patience = patience
        r.loss = loss
        r.seed = seed
        r.threads = threads
        r.ensemble = ensemble
        return r
    }
}

enum OnOff: String, ExpressibleByArgument { case on, off }

/// Standard input copied into a file in a new private temporary directory.
enum StandardInputSpool {
    /// Copies standard input to `$TMPDIR/tidal-PID-XXXXXX/stdin.csv` and returns that path.
    static func copy() throws -> String {
        let base = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
        let prefix = (base.hasSuffix("/") ? base : base + "/")
        removeStaleSpools(in: prefix)
        var template = Array(prefix.utf8CString.dropLast()) + Array("tidal-\(getpid())-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CommandError("cannot make a temporary directory in \(base) for standard input: \(String(cString: strerror(errno)))")
        }
        let directory = String(cString: made)
        TemporaryFiles.register(directory)  // registered first, so it is removed after the file inside it
        let path = directory + "/stdin.csv"
        TemporaryFiles.register(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CommandError("cannot store standard input in \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw CommandError("cannot read standard input: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            let error = buffer.withUnsafeBytes { Output.writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0 ..< n])) }
            if error != 0 { throw CommandError("cannot store standard input in \(path): \(String(cString: strerror(error)))") }
        }
        return path
    }

    /// Removes the spools of runs that were killed (`kill -9`) before they could: directories
    /// `tidal-PID-XXXXXX` of this user whose process no longer exists. Only their `stdin.csv` is
    /// removed, then the directory if that left it empty; anything else is left alone.
    static func removeStaleSpools(in prefix: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: prefix) else { return }
        for name in names where name.hasPrefix("tidal-") {
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[2].count == 6, let pid = Int32(parts[1]), pid > 0 else { continue }
            var info = stat()
            guard lstat(prefix + name, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid() else { continue }
            guard kill(pid, 0) != 0 && errno == ESRCH else { continue }
            unlink(prefix + name + "/stdin.csv")
            rmdir(prefix + name)
        }
    }
}

/// `--season`: `auto` (from the time column) or a period in rows.
enum SeasonChoice: ExpressibleByArgument, Equatable {
    case auto
    case rows(Int)

    init?(argument: String) {
        if argument == "auto" {
            self = .auto
        } else if let n = Int(argument) {
            self = .rows(n)
        } else {
            return nil
        }
    }

    /// The period, or nil for `auto`.
    var period: Int? {
        if case let .rows(n) = self { return n }
        return nil
    }

    var defaultValueDescription: String { "auto" }
}
