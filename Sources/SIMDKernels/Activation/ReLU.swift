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

    /// Bit b set when lane b is > 0. Pure integer arithmetic: Swift has no movemask, and its
    /// SIMD mask conversions (`.!=`, `replacing(with:where:)` on integer lanes) compile to a
    /// scalar loop through the stack, which made ReLU backward 22% of a step.
    @inline(__always)
    public static func maskBits(_ v: SIMD8<Float>) -> UInt8 {
        // 0 - x has its sign bit set exactly when x > 0 (+0 and -0 both give +0).
        let negated = unsafeBitCast(SIMD8<Float>(repeating: 0) - v, to: SIMD8<UInt32>.self)
        let bits = (negated &>> 31) &<< SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        return UInt8(truncatingIfNeeded: bits.wrappedSum())
    }

    /// Zeroes the lanes whose bit is clear: bit b is shifted to the sign position of lane b and
    /// spread across the lane by an arithmetic shift, giving an all-ones or all-zeros lane mask.
    @inline(__always)
    public static func applyMask(_ v: SIMD8<Float>, _ bits: UInt8) -> SIMD8<Float> {
        let spread = (SIMD8<Int32>(repeating: Int32(bits)) &<< SIMD8<Int32>(31, 30, 29, 28, 27, 26, 25, 24)) &>> 31
        return unsafeBitCast(unsafeBitCast(v, to: SIMD8<Int32>.self) & spread, to: SIMD8<Float>.self)
    }
}
