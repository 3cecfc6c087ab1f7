import Testing

@Test func placeholderPaxosSimulatorTests() {}
