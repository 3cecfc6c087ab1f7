import PaxosSimulator
import Testing

/// `paxos simulate --cost`: a run timed event by event is the same run, and every event and
/// decision lands in exactly one row.
@Suite struct SimulationCostTests {
    /// A clock that advances a fixed step each time it is read: every event then measures
    /// exactly one step, whatever the machine.
    private final class SteppingClock: @unchecked Sendable {
        private var now: UInt64 = 0
        func read() -> UInt64 {
            now += 1_000
            return now
        }
    }

    @Test func aTimedRunIsTheSameRunAndAccountsForEveryEvent() throws {
        let options = SimulationOptions(nodes: 3, steps: 400, faults: .all)
        for seed in UInt64(1)...8 {
            let clock = SteppingClock()
            let timed = Simulator.run(seed: seed, options: options, costClock: { clock.read() })
            let plain = Simulator.run(seed: seed, options: options)
            #expect(timed.figures == plain.figures)
            #expect(plain.cost == nil)
            let cost = try #require(timed.cost)
            #expect(cost.events(in: .faults) == options.steps)
            #expect(cost.events(in: .faults) + cost.events(in: .calm) == timed.figures.events)
            #expect(cost.decisions.reduce(0, +) == timed.figures.decisions)
            // One step of the clock between the two reads around each event.
            #expect(cost.nanoseconds(in: .faults) == UInt64(cost.events(in: .faults)) * 1_000)
            #expect(cost.nanoseconds(in: .calm) == UInt64(cost.events(in: .calm)) * 1_000)
            #expect(cost.events(.submit, in: .faults) > 0 && cost.events(.peerCall, in: .faults) > 0)
        }
    }

    /// A failing run is run again with tracing, without the clock: the result keeps the
    /// measurement of the first run, which accounts for every event of the traced one.
    @Test func aFailingRunKeepsItsCost() throws {
        var options = SimulationOptions(nodes: 5, steps: 600, faults: .all)
        options.mutations = [.proposerIgnoresAcceptedValues]
        let clock = SteppingClock()
        let result = Simulator.run(seed: 1, options: options, costClock: { clock.read() })
        #expect(result.violation != nil && !result.trace.isEmpty)
        let cost = try #require(result.cost)
        #expect(cost.events(in: .faults) + cost.events(in: .calm) == result.figures.events)
    }

    @Test func theTableHasARowForEachKindThatHappenedAndSumsRunsTogether() throws {
        let options = SimulationOptions(nodes: 3, steps: 300, faults: .none)
        var total = SimulationCost()
        for seed in UInt64(1)...3 {
            let clock = SteppingClock()
            total.add(try #require(Simulator.run(seed: seed, options: options, costClock: { clock.read() }).cost))
        }
        let table = total.table()
        #expect(table.contains("peer call") && table.contains("submit") && table.contains("all"))
        // No crash fault in the mix: no crash or restart row.
        #expect(!table.contains("crash") && !table.contains("restart"))
        #expect(total.events(in: .faults) == 3 * options.steps)
    }
}
