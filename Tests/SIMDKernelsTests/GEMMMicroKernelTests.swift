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
        }
    }
}
