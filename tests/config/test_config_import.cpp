// Importing what a cluster prints: `kind: List` (nested too) read item by item, the fields the API
// server adds ignored and dropped on export, the same name in two namespaces kept as two objects
// (and two model servers),
// and a cluster-sized config (bench/config_scale_gen.h) loading and checking.
#include <QTest>

#include "config/doctor.h"
#include "config/exporter.h"
#include "config/index.h"
#include "config/loader.h"
#include "config_scale_gen.h"
#include "config_test_util.h"
#include "proxy/supervisor.h"
#include "routing/engine.h"
#include "routing/engine_impl.h"

using namespace aigw::config;
using namespace aigw::config::test;

namespace {

/// The samples' documents as one `kind: List`, the last two nested in a List of their own.
std::string samplesAsList() {
    std::vector<YAML::Node> docs;
    for (const auto& path : allSamplePaths())
        for (const auto& d : YAML::LoadAll(readFile(path)))
            if (d.IsDefined() && !d.IsNull())
                docs.push_back(d);
    YAML::Node inner(YAML::NodeType::Map);
    inner["apiVersion"] = "v1";
    inner["kind"] = "List";
    inner["items"] = YAML::Node(YAML::NodeType::Sequence);
    YAML::Node outer(YAML::NodeType::Map);
    outer["apiVersion"] = "v1";
    outer["items"] = YAML::Node(YAML::NodeType::Sequence);
    for (std::size_t i = 0; i < docs.size(); ++i)
        (i + 2 < docs.size() ? outer["items"] : inner["items"]).push_back(docs[i]);
    outer["items"].push_back(inner);
    outer["kind"] = "List";
    outer["metadata"]["resourceVersion"] = "";
    return emitNode(outer);
}

aigw::bench::ScaleSpec smallCluster(bool asList, bool serverFields) {
    aigw::bench::ScaleSpec spec;
    spec.routes = 8;
    spec.backendsPerRoute = 3;
    spec.namespaces = 2;
    spec.asList = asList;
    spec.serverFields = serverFields;
    return spec;
}

}  // namespace

class TestConfigImport : public QObject {
    Q_OBJECT

private slots:
    void listEqualsDocumentsOneByOne() {
        const LoadResult one = loadFiles(allSamplePaths());
        QVERIFY2(one.ok(), joinErrors(one.errors).c_str());
        const LoadResult list = loadString(samplesAsList(), "list.yaml");
        QVERIFY2(list.ok(), joinErrors(list.errors).c_str());
        QCOMPARE(list.config.documents.size(), one.config.documents.size());
        QCOMPARE(modelDifference(list.config, one.config), std::string());
        for (const char* version : {"v1beta1", "v1alpha1", "as-read"}) {
            ExportOptions o;
            o.apiVersion = version;
            QCOMPARE(exportYaml(list.config, o), exportYaml(one.config, o));
        }
    }

    void generatedListEqualsGeneratedDocuments() {
        const LoadResult list = loadString(aigw::bench::generateClusterYaml(smallCluster(true, true)), "list.yaml");
        const LoadResult docs = loadString(aigw::bench::generateClusterYaml(smallCluster(false, true)), "docs.yaml");
        QVERIFY2(list.ok(), joinErrors(list.errors).c_str());
        QVERIFY2(docs.ok(), joinErrors(docs.errors).c_str());
        QCOMPARE(list.config.documents.size(), aigw::bench::documentCount(smallCluster(true, true)));
        QCOMPARE(exportYaml(list.config, {}), exportYaml(docs.config, {}));
        ExportOptions keep;
        keep.keepServerFields = true;
        QCOMPARE(exportYaml(list.config, keep), exportYaml(docs.config, keep));
    }

    void listItemErrorsPointAtTheItem() {
        const std::string yaml =
            "apiVersion: v1\n"                                       // 1
            "kind: List\n"                                           // 2
            "items:\n"                                               // 3
            "- apiVersion: gateway.envoyproxy.io/v1alpha1\n"         // 4
            "  kind: Backend\n"                                      // 5
            "  metadata: {name: b, namespace: ns}\n"                 // 6
            "  spec: {endpoints: [{fqdn: {hostname: h, port: 80}}]}\n"  // 7
            "- apiVersion: v1\n"                                     // 8
            "  kind: List\n"                                         // 9
            "  items:\n"                                             // 10
            "  - apiVersion: gateway.envoyproxy.io/v1alpha1\n"       // 11
            "    kind: Backend\n"                                    // 12
            "    metadata:\n"                                        // 13
            "      name: c\n"                                        // 14
            "    spec:\n"                                            // 15
            "      endpoints:\n"                                     // 16
            "      - fqdn:\n"                                        // 17
            "          hostname: h\n"                                // 18
            "          port: eighty\n"                               // 19
            "  - 42\n";                                              // 20
        const LoadResult r = loadString(yaml, "list.yaml");
        QCOMPARE(r.config.documents.size(), std::size_t(2));
        QCOMPARE(r.config.documents[1].where.line, 11);
        QCOMPARE(r.config.documents[1].where.column, 5);
        const std::string errors = joinErrors(r.errors);
        QVERIFY2(errors.find("list.yaml:19:17: spec.endpoints[0].fqdn.port: must be an integer") != std::string::npos,
                 errors.c_str());
        QVERIFY2(errors.find("list.yaml:20:5: items[1] is not a mapping") != std::string::npos, errors.c_str());
    }

    void listWithoutItemsIsEmpty() {
        const LoadResult r = loadString("apiVersion: v1\nkind: List\nitems: []\nmetadata:\n  resourceVersion: \"\"\n", "l.yaml");
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QCOMPARE(r.config.documents.size(), std::size_t(0));
        const LoadResult bad = loadString("apiVersion: v1\nkind: List\nitems: {a: 1}\n", "l.yaml");
        QCOMPARE(bad.errors.size(), std::size_t(1));
        QCOMPARE(bad.errors[0].where.line, 3);
        QCOMPARE(bad.errors[0].where.path, std::string("items"));
    }

    void serverFieldsIgnoredAndDroppedOnExport() {
        const LoadResult cluster = loadString(aigw::bench::generateClusterYaml(smallCluster(true, true)), "c.yaml");
        const LoadResult applied = loadString(aigw::bench::generateClusterYaml(smallCluster(false, false)), "a.yaml");
        QVERIFY2(cluster.ok(), joinErrors(cluster.errors).c_str());
        QVERIFY2(applied.ok(), joinErrors(applied.errors).c_str());
        // The model does not see them...
        QVERIFY(cluster.config.routes == applied.config.routes);
        QVERIFY(cluster.config.backends == applied.config.backends);
        QVERIFY(cluster.config.trafficPolicies == applied.config.trafficPolicies);
        for (const auto& d : cluster.config.documents)
            QVERIFY(!d.meta.annotations.count(server_fields::kLastAppliedAnnotation));
        // ...nor does the doctor...
        QCOMPARE(diagnose(cluster.config).size(), diagnose(applied.config).size());
        // ...and export writes what a user applies.
        const std::string exported = exportYaml(cluster.config, {});
        QCOMPARE(exported, exportYaml(applied.config, {}));
        for (const char* field : {"status:", "uid:", "resourceVersion:", "generation:", "creationTimestamp:",
                                  "managedFields:", "last-applied-configuration"})
            QVERIFY2(exported.find(field) == std::string::npos, field);

        ExportOptions keep;
        keep.keepServerFields = true;
        const std::string kept = exportYaml(cluster.config, keep);
        for (const char* field : {"status:", "uid:", "resourceVersion:", "generation:", "creationTimestamp:",
                                  "managedFields:", "kubectl.kubernetes.io/last-applied-configuration: |"})
            QVERIFY2(kept.find(field) != std::string::npos, field);
        // Kept, they read back as they were.
        const LoadResult again = loadString(kept, "kept.yaml");
        QVERIFY2(again.ok(), joinErrors(again.errors).c_str());
        QCOMPARE(exportYaml(again.config, keep), kept);
    }

    void userAnnotationsStayBesideTheServers() {
        const std::string yaml = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata:\n"
                                 "  annotations:\n    aigw-sim/mode: mock\n"
                                 "    kubectl.kubernetes.io/last-applied-configuration: |\n      {}\n"
                                 "  name: b\n  uid: 1234\nspec:\n  endpoints:\n  - fqdn:\n      hostname: h\n      port: 80\n";
        const LoadResult r = loadString(yaml, "b.yaml");
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QCOMPARE(r.config.backends[0].meta.annotations.size(), std::size_t(1));
        const std::string out = exportYaml(r.config, {});
        QVERIFY2(out.find("aigw-sim/mode: mock") != std::string::npos, out.c_str());
        QVERIFY2(out.find("last-applied") == std::string::npos && out.find("uid") == std::string::npos, out.c_str());
        ExportOptions strip;
        strip.stripSim = true;
        QVERIFY2(exportYaml(r.config, strip).find("annotations") == std::string::npos, exportYaml(r.config, strip).c_str());
    }

    void sameNameInTwoNamespacesStaysTwoObjects() {
        const LoadResult r = loadString(aigw::bench::generateClusterYaml(smallCluster(true, true)), "c.yaml");
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        // llm-route-0 in team-0 and in team-1, each with backends of the same names.
        std::vector<std::string> routes;
        for (const auto& route : r.config.routes)
            if (route.meta.name == "llm-route-0")
                routes.push_back(route.meta.effectiveNamespace());
        QCOMPARE(routes, (std::vector<std::string>{"team-0", "team-1"}));
        const ConfigIndex ix(r.config);
        const Backend* b0 = ix.backend("llm-route-0-backend-0", "team-0");
        const Backend* b1 = ix.backend("llm-route-0-backend-0", "team-1");
        QVERIFY(b0 && b1 && b0 != b1);
        QVERIFY(b0->endpoints[0].address != b1->endpoints[0].address);
        QVERIFY(!ix.backend("llm-route-0-backend-0", "team-2"));
        // The gateway keys routes by namespace/name: both are accepted, under two keys.
        const auto statuses = aigw::routing::routeStatuses(r.config);
        QCOMPARE(statuses.size(), std::size_t(8));
        std::set<std::string> keys;
        for (const auto& st : statuses) {
            QVERIFY2(st.accepted, st.reason.c_str());
            keys.insert(st.route);
        }
        QCOMPARE(keys.size(), std::size_t(8));
        QVERIFY(keys.count("team-0/llm-route-0") && keys.count("team-1/llm-route-0"));
        // Each route's cluster holds its own namespace's backends.
        const auto snapshot = aigw::routing::Snapshot::build(std::make_shared<const Config>(r.config), nullptr);
        for (const auto& c : snapshot->clusters) {
            const std::string ns = c.route.substr(0, c.route.find('/'));
            QCOMPARE(c.hosts.size(), std::size_t(3));
            for (const auto& h : c.hosts)
                QVERIFY2(h.address.find("." + ns + ".svc") != std::string::npos, h.address.c_str());
        }
        // Export keeps both, in input order.
        const std::string out = exportYaml(r.config, {});
        QVERIFY(out.find("name: llm-route-0\n  namespace: team-0\n") != std::string::npos);
        QVERIFY(out.find("name: llm-route-0\n  namespace: team-1\n") != std::string::npos);
    }

    // The model servers too: a Backend (or an InferenceService) named alike in two namespaces runs
    // as two servers, named namespace/name outside the default namespace; the engine's hosts say
    // which one they reach.
    void sameNameInTwoNamespacesIsTwoServers() {
        const LoadResult r = loadString(aigw::bench::generateClusterYaml(smallCluster(true, false)), "c.yaml");
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        const ConfigIndex ix(r.config);
        const Backend* b0 = ix.backend("llm-route-0-backend-0", "team-0");
        const Backend* b1 = ix.backend("llm-route-0-backend-0", "team-1");
        QVERIFY(b0 && b1);
        QCOMPARE(aigw::routing::serverNameFor(r.config, *b0), std::string("team-0/llm-route-0-backend-0"));
        QCOMPARE(aigw::routing::serverNameFor(ix, *b1), std::string("team-1/llm-route-0-backend-0"));

        const auto servers = aigw::proxy::planServersOf(r.config);
        QCOMPARE(servers.size(), r.config.backends.size());  // 24 Backends, 24 hostnames, 24 servers
        std::set<QString> names;
        for (const auto& s : servers) {
            QCOMPARE(s.backends.size(), qsizetype(1));
            QCOMPARE(s.hostnames.size(), qsizetype(1));
            // team-1/llm-route-0-backend-0 serves team-1's Backend of that name, at team-1's hostname.
            const QString ns = s.name.section('/', 0, 0);
            QVERIFY2(s.backends[0] == s.name, qPrintable(s.name + " <- " + s.backends[0]));
            QVERIFY2(s.hostnames[0].contains("." + ns + ".svc"), qPrintable(s.hostnames[0]));
            names.insert(s.name);
        }
        QCOMPARE(names.size(), servers.size());

        const auto snapshot = aigw::routing::Snapshot::build(std::make_shared<const Config>(r.config), nullptr);
        for (const auto& c : snapshot->clusters)
            for (const auto& h : c.hosts) {
                const std::string ns = c.route.substr(0, c.route.find('/'));
                QCOMPARE(h.server, ns + "/" + h.backend);
            }

        // InferenceServices: `qwen` in two namespaces is two servers, each serving its own model; in
        // the default namespace a server keeps its plain name.
        std::string yaml;
        for (const std::string ns : {"a", "b", "default"}) {
            yaml += "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: qwen, namespace: " + ns +
                    "}\nspec:\n  predictor:\n    containers:\n    - image: ollama/ollama\n      args: [\"ollama pull qwen-" + ns +
                    "\"]\n---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {name: be, namespace: " + ns +
                    "}\nspec:\n  endpoints:\n  - fqdn: {hostname: qwen-predictor-00001." + ns + ".svc.cluster.local, port: 80}\n---\n";
        }
        const LoadResult k = loadString(yaml, "k.yaml");
        QVERIFY2(k.ok(), joinErrors(k.errors).c_str());
        std::map<QString, QStringList> models;
        for (const auto& s : aigw::proxy::planServersOf(k.config))
            models[s.name] = s.models;
        QCOMPARE(models.size(), std::size_t(3));
        QCOMPARE(models["a/qwen"], QStringList{"qwen-a"});
        QCOMPARE(models["b/qwen"], QStringList{"qwen-b"});
        QCOMPARE(models["qwen"], QStringList{"qwen-default"});
    }

    // libyaml reads the YAML (YamlTree::parseFast); it must read it as yaml-cpp did: the same nodes,
    // scalars, tags (quoted or plain) and marks, for every sample, the cluster-sized input and the
    // corner cases below. What it leaves to yaml-cpp (aliases, explicit tags) still loads.
    void fastParserReadsAsYamlCpp() {
        std::vector<std::string> texts;
        for (const auto& path : allSamplePaths())
            texts.push_back(readFile(path));
        texts.push_back(aigw::bench::generateClusterYaml(smallCluster(true, true)));
        texts.push_back(aigw::bench::generateClusterYaml(smallCluster(false, true)));
        texts.push_back("a: ~\nb: null\nc:\nd: ''\ne: \"null\"\nf: 'x'\ng: |\n  two\n  lines\nh: >-\n  folded\n  text\n"
                        "i: [1, \"2\", {j: k}]\nk: {}\nl: []\n? m\n: n\n\"o p\": 'q''r'\ns: t # comment\n");
        texts.push_back("---\n---\nx: 1\n...\n---\n# only a comment\n");
        texts.push_back("items:\n- \n- a\n-\nx:\n  y:\n    z:\n---\nlast:\n");
        texts.push_back("k: # comment\n\n  # more\nl: {a: , b: [c, d]}\n\"cl\xc3\xa9\": v\nm: {\"\xc3\xa9\xc3\xa9\": x, y: z}\n");
        texts.push_back("%YAML 1.2\n---\nlist:\n- a\n-\n  - b\n- c: d\n  e: f\nmultiline plain: one\n  two\n");
        // A kind: List in kubectl's shape parsed in two halves (split from 0 bytes: always), one whose
        // cut would land in a quoted scalar (parsed whole instead), comments and a trailing `kind`.
        texts.push_back("apiVersion: v1\nitems:\n- a: \"one\n- two\"\n- b\n# c\n- c: {d: e}\n\n- f\nkind: List\n");
        texts.push_back("apiVersion: v1\nkind: List\nitems:\n- x: 1\n  y: |\n    z\n- \"w\"\n-\n  - v\n");
        for (std::size_t t = 0; t < texts.size(); ++t) {
            const auto slow = YamlTree::fromYamlCpp(YAML::LoadAll(texts[t]));
            for (const std::size_t splitFrom : {YamlTree::kSplitFrom, std::size_t(0)}) {
                const std::string name = "text " + std::to_string(t) + " split from " + std::to_string(splitFrom);
                const auto fast = YamlTree::parseFast(texts[t], splitFrom);
                QVERIFY2(fast, name.c_str());
                QCOMPARE(fast->documentCount(), slow->documentCount());
                for (std::size_t d = 0; d < fast->documentCount(); ++d) {
                    const std::string diff = treeDifference(fast->document(d), slow->document(d), name);
                    QVERIFY2(diff.empty(), diff.c_str());
                }
            }
        }
        // Left to yaml-cpp: aliases, explicit tags, YAML 1.1 line breaks, malformed text.
        const std::string backend = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {name: b}\n";
        const std::string aliased = backend + "spec:\n  endpoints:\n  - &ep {fqdn: {hostname: h, port: 80}}\n  - *ep\n";
        const std::string tagged = backend + "spec:\n  endpoints:\n  - fqdn: {hostname: !!str h, port: 80}\n";
        for (const auto& text : {aliased, tagged, std::string("a: \"x\xe2\x80\xa8y\"\n"), std::string("a: [b\n")})
            QVERIFY(!YamlTree::parseFast(text));
        const LoadResult a = loadString(aliased, "a.yaml");
        QVERIFY2(a.ok(), joinErrors(a.errors).c_str());
        QCOMPARE(a.config.backends[0].endpoints.size(), std::size_t(2));
        QCOMPARE(a.config.backends[0].endpoints[1].address, std::string("h"));
        const LoadResult g = loadString(tagged, "g.yaml");
        QVERIFY2(g.ok(), joinErrors(g.errors).c_str());
        QCOMPARE(g.config.backends[0].endpoints[0].address, std::string("h"));
        QCOMPARE(loadString("a: [b\n", "bad.yaml").errors.size(), std::size_t(1));
    }

    void duplicateAcrossFilesIsStillAnError() {
        const std::string doc = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {name: b, namespace: x}\n"
                                "spec: {endpoints: [{fqdn: {hostname: h, port: 80}}]}\n";
        const LoadResult r = loadSources({Source{"one.yaml", doc}, Source{"two.yaml", "apiVersion: v1\nkind: List\nitems:\n- " +
                                                                                     std::string("apiVersion: gateway.envoyproxy.io/v1alpha1\n  kind: Backend\n  metadata: {name: b, namespace: x}\n  spec: {endpoints: [{fqdn: {hostname: h, port: 80}}]}\n")}});
        QCOMPARE(r.errors.size(), std::size_t(1));
        QVERIFY2(r.errors[0].toString().find("two.yaml:6:") == 0, r.errors[0].toString().c_str());
        QVERIFY(r.errors[0].message.find("duplicate Backend x/b (first defined at one.yaml:1)") == 0);
    }

    // No timing assertion: bench/config_scale.sh measures. This checks a cluster-sized config
    // (3,998 objects, 4 namespaces, server fields, one kind: List) loads, validates and diagnoses.
    void clusterSizedConfigLoadsAndChecks() {
        aigw::bench::ScaleSpec spec;
        spec.routes = 190;
        const LoadResult r = loadString(aigw::bench::generateClusterYaml(spec), "cluster.yaml");
        QVERIFY2(r.ok(), joinErrors(r.errors).substr(0, 2000).c_str());
        QCOMPARE(r.config.documents.size(), std::size_t(3998));
        QCOMPARE(r.config.routes.size(), std::size_t(190));
        QCOMPARE(r.config.backends.size(), std::size_t(1900));
        const auto findings = diagnose(r.config);
        // Each route: one stream finding (only the per-try timeout guards it); each policy: the
        // Gateway-wide target info.
        std::size_t streams = 0;
        for (const auto& f : findings)
            streams += f.id == finding_id::kPerTryTimeoutMissesStreams ? 1 : 0;
        QCOMPARE(streams, std::size_t(190));
        for (const auto& st : aigw::routing::routeStatuses(r.config))
            QVERIFY(st.accepted);
    }
};

QTEST_GUILESS_MAIN(TestConfigImport)
#include "test_config_import.moc"
