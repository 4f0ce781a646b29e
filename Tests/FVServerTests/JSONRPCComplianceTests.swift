import FVProtocol
import FVTransport
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// JSON-RPC 2.0 as the spec says it, against the running daemon.
final class JSONRPCComplianceTests: XCTestCase {
    static var daemon: TestDaemon!

    override class func setUp() { daemon = try? TestDaemon { $0.maxLineBytes = 4096 } }
    override class func tearDown() { daemon?.stop() }

    var d: TestDaemon {
        get throws {
            guard let d = Self.daemon else { throw XCTSkip("daemon did not start") }
            return d
        }
    }

    func testIdsAreEchoedWithTheirType() throws {
        let c = try d.client()
        XCTAssertEqual(try d.exchange(#"{"jsonrpc":"2.0","id":"abc","method":"status"}"#, on: c)["id"], "abc")
        XCTAssertEqual(try d.exchange(#"{"jsonrpc":"2.0","id":7,"method":"status"}"#, on: c)["id"], 7)
        XCTAssertEqual(try d.exchange(#"{"jsonrpc":"2.0","id":1.5,"method":"status"}"#, on: c)["id"], 1.5)
        XCTAssertEqual(try d.exchange(#"{"jsonrpc":"2.0","id":null,"method":"status"}"#, on: c)["id"], .null)
    }

    func testStandardErrors() throws {
        let c = try d.client()
        func code(_ line: String) throws -> (JSON?, Int64?) {
            let r = try d.exchange(line, on: c)
            return (r["id"], r["error"]?["code"]?.intValue)
        }
        XCTAssertEqual(try code("{not json").1, -32700)
        XCTAssertEqual(try code("{not json").0, .null)
        XCTAssertEqual(try code(#"{"jsonrpc":"2.0","id":2}"#).1, -32600)
        XCTAssertEqual(try code(#"{"jsonrpc":"2.0","id":3,"method":"render"}"#).1, -32601)
        XCTAssertEqual(try code(#"{"jsonrpc":"2.0","id":3,"method":"render"}"#).0, 3)
        XCTAssertEqual(try code(#"{"jsonrpc":"2.0","id":4,"method":"pattern","params":{"layer":"block1_conv1","filter":"x"}}"#).1, -32602)
        XCTAssertEqual(try code(#"{"jsonrpc":"2.0","id":5,"method":"info","params":{"verbose":true}}"#).1, -32602)
        XCTAssertEqual(try code(#"{"jsonrpc":"2.0","id":6,"method":"pattern","params":{"layer":"block1_conv1","filter":1,"steps":0}}"#).1, -32602)
        // The connection survives all of that.
        XCTAssertNotNil(try code(#"{"jsonrpc":"2.0","id":8,"method":"status"}"#).0)
    }

    func testNotificationsAreNeverAnswered() throws {
        let c = try d.client()
        try c.send(line: #"{"jsonrpc":"2.0","method":"status"}"#)
        try c.send(line: #"{"jsonrpc":"2.0","method":"nonexistent"}"#)
        try c.send(line: #"[{"jsonrpc":"2.0","method":"status"},{"jsonrpc":"2.0","method":"info"}]"#)
        try c.send(line: #"{"jsonrpc":"2.0","id":"after","method":"status"}"#)
        XCTAssertEqual(try c.readMessage()["id"], "after", "nothing was sent for the notifications")
    }

    func testBatches() throws {
        let c = try d.client()
        let r = try d.exchange(#"[{"jsonrpc":"2.0","id":1,"method":"status"}, {"jsonrpc":"2.0","method":"status"}, 5, {"jsonrpc":"2.0","id":"x","method":"nope"}]"#, on: c)
        let items = try XCTUnwrap(r.arrayValue)
        XCTAssertEqual(items.count, 3, "the notification gets no entry")
        XCTAssertEqual(items[0]["id"], 1)
        XCTAssertNotNil(items[0]["result"])
        XCTAssertEqual(items[1]["id"], .null)
        XCTAssertEqual(items[1]["error"]?["code"], -32600)
        XCTAssertEqual(items[2]["id"], "x")
        XCTAssertEqual(items[2]["error"]?["code"], -32601)
        XCTAssertEqual(try d.exchange("[]", on: c)["error"]?["code"], -32600)
        let single = try d.exchange("[1]", on: c)
        XCTAssertEqual(single.arrayValue?.count, 1)
        XCTAssertEqual(single.arrayValue?[0]["error"]?["code"], -32600)
    }

    /// socat and `nc -N` stop sending after their input (shutdown SHUT_WR) but still read.
    func testHalfClosedClientStillGetsItsAnswers() throws {
        let c = try d.client()
        try c.send(line: JSONCodec.serialize(RPCRequest(id: 1, method: "pattern", params: smallPattern(6, steps: 3, seed: 77)).json))
        try c.send(line: #"{"jsonrpc":"2.0","id":2,"method":"status"}"#)
        _ = Glibc.shutdown(c.socket.fd, Int32(SHUT_WR))
        var ids: [JSON] = []
        while let m = try? c.readMessage() {
            if let id = m["id"] { ids.append(id) }
        }
        XCTAssertEqual(Set(ids.compactMap(\.intValue)), [1, 2])
    }

    func testOversizedLineGetsAnErrorAndTheConnectionIsClosed() throws {
        let c = try d.client()
        try c.send(line: String(repeating: "x", count: 5000))
        let r = try c.readMessage()
        XCTAssertEqual(r["error"]?["code"], .int(Int64(RPCError.lineTooLong)))
        XCTAssertThrowsError(try c.readMessage(), "connection should be closed")
        // Others are still served.
        XCTAssertNotNil(try d.client().call("status")["version"])
    }
}
