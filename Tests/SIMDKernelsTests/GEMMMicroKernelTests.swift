import SIMDKernels
import XCTest

/// The 4x16 register-blocked micro-kernel against a naive Double GEMM, for depths from 1 to the
/// largest VGG16 layer's 512 input channels, with row strides wider than k (as the Winograd
/// GEMMs use it).
final class GEMMMicroKernelTests: XCTestCase {
    func testItMatchesANaiveGEMM() {
        var rng = TestRandom(11)
        for k in [1, 3, 8, 64, 129, 512] {
            let lda = k + 5, ldc = 16 + 3
            let a = rng.buffer(4 * lda)
            let b = rng.buffer(k * 16)
            let c = AlignedBuffer<Float>(count: 4 * ldc)
            for i in 0..<c.count { c[i] = 99 }  // overwritten, not accumulated
            GEMMMicroKernel.run4x16(a: a.pointer, lda: lda, b: b.pointer, k: k, c: c.pointer, ldc: ldc)
            var worst = 0.0
            for r in 0..<4 {
                for col in 0..<16 {
                    var sum = 0.0
                    for kk in 0..<k { sum += Double(a[r * lda + kk]) * Double(b[kk * 16 + col]) }
                    worst = max(worst, abs(Double(c[r * ldc + col]) - sum) / max(1, abs(sum)))
                }
                for pad in 16..<ldc { XCTAssertEqual(c[r * ldc + pad], 99, "k=\(k): wrote past its 16 columns") }
            }
            XCTAssertLessThan(worst, 1e-5, "k=\(k)")
        }
    }
}
