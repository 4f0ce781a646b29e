/// The register-blocked inner loop of every Winograd GEMM: a 6x16 block of C (6 rows of the
/// transformed tiles, 16 output channels) held in twelve ymm accumulators while k runs over the
/// input channels. Per k it loads two 8-float vectors of B, broadcasts six floats of A and does
/// twelve FMAs. Twelve independent chains because Zen 2 to 4 issue two FMAs a cycle with a
/// latency of 4 to 5: the eight chains of the older 4x16 block left no slack, so any late load
/// stalled both pipes (6x16 measured 1.2x faster per FLOP on Zen 3; docs/PERFORMANCE.md).
/// `run4x16` remains for the last rows of a GEMM whose row count is not a multiple of 6;
/// `run(rows:…)` picks between them.
///
/// Layout: row r of A is `a + r * lda` (k contiguous); B is packed as `[k][16]`;
/// row r of C is `c + r * ldc` (16 contiguous floats). C is overwritten, not accumulated.
/// Every C element is one FMA chain over k in order, so both shapes give the same bits.
public enum GEMMMicroKernel {
    public static let rows = 6
    public static let columns = 16

    /// C rows `rows` (a multiple of 4 in length, as Winograd's tile count is padded) =
    /// A rows `rows` times B, in blocks of 6 and, for what 6 does not divide, one or two of 4.
    /// `a` and `c` point at row 0.
    @inline(__always)
    public static func run(
        rows: Range<Int>, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, k: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        rowBlocks(rows.lowerBound, rows.upperBound) { t, n in
            if n == 6 {
                run6x16(a: a + t * lda, lda: lda, b: b, k: k, c: c + t * ldc, ldc: ldc)
            } else {
                run4x16(a: a + t * lda, lda: lda, b: b, k: k, c: c + t * ldc, ldc: ldc)
            }
        }
    }

    /// Splits rows r0..<r1 (a multiple of 4 long) into blocks of 6 and, for what 6 does not
    /// divide, one or two blocks of 4 at the end: `body(firstRow, 6 or 4)`.
    @inline(__always)
    public static func rowBlocks(_ r0: Int, _ r1: Int, _ body: (Int, Int) -> Void) {
        let n = r1 - r0
        let fours = n % 6 == 0 ? 0 : (n % 6 == 4 ? 1 : 2)
        let sixEnd = r1 - 4 * fours
        var t = r0
        while t < sixEnd { body(t, 6); t += 6 }
        while t < r1 { body(t, 4); t += 4 }
    }

    @inline(__always)
    public static func run6x16(
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, k: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
        var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
        var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
        var c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        var bp = b
        for kk in 0..<k {
            let b0 = SIMD8Access.load(bp)
            let b1 = SIMD8Access.load(bp + 8)
            bp += 16
            let x0 = SIMD8<Float>(repeating: a0[kk])
            c00.addProduct(x0, b0)
            c01.addProduct(x0, b1)
            let x1 = SIMD8<Float>(repeating: a1[kk])
            c10.addProduct(x1, b0)
            c11.addProduct(x1, b1)
            let x2 = SIMD8<Float>(repeating: a2[kk])
            c20.addProduct(x2, b0)
            c21.addProduct(x2, b1)
            let x3 = SIMD8<Float>(repeating: a3[kk])
            c30.addProduct(x3, b0)
            c31.addProduct(x3, b1)
            let x4 = SIMD8<Float>(repeating: a4[kk])
            c40.addProduct(x4, b0)
            c41.addProduct(x4, b1)
            let x5 = SIMD8<Float>(repeating: a5[kk])
            c50.addProduct(x5, b0)
            c51.addProduct(x5, b1)
        }
        SIMD8Access.store(c00, c)
        SIMD8Access.store(c01, c + 8)
        SIMD8Access.store(c10, c + ldc)
        SIMD8Access.store(c11, c + ldc + 8)
        SIMD8Access.store(c20, c + 2 * ldc)
        SIMD8Access.store(c21, c + 2 * ldc + 8)
        SIMD8Access.store(c30, c + 3 * ldc)
        SIMD8Access.store(c31, c + 3 * ldc + 8)
        SIMD8Access.store(c40, c + 4 * ldc)
        SIMD8Access.store(c41, c + 4 * ldc + 8)
        SIMD8Access.store(c50, c + 5 * ldc)
        SIMD8Access.store(c51, c + 5 * ldc + 8)
    }

    @inline(__always)
    public static func run4x16(
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, k: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
        var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
        var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var bp = b
        for kk in 0..<k {
            let b0 = SIMD8Access.load(bp)
            let b1 = SIMD8Access.load(bp + 8)
            bp += 16
            let x0 = SIMD8<Float>(repeating: a0[kk])
            c00.addProduct(x0, b0)
            c01.addProduct(x0, b1)
            let x1 = SIMD8<Float>(repeating: a1[kk])
            c10.addProduct(x1, b0)
            c11.addProduct(x1, b1)
            let x2 = SIMD8<Float>(repeating: a2[kk])
            c20.addProduct(x2, b0)
            c21.addProduct(x2, b1)
            let x3 = SIMD8<Float>(repeating: a3[kk])
            c30.addProduct(x3, b0)
            c31.addProduct(x3, b1)
        }
        SIMD8Access.store(c00, c)
        SIMD8Access.store(c01, c + 8)
        SIMD8Access.store(c10, c + ldc)
        SIMD8Access.store(c11, c + ldc + 8)
        SIMD8Access.store(c20, c + 2 * ldc)
        SIMD8Access.store(c21, c + 2 * ldc + 8)
        SIMD8Access.store(c30, c + 3 * ldc)
        SIMD8Access.store(c31, c + 3 * ldc + 8)
    }
}
