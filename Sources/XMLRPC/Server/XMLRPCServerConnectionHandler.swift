import NIOCore
import NIOHTTP1

/// One HTTP connection of the server: routes each request, collects its body within the
/// limit, runs the call as a task (on `XMLRPCServerConfiguration.handlerExecutor`) and writes the answer.
///
/// Answers leave in request order: what a pipelining client sends while a call runs waits in
/// `backlog`, and the socket is not read meanwhile. A client that waits for each answer (all
/// but a few) never fills the backlog, so the socket stays registered for reading between its
/// requests. (NIO's pipelining handler, used before, withheld reading after every request and
/// asked for it again after every answer: two `epoll_ctl` calls per request.)
final class XMLRPCServerConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Between requests.
        case idle
        /// Collecting the body of a call.
        case receiving(head: HTTPRequestHead, body: ByteBuffer)
        /// Reading past a body we will not use (wrong path or method), to answer `status` after it.
        case discarding(head: HTTPRequestHead, status: HTTPResponseStatus)
        /// A `GET` of one of the configured resources, answered at the end of the request.
        case fetching(head: HTTPRequestHead, resource: XMLRPCResource)
        /// The call is running or its answer is being written.
        case responding
        /// An answer that closes the connection has been sent; later parts are ignored.
        case closing
    }

    private let configuration: XMLRPCServerConfiguration
    private let registry: XMLRPCMethodRegistry
    private var state = State.idle
    /// When the current phase began: an idle connection's last answer, or a request's head.
    private var phaseStarted = NIODeadline.now()
    /// The one timer that enforces `idleTimeout` and `readTimeout`, and when it fires. It is
    /// moved only to fire sooner; firing early, it looks at the phase then and sleeps again.
    /// (A timer armed and cancelled for each request and each answer, as before, was two
    /// schedulings and two cancellations per call: 5 % of a busy leader's loop.)
    private var watchdog: Scheduled<Void>?
    private var watchdogDue = NIODeadline.distantFuture
    /// Closes a lingering connection (`closeLingering`).
    private var lingerTimer: Scheduled<Void>?
    /// Parts of requests that arrived while an earlier one was being answered, in order.
    private var backlog = CircularBuffer<HTTPServerRequestPart>(initialCapacity: 0)
    /// A read the channel asked for while the backlog held something: done once it is empty.
    private var readHeld = false

    init(configuration: XMLRPCServerConfiguration, registry: XMLRPCMethodRegistry) {
        self.configuration = configuration
        self.registry = registry
    }

    func channelActive(context: ChannelHandlerContext) {
        startTimedPhase(context: context)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startTimedPhase(context: context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        backlog.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch state {
        case .closing:
            return
        case .responding:
            backlog.append(part)
        case .idle, .receiving, .discarding, .fetching:
            if backlog.isEmpty { handle(part, context: context) } else { backlog.append(part) }
        }
    }

    /// Reads only while nothing waits in the backlog: what a pipelining client sends beyond
    /// one read's worth waits in its socket, however much it sends.
    func read(context: ChannelHandlerContext) {
        if backlog.isEmpty { context.read() } else { readHeld = true }
    }

    /// After an answer that keeps the connection: the requests that waited meanwhile, until one
    /// of them is a call in progress again.
    private func handleBacklog(context: ChannelHandlerContext) {
        while !backlog.isEmpty {
            switch state {
            case .responding, .closing: return
            case .idle, .receiving, .discarding, .fetching: handle(backlog.removeFirst(), context: context)
            }
        }
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            onHead(head, context: context)
        case .body(let part):
            onBody(part, context: context)
        case .end:
            onEnd(context: context)
        }
    }

    private func onHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        defer { startTimedPhase(context: context) }
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if let resource = configuration.resources[path] {
            state = head.method == .GET ? .fetching(head: head, resource: resource) : .discarding(head: head, status: .methodNotAllowed)
            return
        }
        guard configuration.paths.contains(path) else {
            state = .discarding(head: head, status: .notFound)
            return
        }
        guard head.method == .POST else {
            state = .discarding(head: head, status: .methodNotAllowed)
            return
        }
        let declaredLength = head.headers.first(name: "content-length").flatMap { Int($0) }
        if let declaredLength, declaredLength > configuration.bodyBytesMax {
            rejectTooLarge(head: head, context: context)
            return
        }
        // Reserve what was announced (already known to be within the limit); chunked bodies grow.
        let body = context.channel.allocator.buffer(capacity: declaredLength ?? 1024)
        state = .receiving(head: head, body: body)
    }

    private func onBody(_ part: ByteBuffer, context: ChannelHandlerContext) {
        guard case .receiving(let head, var body) = state else { return }
        // Counting as the bytes arrive catches chunked bodies, which announce no length.
        guard body.readableBytes + part.readableBytes <= configuration.bodyBytesMax else {
            rejectTooLarge(head: head, context: context)
            return
        }
        state = .responding  // drop our reference so the append does not copy the buffer
        var part = part
        body.writeBuffer(&part)
        state = .receiving(head: head, body: body)
    }

    private func onEnd(context: ChannelHandlerContext) {
        switch state {
        case .receiving(let head, let body):
            state = .responding
            respondToCall(head: head, body: body, context: context)
        case .fetching(let head, let resource):
            state = .responding
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: resource.contentType)
            write(status: .ok, extraHeaders: headers, body: resource.render(), keepAlive: head.isKeepAlive, head: head, context: context)
        case .discarding(let head, let status):
            state = .responding
            var headers = HTTPHeaders()
            if status == .methodNotAllowed {
                let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
                headers.add(name: "Allow", value: configuration.resources[path] != nil ? "GET" : "POST")
            }
            write(status: status, extraHeaders: headers, body: Array("\(status.code) \(status.reasonPhrase)\n".utf8),
                  keepAlive: head.isKeepAlive, head: head, context: context)
        case .idle, .responding, .closing:
            break
        }
    }

    private func respondToCall(head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        // Who is calling is settled on the exact bytes received, before any of them is decoded.
        let caller: XMLRPCCaller
        let remoteAddress = context.channel.remoteAddress?.ipAddress
        if let authenticate = configuration.authenticator {
            let headers = head.headers
            let decision = body.withUnsafeReadableBytes { bytes in
                authenticate(XMLRPCRequestCredentials(headerLookup: { headers.first(name: $0) }, body: bytes,
                                                      remoteAddress: remoteAddress))
            }
            switch decision {
            case .success(let authenticated): caller = authenticated
            case .failure(let fault):
                writeXML(XMLRPCCodec.encodeResponse(.fault(fault)), head: head, context: context)
                return
            }
        } else {
            caller = XMLRPCCaller(remoteAddress: remoteAddress)
        }
        let call: XMLRPCMethodCall
        do {
            call = try body.withUnsafeReadableBytes { buffer throws(XMLRPCFault) in
                try XMLRPCCodec.decodeCall(buffer, limits: configuration.decodingLimits)
            }
        } catch {
            writeXML(XMLRPCCodec.encodeResponse(.fault(error)), head: head, context: context)
            return
        }
        let registry = self.registry
        let answered = context.eventLoop.makePromise(of: SignedDocument.self)
        let executor = configuration.methodsOffEventLoop.contains(call.methodName) ? nil : configuration.handlerExecutor
        let sign = configuration.responseHeaders
        let requestHeaders = head.headers
        // The answer is signed where it was made: a long one (a snapshot chunk, off the loop)
        // does not hold up the loop's other connections while its HMAC runs.
        Task(executorPreference: executor) {
            let document = XMLRPCCodec.encodeResponse(await registry.dispatch(call, caller: caller))
            let headers = sign?(caller, { requestHeaders.first(name: $0) }, document) ?? []
            answered.succeed(SignedDocument(document: document, headers: headers))
        }
        answered.futureResult.assumeIsolated().whenSuccess { [self] answer in
            writeXML(answer.document, head: head, context: context, extraHeaders: answer.headers)
        }
    }

    /// An encoded answer and the headers `XMLRPCServerConfiguration.responseHeaders` gave it.
    private struct SignedDocument: Sendable {
        var document: [UInt8]
        var headers: [(name: String, value: String)]
    }

    private func writeXML(_ document: [UInt8], head: HTTPRequestHead, context: ChannelHandlerContext,
                          extraHeaders: [(name: String, value: String)] = []) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/xml")
        for header in extraHeaders { headers.add(name: header.name, value: header.value) }
        write(status: .ok, extraHeaders: headers, body: document, keepAlive: head.isKeepAlive, head: head, context: context)
    }

    private func rejectTooLarge(head: HTTPRequestHead, context: ChannelHandlerContext) {
        state = .closing
        // The rest of the body is never read: we answer now and close.
        write(status: .payloadTooLarge, extraHeaders: [:],
              body: Array("413 request body exceeds \(configuration.bodyBytesMax) bytes\n".utf8),
              keepAlive: false, head: head, context: context)
    }

    private func write(
        status: HTTPResponseStatus, extraHeaders: HTTPHeaders, body: [UInt8], keepAlive: Bool,
        head: HTTPRequestHead, context: ChannelHandlerContext
    ) {
        guard context.channel.isActive else { return }
        var headers = extraHeaders
        headers.add(name: "Content-Length", value: String(body.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version.major == 1 && head.version.minor == 0 ? .http1_0 : .http1_1,
                                            status: status, headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        if keepAlive {
            if case .responding = state { state = .idle }
            startTimedPhase(context: context)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            handleBacklog(context: context)
        } else {
            state = .closing
            context.writeAndFlushPromise(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { [self] _ in
                closeLingering(context: context)
            }
        }
    }

    /// Closing a socket with unread input makes the kernel send a reset, which can destroy the
    /// answer before the peer reads it (a 413 sent while the body is still arriving). So we
    /// close our side only, let the peer read and close, and discard what it still sends, for
    /// at most `lingerTimeout`.
    private func closeLingering(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        context.close(mode: .output, promise: nil)
        lingerTimer?.cancel()
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        lingerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTimeout) {
            loopBoundContext.value.close(promise: nil)
        }
    }

    static let lingerTimeout = TimeAmount.seconds(2)

    // MARK: Timeouts

    /// When the current phase times out: an idle connection is closed, a request whose head
    /// came but not yet its end is answered 408. A call being answered has no limit here.
    private var phaseDeadline: NIODeadline? {
        switch state {
        case .idle: phaseStarted + TimeAmount(configuration.idleTimeout)
        case .receiving, .discarding, .fetching: phaseStarted + TimeAmount(configuration.readTimeout)
        case .responding, .closing: nil
        }
    }

    /// After the state changed to `idle` or began a request: the phase's clock starts now, and
    /// the watchdog moves only if it would fire too late for it.
    private func startTimedPhase(context: ChannelHandlerContext) {
        phaseStarted = .now()
        guard let due = phaseDeadline, watchdog == nil || due < watchdogDue else { return }
        armWatchdog(at: due, context: context)
    }

    private func armWatchdog(at due: NIODeadline, context: ChannelHandlerContext) {
        watchdog?.cancel()
        watchdogDue = due
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        watchdog = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [self] in
            watchdogFired(context: loopBoundContext.value)
        }
    }

    private func watchdogFired(context: ChannelHandlerContext) {
        watchdog = nil
        watchdogDue = .distantFuture
        guard let due = phaseDeadline else { return }  // answering: the next phase arms it
        if due > .now() { return armWatchdog(at: due, context: context) }
        switch state {
        case .idle:
            context.close(promise: nil)
        case .receiving(let head, _), .discarding(let head, _), .fetching(let head, _):
            state = .closing
            write(status: .requestTimeout, extraHeaders: [:], body: Array("408 request body too slow\n".utf8),
                  keepAlive: false, head: head, context: context)
        case .responding, .closing:
            break
        }
    }

    private func cancelTimers() {
        watchdog?.cancel()
        lingerTimer?.cancel()
        watchdog = nil
        lingerTimer = nil
    }
}

extension ChannelHandlerContext {
    fileprivate func writeAndFlushPromise(_ data: NIOAny) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        writeAndFlush(data, promise: promise)
        return promise.futureResult
    }
}
