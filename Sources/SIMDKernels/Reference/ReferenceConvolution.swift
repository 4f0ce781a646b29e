/// The test oracle: 3x3, stride 1, zero padding 1 ("same") convolution written as the obvious
/// loops, accumulating in Double. Nothing here is fast; everything fast is tested against it.
///
/// Weights are OIHW as in the ONNX file: `w[((co * cin + ci) * 3 + ky) * 3 + kx]`.
/// Activations are NHWC (see `TensorShape`).
public enum ReferenceConvolution {
    /// y[n,i,j,co] = bias[co] + sum over ky,kx,ci of x[n, i+ky-1, j+kx-1, ci] * w[co,ci,ky,kx].
    /// No activation function: ReLU is a separate step.
    public static func forward(
        input x: UnsafePointer<Float>, shape: TensorShape,
        weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels cout: Int,
        output y: UnsafeMutablePointer<Float>
    ) {
        let cin = shape.c
        for n in 0..<shape.n {
            for i in 0..<shape.h {
                for j in 0..<shape.w {
                    for co in 0..<cout {
                        var acc = Double(bias?[co] ?? 0)
                        for ky in 0..<3 {
                            let yy = i + ky - 1
                            if yy < 0 || yy >= shape.h { continue }
                            for kx in 0..<3 {
                                let xx = j + kx - 1
                                if xx < 0 || xx >= shape.w { continue }
                                let xBase = ((n * shape.h + yy) * shape.w + xx) * cin
                                for ci in 0..<cin {
                                    acc += Double(x[xBase + ci]) * Double(w[((co * cin + ci) * 3 + ky) * 3 + kx])
                                }
                            }
                        }
                        y[((n * shape.h + i) * shape.w + j) * cout + co] = Float(acc)
                    }
                }
            }
        }
    }

    /// The gradient with respect to the input, given the gradient `dy` of the (pre-activation)
    /// output of shape `outShape` (channels = cout): dx[n,i,j,ci] = sum over ky,kx,co of
    /// dy[n, i-ky+1, j-kx+1, co] * w[co,ci,ky,kx]. This is the transpose of `forward`.
    public static func backwardData(
        outputGradient dy: UnsafePointer<Float>, outShape: TensorShape,
        weights w: UnsafePointer<Float>, inChannels cin: Int,
        inputGradient dx: UnsafeMutablePointer<Float>
    ) {
        let cout = outShape.c
        for n in 0..<outShape.n {
            for i in 0..<outShape.h {
                for j in 0..<outShape.w {
                    for ci in 0..<cin {
                        var acc = 0.0
                        for ky in 0..<3 {
                            let yy = i - ky + 1
                            if yy < 0 || yy >= outShape.h { continue }
                            for kx in 0..<3 {
                                let xx = j - kx + 1
                                if xx < 0 || xx >= outShape.w { continue }
                                let base = ((n * outShape.h + yy) * outShape.w + xx) * cout
                                for co in 0..<cout {
                                    acc += Double(dy[base + co]) * Double(w[((co * cin + ci) * 3 + ky) * 3 + kx])
                                }
                            }
                        }
                        dx[((n * outShape.h + i) * outShape.w + j) * cin + ci] = Float(acc)
                    }
                }
            }
        }
    }
}
