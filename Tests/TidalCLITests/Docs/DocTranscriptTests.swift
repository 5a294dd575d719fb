import Foundation
import XCTest

/// The docs test's parts on small inputs: the block parser, the output matcher (elisions, tolerance,
/// integers) and update mode, and that an edited figure is reported with its line.
final class DocTranscriptTests: XCTestCase {
    let doc = """
        # Title

        ```text
        $ tidal forecast --model a.tidal \\
              --data x.csv
        row,time,value_h1
        144,1960-12,448.42264
        $ head -2 x.csv | tidal replay --model a.tidal
        …
        replay: 1 rows read
        ```

        ```sh
        # a comment
        tidal train --data x.csv \\
              --out a.tidal     # trailing comment

        tidal inspect a.tidal
        ```

        ```text
        output only
        ```

        <!-- docs-test: skip (needs Spark) -->

        ```sh
        spark-submit job.py
        ```
        """

    func testBlocksCommandsAndSkipMarkers() throws {
        let blocks = try DocParser.blocks(in: doc, file: "D.md")
        XCTAssertEqual(blocks.map(\.line), [3, 13, 27])
        XCTAssertEqual(blocks.map(\.skipReason), [nil, nil, "needs Spark"])
        let transcript = blocks[0].commands
        XCTAssertEqual(transcript.map(\.line), [4, 8])
        XCTAssertEqual(transcript[0].script, "tidal forecast --model a.tidal \\\n      --data x.csv")
        XCTAssertEqual(transcript[0].expected, ["row,time,value_h1", "144,1960-12,448.42264"])
        XCTAssertEqual(transcript[0].outputLines, 5 ..< 7)
        XCTAssertEqual(transcript[1].expected, ["…", "replay: 1 rows read"])
        let script = blocks[1].commands
        XCTAssertEqual(script.map(\.line), [15, 18])
        XCTAssertEqual(script.map(\.expected), [nil, nil])
        XCTAssertEqual(script[0].script, "tidal train --data x.csv \\\n      --out a.tidal     # trailing comment")
    }

    func testMalformedDocumentsAreReportedWithTheirLine() {
        let cases: [(String, Int, String)] = [
            ("```text\nstray\n$ tidal x\n```\n", 2, "output before"),
            ("```sh\ntidal x\n", 1, "never closed"),
            ("<!-- docs-test: skip -->\n```sh\ntidal x\n```\n", 1, "expected `<!-- docs-test: skip ("),
            ("<!-- docs-test: skip (why) -->\ntext\n```sh\ntidal x\n```\n", 1, "just above"),
            ("<!-- docs-test: skip (why) -->\n```text\nno command\n```\n", 1, "no command"),
        ]
        for (text, line, words) in cases {
            XCTAssertThrowsError(try DocParser.blocks(in: text, file: "D.md"), text) { error in
                let error = error as? DocParseError
                XCTAssertEqual(error?.line, line, text)
                XCTAssertTrue(error?.description.contains(words) == true, "\(error.map(String.init(describing:)) ?? "nil")")
            }
        }
    }

    func testNumbersWithAFractionMayMoveByTheToleranceAndIntegersMayNot() {
        XCTAssertNotNil(OutputMatcher.match(["144,1960-12,452.26508"], ["144,1960-12,452.2651"]))
        XCTAssertNotNil(OutputMatcher.match(["144,1960-12,452.26508"], ["144,1960-12,452.26508"]))
        XCTAssertNil(OutputMatcher.match(["144,1960-12,452.26508"], ["144,1960-12,448.42264"]))
        XCTAssertNil(OutputMatcher.match(["lstm (test)     13.58  16.23"], ["lstm (test)     13.59  16.23"]))
        XCTAssertNil(OutputMatcher.match(["Test Acc: 97.2%"], ["Test Acc: 97.3%"]))
        XCTAssertNil(OutputMatcher.match(["refitted for 66 epochs"], ["refitted for 67 epochs"]))
        XCTAssertNil(OutputMatcher.match(["refitted for 66 epochs"], ["refitted for 660 epochs"]))
        XCTAssertNil(OutputMatcher.match(["-0.5"], ["0.5"]))
        XCTAssertNil(OutputMatcher.match(["a 1.0e-04"], ["a 2.0e-04"]))
        XCTAssertNotNil(OutputMatcher.match(["model  MAE    RMSE", "lstm   9.5  10.25"], ["model MAE RMSE", "lstm   9.5     10.25   "]))
        XCTAssertNil(OutputMatcher.match(["a b"], ["ab"]))
    }

    func testElisionsStandForAnyLinesAndInlineEllipsesForAnyText() {
        let actual = ["first", "Epoch [1/3]", "Epoch [2/3]", "Epoch [3/3]", "table 1.5"]
        XCTAssertEqual(OutputMatcher.match(["first", "…", "table 1.5"], actual), [0 ..< 1, 1 ..< 4, 4 ..< 5])
        XCTAssertEqual(OutputMatcher.match(["…", "Epoch [3/3]", "table 1.5"], actual), [0 ..< 3, 3 ..< 4, 4 ..< 5])
        XCTAssertNotNil(OutputMatcher.match(["first", "…", "Epoch [1/3]", "…", "table 1.5"], actual))
        XCTAssertNotNil(OutputMatcher.match(["…  (the epochs)", "table 1.5"], actual))
        XCTAssertNotNil(OutputMatcher.match(["first", "…", "Epoch [3/3]", "…", "table 1.5"], actual), "an elision may be empty")
        XCTAssertNil(OutputMatcher.match(["first", "table 1.5"], actual), "lines are not left out without `…`")
        XCTAssertNil(OutputMatcher.match(["first", "…"], []))
        XCTAssertNotNil(OutputMatcher.match(["rnn  0.4875  150  …"], ["rnn   0.4875  150     12.9"]))
        XCTAssertNil(OutputMatcher.match(["rnn  0.4875  150  …"], ["rnn   0.4975  150     12.9"]))
        XCTAssertFalse(OutputMatcher.isElision("… and more text"))
    }

    func testUpdateRewritesLinesAndKeepsElisions() {
        let doc = ["head 1.5", "…", "Epoch [2/2] 0.7", "…", "model 13.58", "kept … s"]
        let actual = ["head 1.6", "Epoch [1/2] 0.9", "Epoch [2/2] 0.4", "x", "model 13.57", "kept 12.9 s"]
        XCTAssertEqual(OutputMatcher.updated(doc, actual), ["head 1.6", "…", "Epoch [2/2] 0.4", "…", "model 13.57", "kept … s"])
        let matching = ["head 1.6", "…", "kept … s"]
        XCTAssertEqual(OutputMatcher.updated(matching, actual), matching)
        XCTAssertEqual(OutputMatcher.updated(["a 1"], ["a 2", "b"]), ["a 2", "b"])
        XCTAssertEqual(OutputMatcher.updated(["rnn 0.48 …", "x 1"], ["rnn 0.4875 12.9", "x 2"]), ["rnn 0.4875 …", "x 2"])
        XCTAssertEqual(OutputMatcher.updated(["rnn 150 …", "x 1"], ["lstm 150 12.9", "x 2"]), ["lstm 150 12.9", "x 2"])
        XCTAssertNil(OutputMatcher.updated(["a", "…", "b", "c"], ["a 2"]))
    }

    func testAnEditedFigureIsReportedWithItsDocumentLine() throws {
        let block = try XCTUnwrap(DocParser.blocks(in: doc, file: "D.md").first)
        let run = DocSession.Run(status: 0, output: "row,time,value_h1\n144,1960-12,448.52264\n", seconds: 0)
        let message = try XCTUnwrap(DocsReport.difference(block.commands[0], run))
        XCTAssertTrue(message.hasPrefix("D.md:4: `tidal forecast --model a.tidal …` printed other output"), message)
        XCTAssertTrue(message.contains("D.md:7 expected: 144,1960-12,448.42264"), message)
        XCTAssertTrue(message.contains("got:      144,1960-12,448.52264"), message)
        let same = DocSession.Run(status: 0, output: "row,time,value_h1\n144,1960-12,448.42264\n", seconds: 0)
        XCTAssertNil(DocsReport.difference(block.commands[0], same))
    }
}
