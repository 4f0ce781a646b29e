/// Vectorised 2x2/stride-2 max-pool over NHWC, eight channels at a time; matches
/// `ReferencePooling` exactly (same tie rule: the first maximum in reading order wins).
public enum MaxPool {
    public static func forward(
        input x: UnsafePointer<Float>, shape: TensorShape,
        output y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<UInt8>
    ) {
        precondition(shape.c % 8 == 0, "max-pool needs a multiple of 8 channels, got shape \(shape)")
        let o = shape.pooled
        let c = shape.c
        Parallel.forRanges(o.n * o.h, minChunk: 2) { rows in
            for row in rows {
                let n = row / o.h, i = row % o.h
                let top = x + ((n * shape.h + 2 * i) * shape.w) * c
                let bottom = top + shape.w * c
                for j in 0..<o.w {
                    let outBase = ((n * o.h + i) * o.w + j) * c
                    for g in stride(from: 0, to: c, by: 8) {
                        window(SIMD8Access.load(top + 2 * j * c + g), SIMD8Access.load(top + (2 * j + 1) * c + g),
                               SIMD8Access.load(bottom + 2 * j * c + g), SIMD8Access.load(bottom + (2 * j + 1) * c + g),
                               output: y + outBase + g, argmax: argmax + outBase + g)
                    }
                }
            }
        }
    }

    /// One 2x2 window of eight channels (top left, top right, bottom left, bottom right): its
    /// maximum to `output`, and to `argmax` which of the four won (0-3; the first maximum in
    /// reading order wins ties). Shared by `forward` and the Winograd output transform that
    /// pools as it stores (`PooledOutput`), so the two give the same bits.
    @inline(__always)
    static func window(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ d: SIMD8<Float>, _ e: SIMD8<Float>,
                       output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<UInt8>) {
        var best = a
        var which = SIMD8<Int32>(repeating: 0)
        let mb = b .> best
        best.replace(with: b, where: mb)
        which.replace(with: 1, where: mb)
        let md = d .> best
        best.replace(with: d, where: md)
        which.replace(with: 2, where: md)
        let me = e .> best
        best.replace(with: e, where: me)
        which.replace(with: 3, where: me)
        SIMD8Access.store(best, output)
        UnsafeMutableRawPointer(argmax).storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: which), as: SIMD8<UInt8>.self)
    }

    /// Writes the whole of dx: each window's gradient goes to its winner, every other input
    /// position (including a dropped odd last row/column) gets 0. With `reluMask` (the pooled
    /// layer's ReLU mask) it also applies that layer's backward ReLU as it writes.
    public static func backward(
        outputGradient dy: UnsafePointer<Float>, argmax: UnsafePointer<UInt8>, inShape: TensorShape,
        inputGradient dx: UnsafeMutablePointer<Float>, reluMask: UnsafePointer<UInt8>? = nil
    ) {
        precondition(inShape.c % 8 == 0, "max-pool needs a multiple of 8 channels, got shape \(inShape)")
        let o = inShape.pooled
        let c = inShape.c
        let relu: OutputReLU = reluMask.map { .apply($0) } ?? .none
        Parallel.forRanges(inShape.n * inShape.h, minChunk: 2) { rows in
            for row in rows {
                let n = row / inShape.h, yy = row % inShape.h
                let rowBase = (n * inShape.h + yy) * inShape.w * c
                let dxRow = dx + rowBase
                let i = yy / 2
                if i >= o.h {  // dropped odd last row
                    for k in 0..<(inShape.w * c) { dxRow[k] = 0 }
                    continue
                }
                let qRow = Int32((yy % 2) * 2)
                for xx in 0..<inShape.w {
                    let j = xx / 2
                    if j >= o.w {
                        for k in 0..<c { dxRow[xx * c + k] = 0 }
                        continue
                    }
                    let q = SIMD8<Int32>(repeating: qRow + Int32(xx % 2))
                    let outBase = ((n * o.h + i) * o.w + j) * c
                    let e0 = rowBase + xx * c
                    for g in stride(from: 0, to: c, by: 8) {
                        let v = winnerGradient(dy + outBase + g, argmax + outBase + g, q)
                        SIMD8Access.store(relu.store(v, element: e0 + g), dx + e0 + g)
                    }
                }
            }
        }
    }

    /// Eight channels of one input position's gradient: the window's gradient where this
    /// position won (its argmax byte equals `q`), else +0. Integer shifts and masks only: Swift
    /// compiles `.==` and `replacing(with:where:)` on integer lanes to a per-lane loop.
    @inline(__always)
    static func winnerGradient(_ dy: UnsafePointer<Float>, _ argmax: UnsafePointer<UInt8>, _ q: SIMD8<Int32>) -> SIMD8<Float> {
        let bytes = UnsafeRawPointer(argmax).loadUnaligned(as: SIMD8<UInt8>.self)
        let d = SIMD8<Int32>(truncatingIfNeeded: bytes) ^ q         // 0 where this position won, else 1 to 3
        let lost = (d | (SIMD8<Int32>(repeating: 0) &- d)) &>> 31  // all ones where d != 0
        return unsafeBitCast(unsafeBitCast(SIMD8Access.load(dy), to: SIMD8<Int32>.self) & ~lost, to: SIMD8<Float>.self)
    }
}
