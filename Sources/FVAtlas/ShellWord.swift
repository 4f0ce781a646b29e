/// Text for a POSIX shell command line, as the atlas writes them (the Slurm scripts, the
/// command each page shows).
public enum ShellWord {
    /// `s` in single quotes (a quote inside as '\''): one word, whatever it holds.
    public static func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// `s` as it is when a shell reads it as one word unchanged (letters, digits, / . _ - + ,),
    /// else quoted: commands stay readable for ordinary paths.
    public static func word(_ s: String) -> String {
        s.allSatisfy { $0.isLetter || $0.isNumber || "/._-+,".contains($0) } ? s : quoted(s)
    }
}
