// HttpClient against HttpServer and against raw QTcpServers that misbehave on purpose.
#include <QtTest>

#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http_client.h"
#include "http/http_server.h"

using namespace aigw::http;


namespace {

// Upper bound on every wait below: only a hung test reaches it, so it is generous (a loaded machine
// must never hit it); nothing asserts how long a wait took.
constexpr int kHungMs = 30000;

struct Recorder {
    std::vector<std::string> events;  // "headers 200", "data <bytes>", "complete", "error <kind>"
    std::optional<ResponseHead> head;
    QByteArray body;
    std::optional<ClientError> error;
    bool completed = false;

    ResponseCallbacks callbacks() {
        return {.onHeaders =
                    [this](const ResponseHead& h) {
                        head = h;
                        events.push_back("headers " + std::to_string(h.status));
                    },
                .onData =
                    [this](const QByteArray& d) {
                        body += d;
                        events.push_back("data " + d.toStdString());
                    },
                .onComplete =
                    [this] {
                        completed = true;
                        events.push_back("complete");
                    },
                .onError =
                    [this](const ClientError& e) {
                        error = e;
                        events.push_back(std::string("error ") + failureKindName(e.kind));
                    }};
    }
    bool finished() const { return completed || error.has_value(); }
};

// A raw server whose behaviour per accepted socket is a lambda: lets tests send exact bytes.
class RawServer : public QObject {
public:
    explicit RawServer(std::function<void(QTcpSocket*)> onRequest) : m_onRequest(std::move(onRequest)) {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = m_server.nextPendingConnection()) {
                ++accepted;
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    s->setProperty("buf", s->property("buf").toByteArray() + s->readAll());
                    if (s->property("buf").toByteArray().contains("\r\n\r\n") && !s->property("done").toBool()) {
                        s->setProperty("done", true);
                        m_onRequest(s);
                    }
                });
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }
    int accepted = 0;

private:
    QTcpServer m_server;
    std::function<void(QTcpSocket*)> m_onRequest;
};

/// A server that keeps the last request it got and answers 204.
struct RecordingServer {
    std::shared_ptr<HttpRequest> seen;
    HttpServer server{[this](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
        seen = std::move(req);
        res->send(204, {}, {});
    }};
};

void resetSocket(QTcpSocket* s) {
    const linger lg{1, 0};
    ::setsockopt(static_cast<int>(s->socketDescriptor()), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    s->abort();
}

}  // namespace

class TestHttpClient : public QObject {
    Q_OBJECT
private slots:
    void keepAliveConnectionIsReused() {
        HttpServer server([](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
            res->send(200, {{"x-path", req->path}}, req->body);
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        HttpClient client;
        for (int i = 0; i < 5; ++i) {
            Recorder r;
            client.send({.method = "POST", .port = server.port(), .target = "/p" + std::to_string(i), .body = "b" + QByteArray::number(i)},
                        r.callbacks());
            QTRY_VERIFY_WITH_TIMEOUT(r.finished(), kHungMs);
            QVERIFY(r.completed);
            QCOMPARE(r.head->headers.value("X-PATH"), "/p" + std::to_string(i));
            QCOMPARE(r.body, "b" + QByteArray::number(i));
        }
        const auto st = client.stats();
        QCOMPARE(st.connectionsOpened, std::uint64_t(1));
        QCOMPARE(st.connectionsReused, std::uint64_t(4));
        QCOMPARE(st.idleConnections, 1);
        QCOMPARE(server.connectionsAccepted(), std::uint64_t(1));
    }

    void noConcurrencyCapBelow1024ButCapIsHonoured() {
        std::vector<std::shared_ptr<HttpResponder>> held;
        int target = 600;
        HttpServer server([&](std::shared_ptr<HttpRequest>, std::shared_ptr<HttpResponder> res) {
            held.push_back(res);
            if (static_cast<int>(held.size()) == target) {
                for (auto& h : held) h->send(200, {}, "x");
                held.clear();
            }
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        HttpClient client;
        QCOMPARE(client.maxConnectionsPerHost(), 1024);
        int done = 0;
        for (int i = 0; i < target; ++i) {
            client.fetch({.port = server.port()}, [&](FetchOutcome o) { done += std::holds_alternative<FullResponse>(o) ? 1 : 1000; });
        }
        QTRY_COMPARE_WITH_TIMEOUT(done, target, kHungMs);
        QCOMPARE(client.stats().connectionsOpened, std::uint64_t(target));

        // With a cap of 2, the rest queue and reuse the two connections.
        HttpClient capped;
        capped.setMaxConnectionsPerHost(2);
        target = 1;  // answer each at once
        done = 0;
        for (int i = 0; i < 6; ++i) {
            capped.fetch({.port = server.port()}, [&](FetchOutcome o) { done += std::holds_alternative<FullResponse>(o) ? 1 : 1000; });
        }
        QCOMPARE(capped.stats().queuedRequests, 4);
        QTRY_COMPARE_WITH_TIMEOUT(done, 6, kHungMs);
        QCOMPARE(capped.stats().connectionsOpened, std::uint64_t(2));
    }

    void streamingDeliversHeadersThenChunksAsTheyArrive() {
        std::shared_ptr<HttpResponder> stream;
        HttpServer server([&](std::shared_ptr<HttpRequest>, std::shared_ptr<HttpResponder> res) {
            stream = res;
            res->startStream(200, {{"content-type", "text/event-stream"}});
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        HttpClient client;
        Recorder r;
        client.send({.port = server.port()}, r.callbacks());
        QTRY_VERIFY_WITH_TIMEOUT(r.head.has_value(), kHungMs);
        QCOMPARE(r.events, std::vector<std::string>{"headers 200"});
        stream->writeChunk("one");
        QTRY_COMPARE_WITH_TIMEOUT(r.events.size(), std::size_t(2), kHungMs);
        QCOMPARE(r.events.back(), std::string("data one"));
        stream->writeChunk("two");
        QTRY_COMPARE_WITH_TIMEOUT(r.events.size(), std::size_t(3), kHungMs);
        stream->finish();
        QTRY_VERIFY_WITH_TIMEOUT(r.completed, kHungMs);
        QCOMPARE(r.events, (std::vector<std::string>{"headers 200", "data one", "data two", "complete"}));
    }

    void bodyFramings_data() {
        QTest::addColumn<QByteArray>("response");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("closeAfter");
        QTest::newRow("content-length") << QByteArray("HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello") << QByteArray("hello") << false;
        QTest::newRow("chunked") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
                                 << QByteArray("abcde") << false;
        QTest::newRow("close-delimited") << QByteArray("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end") << QByteArray("until the end") << true;
        QTest::newRow("http/1.0 close-delimited") << QByteArray("HTTP/1.0 200 OK\r\n\r\nold") << QByteArray("old") << true;
        QTest::newRow("100 continue first") << QByteArray("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") << QByteArray("ok") << false;
    }
    void bodyFramings() {
        QFETCH(QByteArray, response);
        QFETCH(QByteArray, body);
        QFETCH(bool, closeAfter);
        RawServer raw([&](QTcpSocket* s) {
            s->write(response);
            if (closeAfter) s->disconnectFromHost();
        });
        HttpClient client;
        std::optional<FetchOutcome> out;
        client.fetch({.method = "POST", .port = raw.port(), .body = "x"}, [&](FetchOutcome o) { out = std::move(o); });
        QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), kHungMs);
        auto* r = std::get_if<FullResponse>(&*out);
        QVERIFY2(r, std::get_if<ClientError>(&*out) ? std::get<ClientError>(*out).message.c_str() : "");
        QCOMPARE(r->body, body);
        QVERIFY(r->head.status >= 200);
        QCOMPARE(client.stats().idleConnections, closeAfter ? 0 : 1);
    }

    void refusedWhenNothingListens() {
        quint16 port = 0;
        {
            QTcpServer s;
            QVERIFY(s.listen(QHostAddress::LocalHost, 0));
            port = s.serverPort();
        }
        HttpClient client;
        Recorder r;
        client.send({.port = port}, r.callbacks());
        QTRY_VERIFY_WITH_TIMEOUT(r.finished(), kHungMs);
        QVERIFY(r.error);
        QCOMPARE(failureKindName(r.error->kind), failureKindName(FailureKind::ConnectionRefused));
        QVERIFY(!r.error->headersReceived);
        QCOMPARE(r.events.size(), std::size_t(1));
    }

    void resetOrCloseBeforeHeaders_data() {
        QTest::addColumn<int>("how");
        QTest::newRow("rst") << 0;
        QTest::newRow("fin") << 1;
        QTest::newRow("partial head then fin") << 2;
    }
    void resetOrCloseBeforeHeaders() {
        QFETCH(int, how);
        RawServer raw([how](QTcpSocket* s) {
            if (how == 0) resetSocket(s);
            else if (how == 1) s->disconnectFromHost();
            else {
                s->write("HTTP/1.1 200 OK\r\nContent-Le");
                s->disconnectFromHost();
            }
        });
        HttpClient client;
        Recorder r;
        client.send({.port = raw.port()}, r.callbacks());
        QTRY_VERIFY_WITH_TIMEOUT(r.finished(), kHungMs);
        QVERIFY(r.error);
        QCOMPARE(failureKindName(r.error->kind), failureKindName(FailureKind::ResetBeforeHeaders));
        QVERIFY(!r.head);
    }

    void closeOrResetMidBody_data() {
        QTest::addColumn<bool>("rst");
        QTest::addColumn<bool>("chunked");
        QTest::newRow("fin content-length") << false << false;
        QTest::newRow("rst content-length") << true << false;
        QTest::newRow("fin chunked") << false << true;
    }
    void closeOrResetMidBody() {
        QFETCH(bool, rst);
        QFETCH(bool, chunked);
        // The server cuts the connection once the client has the first bytes of the body.
        QPointer<QTcpSocket> held;
        RawServer raw([&](QTcpSocket* s) {
            s->write(chunked ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
                             : "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello");
            s->flush();
            held = s;
        });
        HttpClient client;
        Recorder r;
        client.send({.port = raw.port()}, r.callbacks());
        QTRY_VERIFY_WITH_TIMEOUT(held && r.body == "hello", kHungMs);
        if (rst) resetSocket(held);
        else held->disconnectFromHost();
        QTRY_VERIFY_WITH_TIMEOUT(r.finished(), kHungMs);
        QVERIFY(r.error);
        QCOMPARE(failureKindName(r.error->kind), failureKindName(FailureKind::ResetAfterHeaders));
        QVERIFY(r.error->headersReceived);
        QCOMPARE(r.error->status, 200);
        QCOMPARE(r.body, QByteArray("hello"));
        QCOMPARE(client.stats().idleConnections, 0);
    }

    void perTryTimeoutWhenTheServerNeverAnswers() {
        RawServer raw([](QTcpSocket*) {});
        HttpClient client;
        Recorder r;
        // The timeout does not fire early: a 100 ms marker timer started before the request fires
        // first (timers of one thread fire in due order, however late the loop runs).
        bool markerFired = false, markerBeforeError = false;
        QTimer marker;
        marker.setSingleShot(true);
        marker.setTimerType(Qt::PreciseTimer);
        connect(&marker, &QTimer::timeout, this, [&] { markerFired = true; });
        marker.start(100);
        auto cb = r.callbacks();
        cb.onError = [&, inner = cb.onError](const ClientError& e) {
            markerBeforeError = markerFired;
            inner(e);
        };
        client.send({.port = raw.port(), .tryTimeoutMs = 150}, std::move(cb));
        QTRY_VERIFY_WITH_TIMEOUT(r.finished(), kHungMs);
        QVERIFY(markerBeforeError);
        QCOMPARE(failureKindName(r.error->kind), failureKindName(FailureKind::PerTryTimeout));
        QVERIFY(!r.error->headersReceived);
        QCOMPARE(client.stats().busyConnections, 0);
    }

    void perTryTimeoutCoversTheBody() {
        RawServer raw([](QTcpSocket* s) { s->write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"); });
        HttpClient client;
        Recorder r;
        client.send({.port = raw.port(), .tryTimeoutMs = 150}, r.callbacks());
        QTRY_VERIFY_WITH_TIMEOUT(r.finished(), kHungMs);
        QCOMPARE(failureKindName(r.error->kind), failureKindName(FailureKind::PerTryTimeout));
        QVERIFY(r.error->headersReceived);
    }

    void idleTimeoutWhenBytesStopComing() {
        // Bytes keep it alive past the idle timeout, then a stall ends it. The server sends the next
        // byte as soon as the client has the previous one, until a marker timer twice the idle
        // timeout (started before the request) has fired, then nothing more: an idle timer that the
        // bytes did not restart would fire before the marker. Decided by order, not by durations.
        constexpr int kIdleMs = 300;
        bool markerFired = false, markerBeforeError = false;
        QTimer marker;
        marker.setSingleShot(true);
        marker.setTimerType(Qt::PreciseTimer);
        connect(&marker, &QTimer::timeout, this, [&] { markerFired = true; });
        QPointer<QTcpSocket> held;
        RawServer raw([&](QTcpSocket* s) {
            held = s;
            s->write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n");
        });
        HttpClient client;
        Recorder r;
        auto cb = r.callbacks();
        cb.onData = [&, inner = cb.onData](const QByteArray& d) {
            inner(d);
            if (!markerFired && held) held->write("1\r\nx\r\n");
        };
        cb.onError = [&, inner = cb.onError](const ClientError& e) {
            markerBeforeError = markerFired;
            inner(e);
        };
        marker.start(2 * kIdleMs);
        client.send({.port = raw.port(), .idleTimeoutMs = kIdleMs}, std::move(cb));
        QTRY_VERIFY_WITH_TIMEOUT(r.finished(), kHungMs);
        QVERIFY(r.error);
        QCOMPARE(failureKindName(r.error->kind), failureKindName(FailureKind::IdleTimeout));
        QVERIFY(r.error->headersReceived);
        QVERIFY(markerBeforeError);
        QVERIFY2(r.body.size() >= 2 && r.body.count('x') == r.body.size(), r.body.left(100).constData());
    }

    void connectTimeoutOnABlackHole() {
        // A listening socket whose accept queue is full silently drops new SYNs, which is what a
        // black-holed host looks like from the client side.
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        QVERIFY(fd >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QVERIFY(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        QVERIFY(::listen(fd, 0) == 0);
        socklen_t len = sizeof addr;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        const quint16 port = ntohs(addr.sin_port);
        std::vector<std::unique_ptr<QTcpSocket>> fillers;
        for (int i = 0; i < 3; ++i) {
            fillers.push_back(std::make_unique<QTcpSocket>());
            fillers.back()->connectToHost(QHostAddress::LocalHost, port);
        }
        // Backlog 0 holds one connection: once one filler is connected, further SYNs are dropped.
        QVERIFY(QTest::qWaitFor(
            [&] {
                return std::any_of(fillers.begin(), fillers.end(),
                                   [](const auto& f) { return f->state() == QAbstractSocket::ConnectedState; });
            },
            kHungMs));
        HttpClient client;
        Recorder r;
        client.send({.port = port, .connectTimeoutMs = 200}, r.callbacks());
        QTRY_VERIFY_WITH_TIMEOUT(r.finished(), kHungMs);
        ::close(fd);
        QVERIFY(r.error);
        QCOMPARE(failureKindName(r.error->kind), failureKindName(FailureKind::ConnectTimeout));
    }

    void hostNotFound() {
        HttpClient client;
        Recorder r;
        client.send({.host = "no-such-host.invalid", .port = 80, .connectTimeoutMs = 8000}, r.callbacks());
        QTRY_VERIFY_WITH_TIMEOUT(r.finished(), 10000);
        QVERIFY(r.error);
        QCOMPARE(failureKindName(r.error->kind), failureKindName(FailureKind::HostNotFound));
    }

    void hostNameIsResolvedAndEachAddressTried() {
        // "localhost" may resolve to ::1 before 127.0.0.1; the server listens on 127.0.0.1 only, so
        // a refused first address must lead to the next one, not to an error.
        HttpServer server([](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
            res->send(200, {}, QByteArray::fromStdString(req->headers.value("host")));
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        HttpClient client;
        Recorder r;
        client.send({.host = "localhost", .port = server.port()}, r.callbacks());
        QTRY_VERIFY_WITH_TIMEOUT(r.finished(), kHungMs);
        QVERIFY2(r.completed, r.error ? r.error->message.c_str() : "");
        QCOMPARE(r.body, "localhost:" + QByteArray::number(server.port()));
    }

    void cancelStopsCallbacksAndTheServerSeesTheDisconnect() {
        bool serverSawDisconnect = false;
        std::shared_ptr<HttpResponder> held;
        HttpServer server([&](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
            if (req->path == "/barrier") {
                res->send(200, {}, "b");
                return;
            }
            held = res;
            res->onClientDisconnected([&] { serverSawDisconnect = true; });
            res->startStream(200, {});
            res->writeChunk("first");
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        HttpClient client;
        Recorder r;
        RequestHandle h = client.send({.port = server.port()}, r.callbacks());
        QVERIFY(h.active());
        QTRY_VERIFY_WITH_TIMEOUT(!r.body.isEmpty(), kHungMs);
        h.cancel();
        QVERIFY(!h.active());
        QTRY_VERIFY_WITH_TIMEOUT(serverSawDisconnect, kHungMs);
        held->writeChunk("more");
        // A whole exchange on the same client after it: anything still due to the cancelled one
        // would have come by then.
        std::optional<FetchOutcome> barrier;
        client.fetch({.port = server.port(), .target = "/barrier"}, [&](FetchOutcome o) { barrier = std::move(o); });
        QTRY_VERIFY_WITH_TIMEOUT(barrier.has_value(), kHungMs);
        QCOMPARE(r.events, (std::vector<std::string>{"headers 200", "data first"}));
        h.cancel();  // twice is harmless
    }

    void cancelFromInsideACallback() {
        HttpServer server([](std::shared_ptr<HttpRequest>, std::shared_ptr<HttpResponder> res) {
            res->send(200, {}, "body");
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        HttpClient client;
        RequestHandle h;
        int calls = 0;
        h = client.send({.port = server.port()}, {.onHeaders = [&](const ResponseHead&) { ++calls; h.cancel(); },
                                                   .onData = [&](const QByteArray&) { ++calls; },
                                                   .onComplete = [&] { ++calls; },
                                                   .onError = [&](const ClientError&) { ++calls; }});
        QTRY_COMPARE_WITH_TIMEOUT(calls, 1, kHungMs);
        // The client still works afterwards; once that second exchange is done, the cancelled one
        // has had every chance to call back again.
        std::optional<FetchOutcome> out;
        client.fetch({.port = server.port()}, [&](FetchOutcome o) { out = std::move(o); });
        QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), kHungMs);
        QVERIFY(std::holds_alternative<FullResponse>(*out));
        QCOMPARE(calls, 1);
    }

    void destroyingTheClientInsideACallbackIsSafe() {
        HttpServer server([](std::shared_ptr<HttpRequest>, std::shared_ptr<HttpResponder> res) { res->send(200, {}, "b"); });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        auto client = std::make_unique<HttpClient>();
        bool headers = false;
        client->send({.port = server.port()}, {.onHeaders = [&](const ResponseHead&) {
                                                    headers = true;
                                                    client.reset();
                                                }});
        QTRY_VERIFY_WITH_TIMEOUT(headers, kHungMs);
        QVERIFY(!client);
        // Run what the destroyed client left queued (deferred deletes, posted events): none may crash.
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        QCoreApplication::processEvents();
    }

    void serverClosingAnIdleConnectionIsNotAnError() {
        HttpServer server([](std::shared_ptr<HttpRequest>, std::shared_ptr<HttpResponder> res) { res->send(200, {}, "ok"); },
                          ServerOptions{.idleConnectionTimeoutMs = 50});
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        HttpClient client;
        for (int i = 0; i < 2; ++i) {
            std::optional<FetchOutcome> out;
            client.fetch({.port = server.port()}, [&](FetchOutcome o) { out = std::move(o); });
            QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), kHungMs);
            QVERIFY(std::holds_alternative<FullResponse>(*out));
            // The server closes the idle connection, and the client sees it close.
            QTRY_VERIFY_WITH_TIMEOUT(server.connectionCount() == 0 && client.stats().idleConnections == 0, kHungMs);
        }
        QCOMPARE(client.stats().connectionsOpened, std::uint64_t(2));
    }

    void staleReusedConnectionIsRetriedOnceOnAFreshOne() {
        // The server answers the first request with keep-alive, then silently closes the connection
        // when the next request arrives on it (the keep-alive race), and answers fresh connections.
        RawServer* rawPtr = nullptr;
        RawServer raw([&](QTcpSocket* s) {
            if (s->property("served").toBool()) return;
            s->setProperty("served", true);
            s->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            connect(s, &QTcpSocket::readyRead, s, [s] { s->disconnectFromHost(); });
        });
        rawPtr = &raw;
        HttpClient client;
        for (int i = 0; i < 2; ++i) {
            std::optional<FetchOutcome> out;
            client.fetch({.port = raw.port()}, [&](FetchOutcome o) { out = std::move(o); });
            QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), kHungMs);
            QVERIFY(std::holds_alternative<FullResponse>(*out));
        }
        QCOMPARE(rawPtr->accepted, 2);
        QCOMPARE(client.stats().connectionsReused, std::uint64_t(1));
    }

    void requestHeadersAndBodyArriveIntact() {
        RecordingServer recording;
        auto& [seen, server] = recording;
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        HttpClient client;
        std::optional<FetchOutcome> out;
        const QByteArray body(100000, 'z');
        client.fetch({.method = "POST", .port = server.port(), .target = "/v1/chat/completions?a=b",
                      .headers = {{"Content-Type", "application/json"}, {"x-multi", "1"}, {"x-multi", "2"},
                                  {"content-length", "3"}},
                      .body = body},
                     [&](FetchOutcome o) { out = std::move(o); });
        QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), kHungMs);
        QCOMPARE(std::get<FullResponse>(*out).head.status, 204);
        QCOMPARE(seen->path, std::string("/v1/chat/completions"));
        QCOMPARE(seen->query, std::string("a=b"));
        QCOMPARE(seen->headers.value("content-type"), std::string("application/json"));
        QCOMPARE(seen->headers.getAll("X-Multi"), (std::vector<std::string>{"1", "2"}));
        QCOMPARE(seen->headers.value("host"), "127.0.0.1:" + std::to_string(server.port()));
        QCOMPARE(seen->body.size(), body.size());
    }

    // Preformatted field lines go after `headers`, as they are, and carry the host (none added).
    void fieldLinesAreSentAsTheyAre() {
        RecordingServer recording;
        auto& [seen, server] = recording;
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        HttpClient client;
        std::optional<FetchOutcome> out;
        client.fetch({.method = "POST", .port = server.port(), .target = "/x", .headers = {{"x-first", "1"}},
                      .fieldLines = "x-line: a b\r\nhost: 127.0.0.1\r\nx-last: 2\r\n", .body = "{}"},
                     [&](FetchOutcome o) { out = std::move(o); });
        QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), kHungMs);
        QCOMPARE(std::get<FullResponse>(*out).head.status, 204);
        const std::vector<Headers::Entry> want{{"x-first", "1"}, {"x-line", "a b"}, {"host", "127.0.0.1"},
                                               {"x-last", "2"}, {"content-length", "2"}};
        QVERIFY(seen->headers.entries() == want);
        QCOMPARE(seen->body, QByteArray("{}"));
    }
};

QTEST_GUILESS_MAIN(TestHttpClient)
#include "test_http_client.moc"
