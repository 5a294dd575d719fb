import Foundation
import TidalCore
import TidalNet
import TidalTestSupport
import XCTest

/// Checks the core against every PyTorch fixture in `$TIDAL_FIXTURES` (default `../shared/fixtures`).
/// Files are recognised by their content (`config.mode`, `case`), never by name or size.
final class FixtureTests: XCTestCase {
    func testEveryFixtureFile() throws {
        let fixtures = try Fixture.all(in: TestPaths.fixtures)
        var checked = 0
        for fixture in fixtures {
            if let mode = fixture["config", "mode"] as? String {
                try checkRecurrent(fixture, mode: mode)
            } else {
                switch fixture.caseName {
                case "head_regression": try checkRegressionHead(fixture)
                case "head_classification": try checkClassificationHead(fixture)
                case "adam_steps", "sgd_steps": try checkOptimizer(fixture)
                case "clip_grad_norm": try checkClipping(fixture)
                case "full_train_step": try checkFullTrainStep(fixture)
                default: XCTFail("\(fixture.name): unknown fixture case \"\(fixture.caseName)\"")
                }
            }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 0)
    }

    /// Every file in `bidirectional/` (`bidirectional=True` layers): sizes, cell and layers come from each file's `config`.
    func testEveryBidirectionalFixtureFile() throws {
        let fixtures = try Fixture.all(in: TestPaths.fixtures.appendingPathComponent("bidirectional"))
        for fixture in fixtures {
            let mode = try XCTUnwrap(fixture["config", "mode"] as? String, "\(fixture.name): no config.mode")
            XCTAssertEqual(fixture["config", "bidirectional"] as? Bool, true, "\(fixture.name): config.bidirectional")
            try checkRecurrent(fixture, mode: mode)
        }
    }

    // MARK: recurrent layers

    // Long (over 80 lines): one fixture's every output and gradient, compared in the order the schema lists them.
    // Bidirectional files (`config.bidirectional`) have D = 2 directions: states indexed `layer × 2 + direction`, outputs 2H wide.
    func checkRecurrent(_ f: Fixture, mode: String) throws {
        let config = f["config"] as! [String: Any]
        let I = config["input_size"] as! Int, H = config["hidden_size"] as! Int, L = config["num_layers"] as! Int
        let T = config["seq_len"] as! Int, B = config["batch"] as! Int
        let bidirectional = config["bidirectional"] as? Bool ?? false, W = (bidirectional ? 2 : 1) * H
        let cell: CellKind
        switch (mode, config["nonlinearity"] as? String) {
        case ("LSTM", _): cell = .lstm
        case ("GRU", _): cell = .gru
        case ("RNN", "relu"): cell = .rnnReLU
        case ("RNN", _): cell = .rnn
        default: XCTFail("\(f.name): unknown mode \(mode)"); return
        }
        var generator = testGenerator()
        let stack = RecurrentStack(cell: cell, inputSize: I, hiddenSize: H, layers: L, bidirectional: bidirectional, generator: &generator)
        if let names = f["param_names"] as? [String] { XCTAssertEqual(stack.parameters.map(\.name), names, "\(f.name): names and order") }
        for p in stack.parameters {
            let t = try XCTUnwrap(f.tensor("params", p.name), "\(f.name): no params.\(p.name)")
            XCTAssertEqual(t.shape, p.shape, "\(f.name): shape of \(p.name)")
            p.value = t.floats
        }
        let out = f.tolerance("outputs"), grad = f.tolerance("grads")
        let x = timeMajor(try XCTUnwrap(f.tensor("inputs", "x")).floats, B, T, I)
        let h0 = try XCTUnwrap(f.tensor("inputs", "h0")).floats
        let c0 = f.tensor("inputs", "c0")?.floats
        x.withUnsafeBufferPointer { xp in
            h0.withUnsafeBufferPointer { hp in
                let cp = c0?.withUnsafeBufferPointer { $0 }  // c0 lives as long as the array
                _ = cp
                if let c0 {
                    c0.withUnsafeBufferPointer { cpp in
                        stack.forward(xp.baseAddress!, steps: T, batch: B, initialHidden: hp.baseAddress!, initialCell: cpp.baseAddress!)
                    }
                } else {
                    stack.forward(xp.baseAddress!, steps: T, batch: B, initialHidden: hp.baseAddress!)
                }
            }
        }
        let output = Array(UnsafeBufferPointer(start: stack.output, count: T * B * W))
        assertClose(batchFirst(output, T, B, W), f.tensor("outputs", "output")!.data, atol: out.atol, rtol: out.rtol, "\(f.name): output")
        let hN = stack.directionalLayers.flatMap { Array(UnsafeBufferPointer(start: $0.finalHidden, count: B * H)) }
        assertClose(hN, f.tensor("outputs", "h_n")!.data, atol: out.atol, rtol: out.rtol, "\(f.name): h_n")
        var cN: [Float] = []
        if cell == .lstm {
            cN = stack.directionalLayers.flatMap { Array(UnsafeBufferPointer(start: $0.finalCell, count: B * H)) }
            assertClose(cN, f.tensor("outputs", "c_n")!.data, atol: out.atol, rtol: out.rtol, "\(f.name): c_n")
        }
        // loss = Σ output·R + Σ h_n·S (+ Σ c_n·T)
        let R = f.tensor("loss_weights", "R")!.data, S = f.tensor("loss_weights", "S")!.data
        var loss =
            zip(batchFirst(output, T, B, W), R).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            + zip(hN, S).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        if let Tw = f.tensor("loss_weights", "T") { loss += zip(cN, Tw.data).reduce(0.0) { $0 + Double($1.0) * $1.1 } }
        assertClose(loss, f["outputs", "loss"] as! Double, atol: out.atol, rtol: out.rtol, "\(f.name): loss")

        stack.zeroGradients()
        let dOut = timeMajor(R.map(Float.init), B, T, W)
        let dhN = S.map(Float.init)
        let dcN = f.tensor("loss_weights", "T")?.floats
        dOut.withUnsafeBufferPointer { d in
            dhN.withUnsafeBufferPointer { s in
                if let dcN {
                    dcN.withUnsafeBufferPointer { c in
                        stack.backward(
                            outputGradient: d.baseAddress!, finalHiddenGradient: s.baseAddress!, finalCellGradient: c.baseAddress!,
                            needInputGradient: true)
                    }
                } else {
                    stack.backward(outputGradient: d.baseAddress!, finalHiddenGradient: s.baseAddress!, needInputGradient: true)
                }
            }
        }
        for p in stack.parameters {
            assertClose(p.gradient, f.tensor("grads", p.name)!.data, atol: grad.atol, rtol: grad.rtol, "\(f.name): grad \(p.name)")
        }
        let dx = batchFirst(Array(UnsafeBufferPointer(start: stack.inputGradient, count: T * B * I)), T, B, I)
        assertClose(dx, f.tensor("grads", "x")!.data, atol: grad.atol, rtol: grad.rtol, "\(f.name): grad x")
        let dh0 = stack.directionalLayers.flatMap { Array(UnsafeBufferPointer(start: $0.initialHiddenGradient, count: B * H)) }
        assertClose(dh0, f.tensor("grads", "h0")!.data, atol: grad.atol, rtol: grad.rtol, "\(f.name): grad h0")
        if cell == .lstm {
            let dc0 = stack.directionalLayers.flatMap { Array(UnsafeBufferPointer(start: $0.initialCellGradient, count: B * H)) }
            assertClose(dc0, f.tensor("grads", "c0")!.data, atol: grad.atol, rtol: grad.rtol, "\(f.name): grad c0")
        }
    }

    // MARK: heads

    func checkRegressionHead(_ f: Fixture) throws {
        let features = f.tensor("inputs", "features")!, targets = f.tensor("inputs", "targets")!
        let B = features.shape[0], inSize = features.shape[1], O = targets.shape[1]
        var generator = testGenerator()
        let head = Linear(inputSize: inSize, outputSize: O, generator: &generator)
        head.weight.value = f.tensor("params", "weight")!.floats
        head.bias.value = f.tensor("params", "bias")!.floats
        let out = f.tolerance("outputs"), grad = f.tolerance("grads")
        let x = features.floats, y = targets.floats
        var dPred = [Float](repeating: 0, count: B * O)
        var loss: Float = 0
        var dx: [Float] = []
        x.withUnsafeBufferPointer { xp in
            let pred = head.forward(xp.baseAddress!, batch: B)
            assertClose(
                Array(UnsafeBufferPointer(start: pred, count: B * O)), f.tensor("outputs", "pred")!.data, atol: out.atol, rtol: out.rtol,
                "\(f.name): pred")
            loss = y.withUnsafeBufferPointer {
                RegressionLoss.mse.evaluate(prediction: pred, target: $0.baseAddress!, count: B * O, gradient: &dPred)
            }
            let g = dPred.withUnsafeBufferPointer { head.backward($0.baseAddress!) }
            dx = Array(UnsafeBufferPointer(start: g, count: B * inSize))
        }
        assertClose(Double(loss), f["outputs", "loss"] as! Double, atol: out.atol, rtol: out.rtol, "\(f.name): loss")
        assertClose(head.weight.gradient, f.tensor("grads", "weight")!.data, atol: grad.atol, rtol: grad.rtol, "\(f.name): grad weight")
        assertClose(head.bias.gradient, f.tensor("grads", "bias")!.data, atol: grad.atol, rtol: grad.rtol, "\(f.name): grad bias")
        assertClose(dx, f.tensor("grads", "features")!.data, atol: grad.atol, rtol: grad.rtol, "\(f.name): grad features")
    }

    func checkClassificationHead(_ f: Fixture) throws {
        let features = f.tensor("inputs", "features")!
        let labels = (f["inputs", "labels"] as! [Int]).map(Int32.init)
        let B = features.shape[0], inSize = features.shape[1]
        let C = f.tensor("params", "bias")!.shape[0]
        var generator = testGenerator()
        let head = Linear(inputSize: inSize, outputSize: C, generator: &generator)
        head.weight.value = f.tensor("params", "weight")!.floats
        head.bias.value = f.tensor("params", "bias")!.floats
        let out = f.tolerance("outputs"), grad = f.tolerance("grads")
        var probs = [Float](repeating: 0, count: B * C), dLogits = probs
        var dx: [Float] = []
        var loss: Float = 0
        features.floats.withUnsafeBufferPointer { xp in
            let logits = head.forward(xp.baseAddress!, batch: B)
            assertClose(
                Array(UnsafeBufferPointer(start: logits, count: B * C)), f.tensor("outputs", "logits")!.data, atol: out.atol,
                rtol: out.rtol, "\(f.name): logits")
            loss = labels.withUnsafeBufferPointer {
                CrossEntropy.evaluate(
                    logits: logits, labels: $0.baseAddress!, batch: B, classes: C, probabilities: &probs, gradient: &dLogits)
            }
            let g = dLogits.withUnsafeBufferPointer { head.backward($0.baseAddress!) }
            dx = Array(UnsafeBufferPointer(start: g, count: B * inSize))
        }
        assertClose(probs, f.tensor("outputs", "probs")!.data, atol: out.atol, rtol: out.rtol, "\(f.name): probs")
        assertClose(
            probs.map { Float(log(Double($0))) }, f.tensor("outputs", "log_probs")!.data, atol: out.atol, rtol: out.rtol,
            "\(f.name): log_probs")
        assertClose(Double(loss), f["outputs", "loss"] as! Double, atol: out.atol, rtol: out.rtol, "\(f.name): loss")
        assertClose(head.weight.gradient, f.tensor("grads", "weight")!.data, atol: grad.atol, rtol: grad.rtol, "\(f.name): grad weight")
        assertClose(head.bias.gradient, f.tensor("grads", "bias")!.data, atol: grad.atol, rtol: grad.rtol, "\(f.name): grad bias")
        assertClose(dx, f.tensor("grads", "features")!.data, atol: grad.atol, rtol: grad.rtol, "\(f.name): grad features")
    }

    // MARK: optimizers and clipping

    func checkOptimizer(_ f: Fixture) throws {
        let names = f["param_names"] as! [String]
        let steps = f["grads_per_step"] as! [[String: Any]]
        let tol = f.tolerance("params")
        for run in f["runs"] as! [[String: Any]] {
            let runName = run["name"] as! String
            let hp = run["hyperparameters"] as! [String: Any]
            func number(_ key: String, _ fallback: Double = 0) -> Float { Float((hp[key] as? NSNumber)?.doubleValue ?? fallback) }
            let params = names.map {
                Parameter(name: $0, shape: f.tensor("params_initial", $0)!.shape, value: f.tensor("params_initial", $0)!.floats)
            }
            let optimizer: Optimizer
            switch run["optimizer"] as! String {
            case "Adam", "AdamW":
                let betas = (hp["betas"] as! [NSNumber]).map { $0.floatValue }
                optimizer = Adam(
                    parameters: params, learningRate: number("lr"), beta1: betas[0], beta2: betas[1], epsilon: number("eps", 1e-8),
                    weightDecay: number("weight_decay"), decoupled: run["optimizer"] as! String == "AdamW")
            case "SGD":
                optimizer = SGD(
                    parameters: params, learningRate: number("lr"), momentum: number("momentum"), dampening: number("dampening"),
                    weightDecay: number("weight_decay"), nesterov: hp["nesterov"] as? Bool ?? false)
            default:
                XCTFail("\(f.name): unknown optimizer \(run["optimizer"]!)"); continue
            }
            let clip = (run["clip_grad_norm_before_step"] as? NSNumber)?.floatValue
            let after = run["params_after_step"] as! [[String: Any]]
            XCTAssertEqual(after.count, steps.count, "\(f.name) \(runName): step count")
            for (s, grads) in steps.enumerated() {
                for p in params { p.gradient = FixtureTensor(grads[p.name])!.floats }
                if let clip { clipGradientNorm(params, maxNorm: clip) }
                optimizer.step()
                for p in params {
                    assertClose(
                        p.value, FixtureTensor(after[s][p.name])!.data, atol: tol.atol, rtol: tol.rtol,
                        "\(f.name) \(runName) step \(s + 1): \(p.name)")
                }
            }
        }
    }

    func checkClipping(_ f: Fixture) throws {
        let names = f["param_names"] as! [String]
        let maxNorm = Float((f["config", "max_norm"] as! NSNumber).doubleValue)
        let out = f.tolerance("grads_out"), norm = f.tolerance("total_norm")
        for c in f["cases"] as! [[String: Any]] {
            let input = c["grads_in"] as! [String: Any], output = c["grads_out"] as! [String: Any]
            let params = names.map { name -> Parameter in
                let t = FixtureTensor(input[name])!
                let p = Parameter(name: name, shape: t.shape)
                p.gradient = t.floats
                return p
            }
            let total = clipGradientNorm(params, maxNorm: maxNorm)
            assertClose(
                total, (c["total_norm"] as! NSNumber).doubleValue, atol: norm.atol, rtol: norm.rtol, "\(f.name) \(c["name"]!): total_norm")
            for p in params {
                assertClose(
                    p.gradient, FixtureTensor(output[p.name])!.data, atol: out.atol, rtol: out.rtol, "\(f.name) \(c["name"]!): \(p.name)")
            }
        }
    }

    // MARK: a whole training step

    func checkFullTrainStep(_ f: Fixture) throws {
        let config = f["config"] as! [String: Any]
        let I = config["input_size"] as! Int, H = config["hidden_size"] as! Int, L = (config["num_layers"] as? Int) ?? 1
        let T = config["seq_len"] as! Int, B = config["batch"] as! Int
        let hp = config["hyperparameters"] as? [String: Any] ?? [:]
        var generator = testGenerator()
        let stack = RecurrentStack(cell: .lstm, inputSize: I, hiddenSize: H, layers: L, prefix: "lstm.", generator: &generator)
        let targets = f.tensor("inputs", "targets")!
        let O = targets.shape[1]
        let head = Linear(inputSize: H, outputSize: O, prefix: "head.", generator: &generator)
        let params = stack.parameters + head.parameters
        XCTAssertEqual(params.map(\.name), f["param_names"] as! [String], "\(f.name): parameter names and order")
        for p in params { p.value = f.tensor("params_before", p.name)!.floats }
        let lr = Float((hp["lr"] as? NSNumber)?.doubleValue ?? 1e-3)
        let betas = (hp["betas"] as? [NSNumber])?.map(\.floatValue) ?? [0.9, 0.999]
        let adam = Adam(
            parameters: params, learningRate: lr, beta1: betas[0], beta2: betas[1],
            epsilon: Float((hp["eps"] as? NSNumber)?.doubleValue ?? 1e-8))
        let x = timeMajor(f.tensor("inputs", "x")!.floats, B, T, I), y = targets.floats
        let out = f.tolerance("outputs"), grad = f.tolerance("grads"), tol = f.tolerance("params")

        func trainStep() -> (pred: [Float], loss: Float) {
            for p in params { p.zeroGradient() }
            var dPred = [Float](repeating: 0, count: B * O)
            var result: ([Float], Float) = ([], 0)
            x.withUnsafeBufferPointer { xp in
                stack.forward(xp.baseAddress!, steps: T, batch: B)
                let pred = head.forward(stack.finalHidden, batch: B)
                let loss = y.withUnsafeBufferPointer {
                    RegressionLoss.mse.evaluate(prediction: pred, target: $0.baseAddress!, count: B * O, gradient: &dPred)
                }
                result = (Array(UnsafeBufferPointer(start: pred, count: B * O)), loss)
                let dh = dPred.withUnsafeBufferPointer { head.backward($0.baseAddress!) }
                stack.backward(outputGradient: nil, finalHiddenGradient: dh, topOnly: true)
            }
            return result
        }
        let first = trainStep()
        assertClose(first.pred, f.tensor("step1", "pred")!.data, atol: out.atol, rtol: out.rtol, "\(f.name): pred")
        assertClose(Double(first.loss), f["step1", "loss"] as! Double, atol: out.atol, rtol: out.rtol, "\(f.name): loss")
        for p in params {
            assertClose(p.gradient, f.tensor("step1", "grads", p.name)!.data, atol: grad.atol, rtol: grad.rtol, "\(f.name): grad \(p.name)")
        }
        adam.step()
        for p in params {
            assertClose(p.value, f.tensor("params_after", p.name)!.data, atol: tol.atol, rtol: tol.rtol, "\(f.name): after \(p.name)")
        }
        let trajectory = f["trajectory"] as? [[String: Any]] ?? []
        for (s, entry) in trajectory.enumerated() where s > 0 {
            let step = trainStep()
            assertClose(
                Double(step.loss), (entry["loss_before_step"] as! NSNumber).doubleValue, atol: out.atol, rtol: out.rtol,
                "\(f.name): trajectory \(s + 1) loss")
            adam.step()
            let after = entry["params_after"] as! [String: Any]
            for p in params {
                assertClose(
                    p.value, FixtureTensor(after[p.name])!.data, atol: tol.atol, rtol: tol.rtol, "\(f.name): trajectory \(s + 1) \(p.name)")
            }
        }
    }
}

/// `[B, T, F]` → `[T, B, F]`.
func timeMajor(_ a: [Float], _ B: Int, _ T: Int, _ F: Int) -> [Float] {
    var out = [Float](repeating: 0, count: a.count)
    for b in 0 ..< B { for t in 0 ..< T { for f in 0 ..< F { out[(t * B + b) * F + f] = a[(b * T + t) * F + f] } } }
    return out
}

/// `[T, B, F]` → `[B, T, F]`.
func batchFirst(_ a: [Float], _ T: Int, _ B: Int, _ F: Int) -> [Float] {
    var out = [Float](repeating: 0, count: a.count)
    for b in 0 ..< B { for t in 0 ..< T { for f in 0 ..< F { out[(b * T + t) * F + f] = a[(t * B + b) * F + f] } } }
    return out
}
