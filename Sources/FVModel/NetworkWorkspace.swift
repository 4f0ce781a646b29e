import SIMDKernels

/// Everything one forward+backward pass needs for a given input shape and target layer,
/// allocated once per job so the hot loop allocates nothing: two ping-pong activation/gradient
/// buffers, the ReLU masks (1 bit per activation) and pool winners (1 byte per pooled value) that
/// backward needs, the Winograd scratch, and the gradient with respect to the input.
public final class NetworkWorkspace {
    public let inputShape: TensorShape
    public let target: Int
    /// Input shape of each conv layer 0...target (c = that layer's in-channels).
    let convInputShapes: [TensorShape]
    let bufferA: AlignedBuffer<Float>
    let bufferB: AlignedBuffer<Float>
    let masks: [AlignedBuffer<UInt8>]
    let poolWinners: [AlignedBuffer<UInt8>?]
    let scratch: AlignedBuffer<Float>
    public let inputGradient: AlignedBuffer<Float>
    /// Which buffer holds the target layer's activations after `forward` (the other is free).
    var outputInA = true

    public init(network: VGG16Network, inputShape: TensorShape, target: Int) {
        precondition(inputShape.c == 3, "the network input has 3 channels")
        self.inputShape = inputShape
        self.target = target
        var shapes: [TensorShape] = []
        var s = inputShape
        var largest = 0
        var masks: [AlignedBuffer<UInt8>] = []
        var winners: [AlignedBuffer<UInt8>?] = []
        var scratchCount = 0
        for l in VGG16.layers[...target] {
            shapes.append(s)
            largest = max(largest, s.count)
            scratchCount = max(scratchCount, network.scratchCount(layer: l.index, inputShape: s))
            let out = s.with(c: l.outChannels)
            largest = max(largest, out.count)
            masks.append(AlignedBuffer(count: ReLU.maskBytes(out.count)))
            if l.poolAfter && l.index < target {
                winners.append(AlignedBuffer(count: out.pooled.count))
                s = out.pooled
            } else {
                winners.append(nil)
                s = out
            }
        }
        convInputShapes = shapes
        bufferA = AlignedBuffer(count: largest)
        bufferB = AlignedBuffer(count: largest)
        self.masks = masks
        poolWinners = winners
        scratch = AlignedBuffer(count: scratchCount)
        inputGradient = AlignedBuffer(count: inputShape.count)
    }

    /// The shape of the target layer's output (post-ReLU).
    public var outputShape: TensorShape {
        convInputShapes[target].with(c: VGG16.layers[target].outChannels)
    }

    /// The target activations written by the last `forward`.
    public var output: UnsafeMutablePointer<Float> { outputInA ? bufferA.pointer : bufferB.pointer }

    /// Where the caller writes dLoss/d(target activations) before `backward`.
    public var outputGradient: UnsafeMutablePointer<Float> { outputInA ? bufferB.pointer : bufferA.pointer }

    /// Bytes this workspace holds.
    public var bytes: Int {
        (bufferA.count + bufferB.count + scratch.count + inputGradient.count) * 4
            + masks.reduce(0) { $0 + $1.count } + poolWinners.reduce(0) { $0 + ($1?.count ?? 0) }
    }
}
