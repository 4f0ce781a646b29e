#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One line per event on stderr. Under systemd, whose journal stamps each line itself, a line
/// starts with the `<N>` priority prefix journald understands (sd-daemon(3)); anywhere else (the
/// per-user daemon's log file, a terminal) with the local time and the priority's name, so a log
/// read later says when each thing happened.
public enum Log {
    private static let lock = NSLock()

    public enum Priority: Int {
        case error = 3, warning = 4, notice = 5, info = 6, debug = 7

        var name: String {
            switch self {
            case .error: return "error"
            case .warning: return "warning"
            case .notice: return "notice"
            case .info: return "info"
            case .debug: return "debug"
            }
        }
    }

    /// Whether stderr is the journal: systemd sets `$JOURNAL_STREAM` to the device and inode of
    /// the stream it connected (systemd.exec(5)); a child that inherited the variable but writes
    /// elsewhere must not be taken for it.
    static let toJournal: Bool = {
        guard let v = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return v == "\(st.st_dev):\(st.st_ino)"
    }()

    public static func write(_ p: Priority, _ message: String) {
        let text = message.replacingOccurrences(of: "\n", with: " ")
        let line = toJournal ? "<\(p.rawValue)>\(text)\n" : "\(timestamp()) \(p.name): \(text)\n"
        lock.lock()
        fputs(line, stderr)
        lock.unlock()
    }

    /// Local time to the millisecond with the zone's offset, as `2026-12-05 16:59:01.123 +0000`.
    static func timestamp(_ date: Date = Date()) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&t, &parts)
        var buf = [CChar](repeating: 0, count: 40)
        let n = strftime(&buf, buf.count, "%Y-%m-%d %H:%M:%S", &parts)
        var zone = [CChar](repeating: 0, count: 8)
        _ = strftime(&zone, zone.count, "%z", &parts)
        let ms = Int((date.timeIntervalSince1970 - Double(t)) * 1000) % 1000
        let ms3 = String(ms + 1000).dropFirst()
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) + ".\(ms3) " + String(cString: zone)
    }

    /// `text` as one quoted token for a log line: at most `max` characters, control characters
    /// and quotes escaped, since clients choose much of what is logged (method names, values
    /// echoed in error messages) and must not be able to forge or split lines.
    public static func quoted(_ text: String, max: Int = 300) -> String {
        var out = "\""
        for (i, ch) in text.unicodeScalars.enumerated() {
            if i == max { out += "..."; break }
            switch ch {
            case "\"", "\\": out += "\\" + String(ch)
            case _ where ch.value < 0x20 || ch.value == 0x7f: out += "\\x" + String(ch.value, radix: 16)
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }

    /// Lines of one kind (`key`) per second before the rest are counted instead of written.
    static let burst = 5
    private static var windows: [String: (start: Double, written: Int, suppressed: Int, priority: Priority)] = [:]

    /// Writes `message` unless `key` has had `burst` lines in the last second: a client that
    /// floods the daemon (a connect storm, thousands of bad lines) must not flood its log too.
    /// The lines held back are counted, and the count is written with the first line of the
    /// next second of that kind.
    public static func throttled(_ p: Priority, key: String, _ message: String) {
        let now = Date().timeIntervalSince1970
        lock.lock()
        var w = windows[key] ?? (now, 0, 0, p)
        var note = ""
        if now - w.start >= 1 {
            if w.suppressed > 0 { note = " (and \(w.suppressed) more like it were not logged)" }
            w = (now, 0, 0, p)
        }
        let write = w.written < burst
        if write { w.written += 1 } else { w.suppressed += 1 }
        windows[key] = w
        if windows.count > 4096 { windows = windows.filter { now - $0.value.start < 1 } }  // forget old kinds
        lock.unlock()
        if write { self.write(p, message + note) }
    }

    /// Writes the count of lines held back in a second that has ended and was not followed by
    /// another line of its kind (the daemon calls this a few times a second), so a burst's size
    /// is never lost.
    public static func flushThrottled() {
        let now = Date().timeIntervalSince1970
        lock.lock()
        var notes: [(Priority, String)] = []
        for (key, w) in windows where w.suppressed > 0 && now - w.start >= 1 {
            notes.append((w.priority, "\(w.suppressed) more lines of kind \"\(key)\" were not logged in the second before"))
            windows[key] = (w.start, w.written, 0, w.priority)
        }
        lock.unlock()
        for (p, n) in notes { write(p, n) }
    }

    public static func info(_ m: String) { write(.info, m) }
    public static func warning(_ m: String) { write(.warning, m) }
    public static func error(_ m: String) { write(.error, m) }
}
