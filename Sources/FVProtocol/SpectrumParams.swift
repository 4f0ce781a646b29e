/// The natural preset's measured spectrum as a request carries it (`"spectrum"` of pattern and
/// grid; docs/PROTOCOL.md): the mean Fourier amplitude of the user's pictures at the render's
/// size, per decorrelated colour channel, as a polar table. fvctl measures it from a folder
/// (`--spectrum-from`), since the daemon never reads a client's files.
public struct SpectrumParams: Equatable, Sendable {
    /// The render size it was measured at.
    public var size: Int
    /// Orientation bins over [0, pi).
    public var angles: Int
    /// 3 x radii x angles numbers, channel by channel, radius by radius (radii = the size / sqrt(2),
    /// rounded, plus 1).
    public var amplitude: [Double]

    public init(size: Int, angles: Int, amplitude: [Double]) {
        self.size = size
        self.angles = angles
        self.amplitude = amplitude
    }

    static let keys = ["size", "angles", "amplitude"]
    /// Enough for a 1024 px render at 32 angles (3 x 725 x 32).
    public static let maxAmplitudes = 70_000

    init(_ r: ParamReader) throws {
        size = try r.requiredInt("size", in: 1...1_000_000)
        angles = try r.requiredInt("angles", in: 1...1_000)
        guard let a = try r.doubleArray("amplitude", maxCount: Self.maxAmplitudes) else {
            throw RPCError.invalidParams("the spectrum needs \"amplitude\": its table of numbers")
        }
        amplitude = a
    }

    public var json: JSON {
        ["size": JSON(size), "angles": JSON(angles), "amplitude": .array(amplitude.map { JSON($0) })]
    }

    public init(json: JSON) throws {
        guard case .object = json else { throw RPCError.invalidParams("a spectrum is an object with size, angles and amplitude") }
        try self.init(try ParamReader(json, method: "spectrum", allowed: Self.keys))
    }
}
