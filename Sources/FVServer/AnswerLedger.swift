import FVProtocol
import Foundation

/// What each user's requests in flight will hold in the daemon's memory as answers: the answers
/// of their queued and running jobs (estimated when each is admitted) and those already waiting
/// in their connections' outboxes, unread. A job is admitted only if it fits its user's share;
/// otherwise it is refused at once. One user's connections together (16 of them, each with a
/// batch of raw 1024 px renders, never read) could otherwise hold gigabytes of answers and get
/// the daemon, and every other user's work, killed by its memory limit.
final class AnswerLedger: @unchecked Sendable {
    /// Bytes of answers one user may have in flight.
    let perUser: Int
    /// The daemon's memory limit the share comes from, for messages.
    let memoryMax: Int
    private let lock = NSLock()
    private var reserved: [UInt32: Int] = [:]
    /// Bytes waiting unread in `uid`'s connections' outboxes.
    private let unread: (UInt32) -> Int

    init(memoryMax: Int, residentBytes: Int, unread: @escaping (UInt32) -> Int) {
        self.memoryMax = memoryMax
        perUser = AnswerLedger.share(memoryMax: memoryMax, residentBytes: residentBytes)
        self.unread = unread
    }

    /// One user's share: a quarter of what the weights leave, so two users at their limits, plus
    /// the workspaces, fit.
    static func share(memoryMax: Int, residentBytes: Int) -> Int { max(64 << 20, (memoryMax - residentBytes) / 4) }

    /// Reserves `bytes` for `uid`'s new job, or throws the busy error that says what to do.
    func reserve(uid: UInt32, bytes: Int) throws {
        let waiting = unread(uid)
        lock.lock()
        defer { lock.unlock() }
        let held = reserved[uid, default: 0] + waiting
        guard held + bytes <= perUser else {
            throw RPCError(RPCError.queueFull, "your requests in flight would hold \(mib(held + bytes)) of answers, more than your share of fvd's memory "
                + "(\(mib(perUser)) of its \(mib(memoryMax))); read the answers you have, send fewer requests at once, or ask for smaller pictures (or without raw)")
        }
        reserved[uid, default: 0] += bytes
    }

    func release(uid: UInt32, bytes: Int) {
        lock.lock()
        reserved[uid, default: 0] -= bytes
        if reserved[uid] == 0 { reserved[uid] = nil }
        lock.unlock()
    }

    private func mib(_ b: Int) -> String { "\((b + (1 << 20) - 1) >> 20) MiB" }

    /// The memory fvd may use: `--memory-max`, else its cgroup's limit (systemd's MemoryMax=),
    /// else the machine's memory.
    static func defaultMemoryMax() -> Int {
        if let line = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
            .split(separator: "\n").first(where: { $0.hasPrefix("0::") }) {
            let path = "/sys/fs/cgroup" + line.dropFirst(3) + "/memory.max"
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let n = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), n > 0 { return n }
        }
        return Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
