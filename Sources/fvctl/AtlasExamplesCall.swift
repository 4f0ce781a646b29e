import FVAtlas
import FVImage
import FVProtocol
import FVTransport
import Foundation

/// `fvctl atlas --images FOLDER`: each filter's dataset examples, through the daemon's
/// `activations` (its quick lane): every picture's maxima once per layer (cached in
/// DIR/examples/), then for each filter's strongest pictures a heat map and the crop around the
/// peak. Only what is missing is computed.
struct DaemonAtlasExamples {
    let client: RPCClient
    let directory: AtlasDirectory
    let manifest: AtlasManifest
    let info: InfoResult
    let display: AtlasProgressDisplay

    func run(folder: String) throws {
        let pictures = try AtlasExamples.pictures(in: folder) { display.say("--images: skipping \($0)") }
        guard !pictures.isEmpty else { throw AtlasError("--images \(folder) holds no PNG or JPEG picture fvd can read") }
        let byDigest = Dictionary(pictures.map { ($0.digest, $0) }, uniquingKeysWith: { a, _ in a })
        let set = AtlasExamples.setDigest(pictures)
        try directory.writeJSON(["folder": .string((folder as NSString).lastPathComponent), "digest": .string(set), "pictures": JSON(pictures.count)],
                                to: "examples/set.json")
        for layer in manifest.layers {
            var cache = ExampleCache(directory, layer: layer.name)
            let missing = pictures.filter { cache.stats[$0.digest] == nil }
            if !missing.isEmpty { display.say("\(layer.name): the activations of \(missing.count) of \(pictures.count) pictures") }
            for p in missing {
                do {
                    let r = try activations(p, layer: layer.name, map: nil, maxima: true)
                    guard let maxima = r.maxima, let peaks = r.peaks else { throw AtlasError("the daemon sent no maxima; is it older than this fvctl?") }
                    cache.stats[p.digest] = .init(name: p.name, layerHeight: r.height, layerWidth: r.width, maxima: maxima, peaks: peaks)
                } catch let e as RPCError {
                    display.say("--images: skipping \(p.name): \(e.message)")
                }
            }
            if !missing.isEmpty { try cache.save() }
            let known = cache.stats.filter { byDigest[$0.key] != nil }
            let index = info.layers.first { $0.name == layer.name }!.index
            let rf = AtlasExamples.receptiveField(info.layers, index)
            var written = 0
            for f in layer.filters {
                let u = AtlasUnit(layer: layer.name, filter: f)
                if directory.readJSON(u.examples)?["set"]?.stringValue == set { continue }
                var list: [JSON] = []
                for (k, (digest, stats)) in AtlasExamples.top(known, filter: f).enumerated() {
                    let picture = byDigest[digest]!
                    let heat = try activations(picture, layer: layer.name, map: f, maxima: false).map.map { try PNGCodec.decode($0.overlayPNG) }
                    try directory.write(try PNGCodec.encode(AtlasExamples.crop(picture.image, stats, filter: f, receptiveField: rf).fitted(maxSide: 128)),
                                        to: u.example(k))
                    if let heat { try directory.write(try PNGCodec.encode(heat.fitted(maxSide: 160)), to: u.example(k, heat: true)) }
                    list.append(["name": .string(picture.name), "max": .double(Double(stats.maxima[f]))])
                }
                try directory.writeJSON(["set": .string(set), "examples": .array(list)], to: u.examples)
                written += 1
            }
            if written > 0 { display.say("\(layer.name): dataset examples for \(written) filters") }
        }
    }

    func activations(_ p: AtlasExamples.Picture, layer: String, map: Int?, maxima: Bool) throws -> ActivationsResult {
        let params = ActivationsParams(layer: layer, png: try p.base64PNG(), top: 0, map: map, maxima: maxima)
        return try ActivationsResult(try client.call(Method.activations.rawValue, params.json))
    }
}
