/// Direct 3x3/pad-1 convolution for layers whose channel counts do not suit Winograd: in fvd,
/// block1_conv1, whose input has only the 3 image channels (forward), and whose backward-data
/// produces 3 channels. Both are tiny next to the rest of the network.
public final class DirectConvolution: @unchecked Sendable {
    public let inChannels: Int
    public let outChannels: Int
    /// Forward weights repacked as [ky][kx][ci][cout]: one contiguous cout-vector per tap and channel.
    let forwardPacked: AlignedBuffer<Float>
    /// Backward weights as [ci][ky][kx][cout]: the dot product over cout for each input channel.
    let backwardPacked: AlignedBuffer<Float>

    /// `weights` are OIHW; needs cout % 8 == 0 (cin may be anything).
    public init(weights: UnsafePointer<Float>, outChannels cout: Int, inChannels cin: Int) {
        precondition(cout % 8 == 0, "direct convolution needs output channels % 8, got \(cout)")
        inChannels = cin
        outChannels = cout
        forwardPacked = AlignedBuffer(count: 9 * cin * cout)
        backwardPacked = AlignedBuffer(count: 9 * cin * cout)
        for co in 0..<cout {
            for ci in 0..<cin {
                for k in 0..<9 {
                    let w = weights[(co * cin + ci) * 9 + k]
                    forwardPacked[(k * cin + ci) * cout + co] = w
                    backwardPacked[(ci * 9 + k) * cout + co] = w
                }
            }
        }
    }

    public var residentBytes: Int { (forwardPacked.count + backwardPacked.count) * 4 }

    /// y = conv(x) + bias, then the `relu` step (`.record` for the forward ReLU). Needs
    /// cout == 64 (the only layer it serves): all 64 outputs of a pixel stay in eight registers
    /// while each of the 27 inputs is broadcast once.
    public func forward(
        input x: UnsafePointer<Float>, shape s: TensorShape, bias: UnsafePointer<Float>?,
        relu: OutputReLU, output y: UnsafeMutablePointer<Float>
    ) {
        precondition(s.c == inChannels && outChannels == 64, "direct forward serves cin=\(inChannels) -> 64, got \(s)")
        let cin = inChannels
        let w = UnsafePointer(forwardPacked.pointer)
        let zero = SIMD8<Float>(repeating: 0)
        Parallel.forRanges(s.n * s.h, minChunk: 1) { rows in
            for row in rows {
                let n = row / s.h, i = row % s.h
                for j in 0..<s.w {
                    var a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero
                    if let bias {
                        a0 = SIMD8Access.load(bias); a1 = SIMD8Access.load(bias + 8)
                        a2 = SIMD8Access.load(bias + 16); a3 = SIMD8Access.load(bias + 24)
                        a4 = SIMD8Access.load(bias + 32); a5 = SIMD8Access.load(bias + 40)
                        a6 = SIMD8Access.load(bias + 48); a7 = SIMD8Access.load(bias + 56)
                    }
                    for ky in 0..<3 {
                        let yy = i + ky - 1
                        if yy < 0 || yy >= s.h { continue }
                        for kx in 0..<3 {
                            let xx = j + kx - 1
                            if xx < 0 || xx >= s.w { continue }
                            let xp = x + ((n * s.h + yy) * s.w + xx) * cin
                            var wp = w + ((ky * 3 + kx) * cin) * 64
                            for ci in 0..<cin {
                                let v = SIMD8<Float>(repeating: xp[ci])
                                a0.addProduct(v, SIMD8Access.load(wp)); a1.addProduct(v, SIMD8Access.load(wp + 8))
                                a2.addProduct(v, SIMD8Access.load(wp + 16)); a3.addProduct(v, SIMD8Access.load(wp + 24))
                                a4.addProduct(v, SIMD8Access.load(wp + 32)); a5.addProduct(v, SIMD8Access.load(wp + 40))
                                a6.addProduct(v, SIMD8Access.load(wp + 48)); a7.addProduct(v, SIMD8Access.load(wp + 56))
                                wp += 64
                            }
                        }
                    }
                    let e0 = ((n * s.h + i) * s.w + j) * 64
                    withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 8) { acc in
                        acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7
                        for g in 0..<8 {
                            SIMD8Access.store(relu.store(acc[g], element: e0 + 8 * g), y + e0 + 8 * g)
                        }
                    }
                }
            }
        }
    }

    /// dx = the gradient with respect to the input, given `dy` (pre-activation output gradient).
    /// Needs cin == 3: each loaded vector of dy feeds the three input channels' accumulators.
    /// Interior pixels go four at a time: twelve accumulators instead of three, so the FMA
    /// latency is hidden and each weight vector loaded serves four pixels (one pixel at a time
    /// waited on three dependent chains: 40% of the first layer's time at 150 px). Each pixel's
    /// sums run in the same order either way, so the bits do not depend on the grouping.
    public func backwardData(
        outputGradient dy: UnsafePointer<Float>, outShape s: TensorShape, inputGradient dx: UnsafeMutablePointer<Float>
    ) {
        precondition(s.c == outChannels && inChannels == 3, "direct backward serves \(outChannels) -> 3 channels, got \(s)")
        let w = UnsafePointer(backwardPacked.pointer)
        Parallel.forRanges(s.n * s.h, minChunk: 1) { rows in
            for row in rows {
                let n = row / s.h, i = row % s.h
                var j = 0
                if i >= 1 && i + 1 < s.h && s.w >= 6 {
                    // Pixels 1 ..< w-1 of an inner row have all nine taps inside the picture.
                    backwardPixel(dy, s, w, dx, n, i, 0)
                    j = 1
                    while j + 4 <= s.w - 1 {
                        backwardFourInterior(dy, s, w, dx, n, i, j)
                        j += 4
                    }
                }
                while j < s.w {
                    backwardPixel(dy, s, w, dx, n, i, j)
                    j += 1
                }
            }
        }
    }

    @inline(__always)
    func backwardPixel(_ dy: UnsafePointer<Float>, _ s: TensorShape, _ w: UnsafePointer<Float>,
                       _ dx: UnsafeMutablePointer<Float>, _ n: Int, _ i: Int, _ j: Int) {
        let cout = outChannels
        var r = SIMD8<Float>(repeating: 0), gr = r, b = r
        for ky in 0..<3 {
            let yy = i - ky + 1
            if yy < 0 || yy >= s.h { continue }
            for kx in 0..<3 {
                let xx = j - kx + 1
                if xx < 0 || xx >= s.w { continue }
                let dp = dy + ((n * s.h + yy) * s.w + xx) * cout
                let tap = ky * 3 + kx
                let w0 = w + tap * cout, w1 = w + (9 + tap) * cout, w2 = w + (18 + tap) * cout
                for g in stride(from: 0, to: cout, by: 8) {
                    let d = SIMD8Access.load(dp + g)
                    r.addProduct(d, SIMD8Access.load(w0 + g))
                    gr.addProduct(d, SIMD8Access.load(w1 + g))
                    b.addProduct(d, SIMD8Access.load(w2 + g))
                }
            }
        }
        let o = ((n * s.h + i) * s.w + j) * 3
        dx[o] = r.sum()
        dx[o + 1] = gr.sum()
        dx[o + 2] = b.sum()
    }

    /// Pixels j ..< j+4 of row i, all of whose taps are inside the picture.
    @inline(__always)
    func backwardFourInterior(_ dy: UnsafePointer<Float>, _ s: TensorShape, _ w: UnsafePointer<Float>,
                              _ dx: UnsafeMutablePointer<Float>, _ n: Int, _ i: Int, _ j: Int) {
        let cout = outChannels
        let zero = SIMD8<Float>(repeating: 0)
        var r0 = zero, g0 = zero, b0 = zero, r1 = zero, g1 = zero, b1 = zero
        var r2 = zero, g2 = zero, b2 = zero, r3 = zero, g3 = zero, b3 = zero
        for ky in 0..<3 {
            let yy = i - ky + 1
            for kx in 0..<3 {
                let dp = dy + ((n * s.h + yy) * s.w + j - kx + 1) * cout
                let tap = ky * 3 + kx
                let w0 = w + tap * cout, w1 = w + (9 + tap) * cout, w2 = w + (18 + tap) * cout
                for g in stride(from: 0, to: cout, by: 8) {
                    let wr = SIMD8Access.load(w0 + g), wg = SIMD8Access.load(w1 + g), wb = SIMD8Access.load(w2 + g)
                    let d0 = SIMD8Access.load(dp + g)
                    r0.addProduct(d0, wr); g0.addProduct(d0, wg); b0.addProduct(d0, wb)
                    let d1 = SIMD8Access.load(dp + cout + g)
                    r1.addProduct(d1, wr); g1.addProduct(d1, wg); b1.addProduct(d1, wb)
                    let d2 = SIMD8Access.load(dp + 2 * cout + g)
                    r2.addProduct(d2, wr); g2.addProduct(d2, wg); b2.addProduct(d2, wb)
                    let d3 = SIMD8Access.load(dp + 3 * cout + g)
                    r3.addProduct(d3, wr); g3.addProduct(d3, wg); b3.addProduct(d3, wb)
                }
            }
        }
        let o = ((n * s.h + i) * s.w + j) * 3
        dx[o] = r0.sum(); dx[o + 1] = g0.sum(); dx[o + 2] = b0.sum()
        dx[o + 3] = r1.sum(); dx[o + 4] = g1.sum(); dx[o + 5] = b1.sum()
        dx[o + 6] = r2.sum(); dx[o + 7] = g2.sum(); dx[o + 8] = b2.sum()
        dx[o + 9] = r3.sum(); dx[o + 10] = g3.sum(); dx[o + 11] = b3.sum()
    }
}
