#if canImport(Glibc)
import Glibc
#endif

/// A verified `.fvw` file holding VGG16's 13 conv layers, read once into the daemon's own memory.
/// Not memory-mapped: a mapping is read again at every job (channel heads, biases), so a file
/// truncated or rewritten in place while fvd runs would kill it with SIGBUS; a private copy
/// makes a running daemon independent of the file after start-up (~56 MiB). Opening checks, in
/// order: the file exists and is readable, the magic and version, the size the header claims,
/// the checksum, every layer's presence and shape, and the provenance bias table. Any failure
/// is a `WeightsError` naming the file and the fix; nothing here traps on bad bytes.
public final class ResidentWeights: @unchecked Sendable {
    public let path: String
    public let checksum: UInt64
    public let sourceSHA256: String
    /// Owns the bytes `base` points to (freed with this object, or at once if `init` throws).
    private let storage: OwnedBytes
    let base: UnsafeMutableRawPointer
    let size: Int
    let kernelOffsets: [Int]
    let biasOffsets: [Int]

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if e == ENOENT { throw WeightsError.missing(path: path) }
            throw WeightsError.unreadable(path: path, reason: String(cString: strerror(e)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw WeightsError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw WeightsError.unreadable(path: path, reason: "not a regular file") }
        let size = Int(st.st_size)
        guard size >= WeightsFile.headerSize else { throw WeightsError.truncated(path: path, expected: WeightsFile.headerSize, actual: size) }
        guard size <= 1 << 30 else { throw WeightsError.unreadable(path: path, reason: "\(size) bytes is far larger than VGG16's weights") }
        let bytes = OwnedBytes(count: size)
        let p = bytes.pointer
        var done = 0
        while done < size {
            let n = pread(fd, p + done, size - done, off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                if n == 0 { throw WeightsError.truncated(path: path, expected: size, actual: done) }
                throw WeightsError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            done += n
        }
        storage = bytes
        base = p
        self.size = size

        let raw = UnsafeRawBufferPointer(start: p, count: size)
        guard Array(raw[0..<8]) == WeightsFile.magic else { throw WeightsError.notAWeightsFile(path: path) }
        let version = raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian
        guard version == WeightsFile.version else { throw WeightsError.unsupportedVersion(path: path, version: version) }
        let count = Int(raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian)
        let declared = Int(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian)
        guard declared == size else { throw WeightsError.truncated(path: path, expected: declared, actual: size) }
        let stored = raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self).littleEndian
        guard WeightsFile.checksum(raw) == stored else { throw WeightsError.checksumMismatch(path: path) }
        checksum = stored
        sourceSHA256 = String(decoding: raw[64..<128].prefix { $0 != 0 }, as: UTF8.self)
        guard count <= 1000, WeightsFile.headerSize + count * WeightsFile.entrySize <= size else {
            throw WeightsError.truncated(path: path, expected: WeightsFile.headerSize + count * WeightsFile.entrySize, actual: size)
        }

        // Index the table by name, then demand exactly VGG16's layers and shapes.
        var entries: [String: (out: Int, inp: Int, kh: Int, kw: Int, k: Int, b: Int)] = [:]
        for i in 0..<count {
            let e = WeightsFile.headerSize + i * WeightsFile.entrySize
            let name = String(decoding: raw[e..<(e + 32)].prefix { $0 != 0 }, as: UTF8.self)
            func u32(_ o: Int) -> Int { Int(raw.loadUnaligned(fromByteOffset: e + o, as: UInt32.self).littleEndian) }
            func u64(_ o: Int) -> Int { Int(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: e + o, as: UInt64.self).littleEndian) }
            entries[name] = (u32(32), u32(36), u32(40), u32(44), u64(48), u64(56))
        }
        var ks: [Int] = [], bs: [Int] = []
        for l in VGG16.layers {
            guard let t = entries[l.name] else { throw WeightsError.missingLayer(path: path, layer: l.name) }
            let want = "\(l.outChannels)x\(l.inChannels)x3x3"
            let found = "\(t.out)x\(t.inp)x\(t.kh)x\(t.kw)"
            guard want == found else { throw WeightsError.wrongShape(path: path, layer: l.name, expected: want, found: found) }
            let kBytes = l.outChannels * l.inChannels * 9 * 4
            guard t.k >= 0, t.b >= 0, t.k % 64 == 0, t.b % 64 == 0, t.k + kBytes <= size, t.b + l.outChannels * 4 <= size else {
                throw WeightsError.truncated(path: path, expected: max(t.k + kBytes, t.b + l.outChannels * 4), actual: size)
            }
            ks.append(t.k)
            bs.append(t.b)
        }
        kernelOffsets = ks
        biasOffsets = bs
        for l in VGG16.layers {
            let expected = Provenance.firstBias[l.name]!
            let found = bias(l.index)[0]
            guard found == expected else {
                throw WeightsError.provenanceMismatch(path: path, layer: l.name, expected: expected, found: found)
            }
        }
    }

    /// Layer `i`'s kernel, OIHW. Valid while this object lives.
    public func kernel(_ i: Int) -> UnsafePointer<Float> {
        UnsafePointer((base + kernelOffsets[i]).assumingMemoryBound(to: Float.self))
    }

    public func bias(_ i: Int) -> UnsafePointer<Float> {
        UnsafePointer((base + biasOffsets[i]).assumingMemoryBound(to: Float.self))
    }

    public var fileBytes: Int { size }

    /// The checksum as 16 hex digits: what caches and clients key results on.
    public var checksumHex: String {
        let s = String(checksum, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

extension ResidentWeights {
    /// The layers as values (a copy), e.g. to write a modified file.
    public func layers() -> [WeightsFile.Layer] {
        VGG16.layers.map { l in
            WeightsFile.Layer(
                name: l.name, outChannels: l.outChannels, inChannels: l.inChannels,
                kernel: Array(UnsafeBufferPointer(start: kernel(l.index), count: l.outChannels * l.inChannels * 9)),
                bias: Array(UnsafeBufferPointer(start: bias(l.index), count: l.outChannels)))
        }
    }
}

/// 64-byte-aligned memory freed when the last reference goes.
private final class OwnedBytes {
    let pointer: UnsafeMutableRawPointer
    init(count: Int) { pointer = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64) }
    deinit { pointer.deallocate() }
}
