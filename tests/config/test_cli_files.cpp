// Every mode takes YAML files as positional arguments (`aigw-sim gui FILE...`, `--headless FILE...`,
// `aigw-sim FILE...`), as check and export do, besides `--config FILE...`. Runs the built binary.
#include <QProcess>
#include <QTcpSocket>
#include <QTest>

#include "config_test_util.h"

using namespace aigw::config::test;

namespace {


QString binary() { return qEnvironmentVariable("AIGW_BUILD_DIR") + "/app/aigw-sim"; }

/// No display: `aigw-sim` without a mode then runs headless, and `gui` never gets to open a window
/// in these cases (they end before the QApplication exists).
QProcessEnvironment noDisplay() {
    auto env = QProcessEnvironment::systemEnvironment();
    for (const char* v : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
        env.remove(v);
    return env;
}

Run run(const QStringList& args) { return runAigwSim(args, {}, noDisplay()); }

QString sample(const char* name) { return QString::fromStdString(samplePath(name)); }

/// `method target` on host:port with a raw HTTP/1.1 request (a JSON body when one is given); the
/// whole response, "" on failure.
QByteArray httpCall(const QString& host, quint16 port, const QByteArray& method, const QByteArray& target,
                    const QByteArray& body = {}) {
    QTcpSocket s;
    s.connectToHost(host, port);
    if (!s.waitForConnected(10000))
        return {};
    // The gateway answers only to its own names (README "Security").
    QByteArray head = method + " " + target + " HTTP/1.1\r\nHost: " + host.toUtf8() + ":" + QByteArray::number(port) +
                      "\r\nConnection: close\r\n";
    if (!body.isEmpty())
        head += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    s.write(head + "\r\n" + body);
    QByteArray out;
    while (s.state() == QAbstractSocket::ConnectedState && s.waitForReadyRead(10000))
        out += s.readAll();
    return out + s.readAll();
}

QByteArray httpGet(const QString& host, quint16 port, const QByteArray& target) {
    return httpCall(host, port, "GET", target);
}

}  // namespace

class TestCliFiles : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY2(!qEnvironmentVariable("AIGW_BUILD_DIR").isEmpty(), "run through ctest (AIGW_BUILD_DIR)");
    }

    // The file is taken as a manifest (and fails to load), not refused as an unknown option (exit 2).
    void positionalFileIsLoaded_data() {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("gui FILE") << QStringList{"gui", "/nonexistent/gw.yaml"};
        QTest::newRow("headless FILE") << QStringList{"headless", "/nonexistent/gw.yaml"};
        QTest::newRow("--headless FILE") << QStringList{"--headless", "/nonexistent/gw.yaml"};
        QTest::newRow("FILE (no mode, no display)") << QStringList{"/nonexistent/gw.yaml"};
        QTest::newRow("gui --config FILE") << QStringList{"gui", "--config", "/nonexistent/gw.yaml"};
    }
    void positionalFileIsLoaded() {
        QFETCH(QStringList, args);
        const Run r = run(args);
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("/nonexistent/gw.yaml"), qPrintable(r.err));
        QVERIFY2(!r.err.contains("unknown"), qPrintable(r.err));
    }

    void usageNamesFiles() {
        for (const QStringList& args : {QStringList{"gui", "--help"}, QStringList{"--headless", "--help"}}) {
            const Run r = run(args);
            QCOMPARE(r.code, 0);
            QVERIFY2(r.out.contains("[FILE...]"), qPrintable(r.out));
        }
        // Files before an option are still files.
        QCOMPARE(run({"gui", sample("gateway-setup.yaml"), "--help"}).code, 0);
        QCOMPARE(run({"unknown-mode"}).code, 2);
    }

    // `headless FILE...` serves exactly those files: Ticket 1's route without the fallback route.
    void headlessServesTheGivenFiles() {
        QProcess p;
        p.setProcessEnvironment(noDisplay());
        p.start(binary(), {"headless", sample("gateway-setup.yaml"), sample("primary-model.yaml"),
                           sample("model-virtualization.yaml"), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                           "--no-servers"});
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("READY"), 30000);
        // READY proxy=http://127.0.0.1:PORT admin=...
        const QString line = QString::fromUtf8(out).section("READY", 1).section('\n', 0, 0);
        const QUrl proxy(line.section("proxy=", 1).section(' ', 0, 0));
        QVERIFY2(proxy.port() > 0, qPrintable(line));
        const QByteArray models = httpGet(proxy.host(), static_cast<quint16>(proxy.port()), "/v1/models");
        QVERIFY2(models.contains("virtual-qwen-model"), models.constData());
        QVERIFY2(!models.contains("qwen-with-fallback"), models.constData());
        p.terminate();
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
    }

    // --recent-requests N: GET /requests keeps the N newest records.
    void headlessKeepsRecentRequests() {
        QProcess p;
        p.setProcessEnvironment(noDisplay());
        p.start(binary(), {"--headless", sample("gateway-setup.yaml"), sample("model-virtualization.yaml"), "--listen",
                           "127.0.0.1:0", "--admin", "127.0.0.1:0", "--no-servers", "--recent-requests", "2"});
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("READY"), 30000);
        const QString line = QString::fromUtf8(out).section("READY", 1).section('\n', 0, 0);
        const QUrl proxy(line.section("proxy=", 1).section(' ', 0, 0));
        const QUrl admin(line.section("admin=", 1).section(' ', 0, 0));
        QVERIFY2(proxy.port() > 0 && admin.port() > 0, qPrintable(line));
        // No servers run: each request ends as the gateway's own 503, and is recorded.
        for (const char* content : {"one", "two", "three"}) {
            const QByteArray body = QByteArray("{\"model\":\"virtual-qwen-model\",\"messages\":[{\"role\":\"user\","
                                               "\"content\":\"") +
                                    content + "\"}]}";
            const QByteArray r = httpCall(proxy.host(), static_cast<quint16>(proxy.port()), "POST",
                                          "/v1/chat/completions", body);
            QVERIFY2(r.startsWith("HTTP/1.1 503"), r.constData());
        }
        const QByteArray recs = httpGet(admin.host(), static_cast<quint16>(admin.port()), "/requests?limit=10");
        QVERIFY2(recs.startsWith("HTTP/1.1 200"), recs.constData());
        QVERIFY2(!recs.contains("\\\"one\\\""), recs.constData());
        QVERIFY2(recs.contains("\\\"two\\\"") && recs.contains("\\\"three\\\""), recs.constData());
        p.terminate();
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestCliFiles)
#include "test_cli_files.moc"
