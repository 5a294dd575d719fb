import TidalCore

extension RecurrentLayer {
    /// LSTM steps. With `a = W_ih x + b_ih + W_hh h + b_hh` split into i, f, g, o:
    /// `i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o); c' = f·c + i·g; h' = o·tanh(c')`.
    func forwardLSTM() {
        let H = hiddenSize, B = batch, T = steps, GH = gateWidth
        let g = gates.pointer, h = hidden.pointer, c = cellState.pointer, tc = auxiliary.pointer
        weightHH.value.withUnsafeBufferPointer { whh in
            for t in 0 ..< T {
                let gt = g + t * B * GH
                let hPrev = h + t * B * H, hNext = h + (t + 1) * B * H
                let cPrev = c + t * B * H, cNext = c + (t + 1) * B * H
                recurrentProduct(hPrev, whh.baseAddress!, into: gt)
                for b in 0 ..< B {
                    let row = gt + b * GH
                    // Gate activations over contiguous blocks (vectorized), then the state update.
                    Activation.sigmoid(row, 2 * H)  // i, f
                    Activation.tanh(row + 2 * H, H)  // g
                    Activation.sigmoid(row + 3 * H, H)  // o
                    let k0 = b * H
                    let cp = cPrev + k0, cn = cNext + k0, hp = hPrev + k0, hn = hNext + k0, tcn = tc + t * B * H + k0
                    if isReal(t, b) {
                        for j in 0 ..< H {
                            let c = row[H + j] * cp[j] + row[j] * row[2 * H + j]
                            cn[j] = c
                            tcn[j] = Activation.tanh(c)
                            hn[j] = row[3 * H + j] * tcn[j]
                        }
                    } else {
                        for j in 0 ..< H { cn[j] = cp[j]; tcn[j] = 0; hn[j] = hp[j] }
                    }
                }
            }
        }
    }

    func backwardLSTM(_ outputGradient: UnsafePointer<Float>?) {
        let H = hiddenSize, B = batch, T = steps, GH = gateWidth
        let g = gates.pointer, c = cellState.pointer, tc = auxiliary.pointer
        let dG = gateGradient.pointer, dh = hiddenGradient.pointer, dc = cellGradient.pointer
        weightHH.value.withUnsafeBufferPointer { whh in
            for t in stride(from: T - 1, through: 0, by: -1) {
                if tracksStepGradients { recordStepGradient(t, outputGradient) }
                let gt = g + t * B * GH, dgt = dG + t * B * GH
                let cPrev = c + t * B * H
                if let outputGradient { addStepGradient(outputGradient, t) }
                for b in 0 ..< B {
                    let row = gt + b * GH, drow = dgt + b * GH, k0 = b * H
                    if !isReal(t, b) {
                        drow.update(repeating: 0, count: GH)  // dh and dc pass straight to the previous step
                        continue
                    }
                    let d = dh + k0, dcs = dc + k0, cp = cPrev + k0, tcs = tc + t * B * H + k0
                    var j0 = 0
                    while j0 + 8 <= H {
                        let i = Lanes.load(row + j0), f = Lanes.load(row + H + j0)
                        let gg = Lanes.load(row + 2 * H + j0), o = Lanes.load(row + 3 * H + j0)
                        let dhTotal = Lanes.load(d + j0), tcn = Lanes.load(tcs + j0)
                        let dcTotal = Lanes.load(dcs + j0) + dhTotal * o * (1 - tcn * tcn)
                        Lanes.store(dcTotal * gg * i * (1 - i), drow + j0)
                        Lanes.store(dcTotal * Lanes.load(cp + j0) * f * (1 - f), drow + H + j0)
                        Lanes.store(dcTotal * i * (1 - gg * gg), drow + 2 * H + j0)
                        Lanes.store(dhTotal * tcn * o * (1 - o), drow + 3 * H + j0)
                        Lanes.store(dcTotal * f, dcs + j0)
                        Lanes.store(Lanes.Vector(repeating: 0), d + j0)
                        j0 += 8
                    }
                    for j in j0 ..< H {
                        let i = row[j], f = row[H + j], gg = row[2 * H + j], o = row[3 * H + j]
                        let dhTotal = d[j], tcn = tcs[j]
                        let dcTotal = dcs[j] + dhTotal * o * (1 - tcn * tcn)
                        drow[j] = dcTotal * gg * i * (1 - i)
                        drow[H + j] = dcTotal * cp[j] * f * (1 - f)
                        drow[2 * H + j] = dcTotal * i * (1 - gg * gg)
                        drow[3 * H + j] = dhTotal * tcn * o * (1 - o)
                        dcs[j] = dcTotal * f
                        d[j] = 0
                    }
                }
                // dh_{t-1} = (pass-through of padded rows) + dGates_t · W_hh
                recurrentGradient(dgt, whh.baseAddress!, into: dh)
            }
        }
    }
}
