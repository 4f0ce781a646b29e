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
    /// With a channel head: per image, the one filter of the target layer that is computed.
    let headFilters: [Int]?
    let headPacked: AlignedBuffer<Float>?
    let headBias: [Float]
    let headPositive: AlignedBuffer<UInt8>?

    /// - Parameter output: what the reader of the target layer needs (see `TargetOutput`).
    public init(network: VGG16Network, inputShape: TensorShape, target: Int, output: TargetOutput = .layer) {
        var headFilters: [Int]?
        if case .channelPerImage(let channels) = output { headFilters = channels }
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
        if let filters = headFilters, target > 0 {
            precondition(filters.count == inputShape.n, "one head filter per image")
            let cin = VGG16.layers[target].inChannels
            let packed = AlignedBuffer<Float>(count: filters.count * 9 * cin)
            for (n, f) in filters.enumerated() {
                ChannelHead.pack(weights: network.weights.kernel(target), inChannels: cin, filter: f, into: packed.pointer + n * 9 * cin)
            }
            self.headFilters = filters
            headPacked = packed
            headBias = filters.map { network.weights.bias(target)[$0] }
            headPositive = AlignedBuffer(count: shapes[target].n * shapes[target].h * shapes[target].w)
        } else {
            self.headFilters = nil
            headPacked = nil
            headBias = []
            headPositive = nil
        }
    }

    /// The shape of the target layer's output (post-ReLU).
    public var outputShape: TensorShape {
        convInputShapes[target].with(c: headFilters == nil ? VGG16.layers[target].outChannels : 1)
    }

    /// The channel of `output` that holds image n's filter f_n: f_n itself, or 0 where a channel
    /// head computed only that filter.
    public func outputChannel(image n: Int, filter f: Int) -> Int { headFilters == nil ? f : 0 }

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
