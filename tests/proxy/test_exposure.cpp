// Who can reach the simulator's listeners (README "Security", issue 13): the probes a web page or a
// DNS-rebinding attack would send get 403 and change nothing; the flags that open the listeners up
// do; stopping a model server that ignores SIGTERM never stalls proxied traffic.
// Every wait is on a condition (bounded), never a fixed sleep; nothing asserts wall-clock time.
#include <QtTest>
#include <QTcpServer>

#include <csignal>
#include <memory>
#include <sys/types.h>

#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "http/access.h"
#include "http/http_client.h"
#include "mockbackends/mock_server.h"
#include "proxy/gateway_service.h"
#include "start_service.h"
#include "qtest_names.h"

AIGW_QTEST_NAMES(aigw::proxy::ServerState)

using namespace aigw;
using Json = nlohmann::json;

namespace {

#ifndef Q_MOC_RUN  // moc mis-tokenises multi-line raw strings; it only needs the class below
/// Route NAME-model -> Backend NAME (a mock server of its own), no retry policy.
std::string soloYaml(const std::string& name) {
    return R"(apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: )" + name + R"(-route, namespace: default}
spec:
  rules:
    - matches:
        - headers: [{type: Exact, name: x-ai-eg-model, value: )" + name + R"(-model}]
      backendRefs:
        - name: )" + name + R"(
          modelNameOverride: )" + name + R"(:1b
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: )" + name + R"(, namespace: default}
spec:
  schema: {name: OpenAI}
  backendRef: {name: )" + name + R"(, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: )" + name + R"(, namespace: default}
spec:
  endpoints:
    - fqdn: {hostname: )" + name + R"(.default.svc.cluster.local, port: 80}
)";
}
#endif

using testing::Reply;

bool hasCorsHeader(const Reply& r) {
    for (const auto& [n, v] : r.headers.entries())
        if (n.size() > 15 && http::headerNameEquals(n.substr(0, 15), "access-control-"))
            return true;
    return false;
}

bool processAlive(qint64 pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0; }

}  // namespace

class TestExposure : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<proxy::GatewayService> m_service;
    std::unique_ptr<http::HttpClient> m_client;
    quint16 m_proxyPort = 0;
    quint16 m_adminPort = 0;

    bool start(proxy::GatewayService::Options opts) {
        m_service.reset();
        m_service = std::make_unique<proxy::GatewayService>();
        auto loaded = config::loadString(soloYaml("p0") + "---\n" + soloYaml("p1"), "exposure.yaml");
        if (!loaded.ok())
            return false;
        opts.mockBackendArgs << QStringLiteral("--first-token-ms") << QStringLiteral("0");
        testing::ServiceUrls urls;
        if (!testing::startService(*m_service, loaded.config, opts, &urls))
            return false;
        m_proxyPort = static_cast<quint16>(urls.proxy.port());
        m_adminPort = static_cast<quint16>(urls.admin.port());
        return waitServers(proxy::ServerState::Ready);
    }

    bool waitServers(proxy::ServerState want, const QString& only = {}) {
        return testing::waitServers(*m_service, want, only);
    }

    proxy::ServerInfo server(const QString& name) const {
        for (const auto& s : m_service->servers())
            if (s.name == name)
                return s;
        return {};
    }

    Reply call(quint16 port, const std::string& method, const std::string& target, http::Headers headers = {},
               const QByteArray& body = {}) {
        http::ClientRequest rq;
        rq.method = method;
        rq.host = "127.0.0.1";
        rq.port = port;
        rq.target = target;
        rq.headers = std::move(headers);
        rq.body = body;
        rq.tryTimeoutMs = 15000;
        return testing::fetch(*m_client, std::move(rq));
    }
    Reply admin(const std::string& method, const std::string& target, http::Headers headers = {}, const QByteArray& body = {}) {
        return call(m_adminPort, method, target, std::move(headers), body);
    }
    /// A state change as the desktop app's tools and the README send it.
    Reply adminPost(const std::string& target, const QByteArray& body = {}) {
        return admin("POST", target, {{"content-type", "application/json"}}, body);
    }
    Reply chat(const std::string& model, http::Headers headers = {}) {
        headers.add("content-type", "application/json");
        return call(m_proxyPort, "POST", "/v1/chat/completions", std::move(headers),
                    QByteArray::fromStdString(R"({"model":")" + model + R"(","messages":[{"role":"user","content":"hi"}],"max_tokens":4})"));
    }
    std::string adminHost(const std::string& name) const { return name + ":" + std::to_string(m_adminPort); }
    std::string proxyHost(const std::string& name) const { return name + ":" + std::to_string(m_proxyPort); }

private slots:
    void init() { m_client = std::make_unique<http::HttpClient>(); }
    void cleanup() {
        m_client.reset();
        m_service.reset();
    }

    void hostCheck_data();
    void hostCheck();
    void adminRefusesForeignOrigin();
    void adminRefusesNonJsonChanges();
    void adminRefusesForeignHost();
    void adminGrantsNoPreflight();
    void proxyHasNoCorsByDefault();
    void allowedHostCorsOriginAndToken();
    void allowRemoteAnswersAnyHost();
    void mockServerHostAndOrigin();
    void stopIgnoringSigtermNeverBlocks();
    void restartWhosePortWasTaken();
};

void TestExposure::hostCheck_data() {
    QTest::addColumn<QString>("host");
    QTest::addColumn<QString>("listen");
    QTest::addColumn<QStringList>("allowed");
    QTest::addColumn<bool>("ok");
    // Port 9901 throughout; no port in the header means 80.
    QTest::newRow("localhost:9901") << "localhost:9901" << "127.0.0.1" << QStringList{} << true;
    QTest::newRow("LOCALHOST:9901 (names are case-insensitive)") << "LOCALHOST:9901" << "127.0.0.1" << QStringList{} << true;
    QTest::newRow("127.0.0.1:9901") << "127.0.0.1:9901" << "127.0.0.1" << QStringList{} << true;
    QTest::newRow("[::1]:9901") << "[::1]:9901" << "127.0.0.1" << QStringList{} << true;
    QTest::newRow("listen address 10.0.0.5:9901") << "10.0.0.5:9901" << "10.0.0.5" << QStringList{} << true;
    QTest::newRow("listen address [fd00::1]:9901") << "[fd00::1]:9901" << "fd00::1" << QStringList{} << true;
    QTest::newRow("other port 127.0.0.1:8080") << "127.0.0.1:8080" << "127.0.0.1" << QStringList{} << false;
    QTest::newRow("no port = 80") << "localhost" << "127.0.0.1" << QStringList{} << false;
    QTest::newRow("rebinding evil.example:9901") << "evil.example:9901" << "127.0.0.1" << QStringList{} << false;
    QTest::newRow("localhost.evil.example:9901") << "localhost.evil.example:9901" << "127.0.0.1" << QStringList{} << false;
    QTest::newRow("bare IPv6 ::1 is malformed") << "::1" << "127.0.0.1" << QStringList{} << false;
    QTest::newRow("empty") << "" << "127.0.0.1" << QStringList{} << false;
    QTest::newRow("allowed name, any port") << "gw.lan:9901" << "127.0.0.1" << QStringList{"gw.lan"} << true;
    QTest::newRow("allowed name:port, same port") << "gw.lan:9901" << "127.0.0.1" << QStringList{"GW.lan:9901"} << true;
    QTest::newRow("allowed name:port, other port") << "gw.lan:9902" << "127.0.0.1" << QStringList{"gw.lan:9901"} << false;
    QTest::newRow("cluster name, local names off") << "m.default.svc.cluster.local:80" << "127.0.0.1" << QStringList{} << false;
}

void TestExposure::hostCheck() {
    QFETCH(QString, host);
    QFETCH(QString, listen);
    QFETCH(QStringList, allowed);
    QFETCH(bool, ok);
    http::AccessPolicy policy;
    for (const auto& a : allowed)
        policy.allowedHosts.push_back(a.toStdString());
    QCOMPARE(http::hostAllowed(host.toStdString(), listen.toStdString(), 9901, policy), ok);
    policy.allowAnyHost = true;
    QVERIFY(http::hostAllowed(host.toStdString(), listen.toStdString(), 9901, policy));
}

void TestExposure::adminRefusesForeignOrigin() {
    QVERIFY(start({}));
    // The issue's probe: a "simple" cross-origin POST (no preflight) from a page the user visits.
    auto r = admin("POST", "/servers/p1/stop", {{"origin", "http://evil.example"}, {"content-type", "text/plain"}});
    QCOMPARE(r.status, 403);
    QVERIFY2(r.json().contains("error"), r.body.constData());
    QVERIFY(!hasCorsHeader(r));
    // Even with the right content type, a foreign Origin is refused.
    r = admin("POST", "/servers/p1/stop", {{"origin", "http://evil.example"}, {"content-type", "application/json"}});
    QCOMPARE(r.status, 403);
    r = admin("GET", "/requests", {{"origin", "http://evil.example"}});
    QCOMPARE(r.status, 403);
    // Nothing changed: the server still runs and answers.
    QCOMPARE(server("p1").state, proxy::ServerState::Ready);
    const auto c = chat("p1-model");
    QVERIFY2(c.status == 200, c.body.constData());
    // The admin API's own origin (a page it served, or a same-origin tool) may.
    r = admin("GET", "/ready", {{"origin", "http://127.0.0.1:" + std::to_string(m_adminPort)}});
    QCOMPARE(r.status, 200);
}

void TestExposure::adminRefusesNonJsonChanges() {
    QVERIFY(start({}));
    const auto dumpBefore = admin("GET", "/config_dump").body;
    for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""}) {
        http::Headers h;
        if (*type)
            h.add("content-type", type);
        QCOMPARE(admin("POST", "/servers/p1/stop", h).status, 403);
        QCOMPARE(admin("POST", "/servers/p1/fault", h, R"({"errorStatus":503})").status, 403);
        QCOMPARE(admin("DELETE", "/servers/p1/fault", h).status, 403);
        QCOMPARE(admin("POST", "/config", h, QByteArray::fromStdString(soloYaml("p1"))).status, 403);
        QCOMPARE(admin("POST", "/backend_refs", h, R"({"route":"p1-route","rule":0,"ref":0,"weight":9})").status, 403);
    }
    // Nothing changed.
    QCOMPARE(server("p1").state, proxy::ServerState::Ready);
    QVERIFY(server("p1").faultSummary.isEmpty());
    QCOMPARE(admin("GET", "/config_dump").body, dumpBefore);
    QCOMPARE(chat("p1-model").status, 200);
    QCOMPARE(chat("p0-model").status, 200);
    // The same changes with the JSON content type (bodiless ones too) go through.
    QCOMPARE(admin("POST", "/servers/p1/fault", {{"content-type", "Application/JSON; charset=utf-8"}}, R"({"errorStatus":503})").status, 200);
    QCOMPARE(admin("DELETE", "/servers/p1/fault", {{"content-type", "application/json"}}).status, 200);
    QCOMPARE(admin("POST", "/config", {{"content-type", "application/yaml"}},
                   QByteArray::fromStdString(soloYaml("p0") + "---\n" + soloYaml("p1")))
                 .status,
             200);
    QCOMPARE(adminPost("/servers/p1/stop").status, 200);
    QVERIFY(waitServers(proxy::ServerState::Stopped, "p1"));
}

void TestExposure::adminRefusesForeignHost() {
    QVERIFY(start({}));
    QVERIFY(chat("p0-model").status == 200);  // a record with a prompt in /requests
    // DNS rebinding: the page's own name, resolved to 127.0.0.1, in the Host header.
    for (const char* target : {"/config_dump", "/requests", "/servers", "/servers/p0/log", "/ready"}) {
        const auto r = admin("GET", target, {{"host", adminHost("evil.example")}});
        QCOMPARE(r.status, 403);
        QVERIFY2(r.json().contains("error"), r.body.constData());
        QVERIFY(!r.body.contains("p0-model"));
    }
    QCOMPARE(admin("POST", "/servers/p0/stop", {{"host", adminHost("evil.example")}, {"content-type", "application/json"}}).status, 403);
    QCOMPARE(server("p0").state, proxy::ServerState::Ready);
    // The proxy refuses it too.
    auto r = call(m_proxyPort, "GET", "/v1/models", {{"host", proxyHost("evil.example")}});
    QCOMPARE(r.status, 403);
    r = chat("p0-model", {{"host", proxyHost("evil.example")}});
    QCOMPARE(r.status, 403);
    // Its own names answer.
    for (const std::string& name : {std::string("localhost"), std::string("127.0.0.1"), std::string("[::1]")}) {
        QCOMPARE(admin("GET", "/config_dump", {{"host", adminHost(name)}}).status, 200);
        QCOMPARE(call(m_proxyPort, "GET", "/v1/models", {{"host", proxyHost(name)}}).status, 200);
    }
    // A keep-alive connection goes on after a refusal.
    QCOMPARE(admin("GET", "/ready").status, 200);
    // On one connection, a Host that passed does not let the next, different one through (the
    // server remembers the last Host that passed on each connection).
    const auto opened = m_client->stats().connectionsOpened;
    QCOMPARE(chat("p0-model", {{"host", proxyHost("localhost")}}).status, 200);
    QCOMPARE(chat("p0-model", {{"host", proxyHost("evil.example")}}).status, 403);
    QCOMPARE(chat("p0-model", {{"host", proxyHost("localhost")}}).status, 200);
    QCOMPARE(chat("p0-model", {{"host", proxyHost("localhost.evil.example")}}).status, 403);
    QCOMPARE(m_client->stats().connectionsOpened, opened);
}

void TestExposure::adminGrantsNoPreflight() {
    QVERIFY(start({}));
    const auto r = admin("OPTIONS", "/servers/p1/stop",
                         {{"origin", "http://evil.example"}, {"access-control-request-method", "POST"},
                          {"access-control-request-headers", "content-type"}});
    QVERIFY2(r.status == 403 || r.status == 405, QByteArray::number(r.status).constData());
    QVERIFY(!hasCorsHeader(r));
    // Without an Origin (a tool, not a browser): still no CORS.
    const auto plain = admin("OPTIONS", "/servers/p1/stop", {{"access-control-request-method", "POST"}});
    QCOMPARE(plain.status, 405);
    QVERIFY(!hasCorsHeader(plain));
    QCOMPARE(server("p1").state, proxy::ServerState::Ready);
}

void TestExposure::proxyHasNoCorsByDefault() {
    QVERIFY(start({}));
    const auto pre = call(m_proxyPort, "OPTIONS", "/v1/chat/completions",
                          {{"origin", "http://app.example"}, {"access-control-request-method", "POST"},
                           {"access-control-request-headers", "content-type"}});
    QCOMPARE(pre.status, 403);
    QVERIFY(!hasCorsHeader(pre));
    // A simple cross-origin POST (text/plain, no preflight) does not reach a model either.
    const auto before = m_service->stats().totalRequests;
    auto r = call(m_proxyPort, "POST", "/v1/chat/completions", {{"origin", "http://app.example"}, {"content-type", "text/plain"}},
                  R"({"model":"p0-model","messages":[{"role":"user","content":"hi"}]})");
    QCOMPARE(r.status, 403);
    QVERIFY(!hasCorsHeader(r));
    QCOMPARE(m_service->stats().totalRequests, before);
    // Clients that are not browsers send no Origin and are served as before.
    r = chat("p0-model");
    QCOMPARE(r.status, 200);
    QVERIFY(!hasCorsHeader(r));
}

void TestExposure::allowedHostCorsOriginAndToken() {
    proxy::GatewayService::Options o;
    o.allowedHosts << QStringLiteral("gw.lan");
    o.corsOrigins << QStringLiteral("http://app.example");
    o.adminToken = QStringLiteral("s3cret-token");
    QVERIFY(start(o));
    QCOMPARE(m_service->adminToken(), QStringLiteral("s3cret-token"));
    const http::Headers auth{{"authorization", "Bearer s3cret-token"}};

    // --admin-token: every admin request needs it.
    QCOMPARE(admin("GET", "/config_dump").status, 401);
    QCOMPARE(admin("GET", "/config_dump", {{"authorization", "Bearer wrong-token!"}}).status, 401);
    QCOMPARE(admin("POST", "/servers/p1/stop", {{"content-type", "application/json"}}).status, 401);
    QCOMPARE(server("p1").state, proxy::ServerState::Ready);
    QCOMPARE(admin("GET", "/config_dump", auth).status, 200);

    // --allowed-host: the extra name answers on both listeners; others still do not.
    http::Headers lan = auth;
    lan.add("host", adminHost("gw.lan"));
    QCOMPARE(admin("GET", "/requests", lan).status, 200);
    QCOMPARE(call(m_proxyPort, "GET", "/v1/models", {{"host", proxyHost("gw.lan")}}).status, 200);
    QCOMPARE(call(m_proxyPort, "GET", "/v1/models", {{"host", proxyHost("evil.example")}}).status, 403);

    // --cors-origin: that origin's preflight is answered, its requests carry Allow-Origin.
    const auto pre = call(m_proxyPort, "OPTIONS", "/v1/chat/completions",
                          {{"origin", "http://app.example"}, {"access-control-request-method", "POST"},
                           {"access-control-request-headers", "content-type, authorization"}});
    QCOMPARE(pre.status, 204);
    QCOMPARE(pre.headers.value("access-control-allow-origin"), std::string("http://app.example"));
    QVERIFY(pre.headers.value("access-control-allow-methods").find("POST") != std::string::npos);
    QCOMPARE(pre.headers.value("access-control-allow-headers"), std::string("content-type, authorization"));
    auto r = chat("p0-model", {{"origin", "http://app.example"}});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.headers.value("access-control-allow-origin"), std::string("http://app.example"));
    // Any other origin: refused, no CORS headers.
    r = chat("p0-model", {{"origin", "http://evil.example"}});
    QCOMPARE(r.status, 403);
    QVERIFY(!hasCorsHeader(r));
    // The admin API grants no CORS even to that origin.
    http::Headers fromApp = auth;
    fromApp.add("origin", "http://app.example");
    QCOMPARE(admin("GET", "/servers", fromApp).status, 403);
}

void TestExposure::allowRemoteAnswersAnyHost() {
    proxy::GatewayService::Options o;
    o.allowRemote = true;  // still bound to loopback here; the Host check is what is under test
    QVERIFY(start(o));
    QCOMPARE(call(m_proxyPort, "GET", "/v1/models", {{"host", proxyHost("anything.example")}}).status, 200);
    QCOMPARE(chat("p0-model", {{"host", proxyHost("anything.example")}}).status, 200);
    // An admin API left on loopback stays local-only (it opens up only when bound elsewhere, token-guarded).
    QCOMPARE(admin("GET", "/ready", {{"host", adminHost("anything.example")}}).status, 403);
    // Origin and content-type rules stay.
    QCOMPARE(admin("POST", "/servers/p0/stop", {{"content-type", "text/plain"}}).status, 403);
    QCOMPARE(admin("GET", "/ready", {{"origin", "http://evil.example"}}).status, 403);
}

void TestExposure::mockServerHostAndOrigin() {
    mock::MockOptions options;
    options.models = {"m:1b"};
    options.access.allowedHosts = {"models.lan"};
    mock::MockServer server(options);
    auto bound = server.listen(QStringLiteral("127.0.0.1"), 0);
    QVERIFY(bound.ok());
    const quint16 port = bound.value();
    const std::string p = ":" + std::to_string(port);
    QCOMPARE(call(port, "GET", "/api/tags").status, 200);
    QCOMPARE(call(port, "GET", "/api/tags", {{"host", "evil.example" + p}}).status, 403);
    QCOMPARE(call(port, "GET", "/api/tags", {{"host", "models.lan" + p}}).status, 200);
    // As Ollama on loopback: *.local (the cluster names the gateway rewrites Host to), *.localhost, *.internal.
    for (const char* local : {"m.default.svc.cluster.local:80", "app.localhost", "host.docker.internal:11434"})
        QCOMPARE(call(port, "GET", "/api/tags", {{"host", local}}).status, 200);
    QCOMPARE(call(port, "GET", "/api/tags", {{"host", "evil.local.example" + p}}).status, 403);
    // Its fault endpoint refuses a page's cross-origin POST.
    const auto r = call(port, "POST", "/_mock/fault", {{"origin", "http://evil.example"}, {"content-type", "text/plain"}},
                        R"({"errorStatus":503})");
    QCOMPARE(r.status, 403);
    QVERIFY(server.fault().describe() == FaultProfile{}.describe());
    QCOMPARE(call(port, "POST", "/_mock/fault", {{"content-type", "application/json"}}, R"({"errorStatus":503})").status, 200);
}

void TestExposure::stopIgnoringSigtermNeverBlocks() {
    proxy::GatewayService::Options o;
    o.mockBackendArgs << QStringLiteral("--ignore-sigterm");
    QVERIFY(start(o));
    const qint64 pid = server("p0").pid;
    const quint16 port = server("p0").port;
    QVERIFY(processAlive(pid));

    // The stop answers while the old process still runs (it ignores SIGTERM until the kill timer);
    // meanwhile the data plane serves the other server and the admin API as usual.
    QCOMPARE(adminPost("/servers/p0/stop").status, 200);
    int servedWhileStopping = 0;
    while (processAlive(pid)) {
        const int status = chat("p1-model").status;
        if (!processAlive(pid))
            break;  // count only the answers that came while the SIGTERM-ignoring process still ran
        QCOMPARE(status, 200);
        QCOMPARE(admin("GET", "/ready").status, 200);
        ++servedWhileStopping;
    }
    QVERIFY2(servedWhileStopping > 0, "no request was answered while the stopped server was still exiting");
    QCOMPARE(server("p0").state, proxy::ServerState::Stopped);
    QVERIFY(chat("p0-model").status >= 500);  // refused, as a stopped server's port

    // Stop then start at once: the new process waits for the old one's port, then comes up on it.
    QCOMPARE(adminPost("/servers/p0/start").status, 200);
    QVERIFY(waitServers(proxy::ServerState::Ready, "p0"));
    QCOMPARE(server("p0").port, port);
    QCOMPARE(chat("p0-model").status, 200);
    const qint64 pid3 = server("p0").pid;
    QCOMPARE(adminPost("/servers/p0/stop").status, 200);
    QCOMPARE(adminPost("/servers/p0/start").status, 200);
    QCOMPARE(chat("p1-model").status, 200);
    QVERIFY(waitServers(proxy::ServerState::Ready, "p0"));
    QCOMPARE(chat("p0-model").status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(!processAlive(pid3), 30000);

    // Destroying the service leaves no child behind, SIGTERM ignored or not.
    const qint64 p0 = server("p0").pid, p1 = server("p1").pid;
    QVERIFY(processAlive(p0) && processAlive(p1));
    m_service.reset();
    QTRY_VERIFY_WITH_TIMEOUT(!processAlive(p0) && !processAlive(p1), 30000);
}

void TestExposure::restartWhosePortWasTaken() {
    QVERIFY(start({}));
    const quint16 port = server("p0").port;
    QCOMPARE(adminPost("/servers/p0/stop").status, 200);
    QVERIFY(waitServers(proxy::ServerState::Stopped, "p0"));
    // While it is down, another socket takes its port (on a busy machine the kernel hands a freed
    // port to the next socket that binds or connects).
    QTcpServer squatter;
    QVERIFY2(squatter.listen(QHostAddress::LocalHost, port), qPrintable(squatter.errorString()));
    QCOMPARE(adminPost("/servers/p0/start").status, 200);
    QVERIFY(waitServers(proxy::ServerState::Ready, "p0"));
    QVERIFY(server("p0").port != port);
    QCOMPARE(chat("p0-model").status, 200);  // the proxy follows it to the new port
    const auto log = admin("GET", "/servers/p0/log");
    QVERIFY2(log.body.contains("port " + QByteArray::number(port) + " is taken; starting on a new port"), log.body.constData());
}

QTEST_MAIN(TestExposure)
#include "test_exposure.moc"
