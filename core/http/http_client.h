#pragma once
// Upstream HTTP/1.1 client with a keep-alive connection pool per server (key host:port), responses
// parsed by message_parser.h (content-length, chunked and close-delimited bodies), headers and body pieces
// delivered as they arrive, and failures classified the way Envoy's retry/outlier logic needs them.
//
// An HttpClient lives on the thread that created it and runs on that thread's event loop (the proxy
// runs it on its own QThread). Callbacks run on that thread too.

#include <QByteArray>
#include <QObject>
#include <QString>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "http/headers.h"

namespace aigw::http {

/// Why an upstream attempt failed. Each maps to one Envoy retry/outlier category.
enum class FailureKind {
    ConnectionRefused,   ///< RST on connect (server not listening): Envoy "connect-failure"
    ConnectTimeout,      ///< no connection within connectTimeoutMs (black-holed host)
    HostNotFound,        ///< the host name does not resolve
    ResetBeforeHeaders,  ///< connected, then reset/closed before a complete response head
    ResetAfterHeaders,   ///< reset/closed after the head, before the body completed (stream broke)
    PerTryTimeout,       ///< the whole attempt took longer than tryTimeoutMs
    IdleTimeout,         ///< no bytes from the server for idleTimeoutMs (stream idle timeout)
    ProtocolError,       ///< the server sent something that is not HTTP/1.x
    Cancelled,           ///< cancel() was called (never delivered to callbacks; listed for records)
};

/// Stable lower-case name, e.g. "connection_refused", "reset_after_headers".
const char* failureKindName(FailureKind kind);
/// Same as failureKindName(). The enums' names are nameOf(), never a free toString(): QtTest finds a
/// toString() by argument-dependent lookup for QCOMPARE and delete[]s what it returns, so a failing
/// comparison of two values freed a string literal and aborted the test (tests/qtest_names.h gives
/// QtTest names it may free).
inline const char* nameOf(FailureKind kind) { return failureKindName(kind); }

struct ClientError {
    FailureKind kind = FailureKind::ProtocolError;
    std::string message;           ///< human-readable detail (system error text, timeout values)
    bool headersReceived = false;  ///< the response head had already been delivered
    int status = 0;                ///< the status of the delivered head, when there was one
};

struct ClientRequest {
    std::string method = "GET";
    std::string host = "127.0.0.1";  ///< name or IP literal
    quint16 port = 80;
    std::string target = "/";  ///< path and query as sent on the request line
    Headers headers;           ///< `host` and `content-length` are added when absent
    /// Field lines already formatted ("name: value\r\n" each), sent after `headers`: one string for
    /// a caller that forwards many fields (the proxy) instead of a Headers copy. They frame nothing;
    /// when set, they include the host line (none is added).
    std::string fieldLines;
    QByteArray body;
    int connectTimeoutMs = 10000;  ///< Envoy's default cluster connect timeout; 0 = none
    int tryTimeoutMs = 0;          ///< from send() until the response completed; 0 = none
    int idleTimeoutMs = 0;         ///< longest gap without bytes from the server once sent; 0 = none
};

struct ResponseHead {
    int status = 0;
    Headers headers;
    int httpMajor = 1;
    int httpMinor = 1;
};

/// Streaming callbacks. Exactly one of onComplete / onError is called per send(), unless the
/// request is cancelled first (then none). onHeaders comes once before any onData. Callbacks may
/// call cancel() or destroy the client; nothing further is delivered after that.
struct ResponseCallbacks {
    /// The connection is ready and the whole request was written to it (Envoy arms the per-try
    /// timeout here: onPoolReady, body complete). Optional; may not cancel the request.
    std::function<void()> onSent;
    /// The head is handed over: a callee may move from it (a callee taking `const ResponseHead&`
    /// works too).
    std::function<void(ResponseHead&&)> onHeaders;
    std::function<void(const QByteArray&)> onData;  ///< de-chunked body bytes, in arrival order
    std::function<void()> onComplete;
    std::function<void(const ClientError&)> onError;
};

/// A whole response, for fetch().
struct FullResponse {
    ResponseHead head;
    QByteArray body;
};

/// fetch() result: the response (any status), or the failure.
using FetchOutcome = std::variant<FullResponse, ClientError>;

class ClientExchange;

/// Refers to one in-flight request. Copyable; outliving the request or the client is harmless.
class RequestHandle {
public:
    RequestHandle() = default;
    explicit RequestHandle(std::weak_ptr<ClientExchange> exchange) : m_exchange(std::move(exchange)) {}
    /// Abandons the request: closes its connection (unless it is back in the pool) and suppresses
    /// every later callback. No-op when already done.
    void cancel();
    /// Still waiting for a completion or error.
    bool active() const;

private:
    std::weak_ptr<ClientExchange> m_exchange;
};

class Pool;
class ClientConnection;

class HttpClient : public QObject {
    Q_OBJECT
public:
    explicit HttpClient(QObject* parent = nullptr);
    ~HttpClient() override;  ///< cancels every in-flight request (no callbacks) and closes sockets

    /// Sends `request` on a pooled keep-alive connection to host:port (a new one when none is idle).
    RequestHandle send(ClientRequest request, ResponseCallbacks callbacks);
    /// Buffers the whole response; `done` gets it or the error. Same cancellation rules as send().
    RequestHandle fetch(ClientRequest request, std::function<void(FetchOutcome)> done);

    /// Upper bound on connections per host:port (idle + busy); requests beyond it wait in a queue.
    /// Default 1024 (Envoy's circuit-breaker default). Values < 1 become 1.
    void setMaxConnectionsPerHost(int max);
    int maxConnectionsPerHost() const { return m_maxPerHost; }
    /// Keep at most this many idle connections per host:port (extra ones are closed). Default 1024.
    void setMaxIdlePerHost(int max) { m_maxIdlePerHost = max < 0 ? 0 : max; }

    /// Closes idle pooled connections (e.g. after a server restarted on the same port).
    void closeIdleConnections();

    struct Stats {
        std::uint64_t connectionsOpened = 0;  ///< TCP connections started
        std::uint64_t connectionsReused = 0;  ///< requests sent on an already-open connection
        std::uint64_t requestsSent = 0;
        int idleConnections = 0;
        int busyConnections = 0;
        int queuedRequests = 0;
    };
    Stats stats() const;

private:
    friend class Pool;
    friend class ClientExchange;
    friend class ClientConnection;
    Pool& poolFor(const std::string& host, quint16 port);

    /// Pools by (host, port); looked up with a string_view so sending builds no key string.
    struct PoolKeyLess {
        using is_transparent = void;
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return std::pair<std::string_view, quint16>(a.first, a.second) < std::pair<std::string_view, quint16>(b.first, b.second);
        }
    };
    std::map<std::pair<std::string, quint16>, std::unique_ptr<Pool>, PoolKeyLess> m_pools;
    int m_maxPerHost = 1024;
    int m_maxIdlePerHost = 1024;
    std::uint64_t m_connectionsOpened = 0;
    std::uint64_t m_connectionsReused = 0;
    std::uint64_t m_requestsSent = 0;
};

}  // namespace aigw::http
