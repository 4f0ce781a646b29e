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
        // Packaged the ecosystem's way (flit-core, fetched by pip like any build backend): an
        // sdist and a wheel built with pypa's build, the wheel installed into a fresh venv.
        let builder = d.dir + "/build-venv", venv = d.dir + "/venv", dist = d.dir + "/dist"
        let (s0, _, e0) = try runProgram("/usr/bin/env", ["python3", "-m", "venv", builder])
        XCTAssertEqual(s0, 0, e0)
        let (sb, _, eb) = try runProgram(builder + "/bin/pip", ["install", "--quiet", "build"])
        XCTAssertEqual(sb, 0, "pip install build: \(eb)")
        let (sd, _, ed) = try runProgram(builder + "/bin/python", ["-m", "build", "--outdir", dist, repoRoot + "/clients/python"])
        XCTAssertEqual(sd, 0, "python -m build: \(ed)")
        let built = try FileManager.default.contentsOfDirectory(atPath: dist).sorted()
        XCTAssertEqual(built, ["fvd-0.3.0-py3-none-any.whl", "fvd-0.3.0.tar.gz"])
        let (s1, _, e1) = try runProgram("/usr/bin/env", ["python3", "-m", "venv", "--system-site-packages", venv])
        XCTAssertEqual(s1, 0, e1)
        let (s2, _, e2) = try runProgram(venv + "/bin/pip", ["install", "--quiet", dist + "/fvd-0.3.0-py3-none-any.whl"])
        XCTAssertEqual(s2, 0, "pip install the wheel: \(e2)")
        let (s3, out, e3) = try runProgram(venv + "/bin/python", [repoRoot + "/Tests/FVServerTests/Python/check_package.py", d.socketPath])
        XCTAssertEqual(s3, 0, e3)
        let j = try JSONCodec.parse(out.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(j["png_magic"], "89504e47", "the PNG bytes, for Jupyter's inline display")
        XCTAssertEqual(j["history"], 6)
        XCTAssertEqual(j["rises"], true)
        XCTAssertEqual(j["progress_last"], 6)
        XCTAssertEqual(j["neuron_params"]?["x"], 3)
        XCTAssertEqual(j["sum_repr"], "channel('block2_conv1', 3) - 0.5 * channel('block1_conv2', 5)")
        XCTAssertEqual(j["sum_request"], .array(["block2_conv1", 3, .array([
            ["type": "channel", "weight": 1.0, "layer": "block2_conv1", "filter": 3],
            ["type": "channel", "weight": -0.5, "layer": "block1_conv2", "filter": 5]])]))
        XCTAssertEqual(j["sum_result_layer"], "block2_conv1")
        XCTAssertEqual(j["natural"], .array(["89504e47", 6, false]), "the importance map a PNG, the alpha picture RGBA, neither left in result")
        XCTAssertEqual(j["spectrum"], .array([4, true]), "a spectrum file sent as the request's spectrum")
        XCTAssertTrue(j["spectrum_shape"]?.stringValue?.contains("an object with size, angles and amplitude") ?? false, "\(j)")
        XCTAssertTrue(j["spectrum_size"]?.stringValue?.contains("measured at 32 px and the picture is 48 px") ?? false, "\(j)")
        XCTAssertEqual(j["sum_no_layer"], "give the layer and filter, e.g. pattern('block3_conv1', 27), or an objective that names them")
        XCTAssertEqual(j["diversity_losses"], 2)
        XCTAssertEqual(j["grid_tiles"], 3)
        // numpy is optional (the venv sees the system's packages: numpy where installed).
        XCTAssertTrue(j["grid_array_shape"] == [3, 16, 16, 3] || j["grid_array_shape"] == "no numpy", "\(j["grid_array_shape"] ?? .null)")
        if j["grid_array_shape"] != "no numpy" {
            XCTAssertEqual(j["shown"], [[32, 32, 3], "float32", true, true, [32, 32, 3], "uint8"], "array(): RGB in [0, 1]; rgb(): uint8")
        }
        XCTAssertTrue(j["negative_repr"]?.stringValue?.contains("(left), negative") ?? false, "\(j["negative_repr"] ?? .null)")
        XCTAssertTrue(j["diversity_repr"]?.stringValue?.contains("2 pictures, objectives") ?? false, "\(j["diversity_repr"] ?? .null)")
        XCTAssertTrue(j["activations_repr"]?.stringValue?.hasPrefix("<fvd.Activations block3_conv1") ?? false, "\(j["activations_repr"] ?? .null)")
        XCTAssertEqual(j["too_long"], JSON(RPCError.lineTooLong), "the daemon's own error, not a broken pipe")
        XCTAssertEqual(j["error"]?.arrayValue?.first, JSON(RPCError.invalidParams))
        XCTAssertEqual(j["interrupted"], true)
        XCTAssertEqual(j["jobs_after_interrupt"], 0, "Ctrl-C cancelled the job in the daemon")
    }
}
