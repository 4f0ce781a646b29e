import Synchronization

/// Winograd run block by block: for each block of tiles (`maxBlockTiles`) a core transforms the input
/// tiles, runs the GEMMs (one per transform position: 36 for F(4x4), 64 for F(6x6)) one group
/// of 16 output channels at a time and transforms those 16 channels back at once. The
/// transformed tiles (positions x blockTiles x cin) and the GEMM results of one channel group
/// (positions x blockTiles x 16) stay in that core's L2, where the three-phase `run` writes and
/// reads back positions x tiles x (cin + cout) floats through memory.
/// That traffic is what made the transforms cost as much as the GEMMs on the layers with few
/// channels and many tiles (block1_conv2: 3.3 ms of transforms against 2.8 ms of GEMMs at
/// 150 px). The price: the packed weights are read once per block instead of once per 96 tiles,
/// so on layers with many channels, whose U outgrows L2 and L3, the three phases stay ahead;
/// `prefersFused` picks.
///
/// Blocks go to cores from a shared counter, each core with its own slice of `scratch`. The
/// per-tile arithmetic is `WinogradTile`'s and the GEMMs' per-element order is the same, so the
/// two paths give the same bits.
extension WinogradConvolution {
    /// Most tiles per block. Blocks are multiples of 12, so a partial block's rows, rounded up
    /// to the 4 that `GEMMMicroKernel.run` needs, still fit in its slice. F(4x4): 36; with up to
    /// 128 input channels a block's transformed input is at most 648 KiB, and `fvbench
    /// --phases` found 12 to 48 within noise of each other on Zen 3 and 36 a little ahead for
    /// 64 and 128 channels. F(6x6): 24, the same bytes per block (64 positions instead of 36).
    var maxBlockTiles: Int { tiling == .f4x4 ? 36 : 24 }

    /// Tiles per block for a layer of `tiles` tiles: fewer on small layers, so every core gets
    /// about four blocks and none waits long for the last.
    func blockTiles(tiles: Int) -> Int {
        let perBlock = (tiles + 4 * workers - 1) / (4 * workers)
        return max(12, min(maxBlockTiles, (perBlock + 11) / 12 * 12))
    }

    /// The fused path wins where the transforms' memory traffic dominates: layers with at most
    /// 128 channels in and out (block1_conv2, block2, both directions), whose U is small
    /// enough (at most 2.3 MiB) to be read once per block from L2/L3. From block3 on, the
    /// GEMMs dominate and the three phases are as fast or faster (`fvbench --phases`,
    /// docs/PERFORMANCE.md).
    var prefersFused: Bool { inChannels <= 128 && outChannels <= 128 }

    var workers: Int { Parallel.coreCount }

    /// Floats of scratch `runFused` needs: each core's block of transformed tiles and GEMM output.
    var fusedScratchCount: Int { workers * fusedWorkerScratch }

    /// One core's slice: a block's transformed tiles and one channel group's GEMM output, each
    /// with its transform positions `positionStride` apart (at the largest block size).
    var fusedWorkerScratch: Int {
        let strides = fusedStrides(blockTiles: maxBlockTiles)
        return tiling.positions * (strides.v + strides.m)
    }

    /// The fused path's `positionStride`s for blocks of `bt` tiles: the block's transformed
    /// input (all input channels) and one group of 16 output channels.
    func fusedStrides(blockTiles bt: Int) -> (v: Int, m: Int) {
        (WinogradConvolution.positionStride(bt * inChannels), WinogradConvolution.positionStride(bt * 16))
    }

    func runFused<F: WinogradTransform>(
        _: F.Type, _ x: UnsafePointer<Float>, _ s: TensorShape, _ out: LayerOutput, _ scratch: UnsafeMutablePointer<Float>
    ) {
        let positions = F.positions
        let (th, tw) = F.tileGrid(s)
        let tiles = s.n * th * tw
        let bt = blockTiles(tiles: tiles), cin = inChannels, cout = outChannels, coBlocks = self.coBlocks
        let blocks = (tiles + bt - 1) / bt
        let perWorker = fusedWorkerScratch
        let (vStride, mStride) = fusedStrides(blockTiles: bt)
        let u = UnsafePointer(packed.pointer)
        let outShape = s.with(c: cout)
        let next = Atomic<Int>(0)
        Parallel.forEach(min(workers, blocks)) { w in
            let v = scratch + w * perWorker, m = v + positions * vStride
            let vv = UnsafeMutableRawPointer(v).assumingMemoryBound(to: SIMD8<Float>.self)
            let mm = UnsafeRawPointer(m).assumingMemoryBound(to: SIMD8<Float>.self)
            withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: max(WinogradTile<F>.inputScratch, WinogradTile<F>.outputScratch)) { tmpBuf in
                // Each tile's (image, tile row, tile column), found once per block: the output
                // transform visits every tile once per group of 16 output channels.
                withUnsafeTemporaryAllocation(of: (n: Int, ty: Int, tx: Int).self, capacity: maxBlockTiles) { at in
                    let tmp = tmpBuf.baseAddress!
                    while true {
                        let block = next.wrappingAdd(1, ordering: .relaxed).oldValue
                        if block >= blocks { break }
                        let t0 = block * bt, count = min(bt, tiles - t0)
                        let rows = (count + 3) / 4 * 4  // rows past `count` hold stale tiles; their results are never read
                        for i in 0..<count {
                            let tile = t0 + i
                            at[i] = (tile / (th * tw), (tile / tw) % th, tile % tw)
                            WinogradTile<F>.input(x, s, n: at[i].n, ty: at[i].ty, tx: at[i].tx, into: vv + i * cin / 8, pStride: vStride / 8, tmp: tmp)
                        }
                        for cb in 0..<coBlocks {
                            for p in 0..<positions {
                                GEMMMicroKernel.run(rows: 0..<rows, a: v + p * vStride, lda: cin, b: u + (p * coBlocks + cb) * cin * 16, k: cin,
                                                    c: m + p * mStride, ldc: 16)
                            }
                            for i in 0..<count {
                                for half in 0..<2 {
                                    WinogradTile<F>.output(mm + i * 2 + half, pStride: mStride / 8, outShape, cout: cout, n: at[i].n, ty: at[i].ty, tx: at[i].tx,
                                                        channel: cb * 16 + half * 8, out, tmp: tmp)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
