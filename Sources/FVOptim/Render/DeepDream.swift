import FVModel
import SIMDKernels

/// DeepDream on a photograph: starting from the photo (in the model's caffe input space),
/// gradient ascent on the layer's mean square activation (or one filter's mean), over octaves:
/// the photo shrunk by `octaveScale` per octave, smallest first; each octave starts from the
/// photo at that size plus the detail dreamed so far, enlarged. Each step rolls the picture by
/// a random jitter (and back), moves it by stepSize * g / mean|g| (Mordvintsev's normalised
/// step) and keeps it in the visible range. The result has the photo's own size.
public struct DreamJob: Equatable, Hashable, Sendable {
    /// 8-bit RGB, width x height.
    public var photo: [UInt8]
    public var width: Int
    public var height: Int
    public var layer: String
    /// nil: DeepDream's mean square of the whole layer; else that filter's mean.
    public var filter: Int?
    public var stepsPerOctave: Int
    public var octaves: Int
    public var octaveScale: Float
    public var stepSize: Float
    public var jitter: Int
    public var seed: UInt32

    public init(photo: [UInt8], width: Int, height: Int, layer: String, filter: Int? = nil, stepsPerOctave: Int = 10, octaves: Int = 4,
                octaveScale: Float = 1.4, stepSize: Float = 1.5, jitter: Int = 32, seed: UInt32 = 0) {
        self.photo = photo
        self.width = width
        self.height = height
        self.layer = layer
        self.filter = filter
        self.stepsPerOctave = stepsPerOctave
        self.octaves = octaves
        self.octaveScale = octaveScale
        self.stepSize = stepSize
        self.jitter = jitter
        self.seed = seed
    }

    public var steps: Int { stepsPerOctave * octaves }

    /// Stable text naming every setting that determines the picture, but the photo itself: the
    /// caller adds what identifies it (the daemon: its file's checksum), since a job is keyed
    /// before its photo is decoded.
    public var cacheText: String {
        "dream(\(layer),\(filter.map(String.init) ?? "deepdream"))|photo(\(width)x\(height))"
            + "|octaves(\(octaves),\(octaveScale.bitPattern))|steps(\(stepsPerOctave))|normalized(\(stepSize.bitPattern))|jitter(\(jitter),\(seed))"
    }

    /// The octaves' sizes, smallest first (each side at least the network's minimum).
    public var octaveSizes: [(height: Int, width: Int)] {
        (0..<octaves).reversed().map { k in
            let f = pow(Double(octaveScale), Double(k))
            return (max(VGG16.minimumSide, Int((Double(height) / f).rounded())), max(VGG16.minimumSide, Int((Double(width) / f).rounded())))
        }
    }

    /// Checks every setting, and the photo's size when it is there (a daemon validates a job
    /// before decoding its photo; `dream` needs it).
    public func validate(limits: AscentJob.Limits = .init()) throws {
        guard let spec = VGG16.layer(named: layer) else { throw AscentError.invalid(VGG16.unknownLayerMessage(layer)) }
        if let f = filter, !(0..<spec.outChannels).contains(f) {
            throw AscentError.invalid("filter \(f) does not exist in \(layer); valid filters are 0...\(spec.outChannels - 1)")
        }
        guard photo.isEmpty || photo.count == width * height * 3 else {
            throw AscentError.invalid("the photo has \(photo.count) bytes, not \(width)x\(height)x3")
        }
        guard width * height <= limits.maxPixels else {
            throw AscentError.invalid("the photo is \(width)x\(height); dream takes at most \(limits.maxPixels) pixels; send a smaller picture")
        }
        guard (1...10_000).contains(stepsPerOctave) else { throw AscentError.invalid("steps \(stepsPerOctave) per octave is out of range; use 1...10000") }
        guard (1...8).contains(octaves) else { throw AscentError.invalid("octaves \(octaves) is out of range; use 1...8") }
        guard octaveScale.isFinite, (1.0...3.0).contains(octaveScale) else { throw AscentError.invalid("octave scale \(octaveScale) is out of range; use 1...3") }
        guard stepSize.isFinite, stepSize > 0, stepSize <= 100 else { throw AscentError.invalid("step size \(stepSize) is out of range; use a number in (0, 100]") }
        guard (0...128).contains(jitter) else { throw AscentError.invalid("jitter \(jitter) is out of range; use 0...128 pixels") }
    }
}

public struct DreamedPhoto: Sendable {
    public let job: DreamJob
    /// The dreamed photo, 8-bit RGB, at the photo's size.
    public let rgb: [UInt8]
    /// The objective at each step (all octaves in order).
    public let history: [Float]
}

extension GradientAscent {
    public func dream(_ job: DreamJob, limits: AscentJob.Limits = .init(), cancel: CancellationToken? = nil,
                      turns: StepTurns? = nil, progress: ((AscentProgress) -> Void)? = nil) throws -> DreamedPhoto {
        try job.validate(limits: limits)
        guard !job.photo.isEmpty else { throw AscentError.invalid("dream needs the photo's pixels") }
        let layer = VGG16.layer(named: job.layer)!.index
        let objective: Objective = job.filter.map { ChannelObjective(layer: layer, filters: [$0]) }
            ?? TermsObjective(layer: layer, preReLU: false, terms: [.init(.deepdream)], filters: [0], pictureSide: max(job.width, job.height))
        let full = TensorShape(n: 1, h: job.height, w: job.width, c: 3)
        let ws = NetworkWorkspace(network: network, inputShape: full, target: layer, output: objective.needs)
        // The photo in caffe space: BGR minus the ImageNet mean.
        var base = [Float](repeating: 0, count: full.count)
        CaffeInput.fromRGB(pixels: job.width * job.height, subtractMean: true, { Float(job.photo[$0]) }) { base[$0] = $1 }
        var rng = MersenneTwister(seed: job.seed)
        var history: [Float] = []
        var detail: [Float]?
        var previous = (height: 0, width: 0)
        var picture: [Float] = []
        let rolled = AlignedBuffer<Float>(count: full.count)
        let gradient = AlignedBuffer<Float>(count: full.count)
        for size in job.octaveSizes {
            let shrunk = Resize.bilinear(base, from: (job.height, job.width), to: size)
            picture = shrunk
            if let d = detail {
                let enlarged = Resize.bilinear(d, from: previous, to: size)
                for k in 0..<picture.count { picture[k] += enlarged[k] }
            }
            ws.setInputSize(height: size.height, width: size.width)
            for _ in 0..<job.stepsPerOctave {
                if let why = cancel?.cancellationReason { throw AscentError.cancelled(why) }
                let dy = job.jitter == 0 ? 0 : Int(rng.nextUInt32() % UInt32(2 * job.jitter + 1)) - job.jitter
                let dx = job.jitter == 0 ? 0 : Int(rng.nextUInt32() % UInt32(2 * job.jitter + 1)) - job.jitter
                let stepOnce = { () -> Float in
                    Roll.apply(picture, size, dy, dx, into: rolled.pointer)
                    self.network.forward(rolled.pointer, ws)
                    let v = objective.valuesAndGradient(ws)[0]
                    self.network.backward(ws)
                    return v
                }
                let value = turns?.turn(stepOnce) ?? stepOnce()
                // Roll the gradient back, then the normalised step, clipped to what shows.
                let count = picture.count, g = gradient.pointer
                Roll.unapply(ws.inputGradient.pointer, size, dy, dx, into: g)
                var sumAbs = 0.0
                for k in 0..<count { sumAbs += Double(abs(g[k])) }
                let meanAbs = sumAbs / Double(count)
                let scale = job.stepSize / Float(meanAbs + 1e-8)
                for k in 0..<picture.count {
                    let c = k % 3
                    // Kept within what a photo can be: 0...255 once the mean is added back.
                    picture[k] = min(max(picture[k] + scale * g[k], -CaffeInput.bgrMean[c]), 255 - CaffeInput.bgrMean[c])
                }
                history.append(value)
                progress?(AscentProgress(step: history.count, steps: job.steps, losses: [value], workspaceBytes: ws.bytes))
            }
            detail = zip(picture, shrunk).map { $0 - $1 }
            previous = size
        }
        var rgb = [UInt8](repeating: 0, count: full.count)
        CaffeInput.toRGB(pixels: job.width * job.height, addMean: true, { picture[$0] }) { rgb[$0] = UInt8(min(max($1, 0), 255).rounded()) }
        return DreamedPhoto(job: job, rgb: rgb, history: history)
    }
}

/// Bilinear resizing of HWC pictures with 3 channels (half-pixel centres).
enum Resize {
    static func bilinear(_ x: [Float], from: (height: Int, width: Int), to: (height: Int, width: Int)) -> [Float] {
        if from == to { return x }
        var out = [Float](repeating: 0, count: to.height * to.width * 3)
        let sy = Double(from.height) / Double(to.height), sx = Double(from.width) / Double(to.width)
        for i in 0..<to.height {
            let fy = min(max((Double(i) + 0.5) * sy - 0.5, 0), Double(from.height - 1))
            let y0 = Int(fy), y1 = min(y0 + 1, from.height - 1), wy = Float(fy - Double(y0))
            for j in 0..<to.width {
                let fx = min(max((Double(j) + 0.5) * sx - 0.5, 0), Double(from.width - 1))
                let x0 = Int(fx), x1 = min(x0 + 1, from.width - 1), wx = Float(fx - Double(x0))
                for c in 0..<3 {
                    let a = x[(y0 * from.width + x0) * 3 + c], b = x[(y0 * from.width + x1) * 3 + c]
                    let d = x[(y1 * from.width + x0) * 3 + c], e = x[(y1 * from.width + x1) * 3 + c]
                    out[(i * to.width + j) * 3 + c] = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy
                }
            }
        }
        return out
    }
}

/// A cyclic shift of an HWC picture (DeepDream's jitter: no border, so no edge artefacts).
enum Roll {
    static func apply(_ x: [Float], _ size: (height: Int, width: Int), _ dy: Int, _ dx: Int, into out: UnsafeMutablePointer<Float>) {
        let (h, w) = size
        for i in 0..<h {
            let si = ((i - dy) % h + h) % h
            for j in 0..<w {
                let sj = ((j - dx) % w + w) % w
                for c in 0..<3 { out[(i * w + j) * 3 + c] = x[(si * w + sj) * 3 + c] }
            }
        }
    }

    /// The gradient of the rolled input, rolled back to the picture, into `out`.
    static func unapply(_ g: UnsafePointer<Float>, _ size: (height: Int, width: Int), _ dy: Int, _ dx: Int, into out: UnsafeMutablePointer<Float>) {
        let (h, w) = size
        for i in 0..<h {
            let si = ((i - dy) % h + h) % h
            for j in 0..<w {
                let sj = ((j - dx) % w + w) % w
                for c in 0..<3 { out[(si * w + sj) * 3 + c] = g[(i * w + j) * 3 + c] }
            }
        }
    }
}

import Foundation
