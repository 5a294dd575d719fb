import TidalCore

extension RecurrentLayer {
    /// GRU steps, PyTorch's formulation: with `gi = W_ih x + b_ih` and `gh = W_hh h + b_hh`,
    /// `r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r·gh_n), h' = (1 − z)·n + z·h`.
    func forwardGRU() {
        let H = hiddenSize, B = batch, T = steps, GH = gateWidth
        let g = gates.pointer, h = hidden.pointer, ghn = auxiliary.pointer
        let gh = stepScratch.reserve(B * GH)
        weightHH.value.withUnsafeBufferPointer { whh in
            biasHH.value.withUnsafeBufferPointer { bhh in
                for t in 0 ..< T {
                    let gt = g + t * B * GH
                    let hPrev = h + t * B * H, hNext = h + (t + 1) * B * H
                    for b in 0 ..< B { (gh + b * GH).update(from: bhh.baseAddress!, count: GH) }
                    recurrentProduct(hPrev, whh.baseAddress!, into: gh)
                    for b in 0 ..< B {
                        let row = gt + b * GH, hrow = gh + b * GH
                        for j in 0 ..< 2 * H { row[j] += hrow[j] }
                        Activation.sigmoid(row, 2 * H)  // r, z
                        let k0 = b * H
                        let hn = ghn + t * B * H + k0, hp = hPrev + k0, hx = hNext + k0
                        let n = row + 2 * H, hrowN = hrow + 2 * H
                        var j0 = 0
                        while j0 + 8 <= H {
                            let v = Lanes.load(hrowN + j0)
                            Lanes.store(v, hn + j0)
                            Lanes.store(Lanes.load(n + j0).addingProduct(Lanes.load(row + j0), v), n + j0)
                            j0 += 8
                        }
                        for j in j0 ..< H { let v = hrowN[j]; hn[j] = v; n[j] = n[j].addingProduct(row[j], v) }
                        Activation.tanh(n, H)
                        if isReal(t, b) {
                            for j in 0 ..< H { let z = row[H + j]; hx[j] = (1 - z) * row[2 * H + j] + z * hp[j] }
                        } else {
                            for j in 0 ..< H { hx[j] = hp[j] }
                        }
                    }
                }
            }
        }
    }

    func backwardGRU(_ outputGradient: UnsafePointer<Float>?) {
        let H = hiddenSize, B = batch, T = steps, GH = gateWidth
        let g = gates.pointer, h = hidden.pointer, ghn = auxiliary.pointer
        let dGi = gateGradient.pointer, dGh = recurrentGateGradient.pointer, dh = hiddenGradient.pointer
        weightHH.value.withUnsafeBufferPointer { whh in
            for t in stride(from: T - 1, through: 0, by: -1) {
                if tracksStepGradients { recordStepGradient(t, outputGradient) }
                let gt = g + t * B * GH, dit = dGi + t * B * GH, dht = dGh + t * B * H
                let hPrev = h + t * B * H
                if let outputGradient { addStepGradient(outputGradient, t) }
                for b in 0 ..< B {
                    let row = gt + b * GH, di = dit + b * GH, k0 = b * H, dhn = dht + k0
                    if !isReal(t, b) {
                        di.update(repeating: 0, count: GH)
                        dhn.update(repeating: 0, count: H)
                        continue
                    }
                    let d = dh + k0, hp = hPrev + k0, hn = ghn + t * B * H + k0
                    // Eight lanes at a time (the compiler does not vectorize this loop by itself), then the rest.
                    var j0 = 0
                    while j0 + 8 <= H {
                        let r = Lanes.load(row + j0), z = Lanes.load(row + H + j0), n = Lanes.load(row + 2 * H + j0)
                        let dhTotal = Lanes.load(d + j0)
                        let dn = dhTotal * (1 - z)
                        let dz = dhTotal * (Lanes.load(hp + j0) - n)
                        let dan = dn * (1 - n * n)
                        let dar = dan * Lanes.load(hn + j0) * r * (1 - r)
                        let daz = dz * z * (1 - z)
                        Lanes.store(dar, di + j0); Lanes.store(daz, di + H + j0); Lanes.store(dan, di + 2 * H + j0)
                        Lanes.store(dan * r, dhn + j0)
                        Lanes.store(dhTotal * z, d + j0)
                        j0 += 8
                    }
                    for j in j0 ..< H {
                        let r = row[j], z = row[H + j], n = row[2 * H + j]
                        let dhTotal = d[j]
                        let dn = dhTotal * (1 - z)
                        let dz = dhTotal * (hp[j] - n)
                        let dan = dn * (1 - n * n)
                        let dar = dan * hn[j] * r * (1 - r)
                        let daz = dz * z * (1 - z)
                        di[j] = dar; di[H + j] = daz; di[2 * H + j] = dan
                        dhn[j] = dan * r
                        d[j] = dhTotal * z
                    }
                }
                // dh_{t-1} += dA_rz · W_hh[r, z rows] + (r · dA_n) · W_hh[n rows]
                recurrentGradient(dit, rows: 2 * H, stride: GH, whh.baseAddress!, into: dh)
                recurrentGradient(dht, rows: H, stride: H, whh.baseAddress! + 2 * H * H, into: dh)
            }
        }
    }
}
