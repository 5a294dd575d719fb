import ArgumentParser
import Foundation
import TidalCore
import TidalData

/// Runs `body`; a Tidal error is printed as one line on stderr (`tidal: …`) and the
/// command exits with status 1, with no stack trace and no usage text: a failure while running
/// is not a mistake in the flags. A `ValidationError` thrown while running (a flag found wrong only
/// then) is one line too, with status 64 (EX_USAGE); flag errors found before running, in
/// `validate()`, keep ArgumentParser's message and usage.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        Output.error("tidal: \(error.message)\n")
        throw ExitCode(64)
    } catch {
        var message = "\(error)"
        // Training reads standard input from a private copy; the user gave `-`, so say <stdin>.
        if let spooled = TrainingFlags.spooledStandardInput { message = message.replacingOccurrences(of: spooled, with: "<stdin>") }
        Output.error("tidal: \(message)\n")
        throw ExitCode(1)
    }
}
