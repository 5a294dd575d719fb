#if canImport(Glibc)
    import Glibc
#endif
import Foundation

/// How many cores this process may use: the default thread count of training, evaluation and
/// forecasting.
///
/// The smallest of three limits, and at least 1:
/// - the CPU affinity mask (`sched_getaffinity`, what `taskset` and `docker --cpuset-cpus` set);
/// - a cgroup v2 CPU quota, `cpu.max` (`"200000 100000"` allows two cores' time; `"max …"` none),
///   in the process's own cgroup or any of its ancestors;
/// - a cgroup v1 CPU quota, `cpu.cfs_quota_us` / `cpu.cfs_period_us` (`-1`: none).
/// A fractional quota is rounded up: 1.5 cores' time keeps two threads busy three quarters of the time,
/// which is still faster than one.
///
/// ```swift
/// let threads = Processors.available  // 2 on a 2-core machine, 1 under `taskset -c 0`
/// ```
public enum Processors {
    /// The cores this process may use (computed once).
    public static let available: Int = {
        var limits = [affinityCount() ?? ProcessInfo.processInfo.activeProcessorCount]
        if let v2 = cgroupV2Limit() { limits.append(v2) }
        if let v1 = cgroupV1Limit() { limits.append(v1) }
        return max(1, limits.min()!)
    }()

    /// Cores in the affinity mask, or nil when it cannot be read.
    ///
    /// Glibc declares `sched_getaffinity` only under `_GNU_SOURCE`, which Swift's Glibc module does
    /// not define, so the function is looked up by name; the mask is read into 1024 bits (glibc's
    /// `cpu_set_t`), enough for 1024 cores.
    static func affinityCount() -> Int? {
        typealias GetAffinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_getaffinity") else { return nil }
        let getAffinity = unsafeBitCast(symbol, to: GetAffinity.self)
        var mask = [UInt64](repeating: 0, count: 16)
        let status = mask.withUnsafeMutableBytes { getAffinity(0, $0.count, $0.baseAddress!) }
        guard status == 0 else { return nil }
        let count = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        return count > 0 ? count : nil
    }

    /// Cores a cgroup v2 `cpu.max` line allows: `"<quota> <period>"` or `"max <period>"` (nil: no limit).
    /// - Parameter line: the file's contents.
    /// - Returns: ⌈quota / period⌉, or nil for `max` or an unreadable line.
    public static func cores(cpuMax line: String) -> Int? {
        let fields = line.split(whereSeparator: \.isWhitespace)
        guard fields.count >= 1, let quota = Double(fields[0]) else { return nil }
        let period = fields.count >= 2 ? Double(fields[1]) ?? 100_000 : 100_000
        return cores(quota: quota, period: period)
    }

    /// Cores a quota of `quota` µs of CPU time per `period` µs allows: ⌈quota / period⌉, nil when
    /// the quota is negative (cgroup v1's `-1`, no limit) or the period is not positive.
    public static func cores(quota: Double, period: Double) -> Int? {
        guard quota > 0, period > 0, quota.isFinite else { return nil }
        return max(1, Int((quota / period).rounded(.up)))
    }

    /// The tightest `cpu.max` on the path from this process's cgroup v2 to the root.
    static func cgroupV2Limit() -> Int? {
        let root = "/sys/fs/cgroup"
        var path = cgroupPath(controller: nil) ?? "/"
        var best: Int?
        while true {
            let file = root + (path == "/" ? "" : path) + "/cpu.max"
            if let text = read(file), let n = cores(cpuMax: text) { best = min(best ?? n, n) }
            guard path != "/", let slash = path.lastIndex(of: "/") else { break }
            path = slash == path.startIndex ? "/" : String(path[..<slash])
        }
        return best
    }

    /// The cgroup v1 CPU quota of this process's `cpu` cgroup.
    static func cgroupV1Limit() -> Int? {
        let path = cgroupPath(controller: "cpu") ?? "/"
        for mount in ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"] {
            for directory in [mount + (path == "/" ? "" : path), mount] {
                guard let quota = read(directory + "/cpu.cfs_quota_us").flatMap({ Double($0) }),
                    let period = read(directory + "/cpu.cfs_period_us").flatMap({ Double($0) })
                else { continue }
                return cores(quota: quota, period: period)
            }
        }
        return nil
    }

    /// This process's cgroup path from `/proc/self/cgroup`: the v2 line (`0::/path`) when
    /// `controller` is nil, else the v1 line listing that controller.
    static func cgroupPath(controller: String?) -> String? {
        guard let text = read("/proc/self/cgroup") else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if let controller {
                if fields[1].split(separator: ",").contains(Substring(controller)) { return String(fields[2]) }
            } else if fields[0] == "0" && fields[1].isEmpty {
                return String(fields[2])
            }
        }
        return nil
    }

    /// A small file's contents without surrounding white space, or nil.
    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8)).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }
}
