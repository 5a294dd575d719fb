import TidalCore
#if canImport(Glibc)
    import Glibc
#endif

/// Seeded generators of standard sequence tasks, written as CSV line by line.
public enum Synthetic {
    /// The recall (long-memory) task in UCR wide format `label,t0,…,t{N−1}`.
    ///
    /// Every step is N(0, 1) noise except one marker, `lag` steps before the end (at index
    /// `length − lag`), whose value codes the class: `±(3 + 2·⌊c/2⌋)` (class 0: +3, class 1: −3,
    /// class 2: +5, …). Nothing after the marker depends on the class, so a model must carry the
    /// marker across `lag − 1` noise steps.
    public static func recall(length: Int, lag: Int, samples: Int, classes: Int, seed: UInt64, write: (String) -> Void) {
        precondition(length >= 1 && (1 ... length).contains(lag) && samples >= 1 && classes >= 2, "invalid recall parameters")
        var g = SeededGenerator(seed: seed)
        write((["label"] + (0 ..< length).map { "t\($0)" }).joined(separator: ",") + "\n")
        for _ in 0 ..< samples {
            let c = Int(g.next() % UInt64(classes))
            var values = (0 ..< length).map { _ in g.normal() }
            let magnitude = 3 + 2 * Double(c / 2)
            values[length - lag] = c % 2 == 0 ? magnitude : -magnitude
            write("\(c)," + values.map { format($0) }.joined(separator: ",") + "\n")
        }
    }

    /// The adding problem (Hochreiter & Schmidhuber 1997) in long format `sample,label,t,ch0,ch1`:
    /// ch0 is U(0, 1), ch1 marks two steps (one in each half) with 1; `label` is the sum of the two marked values.
    public static func adding(length: Int, samples: Int, seed: UInt64, write: (String) -> Void) {
        precondition(length >= 2 && samples >= 1, "invalid adding parameters")
        var g = SeededGenerator(seed: seed)
        write("sample,label,t,ch0,ch1\n")
        for s in 0 ..< samples {
            let values = (0 ..< length).map { _ in g.unitDouble() }
            let half = length / 2
            let first = Int(g.next() % UInt64(max(half, 1))), second = half + Int(g.next() % UInt64(length - half))
            let target = values[first] + values[second]
            for t in 0 ..< length {
                write("\(s),\(format(target)),\(t),\(format(values[t])),\(t == first || t == second ? 1 : 0)\n")
            }
        }
    }

    /// A sensor-like hourly series: `timestamp,temperature,humidity,load,state`, with a trend,
    /// daily and weekly seasonality, noise and occasional faults (state `fault`: a drift and
    /// extra noise for a few hours).
    public static func sensor(rows: Int, seed: UInt64, write: (String) -> Void) {
        var g = SeededGenerator(seed: seed)
        write("timestamp,temperature,humidity,load,state\n")
        var faultLeft = 0
        var hour = 0
        for r in 0 ..< rows {
            let day = Double(r) / 24, daily = sin(2 * Double.pi * (Double(r % 24) - 8) / 24)
            let weekly = sin(2 * Double.pi * day / 7)
            if faultLeft == 0 && g.unitDouble() < 0.004 { faultLeft = 4 + Int(g.next() % 12) }
            let fault = faultLeft > 0
            if fault { faultLeft -= 1 }
            let temperature = 20 + 0.002 * Double(r) + 4 * daily + 1.5 * weekly + 0.4 * g.normal() + (fault ? 3 + 1.5 * g.normal() : 0)
            let humidity = 55 - 6 * daily + 2 * weekly + 1.2 * g.normal() + (fault ? -8 : 0)
            let load = 100 + 30 * max(0, daily) + 10 * (weekly > 0.5 ? 1 : 0) + 5 * g.normal()
            let (y, m, d) = civil(daysSinceEpoch: 19_723 + hour / 24)  // from 2024-01-01
            let stamp = "\(y)-\(pad(m))-\(pad(d))T\(pad(hour % 24)):00:00"
            write("\(stamp),\(format(temperature)),\(format(humidity)),\(format(load)),\(fault ? "fault" : "ok")\n")
            hour += 1
        }
    }

    /// Many sensors in one long-format log: `series,timestamp,temperature,humidity,load,state`.
    /// Sensor `k` (named `s0001`, …) is `sensor(rows:seed:)` with seed `seed + k`, scaled by its
    /// own level, and sends `rows` readings, or with `minRows` a seeded length in
    /// `minRows ... rows`; every sensor's readings end at the same hour, so the shorter ones start later.
    /// Rows are grouped by sensor, in time order within each.
    public static func sensorPanel(series: Int, rows: Int, minRows: Int? = nil, seed: UInt64, write: (String) -> Void) {
        var lengths = SeededGenerator(seed: seed ^ 0x5E25_0125)
        write("series,timestamp,temperature,humidity,load,state\n")
        let width = max(4, String(series).count)
        for k in 0 ..< series {
            let n = minRows.map { low in low + Int(lengths.next() % UInt64(rows - low + 1)) } ?? rows
            let name = "s" + String(repeating: "0", count: width - String(k + 1).count) + String(k + 1)
            let level = 0.5 + Double(k % 7) * 0.25
            var header = true
            // The sensor's own series starts `rows - n` hours later: its readings are the last `n` of a full-length run.
            var skipped = 0
            sensor(rows: rows, seed: seed &+ UInt64(k)) { line in
                if header { header = false; return }
                if skipped < rows - n { skipped += 1; return }
                var cells = line.dropLast().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                cells[1] = format(Double(cells[1])! * level)
                write(name + "," + cells.joined(separator: ",") + "\n")
            }
        }
    }

    static func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    static func format(_ x: Double) -> String {
        let rounded = (x * 10000).rounded() / 10000
        return rounded == rounded.rounded() ? String(Int(rounded)) : "\(rounded)"
    }

    /// Year, month, day of a day count since 1970-01-01 (`CalendarTime.civil(days:)`).
    public static func civil(daysSinceEpoch: Int) -> (Int, Int, Int) {
        let date = CalendarTime.civil(days: daysSinceEpoch)
        return (date.year, date.month, date.day)
    }
}
