import PaxosSimulator
import Testing

/// One seed, one run: the same seed and options give the same events, figures and printout.
@Suite struct DeterminismTests {
    @Test func sameSeedReplaysTheSameRunByteForByte() {
        let options = SimulationOptions(nodes: 5, steps: 500, faults: .all)
        for seed in [UInt64(7), 42, 1_000_003] {
            let first = Simulator.runTraced(seed: seed, options: options)
            let second = Simulator.runTraced(seed: seed, options: options)
            #expect(first.figures == second.figures)
            #expect(first.trace == second.trace)
            #expect(SimulationReport.line(for: first) == SimulationReport.line(for: second))
        }
    }

    @Test func tracingChangesNothingButTheRecord() {
        let options = SimulationOptions(nodes: 3, steps: 500, faults: .all)
        for seed in UInt64(1)...20 {
            #expect(Simulator.run(seed: seed, options: options).figures == Simulator.runTraced(seed: seed, options: options).figures)
        }
    }

    @Test func differentSeedsGiveDifferentRuns() {
        let options = SimulationOptions(nodes: 3, steps: 500, faults: .all)
        let figures = Set((UInt64(1)...10).map { Simulator.run(seed: $0, options: options).figures })
        #expect(figures.count > 5)
    }

    @Test func faultListsParseAndPrintCanonically() throws {
        #expect(try FaultMix(parsing: "crash, drop").description == "drop,crash")
        #expect(try FaultMix(parsing: "all").description == "all")
        #expect(try FaultMix(parsing: "none").description == "none")
        #expect(throws: FaultMix.ParseError.self) { try FaultMix(parsing: "meteor") }
    }

    @Test func replayCommandNamesEverythingThatShapesTheRun() {
        var options = SimulationOptions(nodes: 5, steps: 300, faults: .network)
        options.mutations = [.acceptorAcceptsBelowPromise]
        #expect(SimulationReport.replayCommand(seed: 9, options: options)
                == "paxos simulate --seed 9 --nodes 5 --steps 300 --faults drop,duplicate,reorder,delay,partition --mutation acceptorAcceptsBelowPromise")
        options.peerCalls = false
        #expect(SimulationReport.replayCommand(seed: 9, options: options).contains(" --peer-messages alone --mutation"))
        // A swarm seed names how its messages travel only where its draw would say otherwise.
        let drawsCalls = (UInt64(1)...50).first { SwarmOptions.draw(seed: $0).peerCalls }!
        let drawsAlone = (UInt64(1)...50).first { !SwarmOptions.draw(seed: $0).peerCalls }!
        var forcedAlone = SimulationOptions()
        forcedAlone.peerCalls = false
        #expect(SimulationReport.replayCommand(seed: drawsCalls, options: SwarmOptions.draw(seed: drawsCalls, base: forcedAlone))
                == "paxos simulate --seed \(drawsCalls) --swarm --peer-messages alone")
        #expect(SimulationReport.replayCommand(seed: drawsAlone, options: SwarmOptions.draw(seed: drawsAlone))
                == "paxos simulate --seed \(drawsAlone) --swarm")
    }
}
