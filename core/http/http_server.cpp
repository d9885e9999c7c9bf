#include "http/http_server.h"

#include <QPointer>
#include <QTcpServer>
#include <QTimer>

#include <cstdio>
#include <string_view>
#include <tuple>


#include "common/log.h"
#include "http/message_parser.h"
#include "http/tcp_stream.h"

namespace aigw::http {

// One accepted TCP connection. Parses requests (message_parser.h) and serves them strictly in order:
// after a message completes the parser is paused and the rest of the input waits until the
// response finished, which makes pipelining safe without a response queue.
class Connection : public QObject {
public:
    Connection(HttpServer* server, int fd, std::uint64_t id);
    ~Connection() override;

    void start();
    void write(std::string_view bytes);
    /// An empty buffer to assemble one write in; it keeps its capacity from response to response
    /// (one allocation less per response), unless a large body grew it.
    std::string& writeBuffer() {
        m_writeBuffer.clear();
        return m_writeBuffer;
    }
    void releaseWriteBuffer() {
        if (m_writeBuffer.capacity() > 64 * 1024) std::string().swap(m_writeBuffer);
    }
    void write(const QByteArray& bytes) { write(std::string_view(bytes.constData(), static_cast<std::size_t>(bytes.size()))); }
    /// The current response completed; `close` ends the connection after flushing.
    void responseComplete(HttpResponder* responder, bool close);
    void abortConnection(AbortMode mode);
    void responderDropped(HttpResponder* responder);
    qint64 bytesPending() const { return m_socket->bytesToWrite(); }
    qint64 bufferedInput() const { return m_input.size() - m_inputOffset; }
    /// Closes at once (server shutdown).
    void shutdown();

private:
    void onReadable();
    void processInput();
    void scheduleProcessInput();
    void dispatch(bool tooLarge);
    void badRequest(const char* reason);
    void lost();
    void armIdleTimer();

    /// Unparsed input beyond which reading stops until a response finished (pipelined requests
    /// wait in the buffer; the client's further bytes wait in the kernel).
    static constexpr qsizetype kMaxBufferedInput = 1024 * 1024;

    HttpServer* m_server;
    detail::TcpStream* m_socket;
    std::uint64_t m_id;
    std::shared_ptr<const std::string> m_peer;  ///< "address:port", for every request's peerText
    RequestParser m_parser;
    QByteArray m_input;
    qsizetype m_inputOffset = 0;
    bool m_processing = false;
    bool m_processQueued = false;
    bool m_closing = false;  ///< no more requests will be read
    bool m_gone = false;     ///< socket disconnected / shut down
    std::uint64_t m_sequence = 0;

    HttpResponder* m_current = nullptr;
    QTimer* m_idleTimer = nullptr;
    /// The last Host header that passed the access check, and the policy it passed: a keep-alive
    /// client sends the same one every time (the check cost ~1,200 instructions per request).
    std::string m_allowedHost;
    std::string m_writeBuffer;
    std::uint64_t m_allowedGeneration = 0;
};

// ---------------------------------------------------------------------------------------------
// Connection

Connection::Connection(HttpServer* server, int fd, std::uint64_t id)
    : QObject(server), m_server(server), m_socket(new detail::TcpStream(fd, this)), m_id(id) {
    const auto [address, port] = m_socket->peer();
    QString text = address.toString();
    if (address.protocol() == QAbstractSocket::IPv6Protocol) text = "[" + text + "]";
    m_peer = std::make_shared<const std::string>(text.toStdString() + ":" + std::to_string(port));
    m_parser.onMessageBegin = [this] {
        if (m_idleTimer) m_idleTimer->stop();
    };
    m_parser.onExpectContinue = [this] { m_socket->write("HTTP/1.1 100 Continue\r\n\r\n"); };
}

Connection::~Connection() {
    if (m_current) m_current->m_connection = nullptr;
}

void Connection::start() {
    m_socket->onReadable = [this] { onReadable(); };
    m_socket->onClosed = [this] { lost(); };
    m_socket->onWriteError = [this](int, const std::string&) { lost(); };
    if (m_server->m_options.idleConnectionTimeoutMs > 0) {
        m_idleTimer = new QTimer(this);
        m_idleTimer->setSingleShot(true);
        connect(m_idleTimer, &QTimer::timeout, this, [this] {
            if (!m_current && !m_gone) {
                m_closing = true;
                m_socket->close();
            }
        });
        armIdleTimer();
    }
}

void Connection::armIdleTimer() {
    if (m_idleTimer) m_idleTimer->start(m_server->m_options.idleConnectionTimeoutMs);
}

void Connection::scheduleProcessInput() {
    if (m_processQueued) return;
    m_processQueued = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_processQueued = false;
            processInput();
        },
        Qt::QueuedConnection);
}

void Connection::onReadable() {
    if (m_gone) return;
    if (m_closing || m_inputOffset >= m_input.size()) {
        // Closing: the input is never parsed again; it is drained so the close ends in a FIN.
        // The buffer keeps its capacity for the next read, unless pipelined input made it large.
        if (m_input.capacity() > 256 * 1024) m_input = QByteArray();
        else m_input.resize(0);
        m_inputOffset = 0;
    } else if (m_inputOffset > 0 && m_inputOffset >= m_input.size() / 2) {
        m_input.remove(0, m_inputOffset);
        m_inputOffset = 0;
    }
    const auto r = m_socket->read(m_input);
    if (r.status == detail::TcpStream::ReadStatus::Empty) return;
    if (r.status == detail::TcpStream::ReadStatus::Data) {
        // While a response is under way the bytes wait here (up to a limit, then in the kernel);
        // reading on keeps a client's disconnect visible.
        if (m_input.size() - m_inputOffset >= kMaxBufferedInput) m_socket->setReadEnabled(false);
        processInput();
        return;
    }
    // The client closed (or reset) its end. Whatever complete requests came before were handled
    // above, on earlier passes; an answer still being written goes nowhere.
    m_socket->abort();
    lost();
}

void Connection::processInput() {
    if (m_processing) return;
    m_processing = true;
    while (!m_gone && !m_closing && !m_current && m_inputOffset < m_input.size()) {
        const char* data = m_input.constData() + m_inputOffset;
        const size_t len = static_cast<size_t>(m_input.size() - m_inputOffset);
        m_parser.setMaxBodyBytes(m_server->m_options.maxBodyBytes);
        const RequestParser::Step step = m_parser.execute(data, len);
        m_inputOffset += static_cast<qsizetype>(step.consumed);
        if (step.status == RequestParser::Status::Error) {
            badRequest(step.error);
            break;
        }
        if (step.status != RequestParser::Status::NeedMore) dispatch(step.status == RequestParser::Status::TooLarge);
    }
    m_processing = false;
    if (!m_gone && !m_closing && m_input.size() - m_inputOffset < kMaxBufferedInput) m_socket->setReadEnabled(true);
}

void Connection::dispatch(bool tooLarge) {
    auto request = m_parser.takeRequest();
    request->peerText = m_peer;
    request->connectionId = m_id;
    request->sequence = ++m_sequence;
    if (tooLarge) {
        // The rest of the body is never read: the connection ends after the 413.
        m_closing = true;
        request->keepAlive = false;
    }
    auto responder = std::make_shared<HttpResponder>(this, *request);
    m_current = responder.get();
    ++m_server->m_activeRequests;
    ++m_server->m_requestsServed;
    if (m_server->m_access) {
        const std::string* host = request->headers.find("host");
        if (host && !(m_allowedGeneration == m_server->m_accessGeneration && *host == m_allowedHost)) {
            if (!hostAllowed(*host, m_server->m_listenHost, m_server->port(), *m_server->m_access)) {
                sendForbidden(*request, *responder,
                              "host '" + *host + "' is not this server's address; start it with --allowed-host NAME or "
                              "--allow-remote to answer to other names");
                return;
            }
            m_allowedHost = *host;
            m_allowedGeneration = m_server->m_accessGeneration;
        }
    }
    if (tooLarge) {
        if (m_server->m_tooLargeHandler) {
            m_server->m_tooLargeHandler(request, responder);
        } else {
            responder->send(413, {{"content-type", "text/plain"}, {"connection", "close"}}, "Payload Too Large");
        }
    } else if (m_server->m_handler) {
        m_server->m_handler(request, responder);
    } else {
        responder->send(503, {{"content-type", "text/plain"}}, "no handler");
    }
}

void Connection::badRequest(const char* reason) {
    log::get("http")->debug("connection {}: 400 on parse error: {}", m_id, reason);
    m_closing = true;
    if (!m_current && !m_gone) {
        m_socket->write(std::string_view("HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 11\r\n"
                                         "connection: close\r\n\r\nBad Request"));
        m_socket->close();
    }
}

void Connection::write(std::string_view bytes) {
    if (!m_gone && !bytes.empty()) m_socket->write(bytes);
}

void Connection::responseComplete(HttpResponder* responder, bool close) {
    if (responder != m_current) return;
    m_current = nullptr;
    --m_server->m_activeRequests;
    emit m_server->requestDone();
    if (m_gone) return;
    if (close || m_closing) {
        m_closing = true;
        m_socket->close();
        return;
    }
    armIdleTimer();
    if (m_inputOffset < m_input.size()) {
        if (m_processing) return;  // the loop in processInput() picks it up
        scheduleProcessInput();
    }
}

void Connection::abortConnection(AbortMode mode) {
    if (m_gone) return;
    m_closing = true;
    if (mode == AbortMode::Reset) {
        m_socket->abort(true);
        lost();
    } else {
        m_socket->close();
    }
}

void Connection::responderDropped(HttpResponder* responder) {
    if (responder != m_current) return;
    // A handler let go of its responder without answering: never leave the client hanging.
    log::get("http")->warn("connection {}: handler dropped a response unanswered", m_id);
    m_current = nullptr;
    --m_server->m_activeRequests;
    emit m_server->requestDone();
    m_closing = true;
    if (!m_gone) m_socket->close();
}

void Connection::lost() {
    if (m_gone) return;
    m_gone = true;
    if (m_idleTimer) m_idleTimer->stop();
    if (HttpResponder* r = m_current) {
        m_current = nullptr;
        r->m_connection = nullptr;
        --m_server->m_activeRequests;
        emit m_server->requestDone();
        r->connectionLost();
    }
    m_server->connectionClosed(this);
    deleteLater();
}

void Connection::shutdown() {
    if (m_gone) return;
    m_closing = true;
    m_socket->abort();
    lost();
}

// ---------------------------------------------------------------------------------------------
// HttpRequest / HttpResponder

HttpResponder::HttpResponder(Connection* connection, const HttpRequest& request)
    : m_connection(connection),
      m_sequence(request.sequence),
      m_headRequest(request.method == "HEAD"),
      m_http10(request.httpMajor == 1 && request.httpMinor == 0),
      m_keepAlive(request.keepAlive) {}

HttpResponder::~HttpResponder() {
    if (m_connection && !m_finished) {
        if (!m_headersSent) {
            Connection* c = m_connection;
            m_headersSent = true;
            const Headers h{{"content-type", "text/plain"}, {"connection", "close"}};
            c->write(head(500, h) + "handler dropped the request");
            m_finished = true;
            c->responseComplete(this, true);
        } else {
            m_connection->responderDropped(this);
        }
    }
}

bool HttpResponder::isOpen() const { return m_connection != nullptr && !m_finished; }

qint64 HttpResponder::bytesPending() const { return m_connection ? m_connection->bytesPending() : 0; }

void HttpResponder::appendHead(std::string& out, int status, const Headers& headers) {
    // std::string appends are inlined; QByteArray's went through QByteArray::insert each (callgrind:
    // ~6k instructions per proxied request for the two header blocks).
    out += "HTTP/1.1 ";
    out += std::to_string(status);
    out += ' ';
    out += reasonPhrase(status);
    out += "\r\n";
    for (const auto& [n, v] : headers.entries()) {
        out += n;
        out += ": ";
        out += v;
        out += "\r\n";
    }
    out += "\r\n";
}

std::string HttpResponder::head(int status, const Headers& headers) {
    std::string out;
    appendHead(out, status, headers);
    return out;
}

void HttpResponder::addResponseHeader(std::string name, std::string value) {
    if (!m_headersSent) m_extraHeaders.add(std::move(name), std::move(value));
}

bool HttpResponder::send(int status, Headers headers, const QByteArray& body) {
    if (!isOpen() || m_headersSent) return false;
    for (const auto& [n, v] : m_extraHeaders.entries()) headers.add(n, v);
    Connection* c = m_connection;
    m_headersSent = true;
    // One pass over the fields (every proxied response comes through here): framing is ours, so a
    // Transfer-Encoding goes; a Content-Length or Connection the handler set stays.
    bool hasLength = false;
    bool hasTransferEncoding = false;
    const std::string* connection = nullptr;
    for (const auto& [n, v] : headers.entries()) {
        if (n.size() == 14 && headerNameEquals(n, "content-length")) hasLength = true;
        else if (n.size() == 17 && headerNameEquals(n, "transfer-encoding")) hasTransferEncoding = true;
        else if (n.size() == 10 && !connection && headerNameEquals(n, "connection")) connection = &v;
    }
    const bool close = !m_keepAlive || (connection && headerNameEquals(*connection, "close"));
    const bool hasConnection = connection != nullptr;  // `connection` dangles once fields are added
    if (hasTransferEncoding) headers.remove("transfer-encoding");
    if (!hasLength) headers.add("content-length", std::to_string(body.size()));
    if (!hasConnection) {
        if (close) headers.add("connection", "close");
        else if (m_http10) headers.add("connection", "keep-alive");
    }
    // Head and body leave in one write: one segment for a small response, not two.
    const bool withBody = !m_headRequest && !body.isEmpty();
    std::string& out = c->writeBuffer();
    appendHead(out, status, headers);
    if (withBody) out.append(body.constData(), static_cast<std::size_t>(body.size()));
    c->write(out);
    c->releaseWriteBuffer();
    m_finished = true;
    c->responseComplete(this, close);
    return true;
}

bool HttpResponder::startStream(int status, Headers headers) {
    if (!isOpen() || m_headersSent) return false;
    for (const auto& [n, v] : m_extraHeaders.entries()) headers.add(n, v);
    m_headersSent = true;
    if (!headers.has("content-length")) {
        headers.remove("transfer-encoding");
        // HTTP/1.0 has no chunked encoding: the end of the body is the end of the connection.
        m_closeAfterFinish = m_http10;
        if (m_closeAfterFinish) headers.set("connection", "close");
        else headers.add("transfer-encoding", "chunked");
        m_chunked = !m_closeAfterFinish;
    }
    if (!m_keepAlive || headerNameEquals(headers.value("connection"), "close")) {
        m_closeAfterFinish = true;  // close after finish()
        if (!headers.has("connection")) headers.add("connection", "close");
    } else if (m_http10 && !headers.has("connection")) {
        headers.add("connection", "keep-alive");
    }
    m_connection->write(head(status, headers));
    return true;
}

bool HttpResponder::writeChunk(const QByteArray& data) {
    if (!isOpen() || !m_headersSent) return false;
    if (data.isEmpty() || m_headRequest) return true;
    if (m_chunked) {
        char size[20];
        const int n = std::snprintf(size, sizeof size, "%llx\r\n", static_cast<unsigned long long>(data.size()));
        std::string out;
        out.reserve(static_cast<std::size_t>(n + data.size() + 2));
        out.append(size, static_cast<std::size_t>(n));
        out.append(data.constData(), static_cast<std::size_t>(data.size()));
        out += "\r\n";
        m_connection->write(out);
    } else {
        m_connection->write(data);
    }
    return true;
}

bool HttpResponder::finish() {
    if (!isOpen() || !m_headersSent) return false;
    Connection* c = m_connection;
    if (m_chunked && !m_headRequest) c->write(std::string_view("0\r\n\r\n"));
    m_finished = true;
    c->responseComplete(this, m_closeAfterFinish);
    return true;
}

void HttpResponder::abort(AbortMode mode) {
    if (!isOpen()) return;
    Connection* c = m_connection;
    m_finished = true;
    m_onDisconnect = nullptr;  // the handler chose this end; it is not a client disconnect
    c->responseComplete(this, true);
    c->abortConnection(mode);
}

void HttpResponder::onClientDisconnected(std::function<void()> callback) {
    if (m_lost) {
        if (callback) callback();
        return;
    }
    m_onDisconnect = std::move(callback);
}

void HttpResponder::connectionLost() {
    m_lost = true;
    if (auto cb = std::move(m_onDisconnect)) {
        m_onDisconnect = nullptr;
        cb();
    }
}

// ---------------------------------------------------------------------------------------------
// HttpServer

namespace {
// QTcpServer accepts; the descriptor goes straight to a Connection (no QTcpSocket).
class Listener : public QTcpServer {
public:
    Listener(std::function<void(int)> accepted, QObject* parent) : QTcpServer(parent), m_accepted(std::move(accepted)) {}

protected:
    void incomingConnection(qintptr fd) override { m_accepted(static_cast<int>(fd)); }

private:
    std::function<void(int)> m_accepted;
};
}  // namespace

HttpServer::HttpServer(Handler handler, ServerOptions options, QObject* parent)
    : QObject(parent),
      m_listener(new Listener([this](int fd) { accepted(fd); }, this)),
      m_handler(std::move(handler)),
      m_options(options) {
    // Qt's default backlog (50) drops SYNs under a burst of clients, costing each a 1 s retransmit.
    m_listener->setListenBacklogSize(4096);
}

HttpServer::~HttpServer() { close(); }

Result<quint16> HttpServer::listen(const QString& host, quint16 port) {
    QHostAddress address;
    if (host.isEmpty() || host == "*") address = QHostAddress::Any;
    else if (host == "localhost") address = QHostAddress::LocalHost;
    else if (!address.setAddress(host)) {
        return Error{{}, "cannot listen on " + host.toStdString() + ":" + std::to_string(port) +
                             ": not an IP address (use e.g. 127.0.0.1)"};
    }
    if (m_listener->isListening()) m_listener->close();
    if (!m_listener->listen(address, port)) {
        return Error{{}, "cannot listen on " + host.toStdString() + ":" + std::to_string(port) + ": " +
                             m_listener->errorString().toStdString()};
    }
    m_listenHost = m_listener->serverAddress().toString().toStdString();
    return m_listener->serverPort();
}

void HttpServer::stopListening() { m_listener->close(); }

void HttpServer::close() {
    m_listener->close();
    const auto connections = m_connections;
    for (Connection* c : connections) c->shutdown();
    m_connections.clear();
}

bool HttpServer::isListening() const { return m_listener->isListening(); }
quint16 HttpServer::port() const { return m_listener->serverPort(); }
QString HttpServer::host() const { return m_listener->serverAddress().toString(); }

QString HttpServer::url() const {
    const QHostAddress a = m_listener->serverAddress();
    QString h = a.toString();
    if (a.protocol() == QAbstractSocket::IPv6Protocol) h = "[" + h + "]";
    return QStringLiteral("http://%1:%2").arg(h).arg(port());
}

void HttpServer::setHandler(Handler handler) { m_handler = std::move(handler); }
void HttpServer::setPayloadTooLargeHandler(Handler handler) { m_tooLargeHandler = std::move(handler); }
void HttpServer::setMaxBodyBytes(qint64 bytes) { m_options.maxBodyBytes = bytes; }
void HttpServer::setAccessPolicy(AccessPolicy policy) {
    m_access = std::move(policy);
    ++m_accessGeneration;
}
int HttpServer::connectionCount() const { return static_cast<int>(m_connections.size()); }

qint64 HttpServer::bufferedInputBytes() const {
    qint64 total = 0;
    for (const Connection* c : m_connections) total += c->bufferedInput();
    return total;
}

void HttpServer::accepted(int fd) {
    auto* c = new Connection(this, fd, m_nextConnectionId++);
    ++m_connectionsAccepted;
    m_connections.push_back(c);
    c->start();
}

void HttpServer::connectionClosed(Connection* connection) {
    std::erase(m_connections, connection);
}

}  // namespace aigw::http
