/// The target layer when only one filter per image matters: the ascent's objective reads one
/// channel of the target layer, so its forward needs that channel alone and its backward starts
/// from a gradient that is zero in every other channel. Computing just that channel directly
/// (9 taps x cin multiply-adds a pixel) replaces a full cin -> cout Winograd convolution in
/// both directions.
///
/// Weights: `packed` holds, for each image n, filter f_n's kernel as [tap][cin] (see `pack`).
public enum ChannelHead {
    /// Packs filter `f` of OIHW `weights` ([cout][cin][3][3]) as [tap][cin] into `out`.
    public static func pack(weights: UnsafePointer<Float>, inChannels cin: Int, filter f: Int, into out: UnsafeMutablePointer<Float>) {
        for ci in 0..<cin {
            for tap in 0..<9 { out[tap * cin + ci] = weights[(f * cin + ci) * 9 + tap] }
        }
    }

    /// y[n, p] = max(0, bias_n + sum over taps and ci of x[n, p + tap, ci] * w_n[tap][ci]), and
    /// positive[n*h*w + p] = 1 where that sum was > 0. `packed` holds n blocks of 9*cin floats.
    /// Without `relu`, y is the sum itself and every `positive` is 1 (backward passes all).
    public static func forward(
        input x: UnsafePointer<Float>, shape s: TensorShape, packed: UnsafePointer<Float>, bias: [Float],
        output y: UnsafeMutablePointer<Float>, positive: UnsafeMutablePointer<UInt8>, relu: Bool = true
    ) {
        precondition(s.c % 8 == 0 && bias.count == s.n, "channel head needs cin % 8 == 0 and one bias per image, got \(s)")
        let cin = s.c
        Parallel.forRanges(s.n * s.h, minChunk: 1) { rows in
            for row in rows {
                let n = row / s.h, i = row % s.h
                let w = packed + n * 9 * cin
                for j in 0..<s.w {
                    var acc = SIMD8<Float>(repeating: 0)
                    for ky in 0..<3 {
                        let yy = i + ky - 1
                        if yy < 0 || yy >= s.h { continue }
                        for kx in 0..<3 {
                            let xx = j + kx - 1
                            if xx < 0 || xx >= s.w { continue }
                            let xp = x + ((n * s.h + yy) * s.w + xx) * cin
                            let wp = w + (ky * 3 + kx) * cin
                            for g in stride(from: 0, to: cin, by: 8) {
                                acc.addProduct(SIMD8Access.load(xp + g), SIMD8Access.load(wp + g))
                            }
                        }
                    }
                    let v = acc.sum() + bias[n]
                    let k = (n * s.h + i) * s.w + j
                    positive[k] = !relu || v > 0 ? 1 : 0
                    y[k] = relu ? max(v, 0) : v
                }
            }
        }
    }

    /// dx[n, q, ci] = sum over taps of g[n, q - tap] * w_n[tap][ci], where g = dy masked by
    /// `positive` (the ReLU's backward). `inShape` is the shape of x (and dx).
    public static func backward(
        outputGradient dy: UnsafePointer<Float>, positive: UnsafePointer<UInt8>, inShape s: TensorShape,
        packed: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>
    ) {
        let cin = s.c
        Parallel.forRanges(s.n * s.h, minChunk: 1) { rows in
            for row in rows {
                let n = row / s.h, i = row % s.h
                let w = packed + n * 9 * cin
                for j in 0..<s.w {
                    let out = dx + ((n * s.h + i) * s.w + j) * cin
                    for g in stride(from: 0, to: cin, by: 8) { SIMD8Access.store(SIMD8<Float>(repeating: 0), out + g) }
                    for ky in 0..<3 {
                        let yy = i - ky + 1
                        if yy < 0 || yy >= s.h { continue }
                        for kx in 0..<3 {
                            let xx = j - kx + 1
                            if xx < 0 || xx >= s.w { continue }
                            let k = (n * s.h + yy) * s.w + xx
                            if positive[k] == 0 { continue }
                            let d = SIMD8<Float>(repeating: dy[k])
                            let wp = w + (ky * 3 + kx) * cin
                            for g in stride(from: 0, to: cin, by: 8) {
                                var o = SIMD8Access.load(out + g)
                                o.addProduct(d, SIMD8Access.load(wp + g))
                                SIMD8Access.store(o, out + g)
                            }
                        }
                    }
                }
            }
        }
    }
}
