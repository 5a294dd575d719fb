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

    /// The settings to compare: per-window scaling on the level and z-scoring on seasonal (or
    /// lag-1) differences, narrowed by whatever the user fixed.
    static func candidates(_ setup: ForecastSetup, _ plan: TrainingPlan) -> [ForecastCandidate] {
        let season = max(1, setup.season)
        let pairs: [(Scaling, Int)]
        switch (setup.scaling, setup.difference) {
        case let (s?, d?): pairs = [(s, d)]
        case let (s?, nil): pairs = [(s, 0), (s, season)]
        case let (nil, d?): pairs = [(.window, d), (.zscore, d)]
        case (nil, nil): pairs = [(.window, 0), (.zscore, season)]
        }
        return pairs.map { scaling, difference in
            let (skip, weightDecay) = ForecastPipeline.defaults(difference: difference, plan)
            return ForecastCandidate(scaling: scaling, difference: difference, skip: skip, weightDecay: weightDecay)
        }
    }

    /// - Returns: the winner, or nil when no candidate could be tried.
    func run() throws -> ForecastSelection? {
        let candidates = Self.candidates(setup, plan)
        let trainEnd = ChronologicalSplit(rowCount: table.rowCount, testFraction: setup.testFraction, valFraction: 0).trainEnd
        let folded = candidates.count > 1 && trainEnd - setup.resolvedLookback - setup.horizon + 1 <= Self.foldedWindowLimit
        var best: (score: Double, candidate: ForecastCandidate, epochs: Int?)?
        var scores: [String] = []
        for candidate in candidates {
            let (trial, plan) = candidate.applied(to: setup, self.plan)
            let score: Double, epochs: Int?
            if folded {
                guard let backtest = try foldScore(trial, plan, trainEnd: trainEnd, name: candidate.name) else { continue }
                (score, epochs) = (backtest, nil)
                scores.append("\(candidate.name): \(formatMetric(score))")
            } else {
                observer?.status("choosing scaling and differencing on a validation tail of the training part: \(candidate.name)…")
                guard let tail = try tailTrial(trial, plan) else { continue }
                (score, epochs) = (tail.mae, tail.epochs)
                scores.append(
                    "\(candidate.name): \(formatMetric(score)) at \(plan.training.hasStepBudget ? "step" : "epoch") \(tail.epochs)")
            }
            if best == nil || score < best!.score { best = (score, candidate, epochs) }
        }
        guard let best else { return nil }
        var epochs = best.epochs
        if epochs == nil {
            // Backtested: the epoch count for the final fit comes from the winner's trial on the whole training part.
            observer?.status("choosing the epoch count on a validation tail of the training part: \(best.candidate.name)…")
            let (trial, plan) = best.candidate.applied(to: setup, self.plan)
            epochs = try tailTrial(trial, plan)?.epochs
        }
        let refit = epochs ?? plan.training.epochs
        let how =
            folded
            ? "chosen by rolling-origin evaluation on \(Self.foldEnds.count) folds of the training part (mean MAE "
                + "\(scores.joined(separator: ", ")))"
            : "chosen on a validation tail of the training part (MAE \(scores.joined(separator: ", ")))"
        let budget = plan.training.steps.map { "\(formatCount($0)) steps" } ?? "\(refit) epochs"
        return ForecastSelection(candidate: best.candidate, epochs: refit, note: how + ", refitted for " + budget)
    }

    /// Mean MAE of the candidate's whole procedure (tail trial, then refit) over the
    /// rolling-origin folds, or nil when no fold holds enough windows.
    private func foldScore(_ setup: ForecastSetup, _ plan: TrainingPlan, trainEnd: Int, name: String) throws -> Double? {
        var maes: [Double] = []
        for (k, end) in Self.foldEnds.enumerated() {
            observer?.status(
                "choosing scaling and differencing by rolling-origin evaluation on the training part: "
                    + "\(name), fold \(k + 1) of \(Self.foldEnds.count)…")
            var fold = setup
            fold.rowLimit = Int((Double(trainEnd) * end).rounded(.down))
            fold.testFraction = 0.2
            fold.valFraction = 0
            guard let task = try? ForecastTask(table: table, setup: fold), task.train.count >= 2, task.test.count >= 1,
                let trial = try tailTrial(fold, plan)
            else { continue }
            var config = plan.training
            config.epochs = trial.epochs
            let network = plan.makeNetwork(ForecastPipeline.architecture(for: task.spec, plan), steps: task.spec.steps)
            _ = try Trainer(configuration: config, objective: .regression(plan.request.loss)).train(network, on: task.train)
            maes.append(task.test.evaluate(network, loss: plan.request.loss, threads: config.threads).mae!)
        }
        return maes.isEmpty ? nil : maes.reduce(0, +) / Double(maes.count)
    }

    /// The early-stopped trial on the training part's last 20 %: its validation MAE at the best
    /// epoch, and that epoch; nil when the part is too short for it.
    ///
    /// Under a step budget the trial is short: `TrainingBudget.searchShare` of the budget, split
    /// between the candidates, scored on at most `TrainingBudget.evaluationWindowLimit` evenly spaced
    /// validation windows; it returns the steps of its best evaluation instead of an epoch.
    private func tailTrial(_ setup: ForecastSetup, _ plan: TrainingPlan) throws -> (mae: Double, epochs: Int)? {
        var trial = setup
        trial.valFraction = 0.2
        guard let task = try? ForecastTask(table: table, setup: trial), task.validation.count >= 2, task.train.count >= 2 else {
            return nil
        }
        var config = plan.training
        config.patience = config.patience ?? 10
        var validation = task.validation
        if let steps = config.steps {
            config.steps = max(1, Int(Double(steps) * TrainingBudget.searchShare) / Self.candidates(self.setup, self.plan).count)
            validation = validation.evenlySpaced(atMost: TrainingBudget.evaluationWindowLimit)
        }
        let network = plan.makeNetwork(ForecastPipeline.architecture(for: task.spec, plan), steps: task.spec.steps)
        let loss = plan.request.loss
        let result = try Trainer(configuration: config, objective: .regression(loss))
            .train(network, on: task.train, validate: { validation.evaluate($0, loss: loss, threads: config.threads) })
        let best = result.history[result.bestEpoch - 1]
        return (best.validation?.mae ?? .infinity, best.steps ?? max(1, result.bestEpoch))
    }
}
