import FVModel

/// One term of a weighted objective, read from the target layer's activations A[b, y, x, c]
/// (../shared/LUCID.md section 4). Terms that name a filter use each image's own (the job
/// item's); the others ignore it.
public enum ObjectiveTerm: Hashable, Sendable, CustomStringConvertible {
    /// Mean over positions of the image's filter.
    case channel
    /// The image's filter at one position of the layer, given for the picture's own size (nil:
    /// the centre); under the lucid transforms the position is scaled to each step's size.
    case neuron(y: Int?, x: Int?)
    /// Mean over positions of <A[y, x, :], v>.
    case direction([Float])
    /// DeepDream's: mean of A^2 over positions and channels.
    case deepdream

    /// Whether the term reads the image's filter.
    public var usesFilter: Bool {
        switch self {
        case .channel, .neuron: return true
        case .direction, .deepdream: return false
        }
    }

    public var description: String {
        switch self {
        case .channel: return "channel"
        case .neuron(let y, let x): return y.map { "neuron(\($0),\(x!))" } ?? "neuron(centre)"
        case .direction(let v): return "direction(\(v.map { String($0.bitPattern, radix: 16) }.joined(separator: ",")))"
        case .deepdream: return "deepdream"
        }
    }
}

/// A term and its weight in the sum, on its own layer and filter where it names them (Lucent's
/// `channel("mixed4a", 476) - channel("mixed4a", 460)`): `layer` nil reads the objective's
/// layer, `filter` nil each image's own filter.
public struct WeightedTerm: Hashable, Sendable, CustomStringConvertible {
    public var weight: Float
    public var term: ObjectiveTerm
    /// The layer's index in `VGG16.layers`.
    public var layer: Int?
    public var filter: Int?

    public init(_ term: ObjectiveTerm, weight: Float = 1, layer: Int? = nil, filter: Int? = nil) {
        self.term = term
        self.weight = weight
        self.layer = layer
        self.filter = filter
    }

    /// Whether the term reads the image's own filter (it names none of its own).
    public var usesItemFilter: Bool { term.usesFilter && filter == nil }

    /// Stable text (part of cache keys): unchanged for terms that name neither layer nor filter.
    public var description: String {
        let weightText = weight.bitPattern == Float(1).bitPattern ? "" : "\(weight)*"
        let on = (layer.map { "@\(VGG16.layers[$0].name)" } ?? "") + (filter.map { "#\($0)" } ?? "")
        return weightText + "\(term)" + on
    }
}
