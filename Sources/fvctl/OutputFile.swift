#if canImport(Glibc)
import Glibc
#endif
import FVTransport
import Foundation

/// Where fvctl puts an image, and whether it may. fvctl is run by root too, in directories other
/// users own, so a path is judged by what is there, not by its name:
/// - `-` is standard output;
/// - a symbolic link is followed only if it is the caller's own or root's (as the kernel's
///   protected_symlinks would in a sticky directory): another user's link could point root at
///   any file root can write;
/// - a character device (`/dev/null`) is written into; a FIFO too, but only while a reader has it
///   open (otherwise fvctl would hang); a block device, a socket, a directory never;
/// - a regular file is replaced whole by rename (a reader never sees half an image), keeping its
///   mode and, for root, its owner; one that fvctl named itself (no `-o`) is never replaced
///   without `--force`, so one render does not silently overwrite another;
/// - a new file gets 0666 less the umask.
/// Every path is checked before the render starts (`problem`), and again as it is written.
enum OutputFile {
    /// What a path resolved to.
    enum Target: Equatable {
        case standardOutput
        case newFile(String)
        case existingFile(String)
        case characterDevice(String)
        case fifo(String)
    }

    /// Resolves `path` (following only trusted links) and checks it may be written: PNG or, with
    /// `formats` allowing it, NumPy .npy for files; `replaceExisting` false refuses an existing
    /// regular file. Throws a `Failure` that says what to do.
    static func target(_ path: String, formats: [String] = ["png"], replaceExisting: Bool = true) throws -> Target {
        if path == "-" { return .standardOutput }
        var st = stat()
        guard lstat(path, &st) == 0 else {
            let e = errno
            if e != ENOENT { throw failure(path, String(cString: strerror(e))) }
            try checkName(path, formats)
            try checkDirectory(of: path)
            return .newFile(path)
        }
        switch st.st_mode & S_IFMT {
        case S_IFLNK:
            if st.st_uid != geteuid() && st.st_uid != 0 {
                throw failure(path, "it is a symbolic link of \(ownerName(st.st_uid)), not yours; fvctl follows only your own links and root's (another user's link could send the picture over any file you can write). Remove it or choose another name with -o")
            }
            guard let real = realPath(path) else {
                // A dangling link of your own: writing would create its target wherever it points.
                throw failure(path, "it is a symbolic link to a file that does not exist; remove it or name the target itself")
            }
            if real == path { throw failure(path, "it is a symbolic link that loops") }
            return try target(real, formats: formats, replaceExisting: replaceExisting)
        case S_IFREG:
            try checkName(path, formats)
            if !replaceExisting {
                throw failure(path, "it exists already (an earlier render?); fvctl does not replace a file it named itself: pass --force to replace it, or -o NAME")
            }
            if access(path, W_OK) != 0 && !writableDirectory(path) { throw failure(path, "permission denied") }
            return .existingFile(path)
        case S_IFCHR: return .characterDevice(path)
        case S_IFIFO: return .fifo(path)
        case S_IFDIR: throw failure(path, "it is a directory; give a file name, e.g. -o \(path.hasSuffix("/") ? path : path + "/")picture.png")
        case S_IFBLK: throw failure(path, "it is a block device; fvctl never writes pictures onto a disk")
        default: throw failure(path, "it is a socket or another special file; choose a .png file name")
        }
    }

    /// Checked before a render starts, so a bad output costs nothing; the reason, or nil.
    static func problem(with path: String, formats: [String] = ["png"], replaceExisting: Bool = true) -> String? {
        do {
            _ = try target(path, formats: formats, replaceExisting: replaceExisting)
            return nil
        } catch let f as Failure {
            return f.description
        } catch {
            return "\(error)"
        }
    }

    /// Whether `path` is (or will be) a file of its own, with a directory to put others beside
    /// it: not standard output, a device or a FIFO.
    static func namesAFile(_ path: String) -> Bool {
        switch try? target(path, formats: ["png", "npy"]) {
        case .newFile?, .existingFile?: return true
        default: return false
        }
    }

    static func write(_ data: Data, to path: String, formats: [String] = ["png", "npy"], replaceExisting: Bool = true) throws {
        switch try target(path, formats: formats, replaceExisting: replaceExisting) {
        case .standardOutput: FileHandle.standardOutput.write(data)
        case .newFile(let p): try replace(p, with: data, keeping: nil)
        case .existingFile(let p):
            var st = stat()
            try replace(p, with: data, keeping: stat(p, &st) == 0 ? st : nil)
        case .characterDevice(let p): try writeInPlace(p, data, flags: O_NOFOLLOW)
        case .fifo(let p): try writeInPlace(p, data, flags: O_NOFOLLOW | O_NONBLOCK)
        }
    }

    /// Whether `path` asks for the raw pictures (.npy) rather than a PNG.
    static func wantsNumPy(_ path: String) -> Bool { (path as NSString).pathExtension.lowercased() == "npy" }

    static func failure(_ path: String, _ why: String) -> Failure {
        Failure(Exit.cannotWrite, "cannot write \(path): \(why)")
    }

    private static func checkName(_ path: String, _ formats: [String]) throws {
        let ext = (path as NSString).pathExtension.lowercased()
        if formats.contains(ext) { return }
        let what = formats.contains("npy")
            ? "PNG images (.png) or the raw float32 pictures (.npy, for numpy); name the file so" : "PNG images; name the file .png"
        throw Failure(Exit.usage, "-o \(path): fvctl writes \(what) (or use - for standard output)" + (ext.isEmpty ? "" : ", not .\(ext)"))
    }

    private static func checkDirectory(of path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let d = dir.isEmpty ? "." : dir
        var ds = stat()
        guard stat(d, &ds) == 0, (ds.st_mode & S_IFMT) == S_IFDIR else { throw failure(path, "the directory \(d) does not exist") }
        guard access(d, W_OK) == 0 else { throw failure(path, "the directory \(d) cannot be written") }
    }

    private static func writableDirectory(_ path: String) -> Bool {
        let dir = (path as NSString).deletingLastPathComponent
        return access(dir.isEmpty ? "." : dir, W_OK) == 0
    }

    private static func ownerName(_ uid: uid_t) -> String {
        SocketPermission.userName(uid).map { "\($0) (uid \(uid))" } ?? "uid \(uid)"
    }

    static func realPath(_ path: String) -> String? {
        guard let r = realpath(path, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    /// Into a device or FIFO as it is. `O_NOFOLLOW`: the path was resolved already, and a link
    /// swapped in since is refused, not followed. A FIFO opens without blocking: with no reader
    /// the open fails (ENXIO) at once instead of hanging fvctl.
    static func writeInPlace(_ path: String, _ data: Data, flags: Int32) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | flags)
        guard fd >= 0 else {
            let e = errno
            if e == ENXIO && flags & O_NONBLOCK != 0 {
                throw failure(path, "it is a FIFO that no process is reading; start the reader first (e.g. cat \(path) > out.png)")
            }
            throw failure(path, e == ELOOP ? "it became a symbolic link while fvctl ran" : String(cString: strerror(e)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, [S_IFCHR, S_IFIFO].contains(st.st_mode & S_IFMT) else {
            throw failure(path, "it changed into another kind of file while fvctl ran")
        }
        if flags & O_NONBLOCK != 0 { _ = fcntl(fd, F_SETFL, O_WRONLY) }  // the reader is there: block as usual
        try writeAll(fd, data, path)
    }

    /// Writes a temporary file beside `path` (mkstemp: a new name, never someone's link), gives it
    /// the old file's mode and owner (or 0666 less the umask), and renames it over `path`: a link
    /// put at `path` meanwhile is replaced, not followed.
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
