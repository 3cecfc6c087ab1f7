import Foundation
import PaxosCore
import PaxosSimulator
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The exhaustive search over the real core. The state counts are pinned: a change in the core or
/// the model that changes them should be noticed and explained, not slip by.
@Suite struct ModelCheckerTests {
    /// Without crashes: every interleaving of two proposers over three acceptors, with duplicates.
    @Test func twoProposersThreeAcceptorsWithoutCrashesHaveNoViolation() async {
        let result = await onOwnThread { ModelChecker.check(ModelCheckOptions(acceptors: 3, proposers: 2, rounds: 1, crashes: 0)) }
        #expect(result.violation == nil)
        #expect(!result.truncated)
        #expect(result.states == 23_233)
        #expect(result.depth == 21)
    }

    /// The default configuration (`paxos model-check` without options), one crash included:
    /// 10 million transitions (a crash may come before or after the fsync of a decision,
    /// `Ready.persistEventually`), about 40 s on one core. It searches with a worker per core,
    /// the other tests here with one: the counts pinned are the same either way.
    @Test func defaultConfigurationHasNoViolation() async {
        var options = ModelCheckOptions()
        options.workers = ProcessInfo.processInfo.activeProcessorCount
        let result = await onOwnThread(critical: true) { [options] in ModelChecker.check(options) }
        #expect(result.violation == nil)
        #expect(!result.truncated)
        #expect(result.states == 498_098)
        #expect(result.depth == 25)
    }

    @Test func aSingleProposerAlwaysGetsItsValueChosenSafely() async {
        let result = await onOwnThread { ModelChecker.check(ModelCheckOptions(acceptors: 3, proposers: 1, rounds: 2, crashes: 0)) }
        #expect(result.violation == nil)
        #expect(!result.truncated)
        #expect(result.states > 100)
    }

    @Test func counterexampleIsAShortestPathAndPrinted() async {
        var options = ModelCheckOptions()
        options.mutations = [.acceptorAcceptsBelowPromise]
        let result = await onOwnThread(critical: true) { [options] in ModelChecker.check(options) }
        #expect(result.counterexample.count == result.depth)
        let text = ModelCheckReport.text(for: result)
        #expect(text.contains("VIOLATION of agreement"))
        #expect(text.contains("counterexample (\(result.depth) moves)"))
    }
}

/// Multi-Paxos through submits, with the live configuration: bounded in depth (the state space
/// of range promises, leadership and self-delivery grows about twofold per move).
@Suite struct MultiPaxosModelCheckerTests {
    @Test func submitsAndAContendingProposeKeepAgreementWithinTenMoves() async {
        var options = ModelCheckOptions(acceptors: 3, proposers: 1, rounds: 1, crashes: 0)
        options.multiPaxos = true
        options.heartbeats = 0
        options.depthMax = 10
        let result = await onOwnThread(critical: true) { [options] in ModelChecker.check(options) }
        #expect(result.violation == nil)
        #expect(result.depthBounded)
        #expect(result.states > 1_000)
    }
}
