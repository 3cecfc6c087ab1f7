import NIOCore
import NIOHTTP1

/// A request handed to a client connection: the document and where to report the answer.
struct XMLRPCClientRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    var deadline: NIODeadline
    var responsePromise: EventLoopPromise<XMLRPCClientResponse>
}

struct XMLRPCClientResponse: Sendable {
    var status: HTTPResponseStatus
    var isKeepAlive: Bool
    var headers: HTTPHeaders
    var body: ByteBuffer
}

/// One client connection: one request at a time, its response collected within the size limit
/// and the deadline. Everything runs on the channel's event loop, so the promise is completed
/// exactly once whichever of response, close, error or deadline comes first.
final class XMLRPCClientConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = XMLRPCClientRequest
    typealias OutboundOut = HTTPClientRequestPart

    private struct Pending {
        var promise: EventLoopPromise<XMLRPCClientResponse>
        var head: HTTPResponseHead?
        var body: ByteBuffer?
        var deadlineTimer: Scheduled<Void>
    }

    private let bodyBytesMax: Int
    private var pending: Pending?

    init(bodyBytesMax: Int) {
        self.bodyBytesMax = bodyBytesMax
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard pending == nil, context.channel.isActive else {
            // Nothing was written: the caller may safely retry on a new connection (a pooled
            // connection the server closed while it was idle ends up here).
            request.responsePromise.fail(ClosedBeforeResponse(reason: "connection not usable", neverSent: true))
            promise?.fail(ClosedBeforeResponse(reason: "connection not usable", neverSent: true))
            return
        }
        let timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: request.deadline) { [self] in
            fail(XMLRPCTransportError.timedOut, context: context)
        }
        pending = Pending(promise: request.responsePromise, deadlineTimer: timer)
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard var current = pending else { return }  // nothing asked: ignore
        switch unwrapInboundIn(data) {
        case .head(let head):
            current.head = head
            let declared = head.headers.first(name: "content-length").flatMap { Int($0) }
            if let declared, declared > bodyBytesMax {
                fail(XMLRPCTransportError.responseTooLarge(bytesMax: bodyBytesMax), context: context)
                return
            }
            current.body = context.channel.allocator.buffer(capacity: min(declared ?? 1024, bodyBytesMax))
            pending = current
        case .body(var part):
            pending = nil  // drop our reference so the append does not copy the buffer
            guard var body = current.body, body.readableBytes + part.readableBytes <= bodyBytesMax else {
                pending = current
                fail(XMLRPCTransportError.responseTooLarge(bytesMax: bodyBytesMax), context: context)
                return
            }
            body.writeBuffer(&part)
            current.body = body
            pending = current
        case .end:
            pending = nil
            current.deadlineTimer.cancel()
            guard let head = current.head else {
                current.promise.fail(XMLRPCTransportError.connectionClosed("response without a head"))
                context.close(promise: nil)
                return
            }
            current.promise.succeed(XMLRPCClientResponse(
                status: head.status, isKeepAlive: head.isKeepAlive, headers: head.headers,
                body: current.body ?? context.channel.allocator.buffer(capacity: 0)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failClosed("closed by the server", context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failClosed(String(describing: error), context: context)
    }

    private func failClosed(_ reason: String, context: ChannelHandlerContext) {
        if let current = pending, current.head == nil {
            fail(ClosedBeforeResponse(reason: reason, neverSent: false), context: context)
        } else {
            fail(XMLRPCTransportError.connectionClosed(reason), context: context)
        }
    }

    /// Fails the request in flight, if any, and closes: a connection whose response is
    /// abandoned half-read cannot carry another.
    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        if let current = pending {
            pending = nil
            current.deadlineTimer.cancel()
            current.promise.fail(error)
        }
        context.close(promise: nil)
    }
}

/// The connection ended before any of the response arrived. On a kept-alive connection this
/// is usually the server having closed it while idle; the client retries on a new one when that
/// is safe (see `neverSent`).
struct ClosedBeforeResponse: Error {
    var reason: String
    /// Nothing of the request left this side, so sending it again cannot run it twice.
    var neverSent: Bool
}
