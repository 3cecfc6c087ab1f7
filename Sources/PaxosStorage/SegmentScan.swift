import Foundation
import PaxosCore

/// What one segment file holds: its frames in order, and how it ends.
///
/// The rules of DESIGN.md section 4, per segment: after the last valid frame there may be
/// nothing, or zeros (the preallocated space not yet written: the normal end), or a torn record
/// (damage with nothing valid after it). Damage followed by a valid frame is corruption and
/// throws here, naming file and offset. Whether a torn ending is acceptable depends on where the
/// segment is (only the last one may be torn); that is WALRecovery's call.
struct SegmentScan {
    enum Item: Equatable {
        case record(DurableRecord)
        case marker(CheckpointMarker)
    }

    enum Ending: Equatable {
        /// End of file, or only zeros after the last frame.
        case clean
        /// An invalid frame at `validBytes`, with nothing valid after it: `bytes` of damage
        /// (up to the last nonzero byte), which recovery cuts off if the segment is the last.
        case torn(reason: String, bytes: Int)
    }

    var items: [Item] = []
    /// Where the frames end and the tail (zeros or damage) starts.
    var validBytes = 0
    var ending = Ending.clean
    /// The size of the file (frames + tail).
    var fileBytes = 0

    /// Whether the segment starts with a checkpoint, and if so whether it is whole.
    enum CheckpointState: Equatable {
        case none
        case complete(recordCount: Int)
        case incomplete
    }

    static func scan(_ bytes: [UInt8], path: String) throws(StorageError) -> SegmentScan {
        var scan = SegmentScan()
        scan.fileBytes = bytes.count
        var offset = 0
        while offset < bytes.count {
            switch WALFormat.frame(in: bytes, at: offset) {
            case .valid(let payload, let next):
                do {
                    if let marker = try CheckpointMarker.decode(bytes[payload]) {
                        scan.items.append(.marker(marker))
                    } else {
                        scan.items.append(.record(try RecordCodec.decode(bytes[payload])))
                    }
                } catch {
                    throw StorageError.unreadableRecord(path: path, offset: offset, reason: error.description)
                }
                offset = next
            case .invalid(let reason):
                scan.validBytes = offset
                guard let lastNonzero = lastNonzeroIndex(bytes, from: offset) else { return scan }  // zeros: the end
                if validFrameExists(in: bytes, after: offset, through: lastNonzero) {
                    throw StorageError.corruptRecord(path: path, offset: offset, reason: reason)
                }
                scan.ending = .torn(reason: "\(reason) at offset \(offset)", bytes: lastNonzero + 1 - offset)
                return scan
            }
        }
        scan.validBytes = offset
        return scan
    }

    /// The checkpoint at the start of this segment, checked for shape: markers anywhere else,
    /// or a begin and end that disagree, are corruption (no writer produces them).
    func checkpoint(path: String) throws(StorageError) -> CheckpointState {
        var markerPositions = items.indices.filter { if case .marker = items[$0] { return true } else { return false } }
        guard let first = markerPositions.first else { return .none }
        guard first == 0, case .marker(.begin(let count)) = items[0] else {
            throw StorageError(kind: .corruption, path: path,
                               description: "\(path): a checkpoint marker that does not open the segment (refusing to start)")
        }
        markerPositions.removeFirst()
        guard let end = markerPositions.first else { return .incomplete }
        guard markerPositions.count == 1, case .marker(.end(let endCount)) = items[end], endCount == count,
              UInt64(end - 1) == count else {
            throw StorageError(kind: .corruption, path: path,
                               description: "\(path): a checkpoint whose markers disagree (refusing to start)")
        }
        return .complete(recordCount: Int(count))
    }

    var records: [DurableRecord] {
        items.compactMap { if case .record(let record) = $0 { return record } else { return nil } }
    }

    /// The index of the last nonzero byte at or after `offset`, nil if there is none. Compares
    /// whole chunks with memcmp: a preallocated tail is a megabyte of zeros, and a byte loop in
    /// an unoptimized build costs more than the rest of recovery.
    static func lastNonzeroIndex(_ bytes: [UInt8], from offset: Int) -> Int? {
        let chunk = zeroChunk.count
        return bytes.withUnsafeBytes { buffer -> Int? in
            var end = buffer.count
            while end > offset {
                let start = max(offset, end - chunk)
                let isZero = zeroChunk.withUnsafeBytes { memcmp(buffer.baseAddress! + start, $0.baseAddress!, end - start) == 0 }
                if !isZero {
                    var index = end - 1
                    while buffer[index] == 0 { index -= 1 }
                    return index
                }
                end = start
            }
            return nil
        }
    }

    /// The first nonzero byte at or after `offset` (`limit` if none before it).
    static func firstNonzeroIndex(_ bytes: [UInt8], from offset: Int, limit: Int) -> Int {
        let chunk = zeroChunk.count
        return bytes.withUnsafeBytes { buffer -> Int in
            var start = offset
            while start < limit {
                let end = min(limit, start + chunk)
                let isZero = zeroChunk.withUnsafeBytes { memcmp(buffer.baseAddress! + start, $0.baseAddress!, end - start) == 0 }
                if !isZero {
                    var index = start
                    while buffer[index] == 0 { index += 1 }
                    return index
                }
                start = end
            }
            return limit
        }
    }

    private static let zeroChunk = [UInt8](repeating: 0, count: 4096)

    /// WALFormat.validFrameExists, but skipping runs of zeros: a plausible length (>= 2) has a
    /// nonzero byte among its four, so a frame can only start within 3 bytes before a nonzero
    /// byte. Without this, a torn record in a preallocated segment would try every one of the
    /// megabytes of zero positions after it.
    private static func validFrameExists(in bytes: [UInt8], after offset: Int, through lastNonzero: Int) -> Bool {
        var candidate = offset + 1
        while candidate <= lastNonzero {
            if bytes[candidate] == 0, candidate + 3 <= lastNonzero,
               bytes[candidate + 1] == 0, bytes[candidate + 2] == 0, bytes[candidate + 3] == 0 {
                candidate = firstNonzeroIndex(bytes, from: candidate + 4, limit: lastNonzero + 1) - 3
                continue
            }
            if WALFormat.isValidFrame(in: bytes, at: candidate) { return true }
            candidate += 1
        }
        return false
    }
}
