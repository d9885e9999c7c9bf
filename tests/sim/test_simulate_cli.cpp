// `aigw-sim simulate` as a user runs it: exit codes, JSON, determinism across processes, and the
// Ticket 2 pitfall (tutorial policy as written) versus the built-in corrected scenario.
#include <QtTest>

#include <nlohmann/json.hpp>

class TestSimulateCli : public QObject {
    Q_OBJECT
    struct Run {
        int code = -1;
        QByteArray out, err;
    };
    Run run(const QStringList& args) {
        QProcess p;
        p.setWorkingDirectory(QString::fromUtf8(qgetenv("AIGW_SOURCE_DIR")) + "/samples");
        p.start(QString::fromUtf8(qgetenv("AIGW_BUILD_DIR")) + "/app/aigw-sim", QStringList{"simulate"} + args);
        if (!p.waitForFinished(60000))
            return {};
        return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
    }
private slots:
    void badInputExits2_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown model") << QStringList{"--model", "gpt-4o", "--requests", "5"} << "unknown model 'gpt-4o'";
        QTest::newRow("unknown server") << QStringList{"--model", "qwen-with-fallback", "--requests", "5", "--event", "1s:nope:stop"}
                                        << "unknown server 'nope'";
        QTest::newRow("bad time") << QStringList{"--model", "qwen-with-fallback", "--requests", "5", "--event", "soon:qwen-primary:stop"}
                                  << "bad time 'soon'";
        QTest::newRow("missing file") << QStringList{"--config", "missing.yaml", "--model", "m", "--requests", "5"} << "missing.yaml";
    }
    void badInputExits2() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Run r = run(args);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
        QVERIFY(r.out.isEmpty());
    }
    void ticket2AsWrittenVersusBuiltinCorrected() {
        const QStringList common{"--model", "qwen-with-fallback", "--requests", "600", "--event", "10s:qwen-primary:stop",
                                 "--event", "40s:qwen-primary:start", "--json"};
        const Run asWritten = run(QStringList{"--config", "gateway-setup.yaml", "primary-model.yaml", "secondary-model.yaml",
                                              "model-virtualization.yaml", "tertiary-model.yaml", "provider-fallback.yaml"} +
                                  common);
        QCOMPARE(asWritten.code, 0);
        const auto a = nlohmann::json::parse(asWritten.out.toStdString());
        QVERIFY(a["failed"].get<int>() >= 290);
        QCOMPARE(a["by_status"]["503"].get<int>(), a["failed"].get<int>());
        QVERIFY(!a["by_backend"].contains("envoy-ai-gateway-qwen-secondary-fb"));

        const Run corrected = run(common);  // the built-in scenario carries the corrected policy
        QCOMPARE(corrected.code, 0);
        const auto c = nlohmann::json::parse(corrected.out.toStdString());
        QCOMPARE(c["failed"].get<int>(), 0);
        QCOMPARE(c["segments"][1]["by_backend"]["envoy-ai-gateway-qwen-secondary-fb"].get<int>(), 300);
        QCOMPARE(c["ejections"][0]["event"].get<std::string>(), std::string("ejected"));
        // same seed, another process: byte-identical output
        QCOMPARE(run(common).out, corrected.out);
    }
    void readableTableByDefault() {
        const Run r = run({"--model", "virtual-qwen-model", "--requests", "1000"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("answered by (AIServiceBackend)"));
        QVERIFY(r.out.contains("envoy-ai-gateway-qwen-primary"));
    }
};

QTEST_GUILESS_MAIN(TestSimulateCli)
#include "test_simulate_cli.moc"
