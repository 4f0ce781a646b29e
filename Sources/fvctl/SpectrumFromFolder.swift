import FVImage
import FVProtocol
import Foundation

/// `--spectrum-from FOLDER` of the natural preset: the mean amplitude spectrum of the user's own
/// pictures at the render's size (`SpectrumEstimator`), measured here because the daemon never
/// reads a client's files, and sent with the request.
///
/// Measuring decodes every picture and takes two DFTs per colour channel, seconds for a few
/// hundred photographs; so the table is kept in `$XDG_CACHE_HOME/fvd/spectra` (else
/// `~/.cache/fvd/spectra`), keyed by the render size and every picture's name and bytes:
/// changing, adding or removing a picture measures anew, and nothing else does.
enum SpectrumFromFolder {
    /// Bumped when the measurement changes, so old tables are not used.
    static let version = "spectrum v1"

    static var cacheDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let x = env["XDG_CACHE_HOME"], x.hasPrefix("/") { return x + "/fvd/spectra" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.cache/fvd/spectra"
    }

    /// The render's size: `given`, else the natural preset's, as the daemon says.
    static func renderSize(_ given: Int?, _ connection: ConnectionOptions) throws -> Int {
        if let given { return given }
        let info = try InfoResult(try connection.connect().call(Method.info.rawValue))
        guard let natural = info.presets["natural"] else { throw Failure(Exit.refused, "the daemon has no natural preset; is it older than fvctl?") }
        return natural.size
    }

    /// The spectrum of `folder`'s pictures at `size` px, from the cache or measured; `say` gets
    /// what a user should hear (skipped pictures, where the table came from).
    static func spectrum(of folder: String, size: Int, say: (String) -> Void) throws -> SpectrumParams {
        do { return try measured(folder, size: size, say: say) } catch let e as PictureFolderError {
            throw Failure(Exit.refused, e.description)  // said as fvctl says every refusal
        }
    }

    static func measured(_ folder: String, size: Int, say: (String) -> Void) throws -> SpectrumParams {
        // The key: every picture file's name and bytes, before anything is decoded.
        var entries: [String] = []
        try PictureFolder.forEachFile(in: folder, option: "--spectrum-from", skipped: { _ in }) { name, bytes in
            entries.append("\(name):\(PictureFolder.digest(bytes))")
        }
        guard !entries.isEmpty else {
            throw Failure(Exit.refused, "--spectrum-from \(folder): no PNG or JPEG pictures in it; give a folder of photographs like the ones you study")
        }
        let key = PictureFolder.digest(Array("\(version)|\(size)|\(AmplitudeSpectrum.defaultAngles)|\(entries.joined(separator: "|"))".utf8))
        let file = cacheDirectory + "/\(key).json"
        if let cached = read(file, key: key, size: size) {
            say("spectrum of \(folder) at \(size) px: from the cache (\(cached.pictures) pictures)")
            return cached.spectrum
        }

        var skipped = 0
        let estimator = try SpectrumEstimator.measuring(folder: folder, option: "--spectrum-from", size: size) {
            skipped += 1
            say("--spectrum-from: skipping \($0)")
        }
        guard estimator.pictures > 0 else {
            throw Failure(Exit.refused, "--spectrum-from \(folder): none of its \(entries.count) pictures could be used (see above); "
                          + "pictures must decode and be at least \(size) px on their short side")
        }
        let table = try estimator.spectrum()
        let spectrum = SpectrumParams(size: table.size, angles: table.angles, amplitude: table.amplitude.map(Double.init))
        let stored = write(file, ["version": .string(version), "key": .string(key), "folder": .string(folder),
                                  "pictures": JSON(estimator.pictures), "spectrum": spectrum.json])
        say("spectrum of \(folder) at \(size) px: measured from \(estimator.pictures) pictures"
            + (skipped > 0 ? " (\(skipped) skipped)" : "") + (stored ? "; kept in \(file)" : "; could not keep it in \(cacheDirectory), so it will be measured again"))
        return spectrum
    }

    /// A cached table, if it is whole and is the one asked for (a damaged or foreign file is
    /// measured anew, never trusted).
    static func read(_ file: String, key: String, size: Int) -> (spectrum: SpectrumParams, pictures: Int)? {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8),
              let json = try? JSONCodec.parse(text), json["version"] == .string(version), json["key"] == .string(key),
              let pictures = json["pictures"]?.intValue, let s = json["spectrum"], let spectrum = try? SpectrumParams(json: s),
              spectrum.size == size,
              (try? AmplitudeSpectrum(size: spectrum.size, angles: spectrum.angles, amplitude: spectrum.amplitude.map(Float.init))) != nil
        else { return nil }
        return (spectrum, Int(pictures))
    }

    /// Writes through a temporary name and a rename, so a reader never sees half a table.
    static func write(_ file: String, _ json: JSON) -> Bool {
        do {
            try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
            let temporary = file + ".\(getpid()).tmp"
            try Data(JSONCodec.serialize(json).utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, file) == 0 else {
                unlink(temporary)
                return false
            }
            return true
        } catch {
            return false
        }
    }
}
