import TidalData
import TidalCore
import ArgumentParser
import TidalCore

/// The `tidal` command: a thin root; every subcommand lives in its own file.
@main
struct Tidal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tidal",
        abstract: "Deep learning on time series: train recurrent models on CSV, forecast, classify, replay live rows.",
        discussion: """
            Examples:
              tidal describe SampleSeries/airline.csv --lookback 24
              tidal train --data SampleSeries/airline.csv --target value --lookback 24 --season 12 --out airline.tidal
              tidal forecast --model airline.tidal --data SampleSeries/airline.csv
              tail -f readings.csv | tidal replay --model airline.tidal
            """,
        version: TidalVersion.string,
        subcommands: [
            Describe.self, Train.self, Evaluate.self, Forecast.self, Replay.self, Predict.self, Inspect.self, Compare.self, Synth.self,
            Bench.self,
        ]
    )
}
