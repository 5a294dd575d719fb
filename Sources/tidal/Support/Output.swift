import Foundation
import TidalCore

/// Standard output and standard error for every command: each write goes straight to write(2) and is checked.
///
/// A failed write to standard output ends the process: EPIPE (the reader went away: `| head`, a closed
/// stdout) quietly with status 141, as a shell reports a death by SIGPIPE; any other error (ENOSPC on
/// `/dev/full`, EIO, EBADF) as one line `tidal: cannot write to standard output: <reason>` with status 1.
/// SIGPIPE is ignored (`Output.prepare()`), so both cases arrive here as an errno and the exit runs
/// the `atexit` hooks that remove temporary files. A failed write to standard error is dropped:
/// there is nowhere left to report it.
enum Output {
    /// Status for a reader that went away: 128 + SIGPIPE, what a shell shows for `yes | head -1`.
    static let brokenPipeStatus: Int32 = 141

    /// Run once at start: SIGPIPE ignored (EPIPE is handled here), temporary files removed on SIGINT/SIGTERM/SIGHUP.
    static func prepare() {
        signal(SIGPIPE, SIG_IGN)
        TemporaryFiles.installSignalHandlers()
    }

    /// Writes `text` to standard output, or ends the process as described above.
    static func write(_ text: String) {
        let error = writeAll(1, text)
        if error != 0 { failStandardOutput(error) }
    }

    /// Writes `text` and a newline to standard output.
    static func line(_ text: String) { write(text + "\n") }

    /// Writes `text` to standard error; a failure is ignored.
    static func error(_ text: String) { _ = writeAll(2, text) }

    /// Ends the process for a failed write to standard output (`error` is the errno).
    static func failStandardOutput(_ error: Int32) -> Never {
        if error != EPIPE { Output.error("tidal: cannot write to standard output: \(String(cString: strerror(error)))\n") }
        exit(error == EPIPE ? brokenPipeStatus : 1)
    }

    /// Writes every byte of `text` to `fd` with write(2), retrying on EINTR.
    /// - Returns: 0, or the errno of the write that failed.
    static func writeAll(_ fd: Int32, _ text: String) -> Int32 {
        var text = text
        return text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
    }

    /// Writes every byte of `raw` to `fd` with write(2), retrying on EINTR.
    /// - Returns: 0, or the errno of the write that failed.
    static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer) -> Int32 {
        var done = 0
        while done < raw.count {
            let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return 0
    }
}

/// Collects standard output and writes it in large blocks through `Output`.
final class BufferedOutput {
    private var buffer = ""

    /// Appends `s`; a full block (64 KiB) is written at once.
    func write(_ s: String) {
        buffer += s
        if buffer.utf8.count > 1 << 16 { flush() }
    }

    /// Writes what is buffered.
    func flush() {
        guard !buffer.isEmpty else { return }
        Output.write(buffer)
        buffer = ""
    }
}
