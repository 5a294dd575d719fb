import TidalCore
import ArgumentParser
import Foundation
import TidalData
import TidalModel

/// `tidal synth`: seeded synthetic tasks on stdout.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate standard synthetic tasks (seeded) as CSV on stdout.",
        discussion: """
            Examples:
              tidal synth recall --length 60 --lag 50 --samples 1200 --classes 2 --seed 7 > recall_train.csv
              tidal synth adding --length 50 --samples 2000 --seed 1 > adding.csv
              tidal synth sensor --rows 2000 --seed 3 > sensor.csv
              tidal synth sensor --series 50 --rows 2000 --min-rows 200 > sensors.csv
            """,
        subcommands: [Recall.self, Adding.self, Sensor.self]
    )

    struct Recall: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Long-memory classification (UCR wide format): a class-coding marker --lag steps before the end of noise.")
        @Option(help: "Steps per sample.") var length: Int = 60
        @Option(help: "Steps from the marker to the end (1 … length).") var lag: Int = 50
        @Option(help: "Number of samples.") var samples: Int = 1000
        @Option(help: "Number of classes.") var classes: Int = 2
        @Option(help: "Random seed.") var seed: UInt64 = 0

        func validate() throws {
            try Synth.checkLength(length, from: 1)
            guard (1 ... length).contains(lag) else { throw ValidationError("--lag must lie in 1 … --length") }
            guard samples >= 1, classes >= 2 else { throw ValidationError("--samples must be ≥ 1 and --classes ≥ 2") }
        }

        func run() throws {
            let out = BufferedOutput()
            Synthetic.recall(length: length, lag: lag, samples: samples, classes: classes, seed: seed, write: out.write)
            out.flush()
        }
    }

    struct Adding: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The adding problem (long format sample,label,t,ch0,ch1) for --task regress --format long.")
        @Option(help: "Steps per sample.") var length: Int = 50
        @Option(help: "Number of samples.") var samples: Int = 1000
        @Option(help: "Random seed.") var seed: UInt64 = 0

        func validate() throws {
            try Synth.checkLength(length, from: 2)
            guard samples >= 1 else { throw ValidationError("--samples must be ≥ 1") }
        }

        func run() throws {
            let out = BufferedOutput()
            Synthetic.adding(length: length, samples: samples, seed: seed, write: out.write)
            out.flush()
        }
    }

    struct Sensor: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A sensor-like hourly series: temperature, humidity, load, and a state column (ok/fault).")
        @Option(help: "Number of rows (hours); with --series, rows per sensor (the longest, with --min-rows).")
        var rows: Int = 2000
        @Option(help: "Random seed.") var seed: UInt64 = 0
        @Option(
            help: """
                Many sensors in one long-format log (a series column first): this many, each a series of its own \
                (seed + k), all ending at the same hour.
                """)
        var series: Int?
        @Option(
            name: .customLong("min-rows"),
            help: "With --series: sensor lengths are drawn (seeded) from --min-rows … --rows instead of all being --rows.")
        var minRows: Int?

        func validate() throws {
            guard rows >= 1 else { throw ValidationError("--rows must be at least 1") }
            if let series, !(1 ... 1_000_000).contains(series) {
                throw ValidationError("--series must lie in 1...1000000, not \(series)")
            }
            if let minRows {
                guard series != nil else { throw ValidationError("--min-rows needs --series") }
                guard (1 ... rows).contains(minRows) else { throw ValidationError("--min-rows must lie in 1...\(rows), not \(minRows)") }
            }
        }

        func run() throws {
            let out = BufferedOutput()
            if let series {
                Synthetic.sensorPanel(series: series, rows: rows, minRows: minRows, seed: seed, write: out.write)
            } else {
                Synthetic.sensor(rows: rows, seed: seed, write: out.write)
            }
            out.flush()
        }
    }

    /// A sample length a model can read (`ModelLimits.lookback`); one line per sample must also fit in memory.
    static func checkLength(_ length: Int, from lowest: Int) throws {
        guard (lowest ... ModelLimits.lookback).contains(length) else {
            throw ValidationError("--length must lie in \(lowest)...\(ModelLimits.lookback), not \(length)")
        }
    }
}
