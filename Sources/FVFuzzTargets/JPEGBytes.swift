import FVImage

/// The JPEG decoder alone (libjpeg-turbo through the C shim that keeps its longjmps in C): the
/// header, the size limit and the decode, on any bytes. The first two bytes choose the size
/// limit, so the fuzzer reaches both sides of it.
public enum JPEGBytes {
    public static func exercise(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count >= 5 else { return }
        let maxSide = 1 + (Int(bytes[0]) << 8 | Int(bytes[1])) % 1024
        let jpeg = Array(bytes[2...])
        let size = try? JPEGCodec.dimensions(jpeg, maxSide: maxSide)
        if let img = try? JPEGCodec.decode(jpeg, maxSide: maxSide) {
            precondition(size.map { $0.width == img.width && $0.height == img.height } ?? false, "header and decode disagree on the size")
        }
    }
}
