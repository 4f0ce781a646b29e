import FVModel
import SIMDKernels

/// How a step turns the pictures (what the parameterisation renders) into the network's input,
/// and the gradient back: the notebook feeds its picture as is; Lucid transforms it at random
/// and applies the model's preprocessing.
protocol NetworkInput {
    /// Side of the largest input `prepare` can ask for (the workspace is sized for it).
    var largestSide: Int { get }
    /// Draws this step's transforms; the input's height and width.
    mutating func prepare() -> (height: Int, width: Int)
    /// No transform (for the final value, which should describe the picture itself).
    mutating func prepareUntransformed() -> (height: Int, width: Int)
    func forward(_ pictures: UnsafePointer<Float>, count n: Int, into input: UnsafeMutablePointer<Float>)
    func adjoint(_ inputGradient: UnsafePointer<Float>, count n: Int, into pictureGradient: UnsafeMutablePointer<Float>)
}

/// The notebook's: the picture is already in model space.
struct DirectInput: NetworkInput {
    let side: Int
    var largestSide: Int { side }
    func prepare() -> (height: Int, width: Int) { (side, side) }
    func prepareUntransformed() -> (height: Int, width: Int) { (side, side) }

    func forward(_ pictures: UnsafePointer<Float>, count n: Int, into input: UnsafeMutablePointer<Float>) {
        input.update(from: pictures, count: n * side * side * 3)
    }

    func adjoint(_ inputGradient: UnsafePointer<Float>, count n: Int, into pictureGradient: UnsafeMutablePointer<Float>) {
        pictureGradient.update(from: inputGradient, count: n * side * side * 3)
    }
}

/// Lucid's: the step's random transforms (one sampler), then Keras' caffe preprocessing of an
/// RGB picture in (0, 1): BGR order, times 255, minus the ImageNet mean.
struct TransformedInput: NetworkInput {
    var transforms: LucidTransforms
    /// MACO's crops and noise instead (the natural preset's trial), when set.
    var maco: MACOTransforms?
    var sampler: BilinearSampler?
    var noisy = false
    let sampled: AlignedBuffer<Float>
    /// This step's noise (MACO's), drawn with the crop.
    let noise: AlignedBuffer<Float>

    init(side: Int, images: Int, seed: UInt32, kind: TransformKind = .lucid) {
        transforms = LucidTransforms(side: side, seed: seed)
        if kind == .maco { maco = MACOTransforms(side: side, seed: seed) }
        let largest = LucidTransforms.largestOutput(side: side)
        sampled = AlignedBuffer(count: images * largest * largest * 3)
        noise = AlignedBuffer(count: kind == .maco ? images * side * side * 3 : 0)
    }

    var largestSide: Int { LucidTransforms.largestOutput(side: transforms.side) }

    mutating func prepare() -> (height: Int, width: Int) {
        let s = maco != nil ? maco!.next() : transforms.next()
        sampler = s
        noisy = maco != nil
        if noisy { maco!.noise(into: noise.pointer, count: noise.count) }
        return (s.outputHeight, s.outputWidth)
    }

    mutating func prepareUntransformed() -> (height: Int, width: Int) {
        let side = transforms.side
        sampler = BilinearSampler(inputSide: side, outputHeight: side, outputWidth: side, inFrameFill: 0.5, outsideFill: 0) {
            (Double($0), Double($1))
        }
        noisy = false
        return (side, side)
    }

    func forward(_ pictures: UnsafePointer<Float>, count n: Int, into input: UnsafeMutablePointer<Float>) {
        let s = sampler!
        let shape = TensorShape(n: n, h: transforms.side, w: transforms.side, c: 3)
        s.forward(pictures, shape, into: sampled.pointer)
        // Additive, so the adjoint is unchanged.
        if noisy { for k in 0..<(n * s.outputHeight * s.outputWidth * 3) { sampled[k] += noise[k] } }
        let picture = sampled.pointer
        CaffeInput.fromRGB(pixels: n * s.outputHeight * s.outputWidth, subtractMean: true, { 255 * picture[$0] }) { input[$0] = $1 }
    }

    func adjoint(_ inputGradient: UnsafePointer<Float>, count n: Int, into pictureGradient: UnsafeMutablePointer<Float>) {
        let s = sampler!
        let picture = sampled.pointer
        CaffeInput.toRGB(pixels: n * s.outputHeight * s.outputWidth, addMean: false, { 255 * inputGradient[$0] }) { picture[$0] = $1 }
        s.adjoint(sampled.pointer, TensorShape(n: n, h: transforms.side, w: transforms.side, c: 3), into: pictureGradient)
    }
}
