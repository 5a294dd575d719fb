import Foundation
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Checks an SVG file the way a user's viewer would read it: it must parse as XML, declare its
/// pixel size on the root `<svg>`, keep its texts inside the canvas, and render with
/// `rsvg-convert` (Debian's `librsvg2-bin`, which `./setup.sh test` installs) to a PNG of exactly
/// that size. A missing `rsvg-convert` fails the check, with the package to install.
///
/// Set `TIDAL_PLOT_DIR` to keep the rendered PNGs there (to look at them).
public enum SVGCheck {
    /// What the check found in the document.
    public struct Summary: Sendable {
        /// The root's `width` and `height` attributes.
        public var width: Int, height: Int
        /// Every `<text>` element's content, in document order.
        public var texts: [String]
        /// How many elements of each name the document holds.
        public var counts: [String: Int]
    }

    /// Checks the SVG file at `path`; returns its summary for further assertions.
    @discardableResult
    public static func verify(file path: String, file: StaticString = #filePath, line: UInt = #line) throws -> Summary {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let summary = try parse(data, name: path, file: file, line: line)
        try render(path, expecting: summary, file: file, line: line)
        return summary
    }

    /// Checks an SVG document given as text (written to a temporary file to render it).
    @discardableResult
    public static func verify(text: String, name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Summary {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tidal-svg-\(UUID().uuidString)-\(name)")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try verify(file: url.path, file: file, line: line)
    }

    /// The XML part: parses, reads the size, collects texts and checks their positions.
    static func parse(_ data: Data, name: String, file: StaticString, line: UInt) throws -> Summary {
        let reader = Reader()
        let parser = XMLParser(data: data)
        parser.delegate = reader
        guard parser.parse(), let width = reader.width, let height = reader.height else {
            let error = parser.parserError.map { "\($0)" } ?? "no width and height on the root <svg>"
            XCTFail("\(name): not a well-formed SVG document: \(error) (line \(parser.lineNumber))", file: file, line: line)
            throw CheckError.malformed(name)
        }
        for text in reader.placed {
            // The estimate is generous (0.62 em per character), so a text it keeps inside is inside.
            let extent = text.anchor == "rotated" ? 0 : Double(text.content.count) * 12 * 0.55
            let low = text.anchor == "end" ? text.x - extent : text.anchor == "middle" ? text.x - extent / 2 : text.x
            let high = low + extent
            XCTAssertTrue(
                low >= -1 && high <= Double(width) + 1 && text.y >= 0 && text.y <= Double(height),
                "\(name): text \"\(text.content)\" at (\(text.x), \(text.y)) leaves the \(width)×\(height) canvas", file: file, line: line)
        }
        return Summary(width: width, height: height, texts: reader.placed.map(\.content), counts: reader.counts)
    }

    /// The rendering part: `rsvg-convert` to a PNG, whose header must give the SVG's size.
    static func render(_ path: String, expecting summary: Summary, file: StaticString, line: UInt) throws {
        guard let converter = executable("rsvg-convert") else {
            XCTFail(
                "rsvg-convert is not installed, so the plots cannot be checked: install Debian's librsvg2-bin "
                    + "(./setup.sh test installs it)", file: file, line: line)
            throw CheckError.missingRenderer
        }
        let keep = ProcessInfo.processInfo.environment["TIDAL_PLOT_DIR"]
        let png =
            keep.map {
                URL(fileURLWithPath: $0).appendingPathComponent(
                    URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + ".png")
            }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("tidal-png-\(UUID().uuidString).png")
        defer { if keep == nil { try? FileManager.default.removeItem(at: png) } }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: converter)
        process.arguments = [path, "-o", png.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            XCTFail("rsvg-convert could not render \(path): \(message)", file: file, line: line)
            throw CheckError.unrenderable(path)
        }
        let bytes = [UInt8](try Data(contentsOf: png))
        guard bytes.count > 24, bytes[0 ..< 8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            XCTFail("rsvg-convert wrote no PNG for \(path)", file: file, line: line)
            throw CheckError.unrenderable(path)
        }
        func big(_ at: Int) -> Int { bytes[at ..< at + 4].reduce(0) { $0 << 8 | Int($1) } }
        XCTAssertEqual(big(16), summary.width, "\(path): PNG width", file: file, line: line)
        XCTAssertEqual(big(20), summary.height, "\(path): PNG height", file: file, line: line)
    }

    /// The full path of `name` on `PATH`, or nil.
    public static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    enum CheckError: Error { case malformed(String), missingRenderer, unrenderable(String) }

    /// Collects the root's size, element counts, and each text's anchor point.
    final class Reader: NSObject, XMLParserDelegate {
        struct Placed {
            var x: Double, y: Double, anchor: String, content: String
        }
        var width: Int?, height: Int?
        var counts: [String: Int] = [:]
        var placed: [Placed] = []
        var current: Placed?

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            counts[name, default: 0] += 1
            if name == "svg", width == nil {
                width = attributes["width"].flatMap { Int($0) }
                height = attributes["height"].flatMap { Int($0) }
            }
            guard name == "text" else { return }
            var x = Double(attributes["x"] ?? "") ?? .nan, y = Double(attributes["y"] ?? "") ?? .nan
            if let transform = attributes["transform"], let open = transform.range(of: "translate(") {
                let numbers = transform[open.upperBound...].prefix { $0 != ")" }.split(separator: " ").compactMap { Double($0) }
                if numbers.count == 2 { (x, y) = (numbers[0], numbers[1]) }
                // A turned text runs upward from its anchor point: check the point only.
                current = Placed(x: x, y: y, anchor: "rotated", content: "")
                return
            }
            current = Placed(x: x, y: y, anchor: attributes["text-anchor"] ?? "start", content: "")
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { current?.content += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard name == "text", let text = current else { return }
            placed.append(text)
            current = nil
        }
    }
}
