import TidalData
import XCTest

final class SeasonInferenceTests: XCTestCase {
    func period(_ times: [String]) -> Int { SeasonInference.infer(TextColumn(times)).period }

    /// Consecutive times from `start` by `step` seconds, written as `YYYY-MM-DDTHH:MM:SS`.
    func instants(_ count: Int, step: Int, start: Int = 1_704_067_200) -> [String] {
        (0 ..< count).map { k in
            let t = start + k * step, days = t / 86400, s = t % 86400
            // civil_from_days (Hinnant), the inverse of the inference's day count.
            let z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097
            let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153
            let d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2 ? 1 : 0)
            return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, s / 3600, s % 3600 / 60, s % 60)
        }
    }

    func testCalendarShapes() {
        XCTAssertEqual(period(["1949-01", "1949-02", "1949-03"]), 12)
        XCTAssertEqual(period(["1956Q1", "1956Q2", "1956Q3"]), 4)
        XCTAssertEqual(period(["1871", "1872", "1873"]), 1)
        XCTAssertEqual(period(["0", "1", "2", "3"]), 1)
        XCTAssertEqual(period(["a", "b"]), 1)
        XCTAssertEqual(SeasonInference.infer(nil).period, 1)
    }

    func testSpacingOfDatesAndTimes() {
        XCTAssertEqual(period(instants(40, step: 86400)), 7)
        XCTAssertEqual(period(instants(40, step: 7 * 86400)), 52)
        XCTAssertEqual(period(instants(40, step: 3600)), 24)
        XCTAssertEqual(period(instants(40, step: 1800)), 48)
        XCTAssertEqual(period(instants(40, step: 900)), 96)
        XCTAssertEqual(period(instants(40, step: 60)), 1)
        // Dates only, a day apart across a month and a leap day.
        XCTAssertEqual(period(["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"]), 7)
        // Month starts as dates: 28 to 31 days apart.
        XCTAssertEqual(period(["2023-01-01", "2023-02-01", "2023-03-01", "2023-04-01", "2023-05-01"]), 12)
        XCTAssertEqual(period(["2023-01-01", "2023-04-01", "2023-07-01", "2023-10-01"]), 4)
        XCTAssertEqual(period(["2020-06-30", "2021-06-30", "2022-06-30"]), 1)
    }

    func testAFewMissingRowsDoNotChangeTheSpacing() {
        var hours = instants(100, step: 3600)
        hours.remove(at: 50)
        hours.remove(at: 20)
        XCTAssertEqual(period(hours), 24)
    }
}
