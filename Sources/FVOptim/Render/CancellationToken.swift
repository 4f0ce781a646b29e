import Foundation

/// Set from any thread (a cancel request, a disconnect, a deadline, shutdown); the ascent loop
/// checks it between steps, so a job stops within one step.
public final class CancellationToken: @unchecked Sendable {
    private let lock = NSLock()
    private var reason: String?

    public init() {}

    public func cancel(_ why: String) {
        lock.lock()
        if reason == nil { reason = why }
        lock.unlock()
    }

    public var cancellationReason: String? {
        lock.lock()
        defer { lock.unlock() }
        return reason
    }

    public var isCancelled: Bool { cancellationReason != nil }
}
