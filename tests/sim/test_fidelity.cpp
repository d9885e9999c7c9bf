// Fidelity II in virtual time: the cluster's real timing and defaults (reference section 3.5), one
// table per point of the issue, each row a config and a server event with the outcome the real
// gateway gives. Timings are exact where the servers' behaviour is exact (hang, black hole,
// refused); a normal answer takes its latency +-20%.
#include <QtTest>

#include <map>

#include "config/loader.h"
#include "sim/options.h"
#include "sim/simulator.h"
#include "qtest_names.h"

AIGW_QTEST_NAMES(aigw::routing::UpstreamFailure)

using namespace aigw;
using namespace aigw::sim;

namespace {

/// One AIGatewayRoute "r" with model "m" over p0 (priority 0) and p1 (priority 1), optionally a
/// BackendTrafficPolicy targeting its HTTPRoute. `rule` and `policy` are YAML inserted as they are.
std::string manifest(const std::string& rule, const std::string& policy, bool withP1 = true) {
    std::string y =
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: default}\n"
        "spec:\n  gatewayClassName: c\n  listeners: [{name: http, protocol: HTTP, port: 80}]\n---\n"
        "apiVersion: aigateway.envoyproxy.io/v1beta1\n"
        "kind: AIGatewayRoute\n"
        "metadata: {name: r, namespace: default}\n"
        "spec:\n"
        "  parentRefs: [{name: gw, kind: Gateway, group: gateway.networking.k8s.io}]\n"
        "  rules:\n"
        "  - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: m}]}]\n"
        "    backendRefs:\n"
        "    - {name: p0, priority: 0}\n";
    if (withP1)
        y += "    - {name: p1, priority: 1}\n";
    y += rule;
    for (const char* b : {"p0", "p1"}) {
        y += std::string("---\napiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIServiceBackend\nmetadata: {name: ") + b +
             ", namespace: default}\nspec:\n  schema: {name: OpenAI}\n  backendRef: {name: " + b +
             ", kind: Backend, group: gateway.envoyproxy.io}\n";
        y += std::string("---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {name: ") + b +
             ", namespace: default}\nspec:\n  endpoints: [{fqdn: {hostname: " + b + ".default.svc.cluster.local, port: 80}}]\n";
    }
    if (!policy.empty())
        y += "---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\n"
             "metadata: {name: pol, namespace: default}\nspec:\n"
             "  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]\n" +
             policy;
    return y;
}

std::shared_ptr<const config::Config> load(const std::string& yaml) {
    auto r = config::loadString(yaml, "fidelity.yaml");
    if (!r.ok()) {
        for (const auto& e : r.errors)
            qWarning("%s", e.toString().c_str());
        return nullptr;
    }
    return std::make_shared<const config::Config>(std::move(r.config));
}

struct Collect : routing::RecordSink {
    std::vector<routing::RequestRecord> records;
    void onRequest(const routing::RequestRecord& r) override { records.push_back(r); }
    void onHostEvent(const routing::HostEvent&) override {}
};

/// Runs `requests` requests of model m, one per second, with the given extra arguments.
std::vector<routing::RequestRecord> run(const std::string& yaml, const QStringList& extra, int requests = 1,
                                        SimReport* report = nullptr) {
    auto cfg = load(yaml);
    if (!cfg)
        qFatal("test config does not load");
    std::vector<std::string> args = {"--model", "m", "--requests", std::to_string(requests), "--rate", "1"};
    for (const auto& a : extra)
        args.push_back(a.toStdString());
    auto opts = parseArgs(args);
    if (!opts)
        qFatal("bad test arguments: %s", opts.error().message.c_str());
    Collect c;
    auto r = simulate(cfg, opts.value(), &c);
    if (!r)
        qFatal("simulate failed: %s", r.error().message.c_str());
    if (report)
        *report = r.value();
    return c.records;
}

const char* kRetryP1 = "  retry:\n    numAttemptsPerPriority: 1\n    numRetries: 1\n";

}  // namespace

class TestFidelity : public QObject {
    Q_OBJECT
private slots:
    // Each row: the rule's extra YAML, the policy, simulate arguments, and the first request's
    // expected status, attempts, answering backend ("" for a local reply) and latency (ms; -1: not
    // exact, checked within +-20% of `approxMs`).
    void table_data() {
        QTest::addColumn<QString>("rule");
        QTest::addColumn<QString>("policy");
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("attempts");
        QTest::addColumn<QString>("backend");
        QTest::addColumn<double>("latencyMs");
        QTest::addColumn<QString>("error");
        const QString retry = kRetryP1;
        const QString perTry1s = retry + "    perRetry: {timeout: 1s}\n";

        // ---- 1. per-try timeout
        QTest::newRow("1a per-try not retried by connect-failure/retriable-status-codes: 504 after 1 s")
            << "" << perTry1s + "    retryOn: {triggers: [connect-failure, retriable-status-codes], httpStatusCodes: [503]}\n"
            << QStringList{"--event", "0s:p0:fault=hang"} << 504 << 1 << "" << 1000.0 << "upstream request timeout";
        QTest::newRow("1b per-try retried under reset: priority 1 answers")
            << "" << perTry1s + "    retryOn: {triggers: [reset]}\n" << QStringList{"--event", "0s:p0:fault=hang", "--event", "0s:p1:latency=100"}
            << 200 << 2 << "p1" << -1.0 << "";
        QTest::newRow("1c per-try retried under 5xx and gateway-error")
            << "" << perTry1s + "    retryOn: {triggers: [gateway-error]}\n" << QStringList{"--event", "0s:p0:fault=hang"}
            << 200 << 2 << "p1" << -1.0 << "";
        QTest::newRow("1d a stream longer than the per-try timeout is not cut")
            << "" << perTry1s + "    retryOn: {triggers: [reset]}\n"
            << QStringList{"--stream-share", "1", "--event", "0s:p0:latency=3000"} << 200 << 1 << "p0" << -3000.0 << "";
        QTest::newRow("1e the same answer unstreamed times out and fails over")
            << "" << perTry1s + "    retryOn: {triggers: [reset]}\n" << QStringList{"--event", "0s:p0:latency=3000"}
            << 200 << 2 << "p1" << -1.0 << "";
        QTest::newRow("1f per-try does not cover the connect: black hole fails at the 5 s connect timeout")
            << "" << perTry1s + "    retryOn: {triggers: [reset]}\n  timeout: {tcp: {connectTimeout: 5s}}\n"
            << QStringList{"--event", "0s:p0:fault=blackhole", "--event", "0s:p1:fault=hang"} << 504 << 2 << "" << -1.0
            << "upstream request timeout";
        QTest::newRow("1g a per-try timeout of 0s is disabled (the route timeout ends it)")
            << "    timeouts: {request: 4s}\n" << retry + "    perRetry: {timeout: 0s}\n    retryOn: {triggers: [reset]}\n"
            << QStringList{"--event", "0s:p0:fault=hang"} << 504 << 1 << "" << 4000.0 << "upstream request timeout";

        // ---- 2. connect timeout and black hole
        QTest::newRow("2a black hole: 10 s connect timeout (EG default), retried by connect-failure")
            << "" << retry + "    retryOn: {triggers: [connect-failure]}\n" << QStringList{"--event", "0s:p0:fault=blackhole"}
            << 200 << 2 << "p1" << -1.0 << "";
        QTest::newRow("2b black hole without connect-failure: 503 connection timeout after 10 s")
            << "" << retry + "    retryOn: {triggers: [retriable-status-codes], httpStatusCodes: [503]}\n"
            << QStringList{"--event", "0s:p0:fault=blackhole"} << 503 << 1 << "" << 10000.0 << "reset reason: connection timeout";
        QTest::newRow("2c connectTimeout 2s from the policy")
            << "" << "  timeout: {tcp: {connectTimeout: 2s}}\n" << QStringList{"--event", "0s:p0:fault=blackhole"} << 503 << 1
            << "" << 2000.0 << "connection timeout";

        // ---- 3. route timeout
        QTest::newRow("3a default timeouts.request is 60 s") << "" << "" << QStringList{"--event", "0s:p0:fault=hang"} << 504 << 1
                                                             << "" << 60000.0 << "upstream request timeout";
        QTest::newRow("3b a BTP requestTimeout does not override the route's 60 s")
            << "" << "  timeout: {http: {requestTimeout: 5s}}\n" << QStringList{"--event", "0s:p0:fault=hang"} << 504 << 1
            << "" << 60000.0 << "upstream request timeout";
        QTest::newRow("3c timeouts.request 0s disables it: a 90 s answer arrives")
            << "    timeouts: {request: 0s}\n" << "" << QStringList{"--event", "0s:p0:latency=90000"} << 200 << 1 << "p0"
            << -90000.0 << "";
        QTest::newRow("3d timeouts.backendRequest is the route timeout (no Gateway API retry)")
            << "    timeouts: {request: 30s, backendRequest: 3s}\n" << "" << QStringList{"--event", "0s:p0:fault=hang"} << 504 << 1
            << "" << 3000.0 << "upstream request timeout";
        QTest::newRow("3e streamIdleTimeout 0s is disabled")
            << "    timeouts: {request: 5s}\n    streamIdleTimeout: 0s\n" << "" << QStringList{"--event", "0s:p0:fault=hang"}
            << 504 << 1 << "" << 5000.0 << "upstream request timeout";

        // ---- 4. Envoy Gateway retry defaults
        QTest::newRow("4a retry without retryOn: connect-failure is a default, falls back")
            << "" << retry << QStringList{"--event", "0s:p0:stop"} << 200 << 2 << "p1" << -1.0 << "";
        QTest::newRow("4b retry without retryOn: 503 is a default code") << "" << retry
                                                                       << QStringList{"--event", "0s:p0:fault=503"} << 200 << 2
                                                                       << "p1" << -1.0 << "";
        QTest::newRow("4c retry without retryOn: 500 is not") << "" << retry << QStringList{"--event", "0s:p0:fault=500"} << 500
                                                              << 1 << "p0" << -1.0 << "";
        QTest::newRow("4d retryOn without triggers keeps the defaults") << "" << retry + "    retryOn: {}\n"
                                                                        << QStringList{"--event", "0s:p0:stop"} << 200 << 2
                                                                        << "p1" << -1.0 << "";
        QTest::newRow("4e httpStatusCodes: [] means no codes") << "" << retry + "    retryOn: {httpStatusCodes: []}\n"
                                                               << QStringList{"--event", "0s:p0:fault=503"} << 503 << 1 << "p0"
                                                               << -1.0 << "";
        QTest::newRow("4f httpStatusCodes [500] replaces 503") << "" << retry + "    retryOn: {httpStatusCodes: [500]}\n"
                                                               << QStringList{"--event", "0s:p0:fault=503"} << 503 << 1 << "p0"
                                                               << -1.0 << "";
        QTest::newRow("4g no numAttemptsPerPriority: retries stay on priority 0")
            << "" << "  retry: {numRetries: 2}\n" << QStringList{"--event", "0s:p0:stop"} << 503 << 3 << "" << -1.0
            << "retried and the latest reset reason: remote connection failure";

        // ---- 6. a cluster with no host at all
        QTest::newRow("6 deleted sole backend after the refresh: 503 no healthy upstream, no attempt")
            << "" << retry << QStringList{"--dns-refresh", "0s", "--event", "0s:p0:delete"} << 503 << 0 << "" << 0.0
            << "no healthy upstream";
    }
    void table() {
        QFETCH(QString, rule);
        QFETCH(QString, policy);
        QFETCH(QStringList, args);
        QFETCH(int, status);
        QFETCH(int, attempts);
        QFETCH(QString, backend);
        QFETCH(double, latencyMs);
        QFETCH(QString, error);
        const bool single = QString(QTest::currentDataTag()).startsWith("6 ");
        const auto records = run(manifest(rule.toStdString(), policy.toStdString(), !single), args);
        QCOMPARE(records.size(), std::size_t(1));
        const auto& r = records.front();
        QCOMPARE(r.finalStatus, status);
        QCOMPARE(static_cast<int>(r.attempts.size()), attempts);
        QCOMPARE(QString::fromStdString(r.finalBackend), backend);
        const double got = std::chrono::duration<double, std::milli>(r.latency).count();
        if (latencyMs >= 0)
            QCOMPARE(got, latencyMs);
        else if (latencyMs < -1.0)
            QVERIFY2(got >= -latencyMs * 0.8 && got <= -latencyMs * 1.2, qPrintable(QString::number(got)));
        QVERIFY2(QString::fromStdString(r.error).contains(error), r.error.c_str());
    }

    void connectTimeNotCoveredByPerTry() {
        // 1f in detail: the black-holed attempt lasts the connect timeout (5 s), not the 1 s per-try.
        const auto records =
            run(manifest("", std::string(kRetryP1) + "    perRetry: {timeout: 1s}\n    retryOn: {triggers: [connect-failure]}\n"
                                                    "  timeout: {tcp: {connectTimeout: 5s}}\n"),
                {"--event", "0s:p0:fault=blackhole"});
        const auto& a = records.at(0).attempts;
        QCOMPARE(a.size(), std::size_t(2));
        QCOMPARE(a[0].failure, routing::UpstreamFailure::ConnectTimeout);
        QCOMPARE(a[0].duration, Duration(secs(5)));
        QCOMPARE(a[1].backend, std::string("p1"));
    }

    void routeTimeoutCutsAStreamAfterHeaders() {
        // Only the route timeout ends a stream: cut at 4 s, headers already went out (200, broken body).
        SimReport rep;
        const auto records = run(manifest("    timeouts: {request: 4s}\n", ""),
                                 {"--stream-share", "1", "--event", "0s:p0:latency=9000"}, 1, &rep);
        QCOMPARE(records.at(0).finalStatus, 200);
        QCOMPARE(records.at(0).attempts.at(0).failure, routing::UpstreamFailure::RequestTimeout);
        QCOMPARE(records.at(0).latency, Duration(secs(4)));
        QVERIFY(records.at(0).error.find("stream reset") != std::string::npos);
        QCOMPARE(rep.counters.rq_timeout, std::uint64_t(1));
    }

    void backoffBounds() {
        // 5. retry n (from 0) waits U[0, min(25ms x 2^n, 250ms)): 25, 50, 100, 200 ms bounds.
        const auto records = run(manifest("", "  retry: {numRetries: 4}\n", false), {"--event", "0s:p0:stop"}, 400);
        const Duration bounds[] = {ms(25), ms(50), ms(100), ms(200)};
        Duration seenMax[4]{};
        for (const auto& r : records) {
            QCOMPARE(r.attempts.size(), std::size_t(5));
            for (std::size_t n = 0; n < 4; ++n) {
                const Duration b = r.attempts[n + 1].backoffBefore;
                QVERIFY(b < bounds[n]);
                seenMax[n] = std::max(seenMax[n], b);
            }
        }
        for (std::size_t n = 0; n < 4; ++n)  // 400 draws reach the top of each range
            QCOMPARE(seenMax[n], bounds[n] - ms(1));
    }

    void perTryAtOrAboveRouteTimeoutIsDropped() {
        // Envoy drops the per-try timeout: the one timer that fires is the route's (rq_timeout, not
        // a per-try timeout).
        SimReport rep;
        run(manifest("    timeouts: {request: 3s}\n",
                     std::string(kRetryP1) + "    perRetry: {timeout: 3s}\n    retryOn: {triggers: [reset]}\n"),
            {"--event", "0s:p0:fault=hang"}, 1, &rep);
        QCOMPARE(rep.counters.rq_per_try_timeout, std::uint64_t(0));
        QCOMPARE(rep.counters.rq_timeout, std::uint64_t(1));
        QCOMPARE(rep.byStatus.at(504), std::uint64_t(1));
        // 2 s < 3 s stays: retried under reset, priority 1 answers.
        run(manifest("    timeouts: {request: 3s}\n",
                     std::string(kRetryP1) + "    perRetry: {timeout: 2s}\n    retryOn: {triggers: [reset]}\n"),
            {"--event", "0s:p0:fault=hang", "--event", "0s:p1:latency=100"}, 1, &rep);
        QCOMPARE(rep.counters.rq_per_try_timeout, std::uint64_t(1));
        QCOMPARE(rep.byStatus.at(200), std::uint64_t(1));
    }

    void routeNotAcceptedIsNotServed() {
        // 7. A backendRef naming a missing AIServiceBackend: the whole route is not accepted.
        std::string y = manifest("", "");
        y.replace(y.find("- {name: p1, priority: 1}"), 25, "- {name: px, priority: 1}");
        auto loaded = config::loadString(y, "fidelity.yaml");
        QVERIFY(!loaded.ok());
        QVERIFY(loaded.onlyReferenceErrors());  // a cluster accepts the apply; the route is NotAccepted
        auto cfg = std::make_shared<const config::Config>(std::move(loaded.config));
        QCOMPARE(routing::routeStatuses(*cfg).at(0).accepted, false);
        auto opts = parseArgs({"--model", "m", "--requests", "1"}).value();
        const auto r = simulate(cfg, opts);
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message.find("unknown model 'm'") != std::string::npos, r.error().message.c_str());
    }
};

QTEST_APPLESS_MAIN(TestFidelity)
#include "test_fidelity.moc"
