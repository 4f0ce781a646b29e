import FVModel
import FVOptim
import Foundation
import SIMDKernels

/// `fvbench --atlas [--steps N] [--batches 16] [--reps 2]`: the atlas's throughput (issue 21):
/// 16 filters of block5_conv3 at the lucid preset rendered as 16 lone jobs (what 16 `fvctl
/// pattern ... --preset lucid` ask for) against batches of B filters (what `fvctl atlas --batch
/// B` asks for), in turn, and whether each batched picture is the lone one's bytes.
///
/// `fvbench --atlas-estimate [--steps N]`: one batch of 16 filters per layer, its cost per unit
/// and step, and from it the whole network's atlas (every filter, its picture and its negative,
/// at 512 steps) in core-hours.
enum AtlasBench {
    static func job(_ layer: String, _ filters: [Int], steps: Int) -> AscentJob {
        AscentJob(preset: .lucid, layer: layer, items: filters.map { .init(filter: $0, seed: 0) }, steps: steps)
    }

    static func throughput(_ net: VGG16Network, steps: Int, batches: [Int], reps: Int) throws {
        let engine = GradientAscent(network: net)
        let layer = "block5_conv3", filters = Array(0..<16)
        print("## Atlas throughput: 16 filters of \(layer), lucid preset, \(steps) steps")
        print("")
        print("- machine: \(Fvbench.machineName()), \(Parallel.coreCount) cores, \(ISO8601DateFormatter().string(from: Date()))")
        print("")
        print("| rep | way | s | filters per hour | x lone | same bytes as lone |")
        print("| --- | --- | --- | --- | --- | --- |")
        for rep in 1...reps {
            var t0 = Date()
            var lone: [[UInt8]] = []
            for f in filters { lone.append(try engine.run(job(layer, [f], steps: steps)).rgb(0)) }
            let loneSeconds = Date().timeIntervalSince(t0)
            print("| \(rep) | 16 lone jobs | \(String(format: "%.1f", loneSeconds)) | \(String(format: "%.0f", 16 / loneSeconds * 3600)) | 1.00 | |")
            for b in batches {
                t0 = Date()
                var pictures: [[UInt8]] = []
                for start in stride(from: 0, to: 16, by: b) {
                    let chunk = Array(filters[start..<min(start + b, 16)])
                    let r = try engine.run(job(layer, chunk, steps: steps))
                    pictures += chunk.indices.map { r.rgb($0) }
                }
                let s = Date().timeIntervalSince(t0)
                print("| \(rep) | batches of \(b) | \(String(format: "%.1f", s)) | \(String(format: "%.0f", 16 / s * 3600)) | \(String(format: "%.2f", loneSeconds / s)) | \(pictures == lone ? "yes" : "NO") |")
            }
        }
    }

    static func estimate(_ net: VGG16Network, steps: Int) throws {
        let engine = GradientAscent(network: net)
        print("## The whole network's atlas, estimated from one batch of 16 per layer (\(steps) steps each)")
        print("")
        print("- machine: \(Fvbench.machineName()), \(Parallel.coreCount) cores, \(ISO8601DateFormatter().string(from: Date()))")
        print("- each unit: its picture and its negative, lucid preset, 128 px, 512 steps; batches of 16")
        print("")
        print("| layer | filters | s per unit-step | layer, hours on this machine |")
        print("| --- | --- | --- | --- |")
        var total = 0.0
        for l in VGG16.layers {
            _ = try engine.run(job(l.name, Array(0..<16), steps: 2))  // warm: workspaces, pages
            let t0 = Date()
            _ = try engine.run(job(l.name, Array(0..<16), steps: steps))
            let perUnitStep = Date().timeIntervalSince(t0) / Double(16 * steps)
            let hours = perUnitStep * 512 * 2 * Double(l.outChannels) / 3600
            total += hours
            print("| \(l.name) | \(l.outChannels) | \(String(format: "%.4f", perUnitStep)) | \(String(format: "%.2f", hours)) |")
        }
        let coreHours = total * Double(Parallel.coreCount)
        print("")
        print("Whole network (4224 filters, 8448 pictures): \(String(format: "%.1f", total)) hours on this machine's \(Parallel.coreCount) cores, \(String(format: "%.0f", coreHours)) core-hours.")
        for (nodes, cores) in [(4, 16), (16, 32), (64, 32)] {
            let hours = coreHours / Double(nodes * cores)
            let time = hours >= 1 ? String(format: "%.1f hours", hours) : String(format: "%.0f minutes", hours * 60)
            print("- on \(nodes) nodes of \(cores) cores, if it scales by cores: \(time)")
        }
    }
}
