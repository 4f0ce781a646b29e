import FVModel

/// What a render maximises, image by image, read from the target layer's output. An objective
/// says what it needs the network to compute there (`needs`), whether each image's value
/// depends on that image alone (`imagesAreIndependent`: only then may images of different
/// requests share a batch), its values, and its gradient with respect to the layer's output.
///
/// To add one: a type here conforming to `Objective`, a case in `ObjectiveSpec` that builds it,
/// and the protocol words for it (docs/HACKING.md walks through this).
public protocol Objective {
    /// The target layer's index in `VGG16.layers`: the deepest the objective reads.
    var layer: Int { get }
    /// Shallower layers the objective also reads (their activations kept by `forward`, their
    /// gradients, in `ws.tapGradient`, added in by `backward`); none for most.
    var taps: [Int] { get }
    var needs: TargetOutput { get }
    /// Reads the target layer before its ReLU (Lucid's choice: the pre-activation still has a
    /// gradient where the filter does not fire).
    var preReLU: Bool { get }
    var imagesAreIndependent: Bool { get }
    /// Each image's value, from `ws.output` after `forward`.
    func values(_ ws: NetworkWorkspace) -> [Float]
    /// d(sum of the values)/d(output), written into `ws.outputGradient` (all of it).
    func gradient(_ ws: NetworkWorkspace)
    /// Both, as a step needs them; an objective whose value and gradient share work (the
    /// diversity term's Gram matrices) does it once here.
    func valuesAndGradient(_ ws: NetworkWorkspace) -> [Float]
}

extension Objective {
    public var taps: [Int] { [] }

    public func valuesAndGradient(_ ws: NetworkWorkspace) -> [Float] {
        let v = values(ws)
        gradient(ws)
        return v
    }
}

/// An objective as a request names it: hashable and printable, so that a job's cache key and
/// the scheduler's batch key come from it, never from fields listed by hand. Per-image targets
/// (which filter) live in the job's items; this is what all images of a job share.
public enum ObjectiveSpec: Hashable, Sendable, CustomStringConvertible {
    /// The notebook's: maximise the mean activation of one filter of `layer` (the filter is each
    /// image's own), after the layer's ReLU, or before it (Lucid's) with `preReLU`. Computes
    /// only that filter at the layer (a channel head).
    case channel(layer: String, preReLU: Bool = false)
    /// A weighted sum of terms on `layer` (or each on its own layer and filter), minus `diversityWeight` times Lucid's diversity
    /// penalty when that is above 0 (see `TermsObjective`).
    case terms(layer: String, preReLU: Bool, terms: [WeightedTerm], diversityWeight: Float)

    public var layerName: String {
        switch self {
        case .channel(let layer, _), .terms(let layer, _, _, _): return layer
        }
    }

    /// Whether images of different jobs with this spec may run as one batch.
    public var imagesAreIndependent: Bool {
        switch self {
        case .channel: return true
        case .terms(_, _, _, let diversity): return diversity == 0
        }
    }

    /// Whether the items' filters matter (some term reads them).
    public var usesFilter: Bool {
        switch self {
        case .channel: return true
        case .terms(_, _, let terms, _): return terms.contains(where: \.usesItemFilter)
        }
    }

    /// Stable text (part of cache keys, which outlive the process; `hashValue` does not).
    public var description: String {
        switch self {
        case .channel(let layer, let pre): return pre ? "channel-pre-relu(\(layer))" : "channel(\(layer))"
        case .terms(let layer, let pre, let terms, let diversity):
            return "terms(\(layer),\(pre ? "pre-relu" : "post-relu"),[\(terms.map(\.description).joined(separator: "+"))]"
                + (diversity > 0 ? ",diversity(\(diversity))" : "") + ")"
        }
    }

    /// The objective for a batch whose images target `items`' filters (negated for negative
    /// items), for pictures of `side` pixels.
    func make(items: [AscentJob.Item], side: Int) -> Objective {
        let index = VGG16.layer(named: layerName)!.index
        switch self {
        case .channel(_, let pre):
            return ChannelObjective(layer: index, filters: items.map(\.filter), preReLU: pre, negated: items.map(\.negative))
        case .terms(_, let pre, let terms, let diversity):
            return TermsObjective(layer: index, preReLU: pre, terms: terms, filters: items.map(\.filter), negated: items.map(\.negative),
                                  diversityWeight: diversity, pictureSide: side)
        }
    }
}
