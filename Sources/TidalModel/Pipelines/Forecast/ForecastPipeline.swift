import Foundation
import TidalCore
import TidalData
import TidalNet

/// Forecasting: windows of `lookback` rows predict the next `horizon` values of the targets.
struct ForecastPipeline: TaskPipeline {
    let spec: ForecastSpec
    /// While training: the task the datasets came from (the MASE scale needs its training rows).
    var training: ForecastTask?
    /// The loss the network trains and is evaluated under: a regression loss, or the pinball loss of a quantile model.
    var objective: Objective = .regression(.mse)
    /// Threads the evaluations and the test scoring run their batches on.
    var threads = 1
    /// While training with `--level`: the baselines' interval calibrations, by baseline name.
    var baselineCalibrations: [String: IntervalCalibration] = [:]

    init(spec: ForecastSpec) { self.spec = spec }

    var schema: TaskSchema { .forecast(spec) }
    var task: TaskKind { .forecast }
    var input: TaskInput { .forecast }

    // MARK: training

    /// Scaling, differencing and the epoch count are chosen on the training part alone
    /// (`ForecastSettingSearch`; the test part is never looked at), narrowed by whatever the user
    /// fixed (all of it when scaling and differencing are both given with a validation part:
    /// then the run trains for `epochs`). With a validation part and `patience`, early stopping
    /// on it ends the final run instead of the chosen epoch count.
    /// - Throws: `TrainingError.unsupported` for a bidirectional or pooling request.
    static func prepare(_ plan: TrainingPlan, observer: TrainingObserver?) throws -> PreparedTask<ForecastPipeline> {
        if let reason = Self.readsWindowEnd(bidirectional: plan.request.bidirectional, pool: plan.request.pool) {
            throw TrainingError.unsupported(reason: reason)
        }
        var options = plan.request.table
        var setup = plan.forecast
        let features = setup.features.isEmpty ? setup.targets : setup.features
        options.numericColumns = features + setup.targets.filter { !features.contains($0) }
        options.textColumns = setup.categorical
        options.readsSeries = true
        var table = try Table.load(path: plan.request.dataPath, options: options)
        if let id = plan.request.onlySeries { table = try table.series(id) }
        if plan.request.seriesEmbedding {
            guard let name = table.seriesName else {
                throw DataError.unusable(source: table.source, reason: "--series-embedding needs a series column; name it with --series")
            }
            if !setup.categorical.contains(name) { setup.categorical.append(name) }
        }
        var seasonNote = ""
        if setup.infersSeason {
            let inferred = SeasonInference.infer(table.time)
            setup.season = inferred.period
            setup.infersSeason = false
            seasonNote = " (auto: \(inferred.frequency))"
        }
        var plan = plan
        plan.forecast = setup
        var final = setup
        if plan.training.batchSize == 0 { plan.training.batchSize = 32 }
        // The budget first: under a step budget the setting search runs short trials.
        TrainingBudget.resolve(&plan.training, request: plan.request, samples: trainingWindows(table, setup))
        var selectionNote = ""
        var warning: String?
        // Scaling and differencing both fixed, and a validation part to watch or a step budget (which
        // fixes the refit's length): nothing is left to choose.
        let fixed = setup.scaling != nil && setup.difference != nil
        let everythingFixed = fixed && (setup.valFraction > 0 || plan.training.hasStepBudget)
        if !everythingFixed, let selection = try ForecastSettingSearch(table: table, setup: setup, plan: plan, observer: observer).run() {
            (final, plan) = selection.candidate.applied(to: setup, plan)
            // Early stopping on the user's validation part, when asked for, ends the run, not the trial.
            selectionNote = "; " + selection.note + selection.refit(&plan.training, earlyStops: setup.valFraction > 0)
            warning = selection.warning
        } else {
            (plan.request.skip, plan.training.weightDecay) = defaults(difference: setup.difference ?? 0, plan)
        }
        let task = try ForecastTask(table: table, setup: final)
        if let leftOut = task.leftOut { warning = [warning, leftOut].compactMap { $0 }.joined(separator: "; ") }
        var spec = task.spec
        var baselineCalibrations: [String: IntervalCalibration] = [:]
        if !plan.request.levels.isEmpty {
            (spec.calibration, baselineCalibrations) = try ForecastSettingSearch(table: table, setup: final, plan: plan, observer: observer)
                .calibration(final, plan, levels: plan.request.levels)
            let method = spec.quantiles.isEmpty ? "split conformal" : "conformalised quantile regression"
            selectionNote += "; intervals calibrated on \(spec.calibration!.count) held-out windows per horizon step (\(method))"
        }
        var pipeline = ForecastPipeline(spec: spec)
        pipeline.training = task
        pipeline.baselineCalibrations = baselineCalibrations
        pipeline.objective = plan.forecastObjective
        pipeline.threads = plan.training.threads
        // Under a step budget a long validation part is scored on evenly spaced windows at each evaluation.
        let validation =
            plan.training.hasStepBudget ? task.validation.evenlySpaced(atMost: TrainingBudget.evaluationWindowLimit) : task.validation
        let choices = task.choices + selectionNote
        let description =
            "forecast \(spec.targets.joined(separator: ",")): \(task.train.count) training, \(task.validation.count) validation, "
            + "\(task.test.count) test windows; lookback \(spec.lookback), horizon \(spec.horizon), "
            + "season \(spec.season)\(seasonNote); \(choices)"
        return PreparedTask(
            pipeline: pipeline, architecture: architecture(for: spec, plan), train: task.train,
            validation: validation.count > 0 ? validation : nil, test: task.test.count > 0 ? task.test : nil,
            training: plan.training, objective: plan.forecastObjective, steps: spec.steps,
            description: description, choices: choices, warning: warning, trainingRange: task.learnedRange())
    }

    /// Training windows of `setup` on `table` (those of the refit when a setting search runs).
    static func trainingWindows(_ table: Table, _ setup: ForecastSetup) -> Int {
        let spec = WindowSpec(lookback: setup.resolvedLookback, horizon: setup.horizon, stride: setup.stride)
        if table.seriesName == nil && setup.testStart == nil {
            let split = ChronologicalSplit(rowCount: table.rowCount, testFraction: setup.testFraction, valFraction: setup.valFraction)
            return WindowOrigins(split: split, spec: spec).train.count
        }
        var windows = setup
        windows.scaling = windows.scaling ?? .window
        windows.difference = windows.difference ?? 0
        return (try? ForecastTask(table: table, setup: windows))?.train.count ?? 0
    }

    /// The default weight decay on differenced series (see `defaults`).
    static let differencedWeightDecay: Float = 0.03

    /// The skip and weight decay a forecaster gets when the user set neither.
    ///
    /// On the level (difference 0) the linear skip is on and there is no weight decay. On
    /// differences (lag 1 or the season) the network predicts a correction to the naive or
    /// seasonal-naive forecast: the skip is off and a weight decay of 0.03 shrinks that
    /// correction toward zero, that is toward the baseline, which on short noisy series is
    /// hard to beat by more than a little.
    static func defaults(difference: Int, _ plan: TrainingPlan) -> (skip: Bool, weightDecay: Float) {
        (plan.request.skip ?? (difference == 0), plan.request.weightDecay ?? (difference > 0 ? differencedWeightDecay : 0))
    }

    /// The network for `spec`: the skip spans the window's steps unless it is off.
    static func architecture(for spec: ForecastSpec, _ plan: TrainingPlan) -> ModelArchitecture {
        var a = plan.architecture(
            inputSize: spec.featureCount, outputSize: spec.networkOutputCount,
            skipSteps: defaults(difference: spec.difference, plan).skip ? spec.steps : 0, categorical: spec.categorical)
        a.quantiles = spec.quantiles.count
        return a
    }

    func evaluate(_ network: SequenceModel, on data: ForecastDataset) -> Evaluation {
        data.evaluate(network, loss: objective, threads: threads)
    }

    func score(_ network: any SequencePredicting, _ prepared: PreparedTask<ForecastPipeline>) -> Scoring {
        guard let test = prepared.test, let task = training else { return Scoring(test: nil) }
        let forecasts = test.forecasts(network, loss: nil, threads: threads)
        let predicted = forecasts.values
        let naive = test.naive()
        let seasonal = spec.season > 1 ? test.seasonalNaive(period: spec.season) : nil
        var scoring: Scoring
        if task.layout.isPanel {
            scoring = Self.seriesScoring(
                model: predicted, naive: naive, seasonal: seasonal, metrics: { task.seriesMetrics(of: $0, on: test) })
        } else {
            let metrics = task.metrics(of: predicted, on: test)
            scoring = Scoring(
                test: .init(metrics), baselines: ["naive": .init(task.metrics(of: naive, on: test))],
                final: ["mae": metrics.mae, "rmse": metrics.rmse, "smape": metrics.smape, "mase": metrics.mase])
            if let seasonal { scoring.baselines["seasonal_naive"] = .init(task.metrics(of: seasonal, on: test)) }
        }
        scoring.forecastPlot = plot(
            test, scoring, predicted: predicted, naive: naive, seasonal: seasonal, time: task.time, names: task.layout.names, part: "test")
        let scale = Self.meanScale(task.maseScales(), of: test)
        scoring.test?.intervals = intervalScores(
            spec.calibration, on: test, predicted: predicted, quantiles: forecasts.quantiles, scale: scale)
        scoring.test?.quantiles = quantileScores(forecasts.quantiles, on: test, scale: scale)
        for (name, values) in [("naive", naive), ("seasonal_naive", seasonal)] {
            guard let values, let calibration = baselineCalibrations[name] else { continue }
            scoring.baselines[name]?.intervals = intervalScores(calibration, on: test, predicted: values, scale: scale)
        }
        return scoring
    }

    /// `forecast.svg`'s data: the one-step forecasts of `set` beside its actual values and the
    /// baselines, its series picked and titled by the MASEs in `scoring`.
    func plot(
        _ set: ForecastDataset, _ scoring: Scoring, predicted: [Float], naive: [Float], seasonal: [Float]?, time: [String]?,
        names: [String], part: String
    ) -> ForecastPlot {
        var mases: [String: Double] = [:]
        if let perSeries = scoring.test?.perSeries {
            for entry in perSeries { mases[entry.series] = entry.mase }
        } else if let mase = scoring.test?.mase {
            mases[names[0]] = mase
        }
        let baselines = [("naive", naive)] + (seasonal.map { [("seasonal naive", $0)] } ?? [])
        return set.plot(
            predicted: predicted, baselines: baselines, time: time, names: names, mases: mases, part: part, calibrated: spec)
    }

    /// The mean of the known (finite, positive) MASE scales of the series `set` has windows of: MSIS's scale.
    static func meanScale(_ scales: [Double], of set: ForecastDataset) -> Double {
        let known = Set(set.originSeries).map { scales[$0] }.filter { $0.isFinite && $0 > 0 }
        return known.isEmpty ? .nan : known.reduce(0, +) / Double(known.count)
    }

    /// Coverage, width and MSIS on `set` of the intervals `calibration` puts around `predicted`
    /// (and, for a quantile model, its `quantiles`: `[count, outputCount × Q]`); nil without
    /// calibration. (With many series MSIS uses the mean of the series' MASE scales.)
    func intervalScores(
        _ calibration: IntervalCalibration?, on set: ForecastDataset, predicted: [Float], quantiles: [Float] = [], scale: Double
    ) -> IntervalScores? {
        guard let calibration else { return nil }
        var spec = spec
        spec.calibration = calibration
        if quantiles.isEmpty { spec.quantiles = [] }
        let O = spec.outputCount, C = spec.columns.count, Q = spec.quantiles.count
        var bounds: [Double: [(lo: Float, hi: Float)]] = [:]
        set.raw.withUnsafeBufferPointer { raw in
            for (i, o) in set.origins.enumerated() {
                let line = spec.intervalBounds(
                    Array(predicted[i * O ..< (i + 1) * O]), quantiles: Array(quantiles[i * O * Q ..< (i + 1) * O * Q]),
                    window: raw.baseAddress! + (o - spec.lookback) * C)
                for (j, level) in (0 ..< O).flatMap({ j in calibration.levels.map { (j, $0) } }).enumerated() {
                    bounds[level.1, default: []].append(line[j])
                }
            }
        }
        return IntervalScores(actual: set.actuals(), bounds: bounds, scale: scale)
    }

    /// A quantile model's scaled pinball loss and per-quantile coverage on `set`; nil for a point model.
    func quantileScores(_ quantiles: [Float], on set: ForecastDataset, scale: Double) -> QuantileScores? {
        spec.quantiles.isEmpty ? nil : QuantileScores(actual: set.actuals(), quantiles: quantiles, levels: spec.quantiles, scale: scale)
    }

    /// Many-series scores of the model and the baselines, each series scored on its own
    /// (`metrics`), with the count of series on which the model beats each baseline.
    static func seriesScoring(
        model: [Float], naive: [Float], seasonal: [Float]?, metrics: ([Float]) -> SeriesMetrics
    ) -> Scoring {
        let mine = metrics(model)
        var baselines: [String: MetricsReport.Scores] = [:]
        for (name, values) in [("naive", naive), ("seasonal_naive", seasonal)] {
            guard let values else { continue }
            let theirs = metrics(values)
            var scores = MetricsReport.Scores(theirs)
            scores.modelBetterOn = mine.better(than: theirs)
            baselines[name] = scores
        }
        return Scoring(
            test: .init(mine), baselines: baselines,
            final: ["mae": mine.pooled.mae, "rmse": mine.pooled.rmse, "smape": mine.pooled.smape, "mase": mine.meanMASE])
    }

    /// What is wrong with the spec's interval calibration, or nil (none, or a sound one).
    static func calibrationProblem(_ spec: ForecastSpec) -> String? {
        guard let c = spec.calibration else { return nil }
        if c.levels.isEmpty || !c.levels.allSatisfy({ $0 > 0 && $0 < 100 }) { return "calibration levels must lie in (0, 100)" }
        if c.scores.count != spec.outputCount { return "calibration holds \(c.scores.count) score lists for \(spec.outputCount) outputs" }
        func sorted(_ s: [Float]) -> Bool { !s.isEmpty && s.allSatisfy(\.isFinite) && !zip(s, s.dropFirst()).contains { $0 > $1 } }
        if !c.scores.allSatisfy({ sorted($0) && $0[0] >= 0 }) {
            return "calibration scores must be non-empty, finite, non-negative and sorted"
        }
        guard let pairs = c.pairs else { return nil }
        if spec.quantiles.isEmpty { return "calibration pairs need the model's quantiles; a point model holds none" }
        for p in pairs {
            guard spec.quantiles.contains(p.lower), spec.quantiles.contains(p.upper), p.lower < p.upper else {
                return "calibration pairs must name two of the model's quantiles, lower first (found \(p.lower), \(p.upper))"
            }
            if p.scores.count != spec.outputCount || !p.scores.allSatisfy(sorted) {
                return "calibration pair scores must hold one non-empty, finite, sorted list per output"
            }
        }
        return nil
    }

    /// What is wrong with the spec's quantile levels, or nil (none, or each finite, in (0, 1),
    /// strictly increasing and holding 0.5, the point forecast).
    static func quantilesProblem(_ spec: ForecastSpec) -> String? {
        let q = spec.quantiles
        guard !q.isEmpty else { return nil }
        if q.count > ModelLimits.quantiles { return "quantiles holds \(q.count) levels, more than \(ModelLimits.quantiles)" }
        if let bad = q.first(where: { !($0.isFinite && $0 > 0 && $0 < 1) }) { return "quantiles: \(bad) is not a level in (0, 1)" }
        if zip(q, q.dropFirst()).contains(where: { $0 >= $1 }) { return "quantiles must be strictly increasing" }
        if spec.medianIndex == nil { return "quantiles must hold 0.5 (the point forecast)" }
        return nil
    }

    /// Why a forecaster cannot have these settings (it predicts from the state at the window's end), or nil.
    static func readsWindowEnd(bidirectional: Bool, pool: Pooling) -> String? {
        if bidirectional { return "a forecaster reads the window's end; bidirectional layers are for whole samples (classify, regress)" }
        if pool != .last { return "a forecaster reads the window's end; pooling \(pool.rawValue) is for whole samples (classify, regress)" }
        return nil
    }

    // MARK: a trained model

    func mismatch(with a: ModelArchitecture) -> String? {
        // Sizes first: the arithmetic after them (steps, outputs, the difference's range) cannot overflow once they hold.
        if let problem = SchemaCheck.first(
            SchemaCheck.within("lookback", spec.lookback, 1 ... ModelLimits.lookback),
            SchemaCheck.within("horizon", spec.horizon, 1 ... ModelLimits.horizon),
            SchemaCheck.within("season", spec.season, 1 ... ModelLimits.lookback),
            SchemaCheck.within("targets", spec.targets.count, 1 ... ModelLimits.outputSize))
            ?? SchemaCheck.within("difference", spec.difference, 0 ... spec.lookback - 1)
        {
            return problem
        }
        if let problem = Self.quantilesProblem(spec) { return problem }
        let fits =
            spec.networkOutputCount == a.outputSize && spec.quantiles.count == a.quantiles && spec.featureCount == a.inputSize
            && a.vocabularySize == 0
            && spec.categorical.map(\.values.count) == a.categoricalVocabularies
            && spec.categorical.map(\.dimension) == a.categoricalDimensions
            && (a.skipSteps == 0 || a.skipSteps == spec.steps)
        return SchemaCheck.first(
            Self.readsWindowEnd(bidirectional: a.bidirectional, pool: a.pool),
            SchemaCheck.unique(spec.features, "features"), SchemaCheck.unique(spec.targets, "targets"),
            SchemaCheck.unique(spec.columns + spec.categorical.map(\.name), "input columns"),
            SchemaCheck.normalizer(spec.normalizer, columns: spec.columns.count),
            SchemaCheck.categorical(spec.categorical), Self.calibrationProblem(spec),
            fits ? nil : "the forecasting schema does not fit the architecture (inputs, outputs, quantiles, embeddings or skip width)")
    }

    var summary: SchemaSummary {
        let n = spec.normalizer
        var scaling = "scaling: \(spec.scaling.rawValue), difference \(spec.difference), global normalizer \(n.kind.rawValue)"
        if n.kind != .none {
            scaling +=
                " ("
                + zip(spec.columns, zip(n.shift, n.scale))
                .map { "\($0): shift \(formatNumber($1.0)), scale \(formatNumber($1.1))" }.joined(separator: "; ") + ")"
        }
        var lines = [
            "schema: features \(spec.features.joined(separator: ",")), targets \(spec.targets.joined(separator: ",")), "
                + "time column \(spec.timeColumn ?? "-"), lookback \(spec.lookback), horizon \(spec.horizon), season \(spec.season)",
            scaling,
        ]
        if !spec.categorical.isEmpty { lines.append(categoricalLine(spec.categorical)) }
        if !spec.quantiles.isEmpty {
            lines.append(
                "quantiles: \(spec.quantiles.map(ForecastSpec.quantileLabel).joined(separator: ", ")) (non-crossing head: the lowest "
                    + "plus cumulated softplus increments; the median is the point forecast)")
        }
        var summary = SchemaSummary(
            lines: lines,
            fields: [
                "schema": [
                    "features": .strings(spec.features), "targets": .strings(spec.targets), "time_column": .optional(spec.timeColumn),
                    "lookback": .int(spec.lookback), "horizon": .int(spec.horizon), "difference": .int(spec.difference),
                    "season": .int(spec.season), "scaling": .string(spec.scaling.rawValue),
                ],
                "normalizer": [
                    "kind": .string(n.kind.rawValue), "columns": .strings(spec.columns), "shift": .numbers(n.shift),
                    "scale": .numbers(n.scale),
                ],
                "categorical": categoricalFields(spec.categorical),
            ])
        if !spec.quantiles.isEmpty { summary.fields["quantiles"] = .numbers(spec.quantiles) }
        return summary
    }

    /// Every complete window of every series in the file, scored beside the baselines; MASE
    /// scales each series by its own in-sample seasonal-naive error over the whole file.
    func evaluate(_ model: TrainedModel, dataPath: String, options: TableOptions, threads: Int) throws -> Scoring {
        let forecaster = Forecaster(spec: spec, network: model.makePredictor())
        let table = try Table.load(path: dataPath, options: forecaster.tableOptions(options))
        let (layout, raw, codes) = try forecaster.seriesRows(table)
        let origins = layout.ranges.flatMap { range in
            range.count >= spec.lookback + spec.horizon ? Array(range.lowerBound + spec.lookback ... range.upperBound - spec.horizon) : []
        }
        guard !origins.isEmpty else {
            throw DataError.unusable(
                source: table.source,
                reason: "\(layout.isPanel ? "no series holds" : "\(table.rowCount) rows hold no") complete window of lookback "
                    + "\(spec.lookback) + horizon \(spec.horizon)")
        }
        let set = ForecastDataset(spec: spec, raw: raw, origins: origins, codes: codes, segments: layout.ranges)
        let forecasts = set.forecasts(forecaster.network, loss: nil, threads: threads)
        let predicted = forecasts.values
        let C = spec.columns.count
        let c0 = spec.columns.firstIndex(of: spec.targets[0])!
        let scales = layout.ranges.map { range in
            ForecastMetrics.scale(range.map { Double(raw[$0 * C + c0]) }, end: range.count, season: spec.season)
        }
        let naive = set.naive()
        let seasonal = spec.season > 1 ? set.seasonalNaive(period: spec.season) : nil
        var scoring: Scoring
        if layout.isPanel {
            scoring = Self.seriesScoring(
                model: predicted, naive: naive, seasonal: seasonal,
                metrics: { set.seriesMetrics(of: $0, scales: scales, names: layout.names) })
            scoring.final = [:]
        } else {
            func metrics(_ p: [Float]) -> MetricsReport.Scores { .init(set.metrics(of: p, scale: scales[0])) }
            scoring = Scoring(test: metrics(predicted), baselines: ["naive": metrics(naive)])
            if let seasonal { scoring.baselines["seasonal_naive"] = metrics(seasonal) }
        }
        let time = table.time.map { t in layout.order.map { t[$0] } }
        scoring.forecastPlot = plot(
            set, scoring, predicted: predicted, naive: naive, seasonal: seasonal, time: time, names: layout.names, part: "scored")
        let scale = Self.meanScale(scales, of: set)
        scoring.test?.intervals = intervalScores(
            spec.calibration, on: set, predicted: predicted, quantiles: forecasts.quantiles, scale: scale)
        scoring.test?.quantiles = quantileScores(forecasts.quantiles, on: set, scale: scale)
        if let range = model.metadata.trainingRange, let time = table.time {
            // The rows scored are the windows' targets.
            let scored = Set(origins.flatMap { o in (o ..< o + spec.horizon).map { layout.order[$0] } }).map { time[$0] }
            let inside = range.overlapCount(scored)
            if inside > 0 {
                scoring.overlap = "\(inside) of the \(scored.count) scored rows have times the model learned from (\(range.description))"
            }
        }
        return scoring
    }

    func rowPredictor(_ model: TrainedModel) throws -> any RowPredictor {
        Forecaster(spec: spec, network: model.makePredictor())
    }
}

/// `inspect`'s line for categorical covariates.
func categoricalLine(_ columns: [CategoricalColumn]) -> String {
    "categorical covariates: "
        + columns.map {
            "\($0.name) (\($0.values.count - 1) training values + <unk>, embedding \($0.dimension))"
        }.joined(separator: ", ")
}

/// `inspect --json`'s member for categorical covariates.
func categoricalFields(_ columns: [CategoricalColumn]) -> JSONValue {
    .array(columns.map { ["name": .string($0.name), "values": .strings($0.values), "dimension": .int($0.dimension)] })
}
