import FVModel
import SIMDKernels

/// How a render's images are described by the numbers the optimiser changes. It writes the
/// images the network sees (model input space: NHWC, BGR, 0...255 visible) from its parameters,
/// and turns the gradient with respect to those images into the gradient with respect to its
/// parameters. Parameters are kept in Double, as the notebook's numpy array is float64.
public protocol ImageParameterization: AnyObject {
    var imageCount: Int { get }
    /// Parameters per image (the optimiser works image by image).
    var parametersPerImage: Int { get }
    var parameters: [Double] { get set }
    /// The images for the current parameters, into `input` (imageCount * side^2 * 3 floats).
    func render(into input: UnsafeMutablePointer<Float>)
    /// dLoss/d(parameters) from dLoss/d(images), as Float (what the optimiser reads).
    func parameterGradient(imageGradient: UnsafePointer<Float>) -> UnsafePointer<Float>
    /// The images as they are now, model input space.
    func images() -> [Float]
}

extension ImageParameterization {
    /// What `render` draws (`pixels` RGB pixels in 0...1) in model input space (BGR, 0...255
    /// visible), as results carry images: the `images()` of pictures drawn through a sigmoid.
    func modelSpaceImages(pixels: Int) -> [Float] {
        let out = AlignedBuffer<Float>(count: pixels * 3)
        render(into: out.pointer)
        var bgr = [Float](repeating: 0, count: out.count)
        let picture = out.pointer
        CaffeInput.fromRGB(pixels: pixels, subtractMean: false, { 255 * picture[$0] }) { bgr[$0] = $1 }
        return bgr
    }
}
