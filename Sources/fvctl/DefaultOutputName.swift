import Foundation

/// The file name fvctl picks when there is no `-o`: it says what was rendered, so that renders of
/// one filter with different settings (a negative pair, four diverse pictures, another preset or
/// seed) land side by side instead of over each other. Settings at their defaults are left out:
/// `fvctl pattern block3_conv1 27` still writes block3_conv1_27.png.
enum DefaultOutputName {
    static func pattern(layer: String, filter: Int, render: RenderOptionGroup, objective: ObjectiveOptionGroup,
                        negative: Bool, diversity: Int?) -> String {
        // A sum whose every term names its layer says all in its own words.
        let terms = (try? objective.expression)?.terms ?? []
        let ownWords = !terms.isEmpty && terms.allSatisfy { $0.layer != nil }
        var parts = (ownWords ? [fileWords(objective.objective!)] : ["\(layer)_\(filter)"]) + settings(render, objective, naming: !ownWords)
        if negative { parts.append("negative") }
        if let d = diversity { parts.append("diversity\(d)") }
        return parts.joined(separator: "_") + ".png"
    }

    static func grid(layer: String, render: RenderOptionGroup, objective: ObjectiveOptionGroup) -> String {
        (["\(layer)_grid"] + settings(render, objective)).joined(separator: "_") + ".png"
    }

    /// Preset, objective and seed where they are not the defaults, in that order.
    private static func settings(_ render: RenderOptionGroup, _ objective: ObjectiveOptionGroup, naming: Bool = true) -> [String] {
        var parts: [String] = []
        if let p = render.preset, p != "seed" { parts.append(p) }
        if let folder = render.spectrumFrom { parts.append("spectrum-" + fileWords(URL(fileURLWithPath: folder).lastPathComponent)) }
        if let o = objective.objective, ObjectiveExpression.isSum(o) {
            if naming { parts.append(fileWords(o)) }
        } else if let o = objective.objective, o != "channel" {
            if o == "neuron", let a = objective.at, let p = ObjectiveOptionGroup.position(a) {
                parts.append("neuron\(p.x)x\(p.y)")
            } else {
                parts.append(o)
            }
        }
        if let s = render.seed, s != 0 { parts.append("seed\(s)") }
        return parts
    }

    /// An objective sum as a file name: "block4_conv3:12 - 0.5 * block3_conv1:7" becomes
    /// "block4_conv3-12_minus_0.5x_block3_conv1-7" (no spaces, colons or brackets).
    static func fileWords(_ expression: String) -> String {
        var out = ""
        for c in expression {
            switch c {
            case " ", "\t": continue
            case ":": out += "-"
            case "+": out += "_plus_"
            case "-": out += "_minus_"
            case "*": out += "x_"
            case "(", ",": out += "_"
            case ")": continue
            default: out.append(c)
            }
        }
        while out.hasPrefix("_") { out.removeFirst() }
        // Within a file name's 255 bytes with room for the rest.
        return String(out.prefix(160))
    }
}
