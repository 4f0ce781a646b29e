import FVImage
import FVProtocol
import Foundation

/// Dataset examples, Microscope's other half: for each filter, the pictures of a folder that
/// drive it hardest (its largest activation over positions), each with the heat map of where it
/// fires and the crop around its peak. A folder's activations are computed once per layer and
/// picture and kept in `DIR/examples/LAYER.json`, keyed by each picture's content, so adding a
/// layer, a filter or a picture later computes only what is new.
public enum AtlasExamples {
    /// Pictures are fitted to this side before the network sees them (a 4000 px photograph's
    /// detail is beyond what a filter's page shows, and the forward pass grows with the area).
    public static let side = 448
    /// Examples per filter.
    public static let count = 9

    /// A picture of the folder: its file name, content digest and the fitted picture.
    public final class Picture {
        public let name: String
        public let digest: String
        public let image: RGBImage
        private var encoded: String?

        init(name: String, digest: String, image: RGBImage) {
            self.name = name
            self.digest = digest
            self.image = image
        }

        /// The fitted picture as base64 PNG, encoded once (it is sent once per layer and once
        /// per filter it is an example of).
        public func base64PNG() throws -> String {
            if let encoded { return encoded }
            let e = Base64.encode(try PNGCodec.encode(image))
            encoded = e
            return e
        }
    }

    /// One picture at one layer: each filter's largest activation and its position.
    public struct Stats: Equatable, Sendable {
        public var name: String
        public var layerHeight: Int
        public var layerWidth: Int
        public var maxima: [Float]
        public var peaks: [Int]

        var json: JSON {
            ["name": .string(name), "layerHeight": JSON(layerHeight), "layerWidth": JSON(layerWidth),
             "maxima": .array(maxima.map { .double(Double($0)) }), "peaks": .array(peaks.map { JSON($0) })]
        }

        init?(json j: JSON) {
            guard let name = j["name"]?.stringValue, let h = j["layerHeight"]?.intValue, let w = j["layerWidth"]?.intValue,
                  let m = j["maxima"]?.arrayValue, let p = j["peaks"]?.arrayValue, m.count == p.count else { return nil }
            self.name = name
            layerHeight = Int(h)
            layerWidth = Int(w)
            maxima = m.compactMap { $0.doubleValue.map(Float.init) }
            peaks = p.compactMap { $0.intValue.map(Int.init) }
            guard maxima.count == m.count, peaks.count == p.count else { return nil }
        }

        public init(name: String, layerHeight: Int, layerWidth: Int, maxima: [Float], peaks: [Int]) {
            self.name = name
            self.layerHeight = layerHeight
            self.layerWidth = layerWidth
            self.maxima = maxima
            self.peaks = peaks
        }
    }

    /// The folder's pictures, PNG and JPEG, by name, fitted; each unreadable, corrupt or huge
    /// one is skipped with a line for `skipped` naming it and why.
    public static func pictures(in folder: String, skipped: (String) -> Void) throws -> [Picture] {
        var out: [Picture] = []
        do {
            try PictureFolder.forEach(in: folder, option: "--images", skipped: skipped) { name, bytes, image in
                out.append(Picture(name: name, digest: digest(bytes), image: image.fitted(maxSide: side)))
            }
        } catch let e as PictureFolderError {
            throw AtlasError(e.description)
        }
        return out
    }

    /// A cache key for a picture's bytes (`PictureFolder.digest`).
    public static func digest(_ bytes: [UInt8]) -> String { PictureFolder.digest(bytes) }

    /// The digest of a set of pictures (what the examples on the pages were chosen from).
    public static func setDigest(_ pictures: [Picture]) -> String {
        digest(Array(pictures.map(\.digest).sorted().joined(separator: ",").utf8))
    }

    /// The receptive field of layer `index`'s units in input pixels (3x3 convs, 2x2 pools).
    public static func receptiveField(_ layers: [InfoResult.Layer], _ index: Int) -> Int {
        var rf = 1, jump = 1
        for l in layers where l.index <= index {
            rf += 2 * jump
            if l.poolAfter && l.index < index {
                rf += jump
                jump *= 2
            }
        }
        return rf
    }

    /// The pictures that drive `filter` hardest, strongest first (ties by name); only those
    /// where it fires at all.
    public static func top(_ stats: [String: Stats], filter: Int, count: Int = AtlasExamples.count) -> [(digest: String, stats: Stats)] {
        stats.filter { filter < $0.value.maxima.count && $0.value.maxima[filter] > 0 }
            .sorted { a, b in
                let (x, y) = (a.value.maxima[filter], b.value.maxima[filter])
                return x != y ? x > y : a.value.name < b.value.name
            }
            .prefix(count).map { ($0.key, $0.value) }
    }

    /// The square around `filter`'s peak that its unit there sees (its receptive field, within the picture).
    public static func crop(_ image: RGBImage, _ s: Stats, filter: Int, receptiveField rf: Int) -> RGBImage {
        let py = s.peaks[filter] / s.layerWidth, px = s.peaks[filter] % s.layerWidth
        let cy = Int((Double(py) + 0.5) * Double(image.height) / Double(s.layerHeight))
        let cx = Int((Double(px) + 0.5) * Double(image.width) / Double(s.layerWidth))
        let side = max(8, min(rf, image.width, image.height))
        let y0 = min(max(0, cy - side / 2), image.height - side), x0 = min(max(0, cx - side / 2), image.width - side)
        var px8 = [UInt8]()
        px8.reserveCapacity(side * side * 3)
        for y in y0..<(y0 + side) { px8 += image.pixels[((y * image.width + x0) * 3)..<((y * image.width + x0 + side) * 3)] }
        return RGBImage(width: side, height: side, pixels: px8)
    }
}

/// A layer's cache of picture statistics, `DIR/examples/LAYER.json`.
public struct ExampleCache {
    public let directory: AtlasDirectory
    public let layer: String
    public var stats: [String: AtlasExamples.Stats]

    public init(_ directory: AtlasDirectory, layer: String) {
        self.directory = directory
        self.layer = layer
        var stats: [String: AtlasExamples.Stats] = [:]
        if let j = directory.readJSON("examples/\(layer).json")?["pictures"]?.objectValue {
            for (k, v) in j { if let s = AtlasExamples.Stats(json: v) { stats[k] = s } }
        }
        self.stats = stats
    }

    public func save() throws {
        try directory.writeJSON(["layer": .string(layer), "pictures": .object(stats.mapValues(\.json))], to: "examples/\(layer).json")
    }
}

extension RGBImage {
    /// The picture shrunk (by box averaging) so that neither side exceeds `maxSide`; as it is if it fits.
    public func fitted(maxSide: Int) -> RGBImage {
        guard max(width, height) > maxSide else { return self }
        let scale = Double(maxSide) / Double(max(width, height))
        let w = max(1, Int((Double(width) * scale).rounded())), h = max(1, Int((Double(height) * scale).rounded()))
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let y0 = y * height / h, y1 = max(y0 + 1, (y + 1) * height / h)
            for x in 0..<w {
                let x0 = x * width / w, x1 = max(x0 + 1, (x + 1) * width / w)
                var sum = (0, 0, 0)
                for yy in y0..<y1 {
                    for xx in x0..<x1 {
                        let k = (yy * width + xx) * 3
                        sum.0 += Int(pixels[k])
                        sum.1 += Int(pixels[k + 1])
                        sum.2 += Int(pixels[k + 2])
                    }
                }
                let n = (y1 - y0) * (x1 - x0), k = (y * w + x) * 3
                out[k] = UInt8(sum.0 / n)
                out[k + 1] = UInt8(sum.1 / n)
                out[k + 2] = UInt8(sum.2 / n)
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
