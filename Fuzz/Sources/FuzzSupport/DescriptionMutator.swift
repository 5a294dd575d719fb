import Foundation
import TidalCore

/// Structure-aware mutations of a model payload: the JSON description is parsed, one value in it
/// (any depth, tensors and metadata included) is replaced, removed or duplicated, and the JSON is
/// written again; or the weight bytes are edited. The payload stays well-formed, so what the
/// loader sees gets past JSON parsing and exercises its semantic checks.
public enum DescriptionMutator {
    nonisolated(unsafe) static let numbers: [Any] = [
        -3, -1, 0, 1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 64, 255, 256, 1023, 1024, 1025, 4095, 4096, 4097, 65535, 65536, 65537,
        1 << 20, (1 << 20) + 1, 1 << 22, (1 << 22) + 1, 1 << 28, (1 << 28) + 1, Int(Int32.max), Int(Int32.max) + 1, Int.max,
        Int.min, 0.5, -0.5, 1e-45, Double.leastNonzeroMagnitude, 3.5e38, 3.4e38, -3.5e38, 1e308, -1e308, 1.8446744073709552e19,
    ]
    nonisolated(unsafe) static let strings: [Any] = [
        "", "a", "b", "time", "value", "kind", "x", "<unk>", "<pad>", "lstm", "gru", "rnn", "forecast", "zscore",
    ]

    /// A path to a value: keys and array indices.
    enum Step { case key(String), index(Int) }

    /// The mutated payload, or nil when `payload` holds no JSON object to mutate.
    public static func mutate(_ payload: [UInt8], _ g: inout SeededGenerator) -> [UInt8]? {
        guard let (json, weights) = ModelPayload.split(payload),
            let root = try? JSONSerialization.jsonObject(with: Data(json), options: [.fragmentsAllowed])
        else { return nil }
        if g.next() % 5 == 0 { return ModelPayload.join(json: json, weights: mutateWeights(weights, &g)) }
        var paths: [[Step]] = []
        collect(root, [], into: &paths)
        guard !paths.isEmpty else { return nil }
        var edited: Any = root
        for _ in 0 ..< 1 + Int(g.next() % 3) {
            edited = edit(edited, paths[Int(g.next() % UInt64(paths.count))][...], &g) ?? edited
        }
        guard JSONSerialization.isValidJSONObject(edited) || edited is NSNumber || edited is String,
            let data = try? JSONSerialization.data(withJSONObject: edited, options: [.fragmentsAllowed])
        else { return nil }
        return ModelPayload.join(json: Array(data), weights: weights)
    }

    static func collect(_ value: Any, _ path: [Step], into paths: inout [[Step]]) {
        paths.append(path)
        if let object = value as? [String: Any] {
            for (k, v) in object { collect(v, path + [.key(k)], into: &paths) }
        } else if let array = value as? [Any] {
            for (i, v) in array.enumerated() where i < 8 || i == array.count - 1 { collect(v, path + [.index(i)], into: &paths) }
        }
    }

    /// `value` with the value at `path` changed; nil to remove it from its parent.
    static func edit(_ value: Any, _ path: ArraySlice<[Step].Element>, _ g: inout SeededGenerator) -> Any? {
        guard let step = path.first else { return replacement(for: value, &g) }
        switch step {
        case let .key(k):
            guard var object = value as? [String: Any], let child = object[k] else { return value }
            object[k] = edit(child, path.dropFirst(), &g)
            return object
        case let .index(i):
            guard var array = value as? [Any], i < array.count else { return value }
            if let new = edit(array[i], path.dropFirst(), &g) { array[i] = new } else { array.remove(at: i) }
            return array
        }
    }

    static func replacement(for value: Any, _ g: inout SeededGenerator) -> Any? {
        switch g.next() % 10 {
        case 0: return nil
        case 1: return strings[Int(g.next() % UInt64(strings.count))]
        case 2:
            // Duplicate an element, or wrap the value in an array.
            if var array = value as? [Any], !array.isEmpty {
                array.append(array[Int(g.next() % UInt64(array.count))])
                return array
            }
            return [value]
        case 3: return [] as [Any]
        case 4:
            if let n = value as? NSNumber, !(value is Bool) {
                let d = n.doubleValue
                let nudged = [d + 1, d - 1, d * 2, -d, d / 2][Int(g.next() % 5)]
                return nudged == nudged.rounded() && abs(nudged) < 1e15 ? Int(nudged) as Any : nudged as Any
            }
            return numbers[Int(g.next() % UInt64(numbers.count))]
        default: return numbers[Int(g.next() % UInt64(numbers.count))]
        }
    }

    static func mutateWeights(_ weights: [UInt8], _ g: inout SeededGenerator) -> [UInt8] {
        var w = weights
        let specials: [Float] = [.nan, .infinity, -.infinity, .greatestFiniteMagnitude, 0, 1e-38, -1]
        switch g.next() % 4 {
        case 0 where w.count >= 4: w.removeLast(4)
        case 1: w += [0, 0, 0x80, 0x3F]
        case 2 where w.count >= 4:
            let at = Int(g.next() % UInt64(w.count / 4)) * 4
            let bits = specials[Int(g.next() % UInt64(specials.count))].bitPattern
            for k in 0 ..< 4 { w[at + k] = UInt8(truncatingIfNeeded: bits >> (8 * k)) }
        default:
            if !w.isEmpty { w[Int(g.next() % UInt64(w.count))] ^= UInt8(truncatingIfNeeded: 1 << (g.next() % 8)) }
        }
        return w
    }
}
