// swift-tools-version:5.9
import PackageDescription

/// The kernels are the only code whose speed matters, and SIMD8<Float> only becomes AVX2
/// `vfmadd231ps` when clang's target is told about AVX2/FMA (otherwise ~80x slower, see
/// docs/HACKING.md). `-Ounchecked` drops bounds checks inside the unsafe-pointer loops.
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-Xcc", "-mavx2", "-Xcc", "-mfma"])
]

let package = Package(
    name: "fvd",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "fvd", targets: ["fvd"]),
        .executable(name: "fvctl", targets: ["fvctl"]),
        .executable(name: "fvbench", targets: ["fvbench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // C libraries from Debian, each seen by exactly one Swift file.
        .systemLibrary(name: "CJSONC", pkgConfig: "json-c", providers: [.apt(["libjson-c-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libjpeg-turbo (Debian's libjpeg62-turbo-dev): photos are JPEG. Its errors longjmp, so a
        // small C shim catches them in C and Swift sees only return codes.
        .target(name: "CJPEGShim", linkerSettings: [.linkedLibrary("jpeg")]),

        // cpuid through the compiler's builtins, compiled without the AVX2 flags so the check
        // itself runs anywhere; and, header-only, the few instructions the kernels need that Swift
        // cannot spell (fvd_intrinsics.h).
        .target(name: "CCPUFeatures"),
        // glibc's malloc_trim, so an idle daemon gives job memory back.
        .target(name: "CMemory"),
        // glibc's posix_spawn closefrom and chdir actions, so children inherit only what they are given.
        .target(name: "CSpawn"),
        .target(name: "SIMDKernels", dependencies: ["CCPUFeatures"], swiftSettings: kernelFlags),
        .target(name: "FVModel", dependencies: ["SIMDKernels"], swiftSettings: kernelFlags),
        .target(name: "FVImage", dependencies: ["CPNG", "CJPEGShim"]),
        .target(name: "FVProtocol", dependencies: ["CJSONC"]),
        .target(name: "FVTransport", dependencies: ["FVProtocol"]),
        .target(name: "FVServer", dependencies: ["CCrypto", "CMemory", "FVProtocol", "FVTransport", "FVOptim", "FVModel", "FVImage", "SIMDKernels"]),
        // Every parser of client bytes, as fuzz targets; one executable each. Fuzz/run-fuzz.sh
        // builds them with --sanitize=fuzzer (libFuzzer's main); a plain build replays files.
        .target(name: "FVFuzzTargets", dependencies: ["FVProtocol", "FVServer", "FVOptim", "FVImage"]),
        .executableTarget(name: "fvfuzz-rpc", dependencies: ["FVFuzzTargets"]),
        .executableTarget(name: "fvfuzz-json", dependencies: ["FVFuzzTargets"]),
        .executableTarget(name: "fvfuzz-png", dependencies: ["FVFuzzTargets"]),
        .executableTarget(name: "fvfuzz-jpeg", dependencies: ["FVFuzzTargets"]),
        // FVImage for Lucid's colour matrix and the natural preset's spectrum, which fvctl also needs.
        .target(name: "FVOptim", dependencies: ["FVModel", "SIMDKernels", "FVImage"], swiftSettings: kernelFlags),
        // The atlas: its manifest, its files and its web site; no engine (fvctl links it).
        .target(name: "FVAtlas", dependencies: ["FVProtocol", "FVImage"]),

        .executableTarget(name: "fvbench", dependencies: ["FVOptim", "FVModel", "SIMDKernels", "FVImage"], swiftSettings: kernelFlags),
        .executableTarget(
            name: "fvctl",
            dependencies: ["CSpawn", "FVProtocol", "FVTransport", "FVImage", "FVAtlas", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "fvd",
            dependencies: ["FVServer", "FVTransport", "FVModel", "FVOptim", "FVImage", "FVAtlas", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Shared by the test targets: finds the real weights that scripts/setup.sh made.
        .target(name: "FVTestSupport", dependencies: ["FVModel"], path: "Tests/FVTestSupport"),
        .testTarget(name: "SIMDKernelsTests", dependencies: ["SIMDKernels", "FVTestSupport"], swiftSettings: kernelFlags),
        .testTarget(name: "FVModelTests", dependencies: ["FVModel", "SIMDKernels", "FVTestSupport"]),
        .testTarget(name: "FVOptimTests", dependencies: ["FVOptim", "FVModel", "SIMDKernels", "FVImage", "FVTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "FVImageTests", dependencies: ["FVImage"]),
        .testTarget(name: "FVProtocolTests", dependencies: ["FVProtocol"]),
        .testTarget(name: "FVAtlasTests", dependencies: ["FVAtlas", "FVProtocol", "FVImage"]),
        .testTarget(name: "FVServerTests", dependencies: ["CSpawn", "FVServer", "FVProtocol", "FVTransport", "FVImage", "FVAtlas", "FVTestSupport"],
                    exclude: ["Python"]),
    ]
)
