/// The simulator's entry points.
public enum Simulator {
    /// Runs one seed. A failing run is run again with tracing on, which changes nothing but the
    /// record it keeps, so the trace shows the very steps that failed.
    ///
    /// With `costClock` (a monotonic clock in nanoseconds), the result also says where the run's
    /// time went (`SimulationCost`); the run is the same. A failing run keeps the cost measured
    /// without tracing, which the traced run would add to.
    public static func run(seed: UInt64, options: SimulationOptions,
                           costClock: (@Sendable () -> UInt64)? = nil) -> SimulationResult {
        let result = Simulation(seed: seed, options: options, costClock: costClock).run()
        guard result.violation != nil else { return result }
        var traced = Simulation(seed: seed, options: options, tracing: true).run()
        traced.cost = result.cost
        return traced
    }

    /// Runs one seed with its trace, failing or not.
    public static func runTraced(seed: UInt64, options: SimulationOptions,
                                 costClock: (@Sendable () -> UInt64)? = nil) -> SimulationResult {
        Simulation(seed: seed, options: options, tracing: true, costClock: costClock).run()
    }
}
