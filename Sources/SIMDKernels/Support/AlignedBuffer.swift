#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed-size block of memory aligned to 64 bytes (a cache line, and more than the 32 bytes an
/// AVX2 load wants). Kernels take raw pointers; this class only owns the memory so that a
/// workspace is allocated once per job and freed when the job ends.
public final class AlignedBuffer<Element> {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Element>

    public init(count: Int, zeroed: Bool = true) {
        self.count = count
        let bytes = max(count * MemoryLayout<Element>.stride, 64)
        var raw: UnsafeMutableRawPointer?
        let rc = posix_memalign(&raw, 64, bytes)
        precondition(rc == 0 && raw != nil, "out of memory allocating \(bytes) bytes")
        if zeroed { memset(raw!, 0, bytes) }
        pointer = raw!.bindMemory(to: Element.self, capacity: max(count, 1))
    }

    deinit { free(pointer) }

    public var buffer: UnsafeMutableBufferPointer<Element> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    public subscript(i: Int) -> Element {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public func toArray() -> [Element] { Array(buffer) }
}

extension AlignedBuffer: @unchecked Sendable {}
