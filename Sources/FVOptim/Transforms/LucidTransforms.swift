/// Lucid's standard transforms, drawn anew each step and shared by the batch: pad 12 px with
/// grey 0.5, jitter 8 (a random crop, offsets 0...8), scale by one of 0.90, 0.92, ..., 1.10,
/// rotate about the centre by one of -10...10 degrees or (five more chances) 0, with black
/// corners, and jitter 4. A 128 px picture reaches the network as 125 to 154 px.
public struct LucidTransforms {
    public static let pad = 12
    public static let firstJitter = 8
    public static let lastJitter = 4
    public static let scales: [Double] = (0..<11).map { 1 + Double($0 - 5) / 50 }
    public static let anglesInDegrees: [Double] = (-10...10).map(Double.init) + Array(repeating: 0, count: 5)

    var rng: MersenneTwister
    public let side: Int

    /// - Parameter seed: fixes the sequence of draws (so a render is reproducible).
    public init(side: Int, seed: UInt32) {
        self.side = side
        rng = MersenneTwister(seed: seed)
    }

    /// The largest network input a draw can give.
    public static func largestOutput(side: Int) -> Int {
        Int(Double(side + 2 * pad - firstJitter) * scales.last!) - lastJitter
    }

    mutating func pick(_ n: Int) -> Int { Int(rng.nextUInt32() % UInt32(n)) }

    /// This step's transforms as one sampler.
    public mutating func next() -> BilinearSampler {
        let oy1 = pick(Self.firstJitter + 1), ox1 = pick(Self.firstJitter + 1)
        let scale = Self.scales[pick(Self.scales.count)]
        let angle = Self.anglesInDegrees[pick(Self.anglesInDegrees.count)] * Double.pi / 180
        let oy2 = pick(Self.lastJitter + 1), ox2 = pick(Self.lastJitter + 1)
        return Self.sampler(side: side, offset1: (oy1, ox1), scale: scale, angle: angle, offset2: (oy2, ox2))
    }

    /// The chain pad -> crop at `offset1` -> scale -> rotate -> crop at `offset2`, composed.
    public static func sampler(side: Int, offset1: (Int, Int), scale: Double, angle: Double, offset2: (Int, Int)) -> BilinearSampler {
        let cropped = side + 2 * pad - firstJitter
        let scaled = Int(Double(cropped) * scale)  // truncated, as Lucid's int cast
        let out = scaled - lastJitter
        let ratio = Double(cropped) / Double(scaled)
        let centre = Double(scaled - 1) / 2
        let (c, s) = (cos(angle), sin(angle))
        return BilinearSampler(inputSide: side, outputHeight: out, outputWidth: out, inFrameFill: 0.5, outsideFill: 0) { i, j in
            // Output pixel -> the rotated image -> the scaled image (rotation about its centre).
            let u = Double(i + offset2.0) - centre, v = Double(j + offset2.1) - centre
            let ur = centre + c * u - s * v, vr = centre + s * u + c * v
            guard ur >= 0, vr >= 0, ur <= Double(scaled - 1), vr <= Double(scaled - 1) else { return nil }
            // -> the cropped padded image (resize's src = dst * in/out) -> the picture.
            return (ur * ratio + Double(offset1.0 - pad), vr * ratio + Double(offset1.1 - pad))
        }
    }
}

import Foundation
