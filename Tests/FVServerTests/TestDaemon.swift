import FVProtocol
import FVServer
import FVTestSupport
import FVTransport
import Foundation
import XCTest

/// A real fvd Server on a real Unix socket in a temporary directory, run on a thread of the test
/// process; clients talk to it exactly as fvctl does.
final class TestDaemon {
    let dir: String
    let socketPath: String
    let server: Server
    private let finished = DispatchSemaphore(value: 0)

    init(configure: (inout ServerConfig) -> Void = { _ in }) throws {
        dir = NSTemporaryDirectory() + "fvd-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        socketPath = dir + "/fvd.sock"
        _ = try RealWeights.load()
        var config = ServerConfig(socketPath: socketPath, weightsPath: RealWeights.path, cacheDirectory: dir + "/cache")
        configure(&config)
        server = try Server(config: config)
        let done = finished
        let s = server
        Thread {
            do { try s.run() } catch { XCTFail("server failed: \(error)") }
            done.signal()
        }.start()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let c = try? RPCClient(path: socketPath) {
                c.close()
                // Let the daemon see the probe go, so tests that count connections start at 0.
                usleep(200_000)
                return
            }
            usleep(10_000)
        }
        XCTFail("daemon did not start listening on \(socketPath)")
    }

    /// A client whose reads give up after 60 s, so a broken daemon fails a test instead of hanging it.
    func client() throws -> RPCClient {
        let c = try RPCClient(path: socketPath)
        c.socket.setReceiveTimeout(seconds: 60)
        return c
    }

    func stop() {
        server.stop(reason: "test finished")
        _ = finished.wait(timeout: .now() + 15)
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Sends raw text and returns the next message.
    func exchange(_ raw: String, on c: RPCClient? = nil) throws -> JSON {
        let client = try c ?? self.client()
        try client.send(line: raw)
        return try client.readMessage()
    }
}

/// Small, fast renders for tests.
func smallPattern(_ filter: Int = 3, steps: Int = 4, size: Int = 32, seed: Int = 0, layer: String = "block2_conv1") -> JSON {
    PatternParams(layer: layer, filter: filter, options: RenderOptions(size: size, steps: steps, stepSize: 1, seed: seed)).json
}

/// The repository root (for the built binaries and examples).
let repoRoot: String = {
    var dir = URL(fileURLWithPath: #filePath)
    while dir.path != "/" {
        dir = dir.deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir.path }
    }
    return "."
}()

/// A binary `swift test` built alongside the tests.
func builtBinary(_ name: String) -> String? {
    for config in ["debug", "release"] {
        for p in ["\(repoRoot)/.build/\(config)/\(name)", "\(repoRoot)/.build/x86_64-unknown-linux-gnu/\(config)/\(name)"]
        where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
    }
    return nil
}
