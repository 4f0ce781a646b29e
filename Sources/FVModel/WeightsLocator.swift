import Foundation

/// Where fvd looks for its weights when not told: `$FVD_WEIGHTS`, then `weights/vgg16.fvw` in the
/// source tree the binary was built in (`.build/<config>/fvd` -> `weights/`), then beside the
/// installed binary (`<prefix>/bin/fvd` -> `<prefix>/share/fvd/`, whatever the prefix was), then
/// the default install location. The first that exists wins; if none does, the first candidate
/// is reported missing.
public enum WeightsLocator {
    public static let fileName = "vgg16.fvw"
    public static let installedPath = "/usr/local/share/fvd/vgg16.fvw"

    public static func candidates(executablePath: String = WeightsLocator.executablePath) -> [String] {
        var list: [String] = []
        if let env = ProcessInfo.processInfo.environment["FVD_WEIGHTS"], !env.isEmpty { list.append(env) }
        let exe = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
        // .build/release/fvd and .build/x86_64-unknown-linux-gnu/release/fvd
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            dir = dir.deletingLastPathComponent()
            let p = dir.appendingPathComponent("weights").appendingPathComponent(fileName).path
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                list.append(p)
                break
            }
        }
        // <prefix>/bin/fvd -> <prefix>/share/fvd/vgg16.fvw
        let prefix = exe.deletingLastPathComponent().deletingLastPathComponent()
        list.append(prefix.appendingPathComponent("share/fvd").appendingPathComponent(fileName).path)
        if !list.contains(installedPath) { list.append(installedPath) }
        return list
    }

    public static func defaultPath() -> String {
        let c = candidates()
        return c.first { FileManager.default.fileExists(atPath: $0) } ?? c[0]
    }

    /// This process's executable, as the kernel knows it (argv[0] may be a bare name from PATH).
    public static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
    }
}
