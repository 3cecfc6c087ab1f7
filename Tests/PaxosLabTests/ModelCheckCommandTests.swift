import Foundation
import Testing

/// `paxos model-check` refuses a limit it cannot honour with a message that says what to fix,
/// and a search stopped by its limit says so and fails.
@Suite struct ModelCheckCommandTests {
    @Test func aStatesLimitBeyondThirtyTwoBitsIsRefused() async throws {
        for value in ["0", "3000000000"] {
            let run = try await runPaxos(["model-check", "--states-max", value], timeoutSeconds: 60)
            #expect(run.status == 64, "\(value): \(run.errors)")
            #expect(run.errors.contains("--states-max must be within 1...2147483647"), "\(value): \(run.errors)")
            #expect(!run.output.contains("states,"), "\(value): the search must not start")
        }
    }

    @Test func aSearchStoppedAtItsLimitSaysSoAndFails() async throws {
        let run = try await runPaxos(["model-check", "--states-max", "500", "--workers", "1"], timeoutSeconds: 60)
        #expect(run.status == 1)
        #expect(run.output.contains("stopped at the limit of 500 states: not exhaustive"), "\(run.output)")
    }
}
