// HttpServer against raw sockets (to control exact bytes) and against HttpClient.
#include <QtTest>

#include <QTcpServer>
#include <QTcpSocket>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http_client.h"
#include "http/http_server.h"
#include "http/tcp_stream.h"

using namespace aigw::http;


namespace {

// Upper bound on every wait below: only a hung test reaches it, so it is generous (a loaded machine
// must never hit it); nothing asserts how long a wait took.
constexpr int kHungMs = 30000;

// Reads from `s` until `pred(buffer)` holds, the peer closed, or the test hangs.
template <typename Pred>
QByteArray readUntil(QTcpSocket& s, Pred pred, int timeoutMs = kHungMs) {
    QByteArray buf;
    (void)QTest::qWaitFor(
        [&] {
            buf += s.readAll();
            return pred(buf) || (s.state() != QAbstractSocket::ConnectedState && s.bytesAvailable() == 0);
        },
        timeoutMs);
    buf += s.readAll();
    return buf;
}

QByteArray readUntilClosed(QTcpSocket& s, int timeoutMs = kHungMs) {
    QByteArray buf;
    (void)QTest::qWaitFor(
        [&] {
            buf += s.readAll();
            return s.state() != QAbstractSocket::ConnectedState;
        },
        timeoutMs);
    buf += s.readAll();
    return buf;
}

// Bytes the kernel holds for `fd` that nobody read yet.
int unreadBytes(qintptr fd) {
    int n = 0;
    return ::ioctl(static_cast<int>(fd), FIONREAD, &n) == 0 ? n : -1;
}

// The server accepted a connection and read everything sent to it so far (nothing left in the
// kernel's buffer): what a client wrote earlier was parsed before anything it writes next.
bool serverReadEverything(const HttpServer& server) {
    const auto streams = server.findChildren<detail::TcpStream*>();
    if (streams.empty()) return false;
    for (const detail::TcpStream* s : streams)
        if (unreadBytes(s->descriptor()) != 0) return false;
    return true;
}

bool connectTo(QTcpSocket& s, quint16 port) {
    s.connectToHost(QHostAddress::LocalHost, port);
    return s.waitForConnected(kHungMs);
}

// Echo handler: "<method> <path>?<query> <body>" with a header echo.
Handler echoHandler() {
    return [](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
        QByteArray body = QByteArray::fromStdString(req->method + " " + req->path + "?" + req->query + " ") + req->body;
        res->send(200, {{"content-type", "text/plain"}, {"x-seq", std::to_string(req->sequence)},
                        {"x-ua", req->headers.value("USER-AGENT")}},
                  body);
    };
}

int count(const QByteArray& hay, const QByteArray& needle) {
    int n = 0;
    for (qsizetype i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) ++n;
    return n;
}

}  // namespace

class TestHttpServer : public QObject {
    Q_OBJECT
private slots:
    void listensOnPortZeroAndReportsUrl() {
        HttpServer server(echoHandler());
        auto port = server.listen("127.0.0.1", 0);
        QVERIFY(port.ok());
        QVERIFY(port.value() != 0);
        QCOMPARE(server.port(), port.value());
        QCOMPARE(server.url(), QString("http://127.0.0.1:%1").arg(port.value()));
    }

    void listenErrorsAreValues() {
        HttpServer a(echoHandler());
        auto port = a.listen("127.0.0.1", 0);
        QVERIFY(port.ok());
        HttpServer b(echoHandler());
        auto taken = b.listen("127.0.0.1", port.value());
        QVERIFY(!taken.ok());
        QVERIFY2(taken.error().message.find("cannot listen on 127.0.0.1:") == 0, taken.error().message.c_str());
        auto bad = b.listen("not an address", 0);
        QVERIFY(!bad.ok());
        QVERIFY(bad.error().message.find("not an IP address") != std::string::npos);
    }

    void keepAliveServesSequentialRequestsOnOneConnection() {
        HttpServer server(echoHandler());
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        for (int i = 1; i <= 3; ++i) {
            s.write("GET /a/b?x=" + QByteArray::number(i) + " HTTP/1.1\r\nHost: t\r\nUser-Agent: ua" +
                    QByteArray::number(i) + "\r\n\r\n");
            const QByteArray expected = "GET /a/b?x=" + QByteArray::number(i) + " ";
            const QByteArray r = readUntil(s, [&](const QByteArray& b) { return b.endsWith(expected); });
            QVERIFY2(r.startsWith("HTTP/1.1 200 OK\r\n"), r.constData());
            QVERIFY(r.contains("x-seq: " + QByteArray::number(i)));
            QVERIFY(r.contains("x-ua: ua" + QByteArray::number(i)));
            QVERIFY(r.endsWith("GET /a/b?x=" + QByteArray::number(i) + " "));
        }
        QCOMPARE(server.connectionsAccepted(), std::uint64_t(1));
        QCOMPARE(s.state(), QAbstractSocket::ConnectedState);
    }

    // Each request names its client as address:port, the connection's own (logged when refused).
    void requestsNameTheirPeer() {
        std::vector<std::string> peers;
        HttpServer server([&](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
            peers.push_back(req->peer());
            res->send(200, {}, QByteArray("ok"));
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        for (int i = 0; i < 2; ++i) {
            s.write("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            const QByteArray r = readUntil(s, [](const QByteArray& b) { return b.endsWith("ok"); });
            QVERIFY2(r.startsWith("HTTP/1.1 200 OK\r\n"), r.constData());
        }
        const std::string want = "127.0.0.1:" + std::to_string(s.localPort());
        QCOMPARE(peers, (std::vector<std::string>{want, want}));
    }

    void pipelinedRequestsAnswerInOrderEvenWhenTheFirstIsSlow() {
        // The first answer is held until the server has read all three requests: the later two are
        // waiting behind it and must not overtake it.
        std::shared_ptr<HttpResponder> slow;
        HttpServer server([&](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
            const QByteArray body = QByteArray::fromStdString(req->path);
            if (req->path == "/slow") {
                slow = res;
            } else {
                res->send(200, {}, body);
            }
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        s.write("GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET /fast1 HTTP/1.1\r\nHost: t\r\n\r\n"
                "POST /fast2 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
        QVERIFY(QTest::qWaitFor([&] { return slow && serverReadEverything(server); }, kHungMs));
        QVERIFY(s.readAll().isEmpty());
        slow->send(200, {}, "/slow");
        const QByteArray r = readUntil(s, [](const QByteArray& b) { return b.endsWith("/fast2"); });
        const qsizetype a = r.indexOf("\r\n\r\n/slow");
        const qsizetype b = r.indexOf("\r\n\r\n/fast1");
        const qsizetype c = r.indexOf("\r\n\r\n/fast2");
        QVERIFY2(a > 0 && b > a && c > b, r.constData());
        QCOMPARE(count(r, "HTTP/1.1 200 OK"), 3);
    }

    void pipelinedInputStopsBeingReadAtOneMebibyteUntilTheResponseEnds() {
        // A client pipelines 6 MiB of requests behind one the handler holds. The server buffers at
        // most 1 MiB (plus one read) of them and leaves the rest in the kernel; once the held response
        // goes out it reads on and answers every request, in order.
        constexpr qint64 kCap = 1024 * 1024;
        constexpr qint64 kOneRead = 64 * 1024;  // the most one readable event appends (TcpStream::read)
        std::shared_ptr<HttpResponder> held;
        int answered = 0;
        HttpServer server([&](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
            if (req->path == "/hold") {
                held = res;
                return;
            }
            ++answered;
            res->send(200, {}, QByteArray::fromStdString(req->path));
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        const QByteArray body(4096, 'b');
        QByteArray pipeline = "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n";
        constexpr int kRequests = 1536;  // 6 MiB of 4 KiB bodies
        for (int i = 0; i < kRequests; ++i)
            pipeline += "POST /r" + QByteArray::number(i) + " HTTP/1.1\r\nHost: t\r\nContent-Length: 4096\r\n\r\n" + body;
        s.write(pipeline);
        qint64 most = 0;
        const auto sample = [&] { most = std::max(most, server.bufferedInputBytes()); };
        // Until the server holds its cap and the kernel holds more behind it.
        QVERIFY(QTest::qWaitFor(
            [&] {
                sample();
                const auto streams = server.findChildren<detail::TcpStream*>();
                return held && streams.size() == 1 && server.bufferedInputBytes() >= kCap &&
                       unreadBytes(streams.front()->descriptor()) > 0;
            },
            kHungMs));
        const auto streams = server.findChildren<detail::TcpStream*>();
        // More passes of the event loop than reading the rest would take (at most 64 KiB a pass): a
        // server that read on would buffer far past its cap here (the client keeps writing too).
        for (int i = 0; i < 200; ++i) {
            QCoreApplication::processEvents();
            sample();
        }
        QVERIFY2(most <= kCap + kOneRead, QByteArray::number(most).constData());
        QVERIFY2(unreadBytes(streams.front()->descriptor()) > 0, "the server read everything: no back pressure");
        QCOMPARE(answered, 0);
        held->send(200, {}, "/hold");
        const QByteArray last = "/r" + QByteArray::number(kRequests - 1);
        const QByteArray r = readUntil(s, [&](const QByteArray& b) { return b.endsWith(last); });
        QCOMPARE(answered, kRequests);
        QCOMPARE(count(r, "HTTP/1.1 200 OK"), kRequests + 1);
        QVERIFY(r.indexOf("\r\n\r\n/hold") < r.indexOf("\r\n\r\n/r0"));
        QCOMPARE(server.bufferedInputBytes(), qint64(0));
    }

    void chunkedRequestBodyIsDechunked() {
        QByteArray received;
        HttpServer server([&](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
            received = req->body;
            res->send(200, {}, "ok");
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        s.write("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        QVERIFY(s.waitForBytesWritten(kHungMs));
        // The body's second chunk goes out only once the server has read the first: two reads for certain.
        QVERIFY(QTest::qWaitFor([&] { return serverReadEverything(server); }, kHungMs));
        QVERIFY(received.isEmpty());
        s.write("6\r\n world\r\n0\r\n\r\n");
        const QByteArray r = readUntil(s, [](const QByteArray& b) { return b.endsWith("ok"); });
        QVERIFY(r.startsWith("HTTP/1.1 200"));
        QCOMPARE(received, QByteArray("hello world"));
    }

    void streamedResponseUsesChunkedEncodingAndArrivesPiecewise() {
        // The server holds the second chunk until the client has seen the first: a first chunk that
        // waited for the second (or for the end) never arrives and the read below gives up.
        std::shared_ptr<HttpResponder> held;
        HttpServer server([&](std::shared_ptr<HttpRequest>, std::shared_ptr<HttpResponder> res) {
            res->startStream(200, {{"content-type", "text/event-stream"}});
            res->writeChunk("data: 1\n\n");
            held = res;
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        s.write("GET /s HTTP/1.1\r\nHost: t\r\n\r\n");
        const QByteArray first = readUntil(s, [](const QByteArray& b) { return b.contains("data: 1"); });
        QVERIFY2(first.contains("data: 1"), first.constData());
        QVERIFY(first.contains("transfer-encoding: chunked\r\n"));
        QVERIFY(first.endsWith("9\r\ndata: 1\n\n\r\n"));
        QVERIFY(held);
        held->writeChunk("data: 2\n\n");
        held->finish();
        held.reset();
        const QByteArray rest = readUntil(s, [](const QByteArray& b) { return b.endsWith("0\r\n\r\n"); });
        QCOMPARE(rest, QByteArray("9\r\ndata: 2\n\n\r\n0\r\n\r\n"));
        // Still usable afterwards.
        s.write("GET /again HTTP/1.1\r\nHost: t\r\n\r\n");
        QVERIFY(readUntil(s, [](const QByteArray& b) { return b.contains("data: 1"); }).startsWith("HTTP/1.1 200"));
    }

    void responsesLargerThanTheSocketBufferArriveWholeAndInOrder() {
        // Writes go to the kernel directly until it takes no more; the rest queues in Qt's buffer,
        // and later writes must queue behind it. A raw socket that reads only after everything was
        // written makes the first write partial for certain.
        auto pattern = [](qsizetype n, char salt) {
            QByteArray b(n, Qt::Uninitialized);
            for (qsizetype i = 0; i < n; ++i) b[i] = static_cast<char>('a' + (i * 7 + salt) % 26);
            return b;
        };
        const QByteArray whole = pattern(12 * 1024 * 1024, 1);
        const QByteArray pieces[] = {pattern(5 * 1024 * 1024, 2), pattern(100, 3), pattern(3 * 1024 * 1024, 4)};
        int handled = 0;
        HttpServer server([&](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
            ++handled;
            if (req->path == "/whole") {
                res->send(200, {{"content-type", "application/octet-stream"}}, whole);
                return;
            }
            res->startStream(200, {{"content-type", "application/octet-stream"}});
            for (const auto& p : pieces) res->writeChunk(p);
            res->finish();
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        s.write("GET /whole HTTP/1.1\r\nHost: t\r\n\r\nGET /pieces HTTP/1.1\r\nHost: t\r\n\r\n");
        QVERIFY(s.waitForBytesWritten(kHungMs));
        // Nobody reads until the server has written both responses (the second queues behind the first).
        QVERIFY(QTest::qWaitFor([&] { return handled == 2; }, kHungMs));
        const QByteArray got = readUntil(
            s, [](const QByteArray& b) { return b.endsWith("0\r\n\r\n") && b.size() > 20 * 1024 * 1024; });
        const auto headEnd = got.indexOf("\r\n\r\n");
        QVERIFY(headEnd > 0);
        QVERIFY(got.left(headEnd).contains("content-length: 12582912"));
        QCOMPARE(got.mid(headEnd + 4, whole.size()), whole);
        // The streamed response follows, de-chunked it equals the pieces in order.
        const QByteArray second = got.mid(headEnd + 4 + whole.size());
        QVERIFY(second.startsWith("HTTP/1.1 200"));
        QByteArray body;
        qsizetype i = second.indexOf("\r\n\r\n") + 4;
        while (true) {
            const auto eol = second.indexOf("\r\n", i);
            bool ok = false;
            const auto n = second.mid(i, eol - i).toLongLong(&ok, 16);
            QVERIFY(ok);
            if (n == 0) break;
            body += second.mid(eol + 2, n);
            i = eol + 2 + n + 2;
        }
        QCOMPARE(body, pieces[0] + pieces[1] + pieces[2]);
    }

    void writeQueuesBehindBytesStillHeld() {
        // TcpStream::write() sends directly only while its queue is empty. Once a write was partial,
        // later bytes must queue behind the rest even when the kernel has room again.
        QTcpServer listener;
        QVERIFY(listener.listen(QHostAddress::LocalHost, 0));
        const int raw = ::socket(AF_INET, SOCK_STREAM, 0);
        QVERIFY(raw >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(listener.serverPort());
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::connect(raw, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        QVERIFY(listener.waitForNewConnection(kHungMs));
        QTcpSocket* accepted = listener.nextPendingConnection();
        QVERIFY(accepted);
        const int fd = ::dup(static_cast<int>(accepted->socketDescriptor()));
        delete accepted;
        QVERIFY(fd >= 0);
        detail::TcpStream srv(fd, nullptr);
        QByteArray big(16 * 1024 * 1024, Qt::Uninitialized);
        for (qsizetype i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 23);
        srv.write(big.constData(), big.size());
        QVERIFY2(srv.bytesToWrite() > 0, "the kernel took 16 MiB at once: the test cannot check ordering");
        QByteArray got;
        auto readSome = [&](qsizetype atMost) {
            QByteArray chunk(atMost, Qt::Uninitialized);
            const auto n = ::recv(raw, chunk.data(), static_cast<size_t>(chunk.size()), MSG_DONTWAIT);
            if (n > 0) got += chunk.left(n);
        };
        readSome(1024 * 1024);  // the kernel has room again; the stream still holds the rest of `big`
        QVERIFY(!got.isEmpty());
        srv.write("MARK", 4);
        // The event loop lets the stream flush its queue.
        (void)QTest::qWaitFor(
            [&] {
                readSome(4 * 1024 * 1024);
                return got.size() >= big.size() + 4;
            },
            kHungMs);
        ::close(raw);
        QCOMPARE(got.size(), big.size() + 4);
        QVERIFY2(got.endsWith("MARK"), "bytes written later overtook bytes still queued");
        QVERIFY(got.left(big.size()) == big);
    }

    void http10StreamIsCloseDelimitedAndHeadHasNoBody() {
        HttpServer server([](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
            if (req->method == "HEAD") {
                res->send(200, {}, "body-not-sent");
                return;
            }
            res->startStream(200, {});
            res->writeChunk("abc");
            res->finish();
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        {
            QTcpSocket s;
            QVERIFY(connectTo(s, server.port()));
            s.write("GET / HTTP/1.0\r\n\r\n");
            const QByteArray r = readUntilClosed(s);
            QVERIFY2(r.contains("connection: close\r\n"), r.constData());
            QVERIFY(!r.contains("chunked"));
            QVERIFY(r.endsWith("\r\n\r\nabc"));
        }
        {
            QTcpSocket s;
            QVERIFY(connectTo(s, server.port()));
            s.write("HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            const QByteArray r = readUntilClosed(s);
            QVERIFY(r.contains("content-length: 13\r\n"));
            QVERIFY(r.endsWith("\r\n\r\n"));
        }
    }

    void connectionCloseRequestClosesAfterResponse() {
        HttpServer server(echoHandler());
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        s.write("GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        const QByteArray r = readUntilClosed(s);
        QVERIFY(r.contains("connection: close\r\n"));
        QCOMPARE(s.state(), QAbstractSocket::UnconnectedState);
    }

    void oversizedBodyGets413ByLengthAndByChunks() {
        int handled = 0;
        HttpServer server(
            [&](std::shared_ptr<HttpRequest>, std::shared_ptr<HttpResponder> res) {
                ++handled;
                res->send(200, {}, "ok");
            },
            ServerOptions{.maxBodyBytes = 10});
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        {
            QTcpSocket s;
            QVERIFY(connectTo(s, server.port()));
            s.write("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n");
            const QByteArray r = readUntilClosed(s);
            QVERIFY2(r.startsWith("HTTP/1.1 413 Payload Too Large\r\n"), r.constData());
        }
        {
            QTcpSocket s;
            QVERIFY(connectTo(s, server.port()));
            s.write("POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n");
            const QByteArray r = readUntilClosed(s);
            QVERIFY2(r.startsWith("HTTP/1.1 413"), r.constData());
        }
        {
            QTcpSocket s;  // exactly at the limit is fine
            QVERIFY(connectTo(s, server.port()));
            s.write("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789");
            QVERIFY(readUntil(s, [](const QByteArray& b) { return b.endsWith("ok"); }).startsWith("HTTP/1.1 200"));
        }
        QCOMPARE(handled, 1);
        // The hook decides the 413 body (the proxy sends Envoy's text).
        std::string seenPath;
        server.setPayloadTooLargeHandler([&](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
            seenPath = req->path;
            res->send(413, {{"content-type", "text/plain"}}, "custom too large");
        });
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        s.write("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 999\r\nExpect: 100-continue\r\n\r\n");
        const QByteArray r = readUntilClosed(s);
        QVERIFY2(r.startsWith("HTTP/1.1 413") && r.endsWith("custom too large"), r.constData());
        QVERIFY(!r.contains("100 Continue"));
        QCOMPARE(seenPath, std::string("/big"));
    }

    void expectContinueGets100() {
        HttpServer server(echoHandler());
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        s.write("POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
        QCOMPARE(readUntil(s, [](const QByteArray& b) { return b.endsWith("\r\n\r\n"); }),
                 QByteArray("HTTP/1.1 100 Continue\r\n\r\n"));
        s.write("body");
        QVERIFY(readUntil(s, [](const QByteArray& b) { return b.endsWith("body"); }).startsWith("HTTP/1.1 200"));
    }

    void garbageGets400AndClose_data() {
        QTest::addColumn<QByteArray>("input");
        QTest::newRow("not http") << QByteArray("hello there\r\n\r\n");
        QTest::newRow("bad version") << QByteArray("GET / HTTP/9x\r\n\r\n");
        QTest::newRow("bad header") << QByteArray("GET / HTTP/1.1\r\nHo st\r\n\r\n");
        QTest::newRow("bad chunk size") << QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        QTest::newRow("binary") << QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
    }
    void garbageGets400AndClose() {
        QFETCH(QByteArray, input);
        int handled = 0;
        HttpServer server([&](std::shared_ptr<HttpRequest>, std::shared_ptr<HttpResponder> res) {
            ++handled;
            res->send(200, {}, "ok");
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        s.write(input);
        const QByteArray r = readUntilClosed(s);
        QVERIFY2(r.startsWith("HTTP/1.1 400 Bad Request\r\n"), r.constData());
        QCOMPARE(handled, 0);
        QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 0, kHungMs);
    }

    void clientDisconnectIsReportedAndLaterCallsAreNoOps() {
        std::shared_ptr<HttpResponder> held;
        bool disconnected = false;
        HttpServer server([&](std::shared_ptr<HttpRequest>, std::shared_ptr<HttpResponder> res) {
            held = res;
            res->onClientDisconnected([&] { disconnected = true; });
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        {
            QTcpSocket s;
            QVERIFY(connectTo(s, server.port()));
            s.write("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n");
            QTRY_VERIFY_WITH_TIMEOUT(held != nullptr, kHungMs);
            QCOMPARE(server.activeRequests(), 1);
            s.close();
        }
        QTRY_VERIFY_WITH_TIMEOUT(disconnected, kHungMs);
        QCOMPARE(server.activeRequests(), 0);
        QVERIFY(!held->isOpen());
        QVERIFY(!held->send(200, {}, "late"));
        QVERIFY(!held->startStream(200, {}));
        QVERIFY(!held->writeChunk("x"));
        QVERIFY(!held->finish());
        held->abort();
        // Registering after the fact calls back at once.
        bool late = false;
        held->onClientDisconnected([&] { late = true; });
        QVERIFY(late);
    }

    void responderOutlivesServer() {
        std::shared_ptr<HttpResponder> held;
        auto server = std::make_unique<HttpServer>(
            [&](std::shared_ptr<HttpRequest>, std::shared_ptr<HttpResponder> res) { held = res; });
        QVERIFY(server->listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server->port()));
        s.write("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(held != nullptr, kHungMs);
        server.reset();
        QVERIFY(!held->send(200, {}, "x"));
        held.reset();
    }

    void droppedResponderGets500NotAHang() {
        HttpServer server([](std::shared_ptr<HttpRequest>, std::shared_ptr<HttpResponder>) {});
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        s.write("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        QVERIFY(readUntilClosed(s).startsWith("HTTP/1.1 500"));
    }

    void abortMidStreamIsAnErrorForTheClient_data() {
        QTest::addColumn<int>("mode");
        QTest::newRow("close") << int(AbortMode::Close);
        QTest::newRow("reset") << int(AbortMode::Reset);
    }
    void abortMidStreamIsAnErrorForTheClient() {
        QFETCH(int, mode);
        // Aborted once the client has the partial body, so a closed connection must deliver it.
        std::shared_ptr<HttpResponder> held;
        HttpServer server([&](std::shared_ptr<HttpRequest>, std::shared_ptr<HttpResponder> res) {
            res->startStream(200, {{"content-type", "text/event-stream"}});
            res->writeChunk("data: partial\n\n");
            held = res;
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        HttpClient client;
        QByteArray body;
        std::optional<ClientError> error;
        bool completed = false;
        client.send({.method = "GET", .port = server.port(), .target = "/"},
                    {.onData = [&](const QByteArray& d) { body += d; },
                     .onComplete = [&] { completed = true; },
                     .onError = [&](const ClientError& e) { error = e; }});
        QTRY_VERIFY_WITH_TIMEOUT(held && !body.isEmpty(), kHungMs);
        held->abort(AbortMode(mode));
        QTRY_VERIFY_WITH_TIMEOUT(error.has_value(), kHungMs);
        QCOMPARE(failureKindName(error->kind), failureKindName(FailureKind::ResetAfterHeaders));
        QVERIFY(error->headersReceived);
        QCOMPARE(error->status, 200);
        QVERIFY(!completed);
        if (AbortMode(mode) == AbortMode::Close) QCOMPARE(body, QByteArray("data: partial\n\n"));
    }

    void manyConcurrentConnections() {
        std::vector<std::shared_ptr<HttpResponder>> waiting;
        const int n = 300;
        HttpServer server([&](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
            res->onClientDisconnected([] {});
            waiting.push_back(res);
            if (static_cast<int>(waiting.size()) == n) {
                // Answer only once all are in flight at the same time.
                for (auto& r : waiting) r->send(200, {}, "done");
            }
            (void)req;
        });
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        HttpClient client;
        int ok = 0;
        int failed = 0;
        for (int i = 0; i < n; ++i) {
            client.fetch({.port = server.port(), .target = "/" + std::to_string(i)}, [&](FetchOutcome o) {
                if (auto* r = std::get_if<FullResponse>(&o); r && r->body == "done") ++ok;
                else ++failed;
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(ok + failed, n, kHungMs);
        QCOMPARE(ok, n);
        QCOMPARE(server.connectionsAccepted(), std::uint64_t(n));
    }

    void stopListeningKeepsOpenConnectionsServing() {
        HttpServer server(echoHandler());
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        QTRY_COMPARE_WITH_TIMEOUT(server.connectionCount(), 1, kHungMs);
        server.stopListening();
        QVERIFY(!server.isListening());
        s.write("GET /still HTTP/1.1\r\nHost: t\r\n\r\n");
        QVERIFY(readUntil(s, [](const QByteArray& b) { return b.endsWith("GET /still? "); }).startsWith("HTTP/1.1 200"));
        server.close();
        QTRY_COMPARE_WITH_TIMEOUT(s.state(), QAbstractSocket::UnconnectedState, kHungMs);
    }

    void idleConnectionTimeoutClosesBetweenRequests() {
        HttpServer server(echoHandler(), ServerOptions{.idleConnectionTimeoutMs = 100});
        QVERIFY(server.listen("127.0.0.1", 0).ok());
        QTcpSocket s;
        QVERIFY(connectTo(s, server.port()));
        s.write("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        QVERIFY(readUntil(s, [](const QByteArray& b) { return b.endsWith("GET /? "); }).startsWith("HTTP/1.1 200"));
        QTRY_COMPARE_WITH_TIMEOUT(s.state(), QAbstractSocket::UnconnectedState, kHungMs);
    }
};

QTEST_GUILESS_MAIN(TestHttpServer)
#include "test_http_server.moc"
