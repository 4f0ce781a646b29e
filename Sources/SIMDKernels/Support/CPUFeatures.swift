import CCPUFeatures

/// The kernels are compiled for AVX2 + FMA (see Package.swift); on a CPU without them the first
/// kernel call would die with SIGILL. Callers check this at start-up and refuse with a clear
/// message instead.
public enum CPUFeatures {
    /// The instruction-set extensions the kernels need that this CPU lacks (empty when all are present).
    public static func missing() -> [String] {
        var m: [String] = []
        if fvd_cpu_has_avx2() == 0 { m.append("AVX2") }
        if fvd_cpu_has_fma() == 0 { m.append("FMA") }
        return m
    }

    /// One sentence to print and exit with, or nil when the CPU is fine.
    public static func refusal() -> String? {
        let m = missing()
        if m.isEmpty { return nil }
        return "this CPU lacks \(m.joined(separator: " and ")), which fvd's kernels are compiled for; run fvd on an x86-64 CPU with AVX2 and FMA (Intel Haswell / AMD Zen or newer)"
    }
}
