import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Ctrl-C while `tidal train` trains: the first SIGINT only asks the training loop to stop after
/// the batch in progress (the command then saves the model and exits 130); a second one exits at
/// once with status 130, writing nothing more.
///
/// The handler is async-signal-safe: it only increments an atomic counter, or calls `_exit`.
/// It is installed by `train` around its training and writes, and the previous disposition is
/// put back afterwards, so no other command (and no other handler) is affected.
enum Interrupts {
    /// SIGINTs received since `install()`.
    static let received = Atomic<Int>(0)
    nonisolated(unsafe) private static var previous = sigaction()
    nonisolated(unsafe) private static var installed = false

    /// Whether a SIGINT asked the run to stop.
    static var requested: Bool { received.load(ordering: .relaxed) > 0 }

    /// Installs the handler, saving the current disposition for `restore()`.
    static func install() {
        guard !installed else { return }
        // Touch the counter first: its lazy initialisation must not run inside the handler.
        received.store(0, ordering: .relaxed)
        var action = sigaction()
        let handler: @convention(c) (Int32) -> Void = { _ in
            if Interrupts.received.wrappingAdd(1, ordering: .relaxed).oldValue >= 1 { _exit(130) }
        }
        #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = handler
        #else
            action.__sigaction_u.__sa_handler = handler
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = Int32(SA_RESTART)
        installed = sigaction(SIGINT, &action, &previous) == 0
    }

    /// Puts back the disposition `install()` replaced.
    static func restore() {
        guard installed else { return }
        sigaction(SIGINT, &previous, nil)
        installed = false
    }
}
