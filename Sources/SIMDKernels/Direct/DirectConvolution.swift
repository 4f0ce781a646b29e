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

    /// y = conv(x) + bias, then ReLU recording `reluMask` when given. Needs cout == 64 (the only
    /// layer it serves): all 64 outputs of a pixel stay in eight registers while each of the
    /// 27 inputs is broadcast once.
    public func forward(
        input x: UnsafePointer<Float>, shape s: TensorShape, bias: UnsafePointer<Float>?,
        reluMask: UnsafeMutablePointer<UInt8>?, output y: UnsafeMutablePointer<Float>
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
                            var v = acc[g]
                            if let reluMask {
                                reluMask[e0 / 8 + g] = ReLU.maskBits(v)
                                v = ReLU.relu(v)
                            }
                            SIMD8Access.store(v, y + e0 + 8 * g)
                        }
                    }
                }
            }
        }
    }

    /// dx = the gradient with respect to the input, given `dy` (pre-activation output gradient).
    /// Needs cin == 3: each loaded vector of dy feeds the three input channels' accumulators.
    public func backwardData(
        outputGradient dy: UnsafePointer<Float>, outShape s: TensorShape, inputGradient dx: UnsafeMutablePointer<Float>
    ) {
        precondition(s.c == outChannels && inChannels == 3, "direct backward serves \(outChannels) -> 3 channels, got \(s)")
        let cout = outChannels
        let w = UnsafePointer(backwardPacked.pointer)
        Parallel.forRanges(s.n * s.h, minChunk: 1) { rows in
            for row in rows {
                let n = row / s.h, i = row % s.h
                for j in 0..<s.w {
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
            }
        }
    }
}
