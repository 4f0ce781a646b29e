import FVImage
import Foundation
import XCTest

/// The pictures users actually have: CMYK and YCCK JPEGs (Photoshop's and cameras' print
/// exports), EXIF-rotated photos, progressive JPEGs with too many scans, a decode that must stop,
/// and grey, grey+alpha, 16-bit and palette PNGs.
final class PictureFormatTests: XCTestCase {
    /// A 16x8 picture: left half one colour, right half another, so a turn or a mirror shows.
    func twoHalves(_ left: [UInt8], _ right: [UInt8], width: Int = 16, height: Int = 8) -> [UInt8] {
        (0..<height).flatMap { _ in (0..<width).flatMap { x in x < width / 2 ? left : right } }
    }

    func pixel(_ img: RGBImage, _ x: Int, _ y: Int) -> [Int] {
        let i = 3 * (y * img.width + x)
        return img.pixels[i..<(i + 3)].map(Int.init)
    }

    func assertNear(_ a: [Int], _ b: [Int], _ what: String, tolerance: Int = 12, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }, "\(what): \(a) is not near \(b)", file: file, line: line)
    }

    func testCMYKAndYCCKJPEGsDecodeToTheirRGB() throws {
        // Inks as Adobe's writers store them (inverted: 255 = no ink). Left: pure cyan ink;
        // right: no ink but 50% black.
        let inks = twoHalves([0, 255, 255, 255], [255, 255, 255, 127])
        for ycck in [false, true] {
            let jpeg = try JPEGCodec.encode(inks, width: 16, height: 8, components: 4, ycck: ycck)
            let img = try JPEGCodec.decode(jpeg, maxSide: 64)
            XCTAssertEqual(img.width, 16)
            assertNear(pixel(img, 2, 4), [0, 255, 255], "cyan ink (\(ycck ? "YCCK" : "CMYK"))")
            assertNear(pixel(img, 13, 4), [127, 127, 127], "half black (\(ycck ? "YCCK" : "CMYK"))")
        }
    }

    /// An APP1 Exif segment with only the Orientation tag, put right after the JPEG's SOI.
    func withOrientation(_ jpeg: [UInt8], _ o: UInt16, bigEndian: Bool) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) -> [UInt8] { bigEndian ? [24, 16, 8, 0].map { UInt8((v >> $0) & 0xFF) } : [0, 8, 16, 24].map { UInt8((v >> $0) & 0xFF) } }
        let tiff = (bigEndian ? Array("MM".utf8) : Array("II".utf8)) + u16(42) + u32(8) + u16(1)
            + u16(0x0112) + u16(3) + u32(1) + u16(o) + u16(0) + u32(0)
        let body = Array("Exif".utf8) + [0, 0] + tiff
        let length = UInt16(body.count + 2)
        return Array(jpeg.prefix(2)) + [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + body + Array(jpeg.dropFirst(2))
    }

    func testEXIFOrientationIsAppliedAsAPhotoViewerDoes() throws {
        let red: [UInt8] = [230, 20, 20], blue: [UInt8] = [20, 20, 230]
        let jpeg = try JPEGCodec.encode(twoHalves(red, blue), width: 16, height: 8, components: 3, quality: 95)
        // Where the red half shows after each orientation: (x, y) of a point inside it.
        let redAt: [UInt16: (Int, Int)] = [1: (2, 4), 2: (13, 4), 3: (13, 4), 4: (2, 4), 5: (4, 2), 6: (4, 2), 7: (4, 13), 8: (4, 13)]
        for (o, at) in redAt {
            for bigEndian in [false, true] {
                let rotated = withOrientation(jpeg, o, bigEndian: bigEndian)
                let size = try ImageFile.dimensions(rotated, maxSide: 64)
                let img = try ImageFile.decode(rotated, maxSide: 64)
                let turned = o >= 5
                XCTAssertEqual([size.width, size.height], turned ? [8, 16] : [16, 8], "orientation \(o): the header says the shown size")
                XCTAssertEqual([img.width, img.height], [size.width, size.height], "orientation \(o)")
                assertNear(pixel(img, at.0, at.1), red.map(Int.init), "orientation \(o)\(bigEndian ? " (big-endian)" : "")", tolerance: 40)
            }
        }
    }

    func testAProgressiveJPEGWithTooManyScansIsRefusedAndADecodeCanBeStopped() throws {
        let img = RGBImage(width: 64, height: 64, pixels: (0..<(64 * 64 * 3)).map { UInt8(($0 * 37) % 251) })
        let long = try JPEGCodec.encode(img.pixels, width: 64, height: 64, components: 3, progressionPasses: 3)
        XCTAssertThrowsError(try JPEGCodec.decode(long, maxSide: 64)) {
            XCTAssertTrue("\($0)".contains("more than 500 progressive scans"), "\($0)")
        }
        XCTAssertEqual(try JPEGCodec.decode(long, maxSide: 64, maxScans: 1000).width, 64, "a legal file: only the limit refuses it")
        var asked = 0
        XCTAssertThrowsError(try JPEGCodec.decode(long, maxSide: 64, maxScans: 1000, shouldStop: { asked += 1; return asked > 3 })) {
            XCTAssertTrue($0 is JPEGCodec.Stopped, "\($0)")
        }
        XCTAssertEqual(asked, 4, "asked between chunks of work, stopped at the first yes")
    }

    // MARK: PNG colour types

    /// A PNG written here byte by byte (stored deflate blocks), so every colour type and depth
    /// can be made without an encoder that might share libpng's assumptions.
    func png(width: Int, height: Int, colourType: UInt8, bitDepth: UInt8, rows: [[UInt8]], palette: [UInt8]? = nil) -> [UInt8] {
        func be32(_ v: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((v >> $0) & 0xFF) } }
        func crc(_ bytes: [UInt8]) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            }
            return ~c
        }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let td = Array(type.utf8) + data
            return be32(data.count) + td + be32(Int(crc(td)))
        }
        let raw: [UInt8] = rows.flatMap { row -> [UInt8] in [0] + row }  // filter type 0 per row
        var a: UInt32 = 1, b: UInt32 = 0
        for x in raw { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        var z: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65535, raw.count - i)
            let last: UInt8 = i + n == raw.count ? 1 : 0
            let header: [UInt8] = [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            z += header
            z += raw[i..<(i + n)]
            i += n
        } while i < raw.count
        z += be32(Int(b << 16 | a))
        let ihdr = be32(width) + be32(height) + [bitDepth, colourType, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr)
            + (palette.map { chunk("PLTE", $0) } ?? []) + chunk("IDAT", z) + chunk("IEND", [])
    }

    func testGreyGreyAlphaSixteenBitAndPalettePNGsDecodeToRGB() throws {
        let (w, h) = (4, 2)
        let grey = png(width: w, height: h, colourType: 0, bitDepth: 8, rows: Array(repeating: [200, 200, 50, 50], count: h))
        let greyAlpha = png(width: w, height: h, colourType: 4, bitDepth: 8, rows: Array(repeating: [200, 255, 200, 255, 50, 0, 50, 0], count: h))
        let rgb16 = png(width: w, height: h, colourType: 2, bitDepth: 16,
                        rows: Array(repeating: [0xFF, 0xFF, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF], count: h))
        let palette = png(width: w, height: h, colourType: 3, bitDepth: 8, rows: Array(repeating: [0, 0, 1, 1], count: h),
                          palette: [10, 200, 30, 240, 240, 10])
        let cases: [(String, [UInt8], [Int], [Int])] = [
            ("grey", grey, [200, 200, 200], [50, 50, 50]),
            ("grey+alpha (transparent: composited on black)", greyAlpha, [200, 200, 200], [0, 0, 0]),
            ("16-bit RGB", rgb16, [255, 0, 0], [0, 0, 255]),
            ("palette", palette, [10, 200, 30], [240, 240, 10]),
        ]
        for (name, bytes, left, right) in cases {
            let img = try PNGCodec.decode(bytes, maxSide: 64)
            XCTAssertEqual([img.width, img.height], [w, h], name)
            assertNear(pixel(img, 0, 1), left, "\(name), left", tolerance: 1)
            assertNear(pixel(img, 3, 1), right, "\(name), right", tolerance: 1)
        }
    }
}
