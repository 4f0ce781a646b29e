import FVImage

/// An image decoder alone: the header check, the size limit and the pixel decode, on any bytes.
/// The first two bytes choose the size limit, so the fuzzer reaches both sides of it.
enum ImageBytes {
    static func exercise(_ bytes: UnsafeBufferPointer<UInt8>, dimensions: ([UInt8], Int) throws -> (width: Int, height: Int),
                         decode: ([UInt8], Int) throws -> RGBImage) {
        guard bytes.count >= 5 else { return }
        let maxSide = 1 + (Int(bytes[0]) << 8 | Int(bytes[1])) % 1024
        let file = Array(bytes[2...])
        let size = try? dimensions(file, maxSide)
        if let img = try? decode(file, maxSide) {
            precondition(size.map { $0.width == img.width && $0.height == img.height } ?? false, "header and decode disagree on the size")
            precondition(img.pixels.count == img.width * img.height * 3)
        }
    }
}

/// libpng's simplified API.
public enum PNGBytes {
    public static func exercise(_ bytes: UnsafeBufferPointer<UInt8>) {
        ImageBytes.exercise(bytes, dimensions: { try PNGCodec.dimensions($0, maxSide: $1) }, decode: { try PNGCodec.decode($0, maxSide: $1) })
    }
}

/// libjpeg-turbo through the C shim that keeps its longjmps in C.
public enum JPEGBytes {
    public static func exercise(_ bytes: UnsafeBufferPointer<UInt8>) {
        ImageBytes.exercise(bytes, dimensions: { try JPEGCodec.dimensions($0, maxSide: $1) }, decode: { try JPEGCodec.decode($0, maxSide: $1) })
    }
}
