/// Winograd's F(6x6, 3x3) (Lavin & Gray 2015; the interpolation points 0, ±1, ±2, ±1/2 and
/// infinity): an 8x8 input tile d, a 3x3 kernel g, a 6x6 output tile. 64 multiplies make 36
/// outputs where direct convolution needs 324 (5.06x fewer; F(4x4) saves 4x). The price is a
/// transform domain of 64 positions instead of 36, so U is 1.8x larger, and a little more
/// float error (the points ±2 and ±1/2 scale terms by up to 32). Matrices:
///
///     B^T = [ 1   0    -21/4    0     21/4    0    -1  0
///             0   1      1   -17/4  -17/4     1     1  0
///             0  -1      1    17/4  -17/4    -1     1  0
///             0  1/2    1/4   -5/2   -5/4     2     1  0
///             0 -1/2    1/4    5/2   -5/4    -2     1  0
///             0   2      4    -5/2    -5     1/2    1  0
///             0  -2      4     5/2    -5    -1/2    1  0
///             0  -1      0    21/4     0   -21/4    0  1 ]
///
///     G = [ 1 0 0; -2/9 -2/9 -2/9; -2/9 2/9 -2/9; 1/90 1/45 2/45; 1/90 -1/45 2/45;
///           32/45 16/45 8/45; 32/45 -16/45 8/45; 0 0 1 ]
///
///     A^T = [ 1 1  1  1   1   1     1    0
///             0 1 -1  2  -2  1/2  -1/2   0
///             0 1  1  4   4  1/4   1/4   0
///             0 1 -1  8  -8  1/8  -1/8   0
///             0 1  1 16  16  1/16  1/16  0
///             0 1 -1 32 -32  1/32 -1/32  1 ]
enum WinogradF63: WinogradTransform {
    static var outputSide: Int { 6 }

    // Written with fused multiply-adds (`addingProduct`; Swift never fuses `a * b + c` itself):
    // a third fewer instructions than the plain form. The transforms wait on memory more than
    // on arithmetic, so the fused layers gained only 0-6% (`fvbench --phases`, Zen 3).
    @inline(__always)
    static func inputColumn(_ d: (Int) -> SIMD8<Float>, _ out: UnsafeMutablePointer<SIMD8<Float>>, _ stride: Int) {
        let d0 = d(0), d1 = d(1), d2 = d(2), d3 = d(3), d4 = d(4), d5 = d(5), d6 = d(6), d7 = d(7)
        @inline(__always) func k(_ x: Float) -> SIMD8<Float> { SIMD8(repeating: x) }
        // Rows 1-6 come in pairs (t + u, t - u) that share their even and odd halves.
        out[0] = (d0 - d6).addingProduct(k(5.25), d4 - d2)
        let t1 = (d2 + d6).addingProduct(k(-4.25), d4), u1 = (d1 + d5).addingProduct(k(-4.25), d3)
        out[stride] = t1 + u1
        out[2 * stride] = t1 - u1
        let t2 = d6.addingProduct(k(0.25), d2).addingProduct(k(-1.25), d4)
        let u2 = (k(0.5) * d1).addingProduct(k(-2.5), d3).addingProduct(k(2), d5)
        out[3 * stride] = t2 + u2
        out[4 * stride] = t2 - u2
        let t3 = d6.addingProduct(k(4), d2).addingProduct(k(-5), d4)
        let u3 = (k(2) * d1).addingProduct(k(-2.5), d3).addingProduct(k(0.5), d5)
        out[5 * stride] = t3 + u3
        out[6 * stride] = t3 - u3
        out[7 * stride] = (d7 - d1).addingProduct(k(5.25), d3 - d5)
    }

    @inline(__always)
    static func outputColumn(_ m: UnsafePointer<SIMD8<Float>>, _ stride: Int,
                             _ out: UnsafeMutablePointer<SIMD8<Float>>, _ outStride: Int) {
        @inline(__always) func k(_ x: Float) -> SIMD8<Float> { SIMD8(repeating: x) }
        let m1 = m[stride], m2 = m[2 * stride], m3 = m[3 * stride], m4 = m[4 * stride], m5 = m[5 * stride], m6 = m[6 * stride]
        // Even rows take the sums of the ±pairs, odd rows the differences.
        let a1 = m1 + m2, b1 = m1 - m2, a2 = m3 + m4, b2 = m3 - m4, a3 = m5 + m6, b3 = m5 - m6
        out[0] = m[0] + a1 + a2 + a3
        out[outStride] = b1.addingProduct(k(2), b2).addingProduct(k(0.5), b3)
        out[2 * outStride] = a1.addingProduct(k(4), a2).addingProduct(k(0.25), a3)
        out[3 * outStride] = b1.addingProduct(k(8), b2).addingProduct(k(0.125), b3)
        out[4 * outStride] = a1.addingProduct(k(16), a2).addingProduct(k(0.0625), a3)
        out[5 * outStride] = (b1 + m[7 * stride]).addingProduct(k(32), b2).addingProduct(k(0.03125), b3)
    }

    static func kernelTransform(_ g: UnsafePointer<Double>, into u: UnsafeMutablePointer<Double>) {
        sandwich(g, into: u) { v0, v1, v2, out in
            out(0, v0)
            out(1, -2 * (v0 + v1 + v2) / 9)
            out(2, -2 * (v0 - v1 + v2) / 9)
            out(3, v0 / 90 + v1 / 45 + 2 * v2 / 45)
            out(4, v0 / 90 - v1 / 45 + 2 * v2 / 45)
            out(5, 32 * v0 / 45 + 16 * v1 / 45 + 8 * v2 / 45)
            out(6, 32 * v0 / 45 - 16 * v1 / 45 + 8 * v2 / 45)
            out(7, v2)
        }
    }
}
