import Foundation
import TidalCore
import XCTest

/// Where the shared reference material lives: `../shared` from the package root.
public enum TestPaths {
    /// The package root (two levels above this file's folder).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the package root.
    public static let shared: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// The fixtures directory: `$TIDAL_FIXTURES` when set, else `../shared/fixtures`.
    public static var fixtures: URL {
        if let env = ProcessInfo.processInfo.environment["TIDAL_FIXTURES"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return shared.appendingPathComponent("fixtures")
    }

    /// `../shared/data`.
    public static let data: URL = shared.appendingPathComponent("data")

    /// `SampleSeries/` in the package.
    public static let sampleSeries: URL = packageRoot.appendingPathComponent("SampleSeries")

    /// The environment for a child process the tests start (the built `tidal`, a script that runs it):
    /// this process's environment plus `extra`. Under `Scripts/sanitizers.sh`, `TIDAL_CHILD_ASAN_OPTIONS`
    /// replaces `ASAN_OPTIONS` for the child, so a command that `exit`s with objects still alive (every
    /// error path does) is not reported as a leak, while this process keeps its leak checking.
    public static func childEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let child = environment["TIDAL_CHILD_ASAN_OPTIONS"] { environment["ASAN_OPTIONS"] = child }
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// A fresh temporary directory, removed when the test case ends.
    public static func temporaryDirectory(_ testCase: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tidal-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

/// A tensor as the fixtures store it: a shape and row-major float64 data.
public struct FixtureTensor {
    public var shape: [Int]
    public var data: [Double]

    public init?(_ json: Any?) {
        guard let dict = json as? [String: Any], let shape = dict["shape"] as? [Int], let raw = dict["data"] as? [Any] else { return nil }
        self.shape = shape
        self.data = raw.compactMap { ($0 as? NSNumber)?.doubleValue }
        guard data.count == raw.count, data.count == shape.reduce(1, *) else { return nil }
    }

    public var floats: [Float] { data.map(Float.init) }
}

/// One fixture file, parsed.
public struct Fixture {
    public let url: URL
    public let json: [String: Any]

    public var name: String { url.lastPathComponent }
    public var caseName: String { json["case"] as? String ?? "" }

    public init(url: URL) throws {
        self.url = url
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw NSError(domain: "Fixture", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(url.path): not a JSON object"])
        }
        json = object
    }

    public subscript(_ path: String...) -> Any? {
        var current: Any? = json
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }

    public func tensor(_ path: String...) -> FixtureTensor? {
        var current: Any? = json
        for key in path { current = (current as? [String: Any])?[key] }
        return FixtureTensor(current)
    }

    /// `(atol, rtol)` for a group of `tolerances_float32`.
    public func tolerance(_ group: String) -> (atol: Double, rtol: Double) {
        let t = self["tolerances_float32", group] as? [String: Any]
        return ((t?["atol"] as? NSNumber)?.doubleValue ?? 1e-5, (t?["rtol"] as? NSNumber)?.doubleValue ?? 1e-4)
    }

    /// Every `*.json` file directly in `directory`. Fails the test when there are none.
    public static func all(in directory: URL, file: StaticString = #filePath, line: UInt = #line) throws -> [Fixture] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let fixtures = try names.filter { $0.hasSuffix(".json") }.sorted().map { try Fixture(url: directory.appendingPathComponent($0)) }
        if fixtures.isEmpty { XCTFail("no fixture files in \(directory.path)", file: file, line: line) }
        return fixtures
    }
}

/// Element-wise `|got − want| ≤ atol + rtol·|want|`, reporting the worst element on failure.
public func assertClose(
    _ got: [Float], _ want: [Double], atol: Double, rtol: Double, _ what: @autoclosure () -> String,
    file: StaticString = #filePath, line: UInt = #line
) {
    guard got.count == want.count else {
        XCTFail("\(what()): \(got.count) values, expected \(want.count)", file: file, line: line)
        return
    }
    var worst = -1
    var worstExcess = 0.0
    for i in got.indices {
        let excess = abs(Double(got[i]) - want[i]) - (atol + rtol * abs(want[i]))
        if excess > worstExcess || !Double(got[i]).isFinite {
            worst = i; worstExcess = excess.isNaN ? .infinity : excess; if !Double(got[i]).isFinite { break }
        }
    }
    if worst >= 0 {
        XCTFail(
            "\(what()): element \(worst) is \(got[worst]), expected \(want[worst]) (atol \(atol), rtol \(rtol))", file: file, line: line)
    }
}

public func assertClose(
    _ got: Double, _ want: Double, atol: Double, rtol: Double, _ what: @autoclosure () -> String,
    file: StaticString = #filePath, line: UInt = #line
) {
    if !(abs(got - want) <= atol + rtol * abs(want)) {
        XCTFail("\(what()): \(got), expected \(want) (atol \(atol), rtol \(rtol))", file: file, line: line)
    }
}

/// A repeatable generator for tests.
public func testGenerator(_ seed: UInt64 = 42) -> SeededGenerator { SeededGenerator(seed: seed) }
