import FVModel
import SIMDKernels

/// Times one layer's forward and backward kernels on random data, through the same kernel
/// objects the network uses.
enum LayerTimer {
    static func time(_ net: VGG16Network, _ l: LayerSpec, inShape: TensorShape, outShape: TensorShape, reps: Int) -> (Double, Double) {
        let x = AlignedBuffer<Float>(count: inShape.count)
        for i in 0..<x.count { x[i] = Float(i % 251) / 251 }
        let y = AlignedBuffer<Float>(count: outShape.count)
        let mask = AlignedBuffer<UInt8>(count: ReLU.maskBytes(outShape.count))
        let scratch = AlignedBuffer<Float>(count: max(1, net.layerScratchCount(l.index, inShape)))
        let fwd = Benchmark.time(reps: reps) { net.layerForward(l.index, x.pointer, inShape, y.pointer, mask.pointer, scratch.pointer) }
        let bwd = Benchmark.time(reps: reps) { net.layerBackward(l.index, y.pointer, outShape, x.pointer, scratch.pointer) }
        return (fwd, bwd)
    }
}
