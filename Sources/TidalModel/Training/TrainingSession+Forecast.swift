import Foundation
import TidalCore
import TidalData
import TidalNet

extension TrainingSession {
    // MARK: forecasting

    /// Forecasting. When the user fixed neither the validation part nor both scaling and
    /// differencing, the settings are chosen on the training part alone
    /// (`selectForecastSettings`); the test part is never looked at.
    static func runForecast(_ request: TrainingRequest, observer: TrainingObserver?) throws -> TrainingOutcome {
        var options = request.table
        let setup = request.forecast
        let features = setup.features.isEmpty ? setup.targets : setup.features
        options.numericColumns = features + setup.targets.filter { !features.contains($0) }
        options.textColumns = setup.categorical
        let table = try Table.load(path: request.dataPath, options: options)
        var final = setup
        var request = request
        if request.training.batchSize == 0 { request.training.batchSize = 32 }
        var selectionNote = ""
        if setup.valFraction == 0, let selection = try selectForecastSettings(table: table, setup: setup, request: request, observer: observer) {
            (final, request) = applying(selection.candidate, to: setup, request)
            request.training.epochs = selection.epochs
            selectionNote = "; " + selection.note
        } else {
            (request.skip, request.training.weightDecay) = forecastDefaults(difference: setup.difference ?? 0, request)
        }
        let training = request.training
        let task = try ForecastTask(table: table, setup: final)
        let spec = task.spec
        let architecture = architecture(for: spec, request)
        let network = makeNetwork(architecture, request, steps: spec.steps)
        let choices = task.choices + selectionNote
        observer?.started(description: "forecast \(spec.targets.joined(separator: ",")): \(task.train.count) training, \(task.validation.count) validation, \(task.test.count) test windows; lookback \(spec.lookback), horizon \(spec.horizon); \(choices)")
        let trainer = Trainer(configuration: training, objective: .regression(request.loss))
        let epochs = training.epochs
        var currentEpoch = 1
        let result = try trainer.train(network, on: task.train,
                                       validate: task.validation.count > 0 ? { task.evaluate($0, on: task.validation, loss: request.loss)! } : nil,
                                       test: task.test.count > 0 ? { task.evaluate($0, on: task.test, loss: request.loss)! } : nil,
                                       onEpoch: { observer?.epochEnded($0, of: epochs, task: .forecast); currentEpoch = $0.epoch + 1 },
                                       onBatch: { observer?.batchEnded($0, of: $1, epoch: currentEpoch) })
        var baselines: [String: MetricsReport.Scores] = [:]
        var curves: [String: [Double]] = [:]
        var test: ForecastMetrics?
        if task.test.count > 0 {
            let predicted = task.test.predict(network)
            let actual = task.test.actuals(), naive = task.test.naive()
            test = task.metrics(of: predicted, on: task.test)
            baselines["naive"] = .init(task.metrics(of: naive, on: task.test))
            curves["actual"] = task.test.firstStep(actual)
            curves["model"] = task.test.firstStep(predicted)
            curves["naive"] = task.test.firstStep(naive)
            if spec.season > 1 {
                let seasonal = task.test.seasonalNaive(period: spec.season)
                baselines["seasonal_naive"] = .init(task.metrics(of: seasonal, on: task.test))
                curves["seasonal naive"] = task.test.firstStep(seasonal)
            }
        }
        let report = makeReport(task: .forecast, cell: request.cell, result: result, test: test.map(MetricsReport.Scores.init),
                                baselines: baselines, parameters: network.parameterCount, choices: choices)
        let model = TrainedModel(task: .forecast, architecture: architecture, forecast: spec, samples: nil, network: network,
                                 metadata: metadata(request, result: result, metrics: test.map { ["mae": $0.mae, "rmse": $0.rmse, "smape": $0.smape, "mase": $0.mase] } ?? [:]))
        let times = task.time.map { t in task.test.origins.map { t[$0 - 1] } }
        return TrainingOutcome(model: model, result: result, report: report, forecastCurves: curves, testTimes: times)
    }

    static func architecture(for spec: ForecastSpec, _ request: TrainingRequest) -> ModelArchitecture {
        var a = ModelArchitecture(cell: request.cell, inputSize: spec.featureCount, hiddenSize: request.hidden,
                                  layers: request.layers, dropout: request.dropout, outputSize: spec.outputCount,
                                  skipSteps: forecastDefaults(difference: spec.difference, request).skip ? spec.steps : 0)
        a.categoricalVocabularies = spec.categorical.map(\.values.count)
        a.categoricalDimensions = spec.categorical.map(\.dimension)
        return a
    }
}
