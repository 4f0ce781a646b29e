#if canImport(Glibc)
import Glibc
#endif

/// fvd's own weights file (`.fvw`): laid out so the float data can be used where it lies once
/// read (64-byte aligned, float32), and checked whole by its checksum. All integers little-endian.
///
///     offset  size  field
///     0       8     magic "FVDWGHT1"
///     8       4     format version (1)
///     12      4     layer count L
///     16      8     file size in bytes (a multiple of 64)
///     24      8     checksum: FNV-1a-64 over the file's 8-byte words, this word taken as 0
///     32      32    reserved (0)
///     64      64    source: sha256 of the ONNX file it was converted from, ASCII hex
///     128     64*L  layer table, one 64-byte entry per layer:
///                     name (32 bytes, NUL-padded), out channels u32, in channels u32,
///                     kernel height u32, kernel width u32, kernel offset u64, bias offset u64
///     ...           float32 data, each array starting on a 64-byte boundary:
///                     kernel OIHW [out][in][kh][kw], bias [out]
public enum WeightsFile {
    public static let magic: [UInt8] = Array("FVDWGHT1".utf8)
    public static let version: UInt32 = 1
    static let headerSize = 128
    static let entrySize = 64

    public struct Layer: Equatable {
        public var name: String
        public var outChannels: Int
        public var inChannels: Int
        public var kernel: [Float]
        public var bias: [Float]

        public init(name: String, outChannels: Int, inChannels: Int, kernel: [Float], bias: [Float]) {
            self.name = name
            self.outChannels = outChannels
            self.inChannels = inChannels
            self.kernel = kernel
            self.bias = bias
        }
    }

    /// Serialises layers into the format above.
    public static func encode(layers: [Layer], sourceSHA256: String) -> [UInt8] {
        func align(_ x: Int) -> Int { (x + 63) / 64 * 64 }
        var offset = headerSize + entrySize * layers.count
        var placements: [(Int, Int)] = []
        for l in layers {
            let k = align(offset)
            let b = align(k + l.kernel.count * 4)
            offset = b + l.bias.count * 4
            placements.append((k, b))
        }
        let size = align(offset)
        var out = [UInt8](repeating: 0, count: size)
        func put<T: FixedWidthInteger>(_ v: T, at o: Int) {
            withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { out[o + i] = b } }
        }
        out.replaceSubrange(0..<8, with: magic)
        put(version, at: 8)
        put(UInt32(layers.count), at: 12)
        put(UInt64(size), at: 16)
        let src = Array(sourceSHA256.utf8.prefix(64))
        out.replaceSubrange(64..<(64 + src.count), with: src)
        for (i, l) in layers.enumerated() {
            let e = headerSize + i * entrySize
            let name = Array(l.name.utf8.prefix(31))
            out.replaceSubrange(e..<(e + name.count), with: name)
            put(UInt32(l.outChannels), at: e + 32)
            put(UInt32(l.inChannels), at: e + 36)
            put(UInt32(3), at: e + 40)
            put(UInt32(3), at: e + 44)
            put(UInt64(placements[i].0), at: e + 48)
            put(UInt64(placements[i].1), at: e + 56)
            for (j, f) in l.kernel.enumerated() { put(f.bitPattern, at: placements[i].0 + 4 * j) }
            for (j, f) in l.bias.enumerated() { put(f.bitPattern, at: placements[i].1 + 4 * j) }
        }
        let sum = out.withUnsafeBytes { checksum($0) }
        put(sum, at: 24)
        return out
    }

    /// FNV-1a over 8-byte words (not bytes: 8x fewer dependent multiplies on a 59 MB file),
    /// with the checksum field itself read as zero.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let words = bytes.count / 8
        for i in 0..<words {
            let w: UInt64 = i == 3 ? 0 : bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
            h = (h ^ w) &* 0x0000_0100_0000_01b3
        }
        return h
    }
}
