extension RGBImage {
    /// 3x5 pixel glyphs, one row a byte (bit 2 is the left column): digits, capital letters (text
    /// is written in capitals) and the few signs numbers and layer names need.
    static let glyphs: [Character: [UInt8]] = {
        var g: [Character: [UInt8]] = [
            "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7], "4": [5, 5, 7, 1, 1],
            "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
            "A": [2, 5, 7, 5, 5], "B": [6, 5, 6, 5, 6], "C": [3, 4, 4, 4, 3], "D": [6, 5, 5, 5, 6], "E": [7, 4, 6, 4, 7],
            "F": [7, 4, 6, 4, 4], "G": [3, 4, 5, 5, 3], "H": [5, 5, 7, 5, 5], "I": [7, 2, 2, 2, 7], "J": [1, 1, 1, 5, 2],
            "K": [5, 5, 6, 5, 5], "L": [4, 4, 4, 4, 7], "M": [5, 7, 7, 5, 5], "N": [6, 5, 5, 5, 5], "O": [2, 5, 5, 5, 2],
            "P": [6, 5, 6, 4, 4], "Q": [2, 5, 5, 7, 3], "R": [6, 5, 6, 5, 5], "S": [3, 4, 2, 1, 6], "T": [7, 2, 2, 2, 2],
            "U": [5, 5, 5, 5, 7], "V": [5, 5, 5, 5, 2], "W": [5, 5, 7, 7, 5], "X": [5, 5, 2, 5, 5], "Y": [5, 5, 2, 2, 2],
            "Z": [7, 1, 2, 4, 7], "_": [0, 0, 0, 0, 7], "-": [0, 0, 7, 0, 0], ".": [0, 0, 0, 0, 2], ":": [0, 2, 0, 2, 0],
            "(": [1, 2, 2, 2, 1], ")": [4, 2, 2, 2, 4], "/": [1, 1, 2, 4, 4], "+": [0, 2, 7, 2, 0], ",": [0, 0, 0, 2, 4],
            " ": [0, 0, 0, 0, 0],
        ]
        g["?"] = [7, 1, 2, 0, 2]
        return g
    }()

    /// The width in pixels `text` takes as a label with dots of `dot` x `dot`.
    public static func labelWidth(_ text: String, dot: Int = 1) -> Int { (text.count * 4 + 1) * dot }

    /// Writes `text` (capitals, digits and `_ - . : ( ) / + ,`; anything else as `?`) in 3x5
    /// glyphs, each pixel `dot` x `dot`, in `ink` on a box of `paper` at (x, y): labels on grid
    /// tiles, sheets, charts and heat maps. Whatever does not fit is clipped.
    public mutating func label(_ text: String, x: Int, y: Int, dot: Int = 1, ink: UInt8 = 255, paper: UInt8 = 0) {
        let chars = Array(text.uppercased())
        let boxW = RGBImage.labelWidth(text, dot: dot), boxH = 7 * dot
        func set(_ px: Int, _ py: Int, _ v: UInt8) {
            guard px >= 0, py >= 0, px < width, py < height else { return }
            let o = (py * width + px) * 3
            pixels[o] = v
            pixels[o + 1] = v
            pixels[o + 2] = v
        }
        for py in 0..<boxH { for px in 0..<boxW { set(x + px, y + py, paper) } }
        for (i, ch) in chars.enumerated() {
            let rows = RGBImage.glyphs[ch] ?? RGBImage.glyphs["?"]!
            for (row, bits) in rows.enumerated() {
                for col in 0..<3 where bits & (4 >> col) != 0 {
                    for dy in 0..<dot { for dx in 0..<dot { set(x + ((1 + i * 4 + col) * dot) + dx, y + ((1 + row) * dot) + dy, ink) } }
                }
            }
        }
    }

    /// Writes `number` in white on black: the filter numbers on grid tiles.
    public mutating func label(_ number: Int, x: Int, y: Int, dot: Int = 1) {
        label(String(number), x: x, y: y, dot: dot)
    }

    /// Each pixel as a `factor` x `factor` block (nearest neighbour: small tiles stay sharp).
    public func scaled(by factor: Int) -> RGBImage {
        precondition(factor >= 1)
        if factor == 1 { return self }
        let w = width * factor, h = height * factor
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let sy = y / factor
            for x in 0..<w {
                let s = (sy * width + x / factor) * 3, d = (y * w + x) * 3
                out[d] = pixels[s]
                out[d + 1] = pixels[s + 1]
                out[d + 2] = pixels[s + 2]
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
