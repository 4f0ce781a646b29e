import FVModel
import FVOptim
import FVProtocol

/// The one place a request's preset and options become an engine job: the daemon's `pattern`
/// and `grid`, `fvd render`, and the fuzz target all resolve through here.
public enum JobResolver {
    /// The job for `filters` of `layer`: each option given, else the preset's (the request's, or
    /// `defaultPreset`); checked against `limits`. Errors are invalid-params errors that name the
    /// bad value.
    /// With `negative`, each filter's image is followed by its negative (Lucid's pair).
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
        let items = filters.flatMap { f -> [AscentJob.Item] in
            negative ? [.init(filter: f, seed: seed), .init(filter: f, seed: seed, negative: true)] : [.init(filter: f, seed: seed)]
        }
        let job = AscentJob(objective: preset.objective(layer: layer), items: items,
                            size: o.size ?? preset.size, steps: o.steps ?? preset.steps,
                            stepSize: Float(o.stepSize ?? Double(preset.stepSize)), style: preset.style, transformSeed: seed)
        do { try job.validate(limits: limits) } catch { throw RPCError.invalidParams("\(error)") }
        return job
    }
}
