#include "http/http_server.h"

#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <cstdio>
#include <string_view>

#include <sys/socket.h>

#include <http_parser.h>

#include "common/log.h"
#include "http/socket_io.h"

namespace aigw::http {

// One accepted TCP connection. Parses requests with http_parser and serves them strictly in order:
// after a message completes the parser is paused and the rest of the input waits until the
// response finished, which makes pipelining safe without a response queue.
class Connection : public QObject {
public:
    Connection(HttpServer* server, QTcpSocket* socket, std::uint64_t id);
    ~Connection() override;

    void start();
    void write(std::string_view bytes);
    void write(const QByteArray& bytes) { write(std::string_view(bytes.constData(), static_cast<std::size_t>(bytes.size()))); }
    /// The current response completed; `close` ends the connection after flushing.
    void responseComplete(HttpResponder* responder, bool close);
    void abortConnection(AbortMode mode);
    void responderDropped(HttpResponder* responder);
    qint64 bytesPending() const { return m_socket ? m_socket->bytesToWrite() : 0; }
    /// Closes at once (server shutdown).
    void shutdown();

private:
    static int onMessageBegin(http_parser* p);
    static int onUrl(http_parser* p, const char* at, size_t len);
    static int onHeaderField(http_parser* p, const char* at, size_t len);
    static int onHeaderValue(http_parser* p, const char* at, size_t len);
    static int onHeadersComplete(http_parser* p);
    static int onBody(http_parser* p, const char* at, size_t len);
    static int onMessageComplete(http_parser* p);
    static const http_parser_settings& settings();

    void processInput();
    void scheduleProcessInput();
    void dispatch(bool tooLarge);
    void badRequest(const char* reason);
    void lost();
    void armIdleTimer();

    HttpServer* m_server;
    QTcpSocket* m_socket;
    std::uint64_t m_id;
    http_parser m_parser{};
    QByteArray m_input;
    qsizetype m_inputOffset = 0;
    bool m_processing = false;
    bool m_processQueued = false;
    bool m_closing = false;  ///< no more requests will be read
    bool m_gone = false;     ///< socket disconnected / shut down
    std::uint64_t m_sequence = 0;

    // Parse state of the request being read.
    std::shared_ptr<HttpRequest> m_request;
    std::string m_url;
    std::string m_field;
    bool m_lastWasValue = false;
    bool m_messageComplete = false;
    bool m_tooLarge = false;

    HttpResponder* m_current = nullptr;
    QTimer* m_idleTimer = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Connection

Connection::Connection(HttpServer* server, QTcpSocket* socket, std::uint64_t id)
    : QObject(server), m_server(server), m_socket(socket), m_id(id) {
    m_socket->setParent(this);
    // Small SSE chunks must leave at once; Nagle would add up to 40 ms per token.
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    http_parser_init(&m_parser, HTTP_REQUEST);
    m_parser.data = this;
}

Connection::~Connection() {
    if (m_current) m_current->m_connection = nullptr;
}

void Connection::start() {
    connect(m_socket, &QTcpSocket::readyRead, this, &Connection::processInput);
    connect(m_socket, &QTcpSocket::disconnected, this, &Connection::lost);
    if (m_server->m_options.idleConnectionTimeoutMs > 0) {
        m_idleTimer = new QTimer(this);
        m_idleTimer->setSingleShot(true);
        connect(m_idleTimer, &QTimer::timeout, this, [this] {
            if (!m_current && !m_gone) {
                m_closing = true;
                m_socket->disconnectFromHost();
            }
        });
        armIdleTimer();
    }
    if (m_socket->bytesAvailable() > 0) scheduleProcessInput();
}

void Connection::armIdleTimer() {
    if (m_idleTimer) m_idleTimer->start(m_server->m_options.idleConnectionTimeoutMs);
}

const http_parser_settings& Connection::settings() {
    static const http_parser_settings s = [] {
        http_parser_settings v{};
        v.on_message_begin = &Connection::onMessageBegin;
        v.on_url = &Connection::onUrl;
        v.on_header_field = &Connection::onHeaderField;
        v.on_header_value = &Connection::onHeaderValue;
        v.on_headers_complete = &Connection::onHeadersComplete;
        v.on_body = &Connection::onBody;
        v.on_message_complete = &Connection::onMessageComplete;
        return v;
    }();
    return s;
}

int Connection::onMessageBegin(http_parser* p) {
    auto* c = static_cast<Connection*>(p->data);
    c->m_request = std::make_shared<HttpRequest>();
    c->m_request->headers.reserve(16);
    c->m_url.clear();
    c->m_field.clear();
    c->m_lastWasValue = false;
    c->m_messageComplete = false;
    c->m_tooLarge = false;
    if (c->m_idleTimer) c->m_idleTimer->stop();
    return 0;
}

int Connection::onUrl(http_parser* p, const char* at, size_t len) {
    static_cast<Connection*>(p->data)->m_url.append(at, len);
    return 0;
}

int Connection::onHeaderField(http_parser* p, const char* at, size_t len) {
    auto* c = static_cast<Connection*>(p->data);
    if (c->m_lastWasValue) {
        c->m_field.clear();
        c->m_lastWasValue = false;
    }
    c->m_field.append(at, len);
    return 0;
}

int Connection::onHeaderValue(http_parser* p, const char* at, size_t len) {
    auto* c = static_cast<Connection*>(p->data);
    auto& entries = const_cast<std::vector<Headers::Entry>&>(c->m_request->headers.entries());
    if (!c->m_lastWasValue) {
        c->m_request->headers.add(std::move(c->m_field), std::string(at, len));  // cleared at the next field
        c->m_lastWasValue = true;
    } else {
        entries.back().second.append(at, len);  // a value split across reads
    }
    return 0;
}

int Connection::onHeadersComplete(http_parser* p) {
    auto* c = static_cast<Connection*>(p->data);
    HttpRequest& r = *c->m_request;
    r.method = http_method_str(static_cast<http_method>(p->method));
    r.httpMajor = p->http_major;
    r.httpMinor = p->http_minor;
    r.keepAlive = http_should_keep_alive(p) != 0;
    r.target = c->m_url;
    http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(c->m_url.data(), c->m_url.size(), p->method == HTTP_CONNECT, &u) != 0) {
        return -1;  // becomes HPE_CB_headers_complete: a 400
    }
    if (u.field_set & (1 << UF_PATH)) r.path = c->m_url.substr(u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
    else r.path = "/";
    if (u.field_set & (1 << UF_QUERY)) r.query = c->m_url.substr(u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);

    const qint64 limit = c->m_server->m_options.maxBodyBytes;
    const bool hasLength = (p->flags & F_CHUNKED) == 0 && p->content_length != ULLONG_MAX;
    if (limit > 0 && hasLength && p->content_length > static_cast<std::uint64_t>(limit)) {
        c->m_tooLarge = true;
        http_parser_pause(p, 1);
        return 0;
    }
    if (hasLength && p->content_length > 0) r.body.reserve(static_cast<qsizetype>(p->content_length));
    // curl and others wait up to a second for this before sending a large body.
    if (const auto expect = r.headers.get("expect"); expect && headerNameEquals(*expect, "100-continue") && r.httpMinor >= 1) {
        c->m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    }
    return 0;
}

int Connection::onBody(http_parser* p, const char* at, size_t len) {
    auto* c = static_cast<Connection*>(p->data);
    const qint64 limit = c->m_server->m_options.maxBodyBytes;
    if (limit > 0 && c->m_request->body.size() + static_cast<qint64>(len) > limit) {
        c->m_tooLarge = true;
        http_parser_pause(p, 1);
        return 0;
    }
    c->m_request->body.append(at, static_cast<qsizetype>(len));
    return 0;
}

int Connection::onMessageComplete(http_parser* p) {
    auto* c = static_cast<Connection*>(p->data);
    c->m_messageComplete = true;
    http_parser_pause(p, 1);  // serve this request before parsing the next one
    return 0;
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

void Connection::processInput() {
    if (m_processing) return;
    m_processing = true;
    while (!m_gone && !m_closing && !m_current) {
        if (m_inputOffset >= m_input.size()) {
            m_inputOffset = 0;
            if (!detail::readAvailable(*m_socket, m_input)) break;
        }
        const char* data = m_input.constData() + m_inputOffset;
        const size_t len = static_cast<size_t>(m_input.size() - m_inputOffset);
        const size_t parsed = http_parser_execute(&m_parser, &settings(), data, len);
        m_inputOffset += static_cast<qsizetype>(parsed);
        const auto err = HTTP_PARSER_ERRNO(&m_parser);
        if (err == HPE_PAUSED) {
            http_parser_pause(&m_parser, 0);
            if (m_tooLarge) {
                dispatch(true);
            } else if (m_messageComplete) {
                dispatch(false);
            }
            continue;
        }
        if (err != HPE_OK) {
            badRequest(http_errno_description(err));
            break;
        }
        if (parsed != len) {
            badRequest("parser stopped early");
            break;
        }
    }
    m_processing = false;
}

void Connection::dispatch(bool tooLarge) {
    auto request = std::move(m_request);
    m_request.reset();
    request->peerAddress = m_socket->peerAddress();
    request->peerPort = m_socket->peerPort();
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
        const auto host = request->headers.get("host");
        if (host && !hostAllowed(*host, m_server->m_listenHost, m_server->port(), *m_server->m_access)) {
            sendForbidden(*request, *responder,
                          "host '" + *host + "' is not this server's address; start it with --allowed-host NAME or "
                          "--allow-remote to answer to other names");
            return;
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
        m_socket->write("HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 11\r\n"
                        "connection: close\r\n\r\nBad Request");
        m_socket->disconnectFromHost();
    }
}

void Connection::write(std::string_view bytes) {
    if (!m_gone && !bytes.empty()) detail::writeNow(*m_socket, bytes.data(), static_cast<qsizetype>(bytes.size()));
}

void Connection::responseComplete(HttpResponder* responder, bool close) {
    if (responder != m_current) return;
    m_current = nullptr;
    --m_server->m_activeRequests;
    emit m_server->requestDone();
    if (m_gone) return;
    if (close || m_closing) {
        m_closing = true;
        m_socket->disconnectFromHost();
        return;
    }
    armIdleTimer();
    if (m_inputOffset < m_input.size() || m_socket->bytesAvailable() > 0) {
        if (m_processing) return;  // the loop in processInput() picks it up
        scheduleProcessInput();
    }
}

void Connection::abortConnection(AbortMode mode) {
    if (m_gone) return;
    m_closing = true;
    if (mode == AbortMode::Reset) {
        const qintptr fd = m_socket->socketDescriptor();
        if (fd >= 0) {
            const linger lg{1, 0};
            ::setsockopt(static_cast<int>(fd), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        m_socket->abort();  // may emit disconnected synchronously -> lost()
    } else {
        m_socket->disconnectFromHost();
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
    if (!m_gone) m_socket->disconnectFromHost();
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
    lost();  // in case abort() did not emit disconnected (never connected state)
}

// ---------------------------------------------------------------------------------------------
// HttpRequest / HttpResponder

std::string HttpRequest::peer() const {
    QString a = peerAddress.toString();
    if (peerAddress.protocol() == QAbstractSocket::IPv6Protocol) a = "[" + a + "]";
    return a.toStdString() + ":" + std::to_string(peerPort);
}

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

std::string HttpResponder::head(int status, const Headers& headers, std::size_t reserveBody) {
    // std::string appends are inlined; QByteArray's went through QByteArray::insert each (callgrind:
    // ~6k instructions per proxied request for the two header blocks).
    std::string out;
    std::size_t size = 32;
    for (const auto& [n, v] : headers.entries()) size += n.size() + v.size() + 4;
    out.reserve(size + reserveBody);
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
    if (!headers.has("content-length")) headers.add("content-length", std::to_string(body.size()));
    headers.remove("transfer-encoding");
    const bool close = !m_keepAlive || headerNameEquals(headers.value("connection"), "close");
    if (!headers.has("connection")) {
        if (close) headers.add("connection", "close");
        else if (m_http10) headers.add("connection", "keep-alive");
    }
    // Head and body leave in one write: one segment for a small response, not two.
    const bool withBody = !m_headRequest && !body.isEmpty();
    std::string out = head(status, headers, withBody ? static_cast<std::size_t>(body.size()) : 0);
    if (withBody) out.append(body.constData(), static_cast<std::size_t>(body.size()));
    c->write(out);
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

HttpServer::HttpServer(Handler handler, ServerOptions options, QObject* parent)
    : QObject(parent), m_listener(new QTcpServer(this)), m_handler(std::move(handler)), m_options(options) {
    // Qt's default backlog (50) drops SYNs under a burst of clients, costing each a 1 s retransmit.
    m_listener->setListenBacklogSize(4096);
    connect(m_listener, &QTcpServer::newConnection, this, &HttpServer::acceptPending);
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
void HttpServer::setAccessPolicy(AccessPolicy policy) { m_access = std::move(policy); }
int HttpServer::connectionCount() const { return static_cast<int>(m_connections.size()); }

void HttpServer::acceptPending() {
    while (QTcpSocket* socket = m_listener->nextPendingConnection()) {
        auto* c = new Connection(this, socket, m_nextConnectionId++);
        ++m_connectionsAccepted;
        m_connections.push_back(c);
        c->start();
    }
}

void HttpServer::connectionClosed(Connection* connection) {
    std::erase(m_connections, connection);
}

}  // namespace aigw::http
