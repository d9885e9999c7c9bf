// The check and export commands, run as the built binary on the samples.
#include <QProcess>
#include <QTemporaryDir>
#include <QRegularExpression>
#include <QTest>

#include "config/exporter.h"
#include "config/loader.h"
#include "config_test_util.h"

using namespace aigw::config;
using namespace aigw::config::test;

namespace {


Run run(const QStringList& args) { return runAigwSim(args); }

/// Runs aigw-sim with `input` on its standard input.
Run runWithInput(const QStringList& args, const QByteArray& input) { return runAigwSim(args, input); }

/// The samples as `kubectl get -o yaml` prints several objects: one kind: List, with the fields the
/// API server adds on each item.
QByteArray samplesAsClusterList() {
    YAML::Node list(YAML::NodeType::Map);
    list["apiVersion"] = "v1";
    list["items"] = YAML::Node(YAML::NodeType::Sequence);
    int serial = 0;
    for (const auto& path : allSamplePaths())
        for (YAML::Node d : YAML::LoadAll(readFile(path))) {
            if (!d.IsDefined() || d.IsNull())
                continue;
            d["metadata"]["uid"] = "0000-" + std::to_string(++serial);
            d["metadata"]["resourceVersion"] = std::to_string(1000 + serial);
            d["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}\n";
            d["status"]["conditions"] = YAML::Node(YAML::NodeType::Sequence);
            list["items"].push_back(d);
        }
    list["kind"] = "List";
    return QByteArray::fromStdString(emitNode(list));
}

QStringList samples() {
    QStringList l;
    for (const auto& p : allSamplePaths())
        l << QString::fromStdString(p);
    return l;
}

}  // namespace

class TestConfigCli : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY2(!qEnvironmentVariable("AIGW_BUILD_DIR").isEmpty(), "run through ctest (AIGW_BUILD_DIR)");
    }

    // --version, on both executables: the project's version, plus the commit when built from git.
    void versionOfBothExecutables() {
        const auto versionLine = [](const QString& exe, const QString& out) {
            return QRegularExpression(QString(R"(^%1 \d+\.\d+\.\d+( \(git [0-9a-f]+(-dirty)?\))?\n$)").arg(exe)).match(out).hasMatch();
        };
        const Run sim = runAigwSim({"--version"});
        QCOMPARE(sim.code, 0);
        QVERIFY2(versionLine("aigw-sim", sim.out), qPrintable(sim.out + sim.err));
        QProcess mock;
        mock.start(qEnvironmentVariable("AIGW_BUILD_DIR") + "/mockbackends/aigw-mock-backend", {"--version"});
        QVERIFY(mock.waitForFinished(60000));
        QCOMPARE(mock.exitCode(), 0);
        const QString out = QString::fromUtf8(mock.readAllStandardOutput());
        QVERIFY2(versionLine("aigw-mock-backend", out), qPrintable(out));
    }

    void checkSamples() {
        // Finding 1 on the tutorial's policy, and its per-try timeout of 30s that connect-failure and
        // retriable-status-codes do not retry (504, not a fallback); the corrected policy adds `reset`,
        // so only the info that a per-try timeout cannot fail a stream over remains; no errors.
        const Run r = run(QStringList{"check"} + samples());
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("provider-fallback.yaml:83:3: warning[retry-stays-on-priority-0]: BackendTrafficPolicy "
                                "default/envoy-ai-gateway-fallback-policy: "),
                 qPrintable(r.out));
        QVERIFY(r.out.contains("provider-fallback.yaml:89:16: warning[per-try-timeout-not-retried]: BackendTrafficPolicy "
                               "default/envoy-ai-gateway-fallback-policy: "));
        QVERIFY(r.out.contains("provider-fallback.yaml:12:7: info[per-try-timeout-misses-streams]: AIGatewayRoute "
                               "default/envoy-ai-gateway-fallback: "));
        QCOMPARE(r.out.count("warning["), 2);
        QCOMPARE(r.out.count("BackendTrafficPolicy default/envoy-ai-gateway-fallback-policy-corrected:"), 0);
        QVERIFY(r.out.contains("AIGatewayRoutes: 2 Accepted, 0 NotAccepted"));
        QVERIFY(r.out.contains("21 documents: 0 errors, 2 warnings, 7 infos"));
    }

    void stdinListInEveryFileMode() {
        // kubectl get ... -A -o yaml | aigw-sim check -: the same answer as the files.
        const QByteArray list = samplesAsClusterList();
        const Run check = runWithInput({"check", "-"}, list);
        QCOMPARE(check.code, 0);
        QVERIFY2(check.out.contains("21 documents: 0 errors, 2 warnings, 7 infos"), qPrintable(check.out));
        QVERIFY2(check.out.contains("<stdin>:"), qPrintable(check.out));
        // Export drops what the server added: the bytes the files export to.
        const Run fromFiles = run(QStringList{"export"} + samples());
        const Run fromStdin = runWithInput({"export", "-"}, list);
        QCOMPARE(fromStdin.code, 0);
        QCOMPARE(fromStdin.out, fromFiles.out);
        const Run kept = runWithInput({"export", "--keep-server-fields", "-"}, list);
        QCOMPARE(kept.code, 0);
        QVERIFY2(kept.out.contains("uid: 0000-1\n") && kept.out.contains("status:"), qPrintable(kept.out.left(2000)));
        // A List file beside another file, and stdin through simulate --config.
        QTemporaryDir dir;
        QFile f(dir.filePath("cluster.yaml"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(list);
        f.close();
        const Run sim = runWithInput({"simulate", "--config", "-", "--model", "virtual-qwen-model", "--requests", "100",
                                      "--json"},
                                     list);
        QCOMPARE(sim.code, 0);
        QVERIFY2(sim.out.contains("\"requests\":100") || sim.out.contains("\"requests\": 100"), qPrintable(sim.out));
        // FILE... and --config FILE... in every mode that takes files.
        const Run viaOption = run({"check", "--config", f.fileName()});
        QCOMPARE(viaOption.code, 0);
        QVERIFY2(viaOption.out.contains("21 documents: 0 errors"), qPrintable(viaOption.out));
        QCOMPARE(run({"export", "--config", f.fileName()}).out, fromFiles.out);
        const Run simFile = run({"simulate", f.fileName(), "--model", "virtual-qwen-model", "--requests", "10"});
        QCOMPARE(simFile.code, 0);
        const Run dup = run({"check", f.fileName(), QString::fromStdString(samplePath("gateway-setup.yaml"))});
        QCOMPARE(dup.code, 1);  // the Gateway twice: a duplicate, reported at the second file
        QVERIFY2(dup.out.contains("duplicate Gateway"), qPrintable(dup.out));
    }

    void checkTheTutorialPolicyAlone() {
        const Run r = run({"check", QString::fromStdString(samplePath("gateway-setup.yaml")),
                           QString::fromStdString(samplePath("provider-fallback.yaml"))});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("warning[retry-stays-on-priority-0]"));
        QVERIFY(r.out.contains("    fix:\n") || r.out.contains("  fix:\n"));
    }

    void checkReportsErrorsAndExitsOne() {
        QTemporaryDir dir;
        const QString bad = dir.filePath("bad.yaml");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIServiceBackend\nmetadata:\n  name: x\nspec:\n"
                "  schema:\n    name: OpenAI\n  backendRef:\n    name: svc\n    kind: Service\n");
        f.close();
        const Run r = run({"check", bad});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.out.contains(bad + ":8:3: spec.backendRef: BackendRef must be a Backend resource of Envoy Gateway"), qPrintable(r.out));
        const Run e = run({"export", bad});
        QCOMPARE(e.code, 1);
        QVERIFY(e.out.isEmpty());
        QVERIFY(e.err.contains("not exported"));
    }

    void checkListsSchemasItDoesNotTranslate() {
        QTemporaryDir dir;
        const QString file = dir.filePath("schemas.yaml");
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIServiceBackend\nmetadata:\n  name: claude\nspec:\n"
                "  schema:\n    name: Anthropic\n  backendRef:\n    name: claude\n    kind: Backend\n    group: gateway.envoyproxy.io\n"
                "---\napiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIServiceBackend\nmetadata:\n  name: gpt\nspec:\n"
                "  schema:\n    name: OpenAI\n  backendRef:\n    name: gpt\n    kind: Backend\n    group: gateway.envoyproxy.io\n");
        f.close();
        const Run r = run({"check", file});
        QVERIFY2(r.out.contains("schema translation not simulated"), qPrintable(r.out));
        QVERIFY2(r.out.contains("  " + file + ":7: AIServiceBackend default/claude: schema Anthropic"), qPrintable(r.out));
        QVERIFY(!r.out.contains("default/gpt: schema"));
        // The samples are all OpenAI: no such section.
        QVERIFY(!run({"check"}).out.contains("schema translation not simulated"));
    }

    void checkBuiltin() {
        const Run c = run({"check"});
        QCOMPARE(c.code, 0);
        QVERIFY(c.out.contains("built-in default scenario"));
        // The corrected policy gets no warning; the info that its per-try timeout cannot fail a stream over.
        QCOMPARE(c.out.count("warning["), 0);
        QVERIFY(c.out.contains("info[per-try-timeout-misses-streams]: AIGatewayRoute default/envoy-ai-gateway-fallback: "));
        QVERIFY(c.out.contains("20 documents: 0 errors, 0 warnings, 6 infos"));
    }

    void exportBuiltinReimportsIdentically() {
        QTemporaryDir dir;
        const QString out = dir.filePath("out.yaml");
        QCOMPARE(run({"export", "-o", out}).code, 0);
        const LoadResult exported = loadFiles({out.toStdString()});
        QVERIFY2(exported.ok(), joinErrors(exported.errors).c_str());
        // Re-exporting the export gives the same bytes.
        const Run again = run({"export", out});
        QCOMPARE(again.code, 0);
        QCOMPARE(again.out.toStdString(), readFile(out.toStdString()));
        // And the model is the built-in one (apiVersions as exported: v1beta1).
        const Run builtin = run({"export", "--api-version", "v1alpha1"});
        QCOMPARE(builtin.code, 0);
        QVERIFY(builtin.out.contains("apiVersion: aigateway.envoyproxy.io/v1alpha1\nkind: AIGatewayRoute"));
        QVERIFY(!builtin.out.contains("aigateway.envoyproxy.io/v1beta1"));
    }

    void exportSamplesRoundTrip() {
        const Run r = run(QStringList{"export"} + samples());
        QCOMPARE(r.code, 0);
        LoadResult original = loadFiles(allSamplePaths());
        setAiVersion(original.config, "v1beta1");
        const LoadResult exported = loadString(r.out.toStdString(), "exported.yaml");
        QVERIFY(exported.ok());
        QCOMPARE(modelDifference(original.config, exported.config), std::string());
    }

    void stripSim() {
        QTemporaryDir dir;
        const QString in = dir.filePath("sim.yaml");
        QFile f(in);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray::fromStdString(readFile(samplePath("gateway-setup.yaml"))) +
                "---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata:\n  name: b\n  annotations:\n"
                "    aigw-sim/mode: mock\n    team: x\nspec:\n  endpoints:\n    - fqdn:\n        hostname: b.default.svc\n        port: 80\n");
        f.close();
        QVERIFY(run({"export", in}).out.contains("aigw-sim/mode: mock"));
        const Run s = run({"export", in, "--strip-sim"});
        QCOMPARE(s.code, 0);
        QVERIFY(!s.out.contains("aigw-sim/"));
        QVERIFY(s.out.contains("team: x"));
    }

    void badArguments_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("check unknown option") << QStringList{"check", "--nope"} << "unknown option '--nope'";
        QTest::newRow("export bad version") << QStringList{"export", "--api-version", "v2"} << "unsupported --api-version 'v2'";
        QTest::newRow("export version missing") << QStringList{"export", "--api-version"} << "--api-version needs a value";
        QTest::newRow("export -o missing") << QStringList{"export", "-o"} << "-o needs a file name";
        QTest::newRow("export unknown option") << QStringList{"export", "--pretty"} << "unknown option '--pretty'";
        QTest::newRow("busy poll not a number") << QStringList{"--headless", "--busy-poll-us", "50us"}
                                                << "--busy-poll-us: expected microseconds from 0 to 10000, got '50us'";
        QTest::newRow("busy poll too long") << QStringList{"--headless", "--busy-poll-us", "10001"}
                                            << "--busy-poll-us: expected microseconds from 0 to 10000, got '10001'";
        QTest::newRow("busy poll negative") << QStringList{"--headless", "--busy-poll-us", "-5"}
                                            << "--busy-poll-us: expected microseconds from 0 to 10000, got '-5'";
        QTest::newRow("busy poll missing") << QStringList{"--headless", "--busy-poll-us"} << "--busy-poll-us needs microseconds";
        QTest::newRow("recent requests not a number")
            << QStringList{"--headless", "--recent-requests", "lots"}
            << "--recent-requests: expected a number of records from 0 to 1000000, got 'lots'";
        QTest::newRow("recent requests negative")
            << QStringList{"--headless", "--recent-requests", "-1"}
            << "--recent-requests: expected a number of records from 0 to 1000000, got '-1'";
        QTest::newRow("recent requests too many")
            << QStringList{"--headless", "--recent-requests", "1000001"}
            << "--recent-requests: expected a number of records from 0 to 1000000, got '1000001'";
        QTest::newRow("recent requests missing") << QStringList{"--headless", "--recent-requests"}
                                                 << "--recent-requests needs a number of records";
    }
    void badArguments() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Run r = run(args);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
    }

    void help() {
        for (const char* mode : {"check", "export"}) {
            const Run r = run({mode, "--help"});
            QCOMPARE(r.code, 0);
            QVERIFY(r.out.startsWith(QString("usage: aigw-sim ") + mode));
        }
        QVERIFY(run({"--help"}).out.contains("check"));
    }

    void unwritableOutput() {
        const Run r = run({"export", "-o", "/nonexistent-dir/out.yaml"});
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains("cannot write"));
    }
};

QTEST_GUILESS_MAIN(TestConfigCli)
#include "test_config_cli.moc"
