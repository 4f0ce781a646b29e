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
    /// cout == 64 (the only layer it serves). Interior pixels go three at a time, 32 output
    /// channels at once: twelve accumulators, and each weight vector loaded serves three
    /// pixels (one pixel at a time loaded a weight vector for every FMA, so the loads, not the
    /// FMAs, set the pace). Each output's sum runs in the same order either way (bias, then
    /// the taps row by row, channel by channel), so the grouping changes no bit.
    public func forward(
        input x: UnsafePointer<Float>, shape s: TensorShape, bias: UnsafePointer<Float>?,
        relu: OutputReLU, output y: UnsafeMutablePointer<Float>
    ) {
        precondition(s.c == inChannels && outChannels == 64, "direct forward serves cin=\(inChannels) -> 64, got \(s)")
        Parallel.forRanges(s.n * s.h, minChunk: 1) { rows in
            for row in rows {
                let n = row / s.h, i = row % s.h
                var j = 0
                if i >= 1 && i + 1 < s.h && s.w >= 5 {
                    // Pixels 1 ..< w-1 of an inner row have all nine taps inside the picture.
                    forwardPixel(x, s, bias, relu, y, n, i, 0)
                    j = 1
                    while j + 3 <= s.w - 1 {
                        forwardThreeInterior(x, s, bias, relu, y, n, i, j)
                        j += 3
                    }
                }
                while j < s.w {
                    forwardPixel(x, s, bias, relu, y, n, i, j)
                    j += 1
                }
            }
        }
    }

    /// One pixel, all 64 outputs in eight registers, taps outside the picture skipped.
    @inline(__always)
    func forwardPixel(_ x: UnsafePointer<Float>, _ s: TensorShape, _ bias: UnsafePointer<Float>?, _ relu: OutputReLU,
                      _ y: UnsafeMutablePointer<Float>, _ n: Int, _ i: Int, _ j: Int) {
        let cin = inChannels
        let w = UnsafePointer(forwardPacked.pointer)
        let zero = SIMD8<Float>(repeating: 0)
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
        SIMD8Access.store(relu.store(a0, element: e0), y + e0); SIMD8Access.store(relu.store(a1, element: e0 + 8), y + e0 + 8)
        SIMD8Access.store(relu.store(a2, element: e0 + 16), y + e0 + 16); SIMD8Access.store(relu.store(a3, element: e0 + 24), y + e0 + 24)
        SIMD8Access.store(relu.store(a4, element: e0 + 32), y + e0 + 32); SIMD8Access.store(relu.store(a5, element: e0 + 40), y + e0 + 40)
        SIMD8Access.store(relu.store(a6, element: e0 + 48), y + e0 + 48); SIMD8Access.store(relu.store(a7, element: e0 + 56), y + e0 + 56)
    }

    /// Pixels j ..< j+3 of row i, all of whose taps are inside the picture: 32 output channels
    /// at a time, the three pixels' accumulators side by side.
    @inline(__always)
    func forwardThreeInterior(_ x: UnsafePointer<Float>, _ s: TensorShape, _ bias: UnsafePointer<Float>?, _ relu: OutputReLU,
                              _ y: UnsafeMutablePointer<Float>, _ n: Int, _ i: Int, _ j: Int) {
        let cin = inChannels
        let w = UnsafePointer(forwardPacked.pointer)
        for half in stride(from: 0, to: 64, by: 32) {
            let b0 = bias.map { SIMD8Access.load($0 + half) } ?? SIMD8<Float>(repeating: 0)
            let b1 = bias.map { SIMD8Access.load($0 + half + 8) } ?? SIMD8<Float>(repeating: 0)
            let b2 = bias.map { SIMD8Access.load($0 + half + 16) } ?? SIMD8<Float>(repeating: 0)
            let b3 = bias.map { SIMD8Access.load($0 + half + 24) } ?? SIMD8<Float>(repeating: 0)
            var p00 = b0, p01 = b1, p02 = b2, p03 = b3  // pixel j
            var p10 = b0, p11 = b1, p12 = b2, p13 = b3  // pixel j + 1
            var p20 = b0, p21 = b1, p22 = b2, p23 = b3  // pixel j + 2
            for ky in 0..<3 {
                for kx in 0..<3 {
                    let xp = x + ((n * s.h + i + ky - 1) * s.w + j + kx - 1) * cin
                    var wp = w + ((ky * 3 + kx) * cin) * 64 + half
                    for ci in 0..<cin {
                        let v0 = SIMD8<Float>(repeating: xp[ci]), v1 = SIMD8<Float>(repeating: xp[cin + ci])
                        let v2 = SIMD8<Float>(repeating: xp[2 * cin + ci])
                        var wq = SIMD8Access.load(wp)
                        p00.addProduct(v0, wq); p10.addProduct(v1, wq); p20.addProduct(v2, wq)
                        wq = SIMD8Access.load(wp + 8)
                        p01.addProduct(v0, wq); p11.addProduct(v1, wq); p21.addProduct(v2, wq)
                        wq = SIMD8Access.load(wp + 16)
                        p02.addProduct(v0, wq); p12.addProduct(v1, wq); p22.addProduct(v2, wq)
                        wq = SIMD8Access.load(wp + 24)
                        p03.addProduct(v0, wq); p13.addProduct(v1, wq); p23.addProduct(v2, wq)
                        wp += 64
                    }
                }
            }
            let e = ((n * s.h + i) * s.w + j) * 64 + half
            @inline(__always) func put(_ v: SIMD8<Float>, _ k: Int) { SIMD8Access.store(relu.store(v, element: e + k), y + e + k) }
            put(p00, 0); put(p01, 8); put(p02, 16); put(p03, 24)
            put(p10, 64); put(p11, 72); put(p12, 80); put(p13, 88)
            put(p20, 128); put(p21, 136); put(p22, 144); put(p23, 152)
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
