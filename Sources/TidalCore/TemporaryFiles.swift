#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's temporary files and directories, removed on every way out: a normal exit
/// (`atexit`), and SIGINT, SIGTERM and SIGHUP through `installSignalHandlers()` or a command's own handler.
///
/// The registry is a fixed table of C strings, so `cleanUp()` is async-signal-safe: it only reads
/// the table and calls `unlink(2)` and `rmdir(2)`. Call it from any signal handler of your own:
///
/// ```swift
/// TemporaryFiles.installSignalHandlers()            // the default: clean up, then die of the signal
/// let path = "/tmp/x/.model.tidal.tmp-1-2"
/// let token = TemporaryFiles.register(path)          // before creating it
/// defer { TemporaryFiles.unregister(token) }         // after it is renamed or removed
///
/// // A command with its own SIGINT behaviour (finish the batch, save, exit 130):
/// signal(SIGINT) { signo in
///     if secondInterrupt { TemporaryFiles.cleanUp(); _exit(128 + signo) }
///     interruptRequested = 1
/// }
/// ```
///
/// Entries are removed in the reverse order of registration, each with `unlink` and then `rmdir`,
/// so a directory registered before the files inside it goes after them. Registering and
/// unregistering take a lock and may allocate; they are for ordinary code, never for a handler.
/// A handler that runs while another thread unregisters an entry may see it half gone; the worst
/// case is an `unlink` of a path that no longer exists.
public enum TemporaryFiles {
    /// How many paths can be registered at once (`register` returns nil past it).
    public static let capacity = 64

    /// A registered path, to pass back to `unregister`.
    public struct Token: Sendable, Hashable {
        let slot: Int
    }

    // The table: `capacity` pointers to NUL-terminated copies of the paths, nil when free.
    // Allocated once and never freed, so a handler can read it at any time.
    private nonisolated(unsafe) static let slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        table.initialize(repeating: nil, count: capacity)
        return table
    }()
    private nonisolated(unsafe) static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        return lock
    }()
    private nonisolated(unsafe) static var exitHookInstalled = false

    /// Registers `path` (a file, or a directory to remove once empty) for removal on exit or signal.
    /// Call it before the file exists, so there is no moment when it exists unregistered.
    /// The first registration also installs an `atexit` hook that calls `cleanUp()`.
    /// - Returns: the token for `unregister`, or nil when the table is full.
    @discardableResult
    public static func register(_ path: String) -> Token? {
        let copy = strdup(path)
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if !exitHookInstalled {
            exitHookInstalled = true
            atexit { TemporaryFiles.cleanUp() }
        }
        for slot in 0 ..< capacity where slots[slot] == nil {
            slots[slot] = copy
            return Token(slot: slot)
        }
        free(copy)
        return nil
    }

    /// Forgets a registered path without removing it: call it once the file is renamed into
    /// place or removed. A nil token does nothing.
    public static func unregister(_ token: Token?) {
        guard let token else { return }
        pthread_mutex_lock(lock)
        let copy = slots[token.slot]
        slots[token.slot] = nil
        pthread_mutex_unlock(lock)
        free(copy)
    }

    /// Removes every registered path (`unlink`, then `rmdir`), newest first. Async-signal-safe:
    /// no allocation, no lock; safe to call more than once.
    public static func cleanUp() {
        var slot = capacity - 1
        while slot >= 0 {
            if let path = slots[slot] {
                unlink(path)
                rmdir(path)
            }
            slot -= 1
        }
    }

    /// Installs the default handler for SIGINT, SIGTERM and SIGHUP: `cleanUp()`, then the signal's
    /// default action re-raised, so the process dies of the signal (a shell reports 128 + the number).
    /// A command that wants its own behaviour for a signal installs its handler afterwards and
    /// calls `cleanUp()` from it before exiting.
    public static func installSignalHandlers() {
        _ = slots
        for signo in [SIGINT, SIGTERM, SIGHUP] {
            signal(signo, TemporaryFiles.defaultHandler)
        }
    }

    /// The default handler: remove the temporary files, then die of `signo`.
    public static let defaultHandler: @convention(c) (Int32) -> Void = { signo in
        TemporaryFiles.cleanUp()
        signal(signo, SIG_DFL)
        raise(signo)
    }
}
