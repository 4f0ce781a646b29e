/// Adam (Kingma & Ba), as Lucid renders with it: learning rate 0.05, beta1 0.9, beta2 0.999,
/// eps 1e-8, bias-corrected moments. Each parameter moves by about the learning rate whatever
/// its gradient's size, which, through the Fourier parameterisation's 1/f scale, is what gives
/// the image a natural spectrum. Ascends (fvd maximises the objective).
public struct Adam: Optimizer {
    public let learningRate: Double
    public let beta1 = 0.9
    public let beta2 = 0.999
    public let epsilon = 1e-8
    var m: [Double] = []
    var v: [Double] = []
    /// Steps taken per image (each image's moments are its own).
    var steps: [Int] = []

    public init(learningRate: Double) { self.learningRate = learningRate }

    public mutating func step(_ x: inout [Double], gradient g: UnsafePointer<Float>, image: Int, offset: Int, count: Int) {
        if m.count < x.count {
            m = [Double](repeating: 0, count: x.count)
            v = m
        }
        if steps.count <= image { steps += Array(repeating: 0, count: image + 1 - steps.count) }
        steps[image] += 1
        let t = Double(steps[image])
        let c1 = 1 - pow(beta1, t), c2 = 1 - pow(beta2, t)
        for k in offset..<(offset + count) {
            let gk = Double(g[k])
            m[k] = beta1 * m[k] + (1 - beta1) * gk
            v[k] = beta2 * v[k] + (1 - beta2) * gk * gk
            x[k] += learningRate * (m[k] / c1) / ((v[k] / c2).squareRoot() + epsilon)
        }
    }
}

import Foundation
