import TidalCore

extension RecurrentLayer {
    /// Elman steps: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`, act = tanh or ReLU.
    func forwardRNN() {
        let H = hiddenSize, B = batch, T = steps
        let g = gates.pointer, h = hidden.pointer
        let relu = cell == .rnnReLU
        weightHH.value.withUnsafeBufferPointer { whh in
            for t in 0 ..< T {
                let gt = g + t * B * H
                let hPrev = h + t * B * H, hNext = h + (t + 1) * B * H
                recurrentProduct(hPrev, whh.baseAddress!, into: gt)
                if relu { for k in 0 ..< B * H { gt[k] = max(gt[k], 0) } } else { Activation.tanh(gt, B * H) }
                for b in 0 ..< B {
                    let k0 = b * H
                    if isReal(t, b) {
                        (hNext + k0).update(from: gt + k0, count: H)
                    } else {
                        (hNext + k0).update(from: hPrev + k0, count: H)
                    }
                }
            }
        }
    }

    func backwardRNN(_ outputGradient: UnsafePointer<Float>?) {
        let H = hiddenSize, B = batch, T = steps
        let g = gates.pointer, dA = gateGradient.pointer, dh = hiddenGradient.pointer
        let relu = cell == .rnnReLU
        weightHH.value.withUnsafeBufferPointer { whh in
            for t in stride(from: T - 1, through: 0, by: -1) {
                if tracksStepGradients { recordStepGradient(t, outputGradient) }
                let gt = g + t * B * H, dat = dA + t * B * H
                if let outputGradient { addStepGradient(outputGradient, t) }
                for b in 0 ..< B {
                    let k0 = b * H
                    let y = gt + k0, da = dat + k0, d = dh + k0
                    if !isReal(t, b) {
                        (da).update(repeating: 0, count: H)  // dh passes straight to the previous step
                        continue
                    }
                    if relu {
                        for j in 0 ..< H { da[j] = y[j] > 0 ? d[j] : 0; d[j] = 0 }
                    } else {
                        for j in 0 ..< H { da[j] = d[j] * (1 - y[j] * y[j]); d[j] = 0 }
                    }
                }
                recurrentGradient(dat, whh.baseAddress!, into: dh)
            }
        }
    }
}
