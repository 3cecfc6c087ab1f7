import Foundation

/// The `main` of a fuzz target built without libFuzzer: runs each file named on the command
/// line through the target's function, so a crash file is reproduced without sanitizers.
public func replayFuzzInputs(through fuzzOneInput: (UnsafePointer<UInt8>, Int) -> CInt) throws {
    for path in CommandLine.arguments.dropFirst() {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        _ = bytes.withUnsafeBufferPointer { buffer in
            fuzzOneInput(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
        }
        print("ok \(path)")
    }
}
