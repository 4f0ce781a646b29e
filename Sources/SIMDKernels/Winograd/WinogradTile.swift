/// One tile of Winograd F(4x4,3x3), in and out: the per-tile work that both ways of running a
/// layer share, the three-phase `run` (whole-layer transform, GEMMs, transform) and the fused
/// `runFused` (the same per block of tiles, so the transformed data stays in L2). Sharing it
/// keeps both paths bit for bit the same.
enum WinogradTile {
    /// SIMD8 temporaries `output` needs.
    static let outputScratch = 24 + 16

    /// B^T d B of the 6x6 input tile at (ty, tx) of image n, all channels, eight at a time:
    /// channel group g of transform position p goes to `out[p * pStride + g / 8]`.
    /// `tmp` holds 36 SIMD8 values.
    @inline(__always)
    static func input(_ x: UnsafePointer<Float>, _ s: TensorShape, n: Int, ty: Int, tx: Int,
                      into out: UnsafeMutablePointer<SIMD8<Float>>, pStride: Int, tmp: UnsafeMutablePointer<SIMD8<Float>>) {
        let cin = s.c
        let zero = SIMD8<Float>(repeating: 0)
        let y0 = 4 * ty - 1, x0 = 4 * tx - 1
        let interior = y0 >= 0 && y0 + 6 <= s.h && x0 >= 0 && x0 + 6 <= s.w
        let rowStride = s.w * cin
        for g in stride(from: 0, to: cin, by: 8) {
            if interior {  // most tiles: no bounds checks
                let base = x + ((n * s.h + y0) * s.w + x0) * cin + g
                for c in 0..<6 {
                    let p = base + c * cin
                    WinogradF43.inputColumn(
                        SIMD8Access.load(p), SIMD8Access.load(p + rowStride), SIMD8Access.load(p + 2 * rowStride),
                        SIMD8Access.load(p + 3 * rowStride), SIMD8Access.load(p + 4 * rowStride),
                        SIMD8Access.load(p + 5 * rowStride), tmp + c, 6)
                }
            } else {
                for c in 0..<6 {
                    let xx = x0 + c
                    let colOK = xx >= 0 && xx < s.w
                    @inline(__always) func at(_ r: Int) -> SIMD8<Float> {
                        let yy = y0 + r
                        guard colOK && yy >= 0 && yy < s.h else { return zero }
                        return SIMD8Access.load(x + ((n * s.h + yy) * s.w + xx) * cin + g)
                    }
                    WinogradF43.inputColumn(at(0), at(1), at(2), at(3), at(4), at(5), tmp + c, 6)
                }
            }
            let o = out + g / 8
            for r in 0..<6 {
                let t = tmp + 6 * r
                WinogradF43.inputColumn(t[0], t[1], t[2], t[3], t[4], t[5], o + 6 * r * pStride, pStride)
            }
        }
    }

    /// A^T m A for eight channels of one tile (`src[p * pStride]`, p = 0..<36), plus bias, then
    /// the `relu` step, stored as channels `g..<g+8` of the 4x4 block at (ty, tx) of image n of
    /// the output (`s`'s height and width, `cout` channels), clipped at the layer's edge. `tmp`
    /// holds `outputScratch` SIMD8 values.
    @inline(__always)
    static func output(_ src: UnsafePointer<SIMD8<Float>>, pStride: Int, _ s: TensorShape, cout: Int, n: Int, ty: Int, tx: Int,
                       channel g: Int, bias: UnsafePointer<Float>?, relu: OutputReLU,
                       y: UnsafeMutablePointer<Float>, tmp: UnsafeMutablePointer<SIMD8<Float>>) {
        let out4 = tmp + 24
        for c in 0..<6 {
            WinogradF43.outputColumn(src + c * pStride, 6 * pStride, tmp + c, 6)
        }
        for r in 0..<4 {
            WinogradF43.outputColumn(tmp + 6 * r, 1, out4 + 4 * r, 1)
        }
        let b = bias.map { SIMD8Access.load($0 + g) } ?? SIMD8<Float>(repeating: 0)
        for r in 0..<4 {
            let yy = 4 * ty + r
            if yy >= s.h { break }
            for c in 0..<4 {
                let xx = 4 * tx + c
                if xx >= s.w { break }
                let e = ((n * s.h + yy) * s.w + xx) * cout + g
                SIMD8Access.store(relu.store(out4[4 * r + c] + b, element: e), y + e)
            }
        }
    }
}
