import FVProtocol
import Foundation

/// Finished results on disk, keyed by every parameter that affects the image plus the weights'
/// checksum, so a repeated request is answered without computing. Capped in size; the least
/// recently used entries go first. A cache that cannot be written (missing, read-only, full) only
/// logs a warning: jobs still succeed, they just are not remembered.
///
/// An entry is `{"key": K, "checksum": C, "result": "<result as JSON text>"}`, C the FNV-1a-64
/// of that text: an entry damaged on disk is found before it is served, removed and computed
/// again. Temporary files that a crash or a full disk left behind are removed at start-up.
final class ResultCache: @unchecked Sendable {
    let directory: String?
    let maxBytes: Int
    private let lock = NSLock()
    private var hits = 0
    private var misses = 0
    private var writeFailures = 0

    init(directory: String?, maxBytes: Int) {
        self.maxBytes = maxBytes
        if let d = directory {
            do {
                try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            } catch {
                Log.warning("result cache directory \(d) cannot be created; results will not be cached (check the path and its permissions, or pass --cache-dir)")
            }
        }
        self.directory = directory
        if let d = directory { removeStaleTemporaryFiles(d) }
    }

    /// Temporary files older than a minute (a writer that died, or a failed write); a younger one
    /// may belong to another daemon writing now.
    private func removeStaleTemporaryFiles(_ dir: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for n in names where n.contains(".tmp") {
            let p = dir + "/" + n
            let age = (try? FileManager.default.attributesOfItem(atPath: p)[.modificationDate] as? Date).map { Date().timeIntervalSince($0) } ?? 0
            if age > 60 { try? FileManager.default.removeItem(atPath: p) }
        }
    }

    /// FNV-1a-64 of the key, as the file name (the key is stored inside to rule out collisions).
    static func fileName(_ key: String) -> String { fnv1a(key) + ".json" }

    /// FNV-1a-64 as 16 hex digits.
    static func fnv1a(_ text: String) -> String { fnv1a(bytes: text.utf8) }

    /// FNV-1a-64 of bytes as 16 hex digits (also names a dream's photo in its cache key).
    static func fnv1a<Bytes: Sequence>(bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    func lookup(_ key: String) -> JSON? {
        guard let dir = directory else { return nil }
        let path = dir + "/" + ResultCache.fileName(key)
        var damaged = false
        let found: JSON? = {
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            guard let entry = try? JSONCodec.parse([UInt8](data)) else {
                damaged = true
                return nil
            }
            guard entry["key"] == .string(key) else { return nil }  // another key's entry (a hash collision)
            guard case .string(let text)? = entry["result"], entry["checksum"] == .string(ResultCache.fnv1a(text)),
                  let result = try? JSONCodec.parse(text) else {
                damaged = true
                return nil
            }
            return result
        }()
        if damaged {
            Log.warning("result cache entry \(path) is damaged; removed, the result is computed again")
            try? FileManager.default.removeItem(atPath: path)
        }
        lock.lock()
        if found != nil { hits += 1 } else { misses += 1 }
        lock.unlock()
        if found != nil {
            // Touch: eviction goes by modification time, so this marks it recently used.
            try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path)
        }
        return found
    }

    func store(_ key: String, _ result: JSON) {
        guard let dir = directory else { return }
        let text = JSONCodec.serialize(result)
        let entry = JSONCodec.serialize(["key": .string(key), "checksum": .string(ResultCache.fnv1a(text)), "result": .string(text)])
        let path = dir + "/" + ResultCache.fileName(key)
        let tmp = path + ".tmp\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let written: Bool = {
            let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            let bytes = Array(entry.utf8)
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                off += n
            }
            return true
        }()
        guard written, rename(tmp, path) == 0 else {
            unlink(tmp)
            lock.lock()
            writeFailures += 1
            lock.unlock()
            Log.warning("result cache \(dir) is not writable (or full); the result was delivered but not cached")
            return
        }
        evict(dir)
    }

    struct Stats {
        let entries: Int
        let bytes: Int
        let hits: Int
        let misses: Int
        let writeFailures: Int
    }

    func stats() -> Stats {
        let files = entries()
        lock.lock()
        defer { lock.unlock() }
        return Stats(entries: files.count, bytes: files.reduce(0) { $0 + $1.size }, hits: hits, misses: misses, writeFailures: writeFailures)
    }

    private func entries() -> [(path: String, size: Int, date: Date)] {
        guard let dir = directory, let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.filter { $0.hasSuffix(".json") }.compactMap { n in
            let p = dir + "/" + n
            guard let a = try? FileManager.default.attributesOfItem(atPath: p) else { return nil }
            return (p, (a[.size] as? NSNumber)?.intValue ?? 0, (a[.modificationDate] as? Date) ?? .distantPast)
        }
    }

    private func evict(_ dir: String) {
        var files = entries().sorted { $0.date < $1.date }
        var total = files.reduce(0) { $0 + $1.size }
        while total > maxBytes, !files.isEmpty {
            let f = files.removeFirst()
            try? FileManager.default.removeItem(atPath: f.path)
            total -= f.size
        }
    }
}
