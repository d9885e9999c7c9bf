// The aigw-mock-backend executable: READY line, serving, --help, bad flags, SIGTERM (draining).
#include <QtTest>

#include <QProcess>
#include <QTcpServer>

#include <csignal>

#include "common/mock_contract.h"
#include "mock_test_util.h"

using namespace aigw;
using namespace aigw::mock::testing;

namespace {

// Starts the backend and waits for its READY line; returns the URL or "".
QString startBackend(QProcess& p, const QStringList& args) {
    p.setProgram(AIGW_MOCK_BACKEND_EXE);
    p.setArguments(args);
    p.start();
    if (!p.waitForStarted(kHungMs)) return {};
    QByteArray out;
    (void)QTest::qWaitFor(
        [&] {
            out += p.readAllStandardOutput();
            return out.contains('\n') || p.state() == QProcess::NotRunning;
        },
        kHungMs);
    const QByteArray line = out.left(out.indexOf('\n'));
    if (!line.startsWith("READY ")) return {};
    return QString::fromUtf8(line.mid(6));
}

}  // namespace

class TestMockBackendExe : public QObject {
    Q_OBJECT
private slots:
    void printsReadyAndServes() {
        QProcess p;
        const QString url = startBackend(p, {"--listen", "127.0.0.1:0", "--name", "qwen-secondary", "--model", "qwen2.5:0.5b",
                                             "--model", "llama3.2:1b", "--first-token-ms", "0", "--tokens-per-second", "0"});
        QVERIFY2(url.startsWith("http://127.0.0.1:"), qPrintable(url));
        const quint16 port = static_cast<quint16>(QUrl(url).port());
        QVERIFY(port != 0);
        http::HttpClient c;
        const Reply r = call(c, port, "POST", "/v1/chat/completions",
                             R"({"model":"llama3.2:1b","messages":[{"role":"user","content":"hello"}]})");
        QCOMPARE(r.status, 200);
        const auto j = r.json();
        QCOMPARE(j["model"], "llama3.2:1b");
        QVERIFY(std::string(j["choices"][0]["message"]["content"]).find("qwen-secondary") != std::string::npos);
        QCOMPARE(call(c, port, "GET", "/api/tags").json()["models"].size(), std::size_t(2));
        // SIGTERM ends it cleanly.
        ::kill(static_cast<pid_t>(p.processId()), SIGTERM);
        QVERIFY(p.waitForFinished(kHungMs));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 0);
    }

    // SIGTERM drains, as a terminating pod does: a request in flight is still answered, new
    // connections are refused at once, and the process exits when nothing is left.
    void sigtermDrainsRequestsInFlight() {
        QProcess p;
        // 10 tokens at 10 per second: the stream's headers come at once, its end about a second later.
        const QString url = startBackend(p, {"--listen", "127.0.0.1:0", "--model", "m", "--first-token-ms", "0",
                                             "--tokens-per-second", "10"});
        QVERIFY(!url.isEmpty());
        const quint16 port = static_cast<quint16>(QUrl(url).port());
        http::HttpClient client;
        StreamCapture cap;
        stream(client, port, "/v1/chat/completions",
               R"({"model":"m","stream":true,"max_tokens":10,"messages":[{"role":"user","content":"x"}]})", cap);
        QVERIFY(QTest::qWaitFor([&] { return cap.head.has_value() || cap.finished(); }, kHungMs));
        QVERIFY(cap.head.has_value());
        ::kill(static_cast<pid_t>(p.processId()), SIGTERM);
        // New connections are refused while the stream goes on.
        http::HttpClient probe;
        QVERIFY(QTest::qWaitFor(
            [&] {
                const auto e = call(probe, port, "GET", "/_mock/stats").error;
                return e && e->kind == http::FailureKind::ConnectionRefused;
            },
            kHungMs));
        QVERIFY(QTest::qWaitFor([&] { return cap.finished(); }, kHungMs));
        QVERIFY2(cap.completed, cap.error ? cap.error->message.c_str() : "");
        QCOMPARE(cap.sseData().back(), std::string("[DONE]"));
        // Already reaped when the waits above ran the event loop: wait on the state, not waitForFinished.
        QTRY_COMPARE_WITH_TIMEOUT(p.state(), QProcess::NotRunning, kHungMs);
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 0);
    }

    void faultFlagsApply() {
        QProcess p;
        const QString url = startBackend(p, {"--listen", "127.0.0.1:0", "--model", "m", "--error-status", "503", "--retry-after", "5"});
        QVERIFY(!url.isEmpty());
        http::HttpClient c;
        const quint16 port = static_cast<quint16>(QUrl(url).port());
        const Reply r = call(c, port, "POST", "/v1/chat/completions", R"({"model":"m","messages":[{"role":"user","content":"x"}]})");
        QCOMPARE(r.status, 503);
        QCOMPARE(r.headers.value("retry-after"), std::string("5"));
        // And can be cleared live over HTTP.
        QCOMPARE(call(c, port, "DELETE", "/_mock/fault").status, 200);
        QCOMPARE(call(c, port, "POST", "/v1/chat/completions", R"({"model":"m","messages":[{"role":"user","content":"x"}]})").status, 200);
        p.kill();
        p.waitForFinished(kHungMs);
    }

    void helpDescribesTheFlags() {
        QProcess p;
        p.start(AIGW_MOCK_BACKEND_EXE, {"--help"});
        QVERIFY(p.waitForFinished(kHungMs));
        QCOMPARE(p.exitCode(), 0);
        const QByteArray out = p.readAllStandardOutput();
        for (const char* flag : {"--listen", "--name", "--model", "--seed", "--tokens-per-second", "--first-token-ms", "--error-status",
                                 "--hang", "--cut-after", "--reset-before-headers", "READY", "/_mock/fault"}) {
            QVERIFY2(out.contains(flag), flag);
        }
    }

    void badArgumentsExitWithUsageError_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown flag") << QStringList{"--bogus"} << "Unknown option 'bogus'";
        QTest::newRow("bad listen") << QStringList{"--listen", "nope"} << "--listen must be HOST:PORT";
        QTest::newRow("bad port") << QStringList{"--listen", "127.0.0.1:70000"} << "--listen must be HOST:PORT";
        QTest::newRow("bad tps") << QStringList{"--tokens-per-second", "-3"} << "--tokens-per-second";
        QTest::newRow("bad fault value") << QStringList{"--error-status", "200"} << "invalid fault: errorStatus";
        QTest::newRow("bad fault json") << QStringList{"--fault", "{"} << "--fault must be a JSON object";
        QTest::newRow("bad fault key") << QStringList{"--fault", R"({"x":1})"} << "invalid fault: x: unknown fault field";
        QTest::newRow("positional") << QStringList{"extra"} << "unexpected argument 'extra'";
    }
    void badArgumentsExitWithUsageError() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        QProcess p;
        p.start(AIGW_MOCK_BACKEND_EXE, args);
        QVERIFY(p.waitForFinished(kHungMs));
        QCOMPARE(p.exitCode(), 2);
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains(message), qPrintable(err));
        QVERIFY(p.readAllStandardOutput().isEmpty());
    }

    void portInUseIsAClearError() {
        QTcpServer taken;
        QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
        QProcess p;
        p.start(AIGW_MOCK_BACKEND_EXE, {"--listen", QString("127.0.0.1:%1").arg(taken.serverPort()), "--model", "m"});
        QVERIFY(p.waitForFinished(kHungMs));
        QCOMPARE(p.exitCode(), aigw::kMockExitCannotListen);  // the supervisor restarts it on a new port
        QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains("cannot listen on 127.0.0.1:"));
    }
};

QTEST_GUILESS_MAIN(TestMockBackendExe)
#include "test_mock_backend_exe.moc"
