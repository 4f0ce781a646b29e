import FVProtocol
import Foundation
import XCTest

/// The Python package (clients/python) installed with pip into a fresh virtual environment and
/// driven against the real daemon: renders with progress and history, a new objective,
/// diversity, a grid, a daemon error as FvdError, and Ctrl-C cancelling the job in the daemon.
final class PythonPackageTests: XCTestCase {
    func testThePythonPackageAgainstTheRealDaemon() throws {
        let d = try TestDaemon()
        defer { d.stop() }
        let venv = d.dir + "/venv"
        // The package builds with its own standard-library backend: no network needed.
        let (s1, _, e1) = try runProgram("/usr/bin/env", ["python3", "-m", "venv", "--system-site-packages", venv])
        XCTAssertEqual(s1, 0, e1)
        let (s2, _, e2) = try runProgram(venv + "/bin/pip", ["install", "--quiet", repoRoot + "/clients/python"])
        XCTAssertEqual(s2, 0, "pip install ./clients/python: \(e2)")
        let (s3, out, e3) = try runProgram(venv + "/bin/python", [repoRoot + "/Tests/FVServerTests/Python/check_package.py", d.socketPath])
        XCTAssertEqual(s3, 0, e3)
        let j = try JSONCodec.parse(out.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(j["png_magic"], "89504e47", "the PNG bytes, for Jupyter's inline display")
        XCTAssertEqual(j["history"], 6)
        XCTAssertEqual(j["rises"], true)
        XCTAssertEqual(j["progress_last"], 6)
        XCTAssertEqual(j["neuron_params"]?["x"], 3)
        XCTAssertEqual(j["diversity_losses"], 2)
        XCTAssertEqual(j["grid_tiles"], 3)
        // numpy is optional (the venv sees the system's packages: numpy where installed).
        XCTAssertTrue(j["grid_array_shape"] == [3, 16, 16, 3] || j["grid_array_shape"] == "no numpy", "\(j["grid_array_shape"] ?? .null)")
        XCTAssertEqual(j["error"]?.arrayValue?.first, JSON(RPCError.invalidParams))
        XCTAssertEqual(j["interrupted"], true)
        XCTAssertEqual(j["jobs_after_interrupt"], 0, "Ctrl-C cancelled the job in the daemon")
    }
}
