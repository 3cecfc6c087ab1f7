import Testing
@testable import XMLRPC
