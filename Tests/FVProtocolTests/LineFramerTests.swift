import FVProtocol
import XCTest

final class LineFramerTests: XCTestCase {
    func lines(_ outs: [LineFramer.Output]) -> [String] {
        outs.compactMap { if case .line(let l) = $0 { return String(decoding: l, as: UTF8.self) }; return nil }
    }

    func testSplitsManyMessagesInOneWriteAndStripsCR() {
        var f = LineFramer(maxLine: 100)
        XCTAssertEqual(lines(f.feed(Array("a\nbb\r\n\nccc".utf8))), ["a", "bb"])
        XCTAssertEqual(f.pendingCount, 3)
        XCTAssertEqual(lines(f.feed(Array("\n".utf8))), ["ccc"])
    }

    func testBytesOneAtATime() {
        var f = LineFramer(maxLine: 100)
        var got: [String] = []
        for b in Array("{\"x\":1}\n{\"y\":2}\n".utf8) { got += lines(f.feed([b])) }
        XCTAssertEqual(got, ["{\"x\":1}", "{\"y\":2}"])
    }

    func testLineOverTheCapIsReportedEvenWithoutNewline() {
        var f = LineFramer(maxLine: 10)
        XCTAssertEqual(f.feed(Array("12345".utf8)), [])
        XCTAssertEqual(f.feed(Array("678901".utf8)), [.tooLong])
        var g = LineFramer(maxLine: 10)
        XCTAssertEqual(g.feed(Array("ok\n0123456789ABC\n".utf8)), [.line(Array("ok".utf8)), .tooLong])
        var h = LineFramer(maxLine: 10)
        XCTAssertEqual(h.feed(Array("0123456789\n".utf8)), [.line(Array("0123456789".utf8))], "exactly the cap is fine")
    }
}
