// Loader: every sample and official example loads; typed fields, durations, KServe models,
// unknown kinds, malformed YAML with file:line:column.
#include <QTest>

#include "config/builtin.h"
#include "config/loader.h"
#include "config_test_util.h"

using namespace aigw;
using namespace aigw::config;
using namespace aigw::config::test;

class TestConfigLoader : public QObject {
    Q_OBJECT

private slots:
    void samplesLoadAsTheyAre_data() {
        QTest::addColumn<QString>("file");
        for (const auto& f : sampleFiles())
            QTest::newRow(f.c_str()) << QString::fromStdString(f);
    }
    void samplesLoadAsTheyAre() {
        // Each file with the ones it refers to (the Gateway lives in gateway-setup.yaml).
        QFETCH(QString, file);
        std::vector<std::string> paths = {samplePath("gateway-setup.yaml")};
        if (file == "provider-fallback-corrected.yaml")
            paths.push_back(samplePath("provider-fallback.yaml"));
        if (file != "gateway-setup.yaml")
            paths.push_back(samplePath(file.toStdString()));
        const LoadResult r = loadFiles(paths);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
    }

    void allSamplesTogether() {
        const LoadResult r = loadFiles(allSamplePaths());
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QCOMPARE(r.config.documents.size(), std::size_t(21));
        QCOMPARE(r.config.routes.size(), std::size_t(2));
        QCOMPARE(r.config.serviceBackends.size(), std::size_t(5));
        QCOMPARE(r.config.backends.size(), std::size_t(5));
        QCOMPARE(r.config.trafficPolicies.size(), std::size_t(2));
        QCOMPARE(r.config.clientPolicies.size(), std::size_t(1));
        QCOMPARE(r.config.inferenceServices.size(), std::size_t(3));

        const AIGatewayRoute& virt = r.config.routes[0];
        QCOMPARE(virt.apiVersion, std::string("aigateway.envoyproxy.io/v1alpha1"));
        QCOMPARE(virt.meta.name, std::string("envoy-ai-gateway-virtualization"));
        QCOMPARE(virt.rules.size(), std::size_t(1));
        QCOMPARE(virt.rules[0].matches[0].headers[0].name, std::string("x-ai-eg-model"));
        QCOMPARE(virt.rules[0].matches[0].headers[0].value, std::string("virtual-qwen-model"));
        QVERIFY(virt.rules[0].matches[0].headers[0].type == HeaderMatchType::Exact);
        QCOMPARE(virt.rules[0].backendRefs.size(), std::size_t(3));
        QCOMPARE(*virt.rules[0].backendRefs[1].weight, std::int64_t(30));
        QCOMPARE(*virt.rules[0].backendRefs[1].modelNameOverride, std::string("qwen2.5:0.5b"));
        QVERIFY(!virt.rules[0].backendRefs[1].priority);  // unset stays unset: export leaves it implicit
        QCOMPARE(virt.rules[0].backendRefs[1].effectivePriority(), std::int64_t(0));

        const AIGatewayRoute& fb = r.config.routes[1];
        QCOMPARE(*fb.rules[0].backendRefs[1].priority, std::int64_t(1));
        QVERIFY(!fb.rules[0].backendRefs[1].weight);

        const BackendTrafficPolicy& tutorial = r.config.trafficPolicies[0];
        QCOMPARE(tutorial.targetRefs[0].kind.value(), std::string("Gateway"));
        QCOMPARE(*tutorial.retry->numRetries, std::int64_t(3));
        QVERIFY(!tutorial.retry->numAttemptsPerPriority);
        QCOMPARE(*tutorial.retry->backoffBase, ms(100));
        QCOMPARE(*tutorial.retry->backoffMax, secs(10));
        QCOMPARE(*tutorial.retry->perTryTimeout, secs(30));
        QCOMPARE(tutorial.retry->triggers, (std::vector<std::string>{"connect-failure", "retriable-status-codes"}));
        QCOMPARE(tutorial.retry->httpStatusCodes, (std::vector<int>{500, 502, 503, 504, 404}));
        QVERIFY(!tutorial.passive);

        const BackendTrafficPolicy& corrected = r.config.trafficPolicies[1];
        QCOMPARE(*corrected.retry->numAttemptsPerPriority, std::int64_t(1));
        QCOMPARE(*corrected.passive->maxEjectionPercent, std::int64_t(50));
        QCOMPARE(*corrected.passive->interval, secs(2));
        QCOMPARE(corrected.passive->effectiveBaseEjectionTime(), secs(30));

        QCOMPARE(*r.config.clientPolicies[0].bufferLimit, std::string("50Mi"));
        QCOMPARE(r.config.clientPolicies[0].effectiveBufferLimitBytes(), std::int64_t(50) * 1024 * 1024);

        const Backend& be = r.config.backends[0];
        QCOMPARE(be.endpoints.size(), std::size_t(1));
        QVERIFY(be.endpoints[0].type == EndpointType::Fqdn);
        QCOMPARE(be.endpoints[0].address, std::string("qwen-primary-predictor-00001.default.svc.cluster.local"));
        QCOMPARE(be.endpoints[0].port, 80);
        const InferenceService* isvc = r.config.findInferenceServiceByHostname(be.endpoints[0].address);
        QVERIFY(isvc);
        QCOMPARE(isvc->model, std::string("qwen2.5:1.5b"));
        QCOMPARE(isvc->image, std::string("ollama/ollama:latest"));
    }

    void officialExamplesLoad_data() {
        QTest::addColumn<QStringList>("files");
        QTest::addColumn<int>("documents");
        QTest::addColumn<int>("unsimulated");
        const int docs[] = {9, 15, 5, 17, 14};
        const int other[] = {2, 6, 0, 6, 10};
        int i = 0;
        for (const auto& [name, files] : officialSets()) {
            QStringList l;
            for (const auto& f : files)
                l << QString::fromStdString(f);
            QTest::newRow(name) << l << docs[i] << other[i];
            ++i;
        }
    }
    void officialExamplesLoad() {
        QFETCH(QStringList, files);
        QFETCH(int, documents);
        QFETCH(int, unsimulated);
        std::vector<std::string> paths;
        for (const auto& f : files)
            paths.push_back(f.toStdString());
        const LoadResult r = loadFiles(paths);
        // Only dangling references are allowed: stream_idle_timeout names AIServiceBackends that
        // live in other files of the upstream example.
        for (const auto& e : r.errors)
            QVERIFY2(e.message.find("is not defined") != std::string::npos, e.toString().c_str());
        QCOMPARE(int(r.config.documents.size()), documents);
        QCOMPARE(int(unsimulatedDocuments(r.config).size()), unsimulated);
    }

    void unknownKindsAreKept() {
        const LoadResult r = loadString("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  k: v\n---\n"
                                         "apiVersion: example.com/v1\nkind: Backend\nmetadata:\n  name: b\n",
                                         "x.yaml");
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QCOMPARE(r.config.documents.size(), std::size_t(2));
        QVERIFY(r.config.documents[0].kind == Kind::Other);
        QVERIFY(r.config.documents[1].kind == Kind::Other);  // Backend of another group
        QVERIFY(r.config.backends.empty());
        QCOMPARE(unsimulatedDocuments(r.config).size(), std::size_t(2));
    }

    void durations_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("millis");  // -1: invalid
        QTest::newRow("100ms") << "100ms" << qint64(100);
        QTest::newRow("10s") << "10s" << qint64(10000);
        QTest::newRow("1m") << "1m" << qint64(60000);
        QTest::newRow("1h30m") << "1h30m" << qint64(5400000);
        QTest::newRow("1h1m1s1ms") << "1h1m1s1ms" << qint64(3661001);
        QTest::newRow("0s") << "0s" << qint64(0);
        QTest::newRow("99999ms") << "99999ms" << qint64(99999);
        QTest::newRow("six digits") << "100000ms" << qint64(-1);
        QTest::newRow("five parts") << "1h1m1s1ms1s" << qint64(-1);
        QTest::newRow("no unit") << "10" << qint64(-1);
        QTest::newRow("fraction") << "1.5s" << qint64(-1);
        QTest::newRow("days") << "1d" << qint64(-1);
        QTest::newRow("empty") << "" << qint64(-1);
        QTest::newRow("space") << "10 s" << qint64(-1);
        QTest::newRow("negative") << "-1s" << qint64(-1);
    }
    void durations() {
        QFETCH(QString, text);
        QFETCH(qint64, millis);
        const auto d = parseDuration(text.toStdString());
        if (millis < 0) {
            QVERIFY(!d);
            return;
        }
        QVERIFY(d);
        QCOMPARE(qint64(std::chrono::duration_cast<std::chrono::milliseconds>(*d).count()), millis);
        // The canonical form reads back to the same value.
        QCOMPARE(*parseDuration(formatDuration(*d)), *d);
    }

    void formatDurations() {
        QCOMPARE(formatDuration(ms(100)), std::string("100ms"));
        QCOMPARE(formatDuration(secs(90)), std::string("1m30s"));
        QCOMPARE(formatDuration(secs(5400)), std::string("1h30m"));
        QCOMPARE(formatDuration(ms(1500)), std::string("1500ms"));
        QCOMPARE(formatDuration(Duration{0}), std::string("0s"));
    }

    void inferenceServiceModel_data() {
        QTest::addColumn<QString>("predictor");
        QTest::addColumn<QString>("model");
        QTest::newRow("ollama pull in args")
            << "containers:\n  - name: c\n    image: ollama/ollama:latest\n    command: [\"/bin/bash\", \"-c\"]\n"
               "    args:\n      - \"ollama serve & sleep 5 && ollama pull qwen2.5:1.5b && wait\"\n"
            << "qwen2.5:1.5b";
        QTest::newRow("model_name flag")
            << "model:\n  modelFormat:\n    name: huggingface\n  args:\n    - --model_name=llama3\n  storageUri: hf://meta/llama\n"
            << "llama3";
        QTest::newRow("served-model-name")
            << "model:\n  modelFormat:\n    name: huggingface\n  args: [\"--served-model-name\", \"qwen\"]\n" << "qwen";
        QTest::newRow("model spec without name: the isvc name")
            << "model:\n  modelFormat:\n    name: huggingface\n  storageUri: hf://Qwen/Qwen2.5-0.5B\n" << "svc";
        QTest::newRow("nothing") << "containers:\n  - name: c\n    image: nginx\n" << "";
    }
    void inferenceServiceModel() {
        QFETCH(QString, predictor);
        QFETCH(QString, model);
        std::string indented;
        std::istringstream in(predictor.toStdString());
        std::string line;
        while (std::getline(in, line))
            indented += "    " + line + "\n";
        const std::string yaml = "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: svc\n"
                                 "  namespace: ns\nspec:\n  predictor:\n" + indented;
        const LoadResult r = loadString(yaml, "isvc.yaml");
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QCOMPARE(r.config.inferenceServices.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(r.config.inferenceServices[0].model), model);
        QCOMPARE(r.config.inferenceServices[0].predictorHostname(), std::string("svc-predictor-00001.ns.svc.cluster.local"));
    }

    void bothAiGatewayVersions() {
        for (const char* v : {"v1alpha1", "v1beta1"}) {
            const std::string yaml = std::string("apiVersion: aigateway.envoyproxy.io/") + v +
                                     "\nkind: AIServiceBackend\nmetadata:\n  name: a\nspec:\n  schema:\n    name: OpenAI\n"
                                     "  backendRef:\n    name: b\n    kind: Backend\n    group: gateway.envoyproxy.io\n---\n"
                                     "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata:\n  name: b\nspec:\n"
                                     "  endpoints:\n    - ip:\n        address: 10.0.0.1\n        port: 8080\n";
            const LoadResult r = loadString(yaml, "v.yaml");
            QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
            QCOMPARE(r.config.serviceBackends.size(), std::size_t(1));
            QVERIFY(r.config.backends[0].endpoints[0].type == EndpointType::Ip);
        }
    }

    void malformedYaml_data() {
        QTest::addColumn<QString>("yaml");
        QTest::addColumn<QString>("expected");  // prefix of the first error
        QTest::newRow("bad indentation") << "a: 1\n  b: 2\n" << "bad.yaml:2:4: malformed YAML";
        QTest::newRow("unclosed flow") << "kind: Gateway\nx: [1, 2\n" << "bad.yaml:3:1: malformed YAML";
        QTest::newRow("tab") << "a:\n\t- b\n" << "bad.yaml:2:2: malformed YAML";
        QTest::newRow("not a mapping") << "- a\n- b\n" << "bad.yaml:1:1: document 1 is not a mapping";
        QTest::newRow("scalar document") << "hello\n" << "bad.yaml:1:1: document 1 is not a mapping";
        QTest::newRow("no kind") << "apiVersion: v1\nmetadata:\n  name: x\n" << "bad.yaml:1:1: kind: is required";
        QTest::newRow("no name") << "apiVersion: v1\nkind: Secret\nmetadata: {}\n" << "bad.yaml:3:1: metadata.name: is required";
        QTest::newRow("deep nesting") << QString(300, '[') << "bad.yaml:1:257: malformed YAML: flow collections nested too deeply";
        QTest::newRow("weight not integer")
            << "apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIGatewayRoute\nmetadata:\n  name: r\nspec:\n  rules:\n"
               "    - backendRefs:\n        - name: x\n          weight: \"5\"\n"
            << "bad.yaml:9:19: spec.rules[0].backendRefs[0].weight: must be an integer";
        QTest::newRow("rules not a list")
            << "apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIGatewayRoute\nmetadata:\n  name: r\nspec:\n  rules: 3\n"
            << "bad.yaml:6:10: spec.rules: must be a list";
        QTest::newRow("bad duration")
            << "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata:\n  name: p\nspec:\n"
               "  retry:\n    perRetry:\n      timeout: 1.5s\n"
            << "bad.yaml:8:16: spec.retry.perRetry.timeout: must be a duration";
        QTest::newRow("header type enum")
            << "apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIGatewayRoute\nmetadata:\n  name: r\nspec:\n  rules:\n"
               "    - matches:\n        - headers:\n            - type: Prefix\n              name: x\n              value: y\n"
            << "bad.yaml:9:21: spec.rules[0].matches[0].headers[0].type: must be one of Exact, RegularExpression";
        QTest::newRow("unserved version")
            << "apiVersion: aigateway.envoyproxy.io/v1\nkind: AIServiceBackend\nmetadata:\n  name: a\nspec: {}\n"
            << "bad.yaml:1:13: apiVersion: aigateway.envoyproxy.io serves v1alpha1 and v1beta1";
    }
    void malformedYaml() {
        QFETCH(QString, yaml);
        QFETCH(QString, expected);
        const LoadResult r = loadString(yaml.toStdString(), "bad.yaml");
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.errors.front().toString()).startsWith(expected), joinErrors(r.errors).c_str());
    }

    void unreadableFile() {
        const LoadResult r = loadFiles({"/nonexistent/x.yaml", std::string(AIGW_SAMPLES_DIR)});
        QCOMPARE(r.errors.size(), std::size_t(2));
        QCOMPARE(r.errors[0].toString(), std::string("/nonexistent/x.yaml: cannot read file"));
        QVERIFY(r.errors[1].toString().find("cannot read file") != std::string::npos);  // a directory
    }

    void emptyInputIsAnEmptyConfig() {
        const LoadResult r = loadString("", "empty.yaml");
        QVERIFY(r.ok());
        QVERIFY(r.config.documents.empty());
        const LoadResult c = loadString("# only a comment\n---\n---\n", "c.yaml");
        QVERIFY(c.ok());
        QVERIFY(c.config.documents.empty());
    }

    void builtinScenarioIsTheTutorialWithTheCorrectedPolicy() {
        const LoadResult r = loadBuiltinScenario();
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QCOMPARE(r.config.routes.size(), std::size_t(2));
        QCOMPARE(r.config.trafficPolicies.size(), std::size_t(1));
        QCOMPARE(r.config.trafficPolicies[0].meta.name, std::string("envoy-ai-gateway-fallback-policy-corrected"));
        for (const auto& d : r.config.documents)
            QCOMPARE(d.meta.effectiveNamespace(), std::string("default"));
        // Locations name the sample file, with the sample's own line numbers.
        const Document* btp = r.config.documentFor(Kind::BackendTrafficPolicy, 0);
        QCOMPARE(btp->where.file, std::string("<builtin>/provider-fallback-corrected.yaml"));
        const Document* fbRoute = r.config.documentFor(Kind::AIGatewayRoute, 1);
        QCOMPARE(fbRoute->where.file, std::string("<builtin>/provider-fallback.yaml"));
        QCOMPARE(fbRoute->locate("spec.rules[0].backendRefs[1].priority").line, 23);
        // The YAML text loads to the same model.
        const LoadResult y = loadString(builtinScenarioYaml(), "builtin.yaml");
        QVERIFY2(y.ok(), joinErrors(y.errors).c_str());
        QCOMPARE(modelDifference(r.config, y.config), std::string());
    }
};

QTEST_GUILESS_MAIN(TestConfigLoader)
#include "test_config_loader.moc"
