import CCPUFeatures

/// ReLU with a one-bit-per-element memory of which elements were positive: the only thing the
/// backward pass needs from the forward pass of a ReLU. Bit b of byte k is element 8k+b, so with
/// NHWC and channel counts that are multiples of eight one byte holds eight channels of a pixel.
public enum ReLU {
    /// Number of mask bytes for `count` elements.
    public static func maskBytes(_ count: Int) -> Int { (count + 7) / 8 }

    /// x = max(x, 0) in place, recording x > 0 in `mask`. `count` must be a multiple of 8.
    public static func forward(_ x: UnsafeMutablePointer<Float>, count: Int, mask: UnsafeMutablePointer<UInt8>) {
        precondition(count % 8 == 0, "ReLU works on whole groups of 8 elements (count \(count))")
        Parallel.forRanges(count / 8, minChunk: 4096) { r in
            for g in r {
                let v = SIMD8Access.load(x + 8 * g)
                mask[g] = maskBits(v)
                SIMD8Access.store(relu(v), x + 8 * g)
            }
        }
    }

    /// dy = dy where the forward input was positive, else 0 (in place).
    public static func backward(_ dy: UnsafeMutablePointer<Float>, count: Int, mask: UnsafePointer<UInt8>) {
        precondition(count % 8 == 0, "ReLU works on whole groups of 8 elements (count \(count))")
        Parallel.forRanges(count / 8, minChunk: 4096) { r in
            for g in r {
                let v = SIMD8Access.load(dy + 8 * g)
                SIMD8Access.store(applyMask(v, mask[g]), dy + 8 * g)
            }
        }
    }

    /// Lucid's redirected ReLU gradient, image by image (`countPerImage` % 8 == 0): where the
    /// ordinary gradient of an image is not all zero it is used; where it is, the gradient passes
    /// wherever the pre-activation was positive or the gradient would push it up (dy > 0, as fvd
    /// ascends), so a filter that never fires from its start still learns which way to go.
    public static func backwardRedirected(_ dy: UnsafeMutablePointer<Float>, images: Int, countPerImage: Int, mask: UnsafePointer<UInt8>) {
        precondition(countPerImage % 8 == 0, "ReLU works on whole groups of 8 elements (count \(countPerImage))")
        let groups = countPerImage / 8
        for n in 0..<images {
            let g0 = n * groups
            var anyPasses = false
            for g in g0..<(g0 + groups) where mask[g] != 0 {
                if applyMask(SIMD8Access.load(dy + 8 * g), mask[g]) != SIMD8<Float>(repeating: 0) {
                    anyPasses = true
                    break
                }
            }
            if anyPasses {
                backward(dy + 8 * g0, count: countPerImage, mask: mask + g0)
                continue
            }
            Parallel.forRanges(groups, minChunk: 4096) { r in
                for g in r {
                    let v = SIMD8Access.load(dy + 8 * (g0 + g))
                    SIMD8Access.store(applyMask(v, mask[g0 + g]).replacing(with: v, where: v .> 0), dy + 8 * (g0 + g))
                }
            }
        }
    }

    /// max(v, 0) as one `vmaxps` (`pointwiseMax` is an out-of-line scalar call in Swift).
    @inline(__always)
    public static func relu(_ v: SIMD8<Float>) -> SIMD8<Float> {
        v.replacing(with: 0, where: v .< 0)
    }

    /// Bit b set when lane b is > 0 (`fvd_positive_bits`: a compare and a movemask).
    @inline(__always)
    public static func maskBits(_ v: SIMD8<Float>) -> UInt8 {
        fvd_positive_bits(v)
    }

    /// Zeroes the lanes whose bit is clear (`fvd_keep_lanes`: an and with a lane mask built by
    /// a broadcast and a compare); the kept lanes keep their bits exactly.
    @inline(__always)
    public static func applyMask(_ v: SIMD8<Float>, _ bits: UInt8) -> SIMD8<Float> {
        fvd_keep_lanes(v, bits)
    }
}
