import Foundation
import TidalModel

/// A one-line error of the command line itself (a path refused, a write that failed), printed as `tidal: <message>`.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The output paths of one command, checked together before any work starts.
///
/// Each output must resolve (the real path of an existing file, or of its directory plus the new name)
/// to neither an input file nor another output; an existing one must be a writable regular file (a
/// directory for `--plots`), a new one a name in an existing writable directory. A plots directory's
/// files are outputs too: they may not be inputs, and may only replace regular files.
struct OutputPaths {
    /// The files every `--plots` directory may receive (`PlotWriter`, `compare`).
    static let plotFiles = [
        "loss.svg", "test_mae.svg", "accuracy.svg", "confusion.svg", "forecast.svg", "mase.svg", "compare_loss.svg",
        "compare_gradients.svg",
    ]

    private var inputs: [(flag: String, path: String)] = []
    private var files: [(flag: String, path: String)] = []
    private var directories: [(flag: String, path: String)] = []

    /// An input that no output may replace; nil and `-` (standard input) are skipped.
    mutating func input(_ flag: String, _ path: String?) {
        if let path, path != "-" { inputs.append((flag, path)) }
    }

    /// An output file (written atomically: replaced, never written into).
    mutating func file(_ flag: String, _ path: String?) {
        if let path { files.append((flag, path)) }
    }

    /// An output directory receiving `plotFiles` (created when missing).
    mutating func directory(_ flag: String, _ path: String?) {
        if let path { directories.append((flag, path)) }
    }

    /// Refuses the first path that could destroy an input or another output, or that cannot be written.
    /// - Throws: `CommandError` naming the flag, the path, what is wrong and what to do.
    func check() throws {
        var claimed: [String: String] = [:]  // resolved path → the flag claiming it
        for (flag, path) in inputs { if let real = Self.realPath(path) { claimed[real] = flag } }
        func claim(_ resolved: String, _ flag: String, _ path: String) throws {
            if let other = claimed[resolved] {
                let isInput = inputs.contains { $0.flag == other }
                throw CommandError(
                    isInput
                        ? "\(flag) \(path) is the \(other) file; writing there would destroy it: give \(flag) another name"
                        : "\(flag) \(path) is also the \(other) path; give each output its own name")
            }
            claimed[resolved] = flag
        }
        for (flag, path) in files { try claim(try Self.checkFile(flag, path, display: path), flag, path) }
        for (flag, path) in directories {
            let resolved = try Self.checkDirectory(flag, path)
            let exists = access(resolved, F_OK) == 0
            for name in Self.plotFiles {
                let file = resolved + "/" + name, shown = (path as NSString).appendingPathComponent(name)
                try claim(exists ? try Self.checkFile(flag, file, display: shown) : file, flag, shown)
            }
        }
    }

    /// Where an output file resolves to, after checking that it can be replaced safely.
    static func checkFile(_ flag: String, _ path: String, display: String) throws -> String {
        var info = stat()
        if stat(path, &info) == 0 {
            let kind = info.st_mode & S_IFMT
            if kind == S_IFDIR {
                throw CommandError("\(flag) \(display) is a directory; give a file name (e.g. \(display)/\(suggestedName(flag)))")
            }
            guard kind == S_IFREG else {
                throw CommandError("\(flag) \(display) is \(describe(kind)), not a regular file; give a new name or a regular file")
            }
            // The mode too: root may write anywhere, but a file made read-only says it is not to be replaced.
            guard access(path, W_OK) == 0, info.st_mode & 0o222 != 0 else {
                throw CommandError("\(flag) \(display) is read-only; make it writable (chmod u+w) or give another name")
            }
            let real = realPath(path) ?? path
            try checkWritableDirectory(flag, (real as NSString).deletingLastPathComponent, for: display)
            return real
        }
        var link = stat()
        if lstat(path, &link) == 0 {
            throw CommandError("\(flag) \(display) is a symbolic link to a missing file; remove it or give another name")
        }
        let name = (path as NSString).lastPathComponent
        let parent = (path as NSString).deletingLastPathComponent
        guard let realParent = realPath(parent.isEmpty ? "." : parent) else {
            throw CommandError("\(flag) \(display): the directory \(parent) does not exist; create it first or give another path")
        }
        try checkWritableDirectory(flag, realParent, for: display)
        return (realParent == "/" ? "" : realParent) + "/" + name
    }

    /// Where an output directory resolves to: an existing writable directory, or a new one whose
    /// nearest existing ancestor is a writable directory.
    static func checkDirectory(_ flag: String, _ path: String) throws -> String {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw CommandError("\(flag) \(path) is \(describe(info.st_mode & S_IFMT)), not a directory; give a directory")
            }
            let real = realPath(path) ?? path
            try checkWritableDirectory(flag, real, for: path)
            return real
        }
        // The nearest existing ancestor, and the components below it that mkdir -p would create.
        let absolute = path.hasPrefix("/")
        var components = path.split(separator: "/").map(String.init)
        var missing: [String] = []
        var ancestor = path
        repeat {
            missing.insert(components.removeLast(), at: 0)
            ancestor = (absolute ? "/" : "") + components.joined(separator: "/")
        } while !components.isEmpty && stat(ancestor, &info) != 0
        if ancestor.isEmpty { ancestor = "." }
        if components.isEmpty && stat(ancestor, &info) != 0 {
            throw CommandError("\(flag) \(path): \(ancestor) cannot be read; give another directory")
        }
        guard info.st_mode & S_IFMT == S_IFDIR, let real = realPath(ancestor.isEmpty ? "." : ancestor) else {
            throw CommandError("\(flag) \(path): \(ancestor) is not a directory; give a directory")
        }
        try checkWritableDirectory(flag, real, for: path)
        return ([real == "/" ? "" : real] + missing).joined(separator: "/")
    }

    static func checkWritableDirectory(_ flag: String, _ directory: String, for path: String) throws {
        guard access(directory.isEmpty ? "." : directory, W_OK | X_OK) == 0 else {
            throw CommandError(
                "\(flag) \(path): cannot create files in \(directory) (\(String(cString: strerror(errno)))); give another path")
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func describe(_ kind: mode_t) -> String {
        switch kind {
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFDIR: return "a directory"
        case S_IFREG: return "a file"
        default: return "a special file"
        }
    }

    static func suggestedName(_ flag: String) -> String { flag == "--out" ? "model.tidal" : "metrics.json" }

    /// Writes `bytes` to an output file atomically (`AtomicFile`): the old file or the new one, never half of either.
    /// - Throws: `CommandError` naming the flag and the path.
    static func write(_ bytes: [UInt8], to path: String, flag: String) throws {
        do {
            try AtomicFile.write(bytes, to: path)
        } catch let ModelFileError.unwritable(_, reason) {
            throw CommandError("cannot write \(flag) \(path): \(reason)")
        }
    }
}
