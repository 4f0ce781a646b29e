import FVImage
import FVModel
import FVOptim
import Foundation

/// The quality benchmark (`fvbench --quality`): a fixed set of filters from blocks 2 to 5,
/// each rendered with the seed preset and with the lucid preset, and per picture its
/// objective, HFEF, spectral slope, TRR (../shared/LUCID.md section 6) and whether it is grey
/// (the filter never fired, or pixel standard deviation under 2 of 255). Writes every picture
/// to `out` so a person can look at them.
enum QualityBench {
    static let filters: [(String, Int)] = [
        ("block2_conv2", 10), ("block2_conv2", 60),
        ("block3_conv1", 27), ("block3_conv1", 100), ("block3_conv3", 5), ("block3_conv3", 200),
        ("block4_conv1", 30), ("block4_conv1", 300), ("block4_conv3", 12), ("block4_conv3", 100), ("block4_conv3", 400),
        ("block5_conv1", 50), ("block5_conv1", 250), ("block5_conv3", 10), ("block5_conv3", 65), ("block5_conv3", 300),
    ]

    struct Row {
        let preset: Preset, layer: String, filter: Int
        let objective: Double, hfef: Double, slope: Double, trr: Double, grey: Bool, seconds: Double
        var colourfulness = 0.0, concentration = 0.0
    }

    static func job(_ preset: Preset, _ layer: String, _ filter: Int, steps: Int?, penalties: PicturePenalties,
                    spectrum: AmplitudeSpectrum? = nil, transforms: TransformKind = .lucid) -> AscentJob {
        var j = AscentJob(preset: preset, layer: layer, items: [.init(filter: filter, seed: 0)], steps: steps)
        if preset == .lucid { j.settings.penalties = penalties }
        if preset == .natural {
            j.settings.spectrum = spectrum
            j.settings.transformKind = transforms
        }
        return j
    }

    /// - Parameters:
    ///   - only: a subset of `filters` (for trials); nil: all.
    ///   - penalties: added to the lucid renders (for trials; the benchmark proper uses none).
    static func run(_ net: VGG16Network, presets: [Preset], steps: [Preset: Int], out: String,
                    only: [(String, Int)]? = nil, penalties: PicturePenalties = .init(), spectrum: AmplitudeSpectrum? = nil,
                    transforms: TransformKind = .lucid) throws {
        let filters = only ?? Self.filters
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let engine = GradientAscent(network: net)
        let trr = TransformRobustness(network: net)
        var rows: [Row] = []
        print("## Quality: \(presets.map(\.rawValue).joined(separator: " vs ")) (\(filters.count) filters, seed 0, TRR over \(trr.draws) fixed draws)")
        print("")
        print("| preset | layer | filter | objective | HFEF | slope | TRR | colourfulness | importance in top 20% | grey | s |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for (layer, filter) in filters {
            for preset in presets {
                let t0 = Date()
                let result = try engine.run(job(preset, layer, filter, steps: steps[preset], penalties: penalties, spectrum: spectrum, transforms: transforms))
                let seconds = Date().timeIntervalSince(t0)
                let rgb = result.rgb(0)
                let side = preset.size
                let png = try PNGCodec.encode(RGBImage(width: side, height: side, pixels: rgb))
                let file = "\(out)/\(preset.rawValue)-\(layer)-\(filter).png"
                if !FileManager.default.createFile(atPath: file, contents: Data(png)) { print("fvbench: cannot write \(file)") }
                let (hfef, slope) = SpectrumMeasures.measure(rgb: rgb, side: side)
                let index = VGG16.layer(named: layer)!.index
                let (robustness, objective) = trr.measure(rgb8: rgb, side: side, layer: index, filter: filter, style: preset.style)
                let grey = result.neverFired[0] || pixelStd(rgb) < 2
                var row = Row(preset: preset, layer: layer, filter: filter, objective: objective, hfef: hfef, slope: slope,
                              trr: robustness, grey: grey, seconds: seconds)
                row.colourfulness = SpectrumMeasures.colourfulness(rgb: rgb)
                row.concentration = SpectrumMeasures.concentration(result.importance[0], top: 0.2)
                rows.append(row)
                print("| \(preset.rawValue) | \(layer) | \(filter) | \(Benchmark.f(objective, 1)) | \(Benchmark.f(hfef, 3)) | \(Benchmark.f(slope, 2)) | \(Benchmark.f(robustness, 2)) | \(Benchmark.f(row.colourfulness, 1)) | \(Benchmark.f(row.concentration, 2)) | \(grey ? "grey" : "no") | \(Benchmark.f(seconds, 1)) |")
                fflush(stdout)
            }
        }
        print("")
        print("| preset | grey pictures | median TRR | median HFEF | median slope | median colourfulness | median importance in top 20% |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for preset in presets {
            let mine = rows.filter { $0.preset == preset }
            print("| \(preset.rawValue) | \(mine.filter(\.grey).count) of \(mine.count) | \(Benchmark.f(Benchmark.median(mine.map(\.trr)), 2)) | \(Benchmark.f(Benchmark.median(mine.map(\.hfef)), 3)) | \(Benchmark.f(Benchmark.median(mine.map(\.slope)), 2)) | \(Benchmark.f(Benchmark.median(mine.map(\.colourfulness)), 1)) | \(Benchmark.f(Benchmark.median(mine.map(\.concentration)), 2)) |")
        }
        print("")
    }

    /// TRR again for pictures a quality run wrote (`dir`/PRESET-LAYER-FILTER.png), with the
    /// given fill: how much the measure depends on what fills the frame.
    /// The caller has checked (`checkHasPictures`) that `dir` has something to measure.
    static func remeasure(_ net: VGG16Network, dir: String, fill: TransformRobustness.Fill) throws {
        let trr = TransformRobustness(network: net, fill: fill)
        print("## TRR with \(fill.rawValue) fill, pictures of \(dir)")
        print("")
        print("| preset | layer | filter | TRR |")
        print("| --- | --- | --- | --- |")
        var all: [Preset: [Double]] = [:]
        for (layer, filter) in filters {
            for preset in [Preset.seed, .lucid] {
                let path = "\(dir)/\(preset.rawValue)-\(layer)-\(filter).png"
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                let img = try PNGCodec.decode([UInt8](data))
                let (r, _) = trr.measure(rgb8: img.pixels, side: img.width, layer: VGG16.layer(named: layer)!.index, filter: filter, style: preset.style)
                all[preset, default: []].append(r)
                print("| \(preset.rawValue) | \(layer) | \(filter) | \(Benchmark.f(r, 2)) |")
            }
        }
        print("")
        for (p, v) in all.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { print("- \(p.rawValue): median TRR \(Benchmark.f(Benchmark.median(v), 2))") }
        print("")
    }

    /// Why `--remeasure-trr DIR` has nothing to measure, if it has not (a mistyped folder gave an
    /// empty table and exit status 0).
    struct NoPictures: Error, CustomStringConvertible {
        let dir: String, exists: Bool
        var description: String {
            (exists ? "\(dir) holds no picture named PRESET-LAYER-FILTER.png of the quality set (lucid-block4_conv3-12.png, say)"
                    : "\(dir) does not exist")
                + ": give the folder a quality run wrote (fvbench --quality --out DIR) or scripts/lucid-tensorflow.sh filled"
        }
    }

    /// Throws `NoPictures` unless `dir` holds at least one of the quality set's pictures; cheap,
    /// so it runs before the weights are loaded.
    static func checkHasPictures(_ dir: String) throws {
        var isDir: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue
        let any = filters.contains { layer, filter in
            [Preset.seed, .lucid].contains { FileManager.default.fileExists(atPath: "\(dir)/\($0.rawValue)-\(layer)-\(filter).png") }
        }
        if !any { throw NoPictures(dir: dir, exists: exists) }
    }

    static func pixelStd(_ rgb: [UInt8]) -> Double {
        let n = Double(rgb.count)
        let mean = rgb.reduce(0.0) { $0 + Double($1) } / n
        return (rgb.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
    }
}
