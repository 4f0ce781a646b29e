import FVModel
import Foundation
import XCTest

/// The converted ImageNet weights that `scripts/setup.sh` leaves in weights/. Tests never fetch
/// them; without them they fail and say how to make them.
public enum RealWeights {
    public static let path: String = {
        var dir = URL(fileURLWithPath: #filePath)
        while dir.path != "/" {
            dir = dir.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { break }
        }
        return dir.appendingPathComponent("weights/vgg16.fvw").path
    }()

    public static let shared: ResidentWeights? = try? ResidentWeights(path: path)

    public static func load() throws -> ResidentWeights {
        guard let w = shared else {
            XCTFail("\(path) is missing or invalid: run scripts/setup.sh first (README)")
            throw XCTSkip("no weights")
        }
        return w
    }
}
