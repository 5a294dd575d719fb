import Tidal

// Train an LSTM to forecast the airline series: 24 months in, the next month out.
var request = TrainingRequest(dataPath: "SampleSeries/airline.csv")
request.targets = ["value"]
request.lookback = 24
request.season = 12
request.scaling = .zscore  // fixed, so that no trial trainings choose it
request.difference = 12
request.hidden = 16
request.epochs = 5  // quick; the default is 100
let outcome = try Training.run(request)
if let mae = outcome.report.test?.mae { print("test MAE: \(mae)") }

// Save the model, then read it back as another program would.
let path = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "airline.tidal"
try ModelFile.write(outcome.model, to: path)
let model = try ModelFile.read(path)

// Forecast the month after the last row of the file.
let forecaster = try model.forecaster()
let table = try Table.load(path: "SampleSeries/airline.csv", options: forecaster.tableOptions())
let next = try forecaster.forecastAll(table).last!  // one per complete window; it throws when there is none
let month = table.time.map { $0[next.origin - 1] } ?? "row \(next.origin)"
print("forecast after \(month): \(next.values[0])")
