// Doctor: each finding with a positive and a negative row (one-line changes to a base without
// findings), mechanical fixes that make the finding go away, and the tutorial's samples.
#include <QTest>

#include "base_scenario.h"
#include "config/builtin.h"
#include "config/doctor.h"
#include "config/exporter.h"
#include "config/loader.h"
#include "config/validate.h"
#include "config_test_util.h"

using namespace aigw;
using namespace aigw::config;
using namespace aigw::config::test;

namespace {

const char* kRetryBlock =
    "  retry:\n    numAttemptsPerPriority: 1\n    numRetries: 2\n    retryOn:\n      triggers:\n        - connect-failure\n"
    "        - retriable-status-codes\n      httpStatusCodes:\n        - 503\n";

QStringList ids(const std::vector<Finding>& findings) {
    QStringList out;
    for (const auto& f : findings)
        out << QString::fromStdString(f.id);
    return out;
}

std::string both(const std::string& yaml, const std::string& from, const std::string& to) {
    std::string s = yaml;
    const auto pos = s.find(from);
    if (pos == std::string::npos)
        return "MUTATION NOT FOUND: " + from;
    s.replace(pos, from.size(), to);
    return s;
}

}  // namespace

class TestConfigDoctor : public QObject {
    Q_OBJECT

private slots:
    void baseHasNoFindings() {
        const LoadResult r = loadString(kBase, "base.yaml");
        QVERIFY(r.ok());
        QCOMPARE(ids(diagnose(r.config)), QStringList());
    }

    void findings_data() {
        QTest::addColumn<QString>("yaml");
        QTest::addColumn<QStringList>("expected");  // finding ids, in order
        QTest::addColumn<bool>("mechanical");       // applyFix can fix the first one
        QTest::addColumn<QString>("where");         // "line:col path" of the first finding
        auto row = [](const char* name, const std::string& yaml, QStringList expected, bool mechanical, const char* where) {
            QTest::newRow(name) << QString::fromStdString(yaml) << expected << mechanical << QString(where);
        };
        const QStringList none;
        // 1
        row("1+ no numAttemptsPerPriority", mutated("    numAttemptsPerPriority: 1\n", ""),
            {"retry-stays-on-priority-0"}, true, "94:3 spec.retry");
        row("1- no priorities > 0", both(mutated("    numAttemptsPerPriority: 1\n", ""), "priority: 1", "priority: 0"), none, false, "");
        // 2
        row("2+ no retry policy", mutated(kRetryBlock, ""), {"no-retry-policy"}, true, "20:7 spec.rules[0]");
        row("2- no retry, no priorities", both(mutated(kRetryBlock, ""), "priority: 1", "priority: 0"), none, false, "");
        // 3
        row("3+ no connect-failure", mutated("        - connect-failure\n", ""), {"retry-misses-connect-failure"}, true,
            "98:7 spec.retry.retryOn.triggers");
        row("3- 5xx covers refused connections", mutated("        - connect-failure\n", "        - 5xx\n"), none, false, "");
        row("3- retryOn defaults include connect-failure",
            mutated("    retryOn:\n      triggers:\n        - connect-failure\n        - retriable-status-codes\n      httpStatusCodes:\n        - 503\n", ""),
            none, false, "");
        // 4
        row("4+ too few retries", mutated("numAttemptsPerPriority: 1\n    numRetries: 2", "numAttemptsPerPriority: 2\n    numRetries: 1"),
            {"too-few-retries"}, true, "96:17 spec.retry.numRetries");
        row("4- default numRetries 2 is enough", mutated("numAttemptsPerPriority: 1\n    numRetries: 2", "numAttemptsPerPriority: 2"),
            none, false, "");
        // 5
        row("5+ maxEjectionPercent 10 with 2 hosts", mutated("maxEjectionPercent: 50", "maxEjectionPercent: 10"),
            {"ejection-impossible"}, true, "106:27 spec.healthCheck.passive.maxEjectionPercent");
        row("5+ EG default 10%", mutated("    passive:\n      maxEjectionPercent: 50\n", "    passive: {}\n"),
            {"ejection-impossible"}, true, "105:5 spec.healthCheck.passive");
        row("5- alwaysEjectOneEndpoint",
            mutated("maxEjectionPercent: 50", "maxEjectionPercent: 10\n      alwaysEjectOneEndpoint: true"), none, false, "");
        // 6
        row("6+ weight 0", mutated("weight: 1", "weight: 0"), {"zero-weight"}, false, "31:19 spec.rules[0].backendRefs[0].weight");
        row("6- weight 1", mutated("weight: 1", "weight: 2"), none, false, "");
        // 7
        row("7+ fqdn and ip in one rule",
            mutated("    - fqdn:\n        hostname: b.default.svc.cluster.local", "    - ip:\n        address: 10.0.0.2"),
            {"mixed-endpoint-types"}, false, "20:7 spec.rules[0]");
        row("7- all ip",
            both(mutated("    - fqdn:\n        hostname: b.default.svc.cluster.local", "    - ip:\n        address: 10.0.0.2"),
                 "    - fqdn:\n        hostname: a.default.svc.cluster.local", "    - ip:\n        address: 10.0.0.1"),
            none, false, "");
        // 8
        row("8+ no bufferLimit", mutated("    bufferLimit: 50Mi\n", ""), {"no-buffer-limit"}, true, "4:9 metadata.name");
        row("8- bufferLimit 1Mi", mutated("bufferLimit: 50Mi", "bufferLimit: 1Mi"), none, false, "");
        // 9
        row("9+ policy targets the Gateway", mutated("      kind: HTTPRoute\n      name: route", "      kind: Gateway\n      name: gw"),
            {"policy-targets-gateway"}, false, "91:7 spec.targetRefs[0]");
        // 10
        row("10+ KServe revision hostname", mutated("a.default.svc.cluster.local", "qwen-predictor-00001.default.svc.cluster.local"),
            {"pinned-revision"}, true, "70:19 spec.endpoints[0].fqdn.hostname");
        row("10- revision-less hostname", mutated("a.default.svc.cluster.local", "qwen-predictor.default.svc.cluster.local"), none,
            false, "");
        // 11
        row("11+ codes without the trigger", mutated("        - retriable-status-codes\n", ""), {"status-codes-ignored"}, true,
            "100:7 spec.retry.retryOn.httpStatusCodes");
    }
    void findings() {
        QFETCH(QString, yaml);
        QFETCH(QStringList, expected);
        QFETCH(bool, mechanical);
        QFETCH(QString, where);
        QVERIFY2(!yaml.startsWith("MUTATION NOT FOUND"), qPrintable(yaml));
        LoadResult r = loadString(yaml.toStdString(), "base.yaml");
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        const auto found = diagnose(r.config);
        QCOMPARE(ids(found), expected);
        if (expected.isEmpty())
            return;
        const Finding& f = found.front();
        QCOMPARE(QString("%1:%2 %3").arg(f.where.line).arg(f.where.column).arg(QString::fromStdString(f.where.path)), where);
        QCOMPARE(f.where.file, std::string("base.yaml"));
        QVERIFY(!f.title.empty());
        QVERIFY(!f.explanation.empty());
        QVERIFY2(!f.fixYaml.empty(), f.id.c_str());
        QVERIFY(!f.subject.empty());
        // The fix snippet is YAML.
        QVERIFY(YAML::Load(f.fixYaml).IsMap());

        const std::string before = exportYaml(r.config, {});
        const bool applied = applyFix(r.config, f);
        QCOMPARE(applied, mechanical);
        if (!applied) {
            QCOMPARE(exportYaml(r.config, {}), before);  // untouched
            return;
        }
        QVERIFY(validate(r.config).empty());
        QVERIFY(!ids(diagnose(r.config)).contains(QString::fromStdString(f.id)));
        // The fixed model exports and re-imports without errors or that finding.
        const LoadResult again = loadString(exportYaml(r.config, {}), "fixed.yaml");
        QVERIFY2(again.ok(), joinErrors(again.errors).c_str());
        QVERIFY(!ids(diagnose(again.config)).contains(QString::fromStdString(f.id)));
        // A finding that no longer matches is not applied twice.
        QVERIFY(!applyFix(r.config, f));
    }

    void samplesTogether() {
        // `check samples/*.yaml`: finding 1 on the tutorial's policy, nothing on the corrected one.
        const LoadResult r = loadFiles(allSamplePaths());
        QVERIFY(r.ok());
        const auto found = diagnose(r.config);
        int onTutorial = 0;
        for (const auto& f : found) {
            QVERIFY2(f.subject.find("envoy-ai-gateway-fallback-policy-corrected") == std::string::npos, formatFinding(f).c_str());
            QVERIFY2(f.severity != Severity::Warning || f.id == finding_id::kRetryStaysOnPriority0, formatFinding(f).c_str());
            if (f.id == finding_id::kRetryStaysOnPriority0) {
                ++onTutorial;
                QCOMPARE(f.subject, std::string("BackendTrafficPolicy default/envoy-ai-gateway-fallback-policy"));
                QVERIFY(f.where.file.find("provider-fallback.yaml") != std::string::npos);
                // Both policies reach the route; the explanation says which one wins.
                QVERIFY(f.explanation.find("takes precedence") != std::string::npos);
            }
        }
        QCOMPARE(onTutorial, 1);
    }

    void tutorialPolicyAlone() {
        const LoadResult r = loadFiles({samplePath("gateway-setup.yaml"), samplePath("provider-fallback.yaml")});
        QVERIFY(r.ok());
        const QStringList found = ids(diagnose(r.config));
        QVERIFY(found.contains("retry-stays-on-priority-0"));
        QVERIFY(found.contains("policy-targets-gateway"));
        QVERIFY(!found.contains("no-buffer-limit"));
    }

    void builtinScenarioHasNoWarnings() {
        const LoadResult r = loadBuiltinScenario();
        QVERIFY(r.ok());
        for (const auto& f : diagnose(r.config))
            QVERIFY2(f.severity == Severity::Info, formatFinding(f).c_str());
    }

    void officialFallbackExampleHasNoWarnings() {
        const LoadResult r = loadFiles({dataPath("official/provider_fallback-base.yaml"), dataPath("official/provider_fallback-fallback.yaml")});
        QVERIFY(r.ok());
        for (const auto& f : diagnose(r.config))
            QVERIFY2(f.severity == Severity::Info || f.id == finding_id::kNoBufferLimit, formatFinding(f).c_str());
    }

    void formatIsStable() {
        const LoadResult r = loadString(mutated("    numAttemptsPerPriority: 1\n", ""), "base.yaml");
        const auto found = diagnose(r.config);
        QCOMPARE(found.size(), std::size_t(1));
        const std::string text = formatFinding(found[0]);
        const std::string head = "base.yaml:94:3: warning[retry-stays-on-priority-0]: BackendTrafficPolicy default/btp: "
                                 "retry has no numAttemptsPerPriority: retries never leave priority 0, so fallback never happens\n"
                                 "  at spec.retry\n";
        QCOMPARE(text.substr(0, head.size()), head);
        QVERIFY(text.find("\n  fix:\n    apiVersion: gateway.envoyproxy.io/v1alpha1\n") != std::string::npos);
        QVERIFY(text.find("      numAttemptsPerPriority: 1\n") != std::string::npos);
        // Explanation lines (after the header) are wrapped.
        for (std::size_t start = text.find('\n') + 1, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
            QVERIFY(end - start <= 100 || text.compare(start, 4, "    ") == 0);
    }

    void severityNames() {
        QCOMPARE(std::string(severityName(Severity::Error)), std::string("error"));
        QCOMPARE(std::string(severityName(Severity::Warning)), std::string("warning"));
        QCOMPARE(std::string(severityName(Severity::Info)), std::string("info"));
    }
};

QTEST_GUILESS_MAIN(TestConfigDoctor)
#include "test_config_doctor.moc"
