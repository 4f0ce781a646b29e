#if canImport(Glibc)
import Glibc
#endif
import FVProtocol
import Foundation

/// Shows a job's progress on stderr: a bar with step, loss and time left on a terminal; a plain
/// line every 10% otherwise (logs and pipes stay readable).
final class ProgressDisplay {
    let isTerminal = isatty(2) != 0
    /// When the first step was reported: time spent waiting in the queue is not in the ETA.
    var start: Date?
    var lastDecile = -1
    var shown = false

    func update(_ params: JSON) {
        guard let step = params["step"]?.intValue, let steps = params["steps"]?.intValue, steps > 0 else { return }
        // A batch (a grid, a negative pair, diverse pictures) reports each picture's objective:
        // their mean, and how many.
        let losses = params["losses"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        let loss = params["loss"]?.doubleValue.map { String(format: "%.4g", $0) }
            ?? (losses.isEmpty ? "?" : String(format: "%.4g (mean of %d)", losses.reduce(0, +) / Double(losses.count), losses.count))
        if start == nil { start = Date() }
        let elapsed = Date().timeIntervalSince(start!)
        let left = step > 0 ? elapsed / Double(step) * Double(steps - step) : 0
        if isTerminal {
            let width = 30
            let filled = Int(Double(width) * Double(step) / Double(steps))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let line = "\r[\(bar)] step \(step)/\(steps)  loss \(loss)  \(String(format: "%.0f", left)) s left "
            FileHandle.standardError.write(Data(line.utf8))
            shown = true
        } else {
            let decile = Int(10 * step / steps)
            if decile != lastDecile {
                lastDecile = decile
                printError("step \(step)/\(steps) loss \(loss) (\(String(format: "%.1f", elapsed)) s)")
            }
        }
    }

    /// Before the job starts: how many jobs it waits for.
    func waiting(ahead: Int) {
        let text = "waiting: \(ahead) job\(ahead == 1 ? "" : "s") ahead"
        if isTerminal {
            FileHandle.standardError.write(Data(("\r" + text + "          ").utf8))
            shown = true
        } else {
            printError(text)
        }
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\n".utf8)) }
        shown = false
    }
}
