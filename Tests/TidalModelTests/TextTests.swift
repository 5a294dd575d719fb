import TidalCore
import TidalData
import TidalModel
import TidalNet
import TidalTestSupport
import XCTest

final class TextTests: XCTestCase {
    /// One document gives the same probabilities alone and inside a batch of longer ones (left padding + mask).
    func testPaddingDoesNotChangeADocumentsPrediction() {
        for cell in [CellKind.lstm, .gru, .rnn] {
            let model = SequenceModel(
                ModelArchitecture(cell: cell, inputSize: 8, hiddenSize: 10, layers: 2, outputSize: 3, vocabularySize: 30), seed: 4)
            let short: [Int32] = [5, 9, 2]
            let set = TextDataset(documents: [short, [7, 7, 3, 12, 29, 1, 4, 8], [11, 6, 2, 2, 9]], labels: [0, 1, 2])
            let alone = Batch(), together = Batch()
            set.fill([0], into: alone)
            let a = Array(UnsafeBufferPointer(start: model.forward(alone), count: 3))
            set.fill([1, 0, 2], into: together)
            XCTAssertTrue(together.hasMask)
            let b = Array(UnsafeBufferPointer(start: model.forward(together) + 3, count: 3))
            for i in 0 ..< 3 { XCTAssertEqual(a[i], b[i], accuracy: 1e-6, "\(cell)") }
        }
    }

    func testTextModelRoundTripsThroughTheModelFile() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = dir.appendingPathComponent("docs.csv").path
        var csv = "label,text\n"
        for i in 0 ..< 60 { csv += i % 2 == 0 ? "fresh,\"A good, fine film \(i % 7)\"\n" : "rotten,\"A bad, dull film \(i % 5)\"\n" }
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        var request = TrainingRequest(dataPath: path)
        request.task = .classify
        request.textColumn = "text"
        request.labelColumn = "label"
        request.hidden = 8
        request.embeddingDimension = 8
        request.epochs = 3
        request.batchSize = 8
        let outcome = try Training.run(request)
        let back = try ModelFile.decode(try ModelFile.encode(outcome.model), path: "t.tidal")
        XCTAssertEqual(back.schema, outcome.model.schema)
        guard case let .text(spec) = back.schema else { return XCTFail("not a text model: \(back.schema)") }
        XCTAssertEqual(spec.vocabulary.tokens.prefix(2), ["<pad>", "<unk>"])
        XCTAssertEqual(back.weights.first?.name, "embedding.weight")
        var lines: [String] = []
        let engine = try ReplayEngine(model: back, write: { lines.append($0) }, warn: { _ in })
        try engine.run(source: MemoryByteSource("text,label\n\"good film\",x\nbad\n", name: "<stdin>"))
        XCTAssertEqual(lines.first, "row,label,p_fresh,p_rotten\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(engine.counts, ReplayCounts(read: 2, predicted: 2, rejected: 0, warming: 0))
    }
}
