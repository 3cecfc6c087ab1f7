import Testing

@Test func placeholderPaxosStorageTests() {}
