#pragma once
// A small HTTP/1.1 server: QTcpServer accepts, each connection is a non-blocking socket under
// QSocketNotifiers (tcp_stream.h), requests are parsed by message_parser.h.
//
// One HttpServer lives on the thread that created it; every connection, handler call and responder
// runs on that thread's event loop. Requests on one connection are handled strictly one at a time
// (pipelined requests wait, buffered, until the previous response finished), so responses can never
// interleave. Keep-alive follows the request (HTTP/1.1 default on, `Connection: close` honoured,
// HTTP/1.0 needs `Connection: keep-alive`).

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QString>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "http/access.h"
#include "http/headers.h"

class QTcpServer;

namespace aigw::http {

class Connection;

/// One parsed request. The body is complete when the handler runs (chunked bodies are de-chunked).
struct HttpRequest {
    std::string method;  ///< "GET", "POST", ...
    std::string target;  ///< the raw request-target, e.g. "/v1/models?x=1"
    std::string path;    ///< target without the query, not percent-decoded, e.g. "/v1/models"
    std::string query;   ///< text after '?', empty when absent
    Headers headers;
    QByteArray body;
    int httpMajor = 1;
    int httpMinor = 1;
    bool keepAlive = true;       ///< what the client asked for
    /// The client's address and port as peer() gives them, formatted once per connection and
    /// shared by its requests (a QHostAddress member allocated with every request).
    std::shared_ptr<const std::string> peerText;
    std::uint64_t connectionId = 0;  ///< server-unique, for logs
    std::uint64_t sequence = 0;      ///< 1-based index of this request on its connection

    /// "127.0.0.1:54321", "[::1]:54321"; empty when unknown.
    std::string peer() const { return peerText ? *peerText : std::string(); }
};

/// How `HttpResponder::abort` ends the connection.
enum class AbortMode {
    Close,  ///< flush what was written, then FIN: the client sees a truncated body (an error for chunked)
    Reset,  ///< RST at once (SO_LINGER 0), unsent bytes dropped: the client sees "connection reset"
};

/// Writes the response to one request. Handed to the handler as a shared_ptr; it stays valid for as
/// long as anyone holds it. When the connection is gone (client closed, server closed) every call
/// is a harmless no-op, so a handler can answer after an asynchronous delay without checks.
/// Must be used on the server's thread.
class HttpResponder {
public:
    /// Made by the server for each request (`request` supplies HEAD, version and keep-alive).
    HttpResponder(Connection* connection, const HttpRequest& request);
    ~HttpResponder();
    HttpResponder(const HttpResponder&) = delete;
    HttpResponder& operator=(const HttpResponder&) = delete;

    /// Whole response at once. Adds `content-length` unless present. Returns false when it could
    /// not be written (connection gone, or a response was already started).
    bool send(int status, Headers headers, const QByteArray& body);
    /// Starts a streamed response. Uses chunked transfer encoding (HTTP/1.1) unless `headers` carry a
    /// content-length; HTTP/1.0 clients get a close-delimited body.
    bool startStream(int status, Headers headers);
    /// Writes one piece of a streamed body (one chunk on the wire). Empty data is ignored.
    bool writeChunk(const QByteArray& data);
    /// Ends a streamed body (terminating chunk); the connection then serves the next request.
    bool finish();
    /// Ends the connection mid-response so the client sees an error rather than a clean end.
    void abort(AbortMode mode = AbortMode::Close);
    /// A header every response to this request carries, whoever sends it (e.g. CORS headers decided
    /// before the handler runs). Only before send() / startStream().
    void addResponseHeader(std::string name, std::string value);

    /// Called once if the client disconnects (or the server closes the connection) before this
    /// response finished, so in-flight upstream work can be cancelled. Called immediately if that
    /// already happened. Replaces any earlier callback.
    void onClientDisconnected(std::function<void()> callback);

    /// The connection is alive and this response has not finished or aborted.
    bool isOpen() const;
    /// The status line went out (send() or startStream() succeeded).
    bool headersSent() const { return m_headersSent; }
    /// The response completed (send() or finish()) or was aborted.
    bool finished() const { return m_finished; }
    /// Bytes queued in the socket but not yet handed to the kernel (for backpressure decisions).
    qint64 bytesPending() const;

private:
    friend class Connection;
    void connectionLost();
    /// Appends the status line and header block (framing headers already settled by the caller).
    static void appendHead(std::string& out, int status, const Headers& headers);
    static std::string head(int status, const Headers& headers);

    Connection* m_connection;  ///< cleared by Connection when it goes away (same thread)
    std::uint64_t m_sequence;
    bool m_headRequest;
    bool m_http10;
    bool m_keepAlive;
    bool m_headersSent = false;
    bool m_finished = false;
    bool m_chunked = false;
    bool m_closeAfterFinish = false;
    bool m_lost = false;
    std::function<void()> m_onDisconnect;
    Headers m_extraHeaders;
};

using Handler = std::function<void(std::shared_ptr<HttpRequest>, std::shared_ptr<HttpResponder>)>;

struct ServerOptions {
    /// Requests whose body would exceed this get the payload-too-large handler (default: 413 with a
    /// short text body) and the connection is closed. <= 0 means no limit.
    qint64 maxBodyBytes = 32 * 1024 * 1024;
    /// Close a keep-alive connection idle for this long between requests; 0 = never.
    /// (Request heads are limited by the parser to 80 KiB; bigger ones are a parse error: 400.)
    int idleConnectionTimeoutMs = 0;
};

class HttpServer : public QObject {
    Q_OBJECT
public:
    explicit HttpServer(Handler handler, ServerOptions options = {}, QObject* parent = nullptr);
    ~HttpServer() override;

    /// Binds `host:port` (port 0 picks a free port) and starts accepting. Returns the bound port,
    /// or an error naming the address and the system's reason.
    Result<quint16> listen(const QString& host, quint16 port);
    /// Stops accepting new connections; open connections keep being served (for draining).
    void stopListening();
    /// Stops accepting and closes every connection at once (in-flight responders turn into no-ops
    /// and get their disconnect callback).
    void close();

    bool isListening() const;
    quint16 port() const;
    QString host() const;
    /// "http://HOST:PORT" of the bound address.
    QString url() const;

    /// Replaces the request handler (applies to requests parsed from now on).
    void setHandler(Handler handler);
    /// Handler for requests whose body exceeds the limit. It receives the request with headers and
    /// no body; whatever it sends, the connection closes afterwards. Null restores the default 413.
    void setPayloadTooLargeHandler(Handler handler);
    void setMaxBodyBytes(qint64 bytes);
    /// Answer only requests whose `Host` names this server (see http/access.h); others get 403 with
    /// a JSON error, logged, before any handler runs. Requests without a Host header (HTTP/1.0
    /// clients; never a browser) pass. Off until called.
    void setAccessPolicy(AccessPolicy policy);
    qint64 maxBodyBytes() const { return m_options.maxBodyBytes; }

    int connectionCount() const;
    /// Input read from clients and not parsed yet, over all connections: pipelined requests waiting
    /// behind a response. Each connection stops reading at 1 MiB of it until its response ends.
    qint64 bufferedInputBytes() const;
    /// Requests handed to a handler whose response has not finished yet.
    int activeRequests() const { return m_activeRequests; }
    /// Total requests handed to a handler (including 413s), since construction.
    std::uint64_t requestsServed() const { return m_requestsServed; }
    /// Total accepted connections since construction (tests use it to check keep-alive reuse).
    std::uint64_t connectionsAccepted() const { return m_connectionsAccepted; }

signals:
    /// A response finished or its connection went away; activeRequests() already decreased.
    void requestDone();

private:
    friend class Connection;
    friend class HttpResponder;
    void accepted(int fd);
    void connectionClosed(Connection* connection);

    QTcpServer* m_listener;
    Handler m_handler;
    Handler m_tooLargeHandler;
    ServerOptions m_options;
    std::optional<AccessPolicy> m_access;
    std::uint64_t m_accessGeneration = 1;  ///< bumped by setAccessPolicy (connections cache a passed Host)
    std::string m_listenHost;  ///< the bound address as text, for the Host check
    std::vector<Connection*> m_connections;
    int m_activeRequests = 0;
    std::uint64_t m_requestsServed = 0;
    std::uint64_t m_connectionsAccepted = 0;
    std::uint64_t m_nextConnectionId = 1;
};

}  // namespace aigw::http
