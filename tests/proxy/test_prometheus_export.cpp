// GET /stats/prometheus after real traffic on both tutorial routes (the built-in scenario: Ticket 1's
// weighted split and Ticket 2's corrected fallback), with failures, streams and an unknown model,
// checked by Prometheus' own tool: `promtool check metrics` (Debian package `prometheus`). Its lint
// may only report the counters that keep Envoy's spelling (no `_total`), exactly those the metrics
// registry marks so; a parse error or any other finding fails. Then the key series are there with
// non-zero values, and the exposition holds exactly the registry's families.
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QtTest>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/builtin.h"
#include "http/http_client.h"
#include "proxy/gateway_service.h"
#include "proxy/metrics.h"
#include "start_service.h"

using namespace aigw;
using testing::Reply;

namespace {

/// One sample line of the text format: name{labels} value.
struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

/// Parses the sample lines (comments skipped); a malformed line is returned in `bad`.
std::vector<Sample> parseSamples(const std::string& text, std::string* bad) {
    std::vector<Sample> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto eol = text.find('\n', pos);
        const std::string line = text.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
        pos = eol == std::string::npos ? text.size() : eol + 1;
        if (line.empty() || line[0] == '#')
            continue;
        Sample s;
        std::size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ')
            ++i;
        s.name = line.substr(0, i);
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (i < line.size() && line[i] != '}') {
                const auto eq = line.find("=\"", i);
                if (eq == std::string::npos) {
                    *bad = line;
                    return out;
                }
                const std::string key = line.substr(i, eq - i);
                std::string value;
                i = eq + 2;
                while (i < line.size() && line[i] != '"') {
                    if (line[i] == '\\' && i + 1 < line.size())
                        ++i;
                    value += line[i++];
                }
                s.labels[key] = value;
                i += 1;  // closing quote
                if (i < line.size() && line[i] == ',')
                    ++i;
            }
            ++i;  // '}'
        }
        try {
            s.value = std::stod(line.substr(i));
        } catch (...) {
            *bad = line;
            return out;
        }
        out.push_back(std::move(s));
    }
    return out;
}

/// Sum of the samples named `name` whose labels include every pair of `match`.
double sumOf(const std::vector<Sample>& samples, const std::string& name, const std::map<std::string, std::string>& match = {}) {
    double sum = 0;
    for (const auto& s : samples) {
        if (s.name != name)
            continue;
        bool all = true;
        for (const auto& [k, v] : match) {
            const auto it = s.labels.find(k);
            all = all && it != s.labels.end() && it->second == v;
        }
        if (all)
            sum += s.value;
    }
    return sum;
}

}  // namespace

class TestPrometheusExport : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<proxy::GatewayService> m_service;
    std::unique_ptr<http::HttpClient> m_client;
    std::string m_host;
    quint16 m_proxyPort = 0;
    quint16 m_adminPort = 0;
    std::string m_exposition;

    Reply call(quint16 port, const std::string& method, const std::string& target, const QByteArray& body = {}) {
        return testing::call(*m_client, m_host, port, method, target, body);
    }
    Reply chat(const std::string& model, bool stream = false);

private slots:
    void initTestCase();
    void promtoolAcceptsIt();
    void keySeriesAfterTraffic();
    void familiesMatchTheRegistry();
    void cleanupTestCase();
};

#ifndef Q_MOC_RUN  // moc mis-tokenises the raw strings below; it only needs the declarations above
Reply TestPrometheusExport::chat(const std::string& model, bool stream) {
    const std::string body = R"({"model":")" + model + R"(","max_tokens":8,"messages":[{"role":"user","content":"hi"}])" +
                             (stream ? R"(,"stream":true,"stream_options":{"include_usage":true})" : "") + "}";
    return call(m_proxyPort, "POST", "/v1/chat/completions", QByteArray::fromStdString(body));
}

void TestPrometheusExport::initTestCase() {
    m_service = std::make_unique<proxy::GatewayService>();
    m_client = std::make_unique<http::HttpClient>();
    proxy::GatewayService::Options opts;
    opts.mockBackendArgs = {"--first-token-ms", "5", "--tokens-per-second", "0"};
    testing::ServiceUrls urls;
    QVERIFY(testing::startService(*m_service, config::builtinScenario(), opts, &urls));
    m_host = urls.proxy.host().toStdString();
    m_proxyPort = static_cast<quint16>(urls.proxy.port());
    m_adminPort = static_cast<quint16>(urls.admin.port());
    QVERIFY(testing::waitServers(*m_service, proxy::ServerState::Ready));

    // Ticket 1's route (weights 50/30/20 over three backends) and Ticket 2's, plain and streamed.
    for (int i = 0; i < 30; ++i)
        QCOMPARE(chat("virtual-qwen-model").status, 200);
    QCOMPARE(chat("qwen-with-fallback").status, 200);
    for (const char* model : {"virtual-qwen-model", "qwen-with-fallback"}) {
        const Reply r = chat(model, true);
        QCOMPARE(r.status, 200);
        QVERIFY2(r.body.contains("\"usage\""), r.body.constData());
    }
    // Failover: the primary stopped (connections refused). Ticket 2's route retries on priority 1;
    // Ticket 1's route has no retry policy, so a request that picks the primary fails (503).
    QCOMPARE(call(m_adminPort, "POST", "/servers/qwen-primary/stop").status, 200);
    for (int i = 0; i < 5; ++i) {
        const Reply r = chat("qwen-with-fallback");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.headers.value("x-aigw-backend"), std::string("envoy-ai-gateway-qwen-secondary-fb"));
    }
    QCOMPARE(chat("qwen-with-fallback", true).status, 200);  // a stream that fell back
    int failed = 0;
    for (int i = 0; i < 200 && failed == 0; ++i)  // half the picks go to the primary
        failed += chat("virtual-qwen-model").status == 503;
    QVERIFY(failed > 0);
    // Both priorities failing: a 503 fault on the secondary, whose answer reaches the client.
    QCOMPARE(call(m_adminPort, "POST", "/servers/qwen-secondary/fault", R"({"errorStatus":503})").status, 200);
    QCOMPARE(chat("qwen-with-fallback").status, 503);
    QCOMPARE(call(m_adminPort, "DELETE", "/servers/qwen-secondary/fault").status, 200);
    // No rule for this model: 404 (the route-not-found answer), counted by status but not in gen_ai.
    QCOMPARE(chat("no-such-model").status, 404);

    const Reply prom = call(m_adminPort, "GET", "/stats/prometheus");
    QCOMPARE(prom.status, 200);
    QVERIFY(QString::fromStdString(prom.headers.value("content-type")).startsWith("text/plain; version=0.0.4"));
    m_exposition = prom.body.toStdString();
}

void TestPrometheusExport::promtoolAcceptsIt() {
    const QString promtool = QStandardPaths::findExecutable("promtool");
    if (promtool.isEmpty()) {
        if (qEnvironmentVariable("CI") == "true")
            QFAIL("promtool not found (Debian package `prometheus`, installed by scripts/install-deps.sh)");
        QSKIP("promtool not found: apt-get install prometheus (this test fails instead under CI=true)");
    }
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(promtool, {"check", "metrics"});
    QVERIFY2(p.waitForStarted(testing::kHungMs), qPrintable(p.errorString()));
    p.write(QByteArray::fromStdString(m_exposition));
    p.closeWriteChannel();
    QTRY_VERIFY_WITH_TIMEOUT(p.state() == QProcess::NotRunning, testing::kHungMs);
    const QString output = QString::fromUtf8(p.readAll());
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);

    // promtool exits 0 (clean), 3 (lint findings, one `<metric> <problem>` per line) or 1 (the text
    // does not parse: always a failure).
    std::set<QString> allowed;  // Envoy-spelled counters without `_total`, from the registry
    for (const auto& f : proxy::metricFamilies())
        if (f.envoySpelling && f.type == proxy::MetricType::Counter && !f.name.ends_with("_total"))
            allowed.insert(QString::fromUtf8(f.name.data(), static_cast<qsizetype>(f.name.size())));
    QVERIFY(!allowed.empty());
    QVERIFY2(p.exitCode() == 0 || p.exitCode() == 3, qPrintable(QString("promtool exit %1:\n%2").arg(p.exitCode()).arg(output)));
    static const QRegularExpression kTotalFinding(R"(^(\S+) counter metrics should have "_total" suffix$)");
    std::set<QString> reported;
    for (const QString& line : output.split('\n', Qt::SkipEmptyParts)) {
        const auto m = kTotalFinding.match(line.trimmed());
        QVERIFY2(m.hasMatch() && allowed.count(m.captured(1)), qPrintable("promtool finding not allowed: " + line));
        reported.insert(m.captured(1));
    }
    // And promtool did lint: each of those names is reported (else the check above proves nothing).
    for (const QString& name : allowed)
        QVERIFY2(reported.count(name), qPrintable(name + " was not reported by promtool: is it still exported?"));
}

void TestPrometheusExport::keySeriesAfterTraffic() {
    std::string bad;
    const auto s = parseSamples(m_exposition, &bad);
    QVERIFY2(bad.empty(), bad.c_str());
    const std::string virt = "default/envoy-ai-gateway-virtualization", fb = "default/envoy-ai-gateway-fallback";
    // Per backend split: Ticket 1's answers came from at least two of its three backends.
    int backendsAnswering = 0;
    for (const auto& x : s)
        if (x.name == "aigw_backend_attempt_outcomes_total" && x.labels.at("route") == virt && x.labels.at("outcome") == "success" &&
            x.value > 0)
            ++backendsAnswering;
    QVERIFY2(backendsAnswering >= 2, m_exposition.c_str());
    QVERIFY(sumOf(s, "aigw_backend_attempt_outcomes_total", {{"route", virt}, {"outcome", "connect_failure"}}) > 0 ||
            sumOf(s, "aigw_route_responses_total", {{"route", virt}, {"status", "503"}}) > 0);
    // Fallbacks and retries: the six answered on priority 1; the first three of them after a retry
    // (then the primary is ejected and priority 0's load goes to priority 1 at once).
    QVERIFY(sumOf(s, "aigw_route_fallbacks_total", {{"route", fb}}) >= 6);
    QVERIFY(sumOf(s, "aigw_route_retries_total", {{"route", fb}}) >= 3);
    QVERIFY(sumOf(s, "envoy_cluster_upstream_rq_retry") >= 3);
    QVERIFY(sumOf(s, "envoy_cluster_upstream_cx_connect_fail") > 0);
    // Errors: by status (503 and the unknown model's 404) and on the gen_ai duration.
    QVERIFY(sumOf(s, "aigw_route_responses_total", {{"route", fb}, {"status", "503"}}) >= 1);
    QVERIFY(sumOf(s, "aigw_route_responses_total", {{"status", "404"}}) >= 1);
    QVERIFY(sumOf(s, "gen_ai_server_request_duration_seconds_count", {{"error_type", "_OTHER"}}) >= 2);
    QVERIFY(sumOf(s, "gen_ai_server_request_duration_seconds_count", {{"gen_ai_original_model", "no-such-model"}}) == 0);
    // TTFT and time per output token, from the three streams; the real gateway's labels.
    QCOMPARE(sumOf(s, "gen_ai_server_time_to_first_token_seconds_count"), 3.0);
    QVERIFY(sumOf(s, "gen_ai_server_time_to_first_token_seconds_sum") > 0);
    QVERIFY(sumOf(s, "gen_ai_server_time_to_first_token_seconds_count",
                  {{"gen_ai_operation_name", "chat"}, {"gen_ai_provider_name", "openai"},
                   {"gen_ai_original_model", "qwen-with-fallback"}, {"gen_ai_request_model", "qwen2.5:0.5b"},
                   {"otel_scope_name", "envoyproxy/ai-gateway"}, {"otel_scope_schema_url", ""}, {"otel_scope_version", ""}}) >= 1);
    QVERIFY(sumOf(s, "gen_ai_server_time_per_output_token_seconds_count") > 0);
    // Token usage, input and output.
    QVERIFY(sumOf(s, "gen_ai_client_token_usage_sum", {{"gen_ai_token_type", "input"}}) > 0);
    QVERIFY(sumOf(s, "gen_ai_client_token_usage_sum", {{"gen_ai_token_type", "output"}}) > 0);
    // Ejection of the stopped primary by Ticket 2's passive health check (3 consecutive failures).
    QVERIFY(sumOf(s, "aigw_backend_ejections_total", {{"route", fb}}) >= 1);
}

void TestPrometheusExport::familiesMatchTheRegistry() {
    // Every `# TYPE` line is a registered family of that type, and every registered family is there.
    std::map<std::string, std::string> typed;
    static const QRegularExpression kType(R"(^# TYPE (\S+) (\S+)$)", QRegularExpression::MultilineOption);
    for (auto it = kType.globalMatch(QString::fromStdString(m_exposition)); it.hasNext();) {
        const auto m = it.next();
        QVERIFY2(typed.emplace(m.captured(1).toStdString(), m.captured(2).toStdString()).second, qPrintable(m.captured(1)));
    }
    std::set<std::string> sampleNames;
    for (const auto& f : proxy::metricFamilies()) {
        const auto it = typed.find(std::string(f.name));
        QVERIFY2(it != typed.end(), std::string(f.name).c_str());
        const char* want = f.type == proxy::MetricType::Counter ? "counter" : f.type == proxy::MetricType::Gauge ? "gauge" : "histogram";
        QCOMPARE(QString::fromStdString(it->second), QString(want));
        for (const auto& n : proxy::sampleNames(f))
            sampleNames.insert(n);
    }
    QCOMPARE(typed.size(), proxy::metricFamilies().size());
    // Every sample belongs to a family, with only the family's labels.
    std::string bad;
    for (const auto& s : parseSamples(m_exposition, &bad)) {
        QVERIFY2(sampleNames.count(s.name), s.name.c_str());
        for (const auto& f : proxy::metricFamilies()) {
            const auto names = proxy::sampleNames(f);
            if (std::find(names.begin(), names.end(), s.name) == names.end())
                continue;
            const std::string allowed = "," + std::string(f.labels) + (s.name.ends_with("_bucket") ? ",le," : ",");
            for (const auto& [k, v] : s.labels)
                QVERIFY2(allowed.find("," + k + ",") != std::string::npos, (s.name + " has label " + k).c_str());
        }
    }
}

void TestPrometheusExport::cleanupTestCase() {
    m_client.reset();
    m_service.reset();
}

#endif

QTEST_GUILESS_MAIN(TestPrometheusExport)
#include "test_prometheus_export.moc"
