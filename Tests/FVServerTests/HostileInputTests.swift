import FVImage
import FVProtocol
import FVTransport
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The hostile-case table: each case gets a JSON-RPC error (or, for framing abuse, an error and
/// a closed connection), and the daemon keeps serving another client throughout.
final class HostileInputTests: XCTestCase {
    static var daemon: TestDaemon!

    override class func setUp() {
        daemon = try? TestDaemon {
            $0.maxLineBytes = 64 * 1024
            $0.lineDeadline = 1
        }
    }

    override class func tearDown() { daemon?.stop() }

    var d: TestDaemon {
        get throws {
            guard let d = Self.daemon else { throw XCTSkip("daemon did not start") }
            return d
        }
    }

    /// A bystander connection that must keep working after every case.
    lazy var bystander: RPCClient? = try? d.client()

    func assertOthersServed(_ label: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let r = try XCTUnwrap(bystander).call("status")
            XCTAssertNotNil(r["version"], label, file: file, line: line)
        } catch {
            XCTFail("\(label): the daemon stopped serving others: \(error)", file: file, line: line)
        }
    }

    /// Sends raw bytes (a newline is appended) and returns the error code of the reply.
    func errorCode(_ bytes: [UInt8], _ label: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int64? {
        let c = try d.client()
        try c.socket.writeAll(bytes + [0x0A])
        let r = try c.readMessage()
        let code = r["error"]?["code"]?.intValue
        XCTAssertNotNil(code, "\(label): expected an error, got \(JSONCodec.serialize(r))", file: file, line: line)
        XCTAssertNotNil(r["error"]?["message"]?.stringValue, label, file: file, line: line)
        assertOthersServed(label, file: file, line: line)
        return code
    }

    func request(_ method: String, _ params: String) -> [UInt8] {
        Array(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":\#(params)}"#.utf8)
    }

    func testTheHostileCaseTable() throws {
        let table: [(String, [UInt8], Int64)] = [
            ("invalid UTF-8", [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], -32700),
            ("NUL byte", Array(#"{"jsonrpc":"2.0","id":1,"method":"info"}"#.utf8) + [0], -32700),
            ("escaped NUL in a string", request("pattern", #"{"layer":"block1\u0000_conv1","filter":1}"#), -32700),
            ("deep nesting", Array((String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)).utf8), -32700),
            ("huge number", request("pattern", #"{"layer":"block1_conv1","filter":1e308}"#), -32602),
            ("huge integer", request("pattern", #"{"layer":"block1_conv1","filter":99999999999999999999999}"#), -32602),
            ("overflowing number", request("pattern", #"{"layer":"block1_conv1","filter":1e999}"#), -32700),
            ("negative filter", request("pattern", #"{"layer":"block1_conv1","filter":-1}"#), -32602),
            ("duplicate keys", request("pattern", #"{"layer":"block1_conv1","filter":1,"filter":2}"#), -32700),
            ("wrong type: layer", request("pattern", #"{"layer":5,"filter":1}"#), -32602),
            ("wrong type: filter", request("pattern", #"{"layer":"block1_conv1","filter":[1]}"#), -32602),
            ("wrong type: size", request("pattern", #"{"layer":"block1_conv1","filter":1,"size":"big"}"#), -32602),
            ("wrong type: stepSize", request("pattern", #"{"layer":"block1_conv1","filter":1,"stepSize":true}"#), -32602),
            ("wrong type: progress", request("pattern", #"{"layer":"block1_conv1","filter":1,"progress":"yes"}"#), -32602),
            ("wrong type: filters", request("grid", #"{"layer":"block1_conv1","filters":"0,1"}"#), -32602),
            ("wrong type: job", request("cancel", #"{"job":"1"}"#), -32602),
            ("wrong type: params", Array(#"{"jsonrpc":"2.0","id":1,"method":"info","params":"x"}"#.utf8), -32600),
            ("wrong type: method", Array(#"{"jsonrpc":"2.0","id":1,"method":{"a":1}}"#.utf8), -32600),
            ("wrong type: id", Array(#"{"jsonrpc":"2.0","id":{},"method":"info"}"#.utf8), -32600),
            ("wrong type: tensor", request("activations", #"{"layer":"block1_conv1","tensor":[1,2]}"#), -32602),
            ("absurd size", request("pattern", #"{"layer":"block1_conv1","filter":1,"size":1000000}"#), -32602),
            ("absurd steps", request("pattern", #"{"layer":"block1_conv1","filter":1,"steps":1000000000}"#), -32602),
            ("absurd batch", request("grid", "{\"layer\":\"block1_conv1\",\"filters\":[\(Array(repeating: "1", count: 300).joined(separator: ","))]}"), -32602),
            ("big grid of big tiles", request("grid", #"{"layer":"block1_conv1","size":1024}"#), -32602),
            ("absurd tensor", request("activations", #"{"layer":"block1_conv1","tensor":{"height":100000,"width":100000,"data":[]}}"#), -32602),
            ("non-finite tensor", request("activations", #"{"layer":"block1_conv1","tensor":{"height":16,"width":16,"data":[1e300]}}"#), -32602),
            ("path instead of image", request("activations", #"{"layer":"block1_conv1","png":"/etc/passwd"}"#), -32602),
            ("not a PNG", request("activations", #"{"layer":"block1_conv1","png":"aGVsbG8gd29ybGQ="}"#), -32602),
            ("PNG bomb", request("activations", "{\"layer\":\"block1_conv1\",\"png\":\"\(try pngBomb().base64EncodedString())\"}"), -32602),
            ("unknown method", Array(#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#.utf8), -32601),
            ("empty object", Array("{}".utf8), -32600),
            ("bare string", Array(#""hello""#.utf8), -32600),
        ]
        var report: [String] = []
        for (label, bytes, want) in table {
            let got = try errorCode(bytes, label)
            XCTAssertEqual(got, want, label)
            report.append("| \(label) | \(got.map(String.init) ?? "none") |")
        }
        print("hostile cases:\n" + report.joined(separator: "\n"))
    }

    /// JSON that json-c would read differently from what the bytes say.
    func testKeysAreComparedAfterUnescapingAndIdsEchoedExactly() throws {
        let smuggled: [(String, [UInt8])] = [
            ("duplicate id via \\u escape", Array(#"{"jsonrpc":"2.0","id":1,"i\u0064":2,"method":"status"}"#.utf8)),
            ("duplicate method via \\u escape", Array(#"{"jsonrpc":"2.0","id":1,"method":"status","m\u0065thod":"info"}"#.utf8)),
            ("NUL inside a key", request("cancel", #"{"job\u0000x":1}"#)),
            ("overlong UTF-8", Array(#"{"jsonrpc":"2.0","id":"#.utf8) + [0x22, 0xC0, 0xAF, 0x22] + Array(#","method":"status"}"#.utf8)),
            ("encoded surrogate", Array(#"{"jsonrpc":"2.0","id":"#.utf8) + [0x22, 0xED, 0xA0, 0x80, 0x22] + Array(#","method":"status"}"#.utf8)),
            ("lone surrogate escape", Array(#"{"jsonrpc":"2.0","id":"\ud800","method":"status"}"#.utf8)),
        ]
        for (label, bytes) in smuggled {
            XCTAssertEqual(try errorCode(bytes, label), Int64(RPCError.parseError), label)
        }
        for id in ["9223372036854775807", "9223372036854775808", "18446744073709551616", "-9223372036854775809", "123456789012345678901234567890"] {
            let c = try d.client()
            try c.socket.writeAll(Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"status"}"#.utf8) + [0x0A])
            var raw: [UInt8] = []
            var byte: UInt8 = 0
            while raw.last != 0x0A, try withUnsafeMutableBytes(of: &byte, { try c.socket.read(into: $0) }) == 1 { raw.append(byte) }
            let text = String(decoding: raw, as: UTF8.self)
            XCTAssertTrue(text.contains(#""id":\#(id),"#) || text.contains(#""id":\#(id)}"#), "id \(id) echoed as sent: \(text.prefix(80))")
        }
    }

    func testLineOverTheCapClosesTheConnection() throws {
        let c = try d.client()
        try c.socket.writeAll([UInt8](repeating: 0x61, count: 70 * 1024))
        XCTAssertEqual(try c.readMessage()["error"]?["code"], .int(Int64(RPCError.lineTooLong)))
        XCTAssertThrowsError(try c.readMessage())
        assertOthersServed("line over the cap")
    }

    func testBytesOneAtATime() throws {
        let c = try d.client()
        for b in Array(#"{"jsonrpc":"2.0","id":"slow","method":"status"}"#.utf8) + [0x0A] {
            try c.socket.writeAll([b])
            usleep(500)
        }
        XCTAssertEqual(try c.readMessage()["id"], "slow")
    }

    func testManyMessagesInOneWrite() throws {
        let c = try d.client()
        var blob = ""
        for i in 0..<200 { blob += #"{"jsonrpc":"2.0","id":\#(i),"method":"status"}"# + "\n" }
        try c.socket.writeAll(Array(blob.utf8))
        var ids = Set<Int64>()
        for _ in 0..<200 { if let id = try c.readMessage()["id"]?.intValue { ids.insert(id) } }
        XCTAssertEqual(ids.count, 200)
    }

    func testHalfLineThenSilenceIsClosedAfterTheDeadline() throws {
        let c = try d.client()
        try c.socket.writeAll(Array(#"{"jsonrpc":"2.0","id":1,"meth"#.utf8))
        let t0 = Date()
        let r = try c.readMessage()
        XCTAssertEqual(r["error"]?["code"], .int(Int64(RPCError.lineTimeout)))
        XCTAssertThrowsError(try c.readMessage(), "closed after the error")
        let waited = Date().timeIntervalSince(t0)
        XCTAssertGreaterThan(waited, 0.9)
        XCTAssertLessThan(waited, 3)
        assertOthersServed("half line")
    }

    func testIdleConnectionWithoutAPartialLineIsKept() throws {
        let c = try d.client()
        sleep(2)  // longer than the 1 s line deadline, but no line was started
        XCTAssertNotNil(try c.call("status")["version"])
    }

    /// A valid PNG header declaring 100000 x 100000 pixels.
    func pngBomb() throws -> Data {
        var png = try PNGCodec.encode(RGBImage(width: 1, height: 1, pixels: [0, 0, 0]))
        png.replaceSubrange(16..<24, with: [0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0])
        var c: UInt32 = 0xffff_ffff
        for b in png[12..<29] {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (c & 1 != 0 ? 0xedb8_8320 : 0) }
        }
        c ^= 0xffff_ffff
        png.replaceSubrange(29..<33, with: [UInt8(c >> 24), UInt8((c >> 16) & 0xff), UInt8((c >> 8) & 0xff), UInt8(c & 0xff)])
        return Data(png)
    }
}
