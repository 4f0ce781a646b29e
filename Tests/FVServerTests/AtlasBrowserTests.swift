import Foundation
import XCTest

/// The atlas's web site in a real browser: headless Chromium (Debian's package) driven by
/// Playwright (`scripts/check-atlas-site.py`), from file:// and over HTTP: every picture
/// decodes, every link names a file, the arrow keys go to the neighbours, the console has no
/// error and nothing is fetched from the network.
final class AtlasBrowserTests: XCTestCase {
    func testTheAtlasSiteWorksInARealBrowser() throws {
        let (s0, _, _) = try runProgram("/usr/bin/env", ["python3", "-c", "import playwright.sync_api"])
        let browser = FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
        if s0 != 0 || !browser {
            let why = "needs Debian's chromium and Playwright from PyPI (scripts/setup.sh --tests installs both)"
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail(why) }
            throw XCTSkip(why)
        }
        guard let fvctl = builtBinary("fvctl") else { throw XCTSkip("fvctl is not built") }
        let d = try TestDaemon()
        defer { d.stop() }
        let out = d.dir + "/atlas"
        let folder = try AtlasDaemonTests.pictureFolder(d.dir)
        let (s, _, e) = try runProgram(fvctl, ["atlas", "block1_conv1", "block2_conv1", "--filters", "0-5", "--size", "32", "--steps", "4",
                                               "--images", folder, "--out", out, "--socket", d.socketPath])
        XCTAssertEqual(s, 0, e)
        // A unit missing from the site: shown as missing, never linked.
        try FileManager.default.removeItem(atPath: out + "/block2_conv1/5.json")
        let (s1, _, e1) = try runProgram(fvctl, ["atlas", "--site", out])
        XCTAssertEqual(s1, 0, e1)
        let (status, report, err) = try runProgram("/usr/bin/env", ["python3", repoRoot + "/scripts/check-atlas-site.py", out])
        print(report)
        XCTAssertEqual(status, 0, report + err)
        XCTAssertTrue(report.contains("atlas site: PASS"), report + err)
        XCTAssertTrue(report.contains("\"pages\": 28"), "index, 2 layer pages and 11 unit pages, twice (file:// and HTTP): \(report)")
        // The natural preset's pages: the importance button, in the browser.
        let natural = d.dir + "/natural-atlas"
        let (sn, _, en) = try runProgram(fvctl, ["atlas", "block1_conv1", "--filters", "0-2", "--preset", "natural", "--size", "32", "--steps", "3",
                                                 "--no-negative", "--out", natural, "--socket", d.socketPath])
        XCTAssertEqual(sn, 0, en)
        let (s2, report2, err2) = try runProgram("/usr/bin/env", ["python3", repoRoot + "/scripts/check-atlas-site.py", natural])
        print(report2)
        XCTAssertEqual(s2, 0, report2 + err2)
        XCTAssertTrue(report2.contains("\"importance toggles\": 2"), "once from file://, once over HTTP: \(report2)")
    }
}
