#if canImport(Glibc)
import Glibc
#endif

/// The kernels are compiled for AVX2 + FMA (see Package.swift); on a CPU without them the first
/// kernel call would die with SIGILL. Callers check this at start-up and refuse with a clear
/// message instead.
public enum CPUFeatures {
    /// The instruction-set extensions the kernels need that this CPU lacks (empty when all are present).
    public static func missing() -> [String] {
        let flags = cpuFlags()
        guard !flags.isEmpty else { return [] }  // not Linux or unreadable: cannot tell, let it run
        return ["avx2", "fma"].filter { !flags.contains($0) }
    }

    /// One sentence to print and exit with, or nil when the CPU is fine.
    public static func refusal() -> String? {
        let m = missing()
        if m.isEmpty { return nil }
        return "this CPU lacks \(m.map { $0.uppercased() }.joined(separator: " and ")), which fvd's kernels are compiled for; run fvd on an x86-64 CPU with AVX2 and FMA (Intel Haswell / AMD Zen or newer)"
    }

    static func cpuFlags() -> Set<String> {
        guard let f = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 8192)
        while fgets(&line, Int32(line.count), f) != nil {
            let s = String(cString: line)
            if s.hasPrefix("flags") {
                let parts = s.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { return [] }
                return Set(parts[1].split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
            }
        }
        return []
    }
}
