import FVImage
import XCTest

final class PNGCodecTests: XCTestCase {
    func testRoundTripKeepsEveryPixel() throws {
        var px = [UInt8]()
        for i in 0..<(7 * 5 * 3) { px.append(UInt8((i * 37) % 256)) }
        let img = RGBImage(width: 7, height: 5, pixels: px)
        let png = try PNGCodec.encode(img)
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertEqual(try PNGCodec.decode(png), img)
    }

    func testNotAPNG() {
        XCTAssertThrowsError(try PNGCodec.decode(Array("hello".utf8))) {
            XCTAssertEqual("\($0)", "the image is not a PNG file (bad signature); send PNG bytes")
        }
    }

    func testDamagedPNGIsAnErrorNotACrash() throws {
        let png = try PNGCodec.encode(RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 9, count: 48)))
        // Cuts inside the signature, IHDR and IDAT (a missing IEND alone libpng forgives).
        for cut in [9, 20, 33, 45] {
            XCTAssertThrowsError(try PNGCodec.decode(Array(png.prefix(cut))), "cut at \(cut)")
        }
        var corrupt = png
        corrupt[24] = 7  // bit depth 7 does not exist (and the IHDR CRC no longer matches)
        XCTAssertThrowsError(try PNGCodec.decode(corrupt))
    }

    /// A "PNG bomb": a valid header declaring 100000 x 100000 pixels. Refused before allocating.
    func testHugeDeclaredSizeIsRefusedCheaply() throws {
        var png = try PNGCodec.encode(RGBImage(width: 1, height: 1, pixels: [0, 0, 0]))
        // IHDR data starts at byte 16: width (4 bytes BE), height (4 bytes BE); fix its CRC.
        let dims: [UInt8] = [0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0]
        png.replaceSubrange(16..<24, with: dims)
        let crc = crc32(Array(png[12..<29]))
        png.replaceSubrange(29..<33, with: [UInt8(crc >> 24), UInt8((crc >> 16) & 0xff), UInt8((crc >> 8) & 0xff), UInt8(crc & 0xff)])
        XCTAssertThrowsError(try PNGCodec.decode(png)) {
            XCTAssertEqual("\($0)", "the PNG is 100000x100000 pixels; at most 4096x4096 is accepted, scale it down first")
        }
    }

    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xffff_ffff
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (c & 1 != 0 ? 0xedb8_8320 : 0) }
        }
        return c ^ 0xffff_ffff
    }
}

/// Grid tiles' labels and upscaling.
final class RGBImageLabelTests: XCTestCase {
    func testALabelDrawsItsDigitsOnABlackBox() {
        var img = RGBImage(width: 12, height: 8, pixels: [UInt8](repeating: 100, count: 12 * 8 * 3))
        img.label(17, x: 0, y: 0)
        func at(_ x: Int, _ y: Int) -> UInt8 { img.pixels[(y * 12 + x) * 3] }
        // "1" is [2, 6, 2, 2, 7]: its middle column lit on every row, from (1, 1).
        for row in 0..<5 { XCTAssertEqual(at(2, 1 + row), 255, "1, row \(row)") }
        XCTAssertEqual(at(1, 1), 0, "the 1's top-left is dark")
        // "7" is [7, 1, 1, 1, 1]: a full top row, then its right column.
        for col in 0..<3 { XCTAssertEqual(at(5 + col, 1), 255) }
        XCTAssertEqual(at(7, 4), 255)
        XCTAssertEqual(at(5, 4), 0)
        XCTAssertEqual(at(0, 6), 0, "the box")
        XCTAssertEqual(at(10, 6), 100, "outside the box, untouched")
    }

    func testScalingRepeatsEachPixel() {
        let img = RGBImage(width: 2, height: 1, pixels: [1, 2, 3, 4, 5, 6])
        let s = img.scaled(by: 3)
        XCTAssertEqual(s.width, 6)
        XCTAssertEqual(s.height, 3)
        XCTAssertEqual(Array(s.pixels[0..<9]), [1, 2, 3, 1, 2, 3, 1, 2, 3])
        XCTAssertEqual(Array(s.pixels[(2 * 6 + 5) * 3..<(2 * 6 + 6) * 3]), [4, 5, 6])
    }
}

/// The heat map laid over a photo.
final class HeatMapTests: XCTestCase {
    func testTheHotCellIsRedAndTheRestBlue() {
        let grey = RGBImage(width: 40, height: 20, pixels: [UInt8](repeating: 100, count: 40 * 20 * 3))
        // A 4 x 2 map, hot at the top-left cell only.
        let out = grey.overlaid(heatMap: [8, 0, 0, 0, 0, 0, 0, 0], mapWidth: 4, mapHeight: 2)
        XCTAssertEqual(out.width, 40)
        func px(_ x: Int, _ y: Int) -> [UInt8] { Array(out.pixels[((y * 40 + x) * 3)..<((y * 40 + x) * 3 + 3)]) }
        let hot = px(2, 2), cold = px(37, 17)
        XCTAssertGreaterThan(hot[0], hot[2], "red over the hot cell: \(hot)")
        XCTAssertGreaterThan(cold[2], cold[0], "blue far from it: \(cold)")
        XCTAssertEqual(grey.overlaid(heatMap: [0, 0], mapWidth: 2, mapHeight: 1).pixels[0], UInt8((0.45 * 100 + 0.55 * 0).rounded()),
                       "a map that is zero everywhere is all 'nothing' (no division by zero)")
    }
}

/// JPEG (libjpeg-turbo through the C shim), with the same limits and care as PNG.
final class JPEGCodecTests: XCTestCase {
    func photo(_ w: Int, _ h: Int) -> RGBImage {
        var px = [UInt8]()
        for y in 0..<h { for x in 0..<w { px += [UInt8(x * 255 / max(1, w - 1)), UInt8(y * 255 / max(1, h - 1)), 128] } }
        return RGBImage(width: w, height: h, pixels: px)
    }

    func testARoundTripKeepsTheImageWithinJPEGLoss() throws {
        let img = photo(40, 24)
        let jpeg = try JPEGCodec.encode(img, quality: 95)
        XCTAssertTrue(JPEGCodec.isJPEG(jpeg))
        XCTAssertEqual(try JPEGCodec.dimensions(jpeg).width, 40)
        let back = try ImageFile.decode(jpeg, maxSide: 64)
        XCTAssertEqual([back.width, back.height], [40, 24])
        let worst = zip(back.pixels, img.pixels).map { abs(Int($0) - Int($1)) }.max()!
        XCTAssertLessThan(worst, 20, "a smooth gradient survives quality 95")
    }

    func testHostileJPEGsAreRefusedWithoutCrashing() throws {
        let jpeg = try JPEGCodec.encode(photo(32, 32))
        XCTAssertThrowsError(try JPEGCodec.decode(jpeg, maxSide: 16)) {
            XCTAssertEqual("\($0)", "the JPEG is 32x32 pixels; at most 16x16 is accepted, scale it down first")
        }
        XCTAssertThrowsError(try JPEGCodec.decode(Array(jpeg.prefix(jpeg.count / 2)), maxSide: 64), "truncated")
        XCTAssertThrowsError(try JPEGCodec.decode([0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 1, 2, 3], maxSide: 64), "garbage after the signature")
        // A bomb: the header says 60000 x 60000; refused from the header, before any pixel memory.
        var bomb = jpeg
        let sof = try XCTUnwrap((0..<(bomb.count - 1)).first { bomb[$0] == 0xFF && bomb[$0 + 1] == 0xC0 })
        bomb.replaceSubrange((sof + 5)..<(sof + 9), with: [0xEA, 0x60, 0xEA, 0x60])
        XCTAssertThrowsError(try JPEGCodec.decode(bomb, maxSide: 1024)) {
            XCTAssertTrue("\($0)".contains("60000x60000"), "\($0)")
        }
        XCTAssertThrowsError(try ImageFile.decode([1, 2, 3, 4, 5, 6, 7, 8, 9], maxSide: 64), "neither PNG nor JPEG")
    }
}
