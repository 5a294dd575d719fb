// Tidal: the library product. One `import Tidal` gives a Swift program every public type of the
// four modules, in pipeline order; the landing page of the documentation is Tidal.docc/Tidal.md.

// Values every layer shares: buffers, seeded random numbers, SHA-256, source locations, JSON values.
@_exported import TidalCore
// CSV ingest, tables, windows, scaling, batches and datasets, metrics and baselines.
@_exported import TidalData
// Recurrent layers (RNN, GRU, LSTM), heads, losses and optimizers.
@_exported import TidalNet
// Training, task schemas and their pipelines, forecasting, the model file and replay.
@_exported import TidalModel
