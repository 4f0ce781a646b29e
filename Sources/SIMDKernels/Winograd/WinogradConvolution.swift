import Dispatch

/// A 3x3/pad-1 convolution layer computed with Winograd F(m x m,3x3), m = 4 or 6 (`Tiling`), in
/// three parallel phases (shown for F(4x4); F(6x6) has 8x8 input tiles and 64 positions):
///
/// 1. input transform: every 6x6 input tile (overlapping by 2) becomes 36 transformed values per
///    channel, stored as V[p][tile][cin] (p = position in the 6x6 transform domain);
/// 2. 36 independent GEMMs M[p] = V[p] (tiles x cin) * U[p] (cin x cout), with the 6x16
///    micro-kernel (and 4x16 for the last rows), each prefetching the next one's weights;
/// 3. output transform back to 4x4 outputs, fused with bias, ReLU and the ReLU mask.
///
/// or block by block with all three phases per block of tiles (`WinogradFused.swift`).
///
/// The same class serves backward-data: the gradient with respect to the input is the same
/// convolution of the output gradient with each kernel rotated 180 degrees and in/out channels
/// swapped, so `init(…, forBackwardData: true)` just transforms different weights.
///
/// Weights are transformed once (at load) and packed as U[p][cout/16][cin][16] so the
/// micro-kernel reads B contiguously. Needs cin % 8 == 0 and cout % 16 == 0 (true for every VGG16
/// layer but block1_conv1's 3 input channels, which `DirectConvolution` handles).
public final class WinogradConvolution: @unchecked Sendable {
    public let inChannels: Int
    public let outChannels: Int
    /// The Winograd algorithm this layer's weights were transformed for.
    public let tiling: Tiling
    let coBlocks: Int
    let packed: AlignedBuffer<Float>

    /// Winograd F(4x4,3x3) or F(6x6,3x3). F(6x6) does 21% fewer multiplies per output (64 per
    /// 36 against 36 per 16) with transforms of about the same cost per output, but its U is
    /// 1.8x larger, its float error a few times larger (still far inside the 1e-3 tolerance), and
    /// its 6-pixel tiles overhang more layer sizes. It wins where the GEMMs are compute-bound
    /// on small weights: the fused layers (`preferredTiling`).
    public enum Tiling: Sendable, CaseIterable {
        case f4x4, f6x6

        /// The transforms (`WinogradTransform`), which also know the tile sizes.
        var algorithm: any WinogradTransform.Type { self == .f4x4 ? WinogradF43.self : WinogradF63.self }
        /// m: the side of an output tile.
        public var outputSide: Int { algorithm.outputSide }
        /// (m + 2)^2: transform positions, one GEMM each.
        public var positions: Int { algorithm.positions }
    }

    /// F(6x6) for layers of at most 128 channels each way (block1_conv2 and block2, both
    /// directions: the fused path's layers, whose U stays small), F(4x4) from block3 on, where
    /// U is streamed from memory and F(6x6)'s 1.8x larger U would cost more than its fewer
    /// multiplies save (at most 9% at 224 px, where its tiles overhang 56, 28 and 14 px layers).
    public static func preferredTiling(inChannels: Int, outChannels: Int) -> Tiling {
        inChannels <= 128 && outChannels <= 128 ? .f6x6 : .f4x4
    }

    /// - Parameters:
    ///   - weights: the layer's forward weights, OIHW `[cout][cin][3][3]` as in the ONNX file.
    ///   - forBackwardData: build the convolution that maps output gradients (cout channels)
    ///     to input gradients (cin channels).
    ///   - tiling: the Winograd algorithm; `nil` takes `preferredTiling` for the layer.
    public init(weights: UnsafePointer<Float>, outChannels cout: Int, inChannels cin: Int, forBackwardData: Bool = false,
                tiling: Tiling? = nil) {
        let convIn = forBackwardData ? cout : cin
        let convOut = forBackwardData ? cin : cout
        precondition(convIn % 8 == 0 && convOut % 16 == 0,
                     "Winograd path needs input channels % 8 and output channels % 16, got \(convIn) -> \(convOut)")
        inChannels = convIn
        outChannels = convOut
        let tiling = tiling ?? WinogradConvolution.preferredTiling(inChannels: convIn, outChannels: convOut)
        self.tiling = tiling
        coBlocks = convOut / 16
        let positions = tiling.positions
        packed = AlignedBuffer<Float>(count: positions * convIn * convOut)
        let coBlocks = self.coBlocks
        let dst = packed.pointer
        let kernelTransform = tiling.algorithm.kernelTransform
        Parallel.forEach(convOut) { o in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 9 + positions) { buf in
                let g = buf.baseAddress!, u = g + 9
                for i in 0..<convIn {
                    for k in 0..<9 {
                        // Backward: channel roles swap and the kernel turns 180 degrees.
                        let src = forBackwardData
                            ? weights[(i * cin + o) * 9 + (8 - k)]
                            : weights[(o * cin + i) * 9 + k]
                        g[k] = Double(src)
                    }
                    kernelTransform(g, u)
                    for p in 0..<positions {
                        dst[((p * coBlocks + o / 16) * convIn + i) * 16 + o % 16] = Float(u[p])
                    }
                }
            }
        }
    }

    /// Resident bytes of the transformed weights.
    public var residentBytes: Int { packed.count * 4 }

    /// Tiles of an input of `shape`, padded to 4 rows: the GEMMs run blocks of 6 and 4
    /// (`GEMMMicroKernel.run`).
    public func tileCount(_ shape: TensorShape) -> Int {
        let grid = tiling.algorithm.tileGrid(shape)
        let t = shape.n * grid.rows * grid.columns
        return (t + 3) / 4 * 4
    }

    /// How `run` computes a layer: the three whole-layer phases, or block by block
    /// (`WinogradFused.swift`). Both give the same bits; `.automatic` takes the faster.
    public enum Path: Sendable {
        case automatic, threePhase, fused
    }

    /// The path `.automatic` takes for this layer.
    public var defaultPath: Path { resolved(.automatic) }

    func resolved(_ path: Path) -> Path {
        path == .automatic ? (prefersFused ? .fused : .threePhase) : path
    }

    /// Floats from one transform position's slice of V or M to the next: `floats` rounded up to
    /// an odd number of 64-byte cache lines. A tile's 36 (or 64) values per channel group go to
    /// as many slices, and with the plain size (a multiple of many powers of two: 100 tiles x
    /// 256 channels is 1600 lines) all 36 fell in the same one to four sets of the 8-way L1, so
    /// each transform evicted its own half-written lines. An odd number of lines spreads them
    /// over 36 (64) sets. Only the layout changes, not the arithmetic.
    public static func positionStride(_ floats: Int) -> Int {
        ((floats + 15) / 16 | 1) * 16
    }

    /// The three-phase path's `positionStride`s for `tiles` tiles: V's (input channels) and M's
    /// (output channels). M starts after V's slices, one per transform position.
    func positionStrides(tiles: Int) -> (v: Int, m: Int) {
        (WinogradConvolution.positionStride(tiles * inChannels), WinogradConvolution.positionStride(tiles * outChannels))
    }

    /// Floats of scratch `run` needs for an input of `shape` on `path`.
    public func scratchCount(for shape: TensorShape, path: Path = .automatic) -> Int {
        guard resolved(path) == .threePhase else { return fusedScratchCount }
        let strides = positionStrides(tiles: tileCount(shape))
        return tiling.positions * (strides.v + strides.m)
    }

    /// output = conv(input) (+ bias), then the `relu` step: the forward ReLU recording its mask,
    /// or, for backward-data, the backward ReLU of the layer below applied from its mask. With
    /// `pooled`, the output is max-pooled 2x2 as it is stored and goes there instead (`output`
    /// is then not written). `scratch` must hold `scratchCount(for: shape, path: path)` floats.
    public func run(
        input: UnsafePointer<Float>, shape: TensorShape,
        bias: UnsafePointer<Float>?, relu: OutputReLU,
        output: UnsafeMutablePointer<Float>, pooled: PooledOutput? = nil, scratch: UnsafeMutablePointer<Float>, path: Path = .automatic
    ) {
        precondition(shape.c == inChannels, "input has \(shape.c) channels, layer expects \(inChannels)")
        let out = LayerOutput(bias: bias, relu: relu, y: output, pool: pooled)
        switch (tiling, resolved(path)) {
        case (.f4x4, .fused): runFused(WinogradF43.self, input, shape, out, scratch)
        case (.f6x6, .fused): runFused(WinogradF63.self, input, shape, out, scratch)
        case (.f4x4, _): runPhases(WinogradF43.self, input, shape, out, scratch)
        case (.f6x6, _): runPhases(WinogradF63.self, input, shape, out, scratch)
        }
    }

    /// What the output transform does with a layer's values: bias, ReLU step, and where they go.
    struct LayerOutput {
        let bias: UnsafePointer<Float>?
        let relu: OutputReLU
        let y: UnsafeMutablePointer<Float>
        let pool: PooledOutput?
    }

    /// The three phases, returning the seconds each took (input transform, GEMMs, output transform).
    @discardableResult
    func runPhases<F: WinogradTransform>(
        _ f: F.Type, _ input: UnsafePointer<Float>, _ shape: TensorShape, _ out: LayerOutput, _ scratch: UnsafeMutablePointer<Float>
    ) -> (input: Double, multiply: Double, output: Double) {
        let tiles = tileCount(shape)
        let v = scratch, m = scratch + F.positions * positionStrides(tiles: tiles).v
        let t0 = DispatchTime.now().uptimeNanoseconds
        transformInput(f, input, shape, v, tiles)
        let t1 = DispatchTime.now().uptimeNanoseconds
        multiply(v, m, tiles)
        let t2 = DispatchTime.now().uptimeNanoseconds
        transformOutput(f, m, shape, tiles, out)
        let t3 = DispatchTime.now().uptimeNanoseconds
        return (Double(t1 - t0) / 1e9, Double(t2 - t1) / 1e9, Double(t3 - t2) / 1e9)
    }

    /// `run` on the three-phase path, returning the seconds each phase took (input transform,
    /// GEMMs, output transform): for fvbench's `--phases`, which says where a layer's time goes.
    /// `scratch` holds `scratchCount(for: shape, path: .threePhase)` floats.
    public func runTimingPhases(
        input: UnsafePointer<Float>, shape: TensorShape, output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) -> (input: Double, multiply: Double, output: Double) {
        let out = LayerOutput(bias: nil, relu: .none, y: output, pool: nil)
        switch tiling {
        case .f4x4: return runPhases(WinogradF43.self, input, shape, out, scratch)
        case .f6x6: return runPhases(WinogradF63.self, input, shape, out, scratch)
        }
    }

    // MARK: phases

    func transformInput<F: WinogradTransform>(_: F.Type, _ x: UnsafePointer<Float>, _ s: TensorShape, _ v: UnsafeMutablePointer<Float>, _ tiles: Int) {
        let (th, tw) = F.tileGrid(s), cin = s.c
        let pStride = positionStrides(tiles: tiles).v / 8  // SIMD8 units between transform positions
        let vv = UnsafeMutableRawPointer(v).assumingMemoryBound(to: SIMD8<Float>.self)
        Parallel.forEach(s.n * th) { row in
            let n = row / th, ty = row % th
            withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: WinogradTile<F>.inputScratch) { tmpBuf in
                for tx in 0..<tw {
                    let tile = (n * th + ty) * tw + tx
                    WinogradTile<F>.input(x, s, n: n, ty: ty, tx: tx, into: vv + tile * cin / 8, pStride: pStride, tmp: tmpBuf.baseAddress!)
                }
            }
        }
    }

    func multiply(_ v: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>, _ tiles: Int) {
        let cin = inChannels, cout = outChannels, coBlocks = self.coBlocks
        // At most 96 rows (16 blocks of the 6-row micro-kernel) per chunk, so A's panel stays in
        // L2, split evenly: every chunk streams all of U, so a 4-row tail chunk (100 tiles =
        // 96 + 4 at 150 px) cost as much weight traffic as a full one for 4% of the work.
        let chunks = (tiles + 95) / 96
        let rowsPerChunk = ((tiles + chunks - 1) / chunks + 3) / 4 * 4
        let u = UnsafePointer(packed.pointer)
        let (vStride, mStride) = positionStrides(tiles: tiles)
        // Each core takes runs of consecutive GEMMs, so it knows the one it runs next and can
        // prefetch that B panel (`GEMMMicroKernel`); four runs per core keep the cores even
        // when one is slowed.
        let items = tiling.positions * chunks * coBlocks, runs = min(items, 4 * workers)
        @inline(__always) func panel(_ item: Int) -> UnsafePointer<Float> {
            let cb = item % coBlocks, p = item / (coBlocks * chunks)
            return u + (p * coBlocks + cb) * cin * 16
        }
        Parallel.forEach(runs) { run in
            let end = (run + 1) * items / runs
            for item in run * items / runs..<end {
                let cb = item % coBlocks
                let chunk = (item / coBlocks) % chunks
                let p = item / (coBlocks * chunks)
                let r0 = chunk * rowsPerChunk
                GEMMMicroKernel.run(rows: r0..<min(tiles, r0 + rowsPerChunk), a: v + p * vStride, lda: cin, b: panel(item), k: cin,
                                    c: m + p * mStride + cb * 16, ldc: cout, prefetching: item + 1 < end ? panel(item + 1) : nil)
            }
        }
    }

    func transformOutput<F: WinogradTransform>(
        _: F.Type, _ m: UnsafeMutablePointer<Float>, _ s: TensorShape, _ tiles: Int, _ out: LayerOutput
    ) {
        let (th, tw) = F.tileGrid(s), cout = outChannels
        let pStride = positionStrides(tiles: tiles).m / 8
        let mm = UnsafeRawPointer(m).assumingMemoryBound(to: SIMD8<Float>.self)
        Parallel.forEach(s.n * th) { row in
            let n = row / th, ty = row % th
            withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: WinogradTile<F>.outputScratch) { tmpBuf in
                for tx in 0..<tw {
                    let tile = (n * th + ty) * tw + tx
                    for g in stride(from: 0, to: cout, by: 8) {
                        WinogradTile<F>.output(mm + (tile * cout + g) / 8, pStride: pStride, s, cout: cout, n: n, ty: ty, tx: tx, channel: g,
                                                   out, tmp: tmpBuf.baseAddress!)
                    }
                }
            }
        }
    }
}
