import Foundation
import TidalCore
import TidalData
import TidalNet

/// Why a run cannot continue from a checkpoint or start from a model's weights.
public enum ContinuationError: Error, CustomStringConvertible, Equatable {
    /// The checkpoint was written by a run with other settings, data, architecture or schema.
    case checkpointMismatch(path: String, differences: [String])
    /// The model given to start from does not have the network this run builds.
    case initMismatch(path: String, differences: [String])
    /// Both a checkpoint to resume and a model to start from.
    case resumeAndInit
    /// An ensemble of several networks with checkpoints, a resumed run or a warm start.
    case ensembleContinuation

    /// The message, one line: the file and everything that differs.
    public var description: String {
        switch self {
        case let .checkpointMismatch(path, differences):
            return "\(path): the checkpoint belongs to another run (\(differences.joined(separator: "; "))); "
                + "resume with the flags and data it was written with"
        case let .initMismatch(path, differences):
            return "\(path): cannot start from this model: \(differences.joined(separator: "; "))"
        case .resumeAndInit:
            return "--resume continues a run and --init-from starts a new one from a model; give one of them"
        case .ensembleContinuation:
            return "a checkpoint, --resume and --init-from hold one network; train them with --ensemble 1"
        }
    }
}

/// What ties a checkpoint to its run: every training setting (the epoch count or step budget
/// aside, so a run can be continued for longer; but an epoch run does not continue with steps or
/// the other way round), the data files' digests, the network's shape and the schema.
enum RunSettings {
    /// Request fields that do not change what a run computes, or are compared through digests.
    static let ignored: Set<String> = [
        "dataPath", "testPath", "epochs", "steps", "createdAt", "shouldStop", "checkpointPath", "checkpointEvery", "resumePath",
        "initFromPath",
        // A run that checkpoints or resumes trains one network whether `ensemble` is nil or 1 (more is refused).
        "ensemble",
    ]

    /// Resolved training fields left out: the budget's size, and the closures.
    static let resolvedIgnored: Set<String> = ["epochs", "steps", "shouldStop", "progress"]

    /// The settings of a run about to train `architecture` under `training`.
    static func of(
        _ plan: TrainingPlan, training: TrainingConfiguration, schema: TaskSchema, architecture: ModelArchitecture
    ) -> [String: String] {
        var settings: [String: String] = [:]
        for case let (label?, value) in Mirror(reflecting: plan.request).children where !ignored.contains(label) {
            settings[label] = text(value)
        }
        for case let (label?, value) in Mirror(reflecting: training).children where !resolvedIgnored.contains(label) {
            settings["resolved." + label] = text(value)
        }
        settings["budget"] = training.hasStepBudget ? "steps" : "epochs"
        for case let (label?, value) in Mirror(reflecting: architecture).children { settings["architecture." + label] = text(value) }
        settings["data"] = (try? SHA256.hexDigest(ofFile: plan.request.dataPath)) ?? "unreadable"
        if let test = plan.request.testPath { settings["test data"] = (try? SHA256.hexDigest(ofFile: test)) ?? "unreadable" }
        settings["schema"] = schemaJSON(schema)
        return settings
    }

    /// A value as text, optionals without their `Optional(…)` wrapper.
    static func text(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return "default" }
            return text(wrapped)
        }
        return String(describing: value)
    }

    /// The schema as sorted JSON (its scaling, columns, vocabularies and classes).
    static func schemaJSON(_ schema: TaskSchema) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data?
        switch schema {
        case let .forecast(spec): data = try? encoder.encode(spec)
        case let .samples(spec): data = try? encoder.encode(spec)
        case let .windows(spec): data = try? encoder.encode(spec)
        case let .text(spec): data = try? encoder.encode(spec)
        }
        return "\(schema.task.rawValue) " + (data.flatMap { String(data: $0, encoding: .utf8) } ?? "?")
    }
}

/// Warm starts (`--init-from`): a new run begins from a trained model's weights.
enum WarmStart {
    /// Copies `model`'s weights into `network` when the model has the schema kind and the
    /// architecture this run builds (dropout aside, a training setting); throws naming what differs.
    static func apply(_ model: TrainedModel, path: String, to network: SequenceModel, schema: TaskSchema) throws {
        var differences: [String] = []
        if kind(of: model.schema) != kind(of: schema) {
            differences.append("it is a \(kind(of: model.schema)) model, this run trains a \(kind(of: schema)) model")
        }
        var saved = model.architecture, built = network.architecture
        saved.dropout = 0
        built.dropout = 0
        let savedFields = Mirror(reflecting: saved).children, builtFields = Mirror(reflecting: built).children
        for (a, b) in zip(savedFields, builtFields) where RunSettings.text(a.value) != RunSettings.text(b.value) {
            differences.append("\(a.label ?? "?") is \(RunSettings.text(a.value)) in the model, \(RunSettings.text(b.value)) in this run")
        }
        if differences.isEmpty, let reason = vocabularyDifference(model.schema, schema) { differences.append(reason) }
        guard differences.isEmpty else { throw ContinuationError.initMismatch(path: path, differences: differences) }
        let byName = Dictionary(model.weights.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for p in network.parameters {
            guard let t = byName[p.name], t.values.count == p.count else {
                throw ContinuationError.initMismatch(path: path, differences: ["it has no tensor \(p.name) of \(p.count) values"])
            }
            p.value = t.values
        }
    }

    /// The schema's kind as `tidal inspect` names it (task and input).
    static func kind(of schema: TaskSchema) -> String {
        switch schema {
        case .forecast: return "forecasting"
        case let .samples(spec): return "whole-sample \(schema.task.rawValue) (\(spec.layout))"
        case .windows: return "series-window classification"
        case .text: return "text classification"
        }
    }

    /// Token or category ids mean different things under different vocabularies, and head outputs under different
    /// classes: their rows would not carry over.
    static func vocabularyDifference(_ saved: TaskSchema, _ built: TaskSchema) -> String? {
        if case let (.text(a), .text(b)) = (saved, built), a.vocabulary != b.vocabulary {
            return "its token vocabulary differs from the one built from this data (its embedding rows would mean other tokens)"
        }
        let (a, b) = (labels(saved), labels(built))
        if a.classes != b.classes {
            return "its classes [\(a.classes.joined(separator: ", "))] differ from this data's [\(b.classes.joined(separator: ", "))]"
        }
        if a.categories != b.categories { return "its categorical values differ from this data's (their embedding rows would not match)" }
        return nil
    }

    /// A schema's class names and categorical vocabularies.
    static func labels(_ schema: TaskSchema) -> (classes: [String], categories: [[String]]) {
        switch schema {
        case let .forecast(spec): return ([], spec.categorical.map(\.values))
        case let .samples(spec): return (spec.classes, [])
        case let .windows(spec): return (spec.sample.classes, spec.categorical.map(\.values))
        case let .text(spec): return (spec.classes, [])
        }
    }
}
