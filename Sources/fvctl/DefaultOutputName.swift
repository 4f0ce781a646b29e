/// The file name fvctl picks when there is no `-o`: it says what was rendered, so that renders of
/// one filter with different settings (a negative pair, four diverse pictures, another preset or
/// seed) land side by side instead of over each other. Settings at their defaults are left out:
/// `fvctl pattern block3_conv1 27` still writes block3_conv1_27.png.
enum DefaultOutputName {
    static func pattern(layer: String, filter: Int, render: RenderOptionGroup, objective: ObjectiveOptionGroup,
                        negative: Bool, diversity: Int?) -> String {
        var parts = ["\(layer)_\(filter)"] + settings(render, objective)
        if negative { parts.append("negative") }
        if let d = diversity { parts.append("diversity\(d)") }
        return parts.joined(separator: "_") + ".png"
    }

    static func grid(layer: String, render: RenderOptionGroup, objective: ObjectiveOptionGroup) -> String {
        (["\(layer)_grid"] + settings(render, objective)).joined(separator: "_") + ".png"
    }

    /// Preset, objective and seed where they are not the defaults, in that order.
    private static func settings(_ render: RenderOptionGroup, _ objective: ObjectiveOptionGroup) -> [String] {
        var parts: [String] = []
        if let p = render.preset, p != "seed" { parts.append(p) }
        if let o = objective.objective, o != "channel" {
            if o == "neuron", let a = objective.at, let p = ObjectiveOptionGroup.position(a) {
                parts.append("neuron\(p.x)x\(p.y)")
            } else {
                parts.append(o)
            }
        }
        if let s = render.seed, s != 0 { parts.append("seed\(s)") }
        return parts
    }
}
