import FVProtocol
import XCTest

final class RPCMessageTests: XCTestCase {
    func parse(_ s: String) -> RPCIncoming { RPCMessage.parse(line: Array(s.utf8)) }

    func code(_ e: RPCEntry) -> Int? {
        if case .invalid(_, let err) = e { return err.code }
        return nil
    }

    func testValidRequestAndNotification() {
        XCTAssertEqual(parse(#"{"jsonrpc":"2.0","id":"a","method":"info"}"#), .single(.request(RPCRequest(id: "a", method: "info", params: nil))))
        XCTAssertEqual(parse(#"{"jsonrpc":"2.0","method":"cancel","params":{"job":1}}"#),
                       .single(.request(RPCRequest(id: nil, method: "cancel", params: ["job": 1]))))
        XCTAssertEqual(parse(#"{"jsonrpc":"2.0","id":null,"method":"info"}"#), .single(.request(RPCRequest(id: .null, method: "info", params: nil))))
    }

    func testInvalidRequests() {
        XCTAssertEqual(parse("{").singleCode, RPCError.parseError)
        XCTAssertEqual(parse(#"{"id":1,"method":"info"}"#).singleCode, RPCError.invalidRequest)  // no jsonrpc
        XCTAssertEqual(parse(#"{"jsonrpc":"1.0","id":1,"method":"info"}"#).singleCode, RPCError.invalidRequest)
        XCTAssertEqual(parse(#"{"jsonrpc":"2.0","id":1,"method":5}"#).singleCode, RPCError.invalidRequest)
        XCTAssertEqual(parse(#"{"jsonrpc":"2.0","id":[1],"method":"info"}"#).singleCode, RPCError.invalidRequest)
        XCTAssertEqual(parse(#"{"jsonrpc":"2.0","id":1,"method":"info","params":3}"#).singleCode, RPCError.invalidRequest)
        XCTAssertEqual(parse(#"{"jsonrpc":"2.0","id":1,"method":"info","extra":3}"#).singleCode, RPCError.invalidRequest)
        XCTAssertEqual(parse("[]").singleCode, RPCError.invalidRequest)
        XCTAssertEqual(parse("5").singleCode, RPCError.invalidRequest)
        // The id of an otherwise invalid request is still echoed when it is readable.
        if case .single(.invalid(let id, _)) = parse(#"{"jsonrpc":"1.0","id":7,"method":"info"}"#) {
            XCTAssertEqual(id, 7)
        } else { XCTFail() }
    }

    func testBatchMixesRequestsAndErrors() {
        guard case .batch(let entries) = parse(#"[{"jsonrpc":"2.0","id":1,"method":"info"}, 1, {"jsonrpc":"2.0","method":"status"}]"#) else {
            return XCTFail("not a batch")
        }
        XCTAssertEqual(entries.count, 3)
        XCTAssertEqual(entries[0], .request(RPCRequest(id: 1, method: "info", params: nil)))
        XCTAssertEqual(code(entries[1]), RPCError.invalidRequest)
        XCTAssertEqual(entries[2], .request(RPCRequest(id: nil, method: "status", params: nil)))
        let big = "[" + Array(repeating: #"{"jsonrpc":"2.0","id":1,"method":"info"}"#, count: 65).joined(separator: ",") + "]"
        XCTAssertEqual(parse(big).singleCode, RPCError.invalidRequest)
    }

    func testParamReaderChecksTypesRangesAndUnknownNames() {
        XCTAssertEqual(try PatternParams(["layer": "block3_conv1", "filter": 27]).filter, 27)
        XCTAssertEqual(try PatternParams(["layer": "block3_conv1", "filter": 27.0]).filter, 27, "an integral float is an integer")
        func message(_ p: JSON?) -> String {
            do { _ = try PatternParams(p); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(message(["layer": "block3_conv1", "filter": "27"]), #"param "filter" must be an integer, got a string"#)
        XCTAssertEqual(message(["layer": "block3_conv1", "filter": 27.5]), #"param "filter" must be an integer, got a number"#)
        XCTAssertEqual(message(["layer": "block3_conv1"]), #"pattern needs param "filter""#)
        XCTAssertEqual(message(["layer": "block3_conv1", "filter": 1, "filer": 2]),
                       #"pattern has no param "filer"; its params are: layer, filter, progress, display, negative, importance, alpha, preset, size, steps, stepSize, seed, objective, penalties, snapshots, raw, fresh, priority, spectrum"#)
        // Nested objects are read as strictly, naming the member and where it is.
        XCTAssertEqual(message(["layer": "block3_conv1", "filter": 1, "objective": ["terms": [["type": "neuron", "z": 1]]]]),
                       #"an objective term has no param "z"; its params are: type, weight, x, y, vector, layer, filter"#)
        XCTAssertEqual(message(["layer": "block3_conv1", "filter": 1, "objective": ["terms": []]]),
                       #"param "objective" needs "terms": a list of 1 to 16 terms, e.g. [{"type": "neuron"}]"#)
        XCTAssertEqual(message(["layer": "block3_conv1", "filter": 1, "objective": ["terms": [["type": "neuron", "x": 1]]]]),
                       #"a neuron term needs both "x" and "y", or neither (the centre)"#)
        XCTAssertEqual(message(["layer": "block3_conv1", "filter": 1, "objective": ["terms": [["type": "direction", "vector": [1, "a"]]]]]),
                       #"param "vector" must be an array of finite numbers, got a string"#)
        XCTAssertEqual(message(["layer": "block3_conv1", "filter": 1, "penalties": ["tv": 1, "tvv": 2]]),
                       #"penalties has no param "tvv"; its params are: tv, l1, blur"#)
        XCTAssertEqual(message(["layer": "block3_conv1", "filter": 1, "size": 1e12]), #"param "size" is 1000000000000; it must be in 1...1000000"#)
        XCTAssertEqual(message(["layer": "block3_conv1", "filter": 1, "size": 1e300]), #"param "size" must be an integer, got a number"#)
        XCTAssertEqual(message(["layer": "block3_conv1", "filter": 1, "size": 100_000_000]), #"param "size" is 100000000; it must be in 1...1000000"#)
        XCTAssertEqual(message(["layer": "block3_conv1", "filter": 1, "seed": -1]), #"param "seed" is -1; it must be in 0...4294967295"#)
        XCTAssertEqual(message([1, 2]), "pattern takes named params (an object), not an array")
    }
}

extension RPCIncoming {
    var singleCode: Int? {
        if case .single(.invalid(_, let e)) = self { return e.code }
        return nil
    }
}
