import FVProtocol
import Foundation

/// Finished results on disk, keyed by every parameter that affects the image plus the weights'
/// checksum, so a repeated request is answered without computing. Capped in size; the least
/// recently used entries go first. A cache that cannot be written (missing, read-only, full) only
/// logs a warning: jobs still succeed, they just are not remembered.
///
/// An entry is `{"key": K, "checksum": C, "result": "<result as JSON text>"}` in a file named by
/// the SHA-256 of K, C the SHA-256 of that text: an entry damaged on disk is found before it is
/// served, removed and computed again. The directory is the daemon's alone (0700): keys name the
/// pictures users dreamed. What is on disk is indexed in memory once, at start-up, so a store or
/// a `status` costs the same with 100,000 entries as with ten. Temporary files that a crash or a
/// full disk left behind are removed at start-up.
final class ResultCache: @unchecked Sendable {
    let directory: String?
    let maxBytes: Int
    private let lock = NSLock()
    private var hits = 0
    private var misses = 0
    private var writeFailures = 0
    /// File name -> (size, last use). Under `lock`.
    private var index: [String: (size: Int, used: Date)] = [:]
    private var totalBytes = 0

    /// The hash that names an entry's file: SHA-256; replaceable by tests, to force two keys into
    /// one file and show that each still gets only its own result.
    nonisolated(unsafe) static var fileNameHash: (String) -> String = { ContentDigest.sha256($0) }

    init(directory: String?, maxBytes: Int) {
        self.maxBytes = maxBytes
        if let d = directory {
            do {
                try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                // One made earlier, by an fvd that left it open to everyone, is closed now.
                var st = stat()
                if stat(d, &st) == 0, st.st_uid == geteuid(), st.st_mode & 0o077 != 0 { chmod(d, 0o700) }
            } catch {
                Log.warning("result cache directory \(d) cannot be created; results will not be cached (check the path and its permissions, or pass --cache-dir)")
            }
        }
        self.directory = directory
        if let d = directory {
            removeStaleTemporaryFiles(d)
            for e in scan(d) {
                index[e.name] = (e.size, e.date)
                totalBytes += e.size
            }
        }
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

    /// The entry file for `key` (the key itself is stored inside, so two keys that share a file
    /// are told apart).
    static func fileName(_ key: String) -> String { fileNameHash(key) + ".json" }

    func lookup(_ key: String) -> JSON? {
        guard let dir = directory else { return nil }
        let name = ResultCache.fileName(key)
        let path = dir + "/" + name
        var damaged = false
        let found: JSON? = {
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            guard let entry = try? JSONCodec.parse([UInt8](data)) else {
                damaged = true
                return nil
            }
            guard entry["key"] == .string(key) else { return nil }  // another key's entry (a hash collision)
            guard case .string(let text)? = entry["result"], entry["checksum"] == .string(ContentDigest.sha256(text)),
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
        if found != nil { index[name]?.used = Date() }
        if damaged, let gone = index.removeValue(forKey: name) { totalBytes -= gone.size }
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
        let entry = JSONCodec.serialize(["key": .string(key), "checksum": .string(ContentDigest.sha256(text)), "result": .string(text)])
        let name = ResultCache.fileName(key)
        let path = dir + "/" + name
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
        lock.lock()
        totalBytes += entry.utf8.count - (index[name]?.size ?? 0)
        index[name] = (entry.utf8.count, Date())
        let over = totalBytes > maxBytes
        lock.unlock()
        if over { evict(dir) }
    }

    struct Stats {
        let entries: Int
        let bytes: Int
        let hits: Int
        let misses: Int
        let writeFailures: Int
    }

    func stats() -> Stats {
        lock.lock()
        defer { lock.unlock() }
        return Stats(entries: index.count, bytes: totalBytes, hits: hits, misses: misses, writeFailures: writeFailures)
    }

    /// Every entry file in `dir`: one directory scan, at start-up.
    private func scan(_ dir: String) -> [(name: String, size: Int, date: Date)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.filter { $0.hasSuffix(".json") }.compactMap { n in
            guard let a = try? FileManager.default.attributesOfItem(atPath: dir + "/" + n) else { return nil }
            return (n, (a[.size] as? NSNumber)?.intValue ?? 0, (a[.modificationDate] as? Date) ?? .distantPast)
        }
    }

    /// Removes the least recently used entries until the cache is at 90% of its cap: the sort
    /// this takes is paid once per tenth of the cap written, not on every store.
    private func evict(_ dir: String) {
        lock.lock()
        let oldest = index.sorted { $0.value.used < $1.value.used }
        var gone: [String] = []
        for (name, e) in oldest where totalBytes > maxBytes * 9 / 10 {
            index[name] = nil
            totalBytes -= e.size
            gone.append(name)
        }
        lock.unlock()
        for name in gone { try? FileManager.default.removeItem(atPath: dir + "/" + name) }
    }
}
