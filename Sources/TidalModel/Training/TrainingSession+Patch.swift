import Foundation
import TidalCore
import TidalData
import TidalNet

extension TrainingSession {
    /// Training sets up to this many values (samples × steps × channels) get their patch length
    /// chosen by cross-validation: 12 extra trainings cost seconds there, and small sets are where
    /// the choice matters most.
    static let patchSelectionMaximumValues = 200_000
    /// Folds of that cross-validation.
    static let patchSelectionFolds = 4

    /// Patch lengths worth comparing for samples of `length` steps: at most 64 network steps
    /// (the default), at most 8, and the whole sample as one step.
    static func patchCandidates(length: Int) -> [Int] {
        var candidates: [Int] = []
        for p in [SampleSpec.automaticPatch(length: length), SampleSpec.automaticPatch(length: length, maxSteps: 8), max(1, length)]
        where !candidates.contains(p) { candidates.append(p) }
        return candidates
    }

    /// Classification: chooses the patch length by stratified k-fold cross-validation on the training samples only.
    ///
    /// How many time steps one network step should see depends on the data: a shape spread
    /// over hundreds of steps is learnt far better in a few wide steps, a short or fast signal
    /// in many narrow ones. Each candidate trains `patchSelectionFolds` times, on all folds but
    /// one, and is scored by its accuracy on the fold left out (ties: the lower loss). The
    /// default stays unless the best beats it by more than two standard errors. The choice is
    /// then trained on all training samples by the caller.
    /// - Returns: the chosen patch and a note for the run's description, or nil when there is
    ///   nothing to choose (one candidate, too large a training set, or a class too small to fold).
    static func choosePatch(_ request: TrainingRequest, spec: SampleSpec, set: SampleSet,
                            observer: TrainingObserver? = nil) throws -> (patch: Int, note: String)? {
        let candidates = patchCandidates(length: spec.maxLength)
        guard request.task == .classify, candidates.count > 1,
              set.offsets.last! * set.channels <= patchSelectionMaximumValues else { return nil }
        // Stratified folds: the samples of each class are dealt round-robin.
        var fold = [Int](repeating: 0, count: set.count)
        var seen: [String: Int] = [:]
        for (i, label) in set.labels.enumerated() { fold[i] = seen[label, default: 0] % patchSelectionFolds; seen[label, default: 0] += 1 }
        guard (seen.values.min() ?? 0) >= 2 else { return nil }
        let objective: Objective = .classification(classes: spec.classes.count)
        var scores: [(patch: Int, accuracy: Double, loss: Double)] = []
        for (c, patch) in candidates.enumerated() {
            observer?.status("choosing the patch length by \(patchSelectionFolds)-fold cross-validation: patch \(patch) (\(c + 1) of \(candidates.count))…")
            var candidate = spec
            candidate.patch = patch
            var correct = 0.0, loss = 0.0
            for f in 0 ..< patchSelectionFolds {
                let trainIndices = fold.indices.filter { fold[$0] != f }, heldOut = fold.indices.filter { fold[$0] == f }
                guard !heldOut.isEmpty, !trainIndices.isEmpty else { continue }
                let train = try SampleDataset(spec: candidate, set: set.subset(indices: trainIndices))
                let validation = try SampleDataset(spec: candidate, set: set.subset(indices: heldOut))
                let network = makeNetwork(sampleArchitecture(request, spec: candidate), request, steps: candidate.steps)
                _ = try Trainer(configuration: sampleTraining(request, count: train.count), objective: objective).train(network, on: train)
                let e = sampleEvaluation(network, validation, objective: objective)
                let n = Double(heldOut.count)
                correct += (e.accuracy ?? 0) * n
                loss += e.loss * n
            }
            let n = Double(set.count)
            scores.append((patch, correct / n, loss / n))
        }
        let best = scores.min { a, b in a.accuracy != b.accuracy ? a.accuracy > b.accuracy : a.loss < b.loss }!
        // A conservative standard-error rule: the default stays unless another candidate beats it by
        // more than two standard errors of the default's cross-validated accuracy. Folds this small
        // are noisy, and their estimates are correlated (each pair of training sets shares half its samples).
        let standard = scores[0]
        let n = Double(set.count)
        let standardError = max((standard.accuracy * (1 - standard.accuracy) / n).squareRoot(), 1 / n)
        let chosen = best.accuracy - standard.accuracy > 2 * standardError ? best : standard
        let listed = scores.map { String(format: "patch %d: accuracy %.3f", $0.patch, $0.accuracy) }.joined(separator: ", ")
        return (chosen.patch, "patch chosen by \(patchSelectionFolds)-fold cross-validation on the training samples (\(listed); "
                + String(format: "the default %d is kept unless beaten by more than two standard errors, 2 × %.3f)", standard.patch, standardError))
    }
}
