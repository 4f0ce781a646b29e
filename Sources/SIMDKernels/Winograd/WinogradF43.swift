/// The three transforms of Winograd's F(4x4, 3x3) (Lavin & Gray 2015):
///     Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A
/// for a 6x6 input tile d, a 3x3 kernel g and a 4x4 output tile Y. 36 multiplies make 16 outputs
/// where direct convolution needs 144. Matrices:
///
///     B^T = [ 4  0 -5  0  1  0        G = [ 1/4     0     0       A^T = [ 1  1  1  1  1  0
///             0 -4 -4  1  1  0             -1/6  -1/6  -1/6              0  1 -1  2 -2  0
///             0  4 -4 -1  1  0             -1/6   1/6  -1/6              0  1  1  4  4  0
///             0 -2 -1  2  1  0              1/24  1/12  1/6              0  1 -1  8 -8  1 ]
///             0  2 -1 -2  1  0              1/24 -1/12  1/6
///             0  4  0 -5  0  1 ]            0      0     1   ]
///
/// Each transform works on eight channels at once (one SIMD8 per tile element).
enum WinogradF43: WinogradTransform {
    static var outputSide: Int { 4 }

    @inline(__always)
    static func inputColumn(_ d: (Int) -> SIMD8<Float>, _ out: UnsafeMutablePointer<SIMD8<Float>>, _ stride: Int) {
        let d0 = d(0), d1 = d(1), d2 = d(2), d3 = d(3), d4 = d(4), d5 = d(5)
        let four = SIMD8<Float>(repeating: 4), five = SIMD8<Float>(repeating: 5), two = SIMD8<Float>(repeating: 2)
        // Shared sub-expressions keep this at 12 FMAs + a few adds.
        let s1 = d4 - four * d2            // d4 - 4 d2
        let s2 = d3 - four * d1            // d3 - 4 d1
        let s3 = d4 - d2
        let s4 = two * (d3 - d1)
        out[0] = (d4 - five * d2) + four * d0
        out[stride] = s1 + s2
        out[2 * stride] = s1 - s2
        out[3 * stride] = s3 + s4
        out[4 * stride] = s3 - s4
        out[5 * stride] = (d5 - five * d3) + four * d1
    }

    @inline(__always)
    static func outputColumn(_ m: UnsafePointer<SIMD8<Float>>, _ stride: Int,
                             _ out: UnsafeMutablePointer<SIMD8<Float>>, _ outStride: Int) {
        let m0 = m[0], m1 = m[stride], m2 = m[2 * stride], m3 = m[3 * stride], m4 = m[4 * stride], m5 = m[5 * stride]
        let a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4
        out[0] = m0 + a + c
        out[outStride] = b + SIMD8<Float>(repeating: 2) * d
        out[2 * outStride] = a + SIMD8<Float>(repeating: 4) * c
        out[3 * outStride] = b + SIMD8<Float>(repeating: 8) * d + m5
    }

    static func kernelTransform(_ g: UnsafePointer<Double>, into u: UnsafeMutablePointer<Double>) {
        sandwich(g, into: u) { v0, v1, v2, out in
            out(0, v0 / 4)
            out(1, -(v0 + v1 + v2) / 6)
            out(2, -(v0 - v1 + v2) / 6)
            out(3, v0 / 24 + v1 / 12 + v2 / 6)
            out(4, v0 / 24 - v1 / 12 + v2 / 6)
            out(5, v2)
        }
    }
}
