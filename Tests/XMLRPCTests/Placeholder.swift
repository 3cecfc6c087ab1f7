import Testing

@Test func placeholderXMLRPCTests() {}
