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
                        let a = SIMD8Access.load(top + 2 * j * c + g)
                        let b = SIMD8Access.load(top + (2 * j + 1) * c + g)
                        let d = SIMD8Access.load(bottom + 2 * j * c + g)
                        let e = SIMD8Access.load(bottom + (2 * j + 1) * c + g)
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
                        SIMD8Access.store(best, y + outBase + g)
                        let bytes = SIMD8<UInt8>(truncatingIfNeeded: which)
                        UnsafeMutableRawPointer(argmax + outBase + g).storeBytes(of: bytes, as: SIMD8<UInt8>.self)
                    }
                }
            }
        }
    }

    /// Writes the whole of dx: each window's gradient goes to its winner, every other input
    /// position (including a dropped odd last row/column) gets 0.
    public static func backward(
        outputGradient dy: UnsafePointer<Float>, argmax: UnsafePointer<UInt8>, inShape: TensorShape,
        inputGradient dx: UnsafeMutablePointer<Float>
    ) {
        precondition(inShape.c % 8 == 0, "max-pool needs a multiple of 8 channels, got shape \(inShape)")
        let o = inShape.pooled
        let c = inShape.c
        let zero = SIMD8<Float>(repeating: 0)
        Parallel.forRanges(inShape.n * inShape.h, minChunk: 2) { rows in
            for row in rows {
                let n = row / inShape.h, yy = row % inShape.h
                let dxRow = dx + (n * inShape.h + yy) * inShape.w * c
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
                    for g in stride(from: 0, to: c, by: 8) {
                        let bytes = UnsafeRawPointer(argmax + outBase + g).loadUnaligned(as: SIMD8<UInt8>.self)
                        let won = SIMD8<Int32>(truncatingIfNeeded: bytes) .== q
                        let v = zero.replacing(with: SIMD8Access.load(dy + outBase + g), where: won)
                        SIMD8Access.store(v, dxRow + xx * c + g)
                    }
                }
            }
        }
    }
}
