/// The recurrent cell of a layer, with PyTorch's gate order.
public enum CellKind: String, Sendable, CaseIterable, Codable {
    /// Long short-term memory; gates i, f, g, o.
    case lstm
    /// Gated recurrent unit; gates r, z, n, with r multiplying `W_hn h + b_hn`.
    case gru
    /// Elman RNN with tanh.
    case rnn
    /// Elman RNN with ReLU.
    case rnnReLU = "rnn-relu"

    /// Gate blocks per layer (G): 4 for LSTM, 3 for GRU, 1 for the plain RNN.
    public var gateCount: Int {
        switch self {
        case .lstm: return 4
        case .gru: return 3
        case .rnn, .rnnReLU: return 1
        }
    }

    /// The module name PyTorch users would give it (`lstm`, `gru`, `rnn`).
    public var moduleName: String {
        switch self {
        case .lstm: return "lstm"
        case .gru: return "gru"
        case .rnn, .rnnReLU: return "rnn"
        }
    }

    /// Whether the cell carries a second state (LSTM's cell state).
    public var hasCellState: Bool { self == .lstm }
}
