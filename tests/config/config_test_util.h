#pragma once
// Shared helpers for the config tests: data paths, file reading, model comparison, running aigw-sim.

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTest>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/exporter.h"
#include "config/loader.h"
#include "config/yaml_tree.h"

namespace aigw::config::test {

/// What one run of the aigw-sim binary did: exit code (-1 when it did not end normally within 60 s),
/// standard output and standard error.
struct Run {
    int code = -1;
    QString out;
    QString err;
};

/// Runs build/app/aigw-sim (AIGW_BUILD_DIR, set by ctest) with `args`, `input` on its standard input,
/// in `env` (the test's own environment when empty).
inline Run runAigwSim(const QStringList& args, const QByteArray& input = {},
                      const QProcessEnvironment& env = QProcessEnvironment()) {
    QProcess p;
    if (!env.isEmpty())
        p.setProcessEnvironment(env);
    p.start(qEnvironmentVariable("AIGW_BUILD_DIR") + "/app/aigw-sim", args);
    Run r;
    if (!p.waitForStarted(10000))
        return r;
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished(5000);
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

inline std::string samplePath(const std::string& name) { return std::string(AIGW_SAMPLES_DIR) + "/" + name; }
inline std::string dataPath(const std::string& name) { return std::string(AIGW_CONFIG_TEST_DATA) + "/" + name; }

inline std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline const std::vector<std::string>& sampleFiles() {
    static const std::vector<std::string> files = {
        "gateway-setup.yaml",   "primary-model.yaml",        "secondary-model.yaml",
        "tertiary-model.yaml",  "model-virtualization.yaml", "provider-fallback.yaml",
        "provider-fallback-corrected.yaml"};
    return files;
}

inline std::vector<std::string> allSamplePaths() {
    std::vector<std::string> out;
    for (const auto& f : sampleFiles())
        out.push_back(samplePath(f));
    return out;
}

/// Official example sets, each loadable on its own (the fallback policy needs its base).
inline std::vector<std::pair<const char*, std::vector<std::string>>> officialSets() {
    return {
        {"basic", {dataPath("official/basic.yaml")}},
        {"provider_fallback", {dataPath("official/provider_fallback-base.yaml"), dataPath("official/provider_fallback-fallback.yaml")}},
        {"stream_idle_timeout", {dataPath("official/stream_idle_timeout-base.yaml")}},
        {"traffic_splitting_fallback", {dataPath("official/traffic_splitting_fallback.yaml")}},
        {"translate_basic", {dataPath("official/translate_basic.out.yaml")}},
    };
}

inline std::string joinErrors(const std::vector<Error>& errors) {
    std::string out;
    for (const auto& e : errors)
        out += e.toString() + "\n";
    return out;
}

/// Typed model and raw content equal (locations aside): the round-trip identity.
inline std::string modelDifference(const Config& a, const Config& b) {
    if (a.routes != b.routes)
        return "routes differ";
    if (a.serviceBackends != b.serviceBackends)
        return "AIServiceBackends differ";
    if (a.backends != b.backends)
        return "Backends differ";
    if (a.trafficPolicies != b.trafficPolicies)
        return "BackendTrafficPolicies differ";
    if (a.clientPolicies != b.clientPolicies)
        return "ClientTrafficPolicies differ";
    if (a.inferenceServices != b.inferenceServices)
        return "InferenceServices differ";
    if (a.documents.size() != b.documents.size())
        return "document count " + std::to_string(a.documents.size()) + " vs " + std::to_string(b.documents.size());
    for (std::size_t i = 0; i < a.documents.size(); ++i) {
        const auto& x = a.documents[i];
        const auto& y = b.documents[i];
        if (x.kind != y.kind || x.kindName != y.kindName || x.apiVersion != y.apiVersion || !(x.meta == y.meta))
            return "document " + std::to_string(i) + " header differs";
        const std::string ex = emitNode(toYamlCpp(x.raw));
        const std::string ey = emitNode(toYamlCpp(y.raw));
        if (ex != ey)
            return "document " + std::to_string(i) + " raw differs:\n" + ex + "---- vs ----\n" + ey;
    }
    return {};
}

/// Rewrites AIGatewayRoute/AIServiceBackend apiVersions (typed and raw) as an export would.
inline void setAiVersion(Config& c, const std::string& version) {
    const std::string full = "aigateway.envoyproxy.io/" + version;
    for (auto& r : c.routes)
        r.apiVersion = full;
    for (auto& s : c.serviceBackends)
        s.apiVersion = full;
    for (auto& d : c.documents)
        if (d.kind == Kind::AIGatewayRoute || d.kind == Kind::AIServiceBackend) {
            d.apiVersion = full;
            YAML::Node raw = toYamlCpp(d.raw);
            raw["apiVersion"] = full;
            d.tree = YamlTree::fromYamlCpp({raw});
            d.raw = d.tree->document(0);
        }
}

/// "" when both trees hold the same nodes (type, scalar, tag, line, column); else where they differ.
inline std::string treeDifference(const RawNode& a, const RawNode& b, const std::string& path) {
    const auto shape = [](const RawNode& n) {
        return std::to_string(n.isNull()) + std::to_string(n.isScalar()) + std::to_string(n.isSequence()) +
               std::to_string(n.isMap()) + " " + std::string(n.tag()) + " " + std::to_string(n.line()) + ":" +
               std::to_string(n.column()) + " " + std::string(n.scalar()) + " #" + std::to_string(n.size());
    };
    if (shape(a) != shape(b))
        return path + ": " + shape(a) + " vs " + shape(b);
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string d = a.isMap() ? treeDifference(a.key(i), b.key(i), path + ".key" + std::to_string(i)) +
                                              treeDifference(a.value(i), b.value(i), path + "." + std::string(a.key(i).scalar()))
                                        : treeDifference(a[i], b[i], path + "[" + std::to_string(i) + "]");
        if (!d.empty())
            return d;
    }
    return {};
}

}  // namespace aigw::config::test
