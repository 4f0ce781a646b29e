/// MT19937 seeded as numpy's legacy `np.random.seed(int)` (init_genrand), with numpy's
/// `random_sample` (53-bit doubles). So fvd's random start for seed s is the very array the
/// notebook gets from `np.random.seed(s); np.random.random((1, size, size, 3))`.
public struct MersenneTwister {
    var mt = [UInt32](repeating: 0, count: 624)
    var index = 624

    public init(seed: UInt32) {
        mt[0] = seed
        for i in 1..<624 {
            mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = mt[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// Uniform in [0, 1) with 53 random bits, exactly as numpy's `random_sample`.
    public mutating func nextDouble() -> Double {
        let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    mutating func twist() {
        for i in 0..<624 {
            let y = (mt[i] & 0x8000_0000) | (mt[(i + 1) % 624] & 0x7fff_ffff)
            mt[i] = mt[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908_b0df : 0)
        }
        index = 0
    }
}
