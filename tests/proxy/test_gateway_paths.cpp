// Every path the AI Gateway serves, and the error wrapping by content-type, end to end on loopback:
// GatewayService with a real aigw-mock-backend child. Ports are 0; every wait is bounded and on a
// condition, never a fixed sleep.
#include <QtTest>

#include <memory>

#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "http/http_client.h"
#include "proxy/gateway_service.h"
#include "start_service.h"

using namespace aigw;
using Json = nlohmann::json;

namespace {

int intOr(const Json& j, const char* key, int fallback) {
    return j.contains(key) && j[key].is_number_integer() ? j[key].get<int>() : fallback;
}

using testing::Reply;

}  // namespace

class TestGatewayPaths : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<proxy::GatewayService> m_service;
    std::unique_ptr<http::HttpClient> m_client;
    std::string m_host;
    quint16 m_proxyPort = 0;
    quint16 m_adminPort = 0;

    Reply call(quint16 port, const std::string& method, const std::string& target, const QByteArray& body = {},
               const std::string& contentType = "application/json");
    Reply proxy(const std::string& target, const QByteArray& body) { return call(m_proxyPort, "POST", target, body); }
    Reply admin(const std::string& method, const std::string& target, const QByteArray& body = {}) {
        return call(m_adminPort, method, target, body);
    }

private slots:
    void initTestCase();
    void cleanupTestCase();
    void cleanup();

    void responsesPlain();
    void responsesStreamed();
    void everyServedPathIsRouted_data();
    void everyServedPathIsRouted();
    void unsupportedPath();
    void modelLists();
    void upstreamErrorWrapping_data();
    void upstreamErrorWrapping();
};

Reply TestGatewayPaths::call(quint16 port, const std::string& method, const std::string& target, const QByteArray& body,
                             const std::string& contentType) {
    http::ClientRequest rq;
    rq.method = method;
    rq.host = m_host;
    rq.port = port;
    rq.target = target;
    if (!body.isEmpty() || method != "GET")  // the admin API wants it on every change, bodiless too
        rq.headers.add("content-type", contentType);
    rq.body = body;
    rq.tryTimeoutMs = 15000;
    return testing::fetch(*m_client, std::move(rq));
}

void TestGatewayPaths::initTestCase() {
    auto loaded = config::loadString(testing::soloYaml(), "test.yaml");
    QVERIFY(loaded.errors.empty());
    m_service = std::make_unique<proxy::GatewayService>();
    m_client = std::make_unique<http::HttpClient>();
    proxy::GatewayService::Options opts;
    opts.mockBackendArgs = {"--first-token-ms", "0", "--tokens-per-second", "0"};
    testing::ServiceUrls urls;
    QVERIFY(testing::startService(*m_service, loaded.config, opts, &urls));
    m_host = urls.proxy.host().toStdString();
    m_proxyPort = static_cast<quint16>(urls.proxy.port());
    m_adminPort = static_cast<quint16>(urls.admin.port());
    QVERIFY(QTest::qWaitFor(
        [&] {
            const auto servers = m_service->servers();
            return !servers.empty() && servers.front().state == proxy::ServerState::Ready;
        },
        15000));
}

void TestGatewayPaths::cleanupTestCase() {
    m_client.reset();
    m_service.reset();
}

void TestGatewayPaths::cleanup() { admin("DELETE", "/servers/solo/fault"); }

void TestGatewayPaths::responsesPlain() {
    const auto r = proxy("/v1/responses", R"({"model":"solo-model","input":"Say hi","max_output_tokens":8})");
    QCOMPARE(r.status, 200);
    const Json j = r.json();
    QCOMPARE(j.value("object", ""), std::string("response"));
    QCOMPARE(j.value("status", ""), std::string("incomplete"));  // max_output_tokens cut it
    // Routed with the override: the upstream saw (and answered with) the backend's model.
    QCOMPARE(j.value("model", ""), std::string("solo:1b"));
    QCOMPARE(j["output"][0]["type"].get<std::string>(), std::string("message"));
    QCOMPARE(j["output"][0]["content"][0]["type"].get<std::string>(), std::string("output_text"));
    QVERIFY(j["usage"]["input_tokens"].get<int>() > 0);
    QCOMPARE(j["usage"]["output_tokens"].get<int>(), 8);
    QCOMPARE(r.headers.value("x-aigw-backend"), std::string("solo"));

    // The request record: operation responses, model rewritten upstream, usage read from the body.
    const auto recs = admin("GET", "/requests?limit=1").json();
    QVERIFY(recs.is_array() && recs.size() == 1);
    QVERIFY2(recs[0].value("upstream_body", "").find("\"model\":\"solo:1b\"") != std::string::npos, recs.dump().c_str());
    QCOMPARE(intOr(recs[0], "completion_tokens", -1), 8);
    QVERIFY(admin("GET", "/stats/prometheus").body.contains("gen_ai_operation_name=\"responses\""));
}

void TestGatewayPaths::responsesStreamed() {
    const auto r = proxy("/v1/responses", R"({"model":"solo-model","input":"Say hi","stream":true})");
    QCOMPARE(r.status, 200);
    QCOMPARE(QString::fromStdString(r.headers.value("content-type")).left(17), QString("text/event-stream"));
    QVERIFY(r.body.startsWith("event: response.created\ndata: "));
    QVERIFY(r.body.contains("event: response.output_text.delta\n"));
    QVERIFY(r.body.contains("event: response.completed\n"));
    QVERIFY(!r.body.contains("[DONE]"));
    QVERIFY2(r.body.contains("\"model\":\"solo:1b\""), r.body.constData());
    // The last event carries the usage.
    const QByteArray last = r.body.trimmed().split('\n').last();
    QVERIFY(last.startsWith("data: "));
    const Json done = Json::parse(last.mid(6).toStdString(), nullptr, false);
    QCOMPARE(done.value("type", ""), std::string("response.completed"));
    QVERIFY(done["response"]["usage"]["output_tokens"].get<int>() > 0);
    const auto recs = admin("GET", "/requests?limit=1").json();
    QVERIFY(recs.is_array() && recs.size() == 1);
    QCOMPARE(recs[0].value("stream", false), true);
    QCOMPARE(intOr(recs[0], "completion_tokens", -1), done["response"]["usage"]["output_tokens"].get<int>());
}

void TestGatewayPaths::everyServedPathIsRouted_data() {
    // Paths the mock (an Ollama stand-in) does not serve: the gateway accepts and routes them by the
    // body's model, and the upstream's own 404 (gin's text/plain "404 page not found") comes back
    // wrapped as OpenAIBackendError.
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::newRow("chat") << "/v1/chat/completions" << QByteArray(R"({"model":"solo-model","messages":[{"role":"user","content":"x"}]})") << 200;
    QTest::newRow("completions") << "/v1/completions" << QByteArray(R"({"model":"solo-model","prompt":"x"})") << 200;
    QTest::newRow("embeddings") << "/v1/embeddings" << QByteArray(R"({"model":"solo-model","input":"x"})") << 200;
    QTest::newRow("responses") << "/v1/responses" << QByteArray(R"({"model":"solo-model","input":"x"})") << 200;
    QTest::newRow("responses input_tokens") << "/v1/responses/input_tokens" << QByteArray(R"({"model":"solo-model","input":"x"})") << 404;
    QTest::newRow("speech") << "/v1/audio/speech" << QByteArray(R"({"model":"solo-model","input":"x","voice":"alloy"})") << 404;
    QTest::newRow("images") << "/v1/images/generations" << QByteArray(R"({"model":"solo-model","prompt":"x"})") << 404;
    QTest::newRow("tokenize") << "/tokenize?x=1" << QByteArray(R"({"model":"solo-model","prompt":"x"})") << 404;
    QTest::newRow("rerank") << "/cohere/v2/rerank" << QByteArray(R"({"model":"solo-model","query":"q","documents":["a"]})") << 404;
    QTest::newRow("messages") << "/anthropic/v1/messages" << QByteArray(R"({"model":"solo-model","max_tokens":5,"messages":[]})") << 404;
    QTest::newRow("count_tokens") << "/anthropic/v1/messages/count_tokens" << QByteArray(R"({"model":"solo-model","messages":[]})") << 404;
}

void TestGatewayPaths::everyServedPathIsRouted() {
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    const auto r = proxy(path.toStdString(), body);
    QVERIFY2(!r.error, r.errorText().c_str());
    QCOMPARE(r.status, status);
    QCOMPARE(r.headers.value("x-aigw-backend"), std::string("solo"));  // routed by the body's model
    if (status == 404) {
        QCOMPARE(r.headers.value("content-type"), std::string("application/json"));
        QCOMPARE(r.body, QByteArray(R"({"type":"error","error":{"type":"OpenAIBackendError","code":"404","message":"404 page not found"}})"));
    }
    // An unknown model on a served path is the route miss, not a path error.
    const auto miss = proxy(path.toStdString(), QByteArray(body).replace("solo-model", "nope"));
    QCOMPARE(miss.status, 404);
    QVERIFY(miss.body.startsWith("No matching route found."));
}

void TestGatewayPaths::unsupportedPath() {
    for (const char* path : {"/v1/unknown", "/v1/chat/completions/", "/v2/rerank", "/anthropic/v1/complete"}) {
        const auto r = proxy(path, R"({"model":"solo-model"})");
        QCOMPARE(r.status, 404);
        QCOMPARE(r.body, QByteArray("unsupported path: ") + path);
    }
    // The message names the whole :path, query included (server.go).
    const auto q = proxy("/v1/nope?a=1", R"({"model":"solo-model"})");
    QCOMPARE(q.body, QByteArray("unsupported path: /v1/nope?a=1"));
    // Multipart-only endpoints refuse a JSON body with the real gateway's 400.
    const auto t = proxy("/v1/audio/transcriptions", R"({"model":"solo-model"})");
    QCOMPARE(t.status, 400);
    QCOMPARE(t.json()["error"]["message"].get<std::string>(),
             std::string("malformed request: expected multipart/form-data content type for /v1/audio/transcriptions"));
    // A multipart transcription is routed by its model field, rewritten upstream.
    const QByteArray form = "--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nsolo-model\r\n"
                            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                            "Content-Type: audio/wav\r\n\r\nRIFF....\r\n--XyZ--\r\n";
    const auto m = call(m_proxyPort, "POST", "/v1/audio/transcriptions", form, "multipart/form-data; boundary=XyZ");
    QCOMPARE(m.status, 404);  // the mock does not transcribe
    QCOMPARE(m.headers.value("x-aigw-backend"), std::string("solo"));
    const auto recs = admin("GET", "/requests?limit=1").json();
    QVERIFY2(recs[0].value("upstream_body", "").find("name=\"model\"\r\n\r\nsolo:1b\r\n") != std::string::npos,
             recs.dump().c_str());
}

void TestGatewayPaths::modelLists() {
    auto r = call(m_proxyPort, "GET", "/v1/models");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json()["data"][0]["id"].get<std::string>(), std::string("solo-model"));
    r = call(m_proxyPort, "GET", "/anthropic/v1/models?limit=20");
    QCOMPARE(r.status, 200);
    const Json j = r.json();
    QCOMPARE(j["data"][0]["id"].get<std::string>(), std::string("solo-model"));
    QCOMPARE(j["data"][0]["type"].get<std::string>(), std::string("model"));
    QCOMPARE(j["data"][0]["display_name"].get<std::string>(), std::string("solo-model"));
    QVERIFY(j["data"][0]["created_at"].get<std::string>().ends_with("Z"));
    QCOMPARE(j["first_id"].get<std::string>(), std::string("solo-model"));
    QCOMPARE(j["last_id"].get<std::string>(), std::string("solo-model"));
    QCOMPARE(j["has_more"].get<bool>(), false);
}

void TestGatewayPaths::upstreamErrorWrapping_data() {
    QTest::addColumn<QByteArray>("fault");
    QTest::addColumn<bool>("stream");
    QTest::addColumn<QByteArray>("expected");  // the exact client body; empty: the upstream's JSON
    const QByteArray wrapped = R"({"type":"error","error":{"type":"OpenAIBackendError","code":"503","message":"upstream unavailable: solo"}})";
    QTest::newRow("text/plain 503 wrapped") << QByteArray(R"({"errorStatus":503,"errorPlainText":true})") << false << wrapped;
    QTest::newRow("text/plain 503 on a stream wrapped") << QByteArray(R"({"errorStatus":503,"errorPlainText":true})") << true << wrapped;
    QTest::newRow("JSON 503 unchanged") << QByteArray(R"({"errorStatus":503})") << false << QByteArray();
    QTest::newRow("JSON 503 on a stream unchanged") << QByteArray(R"({"errorStatus":503})") << true << QByteArray();
}

void TestGatewayPaths::upstreamErrorWrapping() {
    QFETCH(QByteArray, fault);
    QFETCH(bool, stream);
    QFETCH(QByteArray, expected);
    QCOMPARE(admin("POST", "/servers/solo/fault", fault).status, 200);
    const auto r = proxy("/v1/chat/completions",
                         stream ? R"({"model":"solo-model","stream":true,"messages":[{"role":"user","content":"x"}]})"
                                : R"({"model":"solo-model","messages":[{"role":"user","content":"x"}]})");
    QCOMPARE(r.status, 503);
    QCOMPARE(r.headers.value("content-type"), std::string("application/json"));
    if (!expected.isEmpty()) {
        QCOMPARE(r.body, expected);
        return;
    }
    // The mock's own OpenAI-shaped error, byte for byte as it sent it.
    const Json j = r.json();
    QVERIFY2(j.is_object() && !j.contains("type"), r.body.constData());
    QCOMPARE(j["error"]["message"].get<std::string>(), std::string("server busy, please try again.  maximum pending requests exceeded"));
    QVERIFY(r.body.endsWith("}\n"));
}

QTEST_GUILESS_MAIN(TestGatewayPaths)
#include "test_gateway_paths.moc"
