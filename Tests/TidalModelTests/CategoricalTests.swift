import Foundation
import TidalData
import TidalModel
import TidalTestSupport
import XCTest

final class CategoricalTests: XCTestCase {
    func testCategoricalForecastRoundTripsAndReplaysLikeForecast() throws {
        let dir = try TestPaths.temporaryDirectory(self)
        let path = dir.appendingPathComponent("airline_month.csv").path
        let lines = try String(contentsOfFile: SmallModel.airline, encoding: .utf8).split(separator: "\n")
        var csv = String(lines[0]) + ",month\n"
        for line in lines.dropFirst() { csv += String(line) + "," + String(line.dropFirst(5).prefix(2)) + "\n" }
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        var request = TrainingRequest(dataPath: path)
        request.targets = ["value"]
        request.lookback = 12
        request.season = 12
        request.categorical = ["month"]
        request.hidden = 6
        request.epochs = 2
        let model = try Training.run(request).model
        guard case let .forecast(spec) = model.schema else { return XCTFail("not a forecaster: \(model.schema)") }
        XCTAssertEqual(spec.categorical.first?.values.count, 13)  // 12 months + <unk>
        XCTAssertEqual(model.weights.first?.name, "categorical0.weight")
        let back = try ModelFile.decode(try ModelFile.encode(model), path: "m.tidal")
        XCTAssertEqual(back.schema, model.schema)

        var options = TableOptions()
        options.numericColumns = ["value"]
        options.textColumns = ["month"]
        let table = try Table.load(path: path, options: options)
        let forecaster = try back.forecaster()
        let expected = forecaster.predictAll(raw: try forecaster.rawRows(table), codes: try forecaster.codes(table))
        var out: [String] = []
        let engine = try ReplayEngine(model: back, write: { out.append($0) }, warn: { _ in })
        try engine.run(source: MemoryByteSource(csv, name: "<stdin>", chunkSize: 37))
        XCTAssertEqual(out.count - 1, expected.count)
        let value = try XCTUnwrap(out.first?.dropLast().split(separator: ",").firstIndex(of: "value_h1"))
        for (line, want) in zip(out.dropFirst(), expected) {
            XCTAssertEqual(Float(String(line.split(separator: ",")[value])), want.values[0])
        }
        XCTAssertEqual(spec.categorical[0].id(of: "13"), 0)  // unseen → <unk>
    }
}
