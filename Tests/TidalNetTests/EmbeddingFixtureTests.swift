import Foundation
import TidalCore
import TidalNet
import TidalTestSupport
import XCTest

/// Token ids → Embedding → LSTM → last step → Linear → cross-entropy, against every file in
/// `embedding/` under the fixtures directory (`$TIDAL_FIXTURES/embedding` when set).
final class EmbeddingFixtureTests: XCTestCase {
    func testEveryEmbeddingFixture() throws {
        let fixtures = try Fixture.all(in: TestPaths.fixtures.appendingPathComponent("embedding"))
        for f in fixtures {
            let config = f["config"] as! [String: Any]
            let V = config["vocab_size"] as! Int, E = config["embedding_dim"] as! Int, H = config["hidden_size"] as! Int
            let C = config["num_classes"] as! Int, T = config["seq_len"] as! Int, B = config["batch"] as! Int
            let padding = config["padding_idx"] as? Int ?? 0
            XCTAssertEqual(padding, 0, "\(f.name): Tidal's embeddings pad with id 0")
            let model = SequenceModel(
                ModelArchitecture(cell: .lstm, inputSize: E, hiddenSize: H, layers: 1, outputSize: C, vocabularySize: V), seed: 1)
            let names = model.parameters.map(\.name)
            XCTAssertEqual(
                names, (f["param_names"] as! [String]).map { $0.replacingOccurrences(of: "lstm.", with: "lstm.") },
                "\(f.name): names and order")
            for p in model.parameters {
                let t = try XCTUnwrap(f.tensor("params", p.name), "\(f.name): no params.\(p.name)")
                XCTAssertEqual(t.shape, p.shape, "\(f.name): shape of \(p.name)")
                p.value = t.floats
            }
            // tokens [B, T] batch-first in the file → time-major [T, B]
            let rows = f["inputs", "tokens"] as! [[Int]]
            var tokens = [Int32](repeating: 0, count: T * B)
            for b in 0 ..< B { for t in 0 ..< T { tokens[t * B + b] = Int32(rows[b][t]) } }
            let labels = (f["inputs", "labels"] as! [Int]).map(Int32.init)
            let forward = f.tolerance("forward"), grad = f.tolerance("grad")
            model.zeroGradients()
            var dLogits = [Float](repeating: 0, count: B * C)
            var loss: Float = 0
            var logits: [Float] = []
            tokens.withUnsafeBufferPointer { tp in
                let out = model.forward(tokens: tp.baseAddress!, steps: T, batch: B)
                logits = Array(UnsafeBufferPointer(start: out, count: B * C))
                loss = labels.withUnsafeBufferPointer {
                    CrossEntropy.evaluate(
                        logits: out, labels: $0.baseAddress!, batch: B, classes: C, probabilities: nil, gradient: &dLogits)
                }
                dLogits.withUnsafeBufferPointer { model.backward($0.baseAddress!) }
            }
            assertClose(logits, f.tensor("outputs", "logits")!.data, atol: forward.atol, rtol: forward.rtol, "\(f.name): logits")
            assertClose(Double(loss), f["outputs", "loss"] as! Double, atol: forward.atol, rtol: forward.rtol, "\(f.name): loss")
            for p in model.parameters {
                assertClose(p.gradient, f.tensor("grads", p.name)!.data, atol: grad.atol, rtol: grad.rtol, "\(f.name): grad \(p.name)")
            }
            // The padding row stays zero and gets no gradient.
            let embedding = model.embedding!.weight
            XCTAssertEqual(Array(embedding.gradient[0 ..< E]), Array(repeating: 0, count: E))
            XCTAssertFalse(embedding.sparseRows!.contains(0))
        }
    }

    func testSparseRowsAreTheOnlyOnesUpdated() {
        var g = testGenerator(3)
        let embedding = Embedding(vocabularySize: 50, dimension: 4, generator: &g)
        let before = embedding.weight.value
        let ids: [Int32] = [0, 3, 3, 7]
        let adam = Adam(parameters: [embedding.weight], learningRate: 0.1)
        ids.withUnsafeBufferPointer { p in
            embedding.forward(p.baseAddress!, count: 4)
            let ones = [Float](repeating: 1, count: 16)
            ones.withUnsafeBufferPointer { embedding.backward($0.baseAddress!) }
        }
        XCTAssertEqual(embedding.weight.sparseRows!.sorted(), [3, 7])
        XCTAssertEqual(Array(embedding.weight.gradient[12 ..< 16]), [2, 2, 2, 2])  // row 3 used twice
        adam.step()
        for row in 0 ..< 50 {
            let changed = (0 ..< 4).contains { embedding.weight.value[row * 4 + $0] != before[row * 4 + $0] }
            XCTAssertEqual(changed, row == 3 || row == 7, "row \(row)")
        }
        embedding.weight.zeroGradient()
        XCTAssertEqual(embedding.weight.gradient, Array(repeating: 0, count: 200))
    }
}
