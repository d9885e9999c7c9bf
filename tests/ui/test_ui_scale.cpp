// The desktop app at a cluster's size (bench/config_scale_gen.h: routes x 10 backends over 4
// namespaces): the Topology and Model servers filters, routes collapsed with the selected model's
// open, one selected virtual model followed by the split chart, the timeline's and throughput
// chart's lanes and the load generator; the load generator's traffic mix; lanes for thousands of
// backends. Item models run under QAbstractItemModelTester.
#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QLineEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTest>

#include <set>
#include <QThread>
#include <QTreeView>
#include <QUndoStack>

#include <map>

#include "chart_buffers.h"
#include "chart_feed.h"
#include "charts.h"
#include "charts_panel.h"
#include "config/loader.h"
#include "config_scale_gen.h"
#include "docks.h"
#include "loadgen/load_generator.h"
#include "mockbackends/mock_server.h"
#include "model_focus.h"
#include "servers_model.h"
#include "session_recorder.h"
#include "split_math.h"
#include "topology_model.h"

using namespace aigw;
using namespace aigw::ui;

namespace {
/// `routes` AIGatewayRoutes of 10 backends, as kubectl prints them (route r answers model-r).
config::Config clusterConfig(int routes) {
    bench::ScaleSpec spec;
    spec.routes = routes;
    const auto result = config::loadString(bench::generateClusterYaml(spec), "cluster.yaml");
    if (!result.ok())
        qFatal("generated config does not load: %s", result.errors.front().toString().c_str());
    return result.config;
}

/// Rows of `view` under `parent` that are not hidden.
int shownRows(QTreeView* view, const QModelIndex& parent) {
    int n = 0;
    for (int row = 0; row < view->model()->rowCount(parent); ++row)
        n += view->isRowHidden(row, parent) ? 0 : 1;
    return n;
}

/// Every route row shown by the Topology dock.
QStringList shownRoutes(QTreeView* view, TopologyModel* model) {
    QStringList out;
    for (int g = 0; g < model->rowCount(); ++g) {
        const QModelIndex gw = model->index(g, 0);
        if (view->isRowHidden(g, {}))
            continue;
        for (int r = 0; r < model->rowCount(gw); ++r)
            if (!view->isRowHidden(r, gw))
                out << model->index(r, 0, gw).data(TopologyModel::FilterRole).toString();
    }
    return out;
}

/// The backendRef names of the rule answering `model`.
QStringList backendsOf(const TopologyModel& topo, const QString& model) {
    const RefPath p = topo.ruleForModel(model);
    QStringList out;
    if (p.route >= 0) {
        // Lanes are named by laneKey: the generated routes live in several namespaces.
        const auto& route = topo.config().routes[p.route];
        for (const auto& ref : route.rules[p.rule].backendRefs)
            out << QString::fromStdString(laneKey(ref, route.meta.effectiveNamespace()));
    }
    return out;
}

proxy::ServerInfo server(const QString& name, QStringList models) {
    proxy::ServerInfo s;
    s.name = name;
    s.models = std::move(models);
    s.hostname = name + QStringLiteral(".team-0.svc.cluster.local");
    s.state = proxy::ServerState::Ready;
    return s;
}
}  // namespace

class TestUiScale : public QObject {
    Q_OBJECT
private slots:
    void modelMixParses_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("parsed");  // model=weight;... or "error: <part of the message>"
        QTest::newRow("weights") << "model-a=3, model-b=1" << "model-a=3;model-b=1;";
        QTest::newRow("default weight, spaces and lines") << " a\nb=0.5  c " << "a=1;b=0.5;c=1;";
        QTest::newRow("empty") << " , " << "error: no model";
        QTest::newRow("zero weight") << "a=0" << "error: greater than 0";
        QTest::newRow("negative") << "a=-2" << "error: greater than 0";
        QTest::newRow("not a number") << "a=lots" << "error: greater than 0";
        QTest::newRow("nothing after =") << "a=" << "error: greater than 0";
        QTest::newRow("no name") << "=3" << "error: no model name";
        QTest::newRow("twice") << "a=1, b, a=2" << "error: named twice";
    }
    void modelMixParses() {
        QFETCH(QString, text);
        QFETCH(QString, parsed);
        std::string error;
        const auto mix = loadgen::parseModelMix(text.toStdString(), &error);
        if (parsed.startsWith(QStringLiteral("error: "))) {
            QVERIFY(!mix);
            QVERIFY2(QString::fromStdString(error).contains(parsed.mid(7)), error.c_str());
            return;
        }
        QVERIFY2(mix, error.c_str());
        QString got;
        for (const auto& m : *mix)
            got += QStringLiteral("%1=%2;").arg(QString::fromStdString(m.model)).arg(m.weight);
        QCOMPARE(got, parsed);
    }

    void mixPickerKeepsSharesAndInterleaves() {
        // Shares 3:1:1 -> after every 5 picks exactly 3, 1 and 1; never two b's in a row.
        loadgen::MixPicker picker({{"a", 3}, {"b", 1}, {"c", 1}});
        std::map<std::size_t, int> counts;
        std::size_t last = 99;
        for (int i = 1; i <= 500; ++i) {
            const std::size_t k = picker.next();
            QVERIFY(k < 3);
            QVERIFY2(!(k == 1 && last == 1), "b picked twice in a row");
            last = k;
            ++counts[k];
            if (i % 5 == 0) {
                QCOMPARE(counts[0], i / 5 * 3);
                QCOMPARE(counts[1], i / 5);
                QCOMPARE(counts[2], i / 5);
            }
        }
        // A hundred equal models: each once in every hundred picks.
        std::vector<std::string> names;
        for (int i = 0; i < 100; ++i)
            names.push_back("model-" + std::to_string(i));
        loadgen::MixPicker equal(loadgen::equalMix(names));
        std::vector<int> seen(100, 0);
        for (int i = 0; i < 300; ++i)
            ++seen[equal.next()];
        for (int n : seen)
            QCOMPARE(n, 3);
    }

    void loadGeneratorSendsTheMix() {
        // A real mock server counts what it receives per model. It is made, used and deleted on
        // its own thread (its members are objects of that thread).
        QThread thread;
        thread.start();
        QObject context;
        context.moveToThread(&thread);
        mock::MockOptions mo;
        mo.models = {"model-a", "model-b", "model-c"};
        mo.firstTokenMs = 0;
        mock::MockServer* server = nullptr;
        quint16 port = 0;
        QMetaObject::invokeMethod(
            &context,
            [&] {
                server = new mock::MockServer(mo);
                auto r = server->listen(QStringLiteral("127.0.0.1"), 0);
                port = r.ok() ? r.value() : 0;
            },
            Qt::BlockingQueuedConnection);
        QVERIFY(port != 0);
        loadgen::LoadGenerator gen;
        loadgen::LoadOptions o;
        o.port = port;
        o.mix = {{"model-a", 2}, {"model-b", 1}, {"model-c", 1}};
        o.ratePerSecond = 400;
        o.concurrency = 8;
        gen.start(o);
        QTRY_VERIFY_WITH_TIMEOUT(gen.stats().sent >= 200, 30000);
        gen.stop();
        QTRY_VERIFY_WITH_TIMEOUT(gen.stats().inFlight == 0, 30000);
        const auto s = gen.stats();
        QCOMPARE(s.errors, std::uint64_t(0));
        QCOMPARE(s.byModel.size(), std::size_t(3));
        // Sent in the order the picker gives, so the counts are 2:1:1 within one round of four.
        QVERIFY(std::abs(static_cast<double>(s.byModel.at("model-a")) - 2.0 * s.byModel.at("model-b")) <= 2);
        QVERIFY(std::abs(static_cast<double>(s.byModel.at("model-b")) - s.byModel.at("model-c")) <= 1);
        std::map<std::string, std::uint64_t> received;
        QMetaObject::invokeMethod(
            server, [&] { received = server->stats().byModel; }, Qt::BlockingQueuedConnection);
        QCOMPARE(received.at("model-a"), s.byModel.at("model-a"));
        QCOMPARE(received.at("model-c"), s.byModel.at("model-c"));
        QMetaObject::invokeMethod(&context, [server] { delete server; }, Qt::BlockingQueuedConnection);
        thread.quit();
        thread.wait();
    }

    void loadPanelRefusesABadMix() {
        loadgen::LoadGenerator gen;
        LoadPanel panel(&gen);
        // Port 1 refuses connections: a started load counts errors, which is fine here.
        panel.setProxyUrl(QStringLiteral("http://127.0.0.1:1"));
        panel.setMixMode(LoadPanel::MixMode::List);
        QVERIFY(panel.mixBox()->isEnabled());
        panel.setMixText(QStringLiteral("model-a=2, model-b=none"));
        QSignalSpy started(&panel, &LoadPanel::loadStarted);
        panel.startLoad();
        QVERIFY(!gen.isRunning());
        QCOMPARE(started.count(), 0);
        QVERIFY2(panel.statusText().contains(QStringLiteral("Not started")), qPrintable(panel.statusText()));
        QVERIFY2(panel.statusText().contains(QStringLiteral("greater than 0")), qPrintable(panel.statusText()));
        panel.setMixText(QStringLiteral("model-a=2, model-b"));
        panel.startLoad();
        QVERIFY(gen.isRunning());
        QCOMPARE(started.count(), 1);
        const auto o = started.first().first().value<loadgen::LoadOptions>();
        QCOMPARE(o.mix.size(), std::size_t(2));
        QCOMPARE(o.mix[0].weight, 2.0);
        panel.stopLoad();
        // Every model with nothing from /v1/models yet: refused, said why.
        panel.setMixMode(LoadPanel::MixMode::All);
        panel.modelBox()->clear();
        panel.startLoad();
        QVERIFY(!gen.isRunning());
        QVERIFY2(panel.statusText().contains(QStringLiteral("/v1/models")), qPrintable(panel.statusText()));
    }

    void recorderWritesAMixAsOneStreamPerModel() {
        loadgen::LoadGenerator gen;
        LoadPanel panel(&gen);
        SessionRecorder recorder({nullptr, nullptr, nullptr, &panel});
        recorder.start();
        panel.setProxyUrl(QStringLiteral("http://127.0.0.1:1"));
        panel.setRate(100);
        panel.setConcurrency(40);
        panel.setMixMode(LoadPanel::MixMode::List);
        panel.setMixText(QStringLiteral("model-a=3 model-b=1"));
        panel.startLoad();
        panel.stopLoad();
        const auto sc = recorder.toScenario(QStringLiteral("mix"));
        QCOMPARE(sc.load.size(), std::size_t(2));
        QCOMPARE(sc.load[0].model, std::string("model-a"));
        QCOMPARE(sc.load[0].rate, 75.0);
        QCOMPARE(sc.load[1].rate, 25.0);
        QCOMPARE(sc.load[0].concurrency, 30);
        QVERIFY(sc.load[0].to && sc.load[1].to);  // the stop closed both streams
    }

    void chartBuffersKeepALanePerBackend() {
        // 2,000 backends (200 routes x 10): each its own lane, so any model's backends can be drawn.
        ChartBuffers b;
        for (int i = 0; i < 2000; ++i) {
            RequestPoint r;
            r.t = 10 + i * 0.001;
            r.model = "model-" + std::to_string(i / 10);
            r.attempts.push_back({"backend-" + std::to_string(i), r.t, 1, true});
            r.ok = true;
            r.latencyMs = 1;
            b.addRequest(r);
        }
        QCOMPARE(int(b.lanes().size()), 2000);
        QCOMPARE(b.laneOf("backend-1999"), 1999);
        int last = -1;
        b.forEachRequest(0, 100, [&](const TimelineRequest& r) { last = r.attempts[0].lane; });
        QCOMPARE(last, 1999);
        QCOMPARE(b.split("model-199", 60, 13)[1995], std::uint64_t(1));
        // One model's lanes and every other lane as one series: 10 + 1, the rest adds up.
        std::vector<int> only;
        for (int l = 1990; l < 2000; ++l)
            only.push_back(l);
        const auto t = b.throughput(60, 14, 60, &only);  // bins up to second 12 are complete at 14
        QCOMPARE(t.perLane.size(), std::size_t(11));
        double mine = 0, other = 0;
        for (std::size_t l = 0; l < 10; ++l)
            for (double v : t.perLane[l])
                mine += v;
        for (double v : t.perLane[10])
            other += v;
        QCOMPARE(mine, 10.0);
        QCOMPARE(other, 1990.0);
    }

    void topologyModelAtClusterSize() {
        TopologyModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setConfig(clusterConfig(40));
        QCOMPARE(model.rowCount(), 4);  // one Gateway per namespace (ai-gateway in each)
        QCOMPARE(model.virtualModels().size(), 40);
        const RefPath p = model.ruleForModel(QStringLiteral("model-13"));
        QVERIFY(p.route >= 0);
        const QModelIndex route = model.indexForNode({p.route, -1, -1});
        QCOMPARE(route.data(TopologyModel::FilterRole).toString(), QStringLiteral("team-1/llm-route-3"));
        QCOMPARE(model.indexForNode(p).data(TopologyModel::FilterRole).toString(), QStringLiteral("model-13"));
        QCOMPARE(model.indexFor({p.route, p.rule, 2}, 0).data(TopologyModel::FilterRole).toString(),
                 QStringLiteral("llm-route-3-backend-2 model-13-v2"));
        QCOMPARE(model.ruleForModel(QStringLiteral("no-such-model")).route, -1);
        model.setConfig(clusterConfig(8));  // a reset the tester checks too
        QCOMPARE(model.virtualModels().size(), 8);
    }

    void topologyFilterAndCollapsedRoutes() {
        TopologyModel model;
        QUndoStack undo;
        ModelFocus focus;
        model.setConfig(clusterConfig(40));
        TopologyPanel panel(&model, &undo);
        panel.setModelFocus(&focus);
        QTreeView* view = panel.view();
        // Beyond a few routes they start collapsed: only the Gateways are open.
        QCOMPARE(shownRoutes(view, &model).size(), 40);
        for (int r = 0; r < 40; ++r)
            QVERIFY(!view->isExpanded(model.indexForNode({r, -1, -1})));
        QVERIFY(view->isExpanded(model.index(0, 0)));
        // The selected model's route opens, rule and all.
        focus.setModel(QStringLiteral("model-13"));
        const RefPath p = model.ruleForModel(QStringLiteral("model-13"));
        QVERIFY(view->isExpanded(model.indexForNode({p.route, -1, -1})));
        QVERIFY(view->isExpanded(model.indexForNode(p)));

        // By model: model-1 and model-10..19.
        panel.setFilterText(QStringLiteral("MODEL-1"));
        QStringList routes = shownRoutes(view, &model);
        QCOMPARE(routes.size(), 11);
        // A matching rule shows all its backendRefs.
        const RefPath m1 = model.ruleForModel(QStringLiteral("model-1"));
        QCOMPARE(shownRows(view, model.indexForNode(m1)), 10);
        QVERIFY(view->isExpanded(model.indexForNode(m1)));
        // By backend: the same name in four namespaces (llm-route-2 is routes 8..11), one ref each.
        panel.setFilterText(QStringLiteral("llm-route-2-backend-3"));
        routes = shownRoutes(view, &model);
        QCOMPARE(routes, (QStringList{QStringLiteral("team-0/llm-route-2"), QStringLiteral("team-1/llm-route-2"),
                                      QStringLiteral("team-2/llm-route-2"), QStringLiteral("team-3/llm-route-2")}));
        const RefPath r8 = model.ruleForModel(QStringLiteral("model-8"));
        QCOMPARE(shownRows(view, model.indexForNode(r8)), 1);
        QVERIFY(!view->isRowHidden(3, model.indexForNode(r8)));
        // By route namespace/name: the route with everything under it.
        panel.setFilterText(QStringLiteral("team-3/llm-route-9"));
        routes = shownRoutes(view, &model);
        QCOMPARE(routes, QStringList{QStringLiteral("team-3/llm-route-9")});
        QCOMPARE(shownRows(view, model.indexForNode(model.ruleForModel(QStringLiteral("model-39")))), 10);
        // Nothing matches: nothing shown; cleared: all routes back, collapsed but the focused one.
        panel.setFilterText(QStringLiteral("no-such-thing"));
        QCOMPARE(shownRoutes(view, &model).size(), 0);
        panel.setFilterText(QString());
        QCOMPARE(shownRoutes(view, &model).size(), 40);
        QVERIFY(!view->isExpanded(model.indexForNode(r8)));
        QVERIFY(view->isExpanded(model.indexForNode({p.route, -1, -1})));
        // A small config opens fully.
        model.setConfig(clusterConfig(TopologyPanel::kExpandAllRoutesUpTo));
        for (int r = 0; r < TopologyPanel::kExpandAllRoutesUpTo; ++r)
            QVERIFY(view->isExpanded(model.indexForNode({r, -1, -1})));
    }

    void chartsLoadAndTopologyFollowOneModel() {
        TopologyModel topo;
        QUndoStack undo;
        ModelFocus focus;
        ChartFeed feed;
        topo.setConfig(clusterConfig(40));
        ChartsPanel charts(&feed, &topo);
        loadgen::LoadGenerator gen;
        LoadPanel load(&gen);
        TopologyPanel tree(&topo, &undo);
        charts.setModelFocus(&focus);
        load.setModelFocus(&focus);
        tree.setModelFocus(&focus);
        charts.resize(1200, 1000);
        // Most of the height to the timeline (split chart, throughput, timeline).
        charts.findChild<QSplitter*>()->setSizes({150, 150, 700});
        charts.show();
        QVERIFY(QTest::qWaitForWindowExposed(&charts));
        // The split chart's first model became the window's.
        QCOMPARE(focus.model(), charts.splitChart()->selectedModel());
        QVERIFY(!focus.model().isEmpty());
        // 100 backend names (the 400 Backends repeat their names in the 4 namespaces): the timeline
        // starts on the selected model's lanes.
        QCOMPARE(static_cast<TimelineWidget::LaneMode>(charts.laneModeBox()->currentData().toInt()),
                 TimelineWidget::LaneMode::Model);

        auto checkFollows = [&](const QString& model) {
            QCOMPARE(focus.model(), model);
            QCOMPARE(charts.splitChart()->selectedModel(), model);
            QCOMPARE(load.modelBox()->currentText(), model);
            charts.timeline()->repaint();
            QCOMPARE(charts.timeline()->lastLanes(), backendsOf(topo, model));
            QCOMPARE(charts.timeline()->lastVisibleLanes(), backendsOf(topo, model));  // 10 lanes fit
            QVERIFY(!charts.timeline()->laneScrollBar()->isVisible());
            charts.throughputChart()->redraw();
            QCOMPARE(charts.throughputChart()->seriesNames(), backendsOf(topo, model) << QStringLiteral("other backends"));
            const RefPath p = topo.ruleForModel(model);
            QVERIFY(tree.view()->isExpanded(topo.indexForNode({p.route, -1, -1})));
        };
        // From the split chart's box.
        charts.splitChart()->modelBox()->setCurrentIndex(charts.splitChart()->modelBox()->findText(QStringLiteral("model-7")));
        checkFollows(QStringLiteral("model-7"));
        // From the Topology dock: selecting a backendRef of model-22's rule.
        const RefPath p22 = topo.ruleForModel(QStringLiteral("model-22"));
        tree.view()->setCurrentIndex(topo.indexFor({p22.route, p22.rule, 4}, TopologyModel::NameColumn));
        checkFollows(QStringLiteral("model-22"));
        // From the load generator's box, as the user picks it from the list.
        load.modelBox()->addItems({QStringLiteral("model-30"), QStringLiteral("model-31")});
        const int i31 = load.modelBox()->findText(QStringLiteral("model-31"));
        load.modelBox()->setCurrentIndex(i31);
        emit load.modelBox()->activated(i31);
        checkFollows(QStringLiteral("model-31"));
        // From code (a lesson's model of interest, a script).
        charts.splitChart()->selectModel(QStringLiteral("model-5"));
        checkFollows(QStringLiteral("model-5"));

        // Every backend: 100 lanes do not fit 700 pixels, so they scroll, each lane a text line high.
        charts.laneModeBox()->setCurrentIndex(charts.laneModeBox()->findData(static_cast<int>(TimelineWidget::LaneMode::All)));
        TimelineWidget* timeline = charts.timeline();
        timeline->repaint();
        // The generated routes reuse backend names across namespaces: each (namespace, name) is a lane.
        std::set<QString> backends;
        for (const auto& route : topo.config().routes)
            for (const auto& rule : route.rules)
                for (const auto& ref : rule.backendRefs)
                    backends.insert(QString::fromStdString(laneKey(ref, route.meta.effectiveNamespace())));
        const int all = static_cast<int>(backends.size());
        QVERIFY2(all > 100, qPrintable(QString::number(all)));
        QCOMPARE(timeline->lastLanes().size(), all);
        QVERIFY(timeline->laneScrollBar()->isVisible());
        const int visible = static_cast<int>(timeline->lastVisibleLanes().size());
        QVERIFY(visible > 10 && visible < all);
        QCOMPARE(timeline->laneScrollBar()->maximum(), all - visible);
        QCOMPARE(timeline->lastVisibleLanes().first(), timeline->lastLanes().first());
        timeline->laneScrollBar()->setValue(timeline->laneScrollBar()->maximum());
        timeline->repaint();
        QCOMPARE(timeline->lastVisibleLanes().last(), timeline->lastLanes().last());
        // Selected model's + any with traffic: a request to another model's backend adds its lane.
        charts.laneModeBox()->setCurrentIndex(
            charts.laneModeBox()->findData(static_cast<int>(TimelineWidget::LaneMode::ModelAndActive)));
        RequestPoint r;
        r.t = feed.sessionSeconds();
        r.model = "model-39";
        const QString otherBackend = backendsOf(topo, QStringLiteral("model-39")).first();
        r.attempts.push_back({otherBackend.toStdString(), r.t, 1, true});
        r.ok = true;
        feed.post({r});
        feed.flushNow();
        timeline->repaint();
        QCOMPARE(timeline->lastLanes(), backendsOf(topo, QStringLiteral("model-5")) << otherBackend);
    }

    void serversModelAndFilterAtScale() {
        ServersModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        ServersPanel panel(&model, nullptr);
        QAbstractItemModelTester proxyTester(panel.filterModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        // A few servers: no filter box.
        model.setServers({server(QStringLiteral("qwen-primary"), {QStringLiteral("qwen2.5:0.5b")})});
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QVERIFY(!panel.filterBox()->isVisible());
        std::vector<proxy::ServerInfo> many;
        for (int i = 0; i < 300; ++i)
            many.push_back(server(QStringLiteral("llm-%1").arg(i),
                                  {QStringLiteral("model-%1-v0").arg(i), QStringLiteral("model-%1-v1").arg(i),
                                   QStringLiteral("model-%1-v2").arg(i), QStringLiteral("shared-embedder")}));
        model.setServers(many);
        QVERIFY(panel.filterBox()->isVisible());
        QCOMPARE(model.rowCount(), 300);  // one row per server
        // A long model list stays one line; the tooltip has every model.
        const QModelIndex models = model.index(7, ServersModel::ModelsColumn);
        QCOMPARE(models.data().toString(), QStringLiteral("model-7-v0, model-7-v1 +2 more"));
        QCOMPARE(models.data(Qt::ToolTipRole).toString(),
                 QStringLiteral("model-7-v0\nmodel-7-v1\nmodel-7-v2\nshared-embedder"));
        // Filter by a model, a name, a hostname.
        panel.setFilterText(QStringLiteral("MODEL-12-V1"));
        QCOMPARE(panel.filterModel()->rowCount(), 1);
        panel.view()->selectRow(0);
        QCOMPARE(panel.selectedServer(), QStringLiteral("llm-12"));
        panel.setFilterText(QStringLiteral("llm-29"));
        QCOMPARE(panel.filterModel()->rowCount(), 11);  // llm-29, llm-290..299
        panel.setFilterText(QStringLiteral("shared-embedder"));
        QCOMPARE(panel.filterModel()->rowCount(), 300);
        // Selecting a server the filter hides clears the filter, so it can be seen.
        panel.setFilterText(QStringLiteral("llm-29"));
        panel.selectServer(QStringLiteral("llm-3"));
        QCOMPARE(panel.filterBox()->text(), QString());
        QCOMPARE(panel.selectedServer(), QStringLiteral("llm-3"));
        // Refreshed rows keep the selection (same servers, new states).
        many[3].state = proxy::ServerState::Stopped;
        model.setServers(many);
        QCOMPARE(panel.selectedServer(), QStringLiteral("llm-3"));
    }
};

QTEST_MAIN(TestUiScale)
#include "test_ui_scale.moc"
