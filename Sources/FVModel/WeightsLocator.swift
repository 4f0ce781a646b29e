import Foundation

/// Where fvd looks for its weights when not told: `$FVD_WEIGHTS`, then `weights/vgg16.fvw` in the
/// source tree the binary was built in (`.build/<config>/fvd` → `weights/`), then the installed
/// copy. The first that exists wins; if none does, the first candidate is reported missing.
public enum WeightsLocator {
    public static let fileName = "vgg16.fvw"
    public static let installedPath = "/usr/local/share/fvd/vgg16.fvw"

    public static func candidates(executablePath: String = CommandLine.arguments.first ?? "") -> [String] {
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
        list.append(installedPath)
        return list
    }

    public static func defaultPath() -> String {
        let c = candidates()
        return c.first { FileManager.default.fileExists(atPath: $0) } ?? c[0]
    }
}
