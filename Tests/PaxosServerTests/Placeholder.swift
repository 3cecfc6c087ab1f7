import Testing

@Test func placeholderPaxosServerTests() {}
