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
/// dimensions is refused cheaply; damaged data (even what libjpeg calls a warning) is an error;
/// a progressive JPEG may have at most `maxScans` scans, and a decode can be stopped.
public enum JPEGCodec {
    static let magic: [UInt8] = [0xFF, 0xD8, 0xFF]

    public static func isJPEG(_ bytes: [UInt8]) -> Bool { bytes.starts(with: magic) }

    /// The most progressive scans fvd decodes (libjpeg-turbo's djpeg stops at 500 too): each scan
    /// is a pass over every coefficient, so a small file with thousands of legal scans would
    /// cost minutes of CPU.
    public static let maxScans = 500

    /// The picture's size as a viewer shows it (after its EXIF orientation), before any pixel is
    /// decoded.
    public static func dimensions(_ bytes: [UInt8], maxSide: Int = 4096) throws -> (width: Int, height: Int) {
        let h = try header(bytes, maxSide: maxSide)
        return h.orientation >= 5 ? (h.height, h.width) : (h.width, h.height)
    }

    /// The stored size and the EXIF orientation (1-8).
    static func header(_ bytes: [UInt8], maxSide: Int) throws -> (width: Int, height: Int, orientation: Int) {
        guard isJPEG(bytes) else { throw JPEGError(description: "the image is not a JPEG file (bad signature)") }
        var w: Int32 = 0, h: Int32 = 0, orientation: Int32 = 1
        var err = [CChar](repeating: 0, count: 256)
        let ok = bytes.withUnsafeBufferPointer { fvd_jpeg_dimensions($0.baseAddress, $0.count, &w, &h, &orientation, &err, err.count) }
        guard ok != 0 else { throw JPEGError(description: "cannot read the JPEG: \(String(cString: err))") }
        guard w >= 1, h >= 1, Int(w) <= maxSide, Int(h) <= maxSide else {
            throw JPEGError(description: "the JPEG is \(w)x\(h) pixels; at most \(maxSide)x\(maxSide) is accepted, scale it down first")
        }
        return (Int(w), Int(h), Int(orientation))
    }

    /// Thrown when `shouldStop` answered true during a decode.
    public struct Stopped: Error {}

    /// Decodes to RGB as a viewer shows it: CMYK and YCCK converted (Adobe's inverted inks too),
    /// the EXIF orientation applied. `shouldStop` is asked between chunks of work (a cancelled
    /// job, a time limit): when it answers true the decode ends with `Stopped`.
    public static func decode(_ bytes: [UInt8], maxSide: Int = 4096, maxScans: Int = JPEGCodec.maxScans,
                              shouldStop: (() -> Bool)? = nil) throws -> RGBImage {
        let (w, h, orientation) = try header(bytes, maxSide: maxSide)
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        var err = [CChar](repeating: 0, count: 256)
        let box = StopBox(shouldStop ?? { false })
        let context = Unmanaged.passRetained(box)
        defer { context.release() }
        let ok = bytes.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer {
                fvd_jpeg_decode_rgb(src.baseAddress, src.count, Int32(maxSide), Int32(maxScans),
                                    { StopBox.from($0).shouldStop() ? 1 : 0 }, context.toOpaque(),
                                    $0.baseAddress, $0.count, &err, err.count)
            }
        }
        if ok == -1 { throw Stopped() }
        if ok == -2 { throw JPEGError(description: String(cString: err)) }
        guard ok != 0 else { throw JPEGError(description: "the JPEG is damaged: \(String(cString: err))") }
        return RGBImage(width: w, height: h, pixels: pixels).oriented(exif: orientation)
    }

    /// The Swift closure behind the C progress callback's context pointer.
    private final class StopBox {
        let shouldStop: () -> Bool
        init(_ f: @escaping () -> Bool) { shouldStop = f }
        static func from(_ p: UnsafeMutableRawPointer?) -> StopBox { Unmanaged<StopBox>.fromOpaque(p!).takeUnretainedValue() }
    }

    /// For tests and tools: 8-bit RGB to JPEG at `quality` (1-100).
    public static func encode(_ img: RGBImage, quality: Int = 90) throws -> [UInt8] {
        try encode(img.pixels, width: img.width, height: img.height, components: 3, quality: quality)
    }

    /// For tests and the fuzz corpus: `components` 3 (RGB) or 4 (CMYK inks as given, stored as
    /// CMYK or, with `ycck`, YCCK); `progressionPasses` 1-3 writes a legal progressive JPEG of
    /// one scan per coefficient, component and pass (191, 380 or 569 scans for RGB: 3 passes is
    /// more than `maxScans`).
    public static func encode(_ pixels: [UInt8], width: Int, height: Int, components: Int, ycck: Bool = false,
                              progressionPasses: Int = 0, quality: Int = 90) throws -> [UInt8] {
        precondition(pixels.count == width * height * components && (components == 3 || components == 4))
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var err = [CChar](repeating: 0, count: 256)
        let ok = pixels.withUnsafeBufferPointer {
            fvd_jpeg_encode($0.baseAddress, Int32(width), Int32(height), Int32(components), ycck ? 1 : 0, Int32(progressionPasses),
                            Int32(quality), &out, &size, &err, err.count)
        }
        defer { free(out) }
        guard ok != 0, let out else { throw JPEGError(description: "JPEG encoding failed: \(String(cString: err))") }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }
}

/// A photo as clients send it: PNG or JPEG, told apart by their first bytes.
public enum ImageFile {
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func dimensions(_ bytes: [UInt8], maxSide: Int) throws -> (width: Int, height: Int) {
        if JPEGCodec.isJPEG(bytes) { return try JPEGCodec.dimensions(bytes, maxSide: maxSide) }
        guard bytes.starts(with: pngSignature) else {
            // A file's name says nothing: a text file named photo.jpg is neither.
            throw PNGError(description: "the image is neither a PNG nor a JPEG file (its first bytes are neither's signature); send a PNG or JPEG picture")
        }
        return try PNGCodec.dimensions(bytes, maxSide: maxSide)
    }

    /// `shouldStop` (JPEG only: a PNG's cost is bounded by its size) is asked during the decode.
    public static func decode(_ bytes: [UInt8], maxSide: Int, shouldStop: (() -> Bool)? = nil) throws -> RGBImage {
        JPEGCodec.isJPEG(bytes)
            ? try JPEGCodec.decode(bytes, maxSide: maxSide, shouldStop: shouldStop) : try PNGCodec.decode(bytes, maxSide: maxSide)
    }
}
