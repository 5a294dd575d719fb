import TidalData
import XCTest

/// The step of a time column and the times after an origin: calendar months (also across years,
/// quarters, month ends), fixed durations, plain numbers, and columns with no step.
final class TimeStepTests: XCTestCase {
    func inferred(_ times: [String], segments: [Range<Int>]? = nil) -> TimeStep? {
        switch TimeStep.infer(times, segments: segments) {
        case let .success(step): return step
        case .failure: return nil
        }
    }

    func testMonthsCrossYears() throws {
        let step = try XCTUnwrap(inferred(["1958-10", "1958-11", "1958-12", "1959-01"]))
        XCTAssertEqual(step, TimeStep(unit: .month, amount: 1))
        XCTAssertEqual(step.description, "1 month")
        XCTAssertEqual(step.times(after: "1960-11", horizon: 3), ["1960-12", "1961-01", "1961-02"])
        XCTAssertEqual(step.time(after: "1960-12", steps: 13), "1962-01")
        // Dates on the first of each month stay on the first; dates with a time of day keep it.
        let dated = try XCTUnwrap(inferred(["2023-11-01", "2023-12-01", "2024-01-01"]))
        XCTAssertEqual(dated.unit, .month)
        XCTAssertEqual(dated.times(after: "2024-01-01", horizon: 2), ["2024-02-01", "2024-03-01"])
        let timed = try XCTUnwrap(inferred(["2023-11-15 06:00", "2023-12-15 06:00"]))
        XCTAssertEqual(timed.time(after: "2023-12-15 06:00", steps: 1), "2024-01-15 06:00")
        // Month ends: each step lands on its month's last day, leap years included.
        let ends = try XCTUnwrap(inferred(["2023-11-30", "2023-12-31", "2024-01-31"]))
        XCTAssertEqual(ends.monthEnd, true)
        XCTAssertEqual(ends.times(after: "2024-01-31", horizon: 3), ["2024-02-29", "2024-03-31", "2024-04-30"])
    }

    func testQuartersAndYears() throws {
        let quarters = try XCTUnwrap(inferred(["1998Q3", "1998Q4", "1999Q1"]))
        XCTAssertEqual(quarters, TimeStep(unit: .month, amount: 3))
        XCTAssertEqual(quarters.description, "1 quarter")
        XCTAssertEqual(quarters.times(after: "2016Q3", horizon: 3), ["2016Q4", "2017Q1", "2017Q2"])
        XCTAssertEqual(quarters.time(after: "2016q4", steps: 1), "2017q1")
        let dated = try XCTUnwrap(inferred(["2020-01-01", "2020-04-01", "2020-07-01"]))
        XCTAssertEqual(dated.times(after: "2020-10-01", horizon: 2), ["2021-01-01", "2021-04-01"])
        let yearly = try XCTUnwrap(inferred(["2019-06-30", "2020-06-30", "2021-06-30"]))
        XCTAssertEqual(yearly.description, "1 year")
        // Years alone are plain numbers: one apart.
        let years = try XCTUnwrap(inferred(["1871", "1872", "1873"]))
        XCTAssertEqual(years.unit, .number)
        XCTAssertEqual(years.time(after: "1970", steps: 2), "1972")
    }

    func testDaysHoursMinutes() throws {
        let days = try XCTUnwrap(inferred(["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"]))
        XCTAssertEqual(days, TimeStep(unit: .second, amount: 86400))
        XCTAssertEqual(days.description, "1 day")
        XCTAssertEqual(days.times(after: "2024-12-30", horizon: 3), ["2024-12-31", "2025-01-01", "2025-01-02"])
        let weeks = try XCTUnwrap(inferred(["2024-01-01", "2024-01-08", "2024-01-15"]))
        XCTAssertEqual(weeks.description, "7 days")
        let hours = try XCTUnwrap(inferred(["2024-03-09T22:00", "2024-03-09T23:00", "2024-03-10T00:00"]))
        XCTAssertEqual(hours.description, "1 hour")
        XCTAssertEqual(hours.times(after: "2024-12-31T23:00", horizon: 2), ["2025-01-01T00:00", "2025-01-01T01:00"])
        let minutes = try XCTUnwrap(inferred(["2024-01-01 00:45:00", "2024-01-01 01:00:00", "2024-01-01 01:15:00"]))
        XCTAssertEqual(minutes.description, "15 minutes")
        XCTAssertEqual(minutes.time(after: "2024-01-01 23:45:00", steps: 1), "2024-01-02 00:00:00")
        // A zone suffix is kept as written; the spacing is read in elapsed time.
        let zoned = try XCTUnwrap(inferred(["2024-01-01T00:00Z", "2024-01-01T00:30Z"]))
        XCTAssertEqual(zoned.time(after: "2024-01-01T23:30+01:00", steps: 1), "2024-01-02T00:00+01:00")
        let subsecond = try XCTUnwrap(inferred(["2024-01-01T00:00:00.250", "2024-01-01T00:00:00.500"]))
        XCTAssertEqual(subsecond.time(after: "2024-01-01T00:00:59.750", steps: 1), "2024-01-01T00:01:00.000")
    }

    func testNumericSteps() throws {
        let integers = try XCTUnwrap(inferred(["0", "1", "2", "3"]))
        XCTAssertEqual(integers, TimeStep(unit: .number, amount: 1))
        XCTAssertEqual(integers.times(after: "999", horizon: 2), ["1000", "1001"])
        let tenths = try XCTUnwrap(inferred(["0.1", "0.2", "0.3", "0.4"]))
        XCTAssertEqual(tenths.decimals, 1)
        XCTAssertEqual(tenths.times(after: "0.9", horizon: 2), ["1.0", "1.1"])
        let fives = try XCTUnwrap(inferred(["-10", "-5", "0", "5"]))
        XCTAssertEqual(fives.time(after: "5", steps: 3), "20")
        // Within each series of a panel; the series may start anywhere.
        let panel = try XCTUnwrap(inferred(["3", "4", "5", "10", "11"], segments: [0 ..< 3, 3 ..< 5]))
        XCTAssertEqual(panel.amount, 1)
    }

    func testIrregularColumnsHaveNoStep() {
        let cases: [([String], String)] = [
            (["2024-01-01", "2024-01-02", "2024-01-04"], "a missing day"),
            (["2024-01", "2024-02", "2024-04"], "a missing month"),
            (["1", "2", "4"], "uneven numbers"),
            (["a", "b", "c"], "labels"),
            (["2024-01", "2024-02-01"], "mixed shapes"),
            (["5"], "one row"),
            (["3", "2", "1"], "decreasing numbers"),
            (["1e3", "2e3"], "exponents"),
        ]
        for (times, what) in cases { XCTAssertNil(inferred(times), what) }
        // Panel series with different steps.
        XCTAssertNil(inferred(["1", "2", "3", "10", "20"], segments: [0 ..< 3, 3 ..< 5]))
        guard case let .failure(irregular) = TimeStep.infer(["2024-01-01", "2024-01-02", "x"]) else { return XCTFail("x is no time") }
        XCTAssertEqual(irregular.reason, "\"x\" is not a time")
        // An origin that is not a time of the step's kind gets no time.
        XCTAssertNil(TimeStep(unit: .month, amount: 1).time(after: "soon", steps: 1))
        XCTAssertNil(TimeStep(unit: .number, amount: 1).time(after: "2024-01", steps: 1))
    }

    func testRoundTripThroughCalendarTime() throws {
        for text in ["2024", "1999Q4", "2024-02", "2024-02-29", "2024-02-29T23:59", "2024-02-29 23:59:30.125+05:30", "2024-01-01T00:00Z"] {
            XCTAssertEqual(CalendarTime.parse(text)?.text, text)
        }
        for days in [-800_000, -1, 0, 59, 365, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = CalendarTime.civil(days: days)
            XCTAssertEqual(CalendarTime.days(year: y, month: m, day: d), days)
        }
    }
}
