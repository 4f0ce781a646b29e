import SIMDKernels

/// A geometric transform as a table: each output pixel is a bilinear mix of up to four input
/// pixels plus a constant (where its taps fall outside the input, a fill colour stands in). Any
/// chain of pads, crops, scalings and rotations is one such table, so the random transforms of
/// a step interpolate once (sharper than resampling per transform) and the adjoint is the same
/// table read backwards: a scatter-add with the same weights. Shared by every image and
/// channel of a batch.
public struct BilinearSampler: ImageTransform {
    public let inputSide: Int
    public let outputHeight: Int
    public let outputWidth: Int
    /// Per output pixel, 4 input pixel indices (-1: none) and their weights.
    let taps: [Int32]
    let weights: [Float]
    /// Per output pixel, what the fill contributes (the same in every channel).
    let fill: [Float]

    /// Builds the table from `source(i, j)`: where output pixel (i, j) samples the input, in
    /// input pixel coordinates, with the fill inside the picture's frame, or nil for a pixel
    /// that shows `outsideFill` entirely (outside the frame, e.g. a rotation's corners).
    public init(inputSide: Int, outputHeight: Int, outputWidth: Int, inFrameFill: Float, outsideFill: Float,
                source: (Int, Int) -> (y: Double, x: Double)?) {
        self.inputSide = inputSide
        self.outputHeight = outputHeight
        self.outputWidth = outputWidth
        let count = outputHeight * outputWidth
        var taps = [Int32](repeating: -1, count: 4 * count)
        var weights = [Float](repeating: 0, count: 4 * count)
        var fill = [Float](repeating: outsideFill, count: count)
        for i in 0..<outputHeight {
            for j in 0..<outputWidth {
                let o = i * outputWidth + j
                guard let (sy, sx) = source(i, j) else { continue }
                let y0 = Int(sy.rounded(.down)), x0 = Int(sx.rounded(.down))
                let fy = sy - Double(y0), fx = sx - Double(x0)
                var f = 0.0
                for k in 0..<4 {
                    let dy = k >> 1, dx = k & 1  // taps (0,0) (0,1) (1,0) (1,1)
                    let w = (dy == 0 ? 1 - fy : fy) * (dx == 0 ? 1 - fx : fx)
                    let y = y0 + dy, x = x0 + dx
                    if (0..<inputSide).contains(y) && (0..<inputSide).contains(x) {
                        taps[4 * o + k] = Int32(y * inputSide + x)
                        weights[4 * o + k] = Float(w)
                    } else {
                        f += w * Double(inFrameFill)
                    }
                }
                fill[o] = Float(f)
            }
        }
        self.taps = taps
        self.weights = weights
        self.fill = fill
    }

    public func outputShape(for input: TensorShape) -> TensorShape {
        TensorShape(n: input.n, h: outputHeight, w: outputWidth, c: input.c)
    }

    public func forward(_ x: UnsafePointer<Float>, _ shape: TensorShape, into y: UnsafeMutablePointer<Float>) {
        precondition(shape.h == inputSide && shape.w == inputSide, "sampler built for \(inputSide)px input, got \(shape)")
        let c = shape.c, inPx = shape.pixels, outPx = outputHeight * outputWidth
        for n in 0..<shape.n {
            let xin = x + n * inPx * c, yout = y + n * outPx * c
            for o in 0..<outPx {
                for ch in 0..<c {
                    var v = fill[o]
                    for k in 0..<4 where taps[4 * o + k] >= 0 {
                        v += weights[4 * o + k] * xin[Int(taps[4 * o + k]) * c + ch]
                    }
                    yout[o * c + ch] = v
                }
            }
        }
    }

    public func adjoint(_ dy: UnsafePointer<Float>, _ shape: TensorShape, into dx: UnsafeMutablePointer<Float>) {
        let c = shape.c, inPx = shape.pixels, outPx = outputHeight * outputWidth
        dx.update(repeating: 0, count: shape.count)
        for n in 0..<shape.n {
            let gin = dx + n * inPx * c, gout = dy + n * outPx * c
            for o in 0..<outPx {
                for k in 0..<4 where taps[4 * o + k] >= 0 {
                    let w = weights[4 * o + k], t = Int(taps[4 * o + k]) * c
                    for ch in 0..<c { gin[t + ch] += w * gout[o * c + ch] }
                }
            }
        }
    }
}
