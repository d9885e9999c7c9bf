#include "http/http_client.h"

#include <QPointer>
#include <QTimer>

#include <algorithm>
#include <cerrno>
#include <deque>

#include "common/log.h"
#include "http/message_parser.h"
#include "http/tcp_stream.h"

namespace aigw::http {

const char* failureKindName(FailureKind kind) {
    switch (kind) {
    case FailureKind::ConnectionRefused: return "connection_refused";
    case FailureKind::ConnectTimeout: return "connect_timeout";
    case FailureKind::HostNotFound: return "host_not_found";
    case FailureKind::ResetBeforeHeaders: return "reset_before_headers";
    case FailureKind::ResetAfterHeaders: return "reset_after_headers";
    case FailureKind::PerTryTimeout: return "per_try_timeout";
    case FailureKind::IdleTimeout: return "idle_timeout";
    case FailureKind::ProtocolError: return "protocol_error";
    case FailureKind::Cancelled: return "cancelled";
    }
    return "unknown";
}

class ClientConnection;

// One request from send() to its completion, error or cancellation.
class ClientExchange {
public:
    /// Moved in whole: a default-constructed exchange assigned its request and five callbacks
    /// afterwards cost ~400 instructions more per proxied request.
    ClientExchange(ClientRequest&& r, ResponseCallbacks&& c) : request(std::move(r)), callbacks(std::move(c)) {}
    /// Destroys the callbacks (and what they captured); one assignment each, no temporary set.
    void dropCallbacks() {
        callbacks.onSent = nullptr;
        callbacks.onHeaders = nullptr;
        callbacks.onData = nullptr;
        callbacks.onComplete = nullptr;
        callbacks.onError = nullptr;
    }

    ClientRequest request;
    ResponseCallbacks callbacks;
    Pool* pool = nullptr;
    ClientConnection* connection = nullptr;
    bool done = false;
    bool headersDelivered = false;
    int status = 0;
    bool staleRetryUsed = false;  ///< already re-sent once after a reused connection died silently
    std::unique_ptr<QTimer> tryTimer;
    std::unique_ptr<QTimer> idleTimer;

    void stopTimers() {
        if (tryTimer) tryTimer->stop();
        if (idleTimer) idleTimer->stop();
    }
};

// Idle and busy connections to one host:port, plus requests waiting for a connection slot.
class Pool {
public:
    Pool(HttpClient* client, std::string host, quint16 port) : m_client(client), m_host(std::move(host)), m_port(port) {}
    ~Pool();

    void submit(const std::shared_ptr<ClientExchange>& exchange);
    void connectionIdle(ClientConnection* c);
    void connectionGone(ClientConnection* c);
    void cancelQueued(ClientExchange* exchange);
    void closeIdle();
    void addStats(HttpClient::Stats& s) const;

    HttpClient* client() const { return m_client; }
    const std::string& host() const { return m_host; }
    quint16 port() const { return m_port; }

private:
    void pump();
    /// The most recently idle connection takes `exchange` (m_idle must not be empty).
    void assignToIdle(const std::shared_ptr<ClientExchange>& exchange);

    HttpClient* m_client;
    std::string m_host;
    quint16 m_port;
    std::vector<ClientConnection*> m_idle;
    std::vector<ClientConnection*> m_busy;
    std::deque<std::shared_ptr<ClientExchange>> m_queue;
};

// One TCP connection carrying at most one exchange at a time (no client-side pipelining).
class ClientConnection : public QObject {
public:
    ClientConnection(Pool* pool);
    ~ClientConnection() override;

    void connectTo(int connectTimeoutMs);
    void assign(std::shared_ptr<ClientExchange> exchange, bool reused);
    /// Detaches from the pool and socket without callbacks; deleted later.
    void shutdown();
    /// The current exchange was cancelled: the connection cannot be reused.
    void cancelCurrent();
    bool connected() const { return m_connected; }

private:
    void sendCurrent();
    void onConnected(const detail::TcpStream::ConnectResult& result);
    void onReadable();
    /// The connection ended (closed, reset, or a write failed); what arrived before was parsed by
    /// earlier reads. `message` says why.
    void onEnded(const std::string& message);
    void parse(const char* data, size_t len, bool eof);
    void failCurrent(FailureKind kind, const std::string& message);
    void finishCurrent(bool reusable);
    void closeAndForget();

    Pool* m_pool;
    detail::TcpStream* m_socket;
    QTimer m_connectTimer;
    ResponseParser m_parser;
    std::shared_ptr<ClientExchange> m_exchange;
    bool m_connected = false;
    bool m_dead = false;
    bool m_reused = false;
    bool m_bytesReceived = false;

    QByteArray m_readBuffer;  ///< reused for every read (keeps its capacity)
    std::string m_writeBuffer;  ///< the request being written, reused likewise
};

// ---------------------------------------------------------------------------------------------
// RequestHandle

void RequestHandle::cancel() {
    auto ex = m_exchange.lock();
    if (!ex || ex->done) return;
    ex->done = true;
    ex->stopTimers();
    ex->dropCallbacks();
    if (ex->connection) {
        ClientConnection* c = ex->connection;
        ex->connection = nullptr;
        c->cancelCurrent();
    } else if (ex->pool) {
        ex->pool->cancelQueued(ex.get());
    }
}

bool RequestHandle::active() const {
    auto ex = m_exchange.lock();
    return ex && !ex->done;
}

// ---------------------------------------------------------------------------------------------
// Pool

Pool::~Pool() {
    for (auto* c : m_idle) c->shutdown();
    for (auto* c : m_busy) c->shutdown();
    for (auto& ex : m_queue) {
        ex->done = true;
        ex->stopTimers();
    }
}

void Pool::submit(const std::shared_ptr<ClientExchange>& exchange) {
    exchange->pool = this;
    if (m_queue.empty() && !m_idle.empty()) {
        // The usual case under keep-alive: an idle connection takes it at once, without the queue.
        assignToIdle(exchange);
        return;
    }
    m_queue.push_back(exchange);
    pump();
}

void Pool::pump() {
    while (!m_queue.empty()) {
        auto ex = m_queue.front();
        if (ex->done) {
            m_queue.pop_front();
            continue;
        }
        if (!m_idle.empty()) {
            m_queue.pop_front();
            assignToIdle(ex);
            continue;
        }
        if (static_cast<int>(m_busy.size()) >= m_client->m_maxPerHost) return;
        m_queue.pop_front();
        auto* c = new ClientConnection(this);
        m_busy.push_back(c);
        ++m_client->m_connectionsOpened;
        c->assign(ex, false);
        c->connectTo(ex->request.connectTimeoutMs);
    }
}

void Pool::assignToIdle(const std::shared_ptr<ClientExchange>& exchange) {
    ClientConnection* c = m_idle.back();
    m_idle.pop_back();
    m_busy.push_back(c);
    ++m_client->m_connectionsReused;
    c->assign(exchange, true);
}

void Pool::connectionIdle(ClientConnection* c) {
    std::erase(m_busy, c);
    if (static_cast<int>(m_idle.size()) >= m_client->m_maxIdlePerHost) {
        c->shutdown();
    } else {
        m_idle.push_back(c);
    }
    pump();
}

void Pool::connectionGone(ClientConnection* c) {
    std::erase(m_busy, c);
    std::erase(m_idle, c);
    pump();
}

void Pool::cancelQueued(ClientExchange* exchange) {
    for (auto it = m_queue.begin(); it != m_queue.end(); ++it) {
        if (it->get() == exchange) {
            m_queue.erase(it);
            return;
        }
    }
}

void Pool::closeIdle() {
    auto idle = std::move(m_idle);
    m_idle.clear();
    for (auto* c : idle) c->shutdown();
}

void Pool::addStats(HttpClient::Stats& s) const {
    s.idleConnections += static_cast<int>(m_idle.size());
    s.busyConnections += static_cast<int>(m_busy.size());
    for (const auto& ex : m_queue) {
        if (!ex->done) ++s.queuedRequests;
    }
}

// ---------------------------------------------------------------------------------------------
// ClientConnection

ClientConnection::ClientConnection(Pool* pool) : m_pool(pool), m_socket(new detail::TcpStream(this)) {
    m_connectTimer.setSingleShot(true);
    m_socket->onConnected = [this](const detail::TcpStream::ConnectResult& r) { onConnected(r); };
    m_socket->onReadable = [this] { onReadable(); };
    m_socket->onWriteError = [this](int, const std::string& message) { onEnded(message); };
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        if (m_connected || m_dead) return;
        failCurrent(FailureKind::ConnectTimeout, "no connection to " + m_pool->host() + ":" +
                                                     std::to_string(m_pool->port()) + " within " +
                                                     std::to_string(m_connectTimer.interval()) + " ms");
    });
}

ClientConnection::~ClientConnection() = default;

void ClientConnection::connectTo(int connectTimeoutMs) {
    if (connectTimeoutMs > 0) m_connectTimer.start(connectTimeoutMs);
    m_socket->connectTo(m_pool->host(), m_pool->port());
}

void ClientConnection::assign(std::shared_ptr<ClientExchange> exchange, bool reused) {
    m_exchange = std::move(exchange);
    m_exchange->connection = this;
    m_reused = reused;
    m_bytesReceived = false;
    m_parser.reset(m_exchange->request.method == "HEAD");
    if (m_connected) sendCurrent();
}

void ClientConnection::onConnected(const detail::TcpStream::ConnectResult& result) {
    if (m_dead) return;
    if (result.error != 0 || result.hostNotFound) {
        m_connectTimer.stop();
        if (!m_exchange) {
            closeAndForget();
            return;
        }
        const std::string detail = m_pool->host() + ":" + std::to_string(m_pool->port()) + ": " + result.message;
        if (result.hostNotFound) failCurrent(FailureKind::HostNotFound, "host not found: " + detail);
        else if (result.error == ETIMEDOUT) failCurrent(FailureKind::ConnectTimeout, "connect timeout: " + detail);
        else failCurrent(FailureKind::ConnectionRefused, "connect failed: " + detail);
        return;
    }
    m_connectTimer.stop();
    m_connected = true;
    if (m_exchange) sendCurrent();
}

void ClientConnection::sendCurrent() {
    ClientExchange& ex = *m_exchange;
    const ClientRequest& r = ex.request;
    // One buffer sized up front; std::string appends are inlined (QByteArray's were a call each).
    std::size_t size = r.method.size() + r.target.size() + m_pool->host().size() + 96 + r.fieldLines.size() +
                       static_cast<std::size_t>(r.body.size());
    for (const auto& [n, v] : r.headers.entries()) size += n.size() + v.size() + 4;
    std::string& out = m_writeBuffer;  // keeps its capacity from request to request
    out.clear();
    out.reserve(size);
    out += r.method;
    out += ' ';
    out += r.target;
    out += " HTTP/1.1\r\n";
    const bool hasHost = !r.fieldLines.empty() ||
                         std::any_of(r.headers.entries().begin(), r.headers.entries().end(),
                                     [](const auto& f) { return f.first.size() == 4 && headerNameEquals(f.first, "host"); });
    if (!hasHost) {
        out += "host: ";
        out += m_pool->host();
        out += ':';
        out += std::to_string(m_pool->port());
        out += "\r\n";
    }
    for (const auto& [n, v] : r.headers.entries()) {
        // Framing is ours: the body is sent whole with an exact length.
        if ((n.size() == 14 && headerNameEquals(n, "content-length")) ||
            (n.size() == 17 && headerNameEquals(n, "transfer-encoding")))
            continue;
        out += n;
        out += ": ";
        out += v;
        out += "\r\n";
    }
    out += r.fieldLines;
    if (!r.body.isEmpty() || (r.method != "GET" && r.method != "HEAD" && r.method != "DELETE")) {
        out += "content-length: ";
        out += std::to_string(r.body.size());
        out += "\r\n";
    }
    out += "\r\n";
    out.append(r.body.constData(), static_cast<std::size_t>(r.body.size()));
    ++m_pool->client()->m_requestsSent;
    m_socket->write(out);
    if (out.capacity() > 64 * 1024) std::string().swap(out);  // a large body grew it
    if (ex.idleTimer) ex.idleTimer->start(r.idleTimeoutMs);
    if (ex.callbacks.onSent) ex.callbacks.onSent();
}

void ClientConnection::onReadable() {
    if (m_dead) return;
    m_readBuffer.resize(0);  // keeps the capacity
    const auto r = m_socket->read(m_readBuffer);
    if (r.status == detail::TcpStream::ReadStatus::Empty) return;
    if (r.status != detail::TcpStream::ReadStatus::Data) {
        onEnded(detail::TcpStream::errorText(r.error));
        return;
    }
    if (!m_exchange) {
        // Bytes on an idle keep-alive connection: the server is confused; do not reuse it.
        closeAndForget();
        return;
    }
    // parse() may run callbacks that cancel this exchange; the connection (and the buffer) lives
    // until deleteLater, and no other read can start before parse() returns.
    parse(m_readBuffer.constData(), static_cast<size_t>(m_readBuffer.size()), false);
}

void ClientConnection::parse(const char* data, size_t len, bool eof) {
    if (len > 0) {
        m_bytesReceived = true;
        if (m_exchange->idleTimer && m_exchange->idleTimer->isActive()) m_exchange->idleTimer->start();
    }
    // Parse results are collected during the whole call and delivered after it returns, so a
    // callback that cancels or destroys things never runs inside the parser.
    const ResponseParser::Step step = m_parser.execute(data, eof ? 0 : len);
    const bool extraBytes = !eof && step.consumed < len;
    const bool parseError = step.error;

    // Deliver in order: head, body, completion. Each step re-checks that nobody cancelled.
    std::shared_ptr<ClientExchange> ex = m_exchange;
    QPointer<ClientConnection> self(this);
    if (m_parser.hasNewHead() && !ex->done) {
        ResponseHead head = m_parser.takeHead();
        ex->headersDelivered = true;
        ex->status = head.status;
        if (ex->callbacks.onHeaders) ex->callbacks.onHeaders(std::move(head));
        if (!self || m_dead || ex->done) return;
    }
    if (!ex->done) {
        if (const QByteArray body = m_parser.takeBody(); !body.isEmpty()) {
            if (ex->callbacks.onData) ex->callbacks.onData(body);
            if (!self || m_dead || ex->done) return;
        }
    }
    if (m_parser.complete()) {
        const bool reusable = !eof && !extraBytes && m_parser.keepAlive() && !parseError;
        finishCurrent(reusable);
        return;
    }
    if (parseError && eof) {
        // The stream ended inside a head or body: that is a reset, not a malformed response.
        failCurrent(ex->headersDelivered ? FailureKind::ResetAfterHeaders : FailureKind::ResetBeforeHeaders,
                    ex->headersDelivered ? "upstream closed the connection mid-body"
                                         : "upstream closed the connection before response headers");
        return;
    }
    if (parseError) {
        failCurrent(ex->headersDelivered ? FailureKind::ResetAfterHeaders : FailureKind::ProtocolError,
                    std::string("invalid HTTP response: ") + step.errorText);
        return;
    }
    if (eof) {
        failCurrent(ex->headersDelivered ? FailureKind::ResetAfterHeaders : FailureKind::ResetBeforeHeaders,
                    ex->headersDelivered ? "upstream closed the connection mid-body"
                                         : "upstream closed the connection before response headers");
    }
}

void ClientConnection::onEnded(const std::string& message) {
    if (m_dead) return;
    if (!m_exchange) {
        closeAndForget();  // an idle pooled connection died: just drop it
        return;
    }
    // Everything that arrived before the end was parsed on earlier reads. Tell the parser the stream
    // ended: a close-delimited body completes here; anything else unfinished is a reset before or
    // after the head.
    if (m_reused && !m_bytesReceived && !m_exchange->staleRetryUsed) {
        // The server closed this keep-alive connection just as we reused it (the race every HTTP
        // client has); nothing was processed, so send once more on a fresh connection.
        auto ex = m_exchange;
        ex->staleRetryUsed = true;
        ex->connection = nullptr;
        m_exchange.reset();
        Pool* pool = m_pool;
        closeAndForget();
        pool->submit(ex);
        return;
    }
    parse(nullptr, 0, true);
    if (m_exchange && !m_exchange->done) {
        failCurrent(m_exchange->headersDelivered ? FailureKind::ResetAfterHeaders : FailureKind::ResetBeforeHeaders,
                    message);
    }
}

void ClientConnection::failCurrent(FailureKind kind, const std::string& message) {
    auto ex = std::move(m_exchange);
    m_exchange.reset();
    closeAndForget();
    if (!ex || ex->done) return;
    ex->done = true;
    ex->connection = nullptr;
    ex->stopTimers();
    ClientError e{kind, message, ex->headersDelivered, ex->status};
    auto cb = std::move(ex->callbacks.onError);
    ex->dropCallbacks();
    if (cb) cb(e);
}

void ClientConnection::finishCurrent(bool reusable) {
    auto ex = std::move(m_exchange);
    m_exchange.reset();
    ex->connection = nullptr;
    ex->stopTimers();
    if (reusable) {
        m_parser.resume();
        m_pool->connectionIdle(this);  // may hand us the next queued request
    } else {
        closeAndForget();
    }
    if (ex->done) return;
    ex->done = true;
    auto cb = std::move(ex->callbacks.onComplete);
    ex->dropCallbacks();
    if (cb) cb();
}

void ClientConnection::cancelCurrent() {
    m_exchange.reset();
    closeAndForget();
}

void ClientConnection::closeAndForget() {
    if (m_dead) return;
    Pool* pool = m_pool;
    shutdown();
    pool->connectionGone(this);
}

void ClientConnection::shutdown() {
    if (m_dead) return;
    m_dead = true;
    m_connectTimer.stop();
    m_socket->abort();  // no callback comes after this (a queued one finds the socket closed)
    if (m_exchange) {
        m_exchange->connection = nullptr;
        m_exchange.reset();
    }
    deleteLater();
}

// ---------------------------------------------------------------------------------------------
// HttpClient

namespace {
// A timer ended the attempt: detach it from its connection (which cannot be reused mid-response)
// or from the queue, then report.
void failExchange(const std::shared_ptr<ClientExchange>& e, FailureKind kind, const std::string& message) {
    if (e->done) return;
    e->done = true;
    e->stopTimers();
    if (e->connection) {
        ClientConnection* c = e->connection;
        e->connection = nullptr;
        c->cancelCurrent();
    } else if (e->pool) {
        e->pool->cancelQueued(e.get());
    }
    ClientError err{kind, message, e->headersDelivered, e->status};
    auto cb = std::move(e->callbacks.onError);
    e->dropCallbacks();
    if (cb) cb(err);
}
}  // namespace

HttpClient::HttpClient(QObject* parent) : QObject(parent) {}

HttpClient::~HttpClient() { m_pools.clear(); }

Pool& HttpClient::poolFor(const std::string& host, quint16 port) {
    auto it = m_pools.find(std::pair<std::string_view, quint16>(host, port));
    if (it == m_pools.end()) it = m_pools.emplace(std::make_pair(host, port), std::make_unique<Pool>(this, host, port)).first;
    return *it->second;
}

RequestHandle HttpClient::send(ClientRequest request, ResponseCallbacks callbacks) {
    auto ex = std::make_shared<ClientExchange>(std::move(request), std::move(callbacks));
    std::weak_ptr<ClientExchange> weak = ex;
    if (ex->request.tryTimeoutMs > 0) {
        ex->tryTimer = std::make_unique<QTimer>();
        ex->tryTimer->setSingleShot(true);
        connect(ex->tryTimer.get(), &QTimer::timeout, this, [weak] {
            if (auto e = weak.lock()) {
                failExchange(e, FailureKind::PerTryTimeout,
                             "upstream attempt exceeded " + std::to_string(e->request.tryTimeoutMs) + " ms");
            }
        });
        ex->tryTimer->start(ex->request.tryTimeoutMs);
    }
    if (ex->request.idleTimeoutMs > 0) {
        // Armed when the request is written, re-armed by every byte received.
        ex->idleTimer = std::make_unique<QTimer>();
        ex->idleTimer->setSingleShot(true);
        connect(ex->idleTimer.get(), &QTimer::timeout, this, [weak] {
            if (auto e = weak.lock()) {
                failExchange(e, FailureKind::IdleTimeout,
                             "no bytes from upstream for " + std::to_string(e->request.idleTimeoutMs) + " ms");
            }
        });
    }
    RequestHandle handle{ex};
    poolFor(ex->request.host, ex->request.port).submit(ex);
    return handle;
}

RequestHandle HttpClient::fetch(ClientRequest request, std::function<void(FetchOutcome)> done) {
    struct State {
        FullResponse response;
        std::function<void(FetchOutcome)> done;
    };
    auto state = std::make_shared<State>();
    state->done = std::move(done);
    ResponseCallbacks cb;
    cb.onHeaders = [state](ResponseHead&& h) { state->response.head = std::move(h); };
    cb.onData = [state](const QByteArray& d) { state->response.body += d; };
    cb.onComplete = [state] {
        if (state->done) state->done(std::move(state->response));
    };
    cb.onError = [state](const ClientError& e) {
        if (state->done) state->done(e);
    };
    return send(std::move(request), std::move(cb));
}

void HttpClient::setMaxConnectionsPerHost(int max) { m_maxPerHost = max < 1 ? 1 : max; }

void HttpClient::closeIdleConnections() {
    for (auto& [key, pool] : m_pools) pool->closeIdle();
}

HttpClient::Stats HttpClient::stats() const {
    Stats s;
    s.connectionsOpened = m_connectionsOpened;
    s.connectionsReused = m_connectionsReused;
    s.requestsSent = m_requestsSent;
    for (const auto& [key, pool] : m_pools) pool->addStats(s);
    return s;
}

}  // namespace aigw::http
