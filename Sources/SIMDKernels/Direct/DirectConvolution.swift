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

    /// y = conv(x) + bias, then ReLU recording `reluMask` when given.
    public func forward(
        input x: UnsafePointer<Float>, shape s: TensorShape, bias: UnsafePointer<Float>?,
        reluMask: UnsafeMutablePointer<UInt8>?, output y: UnsafeMutablePointer<Float>
    ) {
        precondition(s.c == inChannels, "input has \(s.c) channels, layer expects \(inChannels)")
        let cin = inChannels, cout = outChannels
        let w = UnsafePointer(forwardPacked.pointer)
        Parallel.forRanges(s.n * s.h, minChunk: 1) { rows in
            for row in rows {
                let n = row / s.h, i = row % s.h
                for j in 0..<s.w {
                    let e0 = ((n * s.h + i) * s.w + j) * cout
                    for g in stride(from: 0, to: cout, by: 8) {
                        var acc = bias.map { SIMD8Access.load($0 + g) } ?? SIMD8<Float>(repeating: 0)
                        for ky in 0..<3 {
                            let yy = i + ky - 1
                            if yy < 0 || yy >= s.h { continue }
                            for kx in 0..<3 {
                                let xx = j + kx - 1
                                if xx < 0 || xx >= s.w { continue }
                                let xp = x + ((n * s.h + yy) * s.w + xx) * cin
                                let wp = w + ((ky * 3 + kx) * cin) * cout + g
                                for ci in 0..<cin {
                                    acc.addProduct(SIMD8<Float>(repeating: xp[ci]), SIMD8Access.load(wp + ci * cout))
                                }
                            }
                        }
                        if let reluMask {
                            reluMask[(e0 + g) / 8] = ReLU.maskBits(acc)
                            acc = ReLU.relu(acc)
                        }
                        SIMD8Access.store(acc, y + e0 + g)
                    }
                }
            }
        }
    }

    /// dx = the gradient with respect to the input, given `dy` (pre-activation output gradient).
    public func backwardData(
        outputGradient dy: UnsafePointer<Float>, outShape s: TensorShape, inputGradient dx: UnsafeMutablePointer<Float>
    ) {
        precondition(s.c == outChannels, "gradient has \(s.c) channels, layer produces \(outChannels)")
        let cin = inChannels, cout = outChannels
        let w = UnsafePointer(backwardPacked.pointer)
        Parallel.forRanges(s.n * s.h, minChunk: 1) { rows in
            for row in rows {
                let n = row / s.h, i = row % s.h
                for j in 0..<s.w {
                    for ci in 0..<cin {
                        var acc = SIMD8<Float>(repeating: 0)
                        for ky in 0..<3 {
                            let yy = i - ky + 1
                            if yy < 0 || yy >= s.h { continue }
                            for kx in 0..<3 {
                                let xx = j - kx + 1
                                if xx < 0 || xx >= s.w { continue }
                                let dp = dy + ((n * s.h + yy) * s.w + xx) * cout
                                let wp = w + (ci * 9 + ky * 3 + kx) * cout
                                for g in stride(from: 0, to: cout, by: 8) {
                                    acc.addProduct(SIMD8Access.load(dp + g), SIMD8Access.load(wp + g))
                                }
                            }
                        }
                        dx[((n * s.h + i) * s.w + j) * cin + ci] = acc.sum()
                    }
                }
            }
        }
    }
}
