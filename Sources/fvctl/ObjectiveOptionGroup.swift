import ArgumentParser
import FVProtocol
import Foundation

/// What a render maximises beyond the preset's channel objective, and the lucid picture's
/// penalties (docs/PROTOCOL.md, "Objectives").
struct ObjectiveOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Objective: channel (the filter's mean, the default), neuron (the filter at one position; --at), direction (a vector over the layer's channels; --vector), deepdream (mean square of the whole layer), or a sum of terms on any layers and filters.",
        discussion: "e.g. \"block4_conv3:12 - block4_conv3:40\", \"block4_conv3:12 - 0.5 * block3_conv1:7\", \"neuron(block4_conv3:12, 3, 4)\", \"channel + 0.1 * deepdream(block3_conv3)\" (a term without a layer reads the command's layer and filter; with one, LAYER and FILTER may be left out).",
        valueName: "objective"),
            completion: .list(ObjectiveParams.Term.types))
    var objective: String?
    @Option(help: "With --objective neuron: the position X,Y in the layer (default: the centre).") var at: String?
    @Option(help: "With --objective direction: a file of one number per channel of the layer (separated by commas, spaces or newlines; a JSON array works).",
            completion: .file())
    var vector: String?
    @Flag(name: .customLong("pre-relu"), help: "Read the layer before its ReLU (the lucid preset's default).") var preReLU = false
    @Flag(name: .customLong("post-relu"), help: "Read the layer after its ReLU (the seed and grid presets' default).") var postReLU = false
    @Option(name: .customLong("tv"), parsing: .unconditional, help: "Weight of the total-variation penalty on the picture (lucid preset; e.g. 0.02).") var totalVariation: Double?
    @Option(parsing: .unconditional, help: "Weight of the L1 penalty |picture - grey| (lucid preset).") var l1: Double?
    @Option(parsing: .unconditional, help: "Weight of Lucid's blur penalty (lucid preset; e.g. 2).") var blur: Double?

    /// The objective's terms as written (nil: none given).
    var expression: ObjectiveExpression? { get throws { try objective.map(ObjectiveExpression.init) } }

    func validate() throws {
        let terms = try expression?.terms ?? []
        if at != nil && !terms.contains(where: { $0.type == .neuron && $0.x == nil }) {
            throw ValidationError("--at goes with a neuron term that gives no position of its own (--objective neuron)")
        }
        if let a = at, Self.position(a) == nil { throw ValidationError("--at takes X,Y (two numbers, 0 or more), got \(a)") }
        if (vector != nil) != terms.contains(where: { $0.type == .direction }) {
            throw ValidationError("--objective direction and --vector FILE go together")
        }
        if preReLU && postReLU { throw ValidationError("--pre-relu and --post-relu contradict each other; give one") }
        for (name, w) in [("--tv", totalVariation), ("--l1", l1), ("--blur", blur)] {
            if let w, !(w.isFinite && w >= 0) { throw ValidationError("\(name) must be a weight of 0 or more, got \(w)") }
        }
    }

    static func position(_ text: String) -> (x: Int, y: Int)? {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let x = parts[0], let y = parts[1], x >= 0, y >= 0 else { return nil }
        return (x, y)
    }

    /// The vector file's numbers.
    static func readVector(_ path: String) throws -> [Double] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("cannot read --vector file \(path)")
        }
        let fields = text.split { ",[] \n\t\r".contains($0) }
        let numbers = fields.map { Double($0) }
        guard !numbers.isEmpty, numbers.allSatisfy({ $0?.isFinite == true }) else {
            throw ValidationError("--vector file \(path) must hold numbers only (one per channel), separated by commas, spaces or newlines")
        }
        return numbers.map { $0! }
    }

    /// The request's objective; `diversity` images (pattern only).
    func params(diversity: Int? = nil, diversityWeight: Double? = nil) throws -> ObjectiveParams? {
        let pre: Bool? = preReLU ? true : (postReLU ? false : nil)
        guard objective != nil || pre != nil || diversity != nil else { return nil }
        var terms = try expression?.terms ?? [ObjectiveParams.Term(type: .channel)]
        for k in terms.indices {
            if terms[k].type == .neuron, terms[k].x == nil, let a = at, let p = Self.position(a) { terms[k].x = p.x; terms[k].y = p.y }
            if terms[k].type == .direction, let v = vector { terms[k].vector = try Self.readVector(v) }
        }
        return ObjectiveParams(terms: terms, preReLU: pre, diversity: diversity, diversityWeight: diversityWeight)
    }

    var penalties: PenaltyParams? {
        guard totalVariation != nil || l1 != nil || blur != nil else { return nil }
        return PenaltyParams(totalVariation: totalVariation, l1: l1, blur: blur)
    }
}
