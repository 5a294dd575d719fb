import TidalCore

/// Whole samples (UCR rows or long-format samples) as a `SampleSource`; lengths may differ,
/// in which case a batch is left-padded to its longest sample and masked.
public struct SampleDataset: SampleSource, Sendable {
    /// How samples become network steps: layout, patching, scaling, classes.
    public let spec: SampleSpec
    /// The samples as read from the file.
    public let set: SampleSet
    /// Class index per sample (classification), else empty.
    public let labels: [Int32]
    /// Scaled target per sample (regression), else empty.
    public let targets: [Float]

    /// - Throws: `DataError.layout` when a label is not a known class or not a number.
    public init(spec: SampleSpec, set: SampleSet) throws {
        self.spec = spec
        self.set = set
        if spec.classes.isEmpty {
            labels = []
            targets = try set.labels.enumerated().map { i, text in
                guard let v = Double(text) else {
                    throw DataError.layout(
                        .init(source: set.source, line: set.lines[i], column: 1), reason: "regression target \"\(text)\" is not a number")
                }
                return Float((v - spec.targetShift) / spec.targetScale)
            }
        } else {
            targets = []
            labels = try set.labels.enumerated().map { i, text in
                guard let c = spec.classes.firstIndex(of: text) else {
                    throw DataError.layout(
                        .init(source: set.source, line: set.lines[i], column: 1),
                        reason: "label \"\(text)\" was not seen in training; the classes are \(spec.classes.joined(separator: ", "))")
                }
                return Int32(c)
            }
        }
    }

    /// Number of samples.
    public var count: Int { self.set.count }

    /// Fills `batch` with the samples at `indices`, left-padded to the longest and masked when lengths differ.
    public func fill(_ indices: [Int], into batch: Batch) {
        let B = indices.count, C = spec.channels, K = self.set.categoryCount
        let T = spec.networkSteps(length: indices.map(self.set.length).max() ?? 0)
        let x = batch.start(steps: T, size: B, features: spec.stepFeatures)
        let mask = batch.mask.reserve(T * B)
        let ids = K > 0 ? batch.reserveCategories(K) : nil
        var padded = false
        self.set.values.withUnsafeBufferPointer { v in
            self.set.codes.withUnsafeBufferPointer { c in
                for (b, i) in indices.enumerated() {
                    let offset = self.set.offsets[i]
                    let sample = SampleSpec.Slot(index: b, of: B, steps: T, x: x, mask: mask, ids: ids)
                    if spec.write(
                        v.baseAddress! + offset * C, codes: c.baseAddress.map { $0 + offset * K }, categoryCount: K,
                        length: self.set.length(i), to: sample)
                    {
                        padded = true
                    }
                }
            }
        }
        batch.hasMask = padded
        if spec.classes.isEmpty {
            let y = batch.targets.reserve(B)
            for (b, i) in indices.enumerated() { y[b] = targets[i] }
        } else {
            batch.labels = indices.map { labels[$0] }
        }
    }
}

extension SampleSpec {
    /// Where one sample of a batch goes.
    public struct Slot {
        /// The sample's place in the batch, `0 ..< size`.
        public var index: Int
        /// Samples in the batch.
        public var size: Int
        /// Network steps in the batch (the longest sample's).
        public var steps: Int
        /// The batch's inputs `[steps, size, stepFeatures]`.
        public var x: UnsafeMutablePointer<Float>
        /// The batch's mask `[steps, size]`: 1 for real steps, 0 for left padding.
        public var mask: UnsafeMutablePointer<Float>
        /// The batch's categorical ids `[steps, size, K]`; nil without categorical inputs.
        public var ids: UnsafeMutablePointer<Int32>?

        /// A slot for sample `index` of a batch of `size`, `steps` long.
        public init(
            index: Int, of size: Int, steps: Int, x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>,
            ids: UnsafeMutablePointer<Int32>?
        ) {
            self.index = index
            self.size = size
            self.steps = steps
            self.x = x
            self.mask = mask
            self.ids = ids
        }
    }

    /// Network steps for a sample of `length` time steps: `⌈length / patch⌉`.
    public func networkSteps(length: Int) -> Int { (length + patch - 1) / patch }

    /// Writes one sample of `length` time steps (`values` `[length, channels]`, `codes` `[length, K]`)
    /// scaled into its slot of a batch, left-padded to the slot's `steps · patch` time steps. A
    /// network step made only of padding is masked out; padding inside the first partial patch
    /// is 0 (the scaled mean). Each network step takes the categorical ids of the last time step
    /// in its patch.
    /// - Returns: true when a network step was masked out.
    public func write(
        _ values: UnsafePointer<Float>, codes: UnsafePointer<Int32>?, categoryCount K: Int, length: Int,
        to slot: Slot
    ) -> Bool {
        let C = channels, P = patch, F = stepFeatures, T = slot.steps, B = slot.size, b = slot.index
        let pad = T * P - length
        var padded = false
        for t in 0 ..< T {
            let dst = slot.x + (t * B + b) * F
            let real = (t + 1) * P > pad
            if !real { padded = true }
            slot.mask[t * B + b] = real ? 1 : 0
            for k in 0 ..< P {
                let step = t * P + k - pad
                for c in 0 ..< C { dst[k * C + c] = step < 0 ? 0 : normalizer.transform(values[step * C + c], column: c) }
            }
        }
        if K > 0, let codes, let ids = slot.ids {
            for t in 0 ..< T {
                let step = (t + 1) * P - 1 - pad
                guard step >= 0 else { continue }
                (ids + (t * B + b) * K).update(from: codes + step * K, count: K)
            }
        }
        return padded
    }

    /// Fills `batch` with one sample (a replayed row or window).
    public func fillOne(
        _ values: UnsafePointer<Float>, codes: UnsafePointer<Int32>?, categoryCount K: Int, length: Int,
        into batch: Batch
    ) {
        let T = networkSteps(length: length)
        let x = batch.start(steps: T, size: 1, features: stepFeatures)
        let mask = batch.mask.reserve(T)
        let ids = K > 0 ? batch.reserveCategories(K) : nil
        batch.hasMask = write(
            values, codes: codes, categoryCount: K, length: length,
            to: Slot(index: 0, of: 1, steps: T, x: x, mask: mask, ids: ids))
    }
}
