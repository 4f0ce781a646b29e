import FVImage
import FVModel
import FVOptim
import FVProtocol

/// The one place a request's preset and options become an engine job: the daemon's `pattern`
/// and `grid`, `fvd render`, and the fuzz target all resolve through here.
public enum JobResolver {
    /// The job for `filters` of `layer`: each option given, else the preset's (the request's, or
    /// `defaultPreset`); checked against `limits`. Errors are invalid-params errors that name the
    /// bad value. With `negative`, each filter's image is followed by its negative (Lucid's
    /// pair); with the objective's `diversity` N, each filter gets N images (seeds seed ...
    /// seed+N-1) kept apart by the diversity penalty.
    public static func ascentJob(layer: String, filters: [Int], options o: RenderOptions, defaultPreset: Preset,
                                 limits: AscentJob.Limits = .init(), negative: Bool = false) throws -> AscentJob {
        let preset: Preset
        if let name = o.preset {
            guard let p = Preset(rawValue: name) else {
                throw RPCError.invalidParams("unknown preset \"\(name)\"; presets: \(Preset.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            preset = p
        } else {
            preset = defaultPreset
        }
        let seed = UInt32(o.seed ?? 0)
        let spec = try objective(o.objective, layer: layer, preset: preset)
        let copies = o.objective?.diversity ?? 1
        if copies > 1 && negative { throw RPCError.invalidParams("a render has either a negative pair or diversity, not both") }
        if copies > 1 && filters.count > 1 { throw RPCError.invalidParams("diversity is for one filter's pattern, not a grid") }
        guard seed <= UInt32.max - UInt32(copies) else { throw RPCError.invalidParams("seed \(seed) leaves no room for \(copies) diverse images") }
        let items = filters.flatMap { f -> [AscentJob.Item] in
            if negative { return [.init(filter: f, seed: seed), .init(filter: f, seed: seed, negative: true)] }
            return (0..<copies).map { .init(filter: f, seed: seed + UInt32($0)) }
        }
        var job = AscentJob(preset: preset, layer: layer, objective: spec, items: items, size: o.size, steps: o.steps,
                            stepSize: o.stepSize.map(Float.init), transformSeed: seed)
        if let p = o.penalties {
            job.settings.penalties = PicturePenalties(totalVariation: Float(p.totalVariation ?? 0), l1: Float(p.l1 ?? 0), blur: Float(p.blur ?? 0))
        }
        job.settings.snapshots = (o.snapshots ?? []).sorted()
        if let sp = o.spectrum {
            do {
                job.settings.spectrum = try AmplitudeSpectrum(size: sp.size, angles: sp.angles, amplitude: sp.amplitude.map(Float.init))
            } catch {
                throw RPCError.invalidParams("\(error); fvctl's --spectrum-from measures one")
            }
        }
        do { try job.validate(limits: limits) } catch { throw RPCError.invalidParams("\(error)") }
        return job
    }

    /// The engine's objective for the request's: the preset's channel objective when none is
    /// given (or when it is exactly that), else the weighted terms.
    static func objective(_ o: ObjectiveParams?, layer: String, preset: Preset) throws -> ObjectiveSpec {
        guard let o else { return preset.objective(layer: layer) }
        let preReLU = o.preReLU ?? preset.style.transforms
        let copies = o.diversity ?? 1
        if o.diversityWeight != nil && copies < 2 {
            throw RPCError.invalidParams("\"diversityWeight\" needs \"diversity\": the number of images (2 or more) to keep apart")
        }
        let weight = copies > 1 ? o.diversityWeight.map(Float.init) ?? TermsObjective.defaultDiversityWeight : 0
        let terms = try o.terms.map { t -> WeightedTerm in
            let term: ObjectiveTerm
            switch t.type {
            case .channel: term = .channel
            case .neuron: term = .neuron(y: t.y, x: t.x)
            case .direction: term = .direction((t.vector ?? []).map(Float.init))
            case .deepdream: term = .deepdream
            }
            var layerIndex: Int?
            if let name = t.layer {
                guard let spec = VGG16.layer(named: name) else { throw RPCError.invalidParams("objective term: " + VGG16.unknownLayerMessage(name)) }
                layerIndex = spec.index
            }
            return WeightedTerm(term, weight: Float(t.weight), layer: layerIndex, filter: t.filter)
        }
        if weight == 0, terms == [WeightedTerm(.channel)] { return .channel(layer: layer, preReLU: preReLU) }
        return .terms(layer: layer, preReLU: preReLU, terms: terms, diversityWeight: weight)
    }
}
