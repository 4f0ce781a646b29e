import FVModel
import SIMDKernels

/// `fvbench --phases [--sizes S] [--batches B]`: where a Winograd layer's time goes. Each
/// forward conv (block1_conv1 excepted: it is direct) runs its three phases separately on random
/// data; the table gives each phase's milliseconds (medians of `reps`) and the GEMMs' own rate
/// in real GFLOP/s (the multiplies the transform domain does), against the machine's FMA peak,
/// and the same layer run fused (block by block, `WinogradFused.swift`), with the path `run`
/// takes by default; each layer once per Winograd algorithm, the one it uses marked.
enum PhaseTimer {
    static func run(_ weights: ResidentWeights, reps: Int, sizes: [Int], batches: [Int], peak: Double) {
        print("## Winograd phases, forward (milliseconds; GEMM rate in real GFLOP/s and as a share of the \(Benchmark.f(peak, 0)) GFLOP/s peak)")
        print("")
        print("| layer | size | batch | tiling | tiles | input transform | GEMMs | output transform | GEMM GFLOP/s | GEMM share of peak | three phases | fused | default path |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for size in sizes {
            for batch in batches {
                for l in VGG16.layers where l.index > 0 {
                  for tiling in WinogradConvolution.Tiling.allCases {
                    let s = VGG16.outputShape(layer: l.index, n: batch, h: size, w: size)
                    let inShape = TensorShape(n: batch, h: s.h, w: s.w, c: l.inChannels)
                    let conv = WinogradConvolution(weights: weights.kernel(l.index), outChannels: l.outChannels, inChannels: l.inChannels, tiling: tiling)
                    let x = AlignedBuffer<Float>(count: inShape.count)
                    for i in 0..<x.count { x[i] = Float(i % 251) / 251 }
                    let y = AlignedBuffer<Float>(count: inShape.with(c: l.outChannels).count)
                    let scratch = AlignedBuffer<Float>(count: max(conv.scratchCount(for: inShape, path: .threePhase),
                                                                  conv.scratchCount(for: inShape, path: .fused)))
                    _ = conv.runTimingPhases(input: x.pointer, shape: inShape, output: y.pointer, scratch: scratch.pointer)
                    var a: [Double] = [], g: [Double] = [], o: [Double] = []
                    for _ in 0..<reps {
                        let t = conv.runTimingPhases(input: x.pointer, shape: inShape, output: y.pointer, scratch: scratch.pointer)
                        a.append(t.input); g.append(t.multiply); o.append(t.output)
                    }
                    let fused = Benchmark.time(reps: reps) {
                        conv.run(input: x.pointer, shape: inShape, bias: nil, relu: .none, output: y.pointer, scratch: scratch.pointer, path: .fused)
                    }
                    let three = Benchmark.median(zip(zip(a, g), o).map { $0.0 + $0.1 + $1 })
                    let tiles = conv.tileCount(inShape)
                    let gemmFlops = Double(conv.tiling.positions) * 2 * Double(tiles * l.inChannels * l.outChannels)
                    let gm = Benchmark.median(g)
                    let used = tiling == WinogradConvolution.preferredTiling(inChannels: l.inChannels, outChannels: l.outChannels)
                    print("| \(l.name) | \(size) | \(batch) | \(tiling)\(used ? " (used)" : "") | \(tiles) | \(Benchmark.f(Benchmark.median(a) * 1000, 2)) | \(Benchmark.f(gm * 1000, 2)) | "
                          + "\(Benchmark.f(Benchmark.median(o) * 1000, 2)) | \(Benchmark.f(gemmFlops / gm / 1e9, 0)) | \(Benchmark.f(100 * gemmFlops / gm / 1e9 / peak, 0))% | "
                          + "\(Benchmark.f(three * 1000, 2)) | \(Benchmark.f(fused * 1000, 2)) | \(conv.defaultPath) |")
                  }
                }
            }
        }
        print("")
    }
}
