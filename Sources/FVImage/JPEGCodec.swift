import CJPEGShim
#if canImport(Glibc)
import Glibc
#endif

public struct JPEGError: Error, CustomStringConvertible, Equatable {
    public let description: String
}

/// JPEG through libjpeg-turbo, the only Swift file that sees it. libjpeg's errors longjmp; the C
/// shim (Sources/CJPEGShim) catches them in C, so here every failure is a return code and a
/// message. The header is read before any pixel memory, so a JPEG that declares huge
/// dimensions is refused cheaply; damaged data (even what libjpeg calls a warning) is an error.
public enum JPEGCodec {
    static let magic: [UInt8] = [0xFF, 0xD8, 0xFF]

    public static func isJPEG(_ bytes: [UInt8]) -> Bool { bytes.starts(with: magic) }

    public static func dimensions(_ bytes: [UInt8], maxSide: Int = 4096) throws -> (width: Int, height: Int) {
        guard isJPEG(bytes) else { throw JPEGError(description: "the image is not a JPEG file (bad signature)") }
        var w: Int32 = 0, h: Int32 = 0
        var err = [CChar](repeating: 0, count: 256)
        let ok = bytes.withUnsafeBufferPointer { fvd_jpeg_dimensions($0.baseAddress, $0.count, &w, &h, &err, err.count) }
        guard ok != 0 else { throw JPEGError(description: "cannot read the JPEG: \(String(cString: err))") }
        guard w >= 1, h >= 1, Int(w) <= maxSide, Int(h) <= maxSide else {
            throw JPEGError(description: "the JPEG is \(w)x\(h) pixels; at most \(maxSide)x\(maxSide) is accepted, scale it down first")
        }
        return (Int(w), Int(h))
    }

    public static func decode(_ bytes: [UInt8], maxSide: Int = 4096) throws -> RGBImage {
        let (w, h) = try dimensions(bytes, maxSide: maxSide)
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        var err = [CChar](repeating: 0, count: 256)
        let ok = bytes.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { fvd_jpeg_decode_rgb(src.baseAddress, src.count, Int32(maxSide), $0.baseAddress, $0.count, &err, err.count) }
        }
        guard ok != 0 else { throw JPEGError(description: "the JPEG is damaged: \(String(cString: err))") }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    /// For tests and tools: 8-bit RGB to JPEG at `quality` (1-100).
    public static func encode(_ img: RGBImage, quality: Int = 90) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var err = [CChar](repeating: 0, count: 256)
        let ok = img.pixels.withUnsafeBufferPointer {
            fvd_jpeg_encode_rgb($0.baseAddress, Int32(img.width), Int32(img.height), Int32(quality), &out, &size, &err, err.count)
        }
        defer { free(out) }
        guard ok != 0, let out else { throw JPEGError(description: "JPEG encoding failed: \(String(cString: err))") }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }
}

/// A photo as clients send it: PNG or JPEG, told apart by their first bytes.
public enum ImageFile {
    public static func dimensions(_ bytes: [UInt8], maxSide: Int) throws -> (width: Int, height: Int) {
        JPEGCodec.isJPEG(bytes) ? try JPEGCodec.dimensions(bytes, maxSide: maxSide) : try PNGCodec.dimensions(bytes, maxSide: maxSide)
    }

    public static func decode(_ bytes: [UInt8], maxSide: Int) throws -> RGBImage {
        JPEGCodec.isJPEG(bytes) ? try JPEGCodec.decode(bytes, maxSide: maxSide) : try PNGCodec.decode(bytes, maxSide: maxSide)
    }
}
