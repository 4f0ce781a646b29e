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

/// A term and its weight in the sum.
public struct WeightedTerm: Hashable, Sendable, CustomStringConvertible {
    public var weight: Float
    public var term: ObjectiveTerm

    public init(_ term: ObjectiveTerm, weight: Float = 1) {
        self.term = term
        self.weight = weight
    }

    public var description: String { "\(weight.bitPattern == Float(1).bitPattern ? "" : "\(weight)*")\(term)" }
}
