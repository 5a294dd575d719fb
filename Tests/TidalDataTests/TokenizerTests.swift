import TidalData
import XCTest

final class TokenizerTests: XCTestCase {
    func testWordsPunctuationAndCase() {
        XCTAssertEqual(
            Tokenizer.tokens("A three-hour cinema master class."), ["a", "three", "-", "hour", "cinema", "master", "class", "."])
        XCTAssertEqual(Tokenizer.tokens("Don't  STOP!!"), ["don't", "stop", "!", "!"])
        XCTAssertEqual(Tokenizer.tokens("Élan, naïve café’s 2nd"), ["élan", ",", "naïve", "café's", "2nd"])
        XCTAssertEqual(Tokenizer.tokens("  "), [])
        XCTAssertEqual(Tokenizer.tokens("'quoted'"), ["'", "quoted", "'"])
    }

    func testVocabularyIsBuiltFromTrainingCountsOnly() {
        let docs = [["good", "film"], ["bad", "film"], ["good", "plot"], ["rare"]]
        let vocabulary = Vocabulary(building: docs, maxSize: 4, minCount: 1)
        XCTAssertEqual(vocabulary.tokens, ["<pad>", "<unk>", "film", "good"])  // frequency, then code-point order
        XCTAssertEqual(vocabulary.encode(["good", "unseen", "film"]), [3, 1, 2])
        XCTAssertEqual(Vocabulary(building: docs, maxSize: 100, minCount: 2).tokens, ["<pad>", "<unk>", "film", "good"])
    }
}
