import Testing

@Test func placeholderPaxosCoreTests() {}
