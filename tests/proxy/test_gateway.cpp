// The gateway end to end on loopback: GatewayService with real aigw-mock-backend children, driven by
// an HTTP client like curl or an OpenAI SDK would. Ports are 0; every wait is bounded.
#include <QtTest>

#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "http/http_client.h"
#include "proxy/gateway_service.h"
#include "start_service.h"
#include "routing/records.h"

using namespace aigw;
using testing::soloYaml;
using Json = nlohmann::json;
using testing::kHungMs;

namespace {

QString sourceDir() { return qEnvironmentVariable("AIGW_SOURCE_DIR", QStringLiteral(AIGW_TEST_SOURCE_DIR)); }

config::Config loadSamples(const QStringList& names) {
    std::vector<std::string> paths;
    for (const auto& n : names)
        paths.push_back((sourceDir() + "/samples/" + n).toStdString());
    auto r = config::loadFiles(paths);
    for (const auto& e : r.errors)
        qWarning("%s", e.toString().c_str());
    return r.config;
}

config::Config loadYaml(const std::string& yaml) {
    auto r = config::loadString(yaml, "test.yaml");
    for (const auto& e : r.errors)
        qWarning("%s", e.toString().c_str());
    return r.config;
}

using testing::Reply;

}  // namespace

class TestGateway : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<proxy::GatewayService> m_service;
    std::unique_ptr<http::HttpClient> m_client;
    QString m_host;
    quint16 m_proxyPort = 0;
    quint16 m_adminPort = 0;

    bool startService(const config::Config& cfg, proxy::GatewayService::Options opts = {});

    bool waitServers(proxy::ServerState want, const QString& only = {});

    Reply call(quint16 port, const std::string& method, const std::string& target, const QByteArray& body = {},
               http::Headers headers = {}, int timeoutMs = 15000) {
        http::ClientRequest rq;
        rq.method = method;
        rq.host = m_host.toStdString();
        rq.port = port;
        rq.target = target;
        rq.headers = std::move(headers);
        // The admin API wants it on every change, bodiless ones too (README "Security").
        if ((!body.isEmpty() || method != "GET") && !rq.headers.has("content-type"))
            rq.headers.add("content-type", "application/json");
        rq.body = body;
        rq.tryTimeoutMs = timeoutMs;
        return testing::fetch(*m_client, std::move(rq));
    }
    Reply chat(const std::string& model, bool stream = false, const std::string& extra = "");
    Reply admin(const std::string& method, const std::string& target, const QByteArray& body = {});
    QString serverUrl(const QString& name);
    Json mockStats(const QString& name);

private slots:
    void cleanup();

    // Ticket 1: weights 50/30/20 with per-backend modelNameOverride.
    void ticket1Split();

    // Ticket 2 with the corrected policy: stopping the primary costs no client error.
    void ticket2Corrected();

    // Ticket 2 as written: no numAttemptsPerPriority, so stopping the primary gives 503s.
    void ticket2AsWritten();

    void streaming();

    void clientDisconnectMidStream();

    void badInputs();

    void liveEditsAndConfig();

    void debugHeadersOff();

    void refusesRemoteWithoutFlag();

    void faults_data();
    void faults();

    void errorRateMixes();

    // Fidelity II (reference 3.5) on the live gateway.
    void streamOutlivesPerTryTimeout();
    void blackHoledPrimaryFailsOverAfterConnectTimeout();
    void deleteAsWrittenHasTwoPhases();
    void routeAcceptanceOnReload();
};

#ifndef Q_MOC_RUN  // moc mis-tokenises some raw strings; it only needs the declarations above
bool TestGateway::startService(const config::Config& cfg, proxy::GatewayService::Options opts) {
    m_service = std::make_unique<proxy::GatewayService>();
    m_client = std::make_unique<http::HttpClient>();
    opts.proxyPort = 0;
    opts.adminPort = 0;
    if (opts.mockBackendArgs.isEmpty())
        opts.mockBackendArgs = {"--first-token-ms", "0", "--tokens-per-second", "0"};
    testing::ServiceUrls urls;
    if (!testing::startService(*m_service, cfg, opts, &urls))
        return false;
    const QUrl& p = urls.proxy;
    const QUrl& a = urls.admin;
    m_host = p.host();
    m_proxyPort = static_cast<quint16>(p.port());
    m_adminPort = static_cast<quint16>(a.port());
    return waitServers(proxy::ServerState::Ready);
}

bool TestGateway::waitServers(proxy::ServerState want, const QString& only) {
    if (testing::waitServers(*m_service, want, only))
        return true;
    for (const auto& s : m_service->servers())
        qWarning() << s.name << proxy::nameOf(s.state) << s.error;
    return false;
}

Reply TestGateway::chat(const std::string& model, bool stream, const std::string& extra) {
    const std::string body = R"({"model":")" + model + R"(","messages":[{"role":"user","content":"hello"}])" +
                             (stream ? R"(,"stream":true)" : "") + extra + "}";
    return call(m_proxyPort, "POST", "/v1/chat/completions", QByteArray::fromStdString(body));
}

Reply TestGateway::admin(const std::string& method, const std::string& target, const QByteArray& body) {
    return call(m_adminPort, method, target, body);
}

QString TestGateway::serverUrl(const QString& name) {
    for (const auto& s : m_service->servers())
        if (s.name == name)
            return s.url;
    return {};
}

Json TestGateway::mockStats(const QString& name) {
    const QUrl u(serverUrl(name));
    auto r = call(static_cast<quint16>(u.port()), "GET", "/_mock/stats");
    return r.json();
}

void TestGateway::cleanup() {
    m_client.reset();
    m_service.reset();
}

void TestGateway::ticket1Split() {
    auto cfg = loadSamples({"gateway-setup.yaml", "primary-model.yaml", "secondary-model.yaml", "tertiary-model.yaml",
                            "model-virtualization.yaml"});
    QVERIFY(startService(cfg));
    std::map<std::string, int> byBackend;
    std::map<std::string, std::string> modelOf;
    int outstanding = 0, errors = 0;
    const int total = 1000;
    int sent = 0;
    auto sendOne = [&](auto& self) -> void {
        if (sent >= total)
            return;
        ++sent;
        ++outstanding;
        http::ClientRequest rq;
        rq.method = "POST";
        rq.host = m_host.toStdString();
        rq.port = m_proxyPort;
        rq.target = "/v1/chat/completions";
        rq.headers.add("content-type", "application/json");
        rq.body = R"({"model":"virtual-qwen-model","messages":[{"role":"user","content":"hi"}]})";
        rq.tryTimeoutMs = 10000;
        m_client->fetch(rq, [&, self](http::FetchOutcome o) {
            --outstanding;
            auto* r = std::get_if<http::FullResponse>(&o);
            if (!r || r->head.status != 200) {
                ++errors;
            } else {
                const std::string backend = r->head.headers.value("x-aigw-backend");
                ++byBackend[backend];
                modelOf[backend] = Json::parse(r->body.toStdString())["model"].get<std::string>();
            }
            self(self);
        });
    };
    for (int i = 0; i < 16; ++i)
        sendOne(sendOne);
    QTRY_VERIFY_WITH_TIMEOUT(sent == total && outstanding == 0, 60000);
    QCOMPARE(errors, 0);
    const auto share = [&](const char* b) { return 100.0 * byBackend[b] / total; };
    qInfo("split: primary %.1f%% secondary %.1f%% tertiary %.1f%%", share("envoy-ai-gateway-qwen-primary"),
          share("envoy-ai-gateway-qwen-secondary"), share("envoy-ai-gateway-qwen-tertiary"));
    QVERIFY(std::abs(share("envoy-ai-gateway-qwen-primary") - 50) <= 3);
    QVERIFY(std::abs(share("envoy-ai-gateway-qwen-secondary") - 30) <= 3);
    QVERIFY(std::abs(share("envoy-ai-gateway-qwen-tertiary") - 20) <= 3);
    // The client sees the upstream's model (the override), not the virtual name.
    QCOMPARE(modelOf["envoy-ai-gateway-qwen-primary"], std::string("qwen2.5:1.5b"));
    QCOMPARE(modelOf["envoy-ai-gateway-qwen-secondary"], std::string("qwen2.5:0.5b"));
    QCOMPARE(modelOf["envoy-ai-gateway-qwen-tertiary"], std::string("qwen2.5:0.5b"));
    // Each server received its own override and nothing else.
    const Json p = mockStats("qwen-primary"), s = mockStats("qwen-secondary"), t = mockStats("qwen-tertiary");
    QCOMPARE(p["byModel"].size(), 1u);
    QCOMPARE(p["byModel"]["qwen2.5:1.5b"].get<int>(), byBackend["envoy-ai-gateway-qwen-primary"]);
    QCOMPARE(s["byModel"]["qwen2.5:0.5b"].get<int>(), byBackend["envoy-ai-gateway-qwen-secondary"]);
    QCOMPARE(t["byModel"]["qwen2.5:0.5b"].get<int>(), byBackend["envoy-ai-gateway-qwen-tertiary"]);
    QCOMPARE(s["byModel"].size(), 1u);
    QCOMPARE(t["byModel"].size(), 1u);
    // Metrics saw them.
    const auto prom = admin("GET", "/stats/prometheus");
    QCOMPARE(prom.status, 200);
    QVERIFY(prom.body.contains("aigw_route_requests_total{route=\"default/envoy-ai-gateway-virtualization\"} 1000"));
    QVERIFY(prom.body.contains("gen_ai_client_token_usage_bucket"));
    QVERIFY(prom.body.contains("gen_ai_original_model=\"virtual-qwen-model\""));
    QVERIFY(prom.body.contains("gen_ai_request_model=\"qwen2.5:1.5b\""));
}

void TestGateway::ticket2Corrected() {
    auto cfg = loadSamples({"gateway-setup.yaml", "primary-model.yaml", "secondary-model.yaml", "provider-fallback.yaml",
                            "provider-fallback-corrected.yaml"});
    std::erase_if(cfg.trafficPolicies, [](const config::BackendTrafficPolicy& p) {
        return p.meta.name == "envoy-ai-gateway-fallback-policy";
    });
    QCOMPARE(cfg.trafficPolicies.size(), 1u);
    // Shorter ejection than the sample's 30 s so that "traffic returns" fits a bounded test.
    cfg.trafficPolicies[0].passive->baseEjectionTime = ms(1000);
    cfg.trafficPolicies[0].passive->interval = ms(200);
    QVERIFY(startService(cfg));
    auto r = chat("qwen-with-fallback");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.headers.value("x-aigw-backend"), std::string("envoy-ai-gateway-qwen-primary-fb"));

    QCOMPARE(admin("POST", "/servers/qwen-primary/stop").status, 200);
    for (int i = 0; i < 30; ++i) {
        r = chat("qwen-with-fallback");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.headers.value("x-aigw-backend"), std::string("envoy-ai-gateway-qwen-secondary-fb"));
        QCOMPARE(QString::fromStdString(r.json()["model"].get<std::string>()), QString("qwen2.5:0.5b"));
    }
    QCOMPARE(admin("POST", "/servers/qwen-primary/start").status, 200);
    QVERIFY(waitServers(proxy::ServerState::Ready, "qwen-primary"));
    bool allOk = true;
    const bool back = QTest::qWaitFor(
        [&] {
            r = chat("qwen-with-fallback");
            allOk = allOk && r.status == 200;
            return r.headers.value("x-aigw-backend") == "envoy-ai-gateway-qwen-primary-fb";
        },
        10000);
    QVERIFY2(allOk, "a request failed while the primary came back");
    QVERIFY2(back, "traffic never returned to the primary");
}

void TestGateway::ticket2AsWritten() {
    auto cfg = loadSamples({"gateway-setup.yaml", "primary-model.yaml", "secondary-model.yaml", "provider-fallback.yaml"});
    proxy::GatewayService::Options opts;
    opts.dnsRefreshDelay = std::chrono::milliseconds(0);  // phase two at once (deleteAsWrittenHasTwoPhases has both)
    QVERIFY(startService(cfg, opts));
    QCOMPARE(chat("qwen-with-fallback").status, 200);
    QCOMPARE(admin("POST", "/servers/qwen-primary/stop").status, 200);
    for (int i = 0; i < 5; ++i) {
        auto r = chat("qwen-with-fallback");
        QCOMPARE(r.status, 503);
        const Json j = r.json();
        QCOMPARE(QString::fromStdString(j["type"]), QString("error"));
        QCOMPARE(QString::fromStdString(j["error"]["type"]), QString("OpenAIBackendError"));
        QCOMPARE(QString::fromStdString(j["error"]["code"]), QString("503"));
        QVERIFY2(QString::fromStdString(j["error"]["message"])
                     .startsWith("upstream connect error or disconnect/reset before headers."),
                 r.body.constData());
        QCOMPARE(r.headers.value("x-aigw-attempts"), std::string("4"));
    }
    // Deleted (the name left DNS, here at once) is not the same as stopped (refused): priority 0 has
    // no host, so priority 1 answers even with this policy.
    QCOMPARE(admin("POST", "/servers/qwen-primary/delete").status, 200);
    auto r = chat("qwen-with-fallback");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.headers.value("x-aigw-backend"), std::string("envoy-ai-gateway-qwen-secondary-fb"));
    const auto servers = admin("GET", "/servers").json();
    bool sawDeleted = false;
    for (const auto& s : servers)
        sawDeleted |= s["name"] == "qwen-primary" && s["state"] == "deleted";
    QVERIFY(sawDeleted);
}

void TestGateway::streaming() {
    proxy::GatewayService::Options opts;
    opts.mockBackendArgs = {"--first-token-ms", "0", "--tokens-per-second", "40"};
    QVERIFY(startService(loadYaml(soloYaml()), opts));
    http::ClientRequest rq;
    rq.method = "POST";
    rq.host = m_host.toStdString();
    rq.port = m_proxyPort;
    rq.target = "/v1/chat/completions";
    rq.headers.add("content-type", "application/json");
    rq.body = R"({"model":"solo-model","stream":true,"max_tokens":12,"messages":[{"role":"user","content":"count"}]})";
    QByteArray all;
    int status = 0;
    bool done = false, failed = false;
    http::ResponseCallbacks cb;
    cb.onHeaders = [&](const http::ResponseHead& h) {
        status = h.status;
        QCOMPARE(QString::fromStdString(h.headers.value("content-type")).left(17), QString("text/event-stream"));
    };
    cb.onData = [&](const QByteArray& d) { all += d; };
    cb.onComplete = [&] { done = true; };
    cb.onError = [&](const http::ClientError&) { failed = done = true; };
    m_client->send(rq, cb);
    QTRY_VERIFY_WITH_TIMEOUT(done, kHungMs);
    QVERIFY(!failed);
    QCOMPARE(status, 200);
    QVERIFY(all.contains("data: [DONE]"));
    QVERIFY(all.contains("\"model\":\"solo:1b\""));

    // Chunks are forwarded as they come, not buffered until the end: a stream that stalls for good
    // after three tokens still gets those three tokens to the client.
    QCOMPARE(admin("POST", "/servers/solo/fault", R"({"stallAfterTokens":3})").status, 200);
    QByteArray partial;
    http::ResponseCallbacks stalled;
    stalled.onData = [&](const QByteArray& d) { partial += d; };
    auto handle = m_client->send(rq, stalled);
    QTRY_VERIFY_WITH_TIMEOUT(partial.count("data: {") >= 3, kHungMs);
    QVERIFY(!partial.contains("[DONE]"));
    handle.cancel();
}

void TestGateway::clientDisconnectMidStream() {
    proxy::GatewayService::Options opts;
    opts.mockBackendArgs = {"--first-token-ms", "0", "--tokens-per-second", "20"};
    QVERIFY(startService(loadYaml(soloYaml()), opts));
    auto client = std::make_unique<http::HttpClient>();
    http::ClientRequest rq;
    rq.method = "POST";
    rq.host = m_host.toStdString();
    rq.port = m_proxyPort;
    rq.target = "/v1/chat/completions";
    rq.headers.add("content-type", "application/json");
    rq.body = R"({"model":"solo-model","stream":true,"max_tokens":200,"messages":[{"role":"user","content":"long"}]})";
    int pieces = 0;
    http::ResponseCallbacks cb;
    cb.onData = [&](const QByteArray&) { ++pieces; };
    auto handle = client->send(rq, cb);
    QTRY_VERIFY_WITH_TIMEOUT(pieces >= 2, 30000);
    handle.cancel();  // closes the connection mid-stream
    std::vector<routing::RequestRecord> records;
    QTRY_VERIFY_WITH_TIMEOUT((m_service->drain(&records, nullptr, nullptr), !records.empty()), 30000);
    QCOMPARE(records.back().finalStatus, 499);
    QTRY_COMPARE_WITH_TIMEOUT(m_service->stats().inFlight, 0, 30000);
    // The upstream stream was cancelled too: the mock records the client going away.
    QTRY_VERIFY_WITH_TIMEOUT(mockStats("solo").dump().find("client_gone") != std::string::npos, 30000);
    // And the gateway still serves.
    QCOMPARE(chat("solo-model").status, 200);
}

void TestGateway::badInputs() {
    QVERIFY(startService(loadYaml(soloYaml())));
    auto r = call(m_proxyPort, "POST", "/v1/unknown", "{}");
    QCOMPARE(r.status, 404);
    QCOMPARE(r.body, QByteArray("unsupported path: /v1/unknown"));

    r = call(m_proxyPort, "POST", "/v1/chat/completions", "{\"model\": ");
    QCOMPARE(r.status, 400);
    Json j = r.json();
    QCOMPARE(QString::fromStdString(j["type"]), QString("error"));
    QCOMPARE(QString::fromStdString(j["error"]["type"]), QString("BadRequest"));
    QCOMPARE(QString::fromStdString(j["error"]["code"]), QString("400"));
    QVERIFY(QString::fromStdString(j["error"]["message"]).startsWith("malformed request: failed to parse JSON for /v1/chat/completions: "));

    r = call(m_proxyPort, "POST", "/v1/embeddings", R"({"model":42,"input":"x"})");
    QCOMPARE(r.status, 400);

    r = chat("no-such-model");
    QCOMPARE(r.status, 404);
    QCOMPARE(r.body, QByteArray("No matching route found. It is likely because the model specified in your request is "
                                "not configured in the Gateway."));
    r = call(m_proxyPort, "POST", "/v1/chat/completions", R"({"messages":[]})");
    QCOMPARE(r.status, 404);

    // No ClientTrafficPolicy: EG's 32 KiB bufferLimit.
    QByteArray big = R"({"model":"solo-model","messages":[{"role":"user","content":")" + QByteArray(40000, 'a') + "\"}]}";
    r = call(m_proxyPort, "POST", "/v1/chat/completions", big);
    QCOMPARE(r.status, 413);
    QByteArray fits = R"({"model":"solo-model","messages":[{"role":"user","content":")" + QByteArray(30000, 'a') + "\"}]}";
    QCOMPARE(call(m_proxyPort, "POST", "/v1/chat/completions", fits).status, 200);

    r = call(m_proxyPort, "GET", "/v1/models");
    QCOMPARE(r.status, 200);
    j = r.json();
    QCOMPARE(QString::fromStdString(j["object"]), QString("list"));
    QCOMPARE(j["data"].size(), 1u);
    QCOMPARE(QString::fromStdString(j["data"][0]["id"]), QString("solo-model"));
    QCOMPARE(QString::fromStdString(j["data"][0]["owned_by"]), QString("Envoy AI Gateway"));

    // Completions and embeddings go through too, with the override.
    r = call(m_proxyPort, "POST", "/v1/completions", R"({"model":"solo-model","prompt":"hi"})");
    QCOMPARE(r.status, 200);
    r = call(m_proxyPort, "POST", "/v1/embeddings", R"({"model":"solo-model","input":"hi"})");
    QCOMPARE(r.status, 200);

    // Admin API bad input.
    QCOMPARE(admin("POST", "/servers/nope/stop").status, 404);
    QCOMPARE(admin("POST", "/servers/solo/fault", "not json").status, 400);
    QCOMPARE(admin("POST", "/servers/solo/fault", R"({"errorStatus":"x"})").status, 400);
    QCOMPARE(admin("POST", "/config", "kind: [").status, 400);
    QCOMPARE(admin("GET", "/requests?limit=-1").status, 400);
    QCOMPARE(admin("POST", "/backend_refs", R"({"route":"solo-route","rule":5,"ref":0,"weight":1})").status, 400);
    QCOMPARE(admin("GET", "/nope").status, 404);
    QCOMPARE(admin("GET", "/ready").status, 200);
    QVERIFY(admin("GET", "/config_dump").body.contains("solo-route"));
    QCOMPARE(admin("GET", "/requests?limit=3").json().size(), 3u);
}

void TestGateway::liveEditsAndConfig() {
    QVERIFY(startService(loadYaml(soloYaml())));
    QCOMPARE(admin("POST", "/backend_refs", R"({"route":"solo-route","rule":0,"ref":0,"modelNameOverride":"other:7b"})").status, 200);
    auto r = chat("solo-model");
    // The mock does not serve other:7b: Ollama's 404 passes through unchanged.
    QCOMPARE(r.status, 404);
    QVERIFY2(r.body.contains("not found"), r.body.constData());
    // GET /config_dump is the live config, edits included, and loads back as the same config.
    QCOMPARE(admin("POST", "/backend_refs", R"({"route":"solo-route","rule":0,"ref":0,"weight":7,"priority":0})").status, 200);
    const auto dump = admin("GET", "/config_dump");
    QCOMPARE(dump.status, 200);
    {
        auto reloaded = config::loadString(dump.body.toStdString(), "config_dump.yaml");
        QVERIFY2(reloaded.errors.empty(), dump.body.constData());
        QCOMPARE(reloaded.config.routes.size(), 1u);
        const auto& ref = reloaded.config.routes[0].rules.at(0).backendRefs.at(0);
        QCOMPARE(ref.modelNameOverride.value_or(""), std::string("other:7b"));
        QCOMPARE(ref.effectiveWeight(), 7);
    }
    QCOMPARE(admin("POST", "/backend_refs", R"({"route":"default/solo-route","rule":0,"ref":0,"modelNameOverride":"solo:1b"})").status, 200);
    r = chat("solo-model");
    QCOMPARE(r.status, 200);
    QCOMPARE(QString::fromStdString(r.json()["model"]), QString("solo:1b"));
    // Without an override the virtual name goes upstream unchanged (and this server does not serve it).
    QCOMPARE(admin("POST", "/backend_refs", R"({"route":"solo-route","rule":0,"ref":0,"modelNameOverride":null})").status, 200);
    r = chat("solo-model");
    QCOMPARE(r.status, 404);
    QVERIFY2(r.body.contains("solo-model"), r.body.constData());
    QCOMPARE(admin("POST", "/backend_refs", R"({"route":"solo-route","rule":0,"ref":0,"modelNameOverride":"solo:1b"})").status, 200);
    // POST /config replaces the snapshot.
    std::string yaml = soloYaml();
    yaml.replace(yaml.find("value: solo-model"), 17, "value: renamed-model");
    QCOMPARE(admin("POST", "/config", QByteArray::fromStdString(yaml)).status, 200);
    QCOMPARE(chat("renamed-model").status, 200);
    QCOMPARE(chat("solo-model").status, 404);
}

void TestGateway::debugHeadersOff() {
    proxy::GatewayService::Options opts;
    opts.debugHeaders = false;
    QVERIFY(startService(loadYaml(soloYaml()), opts));
    auto r = chat("solo-model");
    QCOMPARE(r.status, 200);
    QVERIFY(!r.headers.has("x-aigw-backend"));
    QVERIFY(!r.headers.has("x-aigw-attempts"));
}

void TestGateway::refusesRemoteWithoutFlag() {
    m_service = std::make_unique<proxy::GatewayService>();
    QString error;
    connect(m_service.get(), &proxy::GatewayService::failed, this, [&](const QString& e) { error = e; });
    proxy::GatewayService::Options opts;
    opts.listenHost = "0.0.0.0";
    opts.proxyPort = 0;
    opts.adminPort = 0;
    m_service->start(loadYaml(soloYaml()), opts);
    QTRY_VERIFY_WITH_TIMEOUT(!error.isEmpty(), 30000);
    disconnect(m_service.get(), nullptr, this, nullptr);
    QVERIFY2(error.contains("--allow-remote"), qPrintable(error));
}

void TestGateway::faults_data() {
    QTest::addColumn<QString>("profile");
    QTest::addColumn<bool>("stream");
    QTest::addColumn<int>("status");       // expected client status (0: transport error)
    QTest::addColumn<QString>("needle");   // expected in the body
    QTest::addColumn<bool>("cleanEnd");    // the response ended cleanly
    QTest::newRow("500") << R"({"errorStatus":500})" << false << 500 << "" << true;
    QTest::newRow("503 retry-after") << R"({"errorStatus":503,"retryAfterSeconds":7})" << false << 503 << "" << true;
    QTest::newRow("429") << R"({"errorStatus":429})" << false << 429 << "" << true;
    QTest::newRow("400 context") << R"({"errorStatus":400})" << false << 400 << "context_length_exceeded" << true;
    QTest::newRow("latency") << R"({"latencyMs":300})" << false << 200 << "solo:1b" << true;
    QTest::newRow("hang -> 504") << R"({"hang":true})" << false << 504 << "upstream request timeout" << true;
    QTest::newRow("reset before headers") << R"({"resetBeforeHeaders":true})" << false << 503
                                          << "upstream connect error or disconnect/reset before headers" << true;
    QTest::newRow("slow first token -> idle timeout") << R"({"firstTokenDelayMs":1500})" << true << 504 << "" << true;
    QTest::newRow("stream cut") << R"({"cutAfterTokens":3})" << true << 200 << "" << false;
    QTest::newRow("stream stall") << R"({"stallAfterTokens":2,"stallMs":0})" << true << 200 << "" << false;
    QTest::newRow("malformed chunk") << R"({"malformedAfterTokens":2})" << true << 200 << "[DONE]" << true;
    QTest::newRow("missing done") << R"({"omitDone":true})" << true << 200 << "" << true;
}

void TestGateway::faults() {
    QFETCH(QString, profile);
    QFETCH(bool, stream);
    QFETCH(int, status);
    QFETCH(QString, needle);
    QFETCH(bool, cleanEnd);
    // Request timeout 1s; streamIdleTimeout 500ms catches a slow first token and a stalled stream.
    QVERIFY(startService(loadYaml(soloYaml("      timeouts: {request: 1s}\n      streamIdleTimeout: 500ms\n"))));
    auto f = admin("POST", "/servers/solo/fault", profile.toUtf8());
    QVERIFY2(f.status == 200, f.body.constData());
    auto r = chat("solo-model", stream, R"(,"max_tokens":8)");
    if (!cleanEnd) {
        QVERIFY2(r.error.has_value(), "a broken stream must not end as a clean success");
        QCOMPARE(r.error->kind, http::FailureKind::ResetAfterHeaders);
        return;
    }
    QVERIFY2(!r.error, r.error ? r.error->message.c_str() : "");
    QCOMPARE(r.status, status);
    if (!needle.isEmpty())
        QVERIFY2(r.body.contains(needle.toUtf8()), r.body.constData());
    if (profile.contains("retryAfter"))
        QCOMPARE(r.headers.value("retry-after"), std::string("7"));
    if (profile.contains("omitDone"))
        QVERIFY(!r.body.contains("[DONE]"));
    if (status >= 500 && r.headers.value("content-type").find("json") != std::string::npos)
        QVERIFY(r.json().is_object());
    // Clearing the fault restores normal service.
    QCOMPARE(admin("DELETE", "/servers/solo/fault").status, 200);
    QCOMPARE(chat("solo-model").status, 200);
}

void TestGateway::errorRateMixes() {
    QVERIFY(startService(loadYaml(soloYaml())));
    QCOMPARE(admin("POST", "/servers/solo/fault", R"({"errorStatus":503,"errorRate":0.5})").status, 200);
    int ok = 0, bad = 0;
    for (int i = 0; i < 60; ++i)
        (chat("solo-model").status == 200 ? ok : bad)++;
    QVERIFY2(ok > 10 && bad > 10, qPrintable(QString("%1 ok, %2 errors").arg(ok).arg(bad)));
}

/// Route "duo-route": model "duo" over Backends p0 (priority 0) and p1 (priority 1), each its own mock
/// server, with a BackendTrafficPolicy `policy` (YAML under spec:) targeting its HTTPRoute.
std::string duoYaml(const std::string& policy, const std::string& extraRefs = "") {
    std::string y = R"(apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: duo-route, namespace: default}
spec:
  rules:
    - matches:
        - headers: [{type: Exact, name: x-ai-eg-model, value: duo}]
      backendRefs:
        - {name: p0, priority: 0}
        - {name: p1, priority: 1}
)" + extraRefs;
    for (const std::string b : {"p0", "p1"})
        y += "---\napiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIServiceBackend\nmetadata: {name: " + b +
             ", namespace: default}\nspec:\n  schema: {name: OpenAI}\n  backendRef: {name: " + b +
             ", kind: Backend, group: gateway.envoyproxy.io}\n---\napiVersion: gateway.envoyproxy.io/v1alpha1\n"
             "kind: Backend\nmetadata: {name: " + b + ", namespace: default}\nspec:\n  endpoints:\n    - fqdn: {hostname: " + b +
             ".default.svc.cluster.local, port: 80}\n";
    y += "---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata: {name: duo-policy, "
         "namespace: default}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: duo-route}]\n" +
         policy;
    return y;
}

void TestGateway::streamOutlivesPerTryTimeout() {
    // perRetry.timeout 500ms under `reset`: an unstreamed answer slower than that fails over; a
    // stream whose headers went out is not cut by it, however long it runs (reference 3.5).
    QVERIFY(startService(loadYaml(duoYaml("  retry:\n    numAttemptsPerPriority: 1\n    numRetries: 1\n"
                                          "    perRetry: {timeout: 500ms}\n    retryOn: {triggers: [reset]}\n"))));
    QCOMPARE(admin("POST", "/servers/p0/fault", R"({"stallAfterTokens":2,"stallMs":1500})").status, 200);
    auto s = chat("duo", true);
    QCOMPARE(s.status, 200);
    QCOMPARE(s.headers.value("x-aigw-backend"), std::string("p0"));
    QVERIFY2(s.body.contains("data: [DONE]"), s.body.constData());
    QCOMPARE(admin("POST", "/servers/p0/fault", R"({"latencyMs":1500})").status, 200);
    auto r = chat("duo");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.headers.value("x-aigw-backend"), std::string("p1"));
    QCOMPARE(r.headers.value("x-aigw-attempts"), std::string("2"));
    const auto recs = admin("GET", "/requests?limit=1").json();
    QVERIFY2(recs.dump().find("per_try_timeout") != std::string::npos, recs.dump().c_str());
}

void TestGateway::blackHoledPrimaryFailsOverAfterConnectTimeout() {
    // A black-holed host: the connect neither succeeds nor is refused; after the policy's connect
    // timeout connect-failure retries it at priority 1. Without the trigger: 503 connection timeout.
    const std::string policy = "  timeout: {tcp: {connectTimeout: 300ms}}\n  retry:\n    numAttemptsPerPriority: 1\n"
                               "    numRetries: 1\n    retryOn: {triggers: [connect-failure]}\n";
    QVERIFY(startService(loadYaml(duoYaml(policy))));
    QCOMPARE(admin("POST", "/servers/p0/fault", R"({"blackhole":true})").status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(m_service->servers().size() == 2 && [&] {
        for (const auto& i : m_service->servers())
            if (i.name == "p0")
                return i.blackHole;
        return false;
    }(), 10000);
    for (int i = 0; i < 3; ++i) {
        auto r = chat("duo", i == 1);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.headers.value("x-aigw-backend"), std::string("p1"));
    }
    const auto recs = admin("GET", "/requests?limit=1").json();
    QVERIFY2(recs.dump().find("connect_timeout") != std::string::npos, recs.dump().c_str());
    // The retry policy without connect-failure: the client gets the connect timeout.
    QCOMPARE(admin("POST", "/config", QByteArray::fromStdString(duoYaml(
                                          "  timeout: {tcp: {connectTimeout: 300ms}}\n  retry:\n    numAttemptsPerPriority: 1\n"
                                          "    retryOn: {triggers: [retriable-status-codes]}\n")))
                 .status,
             200);
    auto r = chat("duo");
    QCOMPARE(r.status, 503);
    QVERIFY2(r.body.contains("connection timeout"), r.body.constData());
    // Clearing the fault: p0 answers again.
    QCOMPARE(admin("DELETE", "/servers/p0/fault").status, 200);
    r = chat("duo");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.headers.value("x-aigw-backend"), std::string("p0"));
}

void TestGateway::deleteAsWrittenHasTwoPhases() {
    // The tutorial's mistake (no numAttemptsPerPriority: retries stay on priority 0) after a delete:
    // phase one, until the DNS refresh (here 5 s), connects to the old address time out and the
    // request fails; phase two, the host is removed and priority 1 answers.
    proxy::GatewayService::Options opts;
    opts.dnsRefreshDelay = std::chrono::milliseconds(5000);
    QVERIFY(startService(loadYaml(duoYaml("  timeout: {tcp: {connectTimeout: 200ms}}\n  retry:\n    numRetries: 1\n"
                                          "    retryOn: {triggers: [connect-failure]}\n")),
                         opts));
    QCOMPARE(chat("duo").headers.value("x-aigw-backend"), std::string("p0"));
    QCOMPARE(admin("POST", "/servers/p0/delete").status, 200);
    const auto servers = admin("GET", "/servers").json();
    bool pending = false;
    for (const auto& sv : servers)
        pending |= sv["name"] == "p0" && sv["state"] == "deleted";
    QVERIFY2(pending, servers.dump().c_str());
    auto r = chat("duo");  // two 200 ms connect timeouts, both at priority 0, long before the refresh
    QCOMPARE(r.status, 503);
    QVERIFY2(r.body.contains("connection timeout"), r.body.constData());
    QCOMPARE(r.headers.value("x-aigw-attempts"), std::string("2"));
    // Phase two: once the refresh removed the host, priority 1 answers.
    QTRY_VERIFY_WITH_TIMEOUT(chat("duo").headers.value("x-aigw-backend") == "p1", 30000);
    r = chat("duo");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.headers.value("x-aigw-attempts"), std::string("1"));
}

void TestGateway::routeAcceptanceOnReload() {
    QVERIFY(startService(loadYaml(duoYaml(""))));
    QCOMPARE(chat("duo").status, 200);
    // A reload that names a missing AIServiceBackend: applied as a cluster would, the route is not
    // accepted, and its last accepted version keeps serving.
    const std::string broken = duoYaml("", "        - {name: gone, priority: 2}\n");
    auto a = admin("POST", "/config", QByteArray::fromStdString(broken));
    QCOMPARE(a.status, 200);
    const Json j = a.json();
    QCOMPARE(j["notAccepted"].size(), std::size_t(1));
    QCOMPARE(j["notAccepted"][0]["servingLastAccepted"], true);
    QCOMPARE(chat("duo").status, 200);
    const auto dump = admin("GET", "/config_dump");
    QVERIFY2(dump.body.contains("default/duo-route: NotAccepted (failed to get AIServiceBackend default/gone"),
             dump.body.constData());
    // A route that never was accepted is not served: 404 no route.
    std::string fresh = broken;
    for (auto at = fresh.find("duo-route"); at != std::string::npos; at = fresh.find("duo-route"))
        fresh.replace(at, 9, "new-route");
    fresh.replace(fresh.find("value: duo}"), 11, "value: new}");
    QCOMPARE(admin("POST", "/config", QByteArray::fromStdString(fresh)).status, 200);
    auto n = chat("new");
    QCOMPARE(n.status, 404);
    QVERIFY(n.body.contains("No matching route found"));
    const auto models = call(m_proxyPort, "GET", "/v1/models");
    QVERIFY2(!models.body.contains("\"new\""), models.body.constData());  // not served, not listed
    // Anything else wrong is still rejected as a whole.
    QCOMPARE(admin("POST", "/config", "kind: AIGatewayRoute\nspec: [").status, 400);
}

#endif

QTEST_GUILESS_MAIN(TestGateway)
#include "test_gateway.moc"
