import Foundation

/// Bounds how many large request lines are parsed at once. json-c builds a tree of one object per
/// value, and a 1 MiB line of numbers (an `activations` tensor) takes about 176 MiB while it is
/// parsed and converted: 3 users x 16 connections sending one each at once peaked the daemon at
/// 3.3 GB. Lines of at most `smallLine` bytes pass freely; larger ones take a place, at most
/// `total` at once and one per user, so one user's connections wait for each other, not for
/// everyone's memory.
final class ParseGate: @unchecked Sendable {
    let smallLine: Int
    let total: Int
    private let cond = NSCondition()
    private var active = 0
    private var perUser: [UInt32: Int] = [:]

    init(smallLine: Int = 64 << 10, total: Int = 2) {
        self.smallLine = smallLine
        self.total = total
    }

    /// Runs `body` for a line of `bytes` from `uid`, waiting for a place if the line is large.
    func parse<T>(bytes: Int, uid: UInt32, _ body: () throws -> T) rethrows -> T {
        guard bytes > smallLine else { return try body() }
        cond.lock()
        while active >= total || perUser[uid, default: 0] >= 1 { cond.wait() }
        active += 1
        perUser[uid, default: 0] += 1
        cond.unlock()
        defer {
            cond.lock()
            active -= 1
            perUser[uid, default: 1] -= 1
            if perUser[uid] == 0 { perUser[uid] = nil }
            cond.broadcast()
            cond.unlock()
        }
        return try body()
    }
}
