@testable import FVOptim
import SIMDKernels
import XCTest

/// Lucid's transforms as one bilinear sampler: its adjoint by the dot-product test, and its
/// geometry on cases whose answer is known.
final class TransformTests: XCTestCase {
    func random(_ n: Int, seed: UInt32) -> AlignedBuffer<Float> {
        var r = MersenneTwister(seed: seed)
        let b = AlignedBuffer<Float>(count: n)
        for k in 0..<n { b[k] = Float(r.nextDouble() * 2 - 1) }
        return b
    }

    func testEveryDrawPassesTheDotProductTest() {
        let side = 20
        var t = LucidTransforms(side: side, seed: 7)
        let shape = TensorShape(n: 2, h: side, w: side, c: 3)
        for draw in 0..<12 {
            let s = t.next()
            let out = s.outputShape(for: shape)
            let x = random(shape.count, seed: UInt32(draw)), y = random(out.count, seed: UInt32(100 + draw))
            let zero = AlignedBuffer<Float>(count: shape.count)
            zero.pointer.update(repeating: 0, count: shape.count)
            let tx = AlignedBuffer<Float>(count: out.count), t0 = AlignedBuffer<Float>(count: out.count)
            let aty = AlignedBuffer<Float>(count: shape.count)
            s.forward(x.pointer, shape, into: tx.pointer)
            s.forward(zero.pointer, shape, into: t0.pointer)  // the fill alone: forward is affine
            s.adjoint(y.pointer, shape, into: aty.pointer)
            var lhs = 0.0, rhs = 0.0
            for k in 0..<out.count { lhs += Double(tx[k] - t0[k]) * Double(y[k]) }
            for k in 0..<shape.count { rhs += Double(x[k]) * Double(aty[k]) }
            XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(abs(lhs), 1), "draw \(draw): \(out)")
        }
    }

    func testSizesSpanLucidsRange() {
        var t = LucidTransforms(side: 128, seed: 1)
        var sides = Set<Int>()
        for _ in 0..<400 { sides.insert(t.next().outputHeight) }
        XCTAssertEqual(sides.min(), 125)
        XCTAssertEqual(sides.max(), 154)
        XCTAssertEqual(LucidTransforms.largestOutput(side: 128), 154)
    }

    /// Scale 1, no rotation, crops that undo the padding: the picture comes through unchanged,
    /// followed by the grey padding.
    func testIdentityDrawCopiesThePicture() {
        let side = 10
        let s = LucidTransforms.sampler(side: side, offset1: (8, 8), scale: 1, angle: 0, offset2: (4, 4))
        let shape = TensorShape(n: 1, h: side, w: side, c: 3)
        let x = random(shape.count, seed: 2)
        let out = s.outputShape(for: shape)
        XCTAssertEqual(out.h, side + 12)
        let y = AlignedBuffer<Float>(count: out.count)
        s.forward(x.pointer, shape, into: y.pointer)
        for i in 0..<side {
            for j in 0..<side {
                for c in 0..<3 { XCTAssertEqual(y[(i * out.w + j) * 3 + c], x[(i * side + j) * 3 + c], accuracy: 1e-6) }
            }
        }
        XCTAssertEqual(y[(side * out.w + side) * 3], 0.5, accuracy: 1e-6)  // the pad
    }

    /// A 90-degree turn with no scaling moves pixel (i, j) to a known place; the corners of a
    /// 10-degree turn are black (0) and its middle is not.
    func testRotationGeometry() {
        let side = 8
        let shape = TensorShape(n: 1, h: side, w: side, c: 1)
        let x = random(shape.count, seed: 4)
        let s = LucidTransforms.sampler(side: side, offset1: (8, 8), scale: 1, angle: Double.pi / 2, offset2: (4, 4))
        let y = AlignedBuffer<Float>(count: s.outputShape(for: shape).count)
        s.forward(x.pointer, shape, into: y.pointer)
        let n = s.outputHeight  // side + 12
        // Undoing the crops: output (i, j) is the scaled frame's (i + 4, j + 4); turned about
        // that frame's centre (side + 15) / 2 by 90 degrees it reads (side + 15 - (j + 4), i + 4),
        // which is picture pixel (side + 7 - j, i) once the pad's 12 and the first crop's 8 cancel.
        for (i, j) in [(0, side), (3, side + 2), (7, side + 7), (5, 9)] {
            XCTAssertEqual(y[i * n + j], x[(side + 7 - j) * side + i], accuracy: 1e-5, "(\(i), \(j))")
        }
        let r = LucidTransforms.sampler(side: 32, offset1: (4, 4), scale: 1, angle: 10 * Double.pi / 180, offset2: (0, 0))
        let big = TensorShape(n: 1, h: 32, w: 32, c: 1)
        let ones = AlignedBuffer<Float>(count: big.count)
        ones.pointer.update(repeating: 1, count: big.count)
        let out = AlignedBuffer<Float>(count: r.outputShape(for: big).count)
        r.forward(ones.pointer, big, into: out.pointer)
        XCTAssertEqual(out[0], 0)
        XCTAssertEqual(out[(r.outputHeight / 2) * r.outputWidth + r.outputWidth / 2], 1, accuracy: 1e-6)
    }

    /// MACO's trial transforms: each draw a box of 75-95% of the picture's side near its centre,
    /// resized to the picture's size (read back from a horizontal ramp), and the same draws and
    /// noise for the same seed.
    func testMACOCropsABoxNearTheCentreAndIsReproducible() {
        let side = 64
        let ramp = AlignedBuffer<Float>(count: side * side * 3)
        for y in 0..<side { for x in 0..<side { for c in 0..<3 { ramp[(y * side + x) * 3 + c] = Float(x) / Float(side - 1) } } }
        var a = MACOTransforms(side: side, seed: 9), b = MACOTransforms(side: side, seed: 9)
        let out = AlignedBuffer<Float>(count: side * side * 3), again = AlignedBuffer<Float>(count: side * side * 3)
        for _ in 0..<20 {
            let s = a.next()
            XCTAssertEqual([s.outputHeight, s.outputWidth], [side, side])
            s.forward(ramp.pointer, TensorShape(n: 1, h: side, w: side, c: 3), into: out.pointer)
            b.next().forward(ramp.pointer, TensorShape(n: 1, h: side, w: side, c: 3), into: again.pointer)
            let row = (side / 2) * side * 3
            // Columns a quarter in from each side are inside the picture whatever the draw: their
            // ramp values are half a box apart.
            let left = out[row + (side / 4) * 3], right = out[row + (3 * side / 4) * 3]
            let box = (right - left) * Float(side - 1) / Float(side / 2)
            XCTAssertGreaterThan(box, 0.749, "the box spans 75-95% of the picture")
            XCTAssertLessThan(box, 0.951)
            let centre = (left + right) / 2
            XCTAssertEqual(centre, 0.5, accuracy: 0.25, "near the centre")
            XCTAssertEqual(Array(UnsafeBufferPointer(start: out.pointer, count: out.count)), Array(UnsafeBufferPointer(start: again.pointer, count: again.count)))
        }
        let n1 = AlignedBuffer<Float>(count: 300), n2 = AlignedBuffer<Float>(count: 300)
        a.noise(into: n1.pointer, count: 300)
        b.noise(into: n2.pointer, count: 300)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: n1.pointer, count: 300)), Array(UnsafeBufferPointer(start: n2.pointer, count: 300)))
        let sd = (Array(UnsafeBufferPointer(start: n1.pointer, count: 300)).map { $0 * $0 }.reduce(0, +) / 300).squareRoot()
        XCTAssertEqual(sd, MACOTransforms.noise * (1 + 1.0 / 12).squareRoot(), accuracy: 0.3 * MACOTransforms.noise)
    }
}
