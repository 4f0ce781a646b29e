import FVImage
import FVModel
import FVOptim
import FVProtocol
import Foundation

/// The image an `activations` request sends, checked and turned into model input (BGR floats).
public enum ActivationInput {
    public static func decode(_ p: ActivationsParams) throws -> (h: Int, w: Int, data: [Float]) {
        let range = VGG16.minimumSide...VGG16.maximumSide
        if let b64 = p.png {
            guard let data = Data(base64Encoded: b64) else {
                throw RPCError.invalidParams("param \"png\" is not valid base64; send the PNG file's bytes base64-encoded")
            }
            let img: RGBImage
            do { img = try PNGCodec.decode([UInt8](data), maxSide: VGG16.maximumSide) } catch {
                throw RPCError.invalidParams("\(error)")
            }
            guard range.contains(img.width), range.contains(img.height) else {
                throw RPCError.invalidParams("the image is \(img.width)x\(img.height); both sides must be in \(range.lowerBound)...\(range.upperBound) pixels")
            }
            return (img.height, img.width, ModelImage.bgr(fromRGB: img.pixels, subtractMean: p.preprocess == "caffe"))
        }
        let r = try ParamReader(p.tensor, method: "activations tensor", allowed: ["height", "width", "data"])
        let h = try r.requiredInt("height", in: Int64(range.lowerBound)...Int64(range.upperBound))
        let w = try r.requiredInt("width", in: Int64(range.lowerBound)...Int64(range.upperBound))
        guard case .array(let values)? = r.raw("data") else {
            throw RPCError.invalidParams("tensor \"data\" must be an array of height*width*3 numbers (HWC, BGR)")
        }
        guard values.count == h * w * 3 else {
            throw RPCError.invalidParams("tensor \"data\" has \(values.count) numbers; height*width*3 = \(h * w * 3)")
        }
        var out = [Float](repeating: 0, count: values.count)
        for (i, v) in values.enumerated() {
            guard let d = v.doubleValue, d.isFinite, abs(d) < 1e6 else {
                throw RPCError.invalidParams("tensor \"data\"[\(i)] must be a finite number below 1e6 in magnitude")
            }
            out[i] = Float(d)
        }
        return (h, w, out)
    }
}
