import Foundation
import TidalCore
import TidalData
import TidalNet

/// How much a run trains when the caller sets neither `epochs` nor `steps`: full passes over a
/// small training part, a fixed number of optimizer steps over a large one.
///
/// A full pass over a few thousand windows costs well under a second, and early stopping over
/// up to 100 of them is what the small public series are tuned for. On long series the epoch
/// count that early stopping picks stays about the same while every epoch grows with the rows,
/// so the time grows linearly for no gain in accuracy. Above `stepThreshold` training windows
/// (or samples, or documents) the run therefore takes `defaultSteps` optimizer steps instead,
/// each on a batch drawn uniformly from the whole training part (as neuralforecast's `max_steps`,
/// and the fixed batches per epoch of Darts and GluonTS), evaluated every `evaluationInterval`
/// steps. Both figures were chosen by measurement; `Docs/performance.md` ("Training budget") has
/// the runs.
///
/// ```swift
/// var request = TrainingRequest(dataPath: "sensor.csv")
/// request.steps = 2000  // a step budget whatever the size; `epochs` forces full passes
/// ```
public enum TrainingBudget {
    /// Training parts with more samples than this get a step budget by default (the largest public
    /// series here, elecdemand, has 13,920 training windows).
    public static let stepThreshold = 20_000
    /// The default step budget of a large training part.
    public static let defaultSteps = 20_000
    /// Steps between evaluations under a step budget (the unit of patience and checkpoints).
    public static let evaluationInterval = 200
    /// Under a step budget, a validation part is scored on at most this many evenly spaced windows
    /// at each evaluation (the final test scores always use every window).
    public static let evaluationWindowLimit = 4096
    /// The share of the step budget the forecast setting search spends in all, split evenly between
    /// its candidates (a short trial each, on windows drawn from the training part's first 80 %).
    public static let searchShare = 0.1
    /// A forecaster's peak learning rate under a step budget (annealed by a cosine to a hundredth of
    /// it over the budget); epochs keep 1e-3 throughout.
    public static let forecastPeakRate: Float = 2e-3

    /// Sets `configuration.steps` for a training part of `samples` samples: the request's `steps`,
    /// else `defaultSteps` when it gives no `epochs` either and `samples > stepThreshold`. A step
    /// budget anneals its learning rate over the budget (`annealsOverBudget`), from
    /// `forecastPeakRate` for a forecaster whose request leaves the rate unset. Calling it again with
    /// the same figures changes nothing.
    static func resolve(_ configuration: inout TrainingConfiguration, request: TrainingRequest, samples: Int) {
        if let steps = request.steps {
            configuration.steps = steps
        } else if request.epochs == nil && samples > stepThreshold {
            configuration.steps = defaultSteps
        }
        guard configuration.hasStepBudget else { return }
        configuration.annealsOverBudget = true
        if request.learningRate == nil && request.task == .forecast { configuration.learningRate = forecastPeakRate }
    }

    /// The description line's clause: the budget and why.
    static func clause(_ configuration: TrainingConfiguration, request: TrainingRequest, samples: Int, unit: String) -> String {
        let batch = configuration.batchSize
        if let steps = configuration.steps {
            let why =
                request.steps != nil
                ? "--steps" : "default above \(formatCount(stepThreshold)) training \(unit); --epochs N trains full passes instead"
            return "budget \(formatCount(steps)) steps of \(batch) \(unit) drawn from \(formatCount(samples)), "
                + "evaluated every \(configuration.evaluationInterval) steps (\(why))"
        }
        let why = request.epochs != nil ? "--epochs" : "default up to \(formatCount(stepThreshold)) training \(unit)"
        let epochs = configuration.epochs == 1 ? "1 epoch" : "\(configuration.epochs) epochs"
        return "budget \(epochs) of \(formatCount(samples)) \(unit) (\(why))"
    }
}

/// How far a training run is, after a batch: what status lines and progress bars show.
public struct TrainingProgress: Sendable {
    /// The epoch (under a step budget: the evaluation interval) in progress, 1-based.
    public var epoch: Int
    /// Batches of it done, and in it.
    public var batch: Int, batchCount: Int
    /// The epochs asked for; nil under a step budget.
    public var epochs: Int?
    /// Optimizer steps taken, and the most the run takes (epochs × batches per epoch, or the step budget).
    public var step: Int, totalSteps: Int
    /// Steps already taken when this call of `train` began (a resumed run), for the rate.
    public var stepsAtStart: Int
    /// The mean training loss of the epoch or interval so far.
    public var loss: Double
    /// Seconds since this call of `train` began.
    public var seconds: Double
    /// Early stopping may end the run before `totalSteps`.
    public var mayStopEarly: Bool

    /// Whether the run is measured in optimizer steps.
    public var hasStepBudget: Bool { epochs == nil }

    /// Seconds left at the rate so far (an upper bound when `mayStopEarly`); nil before the first step.
    public var secondsLeft: Double? {
        let done = step - stepsAtStart
        guard done > 0, seconds > 0 else { return nil }
        return seconds / Double(done) * Double(max(0, totalSteps - step))
    }
}

/// When and at which step a call of `train` began.
struct ProgressClock {
    var start: Date
    var steps: Int
}
