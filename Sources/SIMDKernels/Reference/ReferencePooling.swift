/// Plain-loop 2x2/stride-2 max-pool and ReLU, the oracle for the vectorised versions.
/// Odd sizes floor (the last row/column is dropped) as Keras' "valid" pooling does.
public enum ReferencePooling {
    /// Writes the pooled values and, per output element, which of the four window positions won
    /// (0 = top-left, 1 = top-right, 2 = bottom-left, 3 = bottom-right; the first maximum wins).
    public static func maxPoolForward(
        input x: UnsafePointer<Float>, shape: TensorShape,
        output y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<UInt8>
    ) {
        let o = shape.pooled
        for n in 0..<o.n {
            for i in 0..<o.h {
                for j in 0..<o.w {
                    for c in 0..<o.c {
                        var best = -Float.infinity
                        var which: UInt8 = 0
                        for q in 0..<4 {
                            let yy = 2 * i + q / 2, xx = 2 * j + q % 2
                            let v = x[((n * shape.h + yy) * shape.w + xx) * shape.c + c]
                            if v > best { best = v; which = UInt8(q) }
                        }
                        let k = ((n * o.h + i) * o.w + j) * o.c + c
                        y[k] = best
                        argmax[k] = which
                    }
                }
            }
        }
    }

    /// Routes each output gradient to the input position that won; everything else gets 0.
    public static func maxPoolBackward(
        outputGradient dy: UnsafePointer<Float>, argmax: UnsafePointer<UInt8>, inShape: TensorShape,
        inputGradient dx: UnsafeMutablePointer<Float>
    ) {
        let o = inShape.pooled
        for k in 0..<inShape.count { dx[k] = 0 }
        for n in 0..<o.n {
            for i in 0..<o.h {
                for j in 0..<o.w {
                    for c in 0..<o.c {
                        let k = ((n * o.h + i) * o.w + j) * o.c + c
                        let q = Int(argmax[k])
                        let yy = 2 * i + q / 2, xx = 2 * j + q % 2
                        dx[((n * inShape.h + yy) * inShape.w + xx) * inShape.c + c] = dy[k]
                    }
                }
            }
        }
    }
}
