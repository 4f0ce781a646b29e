import SIMDKernels

/// Everything one forward+backward pass needs for a given input shape and target layer,
/// allocated once per job so the hot loop allocates nothing: two ping-pong activation/gradient
/// buffers, the ReLU masks (1 bit per activation) and pool winners (1 byte per pooled value) that
/// backward needs, the Winograd scratch, and the gradient with respect to the input.
///
/// The buffers are sized for `capacity`; `setInputSize` lets the same workspace run any smaller
/// input (the `lucid` preset's random transforms change the network's input size every step).
public final class NetworkWorkspace {
    /// The input shape of the next pass (at most `capacity` in each dimension).
    public private(set) var inputShape: TensorShape
    public let capacity: TensorShape
    public let target: Int
    /// The target layer's output before its ReLU (what Lucid's objectives read) instead of after.
    public let preReLU: Bool
    /// Lucid's redirected ReLU for the next `backward`: where an image's gradient through a ReLU
    /// would be all zero, let it through wherever it pushes the pre-activation up. Lets a filter
    /// that never fires from the start still get a gradient; meant for the first steps only.
    public var redirectReLU = false
    /// Input shape of each conv layer 0...target (c = that layer's in-channels).
    private(set) var convInputShapes: [TensorShape]
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
    /// Layers below the target whose outputs an objective also reads (before or after their
    /// ReLU, as `preReLU` says), each with its activations and the gradient `backward` adds in.
    public let taps: [Int]
    let tapValues: [Int: AlignedBuffer<Float>]
    let tapGradients: [Int: AlignedBuffer<Float>]

    /// - Parameters:
    ///   - inputShape: the largest input this workspace will run (its first `inputShape`).
    ///   - output: what the reader of the target layer needs (see `TargetOutput`).
    ///   - preReLU: read the target layer (and the taps) before its ReLU.
    ///   - taps: layers below the target whose activations the objective also reads.
    public init(network: VGG16Network, inputShape: TensorShape, target: Int, output: TargetOutput = .layer, preReLU: Bool = false,
                taps: [Int] = []) {
        precondition(taps.allSatisfy { (0..<target).contains($0) }, "taps lie below the target layer")
        var headFilters: [Int]?
        if case .channelPerImage(let channels) = output { headFilters = channels }
        precondition(inputShape.c == 3, "the network input has 3 channels")
        self.inputShape = inputShape
        capacity = inputShape
        self.target = target
        self.preReLU = preReLU
        let shapes = NetworkWorkspace.convInputShapes(inputShape, target: target)
        var largest = 0
        var masks: [AlignedBuffer<UInt8>] = []
        var winners: [AlignedBuffer<UInt8>?] = []
        var scratchCount = 0
        for l in VGG16.layers[...target] {
            let s = shapes[l.index]
            largest = max(largest, s.count)
            scratchCount = max(scratchCount, network.scratchCount(layer: l.index, inputShape: s))
            let out = s.with(c: l.outChannels)
            largest = max(largest, out.count)
            masks.append(AlignedBuffer(count: ReLU.maskBytes(out.count)))
            winners.append(l.poolAfter && l.index < target ? AlignedBuffer(count: out.pooled.count) : nil)
        }
        convInputShapes = shapes
        bufferA = AlignedBuffer(count: largest)
        bufferB = AlignedBuffer(count: largest)
        self.masks = masks
        poolWinners = winners
        scratch = AlignedBuffer(count: scratchCount)
        inputGradient = AlignedBuffer(count: inputShape.count)
        self.taps = taps.sorted()
        let tapCounts = taps.map { ($0, shapes[$0].with(c: VGG16.layers[$0].outChannels).count) }
        tapValues = Dictionary(uniqueKeysWithValues: tapCounts.map { ($0.0, AlignedBuffer<Float>(count: $0.1)) })
        tapGradients = Dictionary(uniqueKeysWithValues: tapCounts.map { ($0.0, AlignedBuffer<Float>(count: $0.1)) })
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

    /// Input shape of each conv layer 0...target for network input `s`.
    static func convInputShapes(_ input: TensorShape, target: Int) -> [TensorShape] {
        var shapes: [TensorShape] = []
        var s = input
        for l in VGG16.layers[...target] {
            shapes.append(s)
            let out = s.with(c: l.outChannels)
            s = l.poolAfter && l.index < target ? out.pooled : out
        }
        return shapes
    }

    /// Makes the next passes run an input of `height` x `width` (each at most the capacity's;
    /// every buffer's need grows with the input, so the capacity's buffers suffice).
    public func setInputSize(height: Int, width: Int) {
        precondition(height <= capacity.h && width <= capacity.w && height > 0 && width > 0,
                     "input \(height)x\(width) exceeds the workspace's \(capacity.h)x\(capacity.w)")
        inputShape = TensorShape(n: capacity.n, h: height, w: width, c: 3)
        convInputShapes = NetworkWorkspace.convInputShapes(inputShape, target: target)
    }

    /// The shape of the target layer's output.
    public var outputShape: TensorShape {
        convInputShapes[target].with(c: headFilters == nil ? VGG16.layers[target].outChannels : 1)
    }

    /// The shape of layer `l`'s output: the target's, or a tap's (its whole output, before any pool).
    public func outputShape(layer l: Int) -> TensorShape {
        l == target ? outputShape : convInputShapes[l].with(c: VGG16.layers[l].outChannels)
    }

    /// Layer `l`'s activations from the last `forward`: `output`, or a tap's copy.
    public func activations(layer l: Int) -> UnsafeMutablePointer<Float> {
        l == target ? output : tapValues[l]!.pointer
    }

    /// Where the caller writes dLoss/d(layer `l`'s activations) before `backward`: `outputGradient`,
    /// or a tap's (added to the gradient flowing down from above as `backward` passes the layer).
    public func gradient(layer l: Int) -> UnsafeMutablePointer<Float> {
        l == target ? outputGradient : tapGradients[l]!.pointer
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
            + (tapValues.values.reduce(0) { $0 + $1.count } + tapGradients.values.reduce(0) { $0 + $1.count }) * 4
    }
}
