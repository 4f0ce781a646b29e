import CPNG

/// An 8-bit RGB image, rows top to bottom, 3 bytes a pixel.
public struct RGBImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGB image needs width*height*3 bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

public struct PNGError: Error, CustomStringConvertible, Equatable {
    public let description: String
}

/// PNG through libpng's simplified `png_image_*` API, the only Swift file that sees libpng.
/// That API reports errors in `image.message` and never longjmps through Swift frames.
public enum PNGCodec {
    /// Encodes 8-bit RGB.
    public static func encode(_ img: RGBImage) throws -> [UInt8] {
        try encode(pixels: img.pixels, width: img.width, height: img.height, format: UInt32(PNG_FORMAT_RGB))
    }

    /// Encodes 8-bit RGB with `alpha` (0...1 per pixel) as its opacity: RGBA.
    public static func encode(_ img: RGBImage, alpha: [Float]) throws -> [UInt8] {
        precondition(alpha.count == img.width * img.height, "one alpha per pixel")
        var px = [UInt8](repeating: 0, count: alpha.count * 4)
        for p in alpha.indices {
            for c in 0..<3 { px[4 * p + c] = img.pixels[3 * p + c] }
            px[4 * p + 3] = UInt8((max(0, min(1, alpha[p])) * 255).rounded())
        }
        return try encode(pixels: px, width: img.width, height: img.height, format: UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA))
    }

    static func encode(pixels: [UInt8], width: Int, height: Int, format: UInt32) throws -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = format
        let img = (pixels: pixels, width: width)
        var size: Int = 0
        let ok1 = img.pixels.withUnsafeBytes { px in
            png_image_write_to_memory(&image, nil, &size, 0, px.baseAddress, 0, nil)
        }
        guard ok1 != 0, size > 0 else { throw PNGError(description: "PNG encoding failed: \(message(&image))") }
        var out = [UInt8](repeating: 0, count: size)
        let ok2 = out.withUnsafeMutableBytes { o in
            img.pixels.withUnsafeBytes { px in
                png_image_write_to_memory(&image, o.baseAddress, &size, 0, px.baseAddress, 0, nil)
            }
        }
        guard ok2 != 0 else { throw PNGError(description: "PNG encoding failed: \(message(&image))") }
        return Array(out.prefix(size))
    }

    /// Decodes any PNG libpng reads into 8-bit RGB (alpha composited on black, grey expanded).
    /// The header is checked before any pixel memory is allocated, so a PNG that declares huge
    /// dimensions (a "PNG bomb") is refused cheaply.
    public static func decode(_ bytes: [UInt8], maxSide: Int = 4096) throws -> RGBImage {
        guard bytes.count >= 8, bytes.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw PNGError(description: "the image is not a PNG file (bad signature); send PNG bytes")
        }
        // libpng keeps a pointer to the bytes between begin and finish, so both happen inside
        // one withUnsafeBytes.
        return try bytes.withUnsafeBytes { raw -> RGBImage in
            var image = png_image()
            image.version = UInt32(PNG_IMAGE_VERSION)
            guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
                throw PNGError(description: "cannot read the PNG: \(message(&image))")
            }
            let w = Int(image.width), h = Int(image.height)
            guard w >= 1, h >= 1, w <= maxSide, h <= maxSide else {
                png_image_free(&image)
                throw PNGError(description: "the PNG is \(w)x\(h) pixels; at most \(maxSide)x\(maxSide) is accepted, scale it down first")
            }
            image.format = UInt32(PNG_FORMAT_RGB)
            var pixels = [UInt8](repeating: 0, count: w * h * 3)
            let done = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
            guard done != 0 else { throw PNGError(description: "the PNG is damaged: \(message(&image))") }
            return RGBImage(width: w, height: h, pixels: pixels)
        }
    }

    /// A PNG's width and height from its header alone (no pixel memory), checked against
    /// `maxSide` as `decode` checks them.
    public static func dimensions(_ bytes: [UInt8], maxSide: Int = 4096) throws -> (width: Int, height: Int) {
        guard bytes.count >= 8, bytes.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw PNGError(description: "the image is not a PNG file (bad signature); send PNG bytes")
        }
        return try bytes.withUnsafeBytes { raw in
            var image = png_image()
            image.version = UInt32(PNG_IMAGE_VERSION)
            guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
                throw PNGError(description: "cannot read the PNG: \(message(&image))")
            }
            png_image_free(&image)
            let w = Int(image.width), h = Int(image.height)
            guard w >= 1, h >= 1, w <= maxSide, h <= maxSide else {
                throw PNGError(description: "the PNG is \(w)x\(h) pixels; at most \(maxSide)x\(maxSide) is accepted, scale it down first")
            }
            return (w, h)
        }
    }

    static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
