// `aigw-sim edit` and `aigw-sim apply-fix`, run as the built binary on copies of the samples: the
// unified diff on standard output, the file changed by exactly those lines, nothing written on errors.
#include <QDir>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "config_test_util.h"

using namespace aigw::config::test;

namespace {

std::string copyTo(const QTemporaryDir& dir, const std::string& from, const std::string& name) {
    const std::string to = dir.filePath(QString::fromStdString(name)).toStdString();
    std::ofstream out(to, std::ios::binary);
    out << readFile(from);
    return to;
}

QStringList changed(const QString& diff) {
    QStringList out;
    for (const QString& l : diff.split(QLatin1Char('\n')))
        if ((l.startsWith('-') && !l.startsWith("--- ")) || (l.startsWith('+') && !l.startsWith("+++ ")))
            out << l;
    return out;
}

}  // namespace

class TestEditCli : public QObject {
    Q_OBJECT
private slots:
    void editWeightIsOneLine() {
        QTemporaryDir dir;
        const std::string original = readFile(samplePath("model-virtualization.yaml"));
        const std::string file = copyTo(dir, samplePath("model-virtualization.yaml"), "mv.yaml");
        const Run r = runAigwSim({"edit", QString::fromStdString(file), "--set",
                                  "route/envoy-ai-gateway-virtualization:rules[0].backendRefs[envoy-ai-gateway-qwen-secondary].weight=5"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(changed(r.out), (QStringList{"-          weight: 30", "+          weight: 5"}));
        QVERIFY(r.out.startsWith(QString("--- %1\n+++ %1\n@@ -20,7 +20,7 @@\n").arg(QString::fromStdString(file))));
        QVERIFY2(r.err.contains("set AIGatewayRoute default/envoy-ai-gateway-virtualization"), qPrintable(r.err));
        QVERIFY2(r.err.contains("wrote " + QString::fromStdString(file)), qPrintable(r.err));
        std::string expected = original;
        expected.replace(expected.find("          weight: 30\n"), 21, "          weight: 5\n");
        QCOMPARE(readFile(file), expected);
        // Saving the same edit again changes nothing.
        const Run again = runAigwSim({"edit", QString::fromStdString(file), "--set",
                                      "route/envoy-ai-gateway-virtualization:rules[0].backendRefs[1].weight=5"});
        QCOMPARE(again.code, 0);
        QCOMPARE(again.out, QString());
        QVERIFY(again.err.contains("nothing to change"));
    }

    void dryRunWritesNothing() {
        QTemporaryDir dir;
        const std::string file = copyTo(dir, samplePath("model-virtualization.yaml"), "mv.yaml");
        const Run r = runAigwSim({"edit", "--dry-run", QString::fromStdString(file), "--set",
                                  "route/envoy-ai-gateway-virtualization:rules[0].backendRefs[2].priority=1"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(changed(r.out), QStringList{"+          priority: 1"});
        QCOMPARE(readFile(file), readFile(samplePath("model-virtualization.yaml")));
    }

    void errorsWriteNothing_data() {
        QTest::addColumn<QStringList>("args");  // FILE is replaced by the copy
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown route") << QStringList{"edit", "FILE", "--set", "route/nope:rules[0].backendRefs[0].weight=1"} << 1
                                       << "no AIGatewayRoute named 'nope'";
        QTest::newRow("bad value") << QStringList{"edit", "FILE", "--set",
                                                  "route/envoy-ai-gateway-virtualization:rules[0].backendRefs[0].weight=-2"}
                                   << 1 << "is not an integer from 0 up";
        QTest::newRow("second --set bad")
            << QStringList{"edit", "FILE", "--set", "route/envoy-ai-gateway-virtualization:rules[0].backendRefs[0].weight=2", "--set",
                           "route/envoy-ai-gateway-virtualization:rules[0].colour=1"}
            << 1 << "unknown route field";
        QTest::newRow("no --set") << QStringList{"edit", "FILE"} << 2 << "give --set EXPR";
        QTest::newRow("stdin") << QStringList{"edit", "-", "--set", "route/x:rules[0].backendRefs[0].weight=1"} << 2
                               << "cannot write back to standard input";
        QTest::newRow("unknown option") << QStringList{"apply-fix", "FILE", "--colour"} << 2 << "unknown option '--colour'";
    }
    void errorsWriteNothing() {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const std::string file = copyTo(dir, samplePath("model-virtualization.yaml"), "mv.yaml");
        args.replaceInStrings(QRegularExpression("^FILE$"), QString::fromStdString(file));
        const Run r = runAigwSim(args);
        QCOMPARE(r.code, code);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QCOMPARE(r.out, QString());
        QCOMPARE(readFile(file), readFile(samplePath("model-virtualization.yaml")));
    }

    void malformedFileIsUntouched() {
        QTemporaryDir dir;
        const std::string file = dir.filePath("bad.yaml").toStdString();
        const std::string text = readFile(samplePath("provider-fallback.yaml")) + "  - [unclosed\n";
        {
            std::ofstream out(file, std::ios::binary);
            out << text;
        }
        const Run r = runAigwSim({"apply-fix", QString::fromStdString(file)});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("malformed YAML"), qPrintable(r.err));
        QCOMPARE(readFile(file), text);
    }

    void applyFixAddsTheLine() {
        QTemporaryDir dir;
        const std::string file = copyTo(dir, samplePath("provider-fallback.yaml"), "pf.yaml");
        const Run r = runAigwSim({"apply-fix", QString::fromStdString(file), "--only", "retry-stays-on-priority-0"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(changed(r.out), QStringList{"+    numAttemptsPerPriority: 1"});
        QVERIFY2(r.err.contains("fixed: "), qPrintable(r.err));
        QVERIFY(readFile(file).find("    numAttemptsPerPriority: 1\n") != std::string::npos);
        // The doctor no longer reports it.
        const Run check = runAigwSim({"check", QString::fromStdString(file)});
        QVERIFY2(!check.out.contains("retry-stays-on-priority-0"), qPrintable(check.out));
    }
};

QTEST_GUILESS_MAIN(TestEditCli)
#include "test_edit_cli.moc"
