/// The architecture fvd visualises: VGG16's 13 3x3/pad-1 conv layers with ReLU, and a 2x2 max-pool
/// after the last conv of each block. The classifier is not used. Names are Keras' names.
public struct LayerSpec: Equatable, Sendable {
    public let index: Int
    public let name: String
    public let inChannels: Int
    public let outChannels: Int
    /// A 2x2/stride-2 max-pool follows this layer (when the network goes further than it).
    public let poolAfter: Bool
}

public enum VGG16 {
    public static let layers: [LayerSpec] = {
        let table: [(String, Int, Int, Bool)] = [
            ("block1_conv1", 3, 64, false), ("block1_conv2", 64, 64, true),
            ("block2_conv1", 64, 128, false), ("block2_conv2", 128, 128, true),
            ("block3_conv1", 128, 256, false), ("block3_conv2", 256, 256, false), ("block3_conv3", 256, 256, true),
            ("block4_conv1", 256, 512, false), ("block4_conv2", 512, 512, false), ("block4_conv3", 512, 512, true),
            ("block5_conv1", 512, 512, false), ("block5_conv2", 512, 512, false), ("block5_conv3", 512, 512, true),
        ]
        return table.enumerated().map { i, t in
            LayerSpec(index: i, name: t.0, inChannels: t.1, outChannels: t.2, poolAfter: t.3)
        }
    }()

    public static var layerNames: [String] { layers.map(\.name) }

    public static func layer(named name: String) -> LayerSpec? { layers.first { $0.name == name } }

    /// What every caller says about a name that is not a layer: the name and the valid ones.
    public static func unknownLayerMessage(_ name: String) -> String {
        let guess = layerNames.min { editDistance($0, name) < editDistance($1, name) }.flatMap { editDistance($0, name) <= 3 ? $0 : nil }
        return "unknown layer \"\(name)\"; valid layers: \(layerNames.joined(separator: ", "))" + (guess.map { "; did you mean \($0)?" } ?? "")
    }

    /// Levenshtein distance (insertions, deletions, substitutions), for "did you mean".
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.lowercased().utf8), y = Array(b.lowercased().utf8)
        var row = Array(0...y.count)
        for i in 1...max(1, x.count) where !x.isEmpty {
            var prev = row[0]
            row[0] = i
            for j in 1...max(1, y.count) where !y.isEmpty {
                let keep = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (x[i - 1] == y[j - 1] ? 0 : 1))
                prev = keep
            }
        }
        return x.isEmpty ? y.count : row[y.count]
    }


    /// Smallest and largest image side fvd accepts: 16 px leaves block5 at 1x1 after four pools.
    public static let minimumSide = 16
    public static let maximumSide = 1024

    /// The activation shape at the output of layer `index` (post-ReLU, before any pool after it)
    /// for an input of `n` images of h x w.
    public static func outputShape(layer index: Int, n: Int, h: Int, w: Int) -> (h: Int, w: Int, c: Int) {
        var hh = h, ww = w
        for l in layers[..<index] where l.poolAfter {
            hh /= 2
            ww /= 2
        }
        return (hh, ww, layers[index].outChannels)
    }

    /// Multiply-adds x 2 of the convolutions from the input up to and including `index`,
    /// for one image (direct-convolution FLOPs, the figure speeds are quoted in).
    public static func forwardFLOPs(throughLayer index: Int, h: Int, w: Int) -> Double {
        var total = 0.0
        for l in layers[...index] {
            let s = outputShape(layer: l.index, n: 1, h: h, w: w)
            total += 2.0 * 9 * Double(l.inChannels * l.outChannels * s.h * s.w)
        }
        return total
    }
}
