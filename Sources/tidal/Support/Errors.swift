import TidalData
import TidalCore
import ArgumentParser
import Foundation

/// Runs `body`; a Tidal error is printed as one line on stderr (`tidal: …`) and the
/// command exits with status 1, with no stack trace.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        FileHandle.standardError.write(Data("tidal: \(error)\n".utf8))
        throw ExitCode(1)
    }
}
