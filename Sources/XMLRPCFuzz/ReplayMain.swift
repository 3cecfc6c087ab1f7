// Built for fuzzing (`-DXMLRPC_FUZZING`, see scripts/fuzz-xmlrpc.sh), libFuzzer supplies
// `main`. Built normally, this target replays inputs given as file paths through the same
// function, so a crash file can be reproduced without sanitizers, and `swift build` links.
#if !XMLRPC_FUZZING
import Foundation

@main
enum ReplayFuzzInputs {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            _ = bytes.withUnsafeBufferPointer { buffer in
                fuzzOneInput(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
            }
            print("ok \(path)")
        }
    }
}
#endif
