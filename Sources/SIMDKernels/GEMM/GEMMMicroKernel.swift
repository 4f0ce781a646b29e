import CCPUFeatures

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
///
/// Prefetching the next B: a GEMM with few rows (16 to 96 tiles from block3 on) streams its B
/// panel from memory in its first row block and reads it from cache in the rest, so the first
/// block ran at memory speed (block4 at 224 px: 72% of the FMA peak, block5: 60%). Given the
/// next GEMM's panel, `run` pulls it into cache while this GEMM computes, so the next GEMM's
/// first block finds it there. Spread evenly over the row blocks, one line every few k steps,
/// the prefetches never queue up; all in one block (or in the first) measured half the gain.
public enum GEMMMicroKernel {
    public static let rows = 6
    public static let columns = 16

    /// C rows `rows` (a multiple of 4 in length, as Winograd's tile count is padded) =
    /// A rows `rows` times B, in blocks of 6 and, for what 6 does not divide, one or two of 4.
    /// `a` and `c` point at row 0. `next`, when given, is the B panel (`[k][16]`) of the GEMM
    /// this core runs next, prefetched a line at a time over all the row blocks (`PanelPrefetch`).
    @inline(__always)
    public static func run(
        rows: Range<Int>, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, k: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, prefetching next: UnsafePointer<Float>? = nil
    ) {
        let blocks = rowBlockCount(rows.count)
        var block = 0
        rowBlocks(rows.lowerBound, rows.upperBound) { t, n in
            defer { block += 1 }
            if let next {
                var schedule = PanelPrefetch(block: block, of: blocks)
                let step: (Int) -> Void = { _ in
                    if let line = schedule.step() { fvd_prefetch(next + line * 16) }
                }
                if n == 6 {
                    run6x16(a: a + t * lda, lda: lda, b: b, k: k, c: c + t * ldc, ldc: ldc, eachStep: step)
                } else {
                    run4x16(a: a + t * lda, lda: lda, b: b, k: k, c: c + t * ldc, ldc: ldc, eachStep: step)
                }
            } else if n == 6 {
                run6x16(a: a + t * lda, lda: lda, b: b, k: k, c: c + t * ldc, ldc: ldc)
            } else {
                run4x16(a: a + t * lda, lda: lda, b: b, k: k, c: c + t * ldc, ldc: ldc)
            }
        }
    }

    /// How many row blocks `rowBlocks` makes of `n` rows.
    @inline(__always)
    public static func rowBlockCount(_ n: Int) -> Int {
        let fours = fourRowBlocks(n)
        return (n - 4 * fours) / 6 + fours
    }

    /// How many blocks of 4 rows end a GEMM of `n` rows (a multiple of 4): none, one or two.
    @inline(__always)
    static func fourRowBlocks(_ n: Int) -> Int {
        n % 6 == 0 ? 0 : (n % 6 == 4 ? 1 : 2)
    }

    /// Splits rows r0..<r1 (a multiple of 4 long) into blocks of 6 and, for what 6 does not
    /// divide, one or two blocks of 4 at the end: `body(firstRow, 6 or 4)`.
    @inline(__always)
    public static func rowBlocks(_ r0: Int, _ r1: Int, _ body: (Int, Int) -> Void) {
        let sixEnd = r1 - 4 * fourRowBlocks(r1 - r0)
        var t = r0
        while t < sixEnd { body(t, 6); t += 6 }
        while t < r1 { body(t, 4); t += 4 }
    }

    @inline(__always)
    public static func run6x16(
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, k: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, eachStep: (Int) -> Void = { _ in }
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
            eachStep(kk)
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
        c: UnsafeMutablePointer<Float>, ldc: Int, eachStep: (Int) -> Void = { _ in }
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
            eachStep(kk)
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

/// Which line of the next B panel (one line per k step) row block `block` of `blocks`
/// prefetches: lines block, block + blocks, block + 2 blocks, ..., one every `blocks` k steps,
/// so the blocks together cover every line once. The last line may lie past the panel; a
/// prefetch never faults.
public struct PanelPrefetch {
    var line: Int, wait = 0
    let every: Int

    public init(block: Int, of blocks: Int) {
        line = block
        every = blocks
    }

    /// The line to prefetch at this k step, if any.
    @inline(__always)
    public mutating func step() -> Int? {
        defer { wait -= 1 }
        guard wait == 0 else { return nil }
        defer { line += every }
        wait = every
        return line
    }
}
