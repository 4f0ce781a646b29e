#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What to tell a user whose connect(2) to a daemon's socket was refused with EACCES: on a
/// shared workstation that means the system socket's group (fvd.socket's SocketGroup=) does not
/// include them, and the fix is an administrator's, so the message names the group and the
/// command.
public enum SocketPermission {
    public static func refusal(path: String) -> String {
        let who = userName(geteuid()).map { "you (\($0))" } ?? "you (uid \(geteuid()))"
        var st = stat()
        guard stat(path, &st) == 0 else {
            return "the fvd at \(path) refused \(who): permission denied on the way to its socket; ask the administrator which group may use it"
        }
        let group = groupName(st.st_gid) ?? "\(st.st_gid)"
        let mode = String(st.st_mode & 0o777, radix: 8)
        let user = userName(geteuid()) ?? "USER"
        return "the fvd at \(path) refused \(who): its socket is mode \(mode), group \(group), and you are not in group \(group); "
            + "ask an administrator to add you (sudo usermod -aG \(group) \(user)), then log in again"
    }

    /// The password database's name for `uid`, if it has one.
    public static func userName(_ uid: uid_t) -> String? {
        guard let pw = getpwuid(uid), let n = pw.pointee.pw_name else { return nil }
        return String(cString: n)
    }

    static func groupName(_ gid: gid_t) -> String? {
        guard let gr = getgrgid(gid), let n = gr.pointee.gr_name else { return nil }
        return String(cString: n)
    }
}
