import Foundation

/// A description that does not decode, said in one line that names the field.
enum DescriptionError {
    /// `error` as `architecture.pool: "median" is no pooling (…)`: the field's path in the JSON, then
    /// what is wrong with it. Errors that are not `DecodingError` (malformed JSON) keep their own text.
    static func located(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [any CodingKey]) -> String {
            let parts = keys.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
            return parts.isEmpty ? "the description" : parts.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .dataCorrupted(context):
            let underlying = (context.underlyingError as NSError?).map { " (\($0.localizedDescription))" } ?? ""
            return "\(path(context.codingPath)): \(context.debugDescription)\(underlying)"
        case let .keyNotFound(key, context):
            return "\(path(context.codingPath + [key])): missing"
        case let .typeMismatch(type, context):
            return "\(path(context.codingPath)): expected \(type)"
        case let .valueNotFound(type, context):
            return "\(path(context.codingPath)): expected \(type), found null"
        @unknown default:
            return "\(error)"
        }
    }
}
