import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A folder of the user's pictures, PNG and JPEG, read one at a time in name order (a folder of
/// thousands of photographs is never held at once): what the atlas's `--images` and the natural
/// preset's `--spectrum-from` read. A file that is not a regular file, is over 64 MiB, cannot be
/// read or does not decode is skipped, with a line naming it and why.
public enum PictureFolder {
    public static let maxBytes = 64 << 20
    public static let extensions = ["png", "jpg", "jpeg"]

    /// The names of the folder's pictures (by extension), sorted; the error names the folder.
    public static func names(in folder: String, option: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PictureFolderError("\(option) \(folder): no such folder; give a folder of PNG or JPEG pictures")
        }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
                .filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
        } catch {
            throw PictureFolderError("cannot read \(option) \(folder): \(error.localizedDescription)")
        }
    }

    /// Calls `body` with each picture file's name and bytes, undecoded (enough for a digest of
    /// the folder); `skipped` gets a line for each file that cannot be read.
    public static func forEachFile(in folder: String, option: String, skipped: (String) -> Void,
                                   _ body: (_ name: String, _ bytes: [UInt8]) throws -> Void) throws {
        for name in try names(in: folder, option: option) {
            let path = folder + "/" + name
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { skipped("\(name): not a regular file"); continue }
            guard st.st_size <= maxBytes else { skipped("\(name): \(st.st_size >> 20) MiB, more than the 64 MiB a picture may have"); continue }
            guard let data = FileManager.default.contents(atPath: path) else { skipped("\(name): cannot read it"); continue }
            try body(name, [UInt8](data))
        }
    }

    /// Calls `body` with each picture's name, bytes and decoded image; `skipped` gets a line for
    /// each picture that cannot be used.
    public static func forEach(in folder: String, option: String, skipped: (String) -> Void,
                               _ body: (_ name: String, _ bytes: [UInt8], _ image: RGBImage) throws -> Void) throws {
        try forEachFile(in: folder, option: option, skipped: skipped) { name, bytes in
            let image: RGBImage
            do {
                image = JPEGCodec.isJPEG(bytes) ? try JPEGCodec.decode(bytes, maxSide: 16384) : try PNGCodec.decode(bytes, maxSide: 16384)
            } catch {
                skipped("\(name): \(error)")
                return
            }
            try body(name, bytes, image)
        }
    }

    /// FNV-1a, 64 bits, in hex: a cache key for a picture's bytes in the user's own
    /// caches (not a defence against anyone).
    public static func digest(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }
}

public struct PictureFolderError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
