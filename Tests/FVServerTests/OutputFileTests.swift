import FVImage
import FVProtocol
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// What `fvctl -o PATH` does to what is at PATH, and bad numbers on its command line: the real
/// fvctl binary against a real daemon.
final class OutputFileTests: XCTestCase {
    static var daemon: TestDaemon!
    override class func setUp() { daemon = try? TestDaemon { $0.cacheDirectory = nil } }
    override class func tearDown() { daemon?.stop() }

    func render(_ args: [String]) throws -> (Int32, String, String) {
        guard let d = Self.daemon else { throw XCTSkip("daemon did not start") }
        guard let fvctl = builtBinary("fvctl") else { throw XCTSkip("fvctl is not built") }
        return try runProgram(fvctl, ["pattern", "block1_conv2", "3", "--size", "32", "--steps", "2", "--socket", d.socketPath] + args)
    }

    var dir: String { Self.daemon.dir }

    func mode(_ path: String) -> mode_t {
        var st = stat()
        lstat(path, &st)
        return st.st_mode
    }

    func testADeviceIsWrittenIntoNeverReplaced() throws {
        guard getuid() == 0 else { throw XCTSkip("mknod needs root") }
        let dev = dir + "/null"
        XCTAssertEqual(mknod(dev, S_IFCHR | 0o666, dev_t((1 << 8) | 3)), 0)
        let (s, o, e) = try render(["-o", dev])
        XCTAssertEqual(s, 0, o + e)
        XCTAssertEqual(mode(dev) & S_IFMT, S_IFCHR, "still the device node, not a regular file")
    }

    func testAnExistingFileKeepsItsModeAndALinkStaysALink() throws {
        let out = dir + "/kept.png"
        FileManager.default.createFile(atPath: out, contents: Data("old".utf8))
        chmod(out, 0o640)
        let (s, o, e) = try render(["-o", out])
        XCTAssertEqual(s, 0, o + e)
        XCTAssertEqual(mode(out) & 0o7777, 0o640)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)).prefix(4), Data([0x89, 0x50, 0x4E, 0x47]))

        let target = dir + "/target.png", link = dir + "/link.png"
        FileManager.default.createFile(atPath: target, contents: Data("old".utf8))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        XCTAssertEqual(try render(["-o", link]).0, 0)
        XCTAssertEqual(mode(link) & S_IFMT, S_IFLNK, "the link is kept")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: target)).prefix(4), Data([0x89, 0x50, 0x4E, 0x47]), "its target got the image")
        let stray = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".fvctl-") }
        XCTAssertEqual(stray, [], "no temporary files left")
    }

    func testDashWritesThePNGToStandardOutput() throws {
        let (s, out, e) = try render(["-o", "-"])
        XCTAssertEqual(s, 0, e)
        XCTAssertTrue(out.contains("PNG\r\n") && out.contains("IHDR") && out.contains("IEND"), "a whole PNG on stdout, nothing else")
        XCTAssertFalse(out.hasSuffix("-\n"), "no path printed after the image")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "-"), "no file named -")
    }

    /// `--step-size nan` used to render with the default 0.1 and exit 0: NaN became JSON null,
    /// which the daemon took as absent.
    func testNonFiniteNumbersAreRefusedByFvctlAndByTheDaemon() throws {
        for bad in ["nan", "inf", "-inf"] {
            let (s, _, e) = try render(["--step-size=\(bad)", "-o", dir + "/never.png"])
            XCTAssertEqual(s, 64, "\(bad): \(e)")
            XCTAssertTrue(e.contains("--step-size must be a finite number above 0"), e)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/never.png"))
        let c = try Self.daemon.client()
        XCTAssertThrowsError(try c.call("pattern", ["layer": "block1_conv1", "filter": 1, "stepSize": .null])) {
            XCTAssertEqual(($0 as? RPCError)?.code, RPCError.invalidParams)
            XCTAssertTrue(($0 as? RPCError)?.message.contains("stepSize\" must be a finite number") ?? false, "\($0)")
        }
    }

    /// `-o out.jpg` used to get PNG bytes under a JPEG name; a missing directory was found only
    /// after the render. Both are refused before anything starts (exit 64), with the reason.
    func testAnOutputFvctlCannotWriteIsRefusedBeforeTheRender() throws {
        guard let fvctl = builtBinary("fvctl") else { throw XCTSkip("fvctl is not built") }
        let cases = [
            ("out.jpg", "fvctl writes PNG images (.png) or the raw float32 pictures (.npy, for numpy); name the file so (or use - for standard output), not .jpg"),
            ("out.tiff", "not .tiff"),
            (dir + "/missing/x.png", "the directory \(dir)/missing does not exist"),
            (dir + "/missing/x.npy", "the directory \(dir)/missing does not exist"),
            (dir, "it is a directory; give a file name"),
        ]
        for (path, message) in cases {
            // No daemon at this socket: a refusal here can only come from the check.
            let (s, _, e) = try runProgram(fvctl, ["pattern", "block1_conv1", "1", "-o", path, "--socket", dir + "/no-daemon.sock"])
            XCTAssertEqual(s, 64, "\(path): \(e)")
            XCTAssertTrue(e.contains(message), e)
        }
    }

    /// `-o out.npy` writes the raw float32 pictures as a NumPy file: a valid .npy header with the
    /// shape, and values that are the PNG's pixels before rounding.
    func testNumPyOutputHoldsThePicturesAsNumbers() throws {
        guard let fvctl = builtBinary("fvctl") else { throw XCTSkip("fvctl is not built") }
        let args = ["pattern", "block2_conv1", "6", "--size", "24", "--steps", "3", "--socket", Self.daemon.socketPath]
        let (s1, _, e1) = try runProgram(fvctl, args + ["-o", dir + "/p.npy"])
        XCTAssertEqual(s1, 0, e1)
        let (s2, _, e2) = try runProgram(fvctl, args + ["-o", dir + "/p.png"])
        XCTAssertEqual(s2, 0, e2)
        let npy = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: dir + "/p.npy")))
        XCTAssertEqual(Array(npy[0..<6]), [0x93] + Array("NUMPY".utf8))
        let headerLength = Int(npy[8]) | Int(npy[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0, "the data starts 64-byte aligned")
        let header = String(decoding: npy[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.contains("'descr': '<f4'") && header.contains("'shape': (24, 24, 3)"), header)
        let data = Array(npy[(10 + headerLength)...])
        XCTAssertEqual(data.count, 24 * 24 * 3 * 4)
        let values = stride(from: 0, to: data.count, by: 4).map { i in
            Float(bitPattern: UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24)
        }
        let png = try PNGCodec.decode([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: dir + "/p.png"))))
        for p in stride(from: 0, to: 24 * 24, by: 7) {
            for c in 0..<3 {
                // BGR in the array, RGB in the PNG; the PNG is clip(x / 255) rounded to 8 bits.
                let expected = UInt8((min(max(values[3 * p + 2 - c] / 255, 0), 1) * 255).rounded())
                XCTAssertEqual(png.pixels[3 * p + c], expected, "pixel \(p) channel \(c)")
            }
        }
    }

    func render(_ args: [String], in cwd: String) throws -> (Int32, String, String) {
        guard let d = Self.daemon, let fvctl = builtBinary("fvctl") else { throw XCTSkip("no daemon or fvctl") }
        return try runProgram(fvctl, ["pattern", "block1_conv2", "3", "--size", "32", "--steps", "2", "--socket", d.socketPath] + args, cwd: cwd)
    }

    /// Red team round 3, item 1: root runs fvctl in a directory another user owns, where that user
    /// put a link at the output's name (the default one, -o, --plot-loss, a snapshot's) to a file
    /// only root may write. fvctl refuses before the render, and the file keeps its bytes.
    func testRootDoesNotFollowAnotherUsersLinkAtAnyOutputPath() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to own files as another user") }
        let home = dir + "/home-65534"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        chown(home, 65534, 65534)
        let secret = dir + "/root-only"
        FileManager.default.createFile(atPath: secret, contents: Data("secret".utf8), attributes: [.posixPermissions: 0o600])
        func plant(_ name: String) {
            let link = home + "/" + name
            unlink(link)
            symlink(secret, link)
            lchown(link, 65534, 65534)
        }
        for (args, name) in [([], "block1_conv2_3.png"), (["-o", home + "/out.png"], "out.png"),
                             (["-o", home + "/ok.png", "--plot-loss", home + "/loss.png"], "loss.png"),
                             (["-o", home + "/ok.png", "--snapshots", "1"], "ok-1.png")] {
            plant(name)
            let (s, o, e) = try render(args, in: home)
            XCTAssertNotEqual(s, 0, "\(args): \(o)")
            XCTAssertTrue(e.contains("symbolic link of") && e.contains("uid 65534"), "\(args): \(e)")
            XCTAssertFalse(e.contains("objective"), "refused before the render: \(e)")
            XCTAssertEqual(try String(contentsOfFile: secret, encoding: .utf8), "secret", "\(args)")
        }
        // Root's own link is followed as before.
        let mine = dir + "/mine.png", target = dir + "/root-only.png"
        FileManager.default.createFile(atPath: target, contents: Data("secret".utf8), attributes: [.posixPermissions: 0o600])
        symlink(target, mine)
        XCTAssertEqual(try render(["-o", mine]).0, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: target)).prefix(4), Data([0x89, 0x50, 0x4E, 0x47]))
    }

    func testABlockDeviceIsNeverWrittenAndAFIFOOnlyWhileSomeoneReads() throws {
        guard getuid() == 0 else { throw XCTSkip("mknod needs root") }
        let disk = dir + "/disk"
        XCTAssertEqual(mknod(disk, S_IFBLK | 0o600, dev_t((7 << 8) | 200)), 0)
        let (s1, _, e1) = try render(["-o", disk])
        XCTAssertEqual(s1, 64, e1)
        XCTAssertTrue(e1.contains("it is a block device"), e1)

        let fifo = dir + "/pipe"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let t0 = Date()
        let (s2, _, e2) = try render(["-o", fifo])
        XCTAssertEqual(s2, 5, e2)
        XCTAssertTrue(e2.contains("no process is reading"), e2)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 30, "fvctl did not hang on a FIFO nobody reads")

        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/sh")
        reader.arguments = ["-c", "cat \(fifo) > \(dir)/from-fifo.png"]
        try reader.run()
        usleep(200_000)
        let (s3, o3, e3) = try render(["-o", fifo])
        reader.waitUntilExit()
        XCTAssertEqual(s3, 0, o3 + e3)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/from-fifo.png")).prefix(4), Data([0x89, 0x50, 0x4E, 0x47]))
    }

    /// A researcher's renders of one filter with different settings no longer overwrite each other:
    /// the default name says what was rendered, and an existing default-named file is kept unless
    /// --force.
    func testDefaultNamesSayWhatWasRenderedAndAreNotReplacedWithoutForce() throws {
        let cwd = dir + "/names-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: cwd, withIntermediateDirectories: true)
        XCTAssertEqual(try render([], in: cwd).0, 0)
        XCTAssertEqual(try render(["--seed", "3"], in: cwd).0, 0)
        XCTAssertEqual(try render(["--preset", "lucid", "--negative"], in: cwd).0, 0)
        XCTAssertEqual(try render(["--preset", "lucid", "--diversity", "2"], in: cwd).0, 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: cwd).sorted()
        XCTAssertEqual(names, ["block1_conv2_3.png", "block1_conv2_3_lucid_diversity2.png", "block1_conv2_3_lucid_negative.png", "block1_conv2_3_seed3.png"])
        let before = try Data(contentsOf: URL(fileURLWithPath: cwd + "/block1_conv2_3_seed3.png"))
        let (s, _, e) = try render(["--seed", "3", "--steps", "3"], in: cwd)
        XCTAssertEqual(s, 64, e)
        XCTAssertTrue(e.contains("exists already") && e.contains("--force"), e)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cwd + "/block1_conv2_3_seed3.png")), before, "kept")
        XCTAssertEqual(try render(["--seed", "3", "--steps", "3", "--force"], in: cwd).0, 0)
    }

    func testSnapshotsNeedAFileToGoBeside() throws {
        let (s, _, e) = try render(["-o", "/dev/null", "--snapshots", "1"])
        XCTAssertEqual(s, 64, e)
        XCTAssertTrue(e.contains("--snapshots writes OUT-STEP.png beside the output"), e)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/dev/null-1.png"))
    }
}
