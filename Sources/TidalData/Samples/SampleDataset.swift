import TidalCore

/// Whole samples (UCR rows or long-format samples) as a `SampleSource`; lengths may differ,
/// in which case a batch is left-padded to its longest sample and masked.
public struct SampleDataset: SampleSource {
    public let spec: SampleSpec
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
                    throw DataError.layout(.init(source: set.source, line: set.lines[i], column: 1), reason: "regression target \"\(text)\" is not a number")
                }
                return Float((v - spec.targetShift) / spec.targetScale)
            }
        } else {
            targets = []
            labels = try set.labels.enumerated().map { i, text in
                guard let c = spec.classes.firstIndex(of: text) else {
                    throw DataError.layout(.init(source: set.source, line: set.lines[i], column: 1),
                                           reason: "label \"\(text)\" was not seen in training; the classes are \(spec.classes.joined(separator: ", "))")
                }
                return Int32(c)
            }
        }
    }

    public var count: Int { self.set.count }

    public func fill(_ indices: [Int], into batch: Batch) {
        let B = indices.count, C = spec.channels, P = spec.patch, F = spec.stepFeatures
        let longest = indices.map(self.set.length).max() ?? 0
        let T = (longest + P - 1) / P
        let x = batch.start(steps: T, size: B, features: F)
        let mask = batch.mask.reserve(T * B)
        var padded = false
        self.set.values.withUnsafeBufferPointer { v in
            for (b, i) in indices.enumerated() {
                // Left-pad to T·P steps; a network step made only of padding is masked out,
                // padding inside the first partial patch is 0 (the scaled mean).
                let length = self.set.length(i), pad = T * P - length
                let start = v.baseAddress! + self.set.offsets[i] * C
                for t in 0 ..< T {
                    let dst = x + (t * B + b) * F
                    let real = (t + 1) * P > pad
                    if !real { padded = true }
                    mask[t * B + b] = real ? 1 : 0
                    for k in 0 ..< P {
                        let step = t * P + k - pad
                        for c in 0 ..< C {
                            dst[k * C + c] = step < 0 ? 0 : spec.normalizer.transform(start[step * C + c], column: c)
                        }
                    }
                }
            }
        }
        batch.hasMask = padded
        // Categorical ids: each network step takes the codes of the last time step in its patch.
        let K = self.set.categoryCount
        if K > 0 {
            let ids = batch.reserveCategories(K)
            for (b, i) in indices.enumerated() {
                let length = self.set.length(i), pad = T * P - length
                for t in 0 ..< T {
                    let step = (t + 1) * P - 1 - pad
                    guard step >= 0 else { continue }
                    for k in 0 ..< K { ids[(t * B + b) * K + k] = self.set.codes[(self.set.offsets[i] + step) * K + k] }
                }
            }
        }
        if spec.classes.isEmpty {
            let y = batch.targets.reserve(B)
            for (b, i) in indices.enumerated() { y[b] = targets[i] }
        } else {
            batch.labels = indices.map { labels[$0] }
        }
    }
}
