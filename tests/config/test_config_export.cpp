// Export: import -> export -> import is the identity on every sample and official example; the
// exported documents satisfy the CRD schemas (tests/config/data/crds); typed edits win over raw.
#include <QTest>

#include <regex>

#include "base_scenario.h"
#include "config/builtin.h"
#include "config/exporter.h"
#include "config/loader.h"
#include "config_test_util.h"

using namespace aigw;
using namespace aigw::config;
using namespace aigw::config::test;

namespace {

/// A small checker for the openAPI v3 schemas in the CRDs: type, properties (unknown fields are
/// errors, as with kubectl's strict field validation), required, enum, minimum/maximum, pattern
/// (also under allOf), min/maxLength, min/maxItems, int-or-string. CEL rules are not evaluated
/// here; validate.cpp encodes the ones the simulator relies on.
class SchemaChecker {
public:
    void addCrd(const std::string& path) {
        for (const auto& doc : YAML::LoadAllFromFile(path)) {
            const std::string kind = doc["spec"]["names"]["kind"].as<std::string>();
            const std::string group = doc["spec"]["group"].as<std::string>();
            for (const auto& v : doc["spec"]["versions"])
                m_schemas[group + "/" + v["name"].as<std::string>() + "/" + kind] = v["schema"]["openAPIV3Schema"];
        }
    }

    bool has(const std::string& apiVersion, const std::string& kind) const { return m_schemas.count(apiVersion + "/" + kind) > 0; }

    std::vector<std::string> check(const YAML::Node& doc) {
        m_errors.clear();
        const std::string key = doc["apiVersion"].as<std::string>() + "/" + doc["kind"].as<std::string>();
        YAML::Node spec = doc["spec"];
        walk(spec, m_schemas.at(key)["properties"]["spec"], "spec");
        return m_errors;
    }

private:
    static bool plainNonString(const YAML::Node& n) {
        static const std::regex re(R"(^(~|null|true|false|yes|no|on|off|[-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?)$)",
                                   std::regex::icase);
        return n.Tag() != "!" && std::regex_match(n.Scalar(), re);
    }

    void fail(const std::string& path, const std::string& msg) { m_errors.push_back(path + ": " + msg); }

    void walk(const YAML::Node& n, const YAML::Node& s, const std::string& path) {
        if (!s.IsDefined() || !s.IsMap())
            return;
        const std::string type = s["type"] ? s["type"].as<std::string>() : "";
        const bool intOrString = s["x-kubernetes-int-or-string"] && s["x-kubernetes-int-or-string"].as<bool>();
        if (intOrString) {
            if (!n.IsScalar())
                fail(path, "must be an int or a string");
        } else if (type == "object") {
            if (!n.IsMap()) {
                fail(path, "must be an object");
                return;
            }
            const YAML::Node props = s["properties"];
            const bool open = s["x-kubernetes-preserve-unknown-fields"] || s["additionalProperties"];
            for (const auto& kv : n) {
                const std::string k = kv.first.Scalar();
                if (props && props[k])
                    walk(kv.second, props[k], path + "." + k);
                else if (!open && props)
                    fail(path + "." + k, "unknown field");
            }
            if (s["required"])
                for (const auto& r : s["required"])
                    if (!n[r.as<std::string>()])
                        fail(path + "." + r.as<std::string>(), "required");
            return;
        } else if (type == "array") {
            if (!n.IsSequence()) {
                fail(path, "must be an array");
                return;
            }
            if (s["maxItems"] && n.size() > s["maxItems"].as<std::size_t>())
                fail(path, "too many items");
            if (s["minItems"] && n.size() < s["minItems"].as<std::size_t>())
                fail(path, "too few items");
            for (std::size_t i = 0; i < n.size(); ++i)
                walk(n[i], s["items"], path + "[" + std::to_string(i) + "]");
            return;
        } else if (type == "integer") {
            long long v = 0;
            if (!n.IsScalar() || n.Tag() == "!" || !YAML::convert<long long>::decode(n, v)) {
                fail(path, "must be an integer");
                return;
            }
            if (s["minimum"] && v < s["minimum"].as<long long>())
                fail(path, "below minimum");
            if (s["maximum"] && v > s["maximum"].as<long long>())
                fail(path, "above maximum");
            return;
        } else if (type == "boolean") {
            bool b = false;
            if (!n.IsScalar() || n.Tag() == "!" || !YAML::convert<bool>::decode(n, b))
                fail(path, "must be a boolean");
            return;
        } else if (type == "string") {
            if (!n.IsScalar() || plainNonString(n)) {
                fail(path, "must be a string");
                return;
            }
        }
        if (!n.IsScalar())
            return;
        const std::string v = n.Scalar();
        if (s["enum"]) {
            bool ok = false;
            for (const auto& e : s["enum"])
                ok = ok || e.as<std::string>() == v;
            if (!ok)
                fail(path, "not in enum: " + v);
        }
        if (s["maxLength"] && v.size() > s["maxLength"].as<std::size_t>())
            fail(path, "too long");
        if (s["minLength"] && v.size() < s["minLength"].as<std::size_t>())
            fail(path, "too short");
        std::vector<std::string> patterns;
        if (s["pattern"])
            patterns.push_back(s["pattern"].as<std::string>());
        if (s["allOf"])
            for (const auto& a : s["allOf"])
                if (a["pattern"])
                    patterns.push_back(a["pattern"].as<std::string>());
        for (const auto& p : patterns)
            if (!std::regex_search(v, std::regex(p)))
                fail(path, "does not match " + p);
    }

    std::map<std::string, YAML::Node> m_schemas;
    std::vector<std::string> m_errors;
};

std::vector<std::pair<std::string, std::vector<std::string>>> allSets() {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    out.push_back({"samples", allSamplePaths()});
    for (const auto& f : sampleFiles())
        out.push_back({"sample " + f, {samplePath("gateway-setup.yaml"), samplePath("provider-fallback.yaml"), samplePath(f)}});
    for (const auto& [name, files] : officialSets())
        out.push_back({std::string("official ") + name, files});
    return out;
}

LoadResult loadSet(const std::vector<std::string>& files) {
    // Files listed twice (gateway-setup in the per-sample sets) are read once.
    std::vector<std::string> unique;
    for (const auto& f : files)
        if (std::find(unique.begin(), unique.end(), f) == unique.end())
            unique.push_back(f);
    return loadFiles(unique);
}

}  // namespace

class TestConfigExport : public QObject {
    Q_OBJECT

private slots:
    void roundTrip_data() {
        QTest::addColumn<QStringList>("files");
        QTest::addColumn<QString>("apiVersion");
        for (const auto& [name, files] : allSets()) {
            QStringList l;
            for (const auto& f : files)
                l << QString::fromStdString(f);
            for (const char* v : {"", "v1beta1", "v1alpha1"})
                QTest::newRow((name + " [" + (*v ? v : "as read") + "]").c_str()) << l << QString(v);
        }
    }
    void roundTrip() {
        QFETCH(QStringList, files);
        QFETCH(QString, apiVersion);
        std::vector<std::string> paths;
        for (const auto& f : files)
            paths.push_back(f.toStdString());
        LoadResult a = loadSet(paths);
        ExportOptions o;
        o.apiVersion = apiVersion.toStdString();
        const std::string yaml = exportYaml(a.config, o);
        const LoadResult b = loadString(yaml, "exported.yaml");
        // Same errors as the input (dangling references in partial examples), at new places.
        std::vector<std::string> before;
        std::vector<std::string> after;
        for (const auto& e : a.errors)
            before.push_back(e.where.path + ": " + e.message);
        for (const auto& e : b.errors)
            after.push_back(e.where.path + ": " + e.message);
        QCOMPARE(after, before);
        QCOMPARE(b.errors.size(), a.errors.size());
        if (!apiVersion.isEmpty())
            setAiVersion(a.config, apiVersion.toStdString());
        QCOMPARE(modelDifference(a.config, b.config), std::string());
        // Deterministic and idempotent.
        QCOMPARE(exportYaml(b.config, o), yaml);
        QCOMPARE(exportYaml(a.config, o), yaml);
        QVERIFY(yaml.find('#') == std::string::npos || yaml.find(" #") == std::string::npos);  // no comments
    }

    void exportSatisfiesTheCrds_data() {
        QTest::addColumn<QStringList>("files");
        QTest::addColumn<QString>("apiVersion");
        for (const auto& [name, files] : allSets()) {
            QStringList l;
            for (const auto& f : files)
                l << QString::fromStdString(f);
            for (const char* v : {"v1beta1", "v1alpha1"})
                QTest::newRow((name + " " + v).c_str()) << l << QString(v);
        }
        QTest::newRow("built-in") << QStringList() << QString("v1beta1");
    }
    void exportSatisfiesTheCrds() {
        QFETCH(QStringList, files);
        QFETCH(QString, apiVersion);
        SchemaChecker checker;
        for (const char* crd : {"aigateway.envoyproxy.io_aigatewayroutes.yaml", "aigateway.envoyproxy.io_aiservicebackends.yaml",
                                "gateway.envoyproxy.io_backends.yaml", "gateway.envoyproxy.io_backendtrafficpolicies.yaml",
                                "gateway.envoyproxy.io_clienttrafficpolicies.yaml"})
            checker.addCrd(dataPath(std::string("crds/") + crd));
        std::vector<std::string> paths;
        for (const auto& f : files)
            paths.push_back(f.toStdString());
        const LoadResult a = paths.empty() ? loadBuiltinScenario() : loadSet(paths);
        ExportOptions o;
        o.apiVersion = apiVersion.toStdString();
        int checked = 0;
        for (const auto& doc : YAML::LoadAll(exportYaml(a.config, o))) {
            const std::string kind = doc["kind"].as<std::string>();
            const std::string av = doc["apiVersion"].as<std::string>();
            if (kind == "AIGatewayRoute" || kind == "AIServiceBackend") {
                QCOMPARE(av, "aigateway.envoyproxy.io/" + apiVersion.toStdString());
                QVERIFY(!doc["spec"]["targetRefs"]);
            }
            if (!checker.has(av, kind))
                continue;
            const auto errors = checker.check(doc);
            std::string all;
            for (const auto& e : errors)
                all += kind + " " + doc["metadata"]["name"].as<std::string>() + ": " + e + "\n";
            QVERIFY2(errors.empty(), all.c_str());
            ++checked;
        }
        QVERIFY(checked > 0);
    }

    void schemaCheckerCatchesViolations() {
        // The checker itself must fail on what a cluster rejects.
        SchemaChecker checker;
        checker.addCrd(dataPath("crds/aigateway.envoyproxy.io_aigatewayroutes.yaml"));
        const YAML::Node bad = YAML::Load(
            "apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIGatewayRoute\nmetadata: {name: r}\n"
            "spec:\n  targetRefs: []\n  rules:\n    - backendRefs:\n        - name: x\n          weight: -1\n"
            "          modelNameOverride: 12\n      matches:\n        - headers:\n            - {name: a, value: b, type: Prefix}\n");
        const auto errors = checker.check(bad);
        QCOMPARE(errors.size(), std::size_t(4));
    }

    void typedEditsWinOverRaw() {
        LoadResult r = loadString(kBase, "base.yaml");
        auto& ref = r.config.routes[0].rules[0].backendRefs[0];
        ref.weight = 80;
        ref.priority.reset();           // unset: the field disappears (default left implicit)
        ref.modelNameOverride = "true";  // a string that looks like a bool stays a string
        r.config.trafficPolicies[0].retry->perTryTimeout = secs(90);
        r.config.backends[1].meta.annotations[SimSettings::kMode] = "mock";
        const std::string yaml = exportYaml(r.config, {});
        QVERIFY(yaml.find("          weight: 80\n") != std::string::npos);
        QVERIFY(yaml.find("modelNameOverride: \"true\"") != std::string::npos);
        QVERIFY(yaml.find("timeout: 1m30s") != std::string::npos);
        QVERIFY(yaml.find("aigw-sim/mode: mock") != std::string::npos);
        const LoadResult b = loadString(yaml, "edited.yaml");
        QVERIFY2(b.ok(), joinErrors(b.errors).c_str());
        QCOMPARE(b.config.routes[0].rules[0].backendRefs[0], ref);
        QCOMPARE(*b.config.trafficPolicies[0].retry->perTryTimeout, secs(90));
        // --strip-sim drops only the simulator's annotations.
        ExportOptions strip;
        strip.stripSim = true;
        const std::string stripped = exportYaml(r.config, strip);
        QVERIFY(stripped.find("aigw-sim/") == std::string::npos);
        QVERIFY(stripped.find("annotations") == std::string::npos);
    }

    void unmodelledFieldsSurvive() {
        const std::string yaml = mutated("          weight: 1\n", "          weight: 1\n          headerMutation:\n            set:\n"
                                                                  "              - name: x-a\n                value: b\n");
        LoadResult r = loadString(yaml, "m.yaml");
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        r.config.routes[0].rules[0].backendRefs[0].weight = 7;
        const std::string out = exportYaml(r.config, {});
        QVERIFY(out.find("          weight: 7\n          headerMutation:\n            set:\n              - name: x-a\n") !=
                std::string::npos);
    }

    void objectsAddedAfterLoading() {
        LoadResult r = loadString(kBase, "base.yaml");
        BackendTrafficPolicy p;
        p.meta.name = "new";
        p.meta.ns = "default";
        ObjectRef t;
        t.group = "gateway.networking.k8s.io";
        t.kind = "Gateway";
        t.name = "gw";
        p.targetRefs.push_back(t);
        p.passive = PassiveHealthCheck{};
        r.config.trafficPolicies.push_back(p);
        r.config.routes.erase(r.config.routes.begin());  // deleted objects are not written
        const LoadResult b = loadString(exportYaml(r.config, {}), "added.yaml");
        QCOMPARE(b.config.routes.size(), std::size_t(0));
        QCOMPARE(b.config.trafficPolicies.size(), std::size_t(2));
        QCOMPARE(b.config.trafficPolicies[1], p);  // passive: {} keeps outlier detection on
    }

    void literalAndQuotedScalars() {
        const std::string yaml = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    a: \"80\"\n    b: \"yes\"\n"
                                 "stringData:\n  creds: |\n    [default]\n    key = value\n  oneline: \"x\\ny\"\n";
        const LoadResult a = loadString(yaml, "s.yaml");
        QVERIFY(a.ok());
        const std::string out = exportYaml(a.config, {});
        QVERIFY(out.find("a: \"80\"") != std::string::npos);
        QVERIFY(out.find("b: \"yes\"") != std::string::npos);
        QVERIFY(out.find("creds: |\n    [default]\n    key = value\n") != std::string::npos);
        const LoadResult b = loadString(out, "s2.yaml");
        QCOMPARE(std::string(b.config.documents[0].raw.child("stringData").child("oneline").scalar()), std::string("x\ny"));
        QCOMPARE(modelDifference(a.config, b.config), std::string());
    }

    void exportObjectWritesOneDocument() {
        const LoadResult r = loadString(kBase, "base.yaml");
        const std::string one = exportObject(r.config, Kind::Backend, 1);
        QVERIFY(one.find("name: be-b") != std::string::npos);
        QVERIFY(one.find("---") == std::string::npos);
        QVERIFY(exportObject(r.config, Kind::Backend, 9).empty());
        QVERIFY(isSupportedApiVersion("v1alpha1") && isSupportedApiVersion("v1beta1") && !isSupportedApiVersion("v1"));
    }
};

QTEST_GUILESS_MAIN(TestConfigExport)
#include "test_config_export.moc"
