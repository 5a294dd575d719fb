import Foundation
import TidalCore
import TidalData
import TidalNet

/// One combination of forecast settings that the automatic choice compares.
struct ForecastCandidate: Equatable {
    var scaling: Scaling
    var difference: Int
    /// The linear autoregressive skip.
    var skip: Bool
    var weightDecay: Float

    var name: String { "\(scaling.rawValue)/d\(difference)" }

    /// The setup and plan that train this candidate.
    func applied(to setup: ForecastSetup, _ plan: TrainingPlan) -> (ForecastSetup, TrainingPlan) {
        var setup = setup
        setup.scaling = scaling
        setup.difference = difference
        var plan = plan
        plan.request.skip = skip
        plan.training.weightDecay = weightDecay
        return (setup, plan)
    }
}

/// What the automatic choice settled on.
struct ForecastSelection {
    var candidate: ForecastCandidate
    /// Epochs for the final fit: the best epoch of the early-stopped trial on the validation tail.
    var epochs: Int
    /// One clause for the user: how the choice was made and every candidate's score.
    var note: String
    /// Set when no candidate beat the better of naive and seasonal naive on the training part's
    /// backtest: what was found and what was chosen instead.
    var warning: String?

    /// Sets the final fit's length in `training` and returns the clause that says it, so the note
    /// names the epochs the run takes: the trial's `epochs` (and the requested budget when that is
    /// more); up to the requested epochs when `earlyStops` (patience on the user's validation part
    /// ends the run, not the trial); a step budget unchanged.
    func refit(_ training: inout TrainingConfiguration, earlyStops: Bool) -> String {
        if let steps = training.steps { return ", refitted for \(formatCount(steps)) steps" }
        let requested = training.epochs
        if earlyStops, let patience = training.patience {
            return "; the final run stops early instead (patience \(patience) on the validation part, up to \(requested) epochs)"
        }
        training.epochs = epochs
        let count = epochs == 1 ? "1 epoch" : "\(epochs) epochs"
        return ", refitted for " + (epochs < requested ? "\(count) (its trial's best, of up to \(requested))" : count)
    }
}

/// One candidate's backtest: its MAE and the baselines' MAE on the same windows.
struct CandidateScore {
    var candidate: ForecastCandidate
    var mae: Double
    /// The better of naive and seasonal naive on the same windows, and its name.
    var baseline: (name: String, mae: Double)
    /// The early-stopped trial's best epoch (validation-tail comparisons only).
    var epochs: Int?

    var beatsBaseline: Bool { mae < baseline.mae }
}

/// Chooses scaling and differencing for a forecaster on the training part alone; the test part
/// is never looked at.
///
/// Every candidate is trained the way the final model is: an early-stopped trial on the
/// training part's last 20 % picks the epoch count, then a refit on the whole training part
/// runs that many epochs.
/// - Larger training parts (over `foldedWindowLimit` windows): the candidate with the lowest
///   validation MAE in its trial wins.
/// - Small ones: that tail is short, and the epoch picked on it flatters a candidate whose
///   error swings from epoch to epoch. So the whole procedure (trial and refit) is
///   backtested on rolling-origin folds ending at 80 %, 90 % and 100 % of the training part,
///   each fitted on its first 80 % and scored by MAE on the rest; the lowest mean MAE wins.
///   When no fold is long enough for a trial (a short series with a long horizon), the
///   candidates are compared on the validation tail instead.
///
/// Naive and seasonal naive are scored on the same windows. When no candidate beats the better
/// of them, the selection says so (`ForecastSelection.warning`) and takes the safest candidate:
/// the differenced one, whose weight decay shrinks its correction toward the baseline.
struct ForecastSettingSearch {
    /// Training parts with at most this many windows are compared on rolling-origin folds; larger
    /// ones on a single validation tail, which is then long enough to be trusted and the folds
    /// would cost several full trainings.
    static let foldedWindowLimit = 1000
    /// The training part's ends of the rolling-origin folds, as fractions of it.
    static let foldEnds = [0.8, 0.9, 1.0]

    let table: Table
    let setup: ForecastSetup
    let plan: TrainingPlan
    let observer: TrainingObserver?

    /// Whether the table holds many series.
    var panel: Bool { table.seriesName != nil }

    /// The settings to compare: per-window scaling on the level and z-scoring on seasonal
    /// differences (lag 1 without a season, or when the window is not longer than the season),
    /// narrowed by whatever the user fixed. With many series (`panel`) the differences are also
    /// tried scaled per window, as one global z-score lets the largest series set every scale
    /// (on aus_arrivals the global z-score wins at H = 1; on series of unlike sizes it need not).
    static func candidates(_ setup: ForecastSetup, _ plan: TrainingPlan, panel: Bool = false) -> [ForecastCandidate] {
        // Differences at the season's lag need a window longer than the season; else lag 1.
        let season = max(1, setup.season) < setup.resolvedLookback ? max(1, setup.season) : 1
        let pairs: [(Scaling, Int)]
        switch (setup.scaling, setup.difference) {
        case let (s?, d?): pairs = [(s, d)]
        case let (s?, nil): pairs = [(s, 0), (s, season)]
        case let (nil, d?): pairs = [(.window, d), (.zscore, d)]
        case (nil, nil): pairs = panel ? [(.window, 0), (.zscore, season), (.window, season)] : [(.window, 0), (.zscore, season)]
        }
        return pairs.map { scaling, difference in
            let (skip, weightDecay) = ForecastPipeline.defaults(difference: difference, plan)
            return ForecastCandidate(scaling: scaling, difference: difference, skip: skip, weightDecay: weightDecay)
        }
    }

    /// - Returns: the winner, or nil when no candidate could be tried.
    func run() throws -> ForecastSelection? {
        let candidates = Self.candidates(setup, plan, panel: panel)
        let trainEnd = ChronologicalSplit(rowCount: table.rowCount, testFraction: setup.testFraction, valFraction: 0).trainEnd
        // Many series, or a cut at a time, are compared on each series' validation tail before the
        // test part: the folds cut a single series' rows by fractions.
        var folded =
            !panel && setup.testStart == nil && candidates.count > 1
            && trainEnd - setup.resolvedLookback - setup.horizon + 1 <= Self.foldedWindowLimit
        var scores = try candidates.compactMap { try score($0, folded: folded, trainEnd: trainEnd) }
        if folded && scores.isEmpty {
            folded = false
            scores = try candidates.compactMap { try score($0, folded: false, trainEnd: trainEnd) }
        }
        guard let best = scores.min(by: { $0.mae < $1.mae }) else { return nil }
        var chosen = best
        var warning: String?
        if !best.beatsBaseline {
            // The safest setting: a correction to the (seasonal) naive forecast, shrunk toward it.
            chosen = scores.last { $0.candidate.difference > 0 } ?? best
            let found =
                "no network setting beat \(best.baseline.name) on the training part's backtest (best \(best.candidate.name) MAE "
                + "\(formatMetric(best.mae)) vs \(formatMetric(best.baseline.mae)))"
            warning =
                chosen.candidate.difference > 0
                ? found + "; trained the safest setting, \(chosen.candidate.name), whose weight decay pulls it toward the baseline"
                : found + "; no differenced setting was among the choices (--normalize/--difference narrowed them): "
                    + "consider more data, --epochs, or the baseline itself"
        }
        var epochs = chosen.epochs
        if epochs == nil {
            // Backtested: the epoch count for the final fit comes from the winner's trial on the whole training part.
            observer?.status("choosing the epoch count on a validation tail of the training part: \(chosen.candidate.name)…")
            let (trial, plan) = chosen.candidate.applied(to: setup, self.plan)
            epochs = try tailTrial(trial, plan)?.epochs
        }
        let refit = epochs ?? plan.training.epochs
        let listed = scores.map { s in
            "\(s.candidate.name): \(formatMetric(s.mae))"
                + (s.epochs.map { " at \(plan.training.hasStepBudget ? "step" : "epoch") \($0)" } ?? "")
        }
        let baselines = scores.first.map { "; \($0.baseline.name) \(formatMetric($0.baseline.mae))" } ?? ""
        let how =
            folded
            ? "chosen by rolling-origin evaluation on \(Self.foldEnds.count) folds of the training part (mean MAE "
                + "\(listed.joined(separator: ", "))\(baselines))"
            : "chosen on a validation tail of the training part (MAE \(listed.joined(separator: ", "))\(baselines))"
        return ForecastSelection(candidate: chosen.candidate, epochs: refit, note: how, warning: warning)
    }

    /// The candidate's score: backtested on the folds, or from its trial on the validation tail;
    /// nil when no window set is long enough.
    private func score(_ candidate: ForecastCandidate, folded: Bool, trainEnd: Int) throws -> CandidateScore? {
        let (trial, plan) = candidate.applied(to: setup, self.plan)
        if folded {
            guard let backtest = try foldScore(trial, plan, trainEnd: trainEnd, name: candidate.name) else { return nil }
            return CandidateScore(candidate: candidate, mae: backtest.mae, baseline: backtest.baseline)
        }
        observer?.status("choosing scaling and differencing on a validation tail of the training part: \(candidate.name)…")
        guard let tail = try tailTrial(trial, plan) else { return nil }
        return CandidateScore(candidate: candidate, mae: tail.mae, baseline: tail.baseline, epochs: tail.epochs)
    }

    /// The MAE on `set` of naive and, when the setup has a season, seasonal naive, in that order.
    private func baselines(on set: ForecastDataset) -> [(name: String, mae: Double)] {
        var scores = [("naive", set.meanAbsoluteError(of: set.naive()))]
        if setup.season > 1 { scores.append(("seasonal naive", set.meanAbsoluteError(of: set.seasonalNaive(period: setup.season)))) }
        return scores
    }

    /// The better of naive and seasonal naive on `set`, by MAE (naive on a tie).
    private func baseline(on set: ForecastDataset) -> (name: String, mae: Double) {
        baselines(on: set).min { $0.mae < $1.mae }!
    }

    /// Mean MAE of the candidate's whole procedure (tail trial, then refit) over the
    /// rolling-origin folds, and the better baseline's mean MAE on the same folds; nil when no
    /// fold holds enough windows.
    private func foldScore(
        _ setup: ForecastSetup, _ plan: TrainingPlan, trainEnd: Int, name: String
    ) throws -> (mae: Double, baseline: (name: String, mae: Double))? {
        var maes: [Double] = [], folds: [[(name: String, mae: Double)]] = []
        for (k, end) in Self.foldEnds.enumerated() {
            observer?.status(
                "choosing scaling and differencing by rolling-origin evaluation on the training part: "
                    + "\(name), fold \(k + 1) of \(Self.foldEnds.count)…")
            var fold = setup
            fold.rowLimit = Int((Double(trainEnd) * end).rounded(.down))
            fold.testFraction = 0.2
            fold.testStart = nil
            fold.valFraction = 0
            guard let task = try? ForecastTask(table: table, setup: fold), task.train.count >= 2, task.test.count >= 1,
                let trial = try tailTrial(fold, plan)
            else { continue }
            var config = plan.training
            config.epochs = trial.epochs
            let network = plan.makeNetwork(ForecastPipeline.architecture(for: task.spec, plan), steps: task.spec.steps)
            _ = try Trainer(configuration: config, objective: plan.forecastObjective).train(network, on: task.train)
            maes.append(task.test.evaluate(network, loss: plan.forecastObjective, threads: config.threads).mae!)
            folds.append(self.baselines(on: task.test))
        }
        guard !maes.isEmpty else { return nil }
        func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
        // Each baseline's mean over the folds, in `baselines(on:)` order, so a tie keeps naive.
        let baseline = folds[0].indices.map { k in (name: folds[0][k].name, mae: mean(folds.map { $0[k].mae })) }
            .min { $0.mae < $1.mae }!
        return (mean(maes), baseline)
    }

    /// The early-stopped trial on the training part's last 20 %: its validation MAE at the best
    /// epoch, that epoch, and the better baseline on the same windows; nil when the part is too
    /// short for it.
    ///
    /// Under a step budget the trial is short: `TrainingBudget.searchShare` of the budget, split
    /// between the candidates, scored on at most `TrainingBudget.evaluationWindowLimit` evenly spaced
    /// validation windows; it returns the steps of its best evaluation instead of an epoch.
    private func tailTrial(
        _ setup: ForecastSetup, _ plan: TrainingPlan
    ) throws -> (mae: Double, epochs: Int, baseline: (name: String, mae: Double))? {
        var trial = setup
        trial.valFraction = 0.2
        guard let task = try? ForecastTask(table: table, setup: trial), task.validation.count >= 2, task.train.count >= 2 else {
            return nil
        }
        var config = plan.training
        config.patience = config.patience ?? 10
        var validation = task.validation
        if let steps = config.steps {
            config.steps = max(
                1, Int(Double(steps) * TrainingBudget.searchShare) / Self.candidates(self.setup, self.plan, panel: panel).count)
            validation = validation.evenlySpaced(atMost: TrainingBudget.evaluationWindowLimit)
        }
        let network = plan.makeNetwork(ForecastPipeline.architecture(for: task.spec, plan), steps: task.spec.steps)
        let loss = plan.forecastObjective
        let result = try Trainer(configuration: config, objective: loss)
            .train(network, on: task.train, validate: { validation.evaluate($0, loss: loss, threads: config.threads) })
        let best = result.history[result.bestEpoch - 1]
        return (best.validation?.mae ?? .infinity, best.steps ?? max(1, result.bestEpoch), baseline(on: validation))
    }
}

extension ForecastSettingSearch {
    /// Conformal calibration for `setup` (the settings the final model trains with): the final
    /// model's procedure — the same settings and epoch count, no early stopping — fitted on the
    /// training part's first 80 %, its forecasts of the last 20 % scored against the actual
    /// values (`IntervalCalibration`). Early stopping on those rows would pick the epoch that
    /// fits them best and make the residuals, and so the intervals, too small. A quantile model is
    /// also scored for conformalised quantile regression on the same windows (`pairScores`).
    /// The baselines (naive, and seasonal naive with a season) are calibrated the same way on the
    /// same held-out windows, so their test intervals compare like with like.
    /// - Throws: `TrainingError.unsupported` when the training part is too short to hold out
    ///   `minimumResiduals` windows.
    func calibration(
        _ setup: ForecastSetup, _ plan: TrainingPlan, levels: [Double]
    ) throws -> (model: IntervalCalibration, baselines: [String: IntervalCalibration]) {
        observer?.status("calibrating the --level intervals on a held-out tail of the training part…")
        var held = setup
        held.valFraction = 0.2
        guard let task = try? ForecastTask(table: table, setup: held), task.validation.count >= Self.minimumResiduals,
            task.train.count >= 2
        else {
            throw TrainingError.unsupported(
                reason:
                    "--level needs at least \(Self.minimumResiduals) held-out windows in the training part's last 20 % to calibrate "
                    + "the intervals; use more data or a smaller --lookback")
        }
        var config = plan.training
        config.patience = nil
        let network = plan.makeNetwork(ForecastPipeline.architecture(for: task.spec, plan), steps: task.spec.steps)
        _ = try Trainer(configuration: config, objective: plan.forecastObjective).train(network, on: task.train)
        let set = task.validation
        var baselines = ["naive": Self.scores(of: set.naive(), on: set, levels: levels)]
        if set.spec.season > 1 {
            baselines["seasonal_naive"] = Self.scores(of: set.seasonalNaive(period: set.spec.season), on: set, levels: levels)
        }
        let forecasts = set.forecasts(network, loss: nil, threads: plan.training.threads)
        var model = Self.scores(of: forecasts.values, on: set, levels: levels)
        if !set.spec.quantiles.isEmpty { model.pairs = Self.pairScores(of: forecasts.quantiles, on: set, levels: levels) }
        return (model, baselines)
    }

    /// The calibration scores `|y − ŷ| / s` of forecasts `predicted` on `set`'s windows.
    static func scores(of predicted: [Float], on set: ForecastDataset, levels: [Double]) -> IntervalCalibration {
        let O = set.spec.outputCount
        let scores = residualScores(on: set) { i, o, y in abs(y - predicted[i * O + o]) }
        return IntervalCalibration(levels: levels, scores: scores)
    }

    /// Conformalised quantile regression's scores `max(q_lo − y, y − q_hi) / s` on `set`'s windows for
    /// the quantile pair each level uses (`IntervalCalibration.pair(for:in:)`), once per distinct pair.
    static func pairScores(of quantiles: [Float], on set: ForecastDataset, levels: [Double]) -> [IntervalCalibration.QuantilePair] {
        let spec = set.spec, O = spec.outputCount, Q = spec.quantiles.count
        var pairs: [IntervalCalibration.QuantilePair] = []
        for level in levels {
            guard let (lo, hi) = IntervalCalibration.pair(for: level, in: spec.quantiles),
                !pairs.contains(where: { $0.lower == spec.quantiles[lo] && $0.upper == spec.quantiles[hi] })
            else { continue }
            let scores = residualScores(on: set) { i, o, y in
                max(quantiles[(i * O + o) * Q + lo] - y, y - quantiles[(i * O + o) * Q + hi])
            }
            pairs.append(.init(lower: spec.quantiles[lo], upper: spec.quantiles[hi], scores: scores))
        }
        return pairs
    }

    /// Per output, `residual(window, output, y) / s` over `set`'s windows with a known actual `y`
    /// and a finite residual, `s` the window's scale (`IntervalCalibration.windowScale`).
    static func residualScores(on set: ForecastDataset, _ residual: (Int, Int, Float) -> Float) -> [[Float]] {
        let actual = set.actuals()
        let spec = set.spec, O = spec.outputCount, C = spec.columns.count, H = spec.horizon
        var scores = Array(repeating: [Float](), count: O)
        set.raw.withUnsafeBufferPointer { raw in
            for (i, origin) in set.origins.enumerated() {
                let window = raw.baseAddress! + (origin - spec.lookback) * C
                for (k, c) in spec.targetIndices.enumerated() {
                    let s = IntervalCalibration.windowScale(window, rows: spec.lookback, column: c, columns: C)
                    for h in 0 ..< H where !actual[i * O + k * H + h].isNaN {
                        let r = residual(i, k * H + h, actual[i * O + k * H + h])
                        if !r.isNaN { scores[k * H + h].append(r / s) }
                    }
                }
            }
        }
        return scores
    }

    /// Held-out windows calibration needs at the least.
    static let minimumResiduals = 10
}
