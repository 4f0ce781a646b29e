import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The shipped units' way of starting fvd: `scripts/socket-activation-check.sh` runs the built
/// binary through systemd's `systemd-socket-activate`, from the ExecStart= of
/// systemd/fvd.service, as an unprivileged uid with HOME=/ and no XDG_*; a member of the socket's
/// group is served, a second member too, an outsider is refused and told which group to ask for.
/// The script is the one home of the walk (`scripts/check-units.sh` runs it too); this test runs
/// it on the binaries `swift test` built and passes only on its PASS.
final class SocketActivationTests: XCTestCase {
    func testTheShippedUnitsStartAndServeUnderSocketActivation() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to act as the service's and the clients' uids") }
        guard let fvd = builtBinary("fvd"), let fvctl = builtBinary("fvctl") else { throw XCTSkip("fvd is not built") }
        let weights = repoRoot + "/weights/vgg16.fvw"
        guard FileManager.default.fileExists(atPath: weights) else { throw XCTSkip("no weights (scripts/setup.sh)") }
        let (status, out, err) = try runProgram(repoRoot + "/scripts/socket-activation-check.sh", [fvd, fvctl, weights])
        print(out)
        XCTAssertEqual(status, 0, out + err)
        XCTAssertTrue(out.contains("socket activation: PASS"), out + err)
        XCTAssertTrue(out.contains("first answer under socket activation"), out)
    }
}
