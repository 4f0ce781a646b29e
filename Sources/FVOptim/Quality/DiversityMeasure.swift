import FVModel
import SIMDKernels

/// How alike a set of pictures are to the network (issue 24.3): the mean pairwise cosine
/// similarity of their Gram matrices at a layer, which is what the diversity penalty lowers.
/// The saved 8-bit pictures are fed as the lucid preset feeds them (caffe preprocessing) and the
/// layer is read after its ReLU, as Lucid's diversity term reads it. 1: the same texture
/// statistics; lower: different ones.
public struct DiversityMeasure {
    public let network: VGG16Network

    public init(network: VGG16Network) { self.network = network }

    public func meanGramCosine(rgb8 pictures: [[UInt8]], side: Int, layer: Int) -> Double {
        let n = pictures.count
        precondition(n >= 2 && pictures.allSatisfy { $0.count == side * side * 3 })
        let ws = NetworkWorkspace(network: network, inputShape: .init(n: n, h: side, w: side, c: 3), target: layer, output: .layer)
        var input = [Float](repeating: 0, count: n * side * side * 3)
        for (k, picture) in pictures.enumerated() {
            let base = k * side * side * 3
            CaffeInput.fromRGB(pixels: side * side, subtractMean: true, { Float(picture[$0]) }) { input[base + $0] = $1 }
        }
        input.withUnsafeBufferPointer { network.forward($0.baseAddress!, ws) }
        let shares = GramDiversity.shares(ws.output, ws.outputShape)
        // Each share is (1/n) * the sum over the other n-1 pictures: back to a mean over pairs.
        return shares.reduce(0.0) { $0 + Double($1) } * Double(n) / Double(n * (n - 1))
    }
}
