// Item models and chart buffers of the desktop app: model invariants (QAbstractItemModelTester),
// in-place edits through the undo stack, the target split, and bounded chart buffers.
#include <QAbstractItemModelTester>
#include <QBrush>
#include <QDateTime>
#include <QSignalSpy>
#include <QTest>
#include <QUndoStack>

#include <QFile>
#include <QHeaderView>
#include <QImage>
#include <QTemporaryDir>
#include <QTableView>

#include "chart_buffers.h"
#include "chart_feed.h"
#include "charts_panel.h"
#include "yaml_panel.h"
#include "doctor_panel.h"
#include "gateway_bridge.h"
#include "charts.h"
#include "pages.h"
#include "request_log_model.h"
#include "ring_buffer.h"
#include "servers_model.h"
#include "split_math.h"
#include "topology_model.h"
#include "config/tutorial_policy.h"

#include "config/builtin.h"
#include "config/doctor.h"
#include "config/exporter.h"
#include "config/loader.h"

using namespace aigw;
using namespace aigw::ui;

namespace {
config::BackendRefSpec ref(const std::string& name, std::optional<std::int64_t> w, std::optional<std::int64_t> p) {
    config::BackendRefSpec r;
    r.name = name;
    r.weight = w;
    r.priority = p;
    return r;
}

config::Config ticketConfig() {
    config::Config c;
    config::AIGatewayRoute virt;
    virt.meta.name = "envoy-ai-gateway-virtualization";
    virt.parentRefs.push_back({{}, {}, "envoy-ai-gateway-basic", {}, {}});
    config::RouteRule r1;
    r1.matches.push_back({{{config::HeaderMatchType::Exact, "x-ai-eg-model", "virtual-qwen-model"}}});
    r1.backendRefs = {ref("qwen-primary", 50, {}), ref("qwen-secondary", 30, {}), ref("qwen-tertiary", 20, {})};
    virt.rules.push_back(r1);
    config::AIGatewayRoute fb;
    fb.meta.name = "envoy-ai-gateway-fallback";
    fb.parentRefs.push_back({{}, {}, "envoy-ai-gateway-basic", {}, {}});
    config::RouteRule r2;
    r2.matches.push_back({{{config::HeaderMatchType::Exact, "x-ai-eg-model", "qwen-with-fallback"}}});
    r2.backendRefs = {ref("qwen-primary-fb", {}, 0), ref("qwen-secondary-fb", {}, 1)};
    fb.rules.push_back(r2);
    c.routes = {virt, fb};
    return c;
}
}  // namespace

class TestUiModels : public QObject {
    Q_OBJECT
private slots:
    void ringBufferDropsOldest() {
        RingBuffer<int> rb(3);
        for (int i = 0; i < 5; ++i)
            rb.push(i);
        QCOMPARE(rb.size(), std::size_t(3));
        QCOMPARE(rb.at(0), 2);
        QCOMPARE(rb.back(), 4);
        rb.dropFront(2);
        QCOMPARE(rb.size(), std::size_t(1));
        QCOMPARE(rb.at(0), 4);
    }

    void targetSplit_data() {
        QTest::addColumn<QList<qlonglong>>("weights");
        QTest::addColumn<QList<qlonglong>>("priorities");
        QTest::addColumn<QStringList>("unhealthy");
        QTest::addColumn<QList<double>>("shares");
        // Ticket 1: 50/30/20 all at P0 -> 50/(50+30+20) = 0.5 ...
        QTest::newRow("ticket1") << QList<qlonglong>{50, 30, 20} << QList<qlonglong>{0, 0, 0} << QStringList{}
                                 << QList<double>{0.5, 0.3, 0.2};
        // Ticket 2: P0 takes everything while healthy, P1 is standby.
        QTest::newRow("ticket2") << QList<qlonglong>{1, 1} << QList<qlonglong>{0, 1} << QStringList{}
                                 << QList<double>{1.0, 0.0};
        // P0 out of rotation -> P1 active.
        QTest::newRow("p0 ejected") << QList<qlonglong>{1, 1} << QList<qlonglong>{0, 1} << QStringList{"b0"}
                                    << QList<double>{0.0, 1.0};
        // weight 0 is absent: 0/(0+3) and 3/3.
        QTest::newRow("weight zero") << QList<qlonglong>{0, 3} << QList<qlonglong>{0, 0} << QStringList{}
                                     << QList<double>{0.0, 1.0};
        // all unhealthy: panic, the lowest priority keeps its weights.
        QTest::newRow("panic") << QList<qlonglong>{1, 3} << QList<qlonglong>{0, 0} << QStringList{"b0", "b1"}
                               << QList<double>{0.25, 0.75};
    }
    void targetSplit() {
        QFETCH(QList<qlonglong>, weights);
        QFETCH(QList<qlonglong>, priorities);
        QFETCH(QStringList, unhealthy);
        QFETCH(QList<double>, shares);
        config::RouteRule rule;
        for (int i = 0; i < weights.size(); ++i)
            rule.backendRefs.push_back(ref("b" + std::to_string(i), weights[i], priorities[i]));
        std::set<std::string> bad;
        for (const auto& u : unhealthy)
            bad.insert(u.toStdString());
        const auto split = aigw::ui::targetSplit(rule, "default", bad);
        QCOMPARE(split.shares.size(), std::size_t(shares.size()));
        for (int i = 0; i < shares.size(); ++i)
            QVERIFY2(std::abs(split.shares[i] - shares[i]) < 1e-9, qPrintable(QString::number(split.shares[i])));
    }

    void topologyModelTester() {
        TopologyModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setConfig(ticketConfig());
        QCOMPARE(model.rowCount(), 1);                       // one Gateway
        QCOMPARE(model.rowCount(model.index(0, 0)), 2);      // two routes
        const QModelIndex rule = model.index(0, 0, model.index(0, 0, model.index(0, 0)));
        QCOMPARE(model.rowCount(rule), 3);
        QCOMPARE(model.index(0, TopologyModel::TargetColumn, rule).data().toString(), QStringLiteral("50.0 %"));
        QUndoStack stack;
        model.setUndoStack(&stack);
        QVERIFY(model.setData(model.index(0, TopologyModel::WeightColumn, rule), 20));
        model.setConfig(ticketConfig());
        stack.clear();
    }

    void editWeightThroughUndoStack() {
        TopologyModel model;
        QUndoStack stack;
        model.setUndoStack(&stack);
        model.setConfig(ticketConfig());
        QSignalSpy edited(&model, &TopologyModel::backendRefEdited);
        const QModelIndex w = model.indexFor({0, 0, 0}, TopologyModel::WeightColumn);
        QVERIFY(model.setData(w, QStringLiteral("100")));
        QCOMPARE(edited.count(), 1);
        QCOMPARE(model.backendRef({0, 0, 0}).effectiveWeight(), 100);
        // 100/(100+30+20) = 66.7 %
        QCOMPARE(model.indexFor({0, 0, 0}, TopologyModel::TargetColumn).data().toString(), QStringLiteral("66.7 %"));
        stack.undo();
        QCOMPARE(model.backendRef({0, 0, 0}).effectiveWeight(), 50);
        QCOMPARE(edited.count(), 2);
        stack.redo();
        QCOMPARE(model.backendRef({0, 0, 0}).effectiveWeight(), 100);
        // Bad input is rejected with a reason, the value is unchanged.
        QSignalSpy rejected(&model, &TopologyModel::editRejected);
        QVERIFY(!model.setData(w, QStringLiteral("-3")));
        QVERIFY(!model.setData(w, QStringLiteral("abc")));
        QCOMPARE(rejected.count(), 2);
        QCOMPARE(model.backendRef({0, 0, 0}).effectiveWeight(), 100);
        // Empty override removes it.
        const QModelIndex o = model.indexFor({0, 0, 1}, TopologyModel::OverrideColumn);
        QVERIFY(model.setData(o, QStringLiteral("qwen2.5:0.5b")));
        QCOMPARE(*model.backendRef({0, 0, 1}).modelNameOverride, std::string("qwen2.5:0.5b"));
        QVERIFY(model.setData(o, QString()));
        QVERIFY(!model.backendRef({0, 0, 1}).modelNameOverride.has_value());
        // A stale undo command after a new config must not crash.
        model.setConfig(config::Config{});
        stack.undo();
        stack.undo();
    }

    void standbyAndUnhealthy() {
        TopologyModel model;
        model.setConfig(ticketConfig());
        QCOMPARE(model.indexFor({1, 0, 1}, TopologyModel::TargetColumn).data().toString(), QStringLiteral("standby (P1)"));
        model.setUnhealthy({"qwen-primary-fb"});
        QCOMPARE(model.indexFor({1, 0, 0}, TopologyModel::TargetColumn).data().toString(), QStringLiteral("out of rotation"));
        QCOMPARE(model.indexFor({1, 0, 1}, TopologyModel::TargetColumn).data().toString(), QStringLiteral("100.0 %"));
    }

    void chartBuffersSplitAndThroughput() {
        ChartBuffers b;
        for (int i = 0; i < 100; ++i) {
            RequestPoint r;
            r.t = 10.0 + i * 0.01;
            r.model = "virtual-qwen-model";
            r.attempts.push_back({i % 2 ? "a" : "b", r.t, 5, true});
            r.ok = true;
            r.status = 200;
            r.latencyMs = 5;
            b.addRequest(r);
        }
        const auto s = b.split("virtual-qwen-model", 60, 12);
        QCOMPARE(s.size(), std::size_t(2));
        QCOMPARE(s[0] + s[1], std::uint64_t(100));
        QCOMPARE(s[0], std::uint64_t(50));
        QVERIFY(b.split("other", 60, 12).size() == 2 && b.split("other", 60, 12)[0] == 0);
        const auto t = b.throughput(10, 12, 100);
        QCOMPARE(t.perLane.size(), std::size_t(2));
        double total = 0;
        for (const auto& lane : t.perLane)
            for (double v : lane)
                total += v;
        QCOMPARE(total, 100.0);
        QVERIFY(b.csv(60, 12).find("virtual-qwen-model,a,50,0") != std::string::npos);
        // Failed requests are counted apart: not in the split's shares.
        QCOMPARE(b.failures("virtual-qwen-model", 60, 12), std::uint64_t(0));
        RequestPoint bad;
        bad.t = 10.5;
        bad.model = "virtual-qwen-model";
        bad.attempts.push_back({"a", bad.t, 5, false});
        bad.status = 503;
        bad.latencyMs = 5;
        b.addRequest(bad);
        QCOMPARE(b.failures("virtual-qwen-model", 60, 12), std::uint64_t(1));
        QCOMPARE(b.failures("other", 60, 12), std::uint64_t(0));
        QCOMPARE(b.split("virtual-qwen-model", 60, 12)[0] + b.split("virtual-qwen-model", 60, 12)[1], std::uint64_t(100));
    }

    void throughputLeavesOutTheBinStillFilling() {
        ChartBuffers b;
        // 10 requests/s ending in seconds 20..24, then 3 so far in second 25 (the one still filling).
        auto add = [&b](double end) {
            RequestPoint r;
            r.t = end - 0.001;
            r.model = "m";
            r.attempts.push_back({"a", r.t, 1, true});
            r.ok = true;
            r.latencyMs = 1;
            b.addRequest(r);
        };
        for (int sec = 20; sec < 25; ++sec)
            for (int k = 0; k < 10; ++k)
                add(sec + 0.05 + k * 0.09);
        for (int k = 0; k < 3; ++k)
            add(25.05 + k * 0.09);
        // now = 25.4: second 25 is open (floor(25.4 - 0.3) = 25), the newest point is bin 24, plotted at 25.
        auto t = b.throughput(5, 25.4, 100);
        QCOMPARE(t.times.size(), std::size_t(5));
        QCOMPARE(t.times.back(), 25.0);
        for (double v : t.perLane[0])
            QCOMPARE(v, 10.0);  // no dip: the 3 of second 25 are not drawn as a 3 requests/s point
        // now = 25.2: second 24 ended only 0.2 s ago, its last records may still be on their way.
        QCOMPARE(ChartBuffers::firstOpenSecond(25.2), std::int64_t(24));
        t = b.throughput(5, 25.2, 100);
        QCOMPARE(t.times.back(), 24.0);
        // Grouped points average whole bins only: 5 s in 2 points -> 3 + 2 bins, both 10/s.
        t = b.throughput(5, 25.4, 2);
        QCOMPARE(t.times.size(), std::size_t(2));
        QCOMPARE(t.perLane[0][0], 10.0);
        QCOMPARE(t.perLane[0][1], 10.0);
    }

    void markerLabelsNeverOverlap_data() {
        QTest::addColumn<QList<double>>("lefts");
        QTest::addColumn<QList<double>>("widths");
        QTest::addColumn<int>("rows");
        QTest::addColumn<QList<int>>("expected");
        // Far apart: all on the first row.
        QTest::newRow("apart") << QList<double>{0, 200, 400} << QList<double>{100, 100, 100} << 3 << QList<int>{0, 0, 0};
        // A config edit and a server stop 1 s apart (the old screenshots' pile-up): stacked.
        QTest::newRow("close") << QList<double>{100, 110, 120} << QList<double>{150, 150, 150} << 3 << QList<int>{0, 1, 2};
        // More than the rows hold: the fourth is left to the tooltip; later ones reuse freed rows.
        QTest::newRow("overflow") << QList<double>{100, 105, 110, 115, 300} << QList<double>{150, 150, 150, 150, 50} << 3
                                  << QList<int>{0, 1, 2, -1, 0};
        // Input order does not matter: placement goes left to right.
        QTest::newRow("unsorted") << QList<double>{300, 100, 105} << QList<double>{50, 150, 150} << 2 << QList<int>{0, 0, 1};
        // The gap (8 px) counts: ending at 100 and starting at 105 share no row.
        QTest::newRow("gap") << QList<double>{0, 105, 108} << QList<double>{100, 10, 10} << 2 << QList<int>{0, 1, 0};
        QTest::newRow("no rows") << QList<double>{0} << QList<double>{10} << 0 << QList<int>{-1};
    }
    void markerLabelsNeverOverlap() {
        QFETCH(QList<double>, lefts);
        QFETCH(QList<double>, widths);
        QFETCH(int, rows);
        QFETCH(QList<int>, expected);
        std::vector<LabelSpan> spans;
        for (int i = 0; i < lefts.size(); ++i)
            spans.push_back({lefts[i], widths[i]});
        const auto got = stackLabels(spans, rows, 8);
        QCOMPARE(QList<int>(got.begin(), got.end()), expected);
        // Whatever the input: no two placed labels in one row overlap.
        for (std::size_t i = 0; i < got.size(); ++i)
            for (std::size_t j = i + 1; j < got.size(); ++j)
                if (got[i] >= 0 && got[i] == got[j])
                    QVERIFY(spans[i].left + spans[i].width <= spans[j].left || spans[j].left + spans[j].width <= spans[i].left);
    }

    void failoverRecordedOnTimeline() {
        ChartBuffers b;
        RequestPoint r;
        r.t = 1.0;
        r.model = "qwen-with-fallback";
        r.attempts.push_back({"primary", 1.0, 0.2, false});
        r.attempts.push_back({"secondary", 1.01, 20, true});
        r.ok = true;
        r.latencyMs = 30;
        b.addRequest(r);
        b.addMarker(0.9, "primary", MarkerKind::ServerStopped, "stopped");
        int seen = 0;
        b.forEachRequest(0, 2, [&](const TimelineRequest& tr) {
            ++seen;
            QCOMPARE(int(tr.attemptCount), 2);
            QCOMPARE(int(tr.attempts[0].lane), b.laneFor("primary"));
            QVERIFY(!tr.attempts[0].ok);
            QVERIFY(tr.attempts[1].ok);
        });
        QCOMPARE(seen, 1);
        int markers = 0;
        b.forEachMarker(0, 2, [&](const Marker& m) { markers += m.kind == MarkerKind::ServerStopped; });
        QCOMPARE(markers, 1);
    }

    void chartBuffersStayBounded() {
        ChartBuffers b;
        // Two hours at 40 requests/s and 9,000 distinct backends: every store stays at its cap.
        for (int i = 0; i < 7200 * 40; ++i) {
            RequestPoint r;
            r.t = i / 40.0;
            r.model = "m" + std::to_string(i % 3);
            r.attempts.push_back({"backend-" + std::to_string(i % 9000), r.t, 1, i % 7 != 0});
            r.ok = i % 7 != 0;
            r.latencyMs = 1;
            b.addRequest(r);
            if (i % 10 == 0)
                b.addMarker(r.t, "backend-1", MarkerKind::Fault, "fault");
        }
        QCOMPARE(b.requestCount(), ChartBuffers::kMaxRequests);
        QVERIFY(b.binCount() <= ChartBuffers::kMaxBins);
        QCOMPARE(b.markerCount(), ChartBuffers::kMaxMarkers);
        QCOMPARE(int(b.lanes().size()), ChartBuffers::kMaxLanes);
        // Decimation keeps the point count at the requested maximum.
        const auto t = b.throughput(3600, b.latestTime(), 300);
        QVERIFY(t.times.size() <= 300);
    }

    void requestLogModelBoundedAndFiltered() {
        RequestLogModel model(100);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        RequestLogFilter filter;
        filter.setSourceModel(&model);
        QAbstractItemModelTester filterTester(&filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto makeBatch = [](int from, int n) {
            std::vector<routing::RequestRecord> batch;
            for (int i = from; i < from + n; ++i) {
                routing::RequestRecord r;
                r.id = static_cast<std::uint64_t>(i);
                r.virtualModel = "qwen-with-fallback";
                r.route = "default/envoy-ai-gateway-fallback";
                r.rule = "rule/0";
                routing::AttemptRecord a;
                a.backend = "envoy-ai-gateway-qwen-primary-fb";
                a.server = "qwen-primary";
                a.upstreamModel = "qwen2.5:1.5b";
                if (i % 4 == 0) {
                    a.failure = routing::UpstreamFailure::ConnectFailure;
                    r.attempts.push_back(a);
                    a.backend = "envoy-ai-gateway-qwen-secondary-fb";
                    a.server = "qwen-secondary";
                    a.upstreamModel = "qwen2.5:0.5b";
                    a.failure = routing::UpstreamFailure::None;
                    a.status = 200;
                } else {
                    a.status = i % 4 == 1 ? 503 : 200;
                    a.failure = a.status == 200 ? routing::UpstreamFailure::None : routing::UpstreamFailure::Status;
                }
                r.attempts.push_back(a);
                r.finalStatus = a.status;
                r.finalBackend = a.backend;
                batch.push_back(r);
            }
            return batch;
        };
        model.append(makeBatch(0, 60));
        QCOMPARE(model.rowCount(), 60);
        model.append(makeBatch(60, 60));  // 120 > 100: the oldest 20 go
        QCOMPARE(model.rowCount(), 100);
        QCOMPARE(model.record(0).id, std::uint64_t(20));
        model.append(makeBatch(120, 250));  // a batch bigger than the buffer: reset, newest kept
        QCOMPARE(model.rowCount(), 100);
        QCOMPARE(model.record(99).id, std::uint64_t(369));
        QCOMPARE(attemptPath(model.record(2)), QStringLiteral("qwen-primary x connect-failure -> qwen-secondary ok"));
        filter.setErrorsOnly(true);
        QCOMPARE(filter.rowCount(), 25);
        filter.setErrorsOnly(false);
        filter.setText(QStringLiteral("connect-failure"));
        QCOMPARE(filter.rowCount(), 25);
        filter.setText(QString());
        QCOMPARE(filter.rowCount(), 100);
        QVERIFY(describeRecord(model.record(2), model).contains(QStringLiteral("qwen2.5:0.5b")));
    }

    void requestLogTtftAndTokens_data() {
        QTest::addColumn<double>("ttftMs");  // < 0: absent
        QTest::addColumn<int>("prompt");     // < 0: absent
        QTest::addColumn<int>("completion");
        QTest::addColumn<QString>("ttftText");
        QTest::addColumn<QString>("tokensText");
        const QString dash = QStringLiteral("\u2014");
        QTest::newRow("all known") << 123.45 << 12 << 30 << QStringLiteral("123.5") << QStringLiteral("12 / 30");
        QTest::newRow("nothing known (simulator, before the proxy fills them)") << -1.0 << -1 << -1 << dash << dash;
        QTest::newRow("only completion") << 0.25 << -1 << 7 << QStringLiteral("0.3") << dash + QStringLiteral(" / 7");
        QTest::newRow("zero tokens are a value, not absent") << 5.0 << 0 << 0 << QStringLiteral("5.0") << QStringLiteral("0 / 0");
    }
    void requestLogTtftAndTokens() {
        QFETCH(double, ttftMs);
        QFETCH(int, prompt);
        QFETCH(int, completion);
        QFETCH(QString, ttftText);
        QFETCH(QString, tokensText);
        RequestLogModel model(10);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        routing::RequestRecord r;
        r.virtualModel = "virtual-qwen-model";
        if (ttftMs >= 0)
            r.timeToFirstToken = std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(ttftMs));
        if (prompt >= 0)
            r.promptTokens = prompt;
        if (completion >= 0)
            r.completionTokens = completion;
        model.append({r});
        QCOMPARE(model.headerData(RequestLogModel::TtftColumn, Qt::Horizontal).toString(), QStringLiteral("TTFT ms"));
        QCOMPARE(model.headerData(RequestLogModel::TokensColumn, Qt::Horizontal).toString(), QStringLiteral("Tokens in/out"));
        QCOMPARE(model.index(0, RequestLogModel::TtftColumn).data().toString(), ttftText);
        QCOMPARE(model.index(0, RequestLogModel::TokensColumn).data().toString(), tokensText);
        QVERIFY(describeRecord(model.record(0), model).contains(QStringLiteral("tokens prompt / completion: ") + tokensText));
        // The filter sees the new columns too.
        RequestLogFilter filter;
        filter.setSourceModel(&model);
        filter.setText(tokensText);
        QCOMPARE(filter.rowCount(), 1);
    }

    void formatBody_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("truncated");
        QTest::addColumn<QString>("expected");
        QTest::newRow("empty") << QByteArray() << false << QStringLiteral("\u2014");
        // Pretty-printed, keys in the order they were sent ("model" stays first; a QJsonObject would sort).
        QTest::newRow("json keeps key order")
            << QByteArray("{\"model\":\"qwen2.5:0.5b\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":30}") << false
            << QStringLiteral("{\n  \"model\": \"qwen2.5:0.5b\",\n  \"messages\": [\n    {\n      \"role\": \"user\",\n"
                              "      \"content\": \"Hi\"\n    }\n  ],\n  \"max_tokens\": 30\n}");
        QTest::newRow("sse stays text") << QByteArray("data: {\"choices\":[]}\n\ndata: [DONE]\n\n") << false
                                        << QStringLiteral("data: {\"choices\":[]}\n\ndata: [DONE]\n\n");
        QTest::newRow("not json") << QByteArray("upstream connect error or disconnect/reset before headers") << false
                                  << QStringLiteral("upstream connect error or disconnect/reset before headers");
        QTest::newRow("broken json as is") << QByteArray("{\"model\": ") << false << QStringLiteral("{\"model\": ");
        QTest::newRow("truncated is marked, not parsed")
            << QByteArray("{\"model\":\"qwen2.5:1.5b\",\"messages\":[{\"content\":\"aaaa") << true
            << QStringLiteral("{\"model\":\"qwen2.5:1.5b\",\"messages\":[{\"content\":\"aaaa\n\u2026 [truncated: only the first 16 KiB were kept]");
    }
    void formatBody() {
        QFETCH(QByteArray, body);
        QFETCH(bool, truncated);
        QFETCH(QString, expected);
        QCOMPARE(aigw::ui::formatBody(body.toStdString(), truncated), expected);
    }

    void requestLogDetailsPane() {
        RequestLogModel model(100);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        RequestLogPage page(&model);
        page.resize(1200, 700);
        page.show();
        routing::RequestRecord failover;
        failover.id = 7;
        failover.virtualModel = "qwen-with-fallback";
        failover.route = "default/envoy-ai-gateway-fallback";
        failover.rule = "rule/0";
        routing::AttemptRecord a;
        a.backend = "envoy-ai-gateway-qwen-primary-fb";
        a.server = "qwen-primary";
        a.upstreamModel = "qwen2.5:1.5b";
        a.failure = routing::UpstreamFailure::ConnectFailure;
        failover.attempts.push_back(a);
        a.backend = "envoy-ai-gateway-qwen-secondary-fb";
        a.server = "qwen-secondary";
        a.upstreamModel = "qwen2.5:0.5b";
        a.failure = routing::UpstreamFailure::None;
        a.status = 200;
        failover.attempts.push_back(a);
        failover.finalStatus = 200;
        failover.finalBackend = a.backend;
        failover.timeToFirstToken = std::chrono::milliseconds(42);
        failover.promptTokens = 9;
        failover.completionTokens = 21;
        failover.upstreamBody = "{\"model\":\"qwen2.5:0.5b\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        failover.responseBody = "{\"id\":\"c1\",\"model\":\"qwen2.5:0.5b\",\"choices\":[]}";

        routing::RequestRecord stream;
        stream.id = 8;
        stream.virtualModel = "virtual-qwen-model";
        stream.stream = true;
        stream.finalStatus = 200;
        stream.attempts.push_back(a);
        stream.upstreamBody = std::string("{\"model\":\"qwen2.5:0.5b\",\"stream\":true,\"messages\":[{\"content\":\"") + "x";
        stream.upstreamBodyTruncated = true;
        stream.responseBody = "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n";
        stream.responseBodyTruncated = true;

        routing::RequestRecord local;
        local.id = 9;
        local.virtualModel = "qwen-with-fallback";
        local.finalStatus = 503;
        local.localReply = true;
        local.error = "{\"error\":{\"message\":\"upstream connect error\",\"type\":\"OpenAIBackendError\"}}";

        routing::RequestRecord empty;  // the simulator's records, and live ones until bodies are filled
        empty.id = 10;
        empty.virtualModel = "virtual-qwen-model";
        empty.finalStatus = 200;
        model.append({failover, stream, local, empty});

        // Timings and tokens are shown before the long names.
        auto* header = page.view()->horizontalHeader();
        QVERIFY(header->visualIndex(RequestLogModel::TokensColumn) < header->visualIndex(RequestLogModel::BackendColumn));
        QVERIFY(header->visualIndex(RequestLogModel::TtftColumn) < header->visualIndex(RequestLogModel::RuleColumn));
        QVERIFY(page.selectLastMatching(QStringLiteral("->")));
        QVERIFY(page.detailsText().contains(QStringLiteral("Request #7")));
        QVERIFY(page.detailsText().contains(QStringLiteral("time to first token: 42.0 ms")));
        QVERIFY(page.detailsText().contains(QStringLiteral("tokens prompt / completion: 9 / 21")));
        QCOMPARE(page.upstreamBodyTitle(), QStringLiteral("Body sent upstream (model: qwen2.5:0.5b)"));
        QVERIFY2(page.upstreamBodyText().startsWith(QStringLiteral("{\n  \"model\": \"qwen2.5:0.5b\",\n")), qPrintable(page.upstreamBodyText()));
        QCOMPARE(page.responseBodyTitle(), QStringLiteral("Response (HTTP 200)"));
        QVERIFY(page.responseBodyText().contains(QStringLiteral("\"id\": \"c1\"")));

        auto* view = page.view();
        view->selectRow(1);
        QCOMPARE(page.upstreamBodyTitle(), QStringLiteral("Body sent upstream (model: qwen2.5:0.5b) \u2014 truncated"));
        QVERIFY(page.upstreamBodyText().endsWith(QStringLiteral("[truncated: only the first 16 KiB were kept]")));
        QCOMPARE(page.responseBodyTitle(), QStringLiteral("Response (HTTP 200), SSE stream \u2014 truncated"));
        QVERIFY(page.responseBodyText().startsWith(QStringLiteral("data: {\"choices\"")));

        view->selectRow(2);
        QCOMPARE(page.responseBodyTitle(), QStringLiteral("Response (HTTP 503), generated by the gateway"));
        QVERIFY(page.responseBodyText().contains(QStringLiteral("\"type\": \"OpenAIBackendError\"")));
        QCOMPARE(page.upstreamBodyText(), QStringLiteral("\u2014"));

        view->selectRow(3);
        QCOMPARE(page.upstreamBodyText(), QStringLiteral("\u2014"));
        QCOMPARE(page.responseBodyText(), QStringLiteral("\u2014"));
        QVERIFY(page.detailsText().contains(QStringLiteral("time to first token: \u2014")));
    }

    void tutorialPolicyAsWrittenHasTheDoctorsKeyFinding() {
        const config::Config builtin = config::builtinScenario();
        auto findings = [](const config::Config& c, const std::string& id) {
            std::vector<config::Finding> out;
            for (auto& f : config::diagnose(c))
                if (f.id == id)
                    out.push_back(f);
            return out;
        };
        QVERIFY(findings(builtin, config::finding_id::kRetryStaysOnPriority0).empty());
        const config::Config asWritten = withTutorialPolicy(builtin);
        QCOMPARE(asWritten.trafficPolicies.size(), std::size_t(1));
        QCOMPARE(asWritten.trafficPolicies[0].meta.name, std::string("envoy-ai-gateway-fallback-policy"));
        QVERIFY(!asWritten.trafficPolicies[0].retry->numAttemptsPerPriority.has_value());
        QVERIFY(!asWritten.trafficPolicies[0].passive.has_value());
        // Documents and typed objects stay in step: one BackendTrafficPolicy document, the tutorial's.
        int docs = 0;
        for (const auto& d : asWritten.documents)
            docs += d.kind == config::Kind::BackendTrafficPolicy;
        QCOMPARE(docs, 1);
        QCOMPARE(asWritten.routes, builtin.routes);
        const auto key = findings(asWritten, config::finding_id::kRetryStaysOnPriority0);
        QCOMPARE(key.size(), std::size_t(1));
        QCOMPARE(key[0].severity, config::Severity::Warning);
        // Points into the tutorial's file: spec.retry is on line 83 of provider-fallback.yaml.
        QCOMPARE(key[0].where.file, std::string("provider-fallback.yaml"));
        QCOMPARE(key[0].where.line, 83);
        // The one-click fix removes it.
        config::Config fixed = asWritten;
        QVERIFY(config::applyFix(fixed, key[0]));
        QVERIFY(findings(fixed, config::finding_id::kRetryStaysOnPriority0).empty());
        QCOMPARE(*fixed.trafficPolicies[0].retry->numAttemptsPerPriority, std::int64_t(1));
    }

    void doctorPanelLeadsWithTheKeyFindingAndFixesIt() {
        const config::Config asWritten = withTutorialPolicy(config::builtinScenario());
        DoctorPanel panel;
        QSignalSpy summary(&panel, &DoctorPanel::summaryChanged);
        QSignalSpy fixed(&panel, &DoctorPanel::fixed);
        panel.setConfig(asWritten);
        QCOMPARE(summary.count(), 1);
        // Most severe first: the warning ahead of the Backends' info findings, and shown.
        QCOMPARE(panel.findings().front().id, std::string(config::finding_id::kRetryStaysOnPriority0));
        QCOMPARE(panel.currentFinding(), 0);
        for (std::size_t i = 1; i < panel.findings().size(); ++i)
            QVERIFY(panel.findings()[i - 1].severity <= panel.findings()[i].severity);
        // The second warning: its perRetry.timeout (30s) is not retried by connect-failure or
        // retriable-status-codes (reference 3.5), so a timed-out attempt ends in 504.
        QVERIFY2(panel.summary().startsWith(QStringLiteral("2 warnings")), qPrintable(panel.summary()));
        QCOMPARE(panel.findings().at(1).id, std::string(config::finding_id::kPerTryTimeoutNotRetried));
        // The fix's changed line is the one highlighted.
        const QString fixYaml = QString::fromStdString(panel.findings().front().fixYaml);
        const QString current = QString::fromStdString(config::exportYaml(asWritten, {}));
        const QString whole = highlightChanges(fixYaml, current, false);
        QCOMPARE(whole.count(QStringLiteral("<span")), 1);
        QVERIFY(whole.contains(QStringLiteral("font-weight:bold'>    numAttemptsPerPriority: 1</span>")));
        QCOMPARE(whole.count(QLatin1Char('\n')), fixYaml.trimmed().count(QLatin1Char('\n')));
        // The excerpt: identity, the path down to the change, the change with its neighbours.
        const QString excerpt = highlightChanges(fixYaml, current, true);
        QVERIFY(excerpt.count(QLatin1Char('\n')) < whole.count(QLatin1Char('\n')));
        for (const char* line : {"kind: BackendTrafficPolicy", "  name: envoy-ai-gateway-fallback-policy", "spec:", "  retry:",
                                 "numAttemptsPerPriority: 1", "..."})
            QVERIFY2(excerpt.contains(QLatin1String(line)), line);
        QVERIFY(!excerpt.contains(QStringLiteral("baseInterval")));
        QVERIFY(panel.applyCurrentFix());
        QCOMPARE(fixed.count(), 1);
        const auto cfg = fixed.first().first().value<config::Config>();
        QCOMPARE(*cfg.trafficPolicies[0].retry->numAttemptsPerPriority, std::int64_t(1));
        // Selecting by id; an unknown id changes nothing.
        QVERIFY(!panel.selectFinding("no-such-finding"));
        QCOMPARE(panel.currentFinding(), 0);
    }

    void highlightChangesExcerpt_data() {
        QTest::addColumn<QString>("fix");
        QTest::addColumn<QString>("current");
        QTest::addColumn<QString>("expected");
        const QString hl = QStringLiteral("<span style='background:#c8ecc8;font-weight:bold'>%1</span>");
        const QString gap = QStringLiteral("<span style='color:#888'>...</span>");
        QTest::newRow("nothing changed: all shown") << QStringLiteral("a: 1\nb:\n  c: 2\n") << QStringLiteral("a: 1\nb:\n  c: 2")
                                                     << QStringLiteral("a: 1\nb:\n  c: 2");
        // A nested change keeps its parents, one neighbour each side, and the top-level keys.
        QTest::newRow("nested")
            << QStringLiteral("kind: X\nspec:\n  x: 1\n  y: 2\n  r:\n    p: 1\n    q: 2\n    n: 1\n    s: 3\n  z: 9\n")
            << QStringLiteral("kind: X\nspec:\n  x: 1\n  y: 2\n  r:\n    p: 1\n    q: 2\n    s: 3\n  z: 9")
            << QStringLiteral("kind: X\nspec:\n  ") + gap + QStringLiteral("\n  r:\n    ") + gap + QStringLiteral("\n    q: 2\n") +
                   hl.arg(QStringLiteral("    n: 1")) + QStringLiteral("\n    s: 3\n") + gap;
        QTest::newRow("html escaped") << QStringLiteral("a: <b>") << QString() << hl.arg(QStringLiteral("a: &lt;b&gt;"));
    }
    void highlightChangesExcerpt() {
        QFETCH(QString, fix);
        QFETCH(QString, current);
        QFETCH(QString, expected);
        QCOMPARE(highlightChanges(fix, current, true), expected);
    }

    // A cluster's routes in several namespaces reuse backend names: each (namespace, name) keeps a
    // lane, an ejection in one namespace leaves the other's split alone, and the tutorial's
    // single-namespace names stay unqualified.
    void sameBackendNameInTwoNamespaces() {
        QCOMPARE(laneKey("default", "b"), std::string("b"));
        QCOMPARE(laneKey("", "b"), std::string("b"));
        QCOMPARE(laneKey("team-b", "b"), std::string("team-b/b"));
        config::BackendRefSpec crossNs = ref("b", 1, 0);
        crossNs.ns = "shared";
        QCOMPARE(laneKey(crossNs, "team-b"), std::string("shared/b"));
        QCOMPARE(laneKey(ref("b", 1, 0), "team-b"), std::string("team-b/b"));

        config::RouteRule rule;
        rule.backendRefs = {ref("b0", 1, 0), ref("b1", 1, 1)};
        QCOMPARE(aigw::ui::targetSplit(rule, "team-a", {"team-b/b0"}).activePriority, 0LL);  // another namespace's b0
        QCOMPARE(aigw::ui::targetSplit(rule, "team-a", {"team-a/b0"}).activePriority, 1LL);
        QCOMPARE(aigw::ui::targetSplit(rule, "default", {"b0"}).activePriority, 1LL);

        config::Config cfg = config::builtinScenario();
        QVERIFY(!cfg.routes.empty());
        config::AIGatewayRoute other = cfg.routes[0];
        other.meta.ns = "team-b";
        cfg.routes.push_back(other);
        ChartFeed feed;
        TopologyModel topology;
        topology.setConfig(cfg);
        ChartsPanel charts(&feed, &topology);
        const std::string name = cfg.routes[0].rules[0].backendRefs[0].name;
        const int mine = feed.buffers().laneOf(name);
        const int theirs = feed.buffers().laneOf("team-b/" + name);
        QVERIFY(mine >= 0);
        QVERIFY(theirs >= 0);
        QVERIFY(mine != theirs);

        // A record of team-b's route lands on team-b's lane only.
        routing::RequestRecord rec;
        rec.virtualModel = "virtual-qwen-model";
        rec.start = SteadyClock().now();
        rec.finalStatus = 200;
        routing::AttemptRecord a;
        a.backend = name;
        a.backendNamespace = "team-b";
        a.start = rec.start;
        a.status = 200;
        rec.attempts.push_back(a);
        RequestPoint p = requestPoint(rec, rec.start - std::chrono::seconds(1));
        QCOMPARE(p.attempts.at(0).backend, "team-b/" + name);
        p.t = feed.sessionSeconds();
        p.attempts[0].t = p.t;
        feed.post({p});
        QTRY_VERIFY_WITH_TIMEOUT(feed.buffers().requestCount() == 1, 2000);
        const auto counts = feed.buffers().split("virtual-qwen-model", 60, feed.sessionSeconds() + 1);
        QCOMPARE(counts.at(static_cast<std::size_t>(theirs)), std::uint64_t(1));
        QCOMPARE(counts.at(static_cast<std::size_t>(mine)), std::uint64_t(0));
    }

    void chartsAndYamlExport() {
        QTemporaryDir dir;
        ChartFeed feed;
        TopologyModel topology;
        topology.setConfig(config::builtinScenario());
        ChartsPanel charts(&feed, &topology);
        charts.resize(900, 700);
        charts.show();
        RequestPoint r;
        r.t = feed.sessionSeconds();
        r.model = "virtual-qwen-model";
        r.attempts.push_back({"envoy-ai-gateway-qwen-primary", r.t, 5, true});
        r.ok = true;
        r.latencyMs = 5;
        feed.post({r});
        QTRY_VERIFY_WITH_TIMEOUT(feed.buffers().requestCount() == 1, 2000);
        // Lanes follow the config's order, not the order requests arrive in.
        QCOMPARE(feed.buffers().lanes().at(0), std::string("envoy-ai-gateway-qwen-primary"));
        QCOMPARE(feed.buffers().lanes().at(2), std::string("envoy-ai-gateway-qwen-tertiary"));
        QString error;
        QVERIFY2(charts.exportPng(dir.filePath(QStringLiteral("c.png")), &error), qPrintable(error));
        QVERIFY(!QImage(dir.filePath(QStringLiteral("c.png"))).isNull());
        QVERIFY2(charts.exportCsv(dir.filePath(QStringLiteral("c.csv")), &error), qPrintable(error));
        QFile csv(dir.filePath(QStringLiteral("c.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QByteArray text = csv.readAll();
        QVERIFY(text.startsWith("time_s,model,backend,ok,errors\n"));
        QVERIFY(text.contains(",virtual-qwen-model,envoy-ai-gateway-qwen-primary,1,0\n"));
        // Unwritable paths are reported, not crashed on.
        QVERIFY(!charts.exportPng(QStringLiteral("/nonexistent-dir/c.png"), &error));
        QVERIFY(error.contains(QStringLiteral("/nonexistent-dir/c.png")));
        QVERIFY(!charts.exportCsv(QStringLiteral("/nonexistent-dir/c.csv"), &error));
        QVERIFY(error.contains(QStringLiteral("/nonexistent-dir/c.csv")));

        YamlPanel yaml;
        yaml.setConfig(config::builtinScenario());
        for (const QString& version : {QStringLiteral("v1alpha1"), QStringLiteral("v1beta1")}) {
            yaml.setApiVersion(version);
            const QString path = dir.filePath(version + QStringLiteral(".yaml"));
            QVERIFY2(yaml.save(path, &error), qPrintable(error));
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray y = f.readAll();
            QVERIFY(y.contains(("apiVersion: aigateway.envoyproxy.io/" + version + "\nkind: AIGatewayRoute").toUtf8()));
            // Loadable again, as what a user would kubectl apply.
            QVERIFY(config::loadFiles({path.toStdString()}).ok());
        }
        QVERIFY(yaml.reveal(QStringLiteral("kind: BackendTrafficPolicy")));
        QVERIFY(!yaml.reveal(QStringLiteral("no such text")));
        QVERIFY(!yaml.save(QStringLiteral("/nonexistent-dir/x.yaml"), &error));
    }

    void topologyShowsDefaultsWithoutText() {
        TopologyModel model;
        model.setConfig(ticketConfig());
        // qwen-primary-fb: weight unset (default 1), priority 0 set explicitly.
        const QModelIndex w = model.indexFor({1, 0, 0}, TopologyModel::WeightColumn);
        const QModelIndex p = model.indexFor({1, 0, 0}, TopologyModel::PriorityColumn);
        QCOMPARE(w.data().toString(), QStringLiteral("1"));
        QVERIFY(w.data(Qt::FontRole).value<QFont>().italic());
        QVERIFY(w.data(Qt::ToolTipRole).toString().startsWith(QStringLiteral("Not set in the YAML")));
        QCOMPARE(p.data().toString(), QStringLiteral("0"));
        QVERIFY(!p.data(Qt::FontRole).isValid());
        QCOMPARE(model.indexFor({0, 0, 0}, TopologyModel::WeightColumn).data().toString(), QStringLiteral("50"));
    }

    void serversModel() {
        ServersModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        std::vector<proxy::ServerInfo> servers(3);
        servers[0].name = "qwen-primary";
        servers[0].state = proxy::ServerState::Ready;
        servers[1].name = "qwen-secondary";
        servers[1].state = proxy::ServerState::Pulling;
        servers[1].pullProgress = 0.42;
        servers[2].name = "qwen-tertiary";
        servers[2].state = proxy::ServerState::Faulted;
        servers[2].faultSummary = "status 503";
        servers[2].ejectedUntilMsByRule["default/r/rule/0"] = QDateTime::currentMSecsSinceEpoch() + 60000;
        model.setServers(servers);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.index(1, ServersModel::StateColumn).data().toString(), QStringLiteral("pulling 42%"));
        QVERIFY(model.index(2, ServersModel::StateColumn).data().toString().contains(QStringLiteral("ejected until")));
        servers[0].state = proxy::ServerState::Stopped;
        model.setServers(servers);  // same rows: updated in place
        QVERIFY(model.index(0, ServersModel::StateColumn).data().toString().startsWith(QStringLiteral("stopped")));
        servers.pop_back();
        model.setServers(servers);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.rowOf(QStringLiteral("qwen-secondary")), 1);
    }

    // Reference 3.5: a delete reaches the gateway at its next DNS refresh; the state says how long
    // the name still resolves (connects time out until then), and a re-apply how long until it
    // resolves again. A black hole is a fault in any state.
    void serverStateTellsTheDnsStory_data() {
        QTest::addColumn<int>("state");
        QTest::addColumn<qint64>("dnsInMs");  // dnsChangeAtMs - now; -1: nothing pending
        QTest::addColumn<bool>("blackHole");
        QTest::addColumn<QString>("label");
        using S = proxy::ServerState;
        // 22.2 s left rounds up to 23 s: the countdown never shows 0 while the change is pending.
        QTest::newRow("deleted, DNS pending") << int(S::Deleted) << qint64(22200) << false
                                              << QStringLiteral("deleted \u2014 DNS still resolves for 23 s");
        QTest::newRow("deleted, refresh due") << int(S::Deleted) << qint64(-500) << false
                                              << QStringLiteral("deleted \u2014 DNS refresh due");
        QTest::newRow("deleted, removed") << int(S::Deleted) << qint64(-1) << false
                                          << QStringLiteral("deleted (name removed from DNS)");
        QTest::newRow("re-applied, ready") << int(S::Ready) << qint64(5000) << false
                                           << QStringLiteral("re-applied \u2014 resolves again in 5 s");
        QTest::newRow("re-applied, starting") << int(S::Starting) << qint64(4001) << false
                                              << QStringLiteral("re-applied \u2014 resolves again in 5 s (starting)");
        QTest::newRow("black hole") << int(S::Ready) << qint64(-1) << true << QStringLiteral("black hole (connects time out)");
        QTest::newRow("stopped") << int(S::Stopped) << qint64(-1) << false << QStringLiteral("stopped (connection refused)");
    }
    void serverStateTellsTheDnsStory() {
        QFETCH(int, state);
        QFETCH(qint64, dnsInMs);
        QFETCH(bool, blackHole);
        QFETCH(QString, label);
        const qint64 now = 1'800'000'000'000;
        proxy::ServerInfo s;
        s.name = "qwen-primary";
        s.state = static_cast<proxy::ServerState>(state);
        s.dnsChangeAtMs = dnsInMs == -1 ? 0 : now + dnsInMs;
        s.blackHole = blackHole;
        if (blackHole)
            s.faultSummary = "black hole (connects time out)";
        QCOMPARE(stateLabel(s, now), label);
        QVERIFY(stateToolTip(s, now).startsWith(label));
        QCOMPARE(hasTimedState(s, now), dnsInMs != -1);
    }

    void serversModelCountsDownOnlyPendingRows() {
        ServersModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        std::vector<proxy::ServerInfo> servers(2);
        servers[0].name = "qwen-primary";
        servers[0].state = proxy::ServerState::Deleted;
        servers[0].dnsChangeAtMs = now + 30000;
        servers[1].name = "qwen-secondary";
        servers[1].state = proxy::ServerState::Ready;
        model.setServers(servers);
        const QModelIndex primary = model.index(0, ServersModel::StateColumn);
        QVERIFY2(primary.data().toString().startsWith(QStringLiteral("deleted \u2014 DNS still resolves for ")),
                 qPrintable(primary.data().toString()));
        QVERIFY(primary.data(Qt::ToolTipRole).toString().contains(QStringLiteral("priority 1")));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.refreshTimedStates(now + 1000);
        QCOMPARE(changed.count(), 1);  // the deleted row's state cell only
        QCOMPARE(changed.front().at(0).toModelIndex(), primary);
        QCOMPARE(changed.front().at(1).toModelIndex(), primary);
        servers[0].dnsChangeAtMs = 0;  // the refresh removed the host
        model.setServers(servers);
        QCOMPARE(primary.data().toString(), QStringLiteral("deleted (name removed from DNS)"));
        changed.clear();
        model.refreshTimedStates(now + 2000);
        QCOMPARE(changed.count(), 0);  // nothing counts down: no repaint
    }

    // Reference 3.5: a backendRef naming a missing AIServiceBackend fails the whole route. The
    // topology shows each route's status; a route that breaks after it was accepted keeps serving its
    // last accepted version, as the engine does.
    void topologyShowsRouteStatus() {
        const config::Config good = config::builtinScenario();
        config::Config broken = good;
        QVERIFY(broken.routes.size() >= 2);
        broken.routes[1].rules.at(0).backendRefs.at(0).name = "no-such-backend";
        const QString brokenName = QString::fromStdString(broken.routes[1].meta.name);
        auto routeRows = [](const TopologyModel& m) {
            QStringList out;
            for (int g = 0; g < m.rowCount(); ++g)
                for (int r = 0; r < m.rowCount(m.index(g, 0)); ++r)
                    out << m.index(r, 0, m.index(g, 0)).data().toString();
            return out;
        };
        auto rowOf = [&](const TopologyModel& m, const QString& name) {
            for (const QString& row : routeRows(m))
                if (row.startsWith(QStringLiteral("AIGatewayRoute %1 ").arg(name)))
                    return row;
            return QString();
        };
        const QString reason = QStringLiteral("Not accepted: failed to get AIServiceBackend default/no-such-backend: not found");

        TopologyModel fresh;
        QAbstractItemModelTester tester(&fresh, QAbstractItemModelTester::FailureReportingMode::QtTest);
        fresh.setConfig(broken);
        QCOMPARE(rowOf(fresh, brokenName), QStringLiteral("AIGatewayRoute %1 \u2014 Not accepted (not served)").arg(brokenName));
        QCOMPARE(TopologyModel::statusText(fresh.routeStatus()[1]), reason);
        QCOMPARE(fresh.routeStatus().size(), broken.routes.size());
        QVERIFY(!fresh.routeStatus()[1].accepted);
        QVERIFY(!fresh.routeStatus()[1].servingLastAccepted);  // never accepted: not served (404)
        QVERIFY(fresh.routeStatus()[0].accepted);
        QVERIFY(routeRows(fresh).first().endsWith(QStringLiteral(" \u2014 Accepted")));
        // The row is red and its tooltip says what a rejected route means for clients.
        auto indexOf = [](const TopologyModel& m, const QString& name) {
            for (int g = 0; g < m.rowCount(); ++g)
                for (int r = 0; r < m.rowCount(m.index(g, 0)); ++r)
                    if (m.index(r, 0, m.index(g, 0)).data().toString().contains(name))
                        return m.index(r, 0, m.index(g, 0));
            return QModelIndex();
        };
        const QModelIndex row = indexOf(fresh, brokenName);
        QVERIFY(row.isValid());
        QCOMPARE(row.data(Qt::ForegroundRole).value<QBrush>().color(), QColor(190, 0, 0));
        QVERIFY(row.data(Qt::ToolTipRole).toString().contains(reason));
        QVERIFY(row.data(Qt::ToolTipRole).toString().contains(QStringLiteral("404")));

        TopologyModel live;
        live.setConfig(good);
        QCOMPARE(rowOf(live, brokenName), QStringLiteral("AIGatewayRoute %1 \u2014 Accepted").arg(brokenName));
        live.setConfig(broken);  // a live edit breaks it: the last accepted version keeps serving
        QCOMPARE(rowOf(live, brokenName),
                 QStringLiteral("AIGatewayRoute %1 \u2014 Not accepted (last accepted serving)").arg(brokenName));
        QCOMPARE(TopologyModel::statusText(live.routeStatus()[1]), reason + QStringLiteral("; serving the last accepted version"));
        QVERIFY(live.routeStatus()[1].servingLastAccepted);
        live.setConfig(broken);  // still served while it stays in the config
        QVERIFY(live.routeStatus()[1].servingLastAccepted);
        live.setConfig(good);
        QVERIFY(live.routeStatus()[1].accepted);
    }
};

QTEST_MAIN(TestUiModels)
#include "test_ui_models.moc"
