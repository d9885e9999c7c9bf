// POST /config while requests are in flight: a reload must not drop them (README: "in-flight requests
// finish on the old snapshot"). The gateway runs real aigw-mock-backend children; a latency fault keeps
// a request in flight on its model server while the config is replaced. Every wait is on a condition
// with a generous bound; nothing sleeps a fixed time or asserts a duration.
#include <QtTest>

#include <memory>

#include <nlohmann/json.hpp>

#include "config/builtin.h"
#include "config/loader.h"
#include "http/http_client.h"
#include "proxy/gateway_service.h"
#include "start_service.h"
#include "qtest_names.h"

AIGW_QTEST_NAMES(aigw::proxy::ServerState)

using namespace aigw;
using Json = nlohmann::json;

namespace {

QString sourceDir() { return qEnvironmentVariable("AIGW_SOURCE_DIR", QStringLiteral(AIGW_TEST_SOURCE_DIR)); }

QByteArray sampleText(const QStringList& names) {
    QByteArray out;
    for (const auto& n : names) {
        QFile f(sourceDir() + "/samples/" + n);
        if (!f.open(QIODevice::ReadOnly))
            qWarning() << "cannot read" << f.fileName();
        out += f.readAll();
        out += "\n---\n";
    }
    return out;
}

config::Config loadYaml(const std::string& yaml) {
    auto r = config::loadString(yaml, "test.yaml");
    for (const auto& e : r.errors)
        qWarning("%s", e.toString().c_str());
    return r.config;
}

#ifndef Q_MOC_RUN  // moc mis-tokenises multi-line raw strings; it only needs the class below
/// The solo config with the model its server runs (a change of it restarts the server).
std::string soloYaml(const std::string& override) { return testing::soloYaml("", "", override); }
#endif

using Pending = testing::Reply;  ///< a request sent without waiting for it: the test acts while it is in flight

}  // namespace

class TestReload : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<proxy::GatewayService> m_service;
    std::unique_ptr<http::HttpClient> m_client;
    std::string m_host;
    quint16 m_proxyPort = 0;
    quint16 m_adminPort = 0;

    bool start(const config::Config& cfg);
    std::shared_ptr<Pending> send(quint16 port, const std::string& method, const std::string& target,
                                  const QByteArray& body = {});
    /// Sends and waits (bounded) for the answer.
    std::shared_ptr<Pending> call(quint16 port, const std::string& method, const std::string& target,
                                  const QByteArray& body = {});
    std::shared_ptr<Pending> chat(const std::string& model) {
        return send(m_proxyPort, "POST", "/v1/chat/completions",
                    QByteArray::fromStdString(R"({"model":")" + model +
                                              R"(","messages":[{"role":"user","content":"hello"}],"max_tokens":8})"));
    }
    std::optional<proxy::ServerInfo> server(const QString& name) const;
    /// Inference requests the named mock server has received (its /_mock/stats), -1 when unreachable.
    int mockRequests(const QString& name);

private slots:
    void cleanup();

    // The issue's case: the built-in scenario, then the same minus the fallback route. qwen-primary
    // and qwen-secondary lose a Backend each (the -fb ones); they must keep running, requests included.
    void backendMappingChangeKeepsInFlight_data();
    void backendMappingChangeKeepsInFlight();

    // What the server runs changes (its model): it restarts, but the request already on it finishes.
    void modelChangeRestartsAfterInFlight();

    // GatewayService::applyConfig compiles off the data plane; the commands called after it still act
    // on the config it applied: a server it adds can be stopped at once, an edit lands on top of it.
    void commandsAfterApplyActOnIt();
};

#ifndef Q_MOC_RUN
bool TestReload::start(const config::Config& cfg) {
    m_service = std::make_unique<proxy::GatewayService>();
    m_client = std::make_unique<http::HttpClient>();
    proxy::GatewayService::Options opts;
    opts.mockBackendArgs = {"--first-token-ms", "0", "--tokens-per-second", "0"};
    testing::ServiceUrls urls;
    if (!testing::startService(*m_service, cfg, opts, &urls))
        return false;
    m_host = urls.proxy.host().toStdString();
    m_proxyPort = static_cast<quint16>(urls.proxy.port());
    m_adminPort = static_cast<quint16>(urls.admin.port());
    return testing::waitServers(*m_service, proxy::ServerState::Ready);
}

std::shared_ptr<Pending> TestReload::send(quint16 port, const std::string& method, const std::string& target,
                                          const QByteArray& body) {
    http::ClientRequest rq;
    rq.method = method;
    rq.host = m_host;
    rq.port = port;
    rq.target = target;
    if (!body.isEmpty() || method != "GET")  // the admin API wants it on every change, bodiless too
        rq.headers.add("content-type", target == "/config" ? "application/yaml" : "application/json");
    rq.body = body;
    rq.tryTimeoutMs = 60000;
    return testing::send(*m_client, std::move(rq));
}

std::shared_ptr<Pending> TestReload::call(quint16 port, const std::string& method, const std::string& target,
                                          const QByteArray& body) {
    auto p = send(port, method, target, body);
    if (!QTest::qWaitFor([&] { return p->done; }, 65000))  // the client's 60 s try timeout ends it first
        p->error = http::ClientError{http::FailureKind::PerTryTimeout, "the test client gave up", false, 0};
    return p;
}

std::optional<proxy::ServerInfo> TestReload::server(const QString& name) const {
    for (const auto& s : m_service->servers())
        if (s.name == name)
            return s;
    return std::nullopt;
}

int TestReload::mockRequests(const QString& name) {
    const auto s = server(name);
    if (!s || s->port == 0)
        return -1;
    auto r = call(s->port, "GET", "/_mock/stats");
    const auto j = Json::parse(r->body.constData(), r->body.constData() + r->body.size(), nullptr, false);
    return j.is_object() && j.contains("requests") ? j["requests"].get<int>() : -1;
}

void TestReload::cleanup() {
    m_client.reset();
    m_service.reset();
}

void TestReload::backendMappingChangeKeepsInFlight_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("server");  // the server that answers it ("" : any of the split)
    // The issue's report: a Ticket 1 request (the split may send it to any of the three).
    QTest::newRow("virtual-qwen-model") << "virtual-qwen-model" << "";
    // A request of the very route the reload removes: it holds the old snapshot, where it still exists.
    QTest::newRow("qwen-with-fallback (route removed)") << "qwen-with-fallback" << "qwen-primary";
}

void TestReload::backendMappingChangeKeepsInFlight() {
    QFETCH(QString, model);
    QFETCH(QString, server);
    QVERIFY(start(config::builtinScenario()));
    const QStringList names{"qwen-primary", "qwen-secondary", "qwen-tertiary"};
    QMap<QString, qint64> pids;
    for (const auto& n : names) {
        const auto s = this->server(n);
        QVERIFY2(s, qPrintable(n));
        pids[n] = s->pid;
        // Slow enough that the reload below happens while the request waits on its server.
        auto f = call(m_adminPort, "POST", ("/servers/" + n + "/fault").toStdString(), R"({"latencyMs":4000})");
        QVERIFY2(f->status == 200, f->body.constData());
    }
    QVERIFY(this->server("qwen-primary")->backends.contains("default/envoy-ai-gateway-qwen-primary-fb"));

    auto inFlight = chat(model.toStdString());
    // Wait until a model server has the request (it counts requests as they arrive).
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(names.begin(), names.end(), [&](const QString& n) { return mockRequests(n) == 1; }),
                             20000);
    QVERIFY2(!inFlight->done, "the request must still be in flight when the config is replaced");

    // gateway-setup + the three model files + model-virtualization: the fallback route is gone.
    const QByteArray yaml = sampleText({"gateway-setup.yaml", "primary-model.yaml", "secondary-model.yaml",
                                        "tertiary-model.yaml", "model-virtualization.yaml"});
    auto applied = call(m_adminPort, "POST", "/config", yaml);
    QVERIFY2(applied->status == 200, applied->body.constData());

    // The Backends mapped onto the servers changed in place (servers() is published a moment
    // later); the processes are the same.
    QTRY_COMPARE_WITH_TIMEOUT(this->server("qwen-primary").value_or(proxy::ServerInfo{}).backends,
                              QStringList{"default/envoy-ai-gateway-qwen-primary"}, 30000);
    for (const auto& n : names) {
        const auto s = this->server(n);
        QVERIFY2(s, qPrintable(n));
        QCOMPARE(s->pid, pids[n]);
        QCOMPARE(s->state, proxy::ServerState::Faulted);  // and the fault stayed
    }

    QTRY_VERIFY_WITH_TIMEOUT(inFlight->done, 30000);
    QVERIFY2(!inFlight->error, inFlight->errorText().c_str());
    QVERIFY2(inFlight->status == 200, inFlight->body.constData());
    const auto answeredBy = QString::fromStdString(inFlight->headers.value("x-aigw-backend"));
    if (!server.isEmpty())
        QVERIFY2(answeredBy.contains(server), qPrintable(answeredBy));

    // The new snapshot serves: the removed route is a 404 now, the virtual model still answers.
    QCOMPARE(call(m_adminPort, "DELETE", "/servers/qwen-primary/fault")->status, 200);
    QCOMPARE(call(m_adminPort, "DELETE", "/servers/qwen-secondary/fault")->status, 200);
    QCOMPARE(call(m_adminPort, "DELETE", "/servers/qwen-tertiary/fault")->status, 200);
    auto after = chat("virtual-qwen-model");
    QTRY_VERIFY_WITH_TIMEOUT(after->done, 30000);
    QCOMPARE(after->status, 200);
    auto gone = chat("qwen-with-fallback");
    QTRY_VERIFY_WITH_TIMEOUT(gone->done, 30000);
    QCOMPARE(gone->status, 404);
}

void TestReload::modelChangeRestartsAfterInFlight() {
    QVERIFY(start(loadYaml(soloYaml("solo:1b"))));
    const auto before = server("solo");
    QVERIFY(before);
    QCOMPARE(before->models, QStringList{"solo:1b"});
    auto f = call(m_adminPort, "POST", "/servers/solo/fault", R"({"latencyMs":4000})");
    QVERIFY2(f->status == 200, f->body.constData());

    auto inFlight = chat("solo-model");
    QTRY_VERIFY_WITH_TIMEOUT(mockRequests("solo") == 1, 30000);
    QVERIFY2(!inFlight->done, "the request must still be in flight when the config is replaced");

    auto applied = call(m_adminPort, "POST", "/config", QByteArray::fromStdString(soloYaml("solo:7b")));
    QVERIFY2(applied->status == 200, applied->body.constData());
    // What the server runs changed: a new process serving the new model.
    QTRY_COMPARE_WITH_TIMEOUT(server("solo").value_or(proxy::ServerInfo{}).models, QStringList{"solo:7b"}, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(server("solo")->pid != 0, 30000);
    QVERIFY(server("solo")->pid != before->pid);

    // The request already on the old process is answered by it, with the model it asked for.
    QTRY_VERIFY_WITH_TIMEOUT(inFlight->done, 30000);
    QVERIFY2(!inFlight->error, inFlight->errorText().c_str());
    QVERIFY2(inFlight->status == 200, inFlight->body.constData());
    const auto j = Json::parse(inFlight->body.constData(), inFlight->body.constData() + inFlight->body.size(), nullptr, false);
    QCOMPARE(QString::fromStdString(j.value("model", "")), QString("solo:1b"));

    // New requests go to the new process (the fault came along, as across stop/start: clear it).
    QTRY_VERIFY_WITH_TIMEOUT(server("solo")->state == proxy::ServerState::Faulted, 30000);
    QCOMPARE(call(m_adminPort, "DELETE", "/servers/solo/fault")->status, 200);
    auto next = chat("solo-model");
    QTRY_VERIFY_WITH_TIMEOUT(next->done, 30000);
    QVERIFY2(next->status == 200, next->body.constData());
    const auto k = Json::parse(next->body.constData(), next->body.constData() + next->body.size(), nullptr, false);
    QCOMPARE(QString::fromStdString(k.value("model", "")), QString("solo:7b"));
}
void TestReload::commandsAfterApplyActOnIt() {
    QVERIFY(start(loadYaml(soloYaml("solo:1b"))));
    std::vector<proxy::ServiceEvent> events;
    m_service->drain(nullptr, nullptr, &events);
    const std::string extra = R"(
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: extra-route, namespace: default}
spec:
  rules:
    - matches:
        - headers: [{type: Exact, name: x-ai-eg-model, value: extra-model}]
      backendRefs: [{name: extra}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: extra, namespace: default}
spec:
  schema: {name: OpenAI}
  backendRef: {name: extra, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: extra, namespace: default}
spec:
  endpoints:
    - fqdn: {hostname: extra.default.svc.cluster.local, port: 80}
)";
    m_service->applyConfig(loadYaml(testing::soloYaml("", extra, "solo:1b")));
    m_service->stopServer(QStringLiteral("extra"));
    m_service->editBackendRef(QStringLiteral("default/solo-route"), 0, 0, 7, std::nullopt, std::nullopt);
    const auto applied = [this] {
        const auto c = m_service->config();
        return c->routes.size() == 2 && c->routes[0].rules[0].backendRefs[0].weight == std::optional<std::int64_t>(7);
    };
    QTRY_VERIFY_WITH_TIMEOUT(applied(), 30000);
    QVERIFY(testing::waitServers(*m_service, proxy::ServerState::Stopped, QStringLiteral("extra")));
    QCOMPARE(server(QStringLiteral("solo"))->state, proxy::ServerState::Ready);
    m_service->drain(nullptr, nullptr, &events);
    for (const auto& e : events)
        QVERIFY2(e.kind != proxy::ServiceEvent::Kind::Error, qPrintable(e.message));
    // The new route is served; its server was stopped: refused, no retry policy, 503.
    auto r = chat("extra-model");
    QTRY_VERIFY_WITH_TIMEOUT(r->done, 30000);
    QCOMPARE(r->status, 503);
}
#endif

QTEST_GUILESS_MAIN(TestReload)
#include "test_reload.moc"
