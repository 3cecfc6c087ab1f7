// swift-tools-version:6.0
import PackageDescription

// Targets follow DESIGN.md section 2: dependencies point downward only.
//   PaxosCore      pure state machines (no Foundation, no NIO, no clock, no randomness)
//   PaxosStorage   WAL + recovery + replicated file (imports PaxosCore only)
//   XMLRPC         XML-RPC codec, server and client on SwiftNIO (knows nothing of Paxos)
//   PaxosServer    the node shell: runtime actor, peers, timers, admin, XML-RPC methods
//   PaxosSimulator deterministic simulation + model checker over the real core (never NIO)
//   PaxosClient    a failover client library (request ids, deadlines, retries); XMLRPC only
//   paxos          the command line: argument parsing and wiring only
// The core, its storage and the simulator are compiled optimized in debug builds too, with
// assertions kept (`-assert-config Debug`): the tests spend most of their time simulating and
// model checking this code, which runs several times faster optimized, and every `assert` still
// fires. The shell, the codec and the tests themselves stay unoptimized for debugging.
//
// Release builds of the modules whose code runs per message (the core, its storage, the codec
// and the simulator) expose their bodies to the modules that call them
// (`-cross-module-optimization`), so that their generics and small functions can be
// specialized and inlined where they are called, not only the few the default mode shares.
// Measured at stop 36, alternated with the build without it: 2% less CPU per submit and 2%
// more submits/s at 64 connections (scripts/cpu-per-submit.sh, six runs each), 1.5% more
// decisions/s in the simulator.
let crossModuleOptimization: SwiftSetting = .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))
let optimizedWithAssertions: [SwiftSetting] = [
    .unsafeFlags(["-O", "-assert-config", "Debug"], .when(configuration: .debug)),
    crossModuleOptimization,
]

let package = Package(
    name: "swift-paxos",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "paxos", targets: ["paxos"]),
        .library(name: "XMLRPC", targets: ["XMLRPC"]),
        .library(name: "PaxosCore", targets: ["PaxosCore"]),
        .library(name: "PaxosClient", targets: ["PaxosClient"]),
        .executable(name: "XMLRPCFuzz", targets: ["XMLRPCFuzz"]),
        .executable(name: "PeerFuzz", targets: ["PeerFuzz"]),
        .executable(name: "xmlrpc-bench", targets: ["xmlrpc-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // HMAC-SHA256 and HKDF for authenticated peer and admin calls (never hand-written crypto).
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        // Metrics (GET /metrics): the swift-metrics API over the Prometheus text format.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(name: "PaxosCore", swiftSettings: optimizedWithAssertions),
        .target(name: "PaxosStorage", dependencies: ["PaxosCore", "CRC32CHardware"], swiftSettings: optimizedWithAssertions),
        // The processor's CRC-32C instruction, which Swift cannot reach; C, for that alone.
        .target(name: "CRC32CHardware"),
        .target(
            name: "XMLRPC",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: [crossModuleOptimization]
        ),
        .target(
            name: "PaxosServer",
            dependencies: [
                "PaxosCore", "PaxosStorage", "XMLRPC",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // What applications link to talk to a cluster: no server code, no Paxos core.
        .target(
            name: "PaxosClient",
            dependencies: ["XMLRPC", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        .target(name: "PaxosSimulator", dependencies: ["PaxosCore", "PaxosStorage", "SequenceDiagram"],
                swiftSettings: optimizedWithAssertions),
        .target(name: "SequenceDiagram"),
        .target(name: "PaxosLab", dependencies: ["PaxosServer", "XMLRPC", "SequenceDiagram"]),
        .executableTarget(
            name: "paxos",
            dependencies: [
                "PaxosCore", "PaxosStorage", "PaxosServer", "PaxosSimulator", "XMLRPC", "SequenceDiagram", "PaxosLab",
                "PaxosClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // libFuzzer target over the XML-RPC decoder (scripts/fuzz-xmlrpc.sh); a replay tool otherwise.
        .executableTarget(name: "XMLRPCFuzz", dependencies: ["XMLRPC", "FuzzReplay"]),
        // libFuzzer target: authenticated paxos.peer calls decoded and fed to a real node core.
        .executableTarget(name: "PeerFuzz", dependencies: ["PaxosCore", "PaxosStorage", "PaxosServer", "XMLRPC", "FuzzReplay"]),
        .target(name: "FuzzReplay"),
        // Prints codec and loopback figures; not a test.
        .executableTarget(name: "xmlrpc-bench", dependencies: ["XMLRPC"]),
        .testTarget(name: "PaxosCoreTests", dependencies: ["PaxosCore"]),
        .testTarget(name: "PaxosStorageTests", dependencies: ["PaxosStorage", "PaxosCore"]),
        .testTarget(name: "XMLRPCTests", dependencies: ["XMLRPC"]),
        .testTarget(name: "PaxosSimulatorTests", dependencies: ["PaxosSimulator", "PaxosCore", "PaxosStorage", "SequenceDiagram"]),
        .testTarget(name: "PaxosServerTests", dependencies: ["PaxosServer", "PaxosCore", "XMLRPC", "PaxosClient"]),
        .testTarget(name: "PaxosLabTests", dependencies: ["PaxosLab", "PaxosServer", "SequenceDiagram", "XMLRPC"]),
    ]
)
