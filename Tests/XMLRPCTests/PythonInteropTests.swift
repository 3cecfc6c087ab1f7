import Foundation
import Testing
@testable import XMLRPC

/// Python's standard library is the judge: its client against our server, our client against
/// its server, every type, exact equality.
@Suite(.serialized) struct PythonInteropTests {
    static let pythonClientScript = #"""
import sys, datetime, http.client, xmlrpc.client
from xmlrpc.client import Binary, DateTime, Fault

port = int(sys.argv[1])
url = "http://127.0.0.1:%d/RPC2" % port
proxy = xmlrpc.client.ServerProxy(url, allow_none=True)
builtin = xmlrpc.client.ServerProxy(url, allow_none=True, use_builtin_types=True)
failures = []

def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b

def check(name, server, value, expected=None):
    expected = value if expected is None else expected
    try:
        got = server.echo(value)
    except Exception as error:
        failures.append("%s: %r raised %r" % (name, value, error))
        return
    if not same(got, expected):
        failures.append("%s: sent %r, expected %r, got %r" % (name, value, expected, got))

check("int", proxy, 42)
check("zero", proxy, 0)
check("negative", proxy, -17)
check("int32 max", proxy, 2**31 - 1)
check("int32 min", proxy, -2**31)
check("true", proxy, True)
check("false", proxy, False)
check("string", proxy, "hello")
check("empty string", proxy, "")
check("markup", proxy, "a<b & c>d ]]> <![CDATA[x]]> &amp; &#60;")
check("quotes", proxy, "'single' \"double\"")
check("unicode", proxy, "naïve 日本語 😀👍🏽 \u200b")
check("whitespace", proxy, "  \n\t  ")
check("crlf is normalized by XML", proxy, "a\r\nb\rc", "a\nb\nc")
check("double", proxy, 3.141592653589793)
check("negative double", proxy, -2.5e-300)
check("largest double", proxy, 1.7976931348623157e308)
check("smallest double", proxy, 5e-324)
check("integral double", proxy, 1e16)
check("negative zero", proxy, -0.0)
check("infinity", proxy, float("inf"))
check("minus infinity", proxy, float("-inf"))
check("binary", proxy, Binary(bytes(range(256)) * 3))
check("empty binary", proxy, Binary(b""))
check("DateTime", proxy, DateTime("19980717T14:08:55"))
check("bytes", builtin, bytes(range(256)))
check("datetime", builtin, datetime.datetime(2024, 2, 29, 23, 59, 1))
check("None", proxy, None)
check("empty list", proxy, [])
check("empty dict", proxy, {})
check("list", proxy, [1, "two", 3.0, None, [True, [], {}], Binary(b"\x00\xff")])
check("nested", proxy, {"a": 1, "nested": {"b": [1, {"c": "d", "e": [None, -1]}]}, "": "empty key",
                        "emoji 😀 & <key>": "value", "deep": [[[[[["bottom"]]]]]]})

# Python cannot send ints beyond 32 bits, but it reads <i8>: post one by hand and read ours.
for value in (2**31, -2**31 - 1, 2**63 - 1, -2**63):
    body = "<?xml version='1.0'?><methodCall><methodName>echo</methodName><params><param><value><i8>%d</i8></value></param></params></methodCall>" % value
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("POST", "/RPC2", body, {"Content-Type": "text/xml"})
    response = connection.getresponse()
    (result,), _ = xmlrpc.client.loads(response.read())
    connection.close()
    if result != value:
        failures.append("i8 %d came back as %r" % (value, result))

def expect_fault(name, code, call):
    try:
        call()
        failures.append("%s: no fault" % name)
    except Fault as fault:
        if fault.faultCode != code:
            failures.append("%s: fault %r" % (name, fault))

expect_fault("unknown method", -32601, lambda: proxy.nope())
expect_fault("wrong count", -32602, lambda: proxy.echo(1, 2))
expect_fault("wrong type", -32602, lambda: proxy.add(1, "2"))
expect_fault("handler fault", 77, lambda: proxy.fail(77, "seventy-seven"))
expect_fault("handler error", -32603, lambda: proxy.crash())

methods = proxy.system.listMethods()
if methods != sorted(methods) or "echo" not in methods or "system.multicall" not in methods:
    failures.append("listMethods: %r" % methods)
if proxy.system.methodHelp("add") != "Adds two ints.":
    failures.append("methodHelp")
if proxy.system.methodSignature("add") != [["int", "int", "int"]]:
    failures.append("methodSignature")

multicall = xmlrpc.client.MultiCall(proxy)
multicall.echo("one")
multicall.add(1, 2)
multicall.nope()
results = multicall()
if results[0] != "one" or results[1] != 3:
    failures.append("multicall results %r" % (results.results,))
try:
    results[2]
    failures.append("multicall: no fault for the unknown method")
except Fault as fault:
    if fault.faultCode != -32601:
        failures.append("multicall fault %r" % fault)

if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
print("ok")
"""#

    static let pythonServerScript = #"""
import sys, xmlrpc.server, xmlrpc.client

server = xmlrpc.server.SimpleXMLRPCServer(("127.0.0.1", 0), allow_none=True, use_builtin_types=True, logRequests=False)
server.register_function(lambda value: value, "echo")
server.register_function(lambda value: "%s:%r" % (type(value).__name__, value), "describe")
def fail(code, message):
    raise xmlrpc.client.Fault(code, message)
server.register_function(fail, "fail")
server.register_introspection_functions()
server.register_multicall_functions()
print(server.server_address[1], flush=True)
server.serve_forever()
"""#

    @Test func pythonClientAgainstSwiftServer() async throws {
        try await withTestServer { _, port async throws in
            let python = try PythonProcess(script: Self.pythonClientScript, arguments: [String(port)])
            defer { python.stop() }
            let status = try await python.exitStatus()
            #expect(status == 0, "python reported:\n\(python.standardError)")
            #expect(python.standardOutput == "ok\n")
        }
    }

    static let valuesPythonEchoes: [(name: String, value: XMLRPCValue)] = [
        ("int", 42), ("zero", 0), ("int32 max", .int(Int(Int32.max))), ("int32 min", .int(Int(Int32.min))),
        ("true", true), ("false", false),
        ("string", "hello"), ("empty string", ""), ("markup", "a<b & c>d ]]> <![CDATA[x]]> &amp;"),
        ("unicode", "naïve 日本語 😀👍🏽"), ("whitespace", "  \n\t  "),
        ("double", 3.141592653589793), ("negative double", -2.5e-300), ("largest double", 1.7976931348623157e308),
        ("smallest double", .double(.leastNonzeroMagnitude)), ("negative zero", -0.0),
        ("infinity", .double(.infinity)), ("minus infinity", .double(-.infinity)),
        ("binary", .base64(Array(0...255) + Array(0...255))), ("empty binary", .base64([])),
        ("dateTime", .dateTime(XMLRPCDateTime(year: 1998, month: 7, day: 17, hour: 14, minute: 8, second: 55)!)),
        ("nil", .nil), ("empty array", []), ("empty struct", .struct([:])),
        ("array", [1, "two", 3.0, .nil, [true, [], .struct([:])], .base64([0, 255])]),
        ("nested", ["a": 1, "nested": ["b": [1, ["c": "d", "e": [.nil, -1]]]], "": "empty key",
                    "emoji 😀 & <key>": "value", "deep": [[[[[["bottom"]]]]]]]),
    ]

    @Test func swiftClientAgainstPythonServer() async throws {
        let python = try PythonProcess(script: Self.pythonServerScript)
        defer { python.stop() }
        let port = try #require(Int(try await python.firstLine()))
        let client = XMLRPCClient(host: "127.0.0.1", port: port)
        defer { Task { await client.shutdown() } }

        for (name, value) in Self.valuesPythonEchoes {
            let echoed = try await client.call("echo", [value])
            #expect(echoed == value, "\(name)")
            if case .double(let sent) = value, case .double(let got) = echoed {
                #expect(sent.sign == got.sign, "\(name): sign of zero")
            }
        }
        // Python reads <i8> (it cannot write one, so its echo would fault).
        #expect(try await client.call("describe", [.int(Int.max)]) == "int:9223372036854775807")
        #expect(try await client.call("describe", [.int(Int.min)]) == "int:-9223372036854775808")
        #expect(try await client.call("describe", ["<&>"]) == "str:'<&>'")
        #expect(try await client.call("describe", [.nil]) == "NoneType:None")
        do {
            _ = try await client.call("echo", [.int(Int.max)])
            Issue.record("Python echoed an int it cannot marshal")
        } catch let fault as XMLRPCFault {
            #expect(fault.message.contains("OverflowError"))
        }
        await #expect(throws: XMLRPCFault(code: 99, message: "ninety-nine")) { try await client.call("fail", [99, "ninety-nine"]) }

        let methods = try #require(try await client.call("system.listMethods").arrayValue)
        #expect(methods.contains("echo") && methods.contains("system.multicall"))
        let multicall = try await client.call("system.multicall", [[
            ["methodName": "echo", "params": ["one"]],
            ["methodName": "fail", "params": [5, "five"]],
        ]])
        #expect(multicall == [["one"], ["faultCode": 5, "faultString": "five"]])
    }
}
