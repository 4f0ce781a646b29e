#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// fvd keeps users apart by the uid `SO_PEERCRED` reports, and the kernel reports it as seen from
/// fvd's own user namespace: inside one that maps only some uids (systemd's `PrivateUsers=`,
/// `unshare --user --map-root-user`) every other user reads as the overflow uid 65534, and so
/// all of them would share one queue and see and cancel each other's jobs. fvd refuses to serve
/// there rather than mix users up.
enum UserNamespace {
    /// Why clients could not be told apart under `uidMap` (the text of /proc/self/uid_map), or
    /// nil when every uid is mapped (the initial namespace maps 0..<4294967295).
    static func whyClientsLookAlike(uidMap: String) -> String? {
        var mapped: UInt64 = 0
        for line in uidMap.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count == 3, let count = UInt64(fields[2]) { mapped += count }
        }
        if mapped >= 4_294_967_295 { return nil }
        return "fvd runs in a user namespace that maps only \(mapped) uid(s) (/proc/self/uid_map), so every other user would look like uid 65534 and users could see and cancel each other's jobs; run it without PrivateUsers= (systemd) or outside `unshare --user`"
    }

    /// The check on this process; nil where /proc is not there to read (not Linux).
    static func whyClientsLookAlike() -> String? {
        guard let map = try? String(contentsOfFile: "/proc/self/uid_map", encoding: .utf8) else { return nil }
        return whyClientsLookAlike(uidMap: map)
    }
}
