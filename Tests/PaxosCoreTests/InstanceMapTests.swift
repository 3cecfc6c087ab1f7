@testable import PaxosCore
import Testing

// The per-instance state of a node lives in InstanceMap; it must behave exactly as a
// dictionary keyed by instance, whatever the order and spread of the instances.

@Suite("InstanceMap behaves as a dictionary by instance")
struct InstanceMapTests {
    @Test("random sets, changes in place and removals, near and far, agree with a dictionary", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func agreesWithADictionary(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var map = InstanceMap<Int>()
        var model: [InstanceNumber: Int] = [:]
        var frontier: InstanceNumber = 1
        for step in 0..<5_000 {
            let instance: InstanceNumber
            switch random.next() % 10 {
            case 0: instance = random.next() % 1_000_000_000_000 + 1        // far away
            case 1: instance = frontier + InstanceMap<Int>.reach + random.next() % 10  // just out of reach
            case 2: instance = max(1, frontier &- random.next() % 9_000)     // well behind
            default: instance = frontier + random.next() % 8                  // near the end of the log
            }
            switch random.next() % 4 {
            case 0:
                #expect(map.removeValue(forKey: instance) == model.removeValue(forKey: instance))
            case 1:
                // In place, and only where a value is.
                let changed = map.update(instance) { value -> Int in
                    value += 1
                    return value
                }
                if model[instance] != nil { model[instance]! += 1 }
                #expect(changed == model[instance])
            default:
                map[instance] = step
                model[instance] = step
            }
            if random.next() % 4 == 0 { frontier += 1 }
            #expect(map[instance] == model[instance])
            #expect(map.contains(instance) == (model[instance] != nil))
            #expect(map.count == model.count)
        }
        #expect(map.instances == model.keys.sorted())
        for (instance, value) in model { #expect(map[instance] == value) }
        #expect(map.entries.map(\.value) == model.keys.sorted().map { model[$0]! })
    }

    @Test("maps with the same contents are equal and hash alike, whatever order built them")
    func equalityIsByContents() {
        let instances: [InstanceNumber] = [7, 1, 5_000, 3, 9_000_000, 2, 4_100, 6]
        var forward = InstanceMap<String>()
        for instance in instances { forward[instance] = "v\(instance)" }
        var backward = InstanceMap<String>()
        for instance in instances.reversed() { backward[instance] = "v\(instance)" }
        var roundabout = InstanceMap<String>()
        for instance in instances.sorted() { roundabout[instance] = "v\(instance)" }
        roundabout[8] = "gone"
        roundabout[8] = nil
        #expect(forward == backward)
        #expect(forward == roundabout)
        #expect(forward.hashValue == backward.hashValue)
        #expect(forward.hashValue == roundabout.hashValue)
        backward[3] = "other"
        #expect(forward != backward)
        #expect(InstanceMap<String>() == InstanceMap<String>())
    }

    @Test("removing the first values moves the window up; the rest stays reachable")
    func windowFollowsTheValues() {
        var map = InstanceMap<Int>()
        for instance in 1...10 as ClosedRange<InstanceNumber> { map[instance] = Int(instance) }
        for instance in 1...9 as ClosedRange<InstanceNumber> { map[instance] = nil }
        #expect(map.count == 1)
        #expect(map[10] == 10)
        map[2] = 2
        #expect(map.instances == [2, 10])
        map[10] = nil
        map[2] = nil
        #expect(map.isEmpty)
        map[1_000_000] = 1
        #expect(map.instances == [1_000_000])
    }
}
