// libFuzzer target `replay`: a replay session over arbitrary rows.
//
// Input: byte 0 = flags (bit 0: the window classifier instead of the forecaster, bit 1: strict,
// bit 2: no header row, bit 3: put the model's header line in front of the rows, bit 4: JSON
// lines), byte 1 = chunk size − 1, then the rows. The models are small fixed ones with random
// weights: a forecaster of `b` from `time,a,b,kind` (lookback 4, a categorical column) and a
// classifier of 3-row windows of `time,a` (`TinyModels`).
//
// Checked: `ReplayEngine.run` returns or throws a `DataError` or `ReplayError`; after every row
// the counts add up (read = predicted + warming + rejected); one output line per prediction
// (plus the CSV header); every line ends in a newline.
import FuzzSupport
import TidalData
import TidalModel

let models: [TrainedModel] = [
    TinyModels.forecaster(categorical: true), TinyModels.windowClassifier(categorical: true),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReplay(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let flags = input.byte()
    let chunkSize = 1 + Int(input.byte())
    let model = models[Int(flags & 1)]
    var rows = input.rest
    var lines = 0
    var headerWritten = false
    let format: PredictionFormat = flags & 0x10 == 0 ? .csv : .jsonl
    do {
        let engine = try ReplayEngine(
            model: model, format: format, strict: flags & 2 != 0, hasHeader: flags & 4 == 0,
            write: { line in
                if !line.hasSuffix("\n") { fuzzFailure("an output line without its newline: \(line.debugDescription)") }
                if format == .csv && !headerWritten { headerWritten = true } else { lines += 1 }
            },
            warn: { _ in })
        if flags & 8 != 0 {
            rows = Array((try model.rowPredictor().input.columns.joined(separator: ",") + "\n").utf8) + rows
        }
        do {
            try engine.run(source: ChunkedByteSource(rows, sizes: [chunkSize])) { c in
                if c.read != c.predicted + c.warming + c.rejected { fuzzFailure("counts do not add up: \(c)") }
            }
        } catch is DataError {
        } catch is ReplayError {
        }
        if lines != engine.counts.predicted { fuzzFailure("\(lines) lines written for \(engine.counts.predicted) predictions") }
    } catch {
        fuzzFailure("replay threw \(type(of: error)): \(error)")
    }
    return 0
}

@_cdecl("fuzz_replay_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzReplay)
}
