import FVImage
import XCTest

/// Pictures that explain themselves (issue 24.6): the loss chart's title and axis values, the
/// heat map's colour scale, a sheet's title, text in the labels' glyphs.
final class SelfExplainingPictureTests: XCTestCase {
    func rgb(_ img: RGBImage, _ x: Int, _ y: Int) -> [UInt8] {
        let i = 3 * (y * img.width + x)
        return Array(img.pixels[i..<(i + 3)])
    }

    /// How many pixels of `ink` are in the rectangle.
    func inked(_ img: RGBImage, x: Range<Int>, y: Range<Int>, ink: UInt8) -> Int {
        var n = 0
        for yy in y { for xx in x where rgb(img, xx, yy) == [ink, ink, ink] { n += 1 } }
        return n
    }

    func testTextIsWrittenInGlyphsOnItsBox() {
        var img = RGBImage(width: 60, height: 9, pixels: [UInt8](repeating: 128, count: 60 * 9 * 3))
        img.label("FOR 12", x: 0, y: 0)
        XCTAssertEqual(RGBImage.labelWidth("FOR 12"), 25)
        XCTAssertEqual(rgb(img, 0, 0), [0, 0, 0], "the box")
        XCTAssertEqual(rgb(img, 1, 1), [255, 255, 255], "F's top-left pixel")
        XCTAssertEqual(rgb(img, 2, 2), [0, 0, 0], "F's inside")
        XCTAssertEqual(rgb(img, 30, 3), [128, 128, 128], "untouched past the box")
        XCTAssertGreaterThan(inked(img, x: 0..<25, y: 0..<7, ink: 255), 30)
    }

    func testTheLossChartHasATitleAndItsAxesValues() {
        let chart = RGBImage.lineChart((0..<100).map { Float($0) * 3 - 50 })
        XCTAssertGreaterThan(inked(chart, x: 20..<120, y: 1..<8, ink: 60), 40, "the title at the top")
        XCTAssertGreaterThan(inked(chart, x: 0..<20, y: 8..<16, ink: 60), 5, "the highest value by the vertical axis")
        XCTAssertGreaterThan(inked(chart, x: 0..<20, y: 144..<152, ink: 60), 5, "the lowest value")
        XCTAssertGreaterThan(inked(chart, x: 140..<180, y: 151..<158, ink: 60), 5, "the word step under the axis")
    }

    func testTheHeatMapShowsItsColourScale() {
        let photo = RGBImage(width: 120, height: 80, pixels: [UInt8](repeating: 128, count: 120 * 80 * 3))
        let map: [Float] = (0..<16).map { Float($0) }
        let shown = photo.overlaid(heatMap: map, mapWidth: 4, mapHeight: 4)
        let barY = 80 - 5 - 8 + 2
        let low = rgb(shown, 1, barY), high = rgb(shown, 40, barY)
        XCTAssertGreaterThan(low[2], low[0], "the scale starts blue (nothing)")
        XCTAssertGreaterThan(high[0], high[2], "and ends red (the peak)")
        XCTAssertGreaterThan(inked(shown, x: 0..<40, y: 73..<80, ink: 255), 8, "0 and the peak, 15, written under it")
    }

    func testATitledSheetGainsABandWithItsTitle() {
        let sheet = RGBImage(width: 100, height: 40, pixels: [UInt8](repeating: 200, count: 100 * 40 * 3))
        let titled = sheet.titled("block4_conv3", dot: 2)
        XCTAssertEqual([titled.width, titled.height], [100, 58])
        XCTAssertGreaterThan(inked(titled, x: 0..<100, y: 0..<18, ink: 255), 60)
        XCTAssertEqual(rgb(titled, 50, 30), [200, 200, 200], "the sheet below, unchanged")
    }
}
