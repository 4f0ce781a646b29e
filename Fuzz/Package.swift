// swift-tools-version:5.9
import PackageDescription

// The fuzz target lives in its own package: libFuzzer supplies `main`, so it cannot be an
// ordinary executable of the main package (a plain `swift build` would fail to link it).
//   cd Fuzz && swift build -c debug --sanitize=fuzzer --sanitize=address
let package = Package(
    name: "fvd-fuzz",
    dependencies: [.package(name: "fvd", path: "..")],
    targets: [
        .executableTarget(
            name: "fvfuzz",
            dependencies: [
                .product(name: "FVFuzzTargets", package: "fvd"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    ]
)
