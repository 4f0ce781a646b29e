/// One Winograd algorithm F(m x m, 3x3): Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A, for an
/// (m+2) x (m+2) input tile d, a 3x3 kernel g and an m x m output tile Y. The 1-D transforms
/// are written out by hand (shared sub-expressions, eight channels per SIMD8); `WinogradTile`
/// applies them along columns and then rows, and `WinogradConvolution` is generic over them,
/// so each algorithm is compiled into its own specialised copy of the layer code.
protocol WinogradTransform {
    /// m: the side of the output tile.
    static var outputSide: Int { get }

    /// B^T applied to the column d(0), …, d(m+1), written to `out[i * stride]`. `d` is always
    /// inlined: it is a load from the input or from the tile's scratch.
    static func inputColumn(_ d: (Int) -> SIMD8<Float>, _ out: UnsafeMutablePointer<SIMD8<Float>>, _ stride: Int)

    /// A^T applied to the column `m[i * stride]`, i = 0…m+1, giving m values at `out[j * outStride]`.
    static func outputColumn(_ m: UnsafePointer<SIMD8<Float>>, _ stride: Int,
                             _ out: UnsafeMutablePointer<SIMD8<Float>>, _ outStride: Int)

    /// U = G g G^T for one 3x3 kernel (row-major g[ky*3+kx]) into u[(m+2)^2], in Double: done
    /// once at load time for every kernel of every layer (both directions).
    static func kernelTransform(_ g: UnsafePointer<Double>, into u: UnsafeMutablePointer<Double>)
}

extension WinogradTransform {
    /// m + 2: the side of the input tile and of the transform domain.
    @inline(__always) static var inputSide: Int { outputSide + 2 }

    /// (m + 2)^2 transform positions, each one GEMM.
    @inline(__always) static var positions: Int { inputSide * inputSide }

    /// Tile rows and columns covering an image of `s`: m x m output tiles, the last ones
    /// clipped at the layer's edge.
    @inline(__always) static func tileGrid(_ s: TensorShape) -> (rows: Int, columns: Int) {
        ((s.h + outputSide - 1) / outputSide, (s.w + outputSide - 1) / outputSide)
    }

    /// G g G^T given G's rows as a function of one 3-vector (`rowsOfG(v0, v1, v2, out)` calls
    /// `out(i, (G v)_i)` for each row i): G g for each column of g, then G of each row of that.
    @inline(__always)
    static func sandwich(_ g: UnsafePointer<Double>, into u: UnsafeMutablePointer<Double>,
                         _ rowsOfG: (Double, Double, Double, (Int, Double) -> Void) -> Void) {
        let side = inputSide
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 3 * side) { buf in
            let t = buf.baseAddress!  // G g: side x 3
            for j in 0..<3 { rowsOfG(g[j], g[3 + j], g[6 + j]) { i, v in t[i * 3 + j] = v } }
            for i in 0..<side { rowsOfG(t[i * 3], t[i * 3 + 1], t[i * 3 + 2]) { j, v in u[i * side + j] = v } }
        }
    }
}
