// The simulator: argument parsing (bad input -> clear error), determinism, and the tutorial's
// Tickets 1 and 2 run through `simulate` with the sample manifests as the user would apply them.
#include <QtTest>

#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "sim/options.h"
#include "sim/simulator.h"
#include "qtest_names.h"

AIGW_QTEST_NAMES(aigw::routing::HostEvent::Type)
AIGW_QTEST_NAMES(aigw::routing::UpstreamFailure)

using namespace aigw;
using namespace aigw::sim;

namespace {

std::string samples() {
    const QByteArray dir = qgetenv("AIGW_SOURCE_DIR");
    return (dir.isEmpty() ? std::string(AIGW_TEST_SOURCE_DIR) : dir.toStdString()) + "/samples/";
}

std::shared_ptr<const config::Config> load(std::vector<std::string> files) {
    for (auto& f : files)
        f = samples() + f;
    auto r = config::loadFiles(files);
    if (!r.ok()) {
        for (const auto& e : r.errors)
            qWarning("%s", e.toString().c_str());
        return nullptr;
    }
    return std::make_shared<const config::Config>(std::move(r.config));
}

const std::vector<std::string> kTicket1 = {"gateway-setup.yaml", "primary-model.yaml", "secondary-model.yaml",
                                           "tertiary-model.yaml", "model-virtualization.yaml"};
std::vector<std::string> ticket2(bool corrected) {
    auto v = kTicket1;
    v.push_back("provider-fallback.yaml");
    if (corrected)
        v.push_back("provider-fallback-corrected.yaml");  // targets the HTTPRoute: wins over the Gateway policy
    return v;
}

SimOptions options(std::vector<std::string> args) {
    auto r = parseArgs(args);
    if (!r)
        qFatal("bad test arguments: %s", r.error().message.c_str());
    return r.value();
}

struct Collect : routing::RecordSink {
    std::vector<routing::RequestRecord> records;
    void onRequest(const routing::RequestRecord& r) override {
        routing::RequestRecord copy = r;
        records.push_back(std::move(copy));
    }
    void onHostEvent(const routing::HostEvent&) override {}
};

}  // namespace

class TestSimulate : public QObject {
    Q_OBJECT
private slots:
    // ---------------------------------------------------------------- arguments
    void badArguments_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("error");
        QTest::newRow("no model") << QStringList{"--requests", "5"} << "--model NAME is required";
        QTest::newRow("no requests") << QStringList{"--model", "m"} << "--requests N is required";
        QTest::newRow("zero requests") << QStringList{"--model", "m", "--requests", "0"} << "--requests needs a positive";
        QTest::newRow("requests not a number") << QStringList{"--model", "m", "--requests", "ten"} << "got 'ten'";
        QTest::newRow("negative rate") << QStringList{"--model", "m", "--requests", "1", "--rate", "-3"} << "--rate needs";
        QTest::newRow("bad seed") << QStringList{"--model", "m", "--requests", "1", "--seed", "x"} << "--seed needs";
        QTest::newRow("unknown flag") << QStringList{"--model", "m", "--requests", "1", "--fast"} << "unknown argument '--fast'";
        QTest::newRow("event without parts") << QStringList{"--model", "m", "--requests", "1", "--event", "10s"} << "expected AT:SERVER:ACTION";
        QTest::newRow("bad time") << QStringList{"--model", "m", "--requests", "1", "--event", "10x:a:stop"} << "bad time '10x'";
        QTest::newRow("time without unit") << QStringList{"--model", "m", "--requests", "1", "--event", "10:a:stop"} << "bad time '10'";
        QTest::newRow("unknown action") << QStringList{"--model", "m", "--requests", "1", "--event", "1s:a:reboot"} << "unknown action 'reboot'";
        QTest::newRow("bad fault") << QStringList{"--model", "m", "--requests", "1", "--event", "1s:a:fault=200"} << "fault must be";
        QTest::newRow("bad latency") << QStringList{"--model", "m", "--requests", "1", "--event", "1s:a:latency=fast"} << "latency must be";
        QTest::newRow("empty server") << QStringList{"--model", "m", "--requests", "1", "--event", "1s::stop"} << "empty server";
        QTest::newRow("--config without file") << QStringList{"--config", "--model", "m"} << "--config needs";
    }
    void badArguments() {
        QFETCH(QStringList, args);
        QFETCH(QString, error);
        std::vector<std::string> a;
        for (const auto& s : args)
            a.push_back(s.toStdString());
        const auto r = parseArgs(a);
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message.find(error.toStdString()) != std::string::npos, r.error().message.c_str());
    }
    void goodArguments() {
        const auto o = options({"--config", "a.yaml", "b.yaml", "--model", "qwen-with-fallback", "--requests", "100",
                                "--rate", "2.5", "--seed", "9", "--event", "1500ms:qwen-primary:stop", "--event",
                                "1m30s:qwen-primary:fault=429", "--event", "2s:x:fault=hang", "--event", "3s:x:latency=250",
                                "--event", "4s:x:fault=none", "--json"});
        QCOMPARE(o.configFiles, (std::vector<std::string>{"a.yaml", "b.yaml"}));
        QCOMPARE(o.requests, std::uint64_t(100));
        QCOMPARE(o.rate, 2.5);
        QCOMPARE(o.seed, std::uint64_t(9));
        QVERIFY(o.json);
        QCOMPARE(o.events.size(), std::size_t(5));
        QCOMPARE(o.events[0].at, ms(1500));
        QCOMPARE(o.events[0].action, ServerEvent::Action::Stop);
        QCOMPARE(o.events[1].at, secs(90));
        QCOMPARE(o.events[1].faultStatus, 429);
        QCOMPARE(o.events[2].faultStatus, ServerEvent::kHang);
        QCOMPARE(o.events[3].latency, ms(250));
        QCOMPARE(o.events[4].faultStatus, 0);
    }
    void unknownModelAndServerAreErrors() {
        auto cfg = load(ticket2(false));
        QVERIFY(cfg);
        auto r = simulate(cfg, options({"--model", "gpt-5", "--requests", "3"}));
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message.find("unknown model 'gpt-5'") != std::string::npos, r.error().message.c_str());
        QVERIFY(r.error().message.find("qwen-with-fallback") != std::string::npos);  // lists what exists
        r = simulate(cfg, options({"--model", "qwen-with-fallback", "--requests", "3", "--event", "1s:qwen-primry:stop"}));
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message.find("unknown server 'qwen-primry'") != std::string::npos, r.error().message.c_str());
        QVERIFY(r.error().message.find("qwen-primary, qwen-secondary, qwen-tertiary") != std::string::npos);
    }

    // ---------------------------------------------------------------- determinism
    void sameSeedSameOutput() {
        auto cfg = load(ticket2(true));
        const auto o = options({"--model", "qwen-with-fallback", "--requests", "2000", "--rate", "20", "--seed", "5",
                                "--event", "10s:qwen-primary:stop", "--event", "60s:qwen-primary:start"});
        const std::string a = toJson(simulate(cfg, o).value());
        const std::string b = toJson(simulate(cfg, o).value());
        QCOMPARE(a, b);
        QCOMPARE(toTable(simulate(cfg, o).value()), toTable(simulate(cfg, o).value()));
        const auto j = nlohmann::json::parse(a);
        for (const char* key : {"requests", "succeeded", "failed", "by_backend", "by_status", "attempts", "ejections"})
            QVERIFY2(j.contains(key), key);
    }

    // ---------------------------------------------------------------- Ticket 1
    void ticket1SplitWithinOnePoint_data() {
        QTest::addColumn<QString>("seed");
        for (const char* s : {"1", "2", "7", "42", "2024"})
            QTest::newRow(s) << s;
    }
    void ticket1SplitWithinOnePoint() {
        QFETCH(QString, seed);
        auto cfg = load(kTicket1);
        QVERIFY(cfg);
        const auto r = simulate(cfg, options({"--model", "virtual-qwen-model", "--requests", "10000", "--rate", "50",
                                              "--seed", seed.toStdString()}))
                           .value();
        QCOMPARE(r.requests, std::uint64_t(10000));
        QCOMPARE(r.failed, std::uint64_t(0));
        const std::map<std::string, double> want = {{"envoy-ai-gateway-qwen-primary", 50.0},
                                                    {"envoy-ai-gateway-qwen-secondary", 30.0},
                                                    {"envoy-ai-gateway-qwen-tertiary", 20.0}};
        for (const auto& [backend, share] : want) {
            const double got = 100.0 * static_cast<double>(r.byBackend.at(backend)) / 10000.0;
            QVERIFY2(std::abs(got - share) <= 1.0, qPrintable(QString("%1: %2%").arg(backend.c_str()).arg(got)));
        }
        // the upstream model is the override, never the virtual name
        QCOMPARE(r.byUpstreamModel.count("virtual-qwen-model"), std::size_t(0));
        QCOMPARE(r.byUpstreamModel.at("qwen2.5:1.5b"), r.byBackend.at("envoy-ai-gateway-qwen-primary"));
    }

    // ---------------------------------------------------------------- Ticket 2
    // 10 rps for 60 s; qwen-primary stops at 10 s and starts again at 40 s.
    void ticket2AsWrittenFailsWith503() {
        auto cfg = load(ticket2(false));
        Collect c;
        const auto r = simulate(cfg, options({"--model", "qwen-with-fallback", "--requests", "600", "--event",
                                              "10s:qwen-primary:stop", "--event", "40s:qwen-primary:start"}),
                                &c)
                           .value();
        // Requests starting in [10 s, 39 s) make 4 attempts, all at P0 (no numAttemptsPerPriority):
        // 503. In the last second some retries land after the restart (backoffs up to 100+300+700 ms).
        QVERIFY2(r.failed >= 290 && r.failed <= 300, qPrintable(QString::number(r.failed)));
        QCOMPARE(r.byStatus.at(503), r.failed);
        QCOMPARE(r.byBackend.count("envoy-ai-gateway-qwen-secondary-fb"), std::size_t(0));
        for (const auto& rec : c.records) {
            if (rec.start >= TimePoint(secs(10)) && rec.start < TimePoint(secs(39))) {
                QCOMPARE(rec.finalStatus, 503);
                QCOMPARE(rec.attempts.size(), std::size_t(4));
                for (const auto& a : rec.attempts)
                    QCOMPARE(a.backend, std::string("envoy-ai-gateway-qwen-primary-fb"));
                QVERIFY(rec.error.find("upstream connect error or disconnect/reset before headers. retried") == 0);
            } else if (rec.start < TimePoint(secs(10)) || rec.start >= TimePoint(secs(40))) {
                QCOMPARE(rec.finalStatus, 200);
                QCOMPARE(rec.finalBackend, std::string("envoy-ai-gateway-qwen-primary-fb"));
            }
        }
        QCOMPARE(r.segments.size(), std::size_t(3));
        QCOMPARE(r.segments[1].failed, r.failed);
    }
    void ticket2CorrectedHasNoFailures() {
        auto cfg = load(ticket2(true));
        Collect c;
        const auto r = simulate(cfg, options({"--model", "qwen-with-fallback", "--requests", "600", "--event",
                                              "10s:qwen-primary:stop", "--event", "40s:qwen-primary:start"}),
                                &c)
                           .value();
        QCOMPARE(r.failed, std::uint64_t(0));
        // every request while the primary is down is answered by the secondary
        std::uint64_t downCount = 0;
        for (const auto& rec : c.records) {
            QCOMPARE(rec.finalStatus, 200);
            if (rec.start >= TimePoint(secs(10)) && rec.start < TimePoint(secs(40))) {
                ++downCount;
                QCOMPARE(rec.finalBackend, std::string("envoy-ai-gateway-qwen-secondary-fb"));
                QCOMPARE(rec.attempts.back().upstreamModel, std::string("qwen2.5:0.5b"));
            }
            if (rec.start < TimePoint(secs(10)))
                QCOMPARE(rec.finalBackend, std::string("envoy-ai-gateway-qwen-primary-fb"));
        }
        QCOMPARE(downCount, std::uint64_t(300));
        // consecutive5XxErrors 3 + maxEjectionPercent 50: the primary is ejected, then the
        // secondary takes requests directly (one attempt) until the ejection ends
        QVERIFY(r.counters.outlier_ejections_enforced_total >= 1);
        QCOMPARE(r.hostEvents.front().type, routing::HostEvent::Type::Ejected);
        QCOMPARE(r.hostEvents.front().server, std::string("qwen-primary"));
        QVERIFY(r.attempts.at(1) > 500);
        // after the restart (and the 30 s x n ejection), the primary serves again
        QVERIFY(c.records.back().finalBackend == "envoy-ai-gateway-qwen-primary-fb");
        QCOMPARE(r.segments.at(1).byBackend.count("envoy-ai-gateway-qwen-primary-fb"), std::size_t(0));
    }
    void deleteIsNotStop() {
        // Reference 3.5: deleting the InferenceService removes the name at the gateway's next DNS
        // refresh, not at once. Phase one (until the refresh): the old address drops packets, every
        // attempt is a 10 s connect timeout, and the tutorial's retries all stay on priority 0, so a
        // request whose retries run out before the refresh fails with 503. Phase two: the host is
        // removed in both clusters that use the hostname, priority 0 is empty and priority 1 answers.
        auto cfg = load(ticket2(false));
        Collect seen;
        const auto r = simulate(cfg,
                                options({"--model", "qwen-with-fallback", "--requests", "1000", "--dns-refresh", "60s",
                                         "--event", "10s:qwen-primary:delete"}),
                                &seen)
                           .value();
        QCOMPARE(r.hostEvents.size(), std::size_t(2));
        for (const auto& e : r.hostEvents) {
            QCOMPARE(e.type, routing::HostEvent::Type::Removed);
            QCOMPARE(e.at.time_since_epoch(), Duration(secs(70)));  // 10 s + the 60 s refresh
        }
        QVERIFY(r.hostEvents[0].route != r.hostEvents[1].route);
        std::uint64_t phase1Failed = 0, phase2Ok = 0;
        for (const auto& rec : seen.records) {
            const Duration start = rec.start.time_since_epoch();
            if (start < secs(10)) {
                QCOMPARE(rec.finalStatus, 200);
            } else if (start < secs(38)) {
                // 4 attempts x 10 s connect timeouts (+ backoff), all before the refresh at 70 s.
                QCOMPARE(rec.finalStatus, 503);
                QCOMPARE(rec.attempts.size(), std::size_t(4));
                QVERIFY(rec.error.find("connection timeout") != std::string::npos);
                for (const auto& a : rec.attempts)
                    QCOMPARE(a.failure, routing::UpstreamFailure::ConnectTimeout);
                ++phase1Failed;
            } else if (start >= secs(70)) {
                QCOMPARE(rec.finalStatus, 200);
                QCOMPARE(rec.finalBackend, std::string("envoy-ai-gateway-qwen-secondary-fb"));
                QCOMPARE(rec.attempts.size(), std::size_t(1));
                ++phase2Ok;
            }
        }
        QCOMPARE(phase1Failed, std::uint64_t(280));
        QCOMPARE(phase2Ok, std::uint64_t(300));
        // A stop never gets to phase two: the host stays, every request fails with connection refused.
        const auto stopped = simulate(cfg, options({"--model", "qwen-with-fallback", "--requests", "100", "--event",
                                                    "0s:qwen-primary:stop"}))
                                 .value();
        QCOMPARE(stopped.failed, std::uint64_t(100));
        QVERIFY(stopped.hostEvents.empty());
    }
    void reapplyAfterDeleteResolvesAtTheNextRefresh() {
        auto cfg = load(ticket2(true));
        const auto r = simulate(cfg, options({"--model", "qwen-with-fallback", "--requests", "10", "--dns-refresh", "0s",
                                              "--event", "0s:qwen-primary:delete", "--event", "0s:qwen-primary:reapply"}))
                           .value();
        QCOMPARE(r.failed, std::uint64_t(0));
        Collect seen;
        const auto r2 = simulate(cfg,
                                 options({"--model", "qwen-with-fallback", "--requests", "400", "--event",
                                          "1s:qwen-primary:delete", "--event", "5s:qwen-primary:reapply"}),
                                 &seen)
                            .value();
        // Deleted at 1 s and re-applied at 5 s: the pending removal is cancelled (the name was back
        // before the refresh), so no host ever left; requests 1-5 s time out on connect and fall back.
        QVERIFY(r2.hostEvents.empty());
        QCOMPARE(r2.failed, std::uint64_t(0));
        for (const auto& rec : seen.records)
            if (rec.start.time_since_epoch() >= secs(1) && rec.start.time_since_epoch() < secs(5)) {
                QCOMPARE(rec.attempts.front().failure, routing::UpstreamFailure::ConnectTimeout);
                QCOMPARE(rec.finalBackend, std::string("envoy-ai-gateway-qwen-secondary-fb"));
            }
    }
    void faultsAndTimeouts() {
        auto cfg = load(ticket2(false));
        // 429 is not in the tutorial's list: forwarded; 503 is: retried 3 times on P0 and forwarded
        auto r = simulate(cfg, options({"--model", "qwen-with-fallback", "--requests", "20", "--event",
                                        "0s:qwen-primary:fault=429"}))
                     .value();
        QCOMPARE(r.byStatus.at(429), std::uint64_t(20));
        QCOMPARE(r.attempts.at(1), std::uint64_t(20));
        r = simulate(cfg, options({"--model", "qwen-with-fallback", "--requests", "20", "--event", "0s:qwen-primary:fault=503"}))
                .value();
        QCOMPARE(r.byStatus.at(503), std::uint64_t(20));
        QCOMPARE(r.attempts.at(4), std::uint64_t(20));
        // hang: perRetry.timeout 30 s is not retried by connect-failure/retriable-status-codes -> 504 after 30 s
        // (the per-try timer starts once the request was sent; connects are instant here)
        r = simulate(cfg, options({"--model", "qwen-with-fallback", "--requests", "3", "--event", "0s:qwen-primary:fault=hang"}))
                .value();
        QCOMPARE(r.byStatus.at(504), std::uint64_t(3));
        QCOMPARE(r.latencyMaxMs, 30000.0);
        // latency=MS changes the time to answer (+-20% jitter)
        r = simulate(cfg, options({"--model", "qwen-with-fallback", "--requests", "200", "--event", "0s:qwen-primary:latency=1000"}))
                .value();
        QVERIFY(r.latencyP50Ms >= 800 && r.latencyP50Ms <= 1200);
    }
};

QTEST_APPLESS_MAIN(TestSimulate)
#include "test_simulate.moc"
