/// One tile of Winograd F(m x m, 3x3), in and out: the per-tile work that both ways of running a
/// layer share, the three-phase `run` (whole-layer transform, GEMMs, transform) and the fused
/// `runFused` (the same per block of tiles, so the transformed data stays in L2). Sharing it
/// keeps both paths bit for bit the same. `F` (F(4x4) or F(6x6)) is a compile-time parameter:
/// every loop below has a constant trip count once specialised.
enum WinogradTile<F: WinogradTransform> {
    /// SIMD8 temporaries `input` needs: the column-transformed tile.
    static var inputScratch: Int { F.positions }

    /// SIMD8 temporaries `output` needs: the column-transformed tile and the m x m result.
    static var outputScratch: Int { F.inputSide * F.outputSide + F.outputSide * F.outputSide }

    /// B^T d B of the (m+2) x (m+2) input tile at (ty, tx) of image n, all channels, eight at a
    /// time: channel group g of transform position p goes to `out[p * pStride + g / 8]`.
    /// `tmp` holds `inputScratch` SIMD8 values.
    @inline(__always)
    static func input(_ x: UnsafePointer<Float>, _ s: TensorShape, n: Int, ty: Int, tx: Int,
                      into out: UnsafeMutablePointer<SIMD8<Float>>, pStride: Int, tmp: UnsafeMutablePointer<SIMD8<Float>>) {
        let cin = s.c, side = F.inputSide
        let zero = SIMD8<Float>(repeating: 0)
        let y0 = F.outputSide * ty - 1, x0 = F.outputSide * tx - 1
        let interior = y0 >= 0 && y0 + side <= s.h && x0 >= 0 && x0 + side <= s.w
        let rowStride = s.w * cin
        for g in stride(from: 0, to: cin, by: 8) {
            if interior {  // most tiles: no bounds checks
                let base = x + ((n * s.h + y0) * s.w + x0) * cin + g
                for c in 0..<side {
                    let p = base + c * cin
                    F.inputColumn({ r in SIMD8Access.load(p + r * rowStride) }, tmp + c, side)
                }
            } else {
                for c in 0..<side {
                    let xx = x0 + c
                    let colOK = xx >= 0 && xx < s.w
                    F.inputColumn({ r in
                        let yy = y0 + r
                        guard colOK && yy >= 0 && yy < s.h else { return zero }
                        return SIMD8Access.load(x + ((n * s.h + yy) * s.w + xx) * cin + g)
                    }, tmp + c, side)
                }
            }
            let o = out + g / 8
            for r in 0..<side {
                let t = tmp + side * r
                F.inputColumn({ c in t[c] }, o + side * r * pStride, pStride)
            }
        }
    }

    /// A^T m A for eight channels of one tile (`src[p * pStride]`, p = 0..<(m+2)^2), plus
    /// `layer.bias`, then `layer.relu`, stored as channels `g..<g+8` of the m x m block at
    /// (ty, tx) of image n of `layer.y` (`s`'s height and width, `cout` channels), clipped at the
    /// layer's edge. With `layer.pool`, the block's 2x2 windows are max-pooled instead and only
    /// they are stored (m is even, so windows never straddle tiles). `tmp` holds
    /// `outputScratch` SIMD8 values.
    @inline(__always)
    static func output(_ src: UnsafePointer<SIMD8<Float>>, pStride: Int, _ s: TensorShape, cout: Int, n: Int, ty: Int, tx: Int,
                       channel g: Int, _ layer: WinogradConvolution.LayerOutput, tmp: UnsafeMutablePointer<SIMD8<Float>>) {
        let side = F.inputSide, m = F.outputSide
        let out = tmp + side * m
        for c in 0..<side {
            F.outputColumn(src + c * pStride, side * pStride, tmp + c, side)
        }
        for r in 0..<m {
            F.outputColumn(tmp + side * r, 1, out + m * r, 1)
        }
        let b = layer.bias.map { SIMD8Access.load($0 + g) } ?? SIMD8<Float>(repeating: 0)
        for r in 0..<m {
            let yy = m * ty + r
            if yy >= s.h { break }
            for c in 0..<m {
                let xx = m * tx + c
                if xx >= s.w { break }
                let e = ((n * s.h + yy) * s.w + xx) * cout + g
                let v = layer.relu.store(out[m * r + c] + b, element: e)
                if layer.pool == nil { SIMD8Access.store(v, layer.y + e) } else { out[m * r + c] = v }
            }
        }
        if let pool = layer.pool { pooled(out, s, cout: cout, n: n, ty: ty, tx: tx, channel: g, into: pool) }
    }

    /// The m x m values of one tile (`out`, after bias and ReLU) max-pooled into `pool`. Out of
    /// line: inlined, it made `output` too big for Swift to inline `output` itself, a call per
    /// tile and channel group on every layer.
    @inline(never)
    static func pooled(_ out: UnsafePointer<SIMD8<Float>>, _ s: TensorShape, cout: Int, n: Int, ty: Int, tx: Int,
                       channel g: Int, into pool: PooledOutput) {
        // Every window inside the pooled layer lies inside the layer; an odd last row or column
        // belongs to none (`TensorShape.pooled`), as in `MaxPool.forward`.
        let m = F.outputSide, ph = s.h / 2, pw = s.w / 2, half = m / 2
        for r in 0..<half {
            let py = half * ty + r
            if py >= ph { break }
            for c in 0..<half {
                let px = half * tx + c
                if px >= pw { break }
                let o = ((n * ph + py) * pw + px) * cout + g
                let tl = out + 2 * (m * r + c)
                MaxPool.window(tl[0], tl[1], tl[m], tl[m + 1], output: pool.output + o, argmax: pool.argmax + o)
            }
        }
    }
}
