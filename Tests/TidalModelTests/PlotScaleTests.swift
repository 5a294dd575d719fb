import TidalModel
import XCTest

/// Axis scales: round 1-2-5 ticks with one label format per axis, log axes over decades, and
/// calendar ticks at month, quarter and year boundaries.
final class PlotScaleTests: XCTestCase {
    func labels(_ scale: any AxisScale) -> [String] { scale.ticks.map(\.label) }

    func testLinearTicksAreRoundAndShareOneFormat() {
        XCTAssertEqual(labels(LinearScale(covering: [3.2, 17.9], maxTicks: 6)), ["0", "5", "10", "15", "20"])
        XCTAssertEqual(labels(LinearScale(covering: [0.13, 0.87], maxTicks: 6)), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        XCTAssertEqual(labels(LinearScale(covering: [-2.5, 2.5], maxTicks: 6)), ["-4", "-2", "0", "2", "4"])
        // Every step is 1, 2 or 5 times a power of ten, whatever the range.
        for (low, high) in [(0.0, 7.3), (123.0, 4567.0), (0.0001, 0.00093), (-1e7, 3e7), (99.1, 99.4)] {
            let ticks = LinearScale(covering: [low, high]).ticks.map(\.value)
            XCTAssertGreaterThanOrEqual(ticks.count, 3, "\(low)…\(high)")
            let step = ticks[1] - ticks[0]
            let mantissa = step / pow(10, floor(log10(step)))
            XCTAssertTrue([1, 2, 5].contains { abs(mantissa - Double($0)) < 1e-6 }, "step \(step) for \(low)…\(high)")
            let formats = Set(
                LinearScale(covering: [low, high]).ticks.filter { $0.label != "0" }.map { $0.label.contains { "⁰¹²³⁴⁵⁶⁷⁸⁹".contains($0) } })
            XCTAssertEqual(formats.count, 1, "one label format for \(low)…\(high)")
        }
    }

    func testANiceAxisCoversTheDataAndAnExactOneSpansIt() {
        let nice = LinearScale(covering: [3.2, 17.9])
        XCTAssertLessThanOrEqual(nice.low, 3.2)
        XCTAssertGreaterThanOrEqual(nice.high, 17.9)
        let exact = LinearScale(covering: [1, 37], maxTicks: 8, nice: false)
        XCTAssertEqual(exact.low, 1)
        XCTAssertEqual(exact.high, 37)
        XCTAssertEqual(labels(exact), ["5", "10", "15", "20", "25", "30", "35"])
    }

    func testLogTicksNeverMixNotations() {
        // Gradient norms from 10⁻⁹ to 0.3: powers of ten throughout, never "0.01" beside "1.0e-04".
        let wide = LogScale(covering: [2e-9, 0.3])
        XCTAssertTrue(labels(wide).allSatisfy { $0.hasPrefix("10") }, "\(labels(wide))")
        XCTAssertLessThanOrEqual(wide.ticks.count, 9)
        // Loss curves from 0.004 to 2.3: plain decimals at 1 and 3 times the powers of ten, or 1, 2 and 5 with room.
        XCTAssertEqual(labels(LogScale(covering: [0.004, 2.3], maxTicks: 7)), ["0.003", "0.01", "0.03", "0.1", "0.3", "1", "3"])
        XCTAssertEqual(labels(LogScale(covering: [0.04, 2.3], maxTicks: 7)), ["0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5"])
        XCTAssertTrue(LogScale.suits([0.01, 3]))
        XCTAssertFalse(LogScale.suits([0.5, 3]))
        XCTAssertFalse(LogScale.suits([0, 3, 400]))
    }

    func testCalendarDaysRoundTrip() {
        XCTAssertEqual(AxisCalendar.days(of: "1970-01-01"), 0)
        XCTAssertEqual(AxisCalendar.days(of: "1970-03-01"), 59)
        XCTAssertEqual(AxisCalendar.days(of: "2024-01-01T12:00:00"), Double(AxisCalendar.daysFromCivil(2024, 1, 1)) + 0.5)
        XCTAssertEqual(AxisCalendar.days(of: "1998Q3"), Double(AxisCalendar.daysFromCivil(1998, 7, 1)))
        XCTAssertNil(AxisCalendar.days(of: "week 7"))
        for day in [-800_000, -1, 0, 59, 11_016, 19_723, 2_000_000] {
            let c = AxisCalendar.civil(Double(day))
            XCTAssertEqual(AxisCalendar.daysFromCivil(c.year, c.month, c.day), day)
        }
    }

    func monthly(_ from: Int, _ to: Int) -> [Double] {
        (from ... to).flatMap { y in (1 ... 12).map { Double(AxisCalendar.daysFromCivil(y, $0, 1)) } }
    }

    func testCalendarTicksFallOnMonthsQuartersAndYears() {
        // Three years of months on a wide axis: quarters or half years, labelled as months.
        let months = TimeScale(days: monthly(1958, 1960), length: 620)
        XCTAssertTrue(labels(months).allSatisfy { $0.count == 7 || $0.count == 4 }, "\(labels(months))")
        XCTAssertTrue(labels(months).contains("1959-01") || labels(months).contains("1959"))
        // Twelve years on the same width: whole years.
        XCTAssertEqual(labels(TimeScale(days: monthly(1949, 1960), length: 620)), (1949 ... 1960).map(String.init))
        // A narrow axis thins out to every second or fifth year.
        let narrow = labels(TimeScale(days: monthly(1949, 1960), length: 200))
        XCTAssertLessThanOrEqual(narrow.count, 5)
        XCTAssertTrue(narrow.allSatisfy { Int($0)! % 2 == 0 || Int($0)! % 5 == 0 }, "\(narrow)")
        // Quarterly data are labelled as quarters.
        let quarters = (1998 ... 1999).flatMap { y in [1, 4, 7, 10].map { Double(AxisCalendar.daysFromCivil(y, $0, 1)) } }
        XCTAssertEqual(labels(TimeScale(days: quarters, length: 620, quarterly: true)).first, "1998Q1")
        // Hours of one day and a half.
        let hours = (0 ... 36).map { Double(AxisCalendar.daysFromCivil(2024, 1, 1)) + Double($0) / 24 }
        let hourLabels = labels(TimeScale(days: hours, length: 620))
        XCTAssertTrue(hourLabels.contains("2024-01-02"), "\(hourLabels)")
        XCTAssertTrue(hourLabels.contains { $0.hasSuffix(":00") }, "\(hourLabels)")
        // Every tick lies inside the data's range.
        let scale = TimeScale(days: hours, length: 620)
        XCTAssertTrue(scale.ticks.allSatisfy { $0.value >= hours[0] && $0.value <= hours[hours.count - 1] })
    }
}
