#if canImport(Glibc)
import Glibc
#endif

/// A directory only its owner can use, for a per-user socket and log (as gpg-agent and
/// ssh-agent keep theirs). Another local user who creates the directory first, or makes it
/// writable, could put their own socket in it and impersonate the daemon; so a directory is used
/// only if it is a real directory (not a symlink), owned by this user, with no group or other
/// access. Checked with `lstat(2)` after `mkdir(2)`, never assumed.
public enum PrivateDirectory {
    public struct Refusal: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Creates `path` with mode 0700 if it is missing (its parent must exist), then checks it.
    public static func ensure(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            let e = errno
            throw Refusal(description: "cannot create \(path): \(String(cString: strerror(e))); create it (mode 700) or set XDG_RUNTIME_DIR")
        }
        try check(path)
    }

    /// Throws unless `path` is a directory (not a link) owned by the effective user, mode 0700 or tighter.
    public static func check(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            throw Refusal(description: "cannot inspect \(path): \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw Refusal(description: "refusing \(path): it is not a directory (a symbolic link or another file); remove it and try again")
        }
        let me = geteuid()
        guard st.st_uid == me else {
            throw Refusal(description: "refusing \(path): it belongs to uid \(st.st_uid), not you (uid \(me)), so its socket could be an impostor's; remove it (as root if need be) and try again, or set XDG_RUNTIME_DIR")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw Refusal(description: "refusing \(path): its mode is \(String(st.st_mode & 0o777, radix: 8)), so others can use it; run `chmod 700 \(path)` and try again")
        }
    }
}
