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
}

/// What the automatic choice settled on.
struct ForecastSelection {
    var candidate: ForecastCandidate
    /// Epochs for the final fit: the best epoch of the early-stopped trial on the validation tail.
    var epochs: Int
    /// One clause for the user: how the choice was made and every candidate's score.
    var note: String
}

extension TrainingSession {
    /// Training parts with at most this many windows are compared on rolling-origin folds; larger
    /// ones on a single validation tail, which is then long enough to be trusted and the folds
    /// would cost several full trainings.
    static let foldedSelectionWindowLimit = 1000

    /// The training part's ends of the rolling-origin folds, as fractions of it.
    static let foldEnds = [0.8, 0.9, 1.0]

    /// The default weight decay on differenced series (see `forecastDefaults`).
    static let differencedWeightDecay: Float = 0.03

    /// The skip and weight decay a forecaster gets when the user set neither.
    ///
    /// On the level (difference 0) the linear skip is on and there is no weight decay. On
    /// differences (lag 1 or the season) the network predicts a correction to the naive or
    /// seasonal-naive forecast: the skip is off and a weight decay of 0.03 shrinks that
    /// correction toward zero, that is toward the baseline, which on short noisy series is
    /// hard to beat by more than a little.
    static func forecastDefaults(difference: Int, _ request: TrainingRequest) -> (skip: Bool, weightDecay: Float) {
        (request.skip ?? (difference == 0),
         request.weightDecay ?? (difference > 0 ? differencedWeightDecay : 0))
    }

    /// The settings to compare: per-window scaling on the level and z-scoring on seasonal (or
    /// lag-1) differences, narrowed by whatever the user fixed.
    static func forecastCandidates(_ setup: ForecastSetup, _ request: TrainingRequest) -> [ForecastCandidate] {
        let season = max(1, setup.season)
        let pairs: [(Scaling, Int)]
        switch (setup.scaling, setup.difference) {
        case let (s?, d?): pairs = [(s, d)]
        case let (s?, nil): pairs = [(s, 0), (s, season)]
        case let (nil, d?): pairs = [(.window, d), (.zscore, d)]
        case (nil, nil): pairs = [(.window, 0), (.zscore, season)]
        }
        return pairs.map { scaling, difference in
            let (skip, weightDecay) = forecastDefaults(difference: difference, request)
            return ForecastCandidate(scaling: scaling, difference: difference, skip: skip, weightDecay: weightDecay)
        }
    }

    /// Chooses the forecast settings on the training part alone; the test part is never looked at.
    ///
    /// Every candidate is trained the way the final model is: an early-stopped trial on the
    /// training part's last 20 % picks the epoch count, then a refit on the whole training part
    /// runs that many epochs.
    /// - Larger training parts (over `foldedSelectionWindowLimit` windows): the candidate with
    ///   the lowest validation MAE in its trial wins.
    /// - Small ones: that tail is short, and the epoch picked on it flatters a candidate whose
    ///   error swings from epoch to epoch. So the whole procedure (trial and refit) is
    ///   backtested on rolling-origin folds ending at 80 %, 90 % and 100 % of the training part,
    ///   each fitted on its first 80 % and scored by MAE on the rest; the lowest mean MAE wins.
    ///
    /// - Returns: nil when no candidate could be tried.
    static func selectForecastSettings(table: Table, setup: ForecastSetup, request: TrainingRequest,
                                       observer: TrainingObserver?) throws -> ForecastSelection? {
        let candidates = forecastCandidates(setup, request)
        let trainEnd = ChronologicalSplit(rowCount: table.rowCount, testFraction: setup.testFraction, valFraction: 0).trainEnd
        let folded = candidates.count > 1 && trainEnd - setup.resolvedLookback - setup.horizon + 1 <= foldedSelectionWindowLimit

        var best: (score: Double, candidate: ForecastCandidate, epochs: Int?)?
        var scores: [String] = []
        for candidate in candidates {
            let (trial, request) = applying(candidate, to: setup, request)
            let score: Double, epochs: Int?
            if folded {
                guard let backtest = try foldScore(table: table, setup: trial, trainEnd: trainEnd, request: request,
                                                   observer: observer, name: candidate.name) else { continue }
                (score, epochs) = (backtest, nil)
                scores.append("\(candidate.name): \(formatShort(score))")
            } else {
                observer?.status("choosing scaling and differencing on a validation tail of the training part: \(candidate.name)…")
                guard let tail = try tailTrial(table: table, setup: trial, request: request) else { continue }
                (score, epochs) = (tail.mae, tail.epochs)
                scores.append("\(candidate.name): \(formatShort(score)) at epoch \(tail.epochs)")
            }
            if best == nil || score < best!.score { best = (score, candidate, epochs) }
        }
        guard let best else { return nil }
        var epochs = best.epochs
        if epochs == nil {
            // Backtested: the epoch count for the final fit comes from the winner's trial on the whole training part.
            observer?.status("choosing the epoch count on a validation tail of the training part: \(best.candidate.name)…")
            let (trial, request) = applying(best.candidate, to: setup, request)
            epochs = try tailTrial(table: table, setup: trial, request: request)?.epochs
        }
        let refit = epochs ?? request.training.epochs
        let how = folded
            ? "chosen by rolling-origin evaluation on \(foldEnds.count) folds of the training part (mean MAE \(scores.joined(separator: ", ")))"
            : "chosen on a validation tail of the training part (MAE \(scores.joined(separator: ", ")))"
        return ForecastSelection(candidate: best.candidate, epochs: refit, note: how + ", refitted for \(refit) epochs")
    }

    /// The setup and request that train `candidate`.
    static func applying(_ candidate: ForecastCandidate, to setup: ForecastSetup,
                                 _ request: TrainingRequest) -> (ForecastSetup, TrainingRequest) {
        var setup = setup
        setup.scaling = candidate.scaling
        setup.difference = candidate.difference
        var request = request
        request.skip = candidate.skip
        request.training.weightDecay = candidate.weightDecay
        return (setup, request)
    }

    /// Mean MAE of the candidate's whole procedure (tail trial, then refit) over the
    /// rolling-origin folds, or nil when no fold holds enough windows.
    private static func foldScore(table: Table, setup: ForecastSetup, trainEnd: Int, request: TrainingRequest,
                                  observer: TrainingObserver?, name: String) throws -> Double? {
        var maes: [Double] = []
        for (k, end) in foldEnds.enumerated() {
            observer?.status("choosing scaling and differencing by rolling-origin evaluation on the training part: \(name), fold \(k + 1) of \(foldEnds.count)…")
            var fold = setup
            fold.rowLimit = Int((Double(trainEnd) * end).rounded(.down))
            fold.testFraction = 0.2
            fold.valFraction = 0
            guard let task = try? ForecastTask(table: table, setup: fold), task.train.count >= 2, task.test.count >= 1,
                  let trial = try tailTrial(table: table, setup: fold, request: request) else { continue }
            var config = request.training
            config.epochs = trial.epochs
            let network = makeNetwork(architecture(for: task.spec, request), request, steps: task.spec.steps)
            _ = try Trainer(configuration: config, objective: .regression(request.loss)).train(network, on: task.train)
            maes.append(task.evaluate(network, on: task.test, loss: request.loss)!.mae!)
        }
        return maes.isEmpty ? nil : maes.reduce(0, +) / Double(maes.count)
    }

    /// The early-stopped trial on the training part's last 20 %: its validation MAE at the best
    /// epoch, and that epoch; nil when the part is too short for it.
    private static func tailTrial(table: Table, setup: ForecastSetup, request: TrainingRequest) throws -> (mae: Double, epochs: Int)? {
        var trial = setup
        trial.valFraction = 0.2
        guard let task = try? ForecastTask(table: table, setup: trial), task.validation.count >= 2, task.train.count >= 2 else { return nil }
        var config = request.training
        config.patience = config.patience ?? 10
        let network = makeNetwork(architecture(for: task.spec, request), request, steps: task.spec.steps)
        let result = try Trainer(configuration: config, objective: .regression(request.loss))
            .train(network, on: task.train, validate: { task.evaluate($0, on: task.validation, loss: request.loss)! })
        return (result.history[result.bestEpoch - 1].validation?.mae ?? .infinity, max(1, result.bestEpoch))
    }
}
