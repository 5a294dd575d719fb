import Foundation
import TidalCore
import TidalData
import TidalNet

/// Classification of whole samples: chooses the patch length by stratified k-fold
/// cross-validation on the training samples only.
///
/// How many time steps one network step should see depends on the data: a shape spread over
/// hundreds of steps is learnt far better in a few wide steps, a short or fast signal in many
/// narrow ones. Each candidate trains `folds` times, on all folds but one, and is scored by its
/// accuracy on the fold left out (ties: the lower loss). The default stays unless the best
/// beats it by more than two standard errors. The choice is then trained on all training
/// samples by the pipeline.
struct PatchSearch {
    /// Training sets up to this many values (samples × steps × channels) get their patch length
    /// chosen: 12 extra trainings cost seconds there, and small sets are where the choice matters most.
    static let maximumValues = 200_000
    /// Folds of the cross-validation.
    static let folds = 4

    let plan: TrainingPlan
    let spec: SampleSpec
    let set: SampleSet
    let observer: TrainingObserver?

    /// Patch lengths worth comparing for samples of `length` steps: at most 64 network steps
    /// (the default), at most 8, and the whole sample as one step.
    static func candidates(length: Int) -> [Int] {
        var candidates: [Int] = []
        for p in [SampleSpec.automaticPatch(length: length), SampleSpec.automaticPatch(length: length, maxSteps: 8), max(1, length)]
        where !candidates.contains(p) { candidates.append(p) }
        return candidates
    }

    /// Each sample's fold: the samples of each class are dealt round-robin. Nil when a class has
    /// fewer than two samples.
    static func stratifiedFolds(_ labels: [String], count: Int) -> [Int]? {
        var fold = [Int](repeating: 0, count: labels.count)
        var seen: [String: Int] = [:]
        for (i, label) in labels.enumerated() {
            fold[i] = seen[label, default: 0] % count
            seen[label, default: 0] += 1
        }
        return (seen.values.min() ?? 0) >= 2 ? fold : nil
    }

    /// - Returns: the chosen patch and a note for the run's description, or nil when there is
    ///   nothing to choose (one candidate, too large a training set, or a class too small to fold).
    func run() throws -> (patch: Int, note: String)? {
        let candidates = Self.candidates(length: spec.maxLength)
        guard candidates.count > 1, set.offsets.last! * set.channels <= Self.maximumValues,
            let fold = Self.stratifiedFolds(set.labels, count: Self.folds)
        else { return nil }
        var scores: [(patch: Int, accuracy: Double, loss: Double)] = []
        for (c, patch) in candidates.enumerated() {
            observer?.status(
                "choosing the patch length by \(Self.folds)-fold cross-validation: patch \(patch) (\(c + 1) of \(candidates.count))…")
            let (accuracy, loss) = try crossValidate(patch: patch, fold: fold)
            scores.append((patch, accuracy, loss))
        }
        let (chosen, standardError) = Self.decide(scores, sampleCount: set.count)
        let standard = scores[0]
        let listed = scores.map { String(format: "patch %d: accuracy %.3f", $0.patch, $0.accuracy) }.joined(separator: ", ")
        return (
            chosen.patch,
            "patch chosen by \(Self.folds)-fold cross-validation on the training samples (\(listed); "
                + String(
                    format: "the default %d is kept unless beaten by more than two standard errors, 2 × %.3f)", standard.patch,
                    standardError)
        )
    }

    /// The winner among cross-validated `scores` (the default first), and the standard error used.
    ///
    /// A conservative standard-error rule: the default stays unless another candidate beats it by
    /// more than two standard errors of the default's cross-validated accuracy. Folds this small
    /// are noisy, and their estimates are correlated (each pair of training sets shares half its
    /// samples). Among the others the highest accuracy wins, ties to the lower loss.
    static func decide(
        _ scores: [(patch: Int, accuracy: Double, loss: Double)], sampleCount: Int
    )
        -> (chosen: (patch: Int, accuracy: Double, loss: Double), standardError: Double)
    {
        let best = scores.min { a, b in a.accuracy != b.accuracy ? a.accuracy > b.accuracy : a.loss < b.loss }!
        let standard = scores[0]
        let n = Double(sampleCount)
        let standardError = max((standard.accuracy * (1 - standard.accuracy) / n).squareRoot(), 1 / n)
        return (best.accuracy - standard.accuracy > 2 * standardError ? best : standard, standardError)
    }

    /// Accuracy and loss of `patch` on the held-out folds, pooled over every sample.
    private func crossValidate(patch: Int, fold: [Int]) throws -> (accuracy: Double, loss: Double) {
        var candidate = spec
        candidate.patch = patch
        let objective: Objective = .classification(classes: spec.classes.count)
        var correct = 0.0, loss = 0.0
        for f in 0 ..< Self.folds {
            let trainIndices = fold.indices.filter { fold[$0] != f }, heldOut = fold.indices.filter { fold[$0] == f }
            guard !heldOut.isEmpty, !trainIndices.isEmpty else { continue }
            let train = try SampleDataset(spec: candidate, set: set.subset(indices: trainIndices))
            let validation = try SampleDataset(spec: candidate, set: set.subset(indices: heldOut))
            let network = plan.makeNetwork(SamplePipeline.architecture(plan, spec: candidate), steps: candidate.steps)
            _ = try Trainer(configuration: SamplePipeline.training(plan, count: train.count), objective: objective).train(
                network, on: train)
            let e = SampleScoring.evaluation(network, validation, objective: objective, threads: plan.training.threads)
            let n = Double(heldOut.count)
            correct += (e.accuracy ?? 0) * n
            loss += e.loss * n
        }
        let n = Double(set.count)
        return (correct / n, loss / n)
    }
}
