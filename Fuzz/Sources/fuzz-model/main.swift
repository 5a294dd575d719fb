// libFuzzer target `model`: the model-file loader fed re-packed descriptions.
//
// An input is a model payload (a 4-byte description length, the JSON description, the Float32
// weights), as in `Fuzz/corpus/model`. The target packs it into a model file with a valid zstd
// frame checksum and header CRC and decodes that, so the fuzzer reaches the loader's checks of
// the description rather than its checksums. An input starting with the magic `TIDALMDL` is
// decoded as a whole file instead (the byte-level checks). A custom mutator edits the parsed
// JSON (see `DescriptionMutator`) two times in three and leaves the rest to libFuzzer's mutations.
//
// Checked: decoding throws a `ModelFileError`, or gives a model whose row predictor (if it has one)
// predicts one window of zeros without crashing.
//
// `TIDAL_FUZZ_WRITE_SEEDS=DIR` writes the payloads of `TinyModels.all()` (and one whole file) to DIR and exits.
import Foundation
import FuzzSupport
import TidalCore
import TidalData
@testable import TidalModel

@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    guard let dir = ProcessInfo.processInfo.environment["TIDAL_FUZZ_WRITE_SEEDS"] else { return 0 }
    for (name, model) in TinyModels.all() {
        do {
            let file = try ModelFile.encode(model)
            let back = try ModelFile.decode(file, path: name)
            try exercise(back)
            let (json, weights) = ModelPayload.split(try ModelPayload.of(file: file))!
            try ModelPayload.checkPack(json: json, weights: weights)
            try Data(try ModelPayload.of(file: file)).write(to: URL(fileURLWithPath: dir).appendingPathComponent(name))
            // One whole file too, for the byte-level checks of the header and frame.
            if name == "forecast-skip" { try Data(file).write(to: URL(fileURLWithPath: dir).appendingPathComponent("file-\(name)")) }
        } catch {
            print("\(name): \(error)")
            exit(1)
        }
    }
    exit(0)
}

/// Predicts one window of zeros (texts and samples alike) with the model's row predictor.
func exercise(_ model: TrainedModel) throws {
    let predictor: any RowPredictor
    do { predictor = try model.rowPredictor() } catch is ModelUseError { return }
    let input = predictor.input
    let numbers = [Float](repeating: 0, count: input.window * input.numeric.count)
    let codes = [Int32](repeating: 0, count: input.window * input.categorical.count)
    let values = numbers.withUnsafeBufferPointer { n in
        codes.withUnsafeBufferPointer { c in
            predictor.predict(
                RowWindow(numbers: n, codes: c, texts: input.text.map { _ in "good fine film" }, sample: [1, 2, 3, 4, 5]))
        }
    }
    let expected: Int
    switch predictor.columns {
    case let .values(names): expected = names.count
    case let .classes(names): expected = names.count
    }
    if values.count != expected { fuzzFailure("\(values.count) values for \(expected) columns") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput(data, size).bytes
    let file: [UInt8]
    if bytes.starts(with: ModelFile.magic) {
        file = bytes
    } else {
        guard let (json, weights) = ModelPayload.split(bytes) else { return 0 }
        file = ModelPayload.pack(json: json, weights: weights)
    }
    do {
        try exercise(try ModelFile.decode(file, path: "fuzz.tidal"))
    } catch is ModelFileError {
    } catch {
        fuzzFailure("the loader threw \(type(of: error)), not a ModelFileError: \(error)")
    }
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func mutateModel(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: CUnsignedInt) -> Int {
    var g = SeededGenerator(seed: UInt64(seed))
    if g.next() % 3 != 0, let mutated = DescriptionMutator.mutate(Array(UnsafeBufferPointer(start: data, count: size)), &g),
        mutated.count <= maxSize
    {
        mutated.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: mutated.count) }
        return mutated.count
    }
    return LLVMFuzzerMutate(data, size, maxSize)
}

@_cdecl("fuzz_model_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzModel)
}
