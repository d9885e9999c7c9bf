// Doctor: each finding with a positive and a negative row (one-line changes to a base without
// findings), mechanical fixes that make the finding go away, and the tutorial's samples.
#include <QTest>

#include "base_scenario.h"
#include "config/builtin.h"
#include "config/doctor.h"
#include "config/exporter.h"
#include "config/loader.h"
#include "config/retry_semantics.h"
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
        row("2+ the route's policy has no retry: the Gateway's retry does not apply",
            mutated(kRetryBlock, "") +
                "---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata:\n  name: gw-btp\n"
                "  namespace: default\nspec:\n  targetRefs:\n    - group: gateway.networking.k8s.io\n      kind: Gateway\n"
                "      name: gw\n  retry:\n    numAttemptsPerPriority: 1\n",
            {"no-retry-policy", "policy-targets-gateway", "retry-default-triggers"}, true, "20:7 spec.rules[0]");
        row("2- no retry, no priorities", both(mutated(kRetryBlock, ""), "priority: 1", "priority: 0"), none, false, "");
        // 3
        row("3+ no connect-failure", mutated("        - connect-failure\n", ""), {"retry-misses-connect-failure"}, true,
            "98:7 spec.retry.retryOn.triggers");
        row("3- 5xx covers refused connections", mutated("        - connect-failure\n", "        - 5xx\n"), none, false, "");
        row("3- reset covers refused connections too", mutated("        - connect-failure\n", "        - reset\n"), none, false, "");
        row("3- no retryOn: the EG defaults include connect-failure (only 16, an info)",
            mutated("    retryOn:\n      triggers:\n        - connect-failure\n        - retriable-status-codes\n      httpStatusCodes:\n        - 503\n", ""),
            {"retry-default-triggers"}, true, "94:3 spec.retry");
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
        // 3 hosts, 2 of them in priority 0: 50% ejects floor(50 x 3 / 100) = 1 host, priority 0 keeps one.
        row("5+ 50% ejects 1 of 3 hosts, not both priority-0 hosts",
            mutated("        hostname: a.default.svc.cluster.local\n        port: 80\n",
                    "        hostname: a.default.svc.cluster.local\n        port: 80\n    - fqdn:\n"
                    "        hostname: a2.default.svc.cluster.local\n        port: 80\n"),
            {"ejection-impossible"}, true, "109:27 spec.healthCheck.passive.maxEjectionPercent");
        // 2 hosts, 1 in priority 0: 50% ejects floor(50 x 2 / 100) = 1 host, all of priority 0.
        row("5- 50% ejects the one priority-0 host of 2", kBase, none, false, "");
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
        row("11- 5xx retries the listed 503 anyway", mutated("        - retriable-status-codes\n", "        - 5xx\n"), none, false, "");
        // 12-13, 17: a per-try timeout. The base rule's route timeout is backendRequest 30s.
        const std::string perTry10 = mutated("    numRetries: 2\n", "    numRetries: 2\n    perRetry:\n      timeout: 10s\n");
        const std::string perTry10Reset =
            both(perTry10, "        - retriable-status-codes\n", "        - retriable-status-codes\n        - reset\n");
        // 12
        row("12+ per-try 30s >= route timeout 30s", mutated("    numRetries: 2\n", "    numRetries: 2\n    perRetry:\n      timeout: 30s\n"),
            {"per-try-timeout-dropped"}, true, "98:16 spec.retry.perRetry.timeout");
        row("12- route timeout 0s: per-try 30s stays (and is not retried)",
            both(mutated("    numRetries: 2\n", "    numRetries: 2\n    perRetry:\n      timeout: 30s\n"), "backendRequest: 30s",
                 "backendRequest: 0s"),
            {"timeout-disabled", "per-try-timeout-not-retried"}, false, "28:25 spec.rules[0].timeouts.backendRequest");
        // 13
        row("13+ per-try not retried by connect-failure, retriable-status-codes", perTry10, {"per-try-timeout-not-retried"}, true,
            "98:16 spec.retry.perRetry.timeout");
        row("13- gateway-error retries it (17 remains, an info)", both(perTry10, "        - connect-failure\n", "        - gateway-error\n"),
            {"per-try-timeout-misses-streams"}, true, "20:7 spec.rules[0].streamIdleTimeout");
        // 14
        row("14+ retriable-status-codes, httpStatusCodes []", mutated("      httpStatusCodes:\n        - 503\n", "      httpStatusCodes: []\n"),
            {"status-codes-empty"}, true, "101:7 spec.retry.retryOn.httpStatusCodes");
        row("14- httpStatusCodes absent: EG's [503]", mutated("      httpStatusCodes:\n        - 503\n", ""), none, false, "");
        // 15
        row("15+ timeouts.request 0s", mutated("        request: 60s\n        backendRequest: 30s\n", "        request: 0s\n"),
            {"timeout-disabled"}, false, "27:18 spec.rules[0].timeouts.request");
        row("15+ timeouts.request 0s, backendRequest wins", mutated("request: 60s", "request: 0s"), {"timeout-disabled"}, false,
            "27:18 spec.rules[0].timeouts.request");
        row("15+ timeouts.backendRequest 0s", mutated("backendRequest: 30s", "backendRequest: 0s"), {"timeout-disabled"}, false,
            "28:25 spec.rules[0].timeouts.backendRequest");
        row("15+ streamIdleTimeout 0s", mutated("      timeouts:\n", "      streamIdleTimeout: 0s\n      timeouts:\n"),
            {"timeout-disabled"}, false, "26:26 spec.rules[0].streamIdleTimeout");
        row("15+ perRetry.timeout 0s", mutated("    numRetries: 2\n", "    numRetries: 2\n    perRetry:\n      timeout: 0s\n"),
            {"timeout-disabled"}, false, "98:16 spec.retry.perRetry.timeout");
        // 16
        row("16+ retryOn without triggers", mutated("      triggers:\n        - connect-failure\n        - retriable-status-codes\n", ""),
            {"retry-default-triggers"}, true, "97:5 spec.retry.retryOn");
        // 17
        row("17+ a retried per-try timeout is the only guard of a stream", perTry10Reset, {"per-try-timeout-misses-streams"}, true,
            "20:7 spec.rules[0].streamIdleTimeout");
        row("17- streamIdleTimeout set", both(perTry10Reset, "      timeouts:\n", "      streamIdleTimeout: 30s\n      timeouts:\n"), none,
            false, "");
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

    void doctorAgreesWithTheTriggerTable() {
        // Findings 3 and 13 ask the engine's table; one trigger at a time, the answers must match it.
        for (const auto& row : triggerTable()) {
            const std::string t = row.name;
            std::string yaml = both(mutated("    numRetries: 2\n", "    numRetries: 2\n    perRetry:\n      timeout: 10s\n"),
                                    "        - connect-failure\n        - retriable-status-codes\n", "        - " + t + "\n");
            const LoadResult r = loadString(yaml, "base.yaml");
            QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
            const QStringList found = ids(diagnose(r.config));
            QCOMPARE(found.contains("retry-misses-connect-failure"), !retries({t}, {503}, FailureClass::ConnectRefused));
            QCOMPARE(found.contains("per-try-timeout-not-retried"), !retries({t}, {503}, FailureClass::PerTryTimeout));
            QCOMPARE(found.contains("per-try-timeout-misses-streams"), retries({t}, {503}, FailureClass::PerTryTimeout));
        }
    }

    void fixValues() {
        auto fixed = [](const std::string& yaml, const char* id) {
            LoadResult r = loadString(yaml, "base.yaml");
            for (const auto& f : diagnose(r.config))
                if (f.id == id)
                    applyFix(r.config, f);
            return r.config.trafficPolicies.at(0);
        };
        // Finding 5: 100, so the whole of priority 0 can be ejected (the official docs' value).
        QCOMPARE(*fixed(mutated("maxEjectionPercent: 50", "maxEjectionPercent: 10"), finding_id::kEjectionImpossible)
                      .passive->maxEjectionPercent,
                 std::int64_t(100));
        // Finding 12: route timeout 30s / (1 + numRetries 2) = 10s.
        const auto dropped = fixed(mutated("    numRetries: 2\n", "    numRetries: 2\n    perRetry:\n      timeout: 45s\n"),
                                   finding_id::kPerTryTimeoutDropped);
        QCOMPARE(*dropped.retry->perTryTimeout, secs(10));
        // Finding 13: reset added, the other triggers kept.
        const auto reset = fixed(mutated("    numRetries: 2\n", "    numRetries: 2\n    perRetry:\n      timeout: 10s\n"),
                                 finding_id::kPerTryTimeoutNotRetried);
        QCOMPARE(reset.retry->triggers, (std::vector<std::string>{"connect-failure", "retriable-status-codes", "reset"}));
        // Finding 16: the defaults written out, so Envoy sees the same policy.
        const auto defaults = fixed(mutated("      triggers:\n        - connect-failure\n        - retriable-status-codes\n", ""),
                                    finding_id::kRetryDefaultTriggers);
        QCOMPARE(defaults.retry->triggers, defaultTriggers());
        QCOMPARE(defaults.retry->httpStatusCodes, std::vector<int>{503});
        // Finding 14: the codes the doctor's fallback template retries.
        const auto codes = fixed(mutated("      httpStatusCodes:\n        - 503\n", "      httpStatusCodes: []\n"),
                                 finding_id::kStatusCodesEmpty);
        QCOMPARE(codes.retry->httpStatusCodes, (std::vector<int>{500, 502, 503, 504}));
    }

    void staysOnPriority0TellsTheDeleteStory() {
        // Reference 3.5: after a delete, failures until the DNS refresh, then priority 1; a crash never gets there.
        const std::string noPerPriority = mutated("    numAttemptsPerPriority: 1\n", "");
        for (const auto& [yaml, refresh] : {std::pair{noPerPriority, std::string("every 30s")},
                                            std::pair{both(noPerPriority, "  retry:\n", "  dns:\n    dnsRefreshRate: 5s\n  retry:\n"),
                                                      std::string("every 5s")}}) {
            const LoadResult r = loadString(yaml, "base.yaml");
            QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
            const auto found = diagnose(r.config);
            QCOMPARE(ids(found), QStringList{"retry-stays-on-priority-0"});
            const std::string& e = found[0].explanation;
            for (const std::string& part : {refresh, std::string("connects to it time out (10s"), std::string("priority 1 answers"),
                                            std::string("crashed or stopped primary")})
                QVERIFY2(e.find(part) != std::string::npos, (part + " in: " + e).c_str());
        }
    }

    void samplesTogether() {
        // `check samples/*.yaml`: finding 1 on the tutorial's policy. Both policies, as the official
        // example, keep perRetry.timeout 30s with connect-failure and retriable-status-codes, which do
        // not retry a per-try timeout (finding 13, reference 3.5): that is the only other warning.
        const LoadResult r = loadFiles(allSamplePaths());
        QVERIFY(r.ok());
        const auto found = diagnose(r.config);
        int onTutorial = 0;
        for (const auto& f : found) {
            const bool perTry = f.id == finding_id::kPerTryTimeoutNotRetried || f.id == finding_id::kPerTryTimeoutMissesStreams;
            QVERIFY2(f.subject.find("envoy-ai-gateway-fallback-policy-corrected") == std::string::npos || perTry,
                     formatFinding(f).c_str());
            QVERIFY2(f.severity != Severity::Warning || f.id == finding_id::kRetryStaysOnPriority0 || perTry,
                     formatFinding(f).c_str());
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
        QVERIFY(found.contains("per-try-timeout-not-retried"));
        QVERIFY(!found.contains("retry-misses-connect-failure"));
        QVERIFY(!found.contains("no-buffer-limit"));
    }

    void builtinScenarioWarnsOnlyAboutItsPerTryTimeout() {
        // The corrected policy falls back on refused connections and 5xx; its per-try timeout is not
        // retried (finding 13), so a hung primary still gives 504.
        const LoadResult r = loadBuiltinScenario();
        QVERIFY(r.ok());
        for (const auto& f : diagnose(r.config))
            QVERIFY2(f.severity == Severity::Info || f.id == finding_id::kPerTryTimeoutNotRetried, formatFinding(f).c_str());
    }

    void officialFallbackExampleHasNoWarnings() {
        // Only the buffer limit (the example sets none) and its per-try timeout of
        // 30s under connect-failure and retriable-status-codes, which Envoy does not retry.
        const LoadResult r = loadFiles({dataPath("official/provider_fallback-base.yaml"), dataPath("official/provider_fallback-fallback.yaml")});
        QVERIFY(r.ok());
        for (const auto& f : diagnose(r.config))
            QVERIFY2(f.severity == Severity::Info || f.id == finding_id::kNoBufferLimit || f.id == finding_id::kPerTryTimeoutNotRetried,
                     formatFinding(f).c_str());
    }

    void officialStreamIdleTimeoutExample() {
        // streamIdleTimeout 5s with a retry: none of the timeout findings. (Its AIServiceBackends live
        // in another file of the example, so the route is reported as not accepted.)
        const LoadResult r = loadFiles({dataPath("official/stream_idle_timeout-base.yaml")});
        QCOMPARE(r.config.routes.size(), std::size_t(1));
        QCOMPARE(r.config.trafficPolicies.size(), std::size_t(1));
        for (const auto& f : diagnose(r.config))
            QVERIFY2(f.id != finding_id::kPerTryTimeoutMissesStreams && f.id != finding_id::kTimeoutDisabled &&
                         f.id != finding_id::kPerTryTimeoutDropped,
                     formatFinding(f).c_str());
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
