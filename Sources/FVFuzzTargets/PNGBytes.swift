import FVImage

/// The PNG decoder alone (libpng's simplified API): the header check, the size limit and the
/// pixel decode, on any bytes. The first two bytes choose the size limit, so the fuzzer reaches
/// both sides of it.
public enum PNGBytes {
    public static func exercise(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count >= 10 else { return }
        let maxSide = 1 + (Int(bytes[0]) << 8 | Int(bytes[1])) % 1024
        let png = Array(bytes[2...])
        let size = try? PNGCodec.dimensions(png, maxSide: maxSide)
        if let img = try? PNGCodec.decode(png, maxSide: maxSide) {
            precondition(size.map { $0.width == img.width && $0.height == img.height } ?? false, "header and decode disagree on the size")
            precondition(img.pixels.count == img.width * img.height * 3)
        }
    }
}
