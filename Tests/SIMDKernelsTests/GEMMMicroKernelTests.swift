import SIMDKernels
import XCTest

/// The 6x16 and 4x16 register-blocked micro-kernels against a naive Double GEMM, for depths
/// from 1 to the largest VGG16 layer's 512 input channels, with row strides wider than k (as the
/// Winograd GEMMs use them); and the split of a GEMM's rows into blocks of 6 and 4.
final class GEMMMicroKernelTests: XCTestCase {
    func testBothShapesMatchANaiveGEMM() {
        var rng = TestRandom(11)
        for rows in [6, 4] {
            for k in [1, 3, 8, 64, 129, 512] {
                let lda = k + 5, ldc = 16 + 3
                let a = rng.buffer(rows * lda)
                let b = rng.buffer(k * 16)
                let c = AlignedBuffer<Float>(count: rows * ldc)
                for i in 0..<c.count { c[i] = 99 }  // overwritten, not accumulated
                if rows == 6 {
                    GEMMMicroKernel.run6x16(a: a.pointer, lda: lda, b: b.pointer, k: k, c: c.pointer, ldc: ldc)
                } else {
                    GEMMMicroKernel.run4x16(a: a.pointer, lda: lda, b: b.pointer, k: k, c: c.pointer, ldc: ldc)
                }
                var worst = 0.0
                for r in 0..<rows {
                    for col in 0..<16 {
                        var sum = 0.0
                        for kk in 0..<k { sum += Double(a[r * lda + kk]) * Double(b[kk * 16 + col]) }
                        worst = max(worst, abs(Double(c[r * ldc + col]) - sum) / max(1, abs(sum)))
                    }
                    for pad in 16..<ldc { XCTAssertEqual(c[r * ldc + pad], 99, "\(rows)x16, k=\(k): wrote past its 16 columns") }
                }
                XCTAssertLessThan(worst, 1e-5, "\(rows)x16, k=\(k)")
            }
        }
    }

    /// The two shapes give the same bits (one FMA chain per element, in k order), so changing
    /// which one covers a row cannot change a picture.
    func testTheShapesAgreeBitForBit() {
        var rng = TestRandom(12)
        let k = 256
        let a = rng.buffer(6 * k), b = rng.buffer(k * 16)
        let c6 = AlignedBuffer<Float>(count: 6 * 16), c4 = AlignedBuffer<Float>(count: 4 * 16)
        GEMMMicroKernel.run6x16(a: a.pointer, lda: k, b: b.pointer, k: k, c: c6.pointer, ldc: 16)
        GEMMMicroKernel.run4x16(a: a.pointer, lda: k, b: b.pointer, k: k, c: c4.pointer, ldc: 16)
        for i in 0..<(4 * 16) { XCTAssertEqual(c6[i].bitPattern, c4[i].bitPattern, "element \(i)") }
    }

    /// Every row of every padded tile count is covered once, by blocks of 6 except at the end.
    func testRowsSplitIntoBlocksOfSixAndFour() {
        for n in stride(from: 4, through: 200, by: 4) {
            var covered = [Int](repeating: 0, count: n + 8), blocks: [Int] = []
            GEMMMicroKernel.rowBlocks(8, 8 + n) { t, rows in
                for r in t..<(t + rows) { covered[r] += 1 }
                blocks.append(rows)
            }
            XCTAssertEqual(Array(covered[8...]), [Int](repeating: 1, count: n), "n=\(n)")
            XCTAssertEqual(Array(covered[..<8]), [Int](repeating: 0, count: 8), "n=\(n)")
            XCTAssertLessThanOrEqual(blocks.filter { $0 == 4 }.count, 2, "n=\(n)")
            XCTAssertEqual(blocks.firstIndex(of: 4).map { blocks[$0...].allSatisfy { $0 == 4 } } ?? true, true, "n=\(n): 4s only at the end")
            XCTAssertEqual(GEMMMicroKernel.rowBlockCount(n), blocks.count, "n=\(n)")
        }
    }

    /// The row blocks of a GEMM together prefetch every line of the next panel exactly once,
    /// and only a few lines past it.
    func testPrefetchCoversTheNextPanelOnce() {
        for k in [1, 3, 64, 128, 256, 512] {
            for blocks in 1...17 {
                var seen = [Int](repeating: 0, count: k + blocks)
                for block in 0..<blocks {
                    var schedule = PanelPrefetch(block: block, of: blocks)
                    for _ in 0..<k {
                        if let line = schedule.step() { seen[line] += 1 }
                    }
                }
                XCTAssertEqual(Array(seen[..<k]), [Int](repeating: 1, count: k), "k=\(k), \(blocks) blocks")
                XCTAssertLessThan(seen[k...].reduce(0, +), blocks, "k=\(k), \(blocks) blocks: too many lines past the panel")
            }
        }
    }

    /// Prefetching the next panel changes no bit of C, whatever the row count.
    func testPrefetchingChangesNoBits() {
        var rng = TestRandom(13)
        let k = 128, lda = k + 3
        for n in [4, 8, 12, 16, 28, 52] {
            let a = rng.buffer(n * lda), b = rng.buffer(k * 16), next = rng.buffer(k * 16)
            let plain = AlignedBuffer<Float>(count: n * 16), fetching = AlignedBuffer<Float>(count: n * 16)
            GEMMMicroKernel.run(rows: 0..<n, a: a.pointer, lda: lda, b: b.pointer, k: k, c: plain.pointer, ldc: 16)
            GEMMMicroKernel.run(rows: 0..<n, a: a.pointer, lda: lda, b: b.pointer, k: k, c: fetching.pointer, ldc: 16,
                                prefetching: next.pointer)
            for i in 0..<(n * 16) { XCTAssertEqual(plain[i].bitPattern, fetching[i].bitPattern, "n=\(n), element \(i)") }
        }
    }
}
