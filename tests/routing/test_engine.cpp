// The engine end to end on a manual clock: model matching, reference section 3.2 row by row,
// weighted split, timeouts, statuses, endpoint removal, config swaps, records.
#include <QtTest>

#include <set>

#include <nlohmann/json.hpp>

#include "routing/engine_impl.h"
#include "routing_fixtures.h"
#include "qtest_names.h"

AIGW_QTEST_NAMES(aigw::routing::HostEvent::Type)
AIGW_QTEST_NAMES(aigw::routing::RetryStatus)
AIGW_QTEST_NAMES(aigw::routing::UpstreamFailure)

using namespace aigw;
using namespace aigw::routing;
using namespace aigw::testing;

namespace {
// Ticket 2's shape: primary P0 (override qwen2.5:1.5b), secondary P1 (override qwen2.5:0.5b).
std::vector<Ref> ticket2Refs() {
    return {{"primary", 1, 0, std::string("qwen2.5:1.5b")}, {"secondary", 1, 1, std::string("qwen2.5:0.5b")}};
}
Harness::Behaviour answering(std::string backend, int status) {
    return [backend, status](const AttemptTarget& t) {
        if (t.backend == backend)
            return std::make_pair(AttemptOutcome::httpStatus(status), ms(10));
        return std::make_pair(AttemptOutcome::ok(), ms(100));
    };
}
Harness::Behaviour hanging(std::string backend) {
    return [backend](const AttemptTarget& t) {
        if (t.backend == backend)
            return std::make_pair(AttemptOutcome::ok(), secs(3600));  // never answers in time
        return std::make_pair(AttemptOutcome::ok(), ms(100));
    };
}
}  // namespace

class TestEngine : public QObject {
    Q_OBJECT
private slots:
    // ---------------------------------------------------------------- model extraction / matching
    void bodyModelOverwritesTheClientHeader() {
        Harness h(makeConfig("virtual", {{"a"}}));
        // the client sends x-ai-eg-model: virtual, but the body says "other": the body wins -> 404
        const auto r = h.send("other", {{"X-AI-EG-Model", "virtual"}});
        QCOMPARE(r.finalStatus, 404);
        QCOMPARE(h.last.response.body, std::string(kNoRouteBody));
        QCOMPARE(h.last.response.contentType, std::string("text/plain"));
        // and the other way round
        QCOMPARE(h.send("virtual", {{"x-ai-eg-model", "other"}}).finalStatus, 200);
    }
    void noRouteIsTheRealText() {
        Harness h(makeConfig("virtual", {{"a"}}));
        const RouteResult rr = h.engine->route("nope", {});
        QVERIFY(!rr.matched);
        QCOMPARE(rr.notFound.status, 404);
        QCOMPARE(rr.notFound.body, std::string("No matching route found. It is likely because the model specified in "
                                               "your request is not configured in the Gateway."));
        QCOMPARE(h.send("").finalStatus, 404);  // a missing/empty model never matches
        QCOMPARE(h.engine->counters().rq_no_route, std::uint64_t(1));
        QVERIFY(h.records.back().attempts.empty());
    }
    void precedence_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("tenant");
        QTest::addColumn<QString>("backend");
        QTest::newRow("2 headers beat 1") << "qwen-x" << "gold" << "two-headers";
        QTest::newRow("without the tenant header: Exact beats RegularExpression") << "qwen-x" << "" << "exact";
        QTest::newRow("only the regex matches") << "qwen-y" << "" << "regex";
        QTest::newRow("same precedence: first route in input order") << "dup" << "" << "first";
        QTest::newRow("nothing: 404") << "llama" << "" << "";
    }
    void precedence() {
        QFETCH(QString, model);
        QFETCH(QString, tenant);
        QFETCH(QString, backend);
        config::Config c;
        auto addRoute = [&](const std::string& name, std::vector<config::HeaderMatch> headers, const std::string& be) {
            config::AIGatewayRoute r;
            r.meta.name = name;
            config::RouteRule rule;
            rule.matches.push_back(config::RouteMatch{std::move(headers)});
            config::BackendRefSpec ref;
            ref.name = be;
            rule.backendRefs.push_back(ref);
            r.rules.push_back(rule);
            c.routes.push_back(r);
            config::AIServiceBackend asb;
            asb.meta.name = be;
            asb.backendRef.name = be;
            c.serviceBackends.push_back(asb);
            config::Backend b;
            b.meta.name = be;
            b.endpoints.push_back(config::Endpoint{config::EndpointType::Fqdn, be + ".svc", 80});
            c.backends.push_back(b);
        };
        using T = config::HeaderMatchType;
        addRoute("r-regex", {{T::RegularExpression, "x-ai-eg-model", "qwen-.*"}}, "regex");
        addRoute("r-exact", {{T::Exact, "x-ai-eg-model", "qwen-x"}}, "exact");
        addRoute("r-two", {{T::Exact, "x-ai-eg-model", "qwen-x"}, {T::Exact, "x-tenant", "gold"}}, "two-headers");
        addRoute("r-first", {{std::nullopt, "x-ai-eg-model", "dup"}}, "first");
        addRoute("r-second", {{T::Exact, "x-ai-eg-model", "dup"}}, "second");
        Harness h(c);
        Headers headers;
        if (!tenant.isEmpty())
            headers.push_back({"X-Tenant", tenant.toStdString()});
        const auto r = h.send(model.toStdString(), headers);
        QCOMPARE(QString::fromStdString(r.finalBackend), backend);
        QCOMPARE(r.finalStatus, backend.isEmpty() ? 404 : 200);
        // /v1/models lists Exact values only, in route order, without dedup
        QCOMPARE(h.engine->models(), (std::vector<std::string>{"qwen-x", "qwen-x", "dup", "dup"}));
    }
    void invalidRegexIsAProblemNotACrash() {
        config::Config c = makeConfig("m", {{"a"}});
        c.routes[0].rules[0].matches[0].headers[0] = {config::HeaderMatchType::RegularExpression, "x-ai-eg-model", "(unclosed"};
        Harness h(c);
        QCOMPARE(h.engine->problems().size(), std::size_t(1));
        QVERIFY(h.engine->problems()[0].message.find("invalid regular expression") != std::string::npos);
        QCOMPARE(h.send("m").finalStatus, 404);
    }
    void modelOverridePerAttempt() {
        Harness h(makeConfig("qwen-with-fallback", ticket2Refs(), fallbackRetry()));
        h.behaviour = refusing({"primary"});
        const auto r = h.send("qwen-with-fallback");
        QCOMPARE(r.attempts.size(), std::size_t(2));
        QCOMPARE(r.attempts[0].upstreamModel, std::string("qwen2.5:1.5b"));
        QCOMPARE(r.attempts[1].upstreamModel, std::string("qwen2.5:0.5b"));
        QCOMPARE(r.virtualModel, std::string("qwen-with-fallback"));
        Harness plain(makeConfig("m", {{"a"}}));
        QCOMPARE(plain.send("m").attempts[0].upstreamModel, std::string("m"));  // no override: the original
    }

    // ---------------------------------------------------------------- reference section 3.2
    // P0 refuses connections; P1 is fine. One row per configuration.
    void section32NoPolicy() {
        Harness h(makeConfig("m", ticket2Refs()));
        h.behaviour = refusing({"primary"});
        for (int i = 0; i < 5; ++i) {
            const auto r = h.send("m");
            QCOMPARE(r.finalStatus, 503);  // every request: P0 is always "healthy"
            QCOMPARE(r.attempts.size(), std::size_t(1));
            QCOMPARE(r.attempts[0].failure, UpstreamFailure::ConnectFailure);
        }
        QVERIFY(h.last.response.local);
        QVERIFY(h.records.back().error.find("upstream connect error or disconnect/reset before headers") == 0);
        // section 3.3: wrapped as an OpenAI error by the router ext_proc
        const auto j = nlohmann::json::parse(h.last.response.body);
        QCOMPARE(j["type"].get<std::string>(), std::string("error"));
        QCOMPARE(j["error"]["type"].get<std::string>(), std::string("OpenAIBackendError"));
        QCOMPARE(j["error"]["code"].get<std::string>(), std::string("503"));
        QCOMPARE(j["error"]["message"].get<std::string>(),
                 std::string("upstream connect error or disconnect/reset before headers. reset reason: remote connection "
                             "failure, transport failure reason: delayed connect error: Connection refused"));
    }
    void section32TutorialPolicyAsWritten() {
        Harness h(makeConfig("m", ticket2Refs(), tutorialRetry()));
        h.behaviour = refusing({"primary"});
        const auto r = h.send("m");
        // 1 + numRetries 3 = 4 attempts, all on P0 (no numAttemptsPerPriority; previous_hosts
        // re-picks, but P0 has 100% of the load and one host)
        QCOMPARE(r.finalStatus, 503);
        QCOMPARE(r.attempts.size(), std::size_t(4));
        for (const auto& a : r.attempts)
            QCOMPARE(a.priority, 0);
        QVERIFY(r.error.find("retried and the latest reset reason: remote connection failure") != std::string::npos);
        // backoffs: retry n in [0, 100 ms x (2^n - 1))
        QCOMPARE(r.attempts[0].backoffBefore, Duration::zero());
        QVERIFY(r.attempts[1].backoffBefore < ms(100));
        QVERIFY(r.attempts[2].backoffBefore < ms(300));
        QVERIFY(r.attempts[3].backoffBefore < ms(700));
        QCOMPARE(h.engine->counters().upstream_rq_retry_limit_exceeded, std::uint64_t(1));
        QVERIFY(h.engine->counters().host_selection_repicks >= 3 * 5);  // 5 re-picks per retry
    }
    void section32NumAttemptsPerPriority() {
        Harness h(makeConfig("m", ticket2Refs(), fallbackRetry()));
        h.behaviour = refusing({"primary"});
        for (int i = 0; i < 3; ++i) {
            const auto r = h.send("m");
            QCOMPARE(r.finalStatus, 200);  // every request pays one failed connect + backoff
            QCOMPARE(r.attempts.size(), std::size_t(2));
            QCOMPARE(r.attempts[0].backend, std::string("primary"));
            QCOMPARE(r.attempts[1].backend, std::string("secondary"));
            QCOMPARE(r.attempts[1].priority, 1);
            QVERIFY(r.attempts[1].backoffBefore < ms(100));
            QCOMPARE(r.finalBackend, std::string("secondary"));
            // latency = 1 ms refused + backoff + 100 ms
            QCOMPARE(r.latency, ms(1) + r.attempts[1].backoffBefore + ms(100));
        }
        h.behaviour = refusing({});
        const auto back = h.send("m");  // recovery is immediate: P0 first again
        QCOMPARE(back.attempts.size(), std::size_t(1));
        QCOMPARE(back.finalBackend, std::string("primary"));
    }
    void section32PassiveOnly() {
        config::PassiveHealthCheck p;
        p.consecutive5XxErrors = 3;
        p.maxEjectionPercent = 100;
        p.baseEjectionTime = secs(5);
        p.interval = secs(2);
        Harness h(makeConfig("m", ticket2Refs(), std::nullopt, p));
        h.behaviour = refusing({"primary"});
        std::vector<int> statuses;
        for (int i = 0; i < 6; ++i) {
            h.advanceTo(ms(100) * i);
            statuses.push_back(h.send("m").finalStatus);
        }
        // 3 failures (connect failures count as 5xx), then P0 ejected -> 100% to P1
        QCOMPARE(statuses, (std::vector<int>{503, 503, 503, 200, 200, 200}));
        // ejected at 0.201 for 5s -> 5.201; ticks 2, 4, 6: back at 6; the next request fails again
        h.advanceTo(ms(5900));
        QCOMPARE(h.send("m").finalBackend, std::string("secondary"));
        h.advanceTo(secs(6));
        QCOMPARE(h.send("m").finalStatus, 503);
    }
    void section32RetryAndPassive() {
        Harness h(makeConfig("m", ticket2Refs(), fallbackRetry(), docsPassive()));
        h.behaviour = refusing({"primary"});
        const auto first = h.send("m");
        QCOMPARE(first.finalStatus, 200);  // 200 via retry
        QCOMPARE(first.attempts.size(), std::size_t(2));
        QCOMPARE(h.engine->counters().outlier_ejections_enforced_total, std::uint64_t(1));
        for (int i = 1; i < 10; ++i) {
            h.advanceTo(ms(100) * i);
            const auto r = h.send("m");
            QCOMPARE(r.attempts.size(), std::size_t(1));  // straight to P1, no extra latency
            QCOMPARE(r.finalBackend, std::string("secondary"));
        }
        QCOMPARE(h.engine->counters().lb_priority_spill, std::uint64_t(9));
        // after the ejection time a probe fails on P0 and is absorbed by the retry
        h.advanceTo(secs(6));
        const auto probe = h.send("m");
        QCOMPARE(probe.finalStatus, 200);
        QCOMPARE(probe.attempts.size(), std::size_t(2));
        QCOMPARE(h.engine->counters().outlier_ejections_enforced_total, std::uint64_t(2));
    }

    // previous_priorities: all backends return 500, numRetries 3 (AI GW e2e
    // traffic_splitting_fallback): the final responder is always P1.
    void previousPrioritiesOrder_data() {
        QTest::addColumn<int>("perPriority");
        QTest::addColumn<QList<int>>("priorities");
        QTest::newRow("1: P0, P1, reset, P0, P1") << 1 << QList<int>{0, 1, 0, 1};
        QTest::newRow("2: P0, P0, then P1, P1") << 2 << QList<int>{0, 0, 1, 1};
        QTest::newRow("0 (unset): always P0") << 0 << QList<int>{0, 0, 0, 0};
    }
    void previousPrioritiesOrder() {
        QFETCH(int, perPriority);
        QFETCH(QList<int>, priorities);
        config::RetryPolicy r;
        r.numRetries = 3;
        if (perPriority > 0)
            r.numAttemptsPerPriority = perPriority;
        r.hasRetryOn = true;
        r.triggers = {"5xx"};
        Harness h(makeConfig("m", {{"a", 50, 0}, {"b", 50, 0, std::string("model-b")}, {"c", 1, 1, std::string("model-c")}}, r));
        h.behaviour = [](const AttemptTarget&) { return std::make_pair(AttemptOutcome::httpStatus(500), ms(5)); };
        for (int i = 0; i < 20; ++i) {
            const auto rec = h.send("m");
            QList<int> got;
            for (const auto& a : rec.attempts)
                got.push_back(a.priority);
            QCOMPARE(got, priorities);
            QCOMPARE(rec.finalStatus, 500);  // the upstream's response is forwarded
            QVERIFY(!rec.localReply);
            if (perPriority == 1)
                QCOMPARE(rec.finalBackend, std::string("c"));
            // previous_hosts: the two P0 attempts of "2" go to different hosts
            if (perPriority == 2)
                QVERIFY(rec.attempts[0].backend != rec.attempts[1].backend);
        }
    }

    // ---------------------------------------------------------------- weights
    void weightedSplitWithinOnePoint_data() {
        QTest::addColumn<quint64>("seed");
        for (quint64 s : std::initializer_list<quint64>{1, 2, 3, 42, 1234, 99999, 0xdeadbeef})
            QTest::newRow(qPrintable(QString("seed %1").arg(s))) << s;
    }
    void weightedSplitWithinOnePoint() {
        QFETCH(quint64, seed);
        Harness h(makeConfig("virtual-qwen-model", {{"p", 50}, {"s", 30}, {"t", 20}}), seed);
        std::map<std::string, int> n;
        for (int i = 0; i < 10000; ++i)
            ++n[h.send("virtual-qwen-model").finalBackend];
        // 10,000 requests: 50/30/20 within 1 point = within 100 requests of 5000/3000/2000
        QVERIFY2(std::abs(n["p"] - 5000) <= 100, qPrintable(QString::number(n["p"])));
        QVERIFY2(std::abs(n["s"] - 3000) <= 100, qPrintable(QString::number(n["s"])));
        QVERIFY2(std::abs(n["t"] - 2000) <= 100, qPrintable(QString::number(n["t"])));
    }
    void weightZeroIsAbsent() {
        Harness h(makeConfig("m", {{"zero", 0, 0}, {"b", 1, 1}}));
        for (int i = 0; i < 5; ++i)
            QCOMPARE(h.send("m").finalBackend, std::string("b"));  // not even tried first
        Harness only(makeConfig("m", {{"zero", 0, 0}}));
        const auto r = only.send("m");
        QCOMPARE(r.finalStatus, 503);
        QCOMPARE(r.error, std::string("no healthy upstream"));
        QVERIFY(only.engine->servers().empty());
    }
    void ejectedLocalityLeavesTheSplit() {
        // 3 hosts at P0 (50/30/20), s ejected: 2 of 3 healthy -> P0 health 93, 7% spills to P1
        config::PassiveHealthCheck p;
        p.consecutive5XxErrors = 1;
        p.maxEjectionPercent = 100;
        p.baseEjectionTime = secs(300);
        Harness h(makeConfig("m", {{"p", 50}, {"s", 30}, {"t", 20}, {"fb", 1, 1}}, std::nullopt, p));
        h.behaviour = answering("s", 500);
        std::map<std::string, int> n;
        for (int i = 0; i < 10000; ++i)
            ++n[h.send("m").finalBackend];
        // 10,000 x 100 ms = 1000 s of virtual time: the 300 s ejection (Envoy's max_ejection_time cap)
        // ends a few times, and each time s takes exactly one request (consecutive5xx 1) before going again
        QVERIFY(h.engine->counters().outlier_ejections_enforced_total >= 3);
        QCOMPARE(static_cast<std::uint64_t>(n["s"]), h.engine->counters().outlier_ejections_enforced_total);
        // P0's 93% split 50:20 among p and t: 93 x 50/70 = 66.4%, 93 x 20/70 = 26.6%; P1 7%
        QVERIFY2(std::abs(n["p"] - 6643) <= 150, qPrintable(QString::number(n["p"])));
        QVERIFY2(std::abs(n["t"] - 2657) <= 150, qPrintable(QString::number(n["t"])));
        QVERIFY2(std::abs(n["fb"] - 700) <= 100, qPrintable(QString::number(n["fb"])));
        const auto cl = h.engine->clusters();
        QCOMPARE(cl[0].priorityLoad, (PriorityLoad{93, 7}));
    }

    // ---------------------------------------------------------------- statuses and timeouts
    void retriableVsNonRetriableStatus_data() {
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("attempts");
        QTest::addColumn<int>("finalStatus");
        // tutorial codes 500,502,503,504,404; corrected per-priority policy (fallbackRetry lists 500)
        QTest::newRow("500: retried on P1") << 500 << 2 << 200;
        QTest::newRow("503: not in [500], forwarded") << 503 << 1 << 503;
        QTest::newRow("429: not retried, forwarded") << 429 << 1 << 429;
        QTest::newRow("400: not retried") << 400 << 1 << 400;
    }
    void retriableVsNonRetriableStatus() {
        QFETCH(int, status);
        QFETCH(int, attempts);
        QFETCH(int, finalStatus);
        Harness h(makeConfig("m", ticket2Refs(), fallbackRetry()));
        h.behaviour = answering("primary", status);
        const auto r = h.send("m");
        QCOMPARE(static_cast<int>(r.attempts.size()), attempts);
        QCOMPARE(r.finalStatus, finalStatus);
        QVERIFY(!r.localReply);  // an upstream response, passed through
        QCOMPARE(r.attempts[0].status, status);
        QCOMPARE(r.attempts[0].failure, UpstreamFailure::Status);
    }
    void perTryTimeoutRetriedOnlyByTimeoutTriggers_data() {
        QTest::addColumn<QStringList>("triggers");
        QTest::addColumn<int>("finalStatus");
        QTest::addColumn<int>("attempts");
        QTest::newRow("connect-failure: not retried -> 504") << QStringList{"connect-failure"} << 504 << 1;
        QTest::newRow("5xx: retried on P1") << QStringList{"5xx"} << 200 << 2;
        QTest::newRow("gateway-error") << QStringList{"gateway-error"} << 200 << 2;
        QTest::newRow("reset") << QStringList{"reset"} << 200 << 2;
    }
    void perTryTimeoutRetriedOnlyByTimeoutTriggers() {
        QFETCH(QStringList, triggers);
        QFETCH(int, finalStatus);
        QFETCH(int, attempts);
        config::RetryPolicy r = fallbackRetry();
        r.perTryTimeout = secs(2);
        r.triggers.clear();
        for (const auto& t : triggers)
            r.triggers.push_back(t.toStdString());
        Harness h(makeConfig("m", ticket2Refs(), r));
        h.behaviour = hanging("primary");
        const auto rec = h.send("m");
        QCOMPARE(rec.finalStatus, finalStatus);
        QCOMPARE(static_cast<int>(rec.attempts.size()), attempts);
        QCOMPARE(rec.attempts[0].failure, UpstreamFailure::PerTryTimeout);
        QCOMPARE(rec.attempts[0].duration, secs(2));
        if (finalStatus == 504)
            QCOMPARE(rec.error, std::string("upstream request timeout"));
    }
    void overallTimeoutCoversAllAttempts() {
        // timeouts.request 5s, per-try 2s, 10 retries on 5xx, everything hangs:
        // attempts at 0, 2+b1, 4+b1+b2 (b < 25/75 ms); the third is cut by the deadline at exactly 5s.
        config::Config c = makeConfig("m", {{"a"}, {"b"}});
        c.routes[0].rules[0].requestTimeout = secs(5);
        config::RetryPolicy r;
        r.numRetries = 10;
        r.perTryTimeout = secs(2);
        r.hasRetryOn = true;
        r.triggers = {"5xx"};
        c.trafficPolicies.push_back(makeConfig("m", {{"a"}}, r).trafficPolicies[0]);
        Harness h(c);
        h.behaviour = [](const AttemptTarget&) { return std::make_pair(AttemptOutcome::ok(), secs(3600)); };
        const auto rec = h.send("m");
        QCOMPARE(rec.finalStatus, 504);
        QCOMPARE(rec.latency, secs(5));
        QCOMPARE(rec.attempts.size(), std::size_t(3));
        QCOMPARE(rec.attempts.back().failure, UpstreamFailure::RequestTimeout);
        QCOMPARE(h.engine->counters().rq_timeout, std::uint64_t(1));
    }
    void defaultRequestTimeoutIs60s() {
        Harness h(makeConfig("m", {{"a"}}));
        h.behaviour = hanging("a");
        const auto rec = h.send("m");
        QCOMPARE(rec.finalStatus, 504);
        QCOMPARE(rec.latency, secs(60));
    }
    void noRetryAfterHeadersWereSent() {
        Harness h(makeConfig("m", ticket2Refs(), fallbackRetry()));
        h.behaviour = [](const AttemptTarget&) {
            return std::make_pair(AttemptOutcome{UpstreamFailure::ResetAfterHeaders, 200, true, false}, ms(50));
        };
        const auto rec = h.send("m");
        QCOMPARE(rec.attempts.size(), std::size_t(1));
        QCOMPARE(rec.finalStatus, 200);  // the client already has a 200 and a truncated body
        QCOMPARE(h.last.retry, RetryStatus::NoHeadersSent);
    }

    // ---------------------------------------------------------------- endpoint removal
    void endpointRemovalIsNotARefusal() {
        Harness h(makeConfig("m", ticket2Refs()));  // no policy at all
        QVERIFY(h.engine->setEndpointRemoved("primary", true, h.clock.now()));
        // removed: P0 has no host -> health 0 -> all load to P1 without any retry
        auto r = h.send("m");
        QCOMPARE(r.finalStatus, 200);
        QCOMPARE(r.attempts.size(), std::size_t(1));
        QCOMPARE(r.finalBackend, std::string("secondary"));
        QCOMPARE(h.events.back().type, HostEvent::Type::Removed);
        QCOMPARE(h.engine->counters().endpoints_removed, std::uint64_t(1));
        QVERIFY(h.engine->setEndpointRemoved("primary", false, h.clock.now()));
        QCOMPARE(h.send("m").finalBackend, std::string("primary"));
        QCOMPARE(h.events.back().type, HostEvent::Type::Restored);
        // everything removed: no healthy upstream
        h.engine->setEndpointRemoved("primary", true, h.clock.now());
        h.engine->setEndpointRemoved("secondary", true, h.clock.now());
        r = h.send("m");
        QCOMPARE(r.finalStatus, 503);
        QCOMPARE(r.error, std::string("no healthy upstream"));
        QVERIFY(!h.engine->setEndpointRemoved("no-such-server", true, h.clock.now()));
    }

    // ---------------------------------------------------------------- config swaps
    void hostStateSurvivesLiveEdits() {
        auto base = makeConfig("m", ticket2Refs(), fallbackRetry(), docsPassive());
        Harness h(base);
        h.behaviour = refusing({"primary"});
        h.send("m");
        QCOMPARE(h.engine->counters().outlier_ejections_active, std::uint64_t(1));
        // edit: weight and override of the secondary, same keys -> the primary stays ejected
        auto edited = base;
        edited.routes[0].rules[0].backendRefs[1].weight = 7;
        edited.routes[0].rules[0].backendRefs[1].modelNameOverride = std::string("qwen2.5:3b");
        h.engine->setConfig(std::make_shared<const config::Config>(edited));
        const auto r = h.send("m");
        QCOMPARE(r.attempts.size(), std::size_t(1));
        QCOMPARE(r.attempts[0].upstreamModel, std::string("qwen2.5:3b"));
        const auto hosts = h.engine->hosts();
        QVERIFY(hosts[0].ejected);
        QCOMPARE(hosts[0].ejectedUntil, TimePoint(ms(5001)));
        // un-ejection still happens on the sweep after the swap
        h.advanceTo(secs(6));
        QVERIFY(!h.engine->hosts()[0].ejected);
        // removing the passive check brings every host back at once
        h.behaviour = refusing({"primary"});
        h.send("m");
        QVERIFY(h.engine->hosts()[0].ejected);
        auto noPassive = base;
        noPassive.trafficPolicies[0].passive.reset();
        h.engine->setConfig(std::make_shared<const config::Config>(noPassive));
        QVERIFY(!h.engine->hosts()[0].ejected);
    }
    void inFlightRequestKeepsItsRoute() {
        Harness h(makeConfig("m", ticket2Refs(), fallbackRetry()));
        auto req = h.engine->start("m", {}, h.clock.now());
        auto d = req->nextAttempt(h.clock.now());
        QCOMPARE(d.target.backend, std::string("primary"));
        h.engine->setConfig(std::make_shared<const config::Config>(config::Config{}));  // everything gone
        d = req->onAttemptResult(AttemptOutcome::failed(UpstreamFailure::ConnectFailure), h.clock.now());
        QCOMPARE(d.action, Action::Backoff);
        d = req->nextAttempt(h.clock.now() + d.wait);
        QCOMPARE(d.action, Action::Respond);
        QCOMPARE(d.response.status, 503);  // its cluster is gone: no healthy upstream
        QCOMPARE(h.send("m").finalStatus, 404);
    }
    void attemptOnASwappedInConfigOutlivesIt() {
        // The request holds the host it picked, not a copy of its target: a host picked from a config
        // swapped in after the start must stay valid when that config is replaced in turn.
        const auto cfg = makeConfig("m", ticket2Refs(), fallbackRetry(), config::PassiveHealthCheck{});
        Harness h(cfg);
        auto req = h.engine->start("m", {}, h.clock.now());
        h.engine->setConfig(std::make_shared<const config::Config>(cfg));  // the pick comes from this one
        const auto d = req->nextAttempt(h.clock.now());
        QCOMPARE(d.action, Action::Attempt);
        QCOMPARE(d.target.backend, std::string("primary"));
        h.engine->setConfig(std::make_shared<const config::Config>(cfg));  // and the engine lets go of it
        const auto again = req->nextAttempt(h.clock.now());  // asked again while in flight: the same target
        QCOMPARE(again.action, Action::Attempt);
        QCOMPARE(again.target.hostKey, d.target.hostKey);
        QCOMPARE(again.target.address, d.target.address);
        QCOMPARE(again.target.upstreamModel, std::string("qwen2.5:1.5b"));
        QCOMPARE(again.target.attempt, 1);
        // The outcome reaches the host of the config serving now (found by key), then previous_hosts
        // and previous_priorities send the retry to the fallback.
        auto next = req->onAttemptResult(AttemptOutcome::failed(UpstreamFailure::ConnectFailure), h.clock.now());
        QCOMPARE(next.action, Action::Backoff);
        const auto hosts = h.engine->hosts();
        const auto primary =
            std::find_if(hosts.begin(), hosts.end(), [](const HostStatus& s) { return s.backend == "primary"; });
        QVERIFY(primary != hosts.end());
        QCOMPARE(primary->consecutive5xx, 1);
        next = req->nextAttempt(h.clock.now() + next.wait);
        QCOMPARE(next.action, Action::Attempt);
        QCOMPARE(next.target.backend, std::string("secondary"));
        QCOMPARE(next.target.attempt, 2);
        QCOMPARE(req->record().attempts[0].hostKey, d.target.hostKey);
    }

    // ---------------------------------------------------------------- names, records
    void serverNames() {
        config::Config c = makeConfig("m", {{"a"}, {"a-fb"}, {"plain"}});
        config::InferenceService is;
        is.meta.name = "qwen-primary";
        c.inferenceServices.push_back(is);
        c.backends[0].endpoints[0].address = is.predictorHostname();
        c.backends[1].endpoints[0].address = is.predictorHostname() + ".";  // same host, trailing dot
        c.backends[2].meta.annotations[config::SimSettings::kServer] = "custom";
        QCOMPARE(serverNameFor(c, c.backends[0]), std::string("qwen-primary"));
        QCOMPARE(serverNameFor(c, c.backends[1]), std::string("qwen-primary"));  // shared server
        QCOMPARE(serverNameFor(c, c.backends[2]), std::string("custom"));
        c.backends[2].meta.annotations.clear();
        QCOMPARE(serverNameFor(c, c.backends[2]), std::string("plain"));
        Harness h(c);
        QCOMPARE(h.engine->servers(), (std::vector<std::string>{"plain", "qwen-primary"}));
    }
    void cancelEmitsA499Record() {
        Harness h(makeConfig("m", {{"a"}}));
        auto req = h.engine->start("m", {}, h.clock.now());
        req->nextAttempt(h.clock.now());
        req->cancel(h.clock.now() + ms(30));
        QVERIFY(req->done());
        QCOMPARE(h.records.back().finalStatus, 499);
        QCOMPARE(h.records.back().attempts[0].duration, ms(30));
        QCOMPARE(h.engine->counters().rq_cancelled, std::uint64_t(1));
    }
    void recordsCarryRouteAndRule() {
        Harness h(makeConfig("m", {{"a"}}));
        const auto r = h.send("m");
        QCOMPARE(r.route, std::string("default/route"));
        QCOMPARE(r.rule, std::string("rule/0"));
        QCOMPARE(r.id, std::uint64_t(1));
        QCOMPARE(r.latency, ms(100));
        QCOMPARE(h.engine->clusters()[0].name, std::string("httproute/default/route/rule/0"));
    }
    void missingBackendRejectsTheWholeRoute() {
        // Reference 3.5: the controller fails the whole route ("failed to get AIServiceBackend"); it
        // does not drop the one backendRef. A route never accepted is not served: 404 no route.
        config::Config c = makeConfig("m", {{"a"}, {"b", 1, 1}});
        c.backends.pop_back();
        Harness h(c);
        QCOMPARE(h.engine->problems().size(), std::size_t(1));
        QVERIFY(h.engine->problems()[0].message.find("Backend default/b") != std::string::npos);
        QVERIFY(h.engine->problems()[0].message.find("not served") != std::string::npos);
        const auto st = h.engine->routeStatus();
        QCOMPARE(st.size(), std::size_t(1));
        QVERIFY(!st[0].accepted);
        QVERIFY(!st[0].servingLastAccepted);
        QCOMPARE(h.send("m").finalStatus, 404);
        QVERIFY(h.engine->models().empty());
        QCOMPARE(routing::routeStatuses(c).at(0).accepted, false);
    }
    void brokenEditKeepsTheLastAcceptedVersion() {
        config::Config good = makeConfig("m", {{"a"}, {"b", 1, 1}});
        Harness h(good);
        QVERIFY(h.engine->routeStatus().at(0).accepted);
        // An edit that names a missing AIServiceBackend (and changes a weight) is not accepted: the
        // last accepted version keeps serving, both backends included.
        config::Config bad = good;
        bad.routes[0].rules[0].backendRefs[0].weight = 5;
        bad.routes[0].rules[0].backendRefs.push_back(bad.routes[0].rules[0].backendRefs[0]);
        bad.routes[0].rules[0].backendRefs.back().name = "missing";
        bad.serviceBackends.erase(bad.serviceBackends.begin() + 1);  // "b" is gone too
        h.engine->setConfig(std::make_shared<const config::Config>(bad));
        const auto st = h.engine->routeStatus().at(0);
        QVERIFY(!st.accepted);
        QVERIFY(st.servingLastAccepted);
        QVERIFY(st.reason.find("failed to get AIServiceBackend default/b") != std::string::npos);
        QCOMPARE(h.send("m").finalBackend, std::string("a"));
        std::set<std::string> backends;  // b is still in the last accepted cluster
        for (const auto& host : h.engine->hosts())
            backends.insert(host.backend);
        QCOMPARE(backends, (std::set<std::string>{"a", "b"}));
        // Fixing it is accepted again.
        h.engine->setConfig(std::make_shared<const config::Config>(good));
        QVERIFY(h.engine->routeStatus().at(0).accepted);
    }
};

QTEST_APPLESS_MAIN(TestEngine)
#include "test_engine.moc"
