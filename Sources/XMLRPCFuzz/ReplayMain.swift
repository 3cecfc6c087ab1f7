// Built for fuzzing (`-DFUZZING`, see scripts/fuzz.sh), libFuzzer supplies `main`. Built
// normally, this target replays inputs given as file paths through the same function, and
// `swift build` links.
#if !FUZZING
import FuzzReplay

@main
enum ReplayFuzzInputs {
    static func main() throws { try replayFuzzInputs(through: fuzzOneInput) }
}
#endif
