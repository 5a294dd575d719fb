extension ModelArchitecture {
    /// The number of learnable values a `SequenceModel` of this shape holds, computed without
    /// building it; nil when a size is negative or the count overflows `Int`.
    ///
    /// Embedding `V·E`; categorical embeddings `Σ Vₖ·Eₖ`; recurrent layer k, per direction (D of them):
    /// `G·H·(inₖ + H) + 2·G·H` with `in₀ = stepSize`, `inₖ = D·H`; attention pooling `A·D·H + 2·A`
    /// (`A = attentionSize`); head `D·H·O + O`; skip `S·stepSize·O + O`.
    public var parameterCountIfValid: Int? {
        let sizes =
            [inputSize, hiddenSize, layers, outputSize, skipSteps, vocabularySize] + categoricalVocabularies + categoricalDimensions
        guard sizes.allSatisfy({ $0 >= 0 }), categoricalVocabularies.count == categoricalDimensions.count else { return nil }
        var total = 0
        func add(_ factors: Int...) -> Bool {
            var product = 1
            for f in factors {
                let (p, overflow) = product.multipliedReportingOverflow(by: f)
                if overflow { return false }
                product = p
            }
            let (sum, overflow) = total.addingReportingOverflow(product)
            total = sum
            return !overflow
        }
        let (step, stepOverflow) = inputSize.addingReportingOverflow(categoricalDimensions.reduce(0) { $0 &+ $1 })
        guard !stepOverflow, categoricalDimensions.allSatisfy({ $0 <= Int.max / 2 }) else { return nil }
        let g = cell.gateCount, h = hiddenSize
        var ok = vocabularySize == 0 || add(vocabularySize, inputSize)
        for (v, d) in zip(categoricalVocabularies, categoricalDimensions) { ok = ok && add(v, d) }
        let (features, featureOverflow) = directions.multipliedReportingOverflow(by: h)
        ok = ok && !featureOverflow
        for k in 0 ..< layers where ok {
            let (width, overflow) = (k == 0 ? step : features).addingReportingOverflow(h)
            ok = !overflow && add(directions, g, h, width) && add(directions, 2, g, h)
        }
        if pool == .attention { ok = ok && add(attentionSize, features) && add(2, attentionSize) }
        ok = ok && add(features, outputSize) && add(outputSize)
        if skipSteps > 0 { ok = ok && add(skipSteps, step, outputSize) && add(outputSize) }
        return ok ? total : nil
    }
}
