// Validation: one row per CRD rule, each a one-line change to a valid base (base_scenario.h),
// with the exact file:line:column, YAML path and message expected.
#include <QTest>

#include "base_scenario.h"
#include "config/loader.h"
#include "config/validate.h"
#include "config_test_util.h"

using namespace aigw;
using namespace aigw::config;
using namespace aigw::config::test;

namespace {

std::string sixteenRules() {
    std::string extra;
    for (int i = 0; i < 15; ++i)
        extra += "    - backendRefs:\n        - name: asb-a\n";
    return "  rules:\n" + extra;
}

}  // namespace

class TestConfigValidate : public QObject {
    Q_OBJECT

private slots:
    void baseIsValid() {
        const LoadResult r = loadString(kBase, "base.yaml");
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
    }

    void rules_data() {
        QTest::addColumn<QString>("yaml");
        QTest::addColumn<QString>("expected");  // prefix of one error's toString()
        QTest::addColumn<int>("count");         // total number of errors
        auto row = [](const char* name, const std::string& yaml, const char* expected, int count = 1) {
            QTest::newRow(name) << QString::fromStdString(yaml) << QString(expected) << count;
        };
        // AIGatewayRoute
        row("weight >= 0", mutated("weight: 1", "weight: -1"),
            "base.yaml:31:19: spec.rules[0].backendRefs[0].weight: must be >= 0");
        row("priority >= 0", mutated("priority: 1", "priority: -1"),
            "base.yaml:34:21: spec.rules[0].backendRefs[1].priority: must be >= 0");
        row("backendRef name required", mutated("        - name: asb-b\n          priority: 1", "        - priority: 1"),
            "base.yaml:33:11: spec.rules[0].backendRefs[1].name: is required");
        row("at most 15 rules", mutated("  rules:\n", sixteenRules()),
            "base.yaml:19:3: spec.rules: must have at most 15 items (has 16)");
        row("rule names unique", mutated("  rules:\n", "  rules:\n    - name: main\n      backendRefs:\n        - name: asb-a\n"),
            "base.yaml:23:13: spec.rules[1].name: rule name must be unique within the route");
        row("route-not-found reserved", mutated("name: main", "name: route-not-found"),
            "base.yaml:20:13: spec.rules[0].name: rule name route-not-found is reserved");
        row("rule name pattern", mutated("name: main", "name: Main_Rule"),
            "base.yaml:20:13: spec.rules[0].name: must be a lowercase DNS subdomain");
        row("removed spec.targetRefs",
            mutated("spec:\n  parentRefs:", "spec:\n  targetRefs:\n    - name: gw\n      kind: Gateway\n  parentRefs:"),
            "base.yaml:15:3: spec.targetRefs: field was removed from AIGatewayRoute");
        row("removed spec.schema", mutated("spec:\n  parentRefs:", "spec:\n  schema:\n    name: OpenAI\n  parentRefs:"),
            "base.yaml:15:3: spec.schema: field was removed from AIGatewayRoute");
        row("unknown rule field", mutated("      timeouts:", "      timeout:"),
            "base.yaml:26:7: spec.rules[0].timeout: unknown field");
        row("rules required", mutated("  rules:", "  rulez:"), "base.yaml:14:1: spec.rules: is required", 2);
        row("backendRequest <= request", mutated("backendRequest: 30s", "backendRequest: 90s"),
            "base.yaml:28:25: spec.rules[0].timeouts.backendRequest: backendRequest timeout cannot be longer than request timeout");
        row("duration pattern", mutated("request: 60s", "request: 60sec"),
            "base.yaml:27:18: spec.rules[0].timeouts.request: must be a duration");
        row("header match type enum", mutated("type: Exact", "type: Prefix"),
            "base.yaml:23:21: spec.rules[0].matches[0].headers[0].type: must be one of Exact, RegularExpression");
        row("header name pattern", mutated("name: x-ai-eg-model", "name: x ai"),
            "base.yaml:24:21: spec.rules[0].matches[0].headers[0].name: must be a valid HTTP header name");
        row("header value required", mutated("value: virtual", "value: \"\""),
            "base.yaml:25:22: spec.rules[0].matches[0].headers[0].value: is required");
        row("parentRef kind Gateway", mutated("      kind: Gateway\n      group: gateway.networking.k8s.io\n  rules",
                                              "      kind: Service\n      group: gateway.networking.k8s.io\n  rules"),
            "base.yaml:17:13: spec.parentRefs[0].kind: must be Gateway");
        row("parentRef dangling", mutated("    - name: gw\n", "    - name: gw2\n"),
            "base.yaml:16:13: spec.parentRefs[0].name: Gateway default/gw2 is not defined");
        row("backendRef dangling", mutated("        - name: asb-a", "        - name: asb-x"),
            "base.yaml:30:17: spec.rules[0].backendRefs[0].name: AIServiceBackend default/asb-x is not defined: the route is not accepted");
        row("backendRef group and kind together",
            mutated("        - name: asb-a\n", "        - name: asb-a\n          group: inference.networking.k8s.io\n"),
            "base.yaml:30:11: spec.rules[0].backendRefs[0]: group and kind must be specified together");
        row("llmRequestCosts type enum", mutated("  rules:\n", "  llmRequestCosts:\n    - metadataKey: k\n      type: Tokens\n  rules:\n"),
            "base.yaml:21:13: spec.llmRequestCosts[0].type: must be one of");
        // AIServiceBackend
        row("schema.name enum", mutated("    name: OpenAI", "    name: OpenAIv2"),
            "base.yaml:43:11: spec.schema.name: must be one of");
        row("schema required", mutated("  schema:\n    name: OpenAI\n", ""), "base.yaml:41:1: spec.schema: is required");
        row("backendRef must be an EG Backend",
            mutated("    kind: Backend\n    group: gateway.envoyproxy.io", "    kind: Service\n    group: \"\""),
            "base.yaml:44:3: spec.backendRef: BackendRef must be a Backend resource of Envoy Gateway");
        row("AIServiceBackend -> Backend dangling", mutated("    name: be-a", "    name: be-x"),
            "base.yaml:45:11: spec.backendRef.name: Backend default/be-x is not defined: routes that use this AIServiceBackend are not accepted");
        // Backend
        row("endpoint has two address types",
            mutated("        port: 80\n", "        port: 80\n      ip:\n        address: 10.0.0.1\n        port: 80\n"),
            "base.yaml:69:7: spec.endpoints[0]: only one of fqdn, ip or unix can be specified");
        row("endpoint has no address",
            mutated("    - fqdn:\n        hostname: a.default.svc.cluster.local\n        port: 80", "    - zone: z"),
            "base.yaml:69:7: spec.endpoints[0]: one of fqdn, ip or unix must be specified");
        row("fqdn mixed with ip in one Backend",
            mutated("        port: 80\n", "        port: 80\n    - ip:\n        address: 10.0.0.1\n        port: 80\n"),
            "base.yaml:68:3: spec.endpoints: fqdn addresses cannot be mixed with other address types");
        row("fqdn hostname pattern", mutated("a.default.svc.cluster.local", "A_B"),
            "base.yaml:70:19: spec.endpoints[0].fqdn.hostname: must be a lowercase DNS name");
        row("port range", mutated("        port: 80", "        port: 70000"),
            "base.yaml:71:15: spec.endpoints[0].fqdn.port: must be between 0 and 65535");
        row("ip address pattern",
            mutated("    - fqdn:\n        hostname: a.default.svc.cluster.local", "    - ip:\n        address: 999.1.1.1"),
            "base.yaml:70:18: spec.endpoints[0].ip.address: must be an IPv4 or IPv6 address");
        row("endpoints required", mutated("  endpoints:\n    - fqdn:\n        hostname: a.default.svc.cluster.local\n        port: 80\n", "  endpoints: []\n"),
            "base.yaml:68:3: spec.endpoints: must have at least 1 item");
        // BackendTrafficPolicy
        row("numRetries >= 0", mutated("numRetries: 2", "numRetries: -1"), "base.yaml:96:17: spec.retry.numRetries: must be >= 0");
        row("trigger enum", mutated("        - connect-failure", "        - connect-failed"),
            "base.yaml:99:11: spec.retry.retryOn.triggers[0]: must be one of");
        row("httpStatusCodes 100..599", mutated("        - 503", "        - 600"),
            "base.yaml:102:11: spec.retry.retryOn.httpStatusCodes[0]: must be between 100 and 599");
        row("maxEjectionPercent 0..100", mutated("maxEjectionPercent: 50", "maxEjectionPercent: 101"),
            "base.yaml:106:27: spec.healthCheck.passive.maxEjectionPercent: must be between 0 and 100");
        row("panicThreshold 0..100", mutated("panicThreshold: 50", "panicThreshold: -5"),
            "base.yaml:104:21: spec.healthCheck.panicThreshold: must be between 0 and 100");
        row("targetRef HTTPRoute dangling", mutated("      name: route", "      name: nope"),
            "base.yaml:93:13: spec.targetRefs[0].name: HTTPRoute default/nope is not defined");
        row("targetRef Gateway dangling", mutated("      kind: HTTPRoute\n      name: route", "      kind: Gateway\n      name: gw9"),
            "base.yaml:93:13: spec.targetRefs[0].name: Gateway default/gw9 is not defined");
        // ClientTrafficPolicy
        row("bufferLimit pattern", mutated("bufferLimit: 50Mi", "bufferLimit: 50MB"),
            "base.yaml:119:18: spec.connection.bufferLimit: must be a quantity");
        row("targetRef group required",
            mutated("    - group: gateway.networking.k8s.io\n      kind: Gateway\n      name: gw\n  connection",
                    "    - kind: Gateway\n      name: gw\n  connection"),
            "base.yaml:115:7: spec.targetRefs[0].group: is required");
        // Across documents
        row("duplicate object",
            std::string(kBase) + "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: gw\n",
            "base.yaml:124:9: metadata.name: duplicate Gateway default/gw (first defined at base.yaml:1)");
    }
    void rules() {
        QFETCH(QString, yaml);
        QFETCH(QString, expected);
        QFETCH(int, count);
        QVERIFY2(!yaml.startsWith("MUTATION NOT FOUND"), qPrintable(yaml));
        const LoadResult r = loadString(yaml.toStdString(), "base.yaml");
        bool found = false;
        for (const auto& e : r.errors)
            found = found || QString::fromStdString(e.toString()).startsWith(expected);
        QVERIFY2(found, joinErrors(r.errors).c_str());
        QVERIFY2(int(r.errors.size()) == count, joinErrors(r.errors).c_str());
    }

    void validateAnEditedModel() {
        // The UI edits typed fields; validate() re-checks them with the original locations.
        LoadResult r = loadString(kBase, "base.yaml");
        QVERIFY(r.ok());
        r.config.routes[0].rules[0].backendRefs[1].weight = -3;
        r.config.trafficPolicies[0].retry->httpStatusCodes.push_back(42);
        const auto errors = validate(r.config);
        QCOMPARE(errors.size(), std::size_t(2));
        QCOMPARE(errors[0].toString(), std::string("base.yaml:33:11: spec.rules[0].backendRefs[1].weight: must be >= 0"));
        QCOMPARE(errors[1].toString(), std::string("base.yaml:101:7: spec.retry.retryOn.httpStatusCodes[1]: must be between 100 and 599"));
    }

    void objectsWithoutDocument() {
        // Added after loading: no file, but still a path.
        Config c;
        AIServiceBackend b;
        b.meta.name = "x";
        b.schemaName = "OpenAI";
        b.backendRef.name = "y";
        c.serviceBackends.push_back(b);
        const auto errors = validate(c);
        QCOMPARE(errors.size(), std::size_t(1));
        QCOMPARE(errors[0].toString(), std::string("spec.backendRef: BackendRef must be a Backend resource of Envoy Gateway "
                                                   "(group: gateway.envoyproxy.io, kind: Backend)"));
    }

    void tutorialErrorExampleFormat() {
        // The example: provider-fallback.yaml with a negative weight.
        std::string yaml = readFile(samplePath("provider-fallback.yaml"));
        const std::string from = "          priority: 1\n";
        yaml.replace(yaml.find(from), from.size(), from + "          weight: -1\n");
        const LoadResult r = loadFiles({samplePath("gateway-setup.yaml")});
        QVERIFY(r.ok());
        const LoadResult bad = loadSources({Source{"gateway-setup.yaml", readFile(samplePath("gateway-setup.yaml"))},
                                            Source{"provider-fallback.yaml", yaml}});
        QCOMPARE(bad.errors.size(), std::size_t(1));
        QCOMPARE(bad.errors[0].toString(), std::string("provider-fallback.yaml:24:19: spec.rules[0].backendRefs[1].weight: must be >= 0"));
    }
};

QTEST_GUILESS_MAIN(TestConfigValidate)
#include "test_config_validate.moc"
