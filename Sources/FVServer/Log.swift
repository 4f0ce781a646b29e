#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One line per event on stderr, with the `<N>` priority prefix journald understands
/// (sd-daemon(3)): under systemd each line lands in the journal with its priority; run by hand
/// it is still readable.
public enum Log {
    private static let lock = NSLock()

    public enum Priority: Int {
        case error = 3, warning = 4, notice = 5, info = 6, debug = 7
    }

    public static func write(_ p: Priority, _ message: String) {
        let line = "<\(p.rawValue)>\(message.replacingOccurrences(of: "\n", with: " "))\n"
        lock.lock()
        fputs(line, stderr)
        lock.unlock()
    }

    public static func info(_ m: String) { write(.info, m) }
    public static func warning(_ m: String) { write(.warning, m) }
    public static func error(_ m: String) { write(.error, m) }
}
