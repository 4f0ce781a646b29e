/// The pictures as numbers, when a render asks for `"raw": true` (what `fvctl -o out.npy`
/// writes): float32, little-endian, NHWC with BGR channels on the 0-255 scale, as fvd holds
/// its images (the seed preset's are exactly the Keras notebook's array; the lucid preset's are
/// 255 x its sigmoid picture, before the ImageNet mean is subtracted). Base64 on the wire.
public struct RawImages: Equatable, Sendable {
    public var count: Int
    public var height: Int
    public var width: Int
    public var data: [Float]

    public init(count: Int, height: Int, width: Int, data: [Float]) {
        self.count = count
        self.height = height
        self.width = width
        self.data = data
    }

    public init(_ json: JSON) throws {
        let r = try ResultReader(json, "raw images")
        count = try r.int("count")
        height = try r.int("height")
        width = try r.int("width")
        let bytes = try r.bytes("data")
        guard bytes.count == count * height * width * 3 * 4 else {
            throw ResultReader.Mismatch(description: "the daemon's raw images hold \(bytes.count) bytes, not \(count)x\(height)x\(width)x3 float32")
        }
        data = stride(from: 0, to: bytes.count, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }

    public var json: JSON {
        var bytes = [UInt8]()
        bytes.reserveCapacity(data.count * 4)
        for v in data {
            let b = v.bitPattern
            bytes += [UInt8(b & 0xff), UInt8(b >> 8 & 0xff), UInt8(b >> 16 & 0xff), UInt8(b >> 24)]
        }
        return ["count": JSON(count), "height": JSON(height), "width": JSON(width), "layout": "NHWC BGR float32 little-endian",
                "data": .string(Base64.encode(bytes))]
    }

    /// A NumPy .npy file (format 1.0): shape (height, width, 3) for one picture, else
    /// (count, height, width, 3); dtype little-endian float32.
    public var npy: [UInt8] {
        let shape = count == 1 ? "(\(height), \(width), 3)" : "(\(count), \(height), \(width), 3)"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, ending in \n.
        let total = (10 + header.utf8.count + 1 + 63) / 64 * 64
        header += String(repeating: " ", count: total - 10 - header.utf8.count - 1) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
        out += Array(header.utf8)
        out.reserveCapacity(out.count + data.count * 4)
        for v in data {
            let b = v.bitPattern
            out += [UInt8(b & 0xff), UInt8(b >> 8 & 0xff), UInt8(b >> 16 & 0xff), UInt8(b >> 24)]
        }
        return out
    }
}
