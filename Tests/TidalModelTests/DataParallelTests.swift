import TidalCore
import TidalData
import TidalModel
import TidalNet
import XCTest

/// Training with `threads: 2` (each batch split over two replicas by `DataParallel`) must give the
/// same per-epoch losses as `threads: 1`, for every kind of batch.
///
/// Tolerance: the two runs see the same data, weights and dropout masks; they differ only in how the
/// float32 gradient sums are grouped (one GEMM over B rows versus two over B/2 rows plus one add),
/// which changes each gradient entry by a few ulps (~1e-7 relative). Three epochs of Adam carry that
/// into the epoch losses at under 1e-7 relative here (measured: at most 6e-8). A relative 1e-5 leaves
/// two orders of magnitude for it, while anything really different moves a loss further: replicas
/// drawing their own dropout masks (1e-2), categorical input read as numeric (1e5), or a replica's
/// embedding rows left out of the summed gradient (3e-5 to 1e-4 on the text task, which 1e-4 would miss).
final class DataParallelTests: XCTestCase {
    /// (a) Numeric forecasting windows; two layers with dropout between them and a linear skip.
    func testNumericWindowsTrainAlikeOnTwoThreads() throws {
        let lookback = 12
        let values = (0 ..< 80).map { t in Float(sin(Double(t) * 0.4)) + 0.1 * Float(t % 5) }
        let spec = ForecastSpec(
            features: ["v"], targets: ["v"], timeColumn: nil, lookback: lookback, horizon: 1, difference: 0,
            scaling: .none, normalizer: Normalizer(kind: .none, shift: [0], scale: [1]), season: 1)
        let data = ForecastDataset(spec: spec, raw: values, origins: Array(lookback ..< values.count))
        let architecture = ModelArchitecture(
            cell: .lstm, inputSize: 1, hiddenSize: 8, layers: 2, dropout: 0.3,
            outputSize: 1, skipSteps: lookback)
        try assertSameLosses(architecture, .regression(.mse), data)
    }

    /// (b) Masked text: documents of different lengths (left-padded and masked), dropout 0.5 on the
    /// token embeddings and between two layers.
    func testMaskedTextTrainsAlikeOnTwoThreads() throws {
        let architecture = ModelArchitecture(
            cell: .gru, inputSize: 6, hiddenSize: 8, layers: 2, dropout: 0.5,
            outputSize: 3, vocabularySize: 20)
        try assertSameLosses(architecture, .classification(classes: 3), Self.maskedText())
    }

    /// (d) Bidirectional layers (dropout masks `2H` wide between them) under every pooling, on the masked text.
    func testBidirectionalPooledModelsTrainAlikeOnTwoThreads() throws {
        for pool in Pooling.allCases {
            let architecture = ModelArchitecture(
                cell: .gru, inputSize: 6, hiddenSize: 8, layers: 2, dropout: 0.5, outputSize: 3, vocabularySize: 20,
                bidirectional: true, pool: pool)
            try assertSameLosses(architecture, .classification(classes: 3), Self.maskedText())
        }
    }

    /// 40 documents of 2 to 8 tokens (so batches are left-padded and masked), labelled by their last token.
    static func maskedText() -> TextDataset {
        var g = SeededGenerator(seed: 3)
        var documents: [[Int32]] = [], labels: [Int32] = []
        for _ in 0 ..< 40 {
            let length = 2 + Int(g.next() % 7)
            let document = (0 ..< length).map { _ in Int32(1 + g.next() % 19) }
            documents.append(document)
            labels.append(document.last! % 3)  // learnable, so the embedding gradients matter
        }
        return TextDataset(documents: documents, labels: labels)
    }

    /// (c) Categorical input: numeric windows plus one categorical covariate through its embedding
    /// (the recurrent layers read `stepSize` = 1 + 3 values per step), with a skip over them.
    func testCategoricalInputTrainsAlikeOnTwoThreads() throws {
        let lookback = 8, rows = 70
        let values = (0 ..< rows).map { t in Float(cos(Double(t) * 0.3)) + (t % 7 == 0 ? 0.5 : 0) }
        var spec = ForecastSpec(
            features: ["v"], targets: ["v"], timeColumn: nil, lookback: lookback, horizon: 2, difference: 0,
            scaling: .none, normalizer: Normalizer(kind: .none, shift: [0], scale: [1]), season: 1)
        spec.categorical = [CategoricalColumn(name: "day", trainingValues: (0 ..< 7).map(String.init), dimension: 3)]
        let codes = (0 ..< rows).map { Int32(1 + $0 % 7) }
        let data = ForecastDataset(spec: spec, raw: values, origins: Array(lookback ..< rows - 2), codes: codes)
        var architecture = ModelArchitecture(cell: .lstm, inputSize: 1, hiddenSize: 8, layers: 1, outputSize: 2, skipSteps: lookback)
        architecture.categoricalVocabularies = [spec.categorical[0].values.count]
        architecture.categoricalDimensions = [3]
        try assertSameLosses(architecture, .regression(.mse), data)
    }

    /// Trains a fresh model (same seed) with 1 and with 2 threads and compares the epoch losses.
    private func assertSameLosses(
        _ architecture: ModelArchitecture, _ objective: Objective, _ data: any SampleSource,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        var configuration = TrainingConfiguration()
        configuration.epochs = 3
        configuration.batchSize = 8
        configuration.learningRate = 1e-2
        configuration.seed = 5
        func losses(threads: Int) throws -> [Double] {
            configuration.threads = threads
            let network = SequenceModel(architecture, seed: 11)
            let result = try Trainer(configuration: configuration, objective: objective).train(network, on: data)
            return result.history.map(\.trainLoss)
        }
        let single = try losses(threads: 1)
        let splitBefore = DataParallel.splitBatchCount.load(ordering: .relaxed)
        let parallel = try losses(threads: 2)
        let split = DataParallel.splitBatchCount.load(ordering: .relaxed) - splitBefore
        // Every batch of at least 2 × 2 samples takes the parallel path.
        let batchesPerEpoch = data.count / configuration.batchSize + (data.count % configuration.batchSize >= 4 ? 1 : 0)
        XCTAssertEqual(split, configuration.epochs * batchesPerEpoch, "batches split over two threads", file: file, line: line)
        XCTAssertEqual(single.count, parallel.count, file: file, line: line)
        for (epoch, (a, b)) in zip(single, parallel).enumerated() {
            XCTAssert(
                a.isFinite && abs(a - b) <= 1e-5 * abs(a), "epoch \(epoch + 1): loss \(a) on one thread, \(b) on two",
                file: file, line: line)
        }
    }
}
