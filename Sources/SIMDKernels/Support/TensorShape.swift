/// The shape of an activation tensor. Every tensor in fvd is NHWC (channels last) float32:
/// element (n, y, x, c) lives at `((n * h + y) * w + x) * c + c`. Channels last lets every kernel
/// work on eight channels at once with one `SIMD8<Float>`.
public struct TensorShape: Equatable, Hashable, CustomStringConvertible, Sendable {
    public var n: Int
    public var h: Int
    public var w: Int
    public var c: Int

    public init(n: Int, h: Int, w: Int, c: Int) {
        self.n = n
        self.h = h
        self.w = w
        self.c = c
    }

    public var count: Int { n * h * w * c }
    public var pixels: Int { h * w }

    /// The shape after a 2x2/stride-2 max-pool, which floors odd sizes as Keras does.
    public var pooled: TensorShape { TensorShape(n: n, h: h / 2, w: w / 2, c: c) }

    public func with(c newC: Int) -> TensorShape { TensorShape(n: n, h: h, w: w, c: newC) }

    public var description: String { "\(n)x\(h)x\(w)x\(c)" }
}
