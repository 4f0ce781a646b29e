import CCrypto

/// SHA-256 through OpenSSL's libcrypto, the only Swift file that sees it: what names a user's
/// picture in a cache key and a cache entry on disk. A 64-bit FNV hash did before, and a crafted
/// picture could collide with another user's and be answered with that user's dream.
enum ContentDigest {
    /// SHA-256 of `bytes` as 64 lowercase hex digits.
    static func sha256<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = Array(bytes).withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha256(), nil) }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        return digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    static func sha256(_ text: String) -> String { sha256(Array(text.utf8)) }
}
