import FVImage
import FVModel
import FVOptim
import FVProtocol
import Foundation

/// The image an `activations` request sends (PNG or JPEG, or a raw tensor), checked when the request arrives and turned into
/// model input (BGR floats) only when its job runs. A queued request keeps the bytes the client
/// sent (a few KiB of PNG), not the decoded floats (12 MiB for a 1024 px image): 64 queued
/// requests used to pin 776 MiB.
public struct ActivationInput: Sendable {
    public let height: Int
    public let width: Int
    private let source: Source

    private enum Source: Sendable {
        case png([UInt8], subtractMean: Bool)
        case tensor([Float])
    }

    /// Checks everything that can be checked without decoding pixels (base64, the PNG header and
    /// its size; every tensor value).
    public static func check(_ p: ActivationsParams) throws -> ActivationInput {
        let range = VGG16.minimumSide...VGG16.maximumSide
        if let b64 = p.png {
            guard let data = Data(base64Encoded: b64) else {
                throw RPCError.invalidParams("param \"image\" is not valid base64; send the PNG or JPEG file's bytes base64-encoded")
            }
            let bytes = [UInt8](data)
            let size: (width: Int, height: Int)
            do { size = try ImageFile.dimensions(bytes, maxSide: VGG16.maximumSide) } catch {
                throw RPCError.invalidParams("\(error)")
            }
            guard range.contains(size.width), range.contains(size.height) else {
                throw RPCError.invalidParams("the image is \(size.width)x\(size.height); both sides must be in \(range.lowerBound)...\(range.upperBound) pixels")
            }
            return ActivationInput(height: size.height, width: size.width, source: .png(bytes, subtractMean: p.preprocess == "caffe"))
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
        return ActivationInput(height: h, width: w, source: .tensor(out))
    }

    /// The image as model input (NHWC BGR floats), and as a person sees it (for a heat map over
    /// it): the picture itself, or a tensor shown as the notebook shows model-space values. The
    /// PNG or JPEG is decoded now, once; `stopReason` is asked during a JPEG's decode, and the
    /// decode ends with its error when it answers.
    public func decode() throws -> (model: [Float], shown: RGBImage) { try decode(stopReason: { nil }) }

    func decode(stopReason: @escaping () -> StopReason?) throws -> (model: [Float], shown: RGBImage) {
        switch source {
        case .tensor(let values):
            return (values, RGBImage(width: width, height: height, pixels: ModelImage.rgb(fromBGR: values)))
        case .png(let bytes, let subtractMean):
            let img: RGBImage
            do { img = try ImageFile.decode(bytes, maxSide: VGG16.maximumSide, shouldStop: { stopReason() != nil }) } catch is JPEGCodec.Stopped {
                throw (stopReason() ?? .cancelledByRequest).error
            } catch {
                throw RPCError.invalidParams("\(error)")
            }
            return (ModelImage.bgr(fromRGB: img.pixels, subtractMean: subtractMean), img)
        }
    }
}
