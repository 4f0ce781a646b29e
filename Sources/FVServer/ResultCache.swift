import FVProtocol
import Foundation

/// Finished results on disk, keyed by every parameter that affects the image plus the weights'
/// checksum, so a repeated request is answered without computing. Capped in size; the least
/// recently used entries go first. A cache that cannot be written (missing, read-only, full) only
/// logs a warning: jobs still succeed, they just are not remembered.
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
    }

    /// FNV-1a-64 of the key, as the file name (the key is stored inside to rule out collisions).
    static func fileName(_ key: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s + ".json"
    }

    func lookup(_ key: String) -> JSON? {
        guard let dir = directory else { return nil }
        let path = dir + "/" + ResultCache.fileName(key)
        let found: JSON? = {
            guard let data = FileManager.default.contents(atPath: path),
                  let entry = try? JSONCodec.parse([UInt8](data)),
                  entry["key"] == .string(key), let result = entry["result"] else { return nil }
            return result
        }()
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
        let text = JSONCodec.serialize(["key": .string(key), "result": result])
        let path = dir + "/" + ResultCache.fileName(key)
        let tmp = path + ".tmp\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)) else {
            lock.lock()
            writeFailures += 1
            lock.unlock()
            Log.warning("result cache \(dir) is not writable (or full); the result was delivered but not cached")
            try? FileManager.default.removeItem(atPath: tmp)
            return
        }
        _ = rename(tmp, path)
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
