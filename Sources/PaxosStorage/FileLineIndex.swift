#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PaxosCore

/// Where every `stride`-th line of the replicated file starts: enough to find any instance's
/// line with one bounded read, in memory that grows by one entry per `stride` lines (16 bytes
/// per 1024 lines: 16 KB for a million values) instead of one string per line.
struct FileLineIndex: Equatable, Sendable {
    static let defaultStride = 1024

    struct Mark: Equatable {
        var instance: InstanceNumber
        var offset: Int
    }

    let stride: Int
    private(set) var marks: [Mark] = []
    /// Lines and bytes covered so far, and the last line's instance.
    private(set) var lineCount = 0
    private(set) var byteCount = 0
    private(set) var lastInstance: InstanceNumber?

    init(stride: Int = defaultStride) {
        precondition(stride > 0, "an index needs a stride")
        self.stride = stride
    }

    /// An index read back (FileLineIndexFile).
    init(stride: Int, marks: [Mark], lineCount: Int, byteCount: Int, lastInstance: InstanceNumber?) {
        self.stride = stride
        self.marks = marks
        self.lineCount = lineCount
        self.byteCount = byteCount
        self.lastInstance = lastInstance
    }

    /// Records a line of `bytes` bytes for `instance`, starting at `byteCount`.
    mutating func addLine(instance: InstanceNumber, bytes: Int) {
        if lineCount % stride == 0 { marks.append(Mark(instance: instance, offset: byteCount)) }
        lineCount += 1
        byteCount += bytes
        lastInstance = instance
    }

    /// The offset of a line at or before the line of `instance`, from which reading finds it.
    func startOffset(forInstance instance: InstanceNumber) -> Int {
        var low = 0
        var high = marks.count
        while low < high {  // first mark with instance > the one sought
            let middle = (low + high) / 2
            if marks[middle].instance <= instance { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? 0 : marks[low - 1].offset
    }
}

/// Splitting the file's bytes into `<instance> <value>` lines.
enum FileLines {
    /// The lines wholly inside `bytes`, with their byte counts; the bytes after the last newline
    /// are left (a partial line: the caller reads more, or it is a torn tail).
    static func parse(_ bytes: ArraySlice<UInt8>) -> (lines: [(entry: FileEntry?, bytes: Int)], consumed: Int) {
        var lines: [(FileEntry?, Int)] = []
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: 0x0A) {
            lines.append((entry(bytes[start..<newline]), newline + 1 - start))
            start = newline + 1
        }
        return (lines, start - bytes.startIndex)
    }

    /// The instance of every whole line in `bytes` and its size, without decoding the values:
    /// what an index needs, at memchr's speed (start-up indexes the whole file, hundreds of MB
    /// after a long history). `body` gets nil for a line that is not `<digits> <text>`. Returns
    /// the bytes consumed, up to the last newline.
    static func scanInstances(_ bytes: ArraySlice<UInt8>, _ body: (InstanceNumber?, Int) throws -> Void) rethrows -> Int {
        try bytes.withUnsafeBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            var start = 0
            while start < buffer.count, let found = memchr(base + start, 0x0A, buffer.count - start) {
                let newline = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
                try body(instance(ofLine: UnsafeBufferPointer(rebasing: buffer[start..<newline])), newline + 1 - start)
                start = newline + 1
            }
            return start
        }
    }

    /// The instance of one line without its newline; nil if it is not `<digits> <text>`.
    static func instance<Line: Collection<UInt8>>(ofLine line: Line) -> InstanceNumber? {
        var instance: InstanceNumber = 0
        var digits = 0
        for byte in line {
            if byte == 0x20 { return digits > 0 ? instance : nil }
            guard byte >= 0x30, byte <= 0x39, digits < 20 else { return nil }
            let (times, overflow1) = instance.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(InstanceNumber(byte - 0x30))
            if overflow1 || overflow2 { return nil }
            instance = sum
            digits += 1
        }
        return nil
    }

    /// The entry of one line without its newline; nil if it is not `<digits> <text>`.
    static func entry(_ line: ArraySlice<UInt8>) -> FileEntry? {
        guard let space = line.firstIndex(of: 0x20), space > line.startIndex, space - line.startIndex <= 20 else { return nil }
        var instance: InstanceNumber = 0
        for digit in line[line.startIndex..<space] {
            guard digit >= 0x30, digit <= 0x39 else { return nil }
            let (times, overflow1) = instance.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(InstanceNumber(digit - 0x30))
            if overflow1 || overflow2 { return nil }
            instance = sum
        }
        return FileEntry(instance: instance, value: String(decoding: line[(space + 1)...], as: UTF8.self))
    }
}
