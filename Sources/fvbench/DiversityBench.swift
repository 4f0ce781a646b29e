import FVImage
import FVModel
import FVOptim
import Foundation

/// `fvbench --diversity [--steps N] [--weights-list 100,10000]`: how different the pictures of a
/// `--diversity 4` render are (issue 24.3), against four independent renders (seeds 0-3): the
/// mean pairwise cosine similarity of their Gram matrices at the filter's layer (what the
/// penalty lowers; `DiversityMeasure`), and the mean objective. Pictures go to `out`.
enum DiversityBench {
    static let filters: [(String, Int)] = [("block4_conv3", 12), ("block3_conv1", 27), ("block5_conv3", 10)]

    static func run(_ net: VGG16Network, weights: [Float], steps: Int?, out: String, only: String?) throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let engine = GradientAscent(network: net)
        let measure = DiversityMeasure(network: net)
        print("## Diversity: four pictures of one filter (lucid preset, \(steps.map(String.init) ?? "512") steps)")
        print("")
        print("| layer | filter | pictures | mean Gram cosine at the layer | mean objective | s |")
        print("| --- | --- | --- | --- | --- | --- |")
        for (layer, filter) in filters where only == nil || only == layer {
            let index = VGG16.layer(named: layer)!.index
            var cases: [(String, [[UInt8]], [Float], Double)] = []
            // Four independent renders: the baseline a penalty must beat.
            var t0 = Date()
            var alone: [[UInt8]] = [], aloneLoss: [Float] = []
            for seed in 0..<4 {
                let r = try engine.run(AscentJob(preset: .lucid, layer: layer, items: [.init(filter: filter, seed: UInt32(seed))], steps: steps))
                alone.append(r.rgb(0))
                aloneLoss.append(r.losses[0])
            }
            cases.append(("4 independent seeds", alone, aloneLoss, Date().timeIntervalSince(t0)))
            for w in weights {
                t0 = Date()
                let objective = ObjectiveSpec.terms(layer: layer, preReLU: true, terms: [WeightedTerm(.channel)], diversityWeight: w)
                let items = (0..<4).map { AscentJob.Item(filter: filter, seed: UInt32($0)) }
                let r = try engine.run(AscentJob(preset: .lucid, layer: layer, objective: objective, items: items, steps: steps))
                cases.append(("--diversity 4, weight \(Int(w))", (0..<4).map { r.rgb($0) }, r.losses, Date().timeIntervalSince(t0)))
            }
            let side = Preset.lucid.size
            for (name, pictures, losses, seconds) in cases {
                let cosine = measure.meanGramCosine(rgb8: pictures, side: side, layer: index)
                let strip = RGBImage.grid(pictures.map { RGBImage(width: side, height: side, pixels: $0) }, columns: 4, margin: 5)
                let file = "\(out)/\(layer)-\(filter)-\(name.replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: ",", with: "")).png"
                FileManager.default.createFile(atPath: file, contents: Data(try PNGCodec.encode(strip)))
                let mean = losses.reduce(0, +) / Float(losses.count)
                print("| \(layer) | \(filter) | \(name) | \(String(format: "%.3f", cosine)) | \(String(format: "%.1f", mean)) | \(String(format: "%.0f", seconds)) |")
            }
        }
    }
}
