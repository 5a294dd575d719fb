import Foundation
import TidalModel

/// Writes plots (`TrainingPlots`) into a `--plots` directory.
enum PlotWriter {
    /// The plots of a training or evaluation run.
    static func write(_ outcome: TrainingOutcome, to directory: String) throws {
        try write(TrainingPlots.files(outcome), to: directory)
    }

    /// `files` into `directory`, which is created when missing.
    static func write(_ files: [PlotFile], to directory: String) throws {
        try createDirectory(directory)
        for file in files {
            try OutputPaths.write(
                Array(file.document.finished().utf8), to: (directory as NSString).appendingPathComponent(file.name), flag: "--plots")
        }
    }

    /// Creates the plots directory (and any missing parents), or says in one line why it cannot.
    static func createDirectory(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CommandError("cannot create the --plots directory \(directory); give a directory you can write to")
        }
    }
}
