// GET /stats on the admin API: gateway totals, per route and per backend counters and latency
// histograms as JSON (README: "per backend and route counters, latency histograms"), the same series
// /stats/prometheus exposes. The histogram quantile estimate is checked as a table first. Then
// /servers/{name}/... for servers outside the default namespace (`namespace/name`).
#include <QtTest>

#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "http/http_client.h"
#include "proxy/gateway_service.h"
#include "proxy/metrics.h"
#include "start_service.h"
#include "qtest_names.h"

AIGW_QTEST_NAMES(aigw::proxy::ServerState)

using namespace aigw;
using Json = nlohmann::json;

namespace {

using testing::Reply;

}  // namespace

class TestAdminStats : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<proxy::GatewayService> m_service;
    std::unique_ptr<http::HttpClient> m_client;
    std::string m_host;
    quint16 m_proxyPort = 0;
    quint16 m_adminPort = 0;

    Reply call(quint16 port, const std::string& method, const std::string& target, const QByteArray& body = {}) {
        return testing::call(*m_client, m_host, port, method, target, body);
    }
    int chat() {
        return call(m_proxyPort, "POST", "/v1/chat/completions",
                    R"({"model":"solo-model","messages":[{"role":"user","content":"hi"}],"max_tokens":4})")
            .status;
    }

private slots:
    void quantile_data();
    void quantile();
    void perRouteAndBackend();
    void namespacedServers();
};

void TestAdminStats::quantile_data() {
    QTest::addColumn<QList<double>>("observed");
    QTest::addColumn<double>("q");
    QTest::addColumn<double>("expected");
    // Bounds 1, 2, 4. Rank = q * count, interpolated linearly inside the bucket that holds it.
    QTest::newRow("empty -> 0") << QList<double>{} << 0.5 << 0.0;
    // 4 in (0,1]: rank 2 of 4 -> 0 + 1 * 2/4
    QTest::newRow("one bucket, p50 = 0.5") << QList<double>{0.2, 0.4, 0.6, 0.8} << 0.5 << 0.5;
    // 2 in (0,1], 2 in (2,4]: rank 3 -> bucket (2,4], 1 of its 2 -> 2 + 2 * 1/2
    QTest::newRow("p75 across buckets = 3") << QList<double>{0.5, 0.5, 3.0, 3.0} << 0.75 << 3.0;
    // rank 0.99 * 2 = 1.98 -> bucket (1,2] (cumulative 2), 0.98 of its 1 -> 1 + 0.98
    QTest::newRow("p99 of two = 1.98") << QList<double>{0.5, 1.5} << 0.99 << 1.98;
    // above every bound: the highest finite bound, as Prometheus' histogram_quantile()
    QTest::newRow("+Inf -> last bound 4") << QList<double>{10.0} << 0.5 << 4.0;
}

void TestAdminStats::quantile() {
    QFETCH(QList<double>, observed);
    QFETCH(double, q);
    QFETCH(double, expected);
    proxy::Histogram h({1, 2, 4});
    for (double v : observed)
        h.observe(v);
    QCOMPARE(h.quantile(q), expected);
    const auto j = h.toJson();
    QCOMPARE(j["count"].get<qsizetype>(), observed.size());
    QCOMPARE(j["buckets"]["+Inf"].get<qsizetype>(), observed.size());
}

void TestAdminStats::perRouteAndBackend() {
    m_service = std::make_unique<proxy::GatewayService>();
    m_client = std::make_unique<http::HttpClient>();
    proxy::GatewayService::Options opts;
    opts.mockBackendArgs = {"--first-token-ms", "0", "--tokens-per-second", "0"};
    testing::ServiceUrls urls;
    auto loaded = config::loadString(testing::soloYaml(), "solo.yaml");
    QVERIFY(loaded.ok());
    QVERIFY(testing::startService(*m_service, loaded.config, opts, &urls));
    m_host = urls.proxy.host().toStdString();
    m_proxyPort = static_cast<quint16>(urls.proxy.port());
    m_adminPort = static_cast<quint16>(urls.admin.port());
    QTRY_VERIFY_WITH_TIMEOUT(!m_service->servers().empty() && m_service->servers().front().state == proxy::ServerState::Ready,
                             20000);

    // Three answered, then one 503 fault (no retry policy: one attempt).
    for (int i = 0; i < 3; ++i)
        QCOMPARE(chat(), 200);
    QCOMPARE(call(m_adminPort, "POST", "/servers/solo/fault", R"({"errorStatus":503})").status, 200);
    QCOMPARE(chat(), 503);

    const Reply r = call(m_adminPort, "GET", "/stats");
    QCOMPARE(r.status, 200);
    const Json j = r.json();
    QVERIFY2(j.is_object(), r.body.constData());
    // Gateway-wide totals.
    QCOMPARE(j["totals"]["rq_total"].get<int>(), 4);
    QCOMPARE(j["totals"]["rq_success"].get<int>(), 3);
    QCOMPARE(j["totals"]["upstream_rq_attempts"].get<int>(), 4);
    // Per route.
    const Json& route = j["routes"]["default/solo-route"];
    QVERIFY2(route.is_object(), r.body.constData());
    QCOMPARE(route["requests"].get<int>(), 4);
    QCOMPARE(route["responses"]["200"].get<int>(), 3);
    QCOMPARE(route["responses"]["503"].get<int>(), 1);
    QCOMPARE(route["retries"].get<int>(), 0);
    QCOMPARE(route["latency_seconds"]["count"].get<int>(), 4);
    QVERIFY(route["latency_seconds"]["p50"].get<double>() > 0.0);
    QCOMPARE(route["latency_seconds"]["buckets"]["+Inf"].get<int>(), 4);
    // Per backend of the route: the one AIServiceBackend it has.
    const Json& backends = j["backends"]["default/solo-route"];
    QVERIFY2(backends.is_object() && backends.size() == 1, r.body.constData());
    const QString backendName = QString::fromStdString(backends.begin().key());
    QVERIFY2(backendName.endsWith("solo"), qPrintable(backendName));
    const Json& backend = backends.begin().value();
    QCOMPARE(backend["attempts"].get<int>(), 4);
    QCOMPARE(backend["outcomes"]["success"].get<int>(), 3);
    QCOMPARE(backend["outcomes"]["status_503"].get<int>(), 1);
    QCOMPARE(backend["ejections"].get<int>(), 0);
    QCOMPARE(backend["latency_seconds"]["count"].get<int>(), 4);

    // The same series as the Prometheus exposition.
    const Reply prom = call(m_adminPort, "GET", "/stats/prometheus");
    QVERIFY(prom.body.contains(R"(aigw_route_requests_total{route="default/solo-route"} 4)"));
    QVERIFY(prom.body.contains(R"(aigw_backend_attempts_total{route="default/solo-route",backend=")" +
                               backendName.toUtf8() + R"("} 4)"));

    m_client.reset();
    m_service.reset();
}

void TestAdminStats::namespacedServers() {
    // Backend `be` in namespaces a and b: two servers, a/be and b/be, each reached by its own route.
    std::string yaml;
    for (const std::string ns : {"a", "b"})
        yaml += "apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIGatewayRoute\nmetadata: {name: r, namespace: " + ns +
                "}\nspec:\n  rules:\n  - matches:\n    - headers: [{type: Exact, name: x-ai-eg-model, value: model-" + ns +
                "}]\n    backendRefs: [{name: be}]\n---\napiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIServiceBackend\n"
                "metadata: {name: be, namespace: " + ns + "}\nspec:\n  schema: {name: OpenAI}\n  backendRef: {name: be, kind: Backend, "
                "group: gateway.envoyproxy.io}\n---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {name: be, "
                "namespace: " + ns + "}\nspec:\n  endpoints:\n  - fqdn: {hostname: be." + ns + ".svc.cluster.local, port: 80}\n---\n";
    m_service = std::make_unique<proxy::GatewayService>();
    m_client = std::make_unique<http::HttpClient>();
    proxy::GatewayService::Options opts;
    opts.startServers = false;
    opts.mockBackendArgs = {"--first-token-ms", "0", "--tokens-per-second", "0"};
    testing::ServiceUrls urls;
    const auto loaded = config::loadString(yaml, "ns.yaml");
    QVERIFY2(loaded.ok(), loaded.errors.empty() ? "" : loaded.errors[0].toString().c_str());
    QVERIFY(testing::startService(*m_service, loaded.config, opts, &urls));
    m_host = urls.proxy.host().toStdString();
    m_proxyPort = static_cast<quint16>(urls.proxy.port());
    m_adminPort = static_cast<quint16>(urls.admin.port());

    const Reply list = call(m_adminPort, "GET", "/servers");
    QCOMPARE(list.status, 200);
    std::set<std::string> names;
    for (const auto& s : list.json())
        names.insert(s["name"].get<std::string>());
    QCOMPARE(names, (std::set<std::string>{"a/be", "b/be"}));
    QCOMPARE(call(m_adminPort, "GET", "/servers/a/be/log").status, 200);
    QCOMPARE(call(m_adminPort, "GET", "/servers/b%2Fbe/log").status, 200);
    QCOMPARE(call(m_adminPort, "GET", "/servers/c/be/log").status, 404);
    QCOMPARE(call(m_adminPort, "GET", "/servers/be/log").status, 404);

    // Only a/be runs: model-a is answered, model-b (its own server, still stopped) is not.
    const Reply started = call(m_adminPort, "POST", "/servers/a/be/start");
    QCOMPARE(started.status, 200);
    QCOMPARE(started.json()["name"].get<std::string>(), std::string("a/be"));
    QVERIFY(testing::waitServers(*m_service, proxy::ServerState::Ready, QStringLiteral("a/be")));
    const auto ask = [this](const std::string& model) {
        return call(m_proxyPort, "POST", "/v1/chat/completions",
                    R"({"model":")" + QByteArray::fromStdString(model) + R"(","messages":[{"role":"user","content":"hi"}]})");
    };
    const Reply a = ask("model-a");
    QCOMPARE(a.status, 200);
    QCOMPARE(a.headers.value("x-aigw-backend"), std::string("be"));
    QCOMPARE(ask("model-b").status, 503);
    for (const auto& s : m_service->servers())
        QCOMPARE(s.state, s.name == QStringLiteral("a/be") ? proxy::ServerState::Ready : proxy::ServerState::Stopped);
}

QTEST_GUILESS_MAIN(TestAdminStats)
#include "test_admin_stats.moc"
