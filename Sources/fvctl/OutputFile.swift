#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where fvctl puts an image: `-` is standard output; an existing device, FIFO or the like is
/// written into as it is (`-o /dev/null` stays /dev/null, even as root); a regular file (or the
/// file a symbolic link points to) is replaced whole by rename, keeping its mode and, for root,
/// its owner, so a reader never sees half an image; a new file gets 0666 less the umask.
enum OutputFile {
    static func write(_ data: Data, to path: String) throws {
        if path == "-" {
            FileHandle.standardOutput.write(data)
            return
        }
        var st = stat()
        if stat(path, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFREG: return try replace(realPath(path), with: data, keeping: st)
            case S_IFDIR: throw failure(path, "it is a directory; give a file name with -o")
            default: return try writeInPlace(path, data)
            }
        }
        try replace(path, with: data, keeping: nil)
    }

    /// Checked before a render starts, so a bad `-o` costs nothing: fvctl writes PNG (to a file
    /// named .png, to standard output with `-`, or into a device or FIFO), or with `formats`
    /// allowing it the raw pictures as NumPy .npy, in a directory that exists and can be
    /// written. Returns why not, or nil.
    static func problem(with path: String, formats: [String] = ["png"]) -> String? {
        if path == "-" { return nil }
        var existing = stat()
        if stat(path, &existing) == 0, ![S_IFREG, S_IFDIR].contains(existing.st_mode & S_IFMT) {
            return nil  // a device or a FIFO (-o /dev/null): written into as it is
        }
        let ext = (path as NSString).pathExtension.lowercased()
        if !formats.contains(ext) {
            let what = formats.contains("npy")
                ? "PNG images (.png) or the raw float32 pictures (.npy, for numpy)" : "PNG images; name the file .png"
            return "-o \(path): fvctl writes \(what)" + (formats.contains("npy") ? "; name the file so" : "") + " (or use - for standard output)"
                + (ext.isEmpty ? "" : ", not .\(ext)")
        }
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { return "-o \(path) is a directory; give a file name" }
            return access(path, W_OK) == 0 ? nil : "-o \(path) cannot be written (permission denied)"
        }
        let dir = (path as NSString).deletingLastPathComponent
        let d = dir.isEmpty ? "." : dir
        var ds = stat()
        guard stat(d, &ds) == 0, (ds.st_mode & S_IFMT) == S_IFDIR else { return "-o \(path): the directory \(d) does not exist" }
        return access(d, W_OK) == 0 ? nil : "-o \(path): the directory \(d) cannot be written"
    }

    /// Whether `path` asks for the raw pictures (.npy) rather than a PNG.
    static func wantsNumPy(_ path: String) -> Bool { (path as NSString).pathExtension.lowercased() == "npy" }

    static func failure(_ path: String, _ why: String) -> Failure {
        Failure(Exit.cannotWrite, "cannot write \(path): \(why)")
    }

    static func realPath(_ path: String) -> String {
        guard let r = realpath(path, nil) else { return path }
        defer { free(r) }
        return String(cString: r)
    }

    static func writeInPlace(_ path: String, _ data: Data) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path, String(cString: strerror(errno))) }
        defer { close(fd) }
        try writeAll(fd, data, path)
    }

    /// Writes a temporary file beside `path` (mkstemp: a new name, never someone's link), gives it
    /// the old file's mode and owner (or 0666 less the umask), and renames it over `path`.
    static func replace(_ path: String, with data: Data, keeping old: stat?) throws {
        let dir = (path as NSString).deletingLastPathComponent
        var template = Array(((dir.isEmpty ? "." : dir) + "/.fvctl-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw failure(path, "\(String(cString: strerror(errno))); check that its directory exists and is writable, or choose another path with -o")
        }
        let tmp = String(cString: template)
        var renamed = false
        defer {
            close(fd)
            if !renamed { unlink(tmp) }
        }
        try writeAll(fd, data, path)
        if let old {
            if geteuid() == 0 { _ = fchown(fd, old.st_uid, old.st_gid) }
            fchmod(fd, old.st_mode & 0o7777)
        } else {
            let mask = umask(0)
            umask(mask)
            fchmod(fd, 0o666 & ~mask)
        }
        guard rename(tmp, path) == 0 else { throw failure(path, String(cString: strerror(errno))) }
        renamed = true
    }

    static func writeAll(_ fd: Int32, _ data: Data, _ path: String) throws {
        try data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure(path, String(cString: strerror(errno)))
                }
                off += n
            }
        }
    }
}
