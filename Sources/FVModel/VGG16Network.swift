import SIMDKernels

/// VGG16's conv stack with resident weights, run forward to any layer and backward to the
/// input. The weights stay resident (`ResidentWeights`); for the SIMD backend each layer's weights are
/// also transformed once, here, for both directions (Winograd U for forward and for
/// backward-data), so a job does no weight work at all.
public final class VGG16Network: @unchecked Sendable {
    public let weights: ResidentWeights
    public let backend: KernelBackend
    let firstLayer: DirectConvolution
    let forwardConvs: [WinogradConvolution?]
    let backwardConvs: [WinogradConvolution?]

    /// - Parameter tiling: one Winograd algorithm for every layer, or `nil` (the product) for
    ///   each layer's `WinogradConvolution.preferredTiling`. Tests that pin bits recorded with
    ///   F(4x4) everywhere pass `.f4x4`.
    public init(weights: ResidentWeights, backend: KernelBackend = .simd, tiling: WinogradConvolution.Tiling? = nil) {
        self.weights = weights
        self.backend = backend
        firstLayer = DirectConvolution(weights: weights.kernel(0), outChannels: 64, inChannels: 3)
        if backend == .simd {
            forwardConvs = VGG16.layers.map { l in
                l.index == 0 ? nil : WinogradConvolution(weights: weights.kernel(l.index), outChannels: l.outChannels, inChannels: l.inChannels,
                                                         tiling: tiling)
            }
            backwardConvs = VGG16.layers.map { l in
                l.index == 0 ? nil : WinogradConvolution(weights: weights.kernel(l.index), outChannels: l.outChannels, inChannels: l.inChannels,
                                                         forBackwardData: true, tiling: tiling)
            }
        } else {
            forwardConvs = Array(repeating: nil, count: VGG16.layers.count)
            backwardConvs = forwardConvs
        }
    }

    /// Bytes of transformed weights held in memory (beyond the raw weights).
    public var transformedBytes: Int {
        firstLayer.residentBytes + (forwardConvs + backwardConvs).reduce(0) { $0 + ($1?.residentBytes ?? 0) }
    }

    func scratchCount(layer: Int, inputShape: TensorShape) -> Int {
        guard let f = forwardConvs[layer], let b = backwardConvs[layer] else { return 0 }
        return max(f.scratchCount(for: inputShape), b.scratchCount(for: inputShape.with(c: b.inChannels)))
    }

    /// Runs the network from `input` (NHWC, BGR, model input space, `ws.inputShape`) to the output
    /// of the workspace's target layer (after its ReLU, or before it with `ws.preReLU`), keeping
    /// what backward needs. The result is `ws.output`.
    public func forward(_ input: UnsafePointer<Float>, _ ws: NetworkWorkspace) {
        var current = input
        var inA = false  // `current` is the external input, not a workspace buffer
        for l in VGG16.layers[...ws.target] {
            let s = ws.convInputShapes[l.index]
            let out = inA ? ws.bufferB.pointer : ws.bufferA.pointer
            if l.index == ws.target, let packed = ws.headPacked, let positive = ws.headPositive {
                ChannelHead.forward(input: current, shape: s, packed: packed.pointer, bias: ws.headBias, output: out,
                                    positive: positive.pointer, relu: !ws.preReLU)
                inA.toggle()
                break
            }
            if let tap = ws.tapValues[l.index] {
                // A layer the objective reads on the way: conv, copy, ReLU and pool in passes of
                // their own, so that its whole output exists before or after the ReLU.
                let o = s.with(c: l.outChannels)
                convForward(l, current, s, out, nil, ws.scratch.pointer)
                if ws.preReLU { tap.pointer.update(from: out, count: o.count) }
                ReLU.forward(out, count: o.count, mask: ws.masks[l.index].pointer)
                if !ws.preReLU { tap.pointer.update(from: out, count: o.count) }
                inA.toggle()
                current = UnsafePointer(out)
                if let winners = ws.poolWinners[l.index] {
                    let pooled = inA ? ws.bufferB.pointer : ws.bufferA.pointer
                    MaxPool.forward(input: out, shape: o, output: pooled, argmax: winners.pointer)
                    inA.toggle()
                    current = UnsafePointer(pooled)
                }
                continue
            }
            let keepsReLU = !(l.index == ws.target && ws.preReLU)
            let mask = keepsReLU ? ws.masks[l.index].pointer : nil
            let winners = ws.poolWinners[l.index]
            // The SIMD convs pool as they store (`PooledOutput`): their full output is never written.
            let pooledByConv = backend == .simd ? winners.map { PooledOutput(output: out, argmax: $0.pointer) } : nil
            convForward(l, current, s, out, mask, ws.scratch.pointer, pooled: pooledByConv)
            inA.toggle()
            current = UnsafePointer(out)
            if let winners, pooledByConv == nil {
                // The reference backend pools in a pass of its own, into the buffer the conv read.
                let pooled = inA ? ws.bufferB.pointer : ws.bufferA.pointer
                ReferencePooling.maxPoolForward(input: out, shape: s.with(c: l.outChannels), output: pooled, argmax: winners.pointer)
                inA.toggle()
                current = UnsafePointer(pooled)
            }
        }
        ws.outputInA = inA
    }

    /// Given dLoss/d(target activations) in `ws.outputGradient`, computes dLoss/d(input) into
    /// `ws.inputGradient`. Destroys the contents of both ping-pong buffers.
    ///
    /// A layer's backward ReLU is applied by the kernel that writes its output gradient (the
    /// output transform of the conv above, or the pool's backward) instead of in a pass of its
    /// own over the whole gradient. Three get their own pass still: the target's (the objective
    /// wrote that gradient), the one under a channel head, and the redirected ReLU, which must
    /// see an image's whole gradient before it knows what to do.
    public func backward(_ ws: NetworkWorkspace) {
        var grad = ws.outputGradient
        var spare = ws.output
        let fold = !ws.redirectReLU
        // Whether `grad` has been through the backward ReLU of the layer whose output it is the gradient of.
        var reluApplied = false
        for l in VGG16.layers[...ws.target].reversed() {
            let outShape = ws.convInputShapes[l.index].with(c: l.outChannels)
            let below = l.index > 0 ? VGG16.layers[l.index - 1] : nil
            let belowPooled = below.map { ws.poolWinners[$0.index] != nil } ?? false
            // A tap's ReLU waits for the tap's gradient: never folded into the layer above.
            let belowFolds = fold && below.map { ws.tapValues[$0.index] == nil } ?? false
            if l.index == ws.target, let packed = ws.headPacked, let positive = ws.headPositive {
                ChannelHead.backward(outputGradient: grad, positive: positive.pointer, inShape: ws.convInputShapes[l.index],
                                     packed: packed.pointer, inputGradient: spare)
                reluApplied = false
            } else {
                let tapGradient = ws.tapGradients[l.index]
                if let tapGradient, !ws.preReLU { addInPlace(grad, tapGradient.pointer, count: outShape.count) }
                if l.index == ws.target && ws.preReLU {
                    // The objective read the layer before its ReLU: nothing to undo.
                } else if reluApplied {
                    // Done as the gradient was written.
                } else if ws.redirectReLU {
                    ReLU.backwardRedirected(grad, images: outShape.n, countPerImage: outShape.count / outShape.n, mask: ws.masks[l.index].pointer)
                } else {
                    ReLU.backward(grad, count: outShape.count, mask: ws.masks[l.index].pointer)
                }
                if let tapGradient, ws.preReLU { addInPlace(grad, tapGradient.pointer, count: outShape.count) }
                guard let below else {
                    switch backend {
                    case .simd:
                        firstLayer.backwardData(outputGradient: grad, outShape: outShape, inputGradient: ws.inputGradient.pointer)
                    case .reference:
                        ReferenceConvolution.backwardData(outputGradient: grad, outShape: outShape, weights: weights.kernel(0),
                                                          inChannels: 3, inputGradient: ws.inputGradient.pointer)
                    }
                    return
                }
                let applies = belowFolds && !belowPooled
                convBackward(l, grad, outShape, spare, ws.scratch.pointer, belowReLU: applies ? ws.masks[below.index].pointer : nil)
                reluApplied = applies
            }
            swap(&grad, &spare)
            guard let below, let winners = ws.poolWinners[below.index] else { continue }
            let belowShape = ws.convInputShapes[below.index].with(c: below.outChannels)
            let mask = belowFolds ? ws.masks[below.index].pointer : nil
            switch backend {
            case .simd:
                MaxPool.backward(outputGradient: grad, argmax: winners.pointer, inShape: belowShape, inputGradient: spare,
                                 reluMask: mask.map { UnsafePointer($0) })
            case .reference:
                ReferencePooling.maxPoolBackward(outputGradient: grad, argmax: winners.pointer, inShape: belowShape, inputGradient: spare)
                if let mask { ReLU.backward(spare, count: belowShape.count, mask: mask) }
            }
            reluApplied = belowFolds
            swap(&grad, &spare)
        }
    }

    /// y += x, element by element.
    func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        Parallel.forRanges(count, minChunk: 1 << 15) { r in
            for i in r { y[i] += x[i] }
        }
    }

    /// The conv layer, then its ReLU recording `mask` when one is given (none: no ReLU). With
    /// `pooled` (SIMD Winograd layers only), max-pooled 2x2 as it stores, into `pooled` instead of `y`.
    func convForward(_ l: LayerSpec, _ x: UnsafePointer<Float>, _ s: TensorShape, _ y: UnsafeMutablePointer<Float>,
                     _ mask: UnsafeMutablePointer<UInt8>?, _ scratch: UnsafeMutablePointer<Float>, pooled: PooledOutput? = nil) {
        let bias = weights.bias(l.index)
        switch backend {
        case .simd:
            let relu: OutputReLU = mask.map { .record($0) } ?? .none
            if let conv = forwardConvs[l.index] {
                conv.run(input: x, shape: s, bias: bias, relu: relu, output: y, pooled: pooled, scratch: scratch)
            } else {
                precondition(pooled == nil, "block1_conv1 is not followed by a pool")
                firstLayer.forward(input: x, shape: s, bias: bias, relu: relu, output: y)
            }
        case .reference:
            ReferenceConvolution.forward(input: x, shape: s, weights: weights.kernel(l.index), bias: bias, outChannels: l.outChannels, output: y)
            if let mask { ReLU.forward(y, count: s.with(c: l.outChannels).count, mask: mask) }
        }
    }

    /// dx = the backward-data conv of `dy`, then, given `belowReLU` (the mask of the layer
    /// below, whose output dx is the gradient of), that layer's backward ReLU.
    func convBackward(_ l: LayerSpec, _ dy: UnsafeMutablePointer<Float>, _ outShape: TensorShape,
                      _ dx: UnsafeMutablePointer<Float>, _ scratch: UnsafeMutablePointer<Float>, belowReLU: UnsafePointer<UInt8>? = nil) {
        switch backend {
        case .simd:
            backwardConvs[l.index]!.run(input: dy, shape: outShape, bias: nil, relu: belowReLU.map { .apply($0) } ?? .none, output: dx, scratch: scratch)
        case .reference:
            ReferenceConvolution.backwardData(outputGradient: dy, outShape: outShape, weights: weights.kernel(l.index),
                                              inChannels: l.inChannels, inputGradient: dx)
            if let belowReLU { ReLU.backward(dx, count: outShape.with(c: l.inChannels).count, mask: belowReLU) }
        }
    }
}

/// One layer at a time, for benchmarks.
extension VGG16Network {
    public func layerScratchCount(_ index: Int, _ inputShape: TensorShape) -> Int {
        scratchCount(layer: index, inputShape: inputShape)
    }

    public func layerForward(_ index: Int, _ x: UnsafePointer<Float>, _ s: TensorShape, _ y: UnsafeMutablePointer<Float>,
                             _ mask: UnsafeMutablePointer<UInt8>, _ scratch: UnsafeMutablePointer<Float>) {
        convForward(VGG16.layers[index], x, s, y, mask, scratch)
    }

    public func layerBackward(_ index: Int, _ dy: UnsafeMutablePointer<Float>, _ outShape: TensorShape,
                              _ dx: UnsafeMutablePointer<Float>, _ scratch: UnsafeMutablePointer<Float>) {
        if index == 0 {
            firstLayer.backwardData(outputGradient: dy, outShape: outShape, inputGradient: dx)
        } else {
            convBackward(VGG16.layers[index], dy, outShape, dx, scratch)
        }
    }
}
