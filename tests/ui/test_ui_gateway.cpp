// The desktop app against the real embedded gateway (loopback, port 0, mock model servers):
// model invariants with live data, a weight edited in the topology view changes the split the
// gateway produces, and stopping a server from the servers dock makes the fallback route answer
// from the secondary. Bad YAML opened from the File menu leaves the running config untouched. A
// Ticket 2 lesson plays in the Scenario dock.
#include <QAbstractItemModelTester>
#include <QDir>
#include <QDockWidget>
#include <QSpinBox>
#include <QFile>
#include <QHeaderView>
#include <QTabWidget>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include "app_settings.h"
#include "chart_feed.h"
#include "doctor_panel.h"
#include "charts_panel.h"
#include "pages.h"
#include "config/builtin.h"
#include "docks.h"
#include "gateway_bridge.h"
#include "gui_session.h"
#include "loadgen/load_generator.h"
#include "main_window.h"
#include "request_log_model.h"
#include "routing/records.h"
#include "servers_model.h"
#include "topology_model.h"
#include "expectations_model.h"
#include "lessons.h"
#include "scenario/live_player.h"
#include "scenario_panel.h"

#include "config/doctor.h"
#include "qtest_names.h"

AIGW_QTEST_NAMES(aigw::proxy::ServerState)

using namespace aigw;
using namespace aigw::ui;

namespace {
/// Final backends of the records for `model` that started after `after`.
std::map<std::string, int> answeredBy(MainWindow* w, const std::string& model, TimePoint after, int* total) {
    std::map<std::string, int> out;
    *total = 0;
    auto* log = w->requestLogModel();
    for (int row = 0; row < log->rowCount(); ++row) {
        const auto& r = log->record(row);
        if (r.virtualModel == model && r.start >= after) {
            ++out[r.finalStatus == 200 ? r.finalBackend : "status " + std::to_string(r.finalStatus)];
            ++*total;
        }
    }
    return out;
}

/// Sends `n` requests through the gateway with the app's load generator and waits for their records.
void drive(MainWindow* w, const QString& model, int n, TimePoint after) {
    auto* load = w->loadPanel();
    load->setModel(model);
    load->setRate(200);
    load->setConcurrency(8);
    load->startLoad();
    int total = 0;
    QTRY_VERIFY_WITH_TIMEOUT((answeredBy(w, model.toStdString(), after, &total), total >= n), 30000);
    load->stopLoad();
}

/// The weights the running gateway uses for the rule of `ref` (not what the view shows).
std::vector<std::int64_t> servedWeights(proxy::GatewayService* service, const RefPath& ref) {
    std::vector<std::int64_t> out;
    const auto cfg = service->config();
    if (!cfg || ref.route >= static_cast<int>(cfg->routes.size()) ||
        ref.rule >= static_cast<int>(cfg->routes[ref.route].rules.size()))
        return out;
    for (const auto& b : cfg->routes[ref.route].rules[ref.rule].backendRefs)
        out.push_back(b.effectiveWeight());
    return out;
}

/// The same weights as the topology view shows them.
std::vector<std::int64_t> shownWeights(TopologyModel* topo, const RefPath& ref) {
    std::vector<std::int64_t> out;
    for (const auto& b : topo->config().routes[ref.route].rules[ref.rule].backendRefs)
        out.push_back(b.effectiveWeight());
    return out;
}

QString describe(const std::map<std::string, int>& m) {
    QString s;
    for (const auto& [k, v] : m)
        s += QStringLiteral("%1=%2 ").arg(QString::fromStdString(k)).arg(v);
    return s;
}
}  // namespace

class TestUiGateway : public QObject {
    Q_OBJECT
private:
    static constexpr int kDnsSeconds = 3;
    QTemporaryDir m_tmp;
    std::unique_ptr<GuiSession> m_session;

private slots:
    void initTestCase() {
        GuiSession::Options o;
        o.gateway.proxyPort = 0;
        o.gateway.adminPort = 0;
        o.gateway.mockBackendPath = qEnvironmentVariable("AIGW_BUILD_DIR") + QStringLiteral("/mockbackends/aigw-mock-backend");
        o.settingsPath = m_tmp.filePath(QStringLiteral("settings.ini"));
        // A DNS refresh other than the default, which the servers dock must show.
        o.gateway.dnsRefreshDelay = std::chrono::seconds(kDnsSeconds);
        m_session = std::make_unique<GuiSession>(config::builtinScenario(), o);
        m_session->window()->setInteractive(false);
        m_session->window()->show();
        m_session->start();
        QVERIFY2(m_session->waitReady(20000), qPrintable(m_session->error()));
        QVERIFY(m_session->waitServersReady(30000));
    }
    void cleanupTestCase() { m_session.reset(); }

    void modelsPassTesterWithLiveData() {
        MainWindow* w = m_session->window();
        QAbstractItemModelTester t1(w->topologyModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester t2(w->serversModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester t3(w->requestLogModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(w->serversModel()->rowCount() >= 3);
        drive(w, QStringLiteral("virtual-qwen-model"), 50, w->bridge()->steadyNow());
        QVERIFY(w->requestLogModel()->rowCount() >= 50);
    }

    void weightEditChangesGatewaySplit() {
        MainWindow* w = m_session->window();
        auto* topo = w->topologyModel();
        // Find the virtual-qwen-model rule's refs and edit through the view's model (what the
        // delegate does): secondary and tertiary to weight 0 -> the primary must take everything.
        RefPath primary{-1, -1, -1};
        for (int r = 0; r < static_cast<int>(topo->config().routes.size()); ++r)
            for (int u = 0; u < static_cast<int>(topo->config().routes[r].rules.size()); ++u)
                if (topo->config().routes[r].rules[u].backendRefs.size() == 3)
                    primary = {r, u, 0};
        QVERIFY(primary.route >= 0);
        auto* view = w->topologyPanel()->view();
        QCOMPARE(view->model(), static_cast<QAbstractItemModel*>(topo));
        QVERIFY(view->model()->setData(topo->indexFor({primary.route, primary.rule, 1}, TopologyModel::WeightColumn), 0));
        QVERIFY(view->model()->setData(topo->indexFor({primary.route, primary.rule, 2}, TopologyModel::WeightColumn), 0));
        // The queued edits reach the data plane.
        QTRY_VERIFY_WITH_TIMEOUT(servedWeights(service(), primary) == shownWeights(topo, primary), 30000);
        QCOMPARE(servedWeights(service(), primary)[1], 0);
        const std::string primaryName = topo->backendRef(primary).name;
        TimePoint after = w->bridge()->steadyNow();
        int total = 0;
        drive(w, QStringLiteral("virtual-qwen-model"), 60, after);
        auto by = answeredBy(w, "virtual-qwen-model", after, &total);
        QVERIFY2(by[primaryName] == total, qPrintable(describe(by)));
        // Undo both edits (Ctrl+Z twice): the other backends answer again.
        w->undoStack()->undo();
        w->undoStack()->undo();
        QCOMPARE(topo->backendRef({primary.route, primary.rule, 1}).effectiveWeight(), 30);
        QTRY_VERIFY_WITH_TIMEOUT(servedWeights(service(), primary) == shownWeights(topo, primary), 30000);
        after = w->bridge()->steadyNow();
        drive(w, QStringLiteral("virtual-qwen-model"), 200, after);
        by = answeredBy(w, "virtual-qwen-model", after, &total);
        QVERIFY2(by[primaryName] < total && by[primaryName] > total / 4, qPrintable(describe(by)));
    }

    void stopFromUiFailsOverToSecondary() {
        MainWindow* w = m_session->window();
        auto* panel = w->serversPanel();
        panel->selectServer(QStringLiteral("qwen-primary"));
        QCOMPARE(panel->selectedServer(), QStringLiteral("qwen-primary"));
        QPushButton* stop = nullptr;
        for (auto* b : panel->findChildren<QPushButton*>())
            if (b->text() == QStringLiteral("Stop"))
                stop = b;
        QVERIFY(stop && stop->isEnabled());
        QTest::mouseClick(stop, Qt::LeftButton);
        const int row = w->serversModel()->rowOf(QStringLiteral("qwen-primary"));
        QTRY_COMPARE_WITH_TIMEOUT(w->serversModel()->server(row)->state, proxy::ServerState::Stopped, 30000);
        const TimePoint after = w->bridge()->steadyNow();
        int total = 0;
        drive(w, QStringLiteral("qwen-with-fallback"), 40, after);
        const auto by = answeredBy(w, "qwen-with-fallback", after, &total);
        int secondary = 0;
        for (const auto& [name, n] : by)
            if (name.find("secondary") != std::string::npos)
                secondary += n;
        QVERIFY2(secondary == total, qPrintable(describe(by)));
        // The timeline saw failed attempts followed by fallback successes.
        QTRY_VERIFY_WITH_TIMEOUT(w->chartFeed()->buffers().requestCount() > 0, 30000);
        service()->startServer(QStringLiteral("qwen-primary"));
        QTRY_COMPARE_WITH_TIMEOUT(w->serversModel()->server(row)->state, proxy::ServerState::Ready, 30000);
    }

    void badYamlLeavesRunningConfigUntouched() {
        MainWindow* w = m_session->window();
        const QString path = m_tmp.filePath(QStringLiteral("bad.yaml"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIGatewayRoute\nmetadata:\n  name: x\nspec:\n  rules: [\n");
        f.close();
        const auto before = w->topologyModel()->config().routes;
        const auto running = service()->config();
        QVERIFY(!w->openFiles({path}));
        QVERIFY2(w->lastErrorText().contains(QStringLiteral("bad.yaml:")), qPrintable(w->lastErrorText()));
        QVERIFY(w->topologyModel()->config().routes == before);
        // Anything the failed open had queued would be applied before a server command queued after
        // it (commands wait for pending config changes): the command's error event marks that point.
        QSignalSpy logged(w->bridge(), &GatewayBridge::eventLogged);
        service()->stopServer(QStringLiteral("no-such-server-barrier"));
        QTRY_VERIFY_WITH_TIMEOUT(std::any_of(logged.begin(), logged.end(),
                                             [](const QList<QVariant>& a) {
                                                 return a.at(0).toString().contains(QStringLiteral("no-such-server-barrier"));
                                             }),
                                 30000);
        QVERIFY(service()->config() == running);
    }

    // Ticket 2's lesson "as written, the pod down" from the Lessons tab, played in the Scenario dock
    // against the live gateway: every expectation the lesson states holds (no failure before the
    // stop; every request fails with 503 while the primary refuses connections, because the retries
    // stay on priority 0; the secondary is never tried; traffic back on the primary once it starts),
    // and the request log shows the same.
    void ticket2LessonPlaysLive() {
        MainWindow* w = m_session->window();
        const QString lesson = qEnvironmentVariable("AIGW_SOURCE_DIR") + QStringLiteral("/samples/scenarios/ticket2-as-written-pod-down.yaml");
        w->tabs()->setCurrentWidget(w->lessons());
        QVERIFY2(w->lessons()->selectFile(lesson), qPrintable(w->scenarioPanel()->errorText()));
        ScenarioPanel* panel = w->scenarioPanel();
        QVERIFY(w->scenarioDock()->isVisible());
        QCOMPARE(panel->stepsView()->count(), 3);
        const TimePoint before = w->bridge()->steadyNow();
        panel->play();
        QTRY_COMPARE_WITH_TIMEOUT(panel->player()->state(), scenario::LivePlayer::State::Playing, 30000);
        // While the primary is down: the doctor's key finding is on the running config.
        QTRY_VERIFY_WITH_TIMEOUT(panel->player()->currentStep() == 1, 40000);
        QCOMPARE(w->doctorPanel()->findings().front().id, std::string(config::finding_id::kRetryStaysOnPriority0));
        dumpWindow(QStringLiteral("ui-lesson-pod-down.png"));
        QTRY_COMPARE_WITH_TIMEOUT(panel->player()->state(), scenario::LivePlayer::State::Finished, 120000);
        const auto* model = panel->expectationsModel();
        // The failed requests, with their start since Play, for the message of a failed expectation.
        QString failed;
        for (int row = 0; row < w->requestLogModel()->rowCount(); ++row) {
            const auto& r = w->requestLogModel()->record(row);
            if (r.start >= before && r.virtualModel == "qwen-with-fallback" && r.finalStatus != 200 && failed.size() < 2000)
                failed += QStringLiteral("\n  +%1 ms: %2 after %3 attempt(s), first %4")
                              .arg(std::chrono::duration_cast<std::chrono::milliseconds>(r.start - before).count())
                              .arg(r.finalStatus)
                              .arg(r.attempts.size())
                              .arg(r.attempts.empty() ? QString() : QString::fromLatin1(routing::nameOf(r.attempts.front().failure)));
        }
        // Every expectation as the lesson states it (its first step's window ends a second before the
        // stop: live, a request reaching the gateway just before a stop connects after it).
        for (int row = 0; row < model->rowCount(); ++row) {
            QVERIFY2(model->status(0, row) == ExpectationsModel::Status::Pass,
                     qPrintable(QStringLiteral("%1 (%2): measured %3; failed requests:%4")
                                    .arg(model->index(row, ExpectationsModel::NameColumn).data().toString(),
                                         model->index(row, ExpectationsModel::WindowColumn).data().toString(),
                                         model->index(row, ExpectationsModel::measuredColumn(0)).data().toString(), failed.left(600))));
        }
        int total = 0;
        const auto by = answeredBy(w, "qwen-with-fallback", before, &total);
        QVERIFY2(by.count("status 503") && by.at("status 503") > 100, qPrintable(describe(by)));
        QVERIFY2(!by.count("envoy-ai-gateway-qwen-secondary-fb"), qPrintable(describe(by)));
        panel->restart();
        // Back to the built-in scenario for the tests after this one.
        QTRY_COMPARE_WITH_TIMEOUT(w->serversModel()->server(w->serversModel()->rowOf(QStringLiteral("qwen-primary")))->state,
                                  proxy::ServerState::Ready, 30000);
        service()->applyConfig(config::builtinScenario());
        w->showConfig(config::builtinScenario());
    }

    void faultMenuAndServerLog() {
        MainWindow* w = m_session->window();
        auto* panel = w->serversPanel();
        panel->selectServer(QStringLiteral("qwen-tertiary"));
        QPushButton* faultButton = nullptr;
        for (auto* b : panel->findChildren<QPushButton*>())
            if (b->text() == QStringLiteral("Fault"))
                faultButton = b;
        QVERIFY(faultButton && faultButton->isEnabled() && faultButton->menu());
        QStringList items;
        QAction* return503 = nullptr;
        QAction* clear = nullptr;
        for (QAction* a : faultButton->menu()->actions()) {
            items << a->text();
            if (a->text() == QStringLiteral("Return 503"))
                return503 = a;
            if (a->text() == QStringLiteral("Clear fault"))
                clear = a;
        }
        // The fault list: 503, 429 with Retry-After, hang, slow first token, stream cut, latency/error sliders.
        for (const char* want : {"Return 503", "Return 429 with Retry-After...", "Hang (accept, never answer)", "Slow first token...",
                                 "Cut streams...", "Latency and error rate..."})
            QVERIFY2(items.contains(QLatin1String(want)), want);
        QVERIFY(return503 && clear);
        return503->trigger();
        const int row = w->serversModel()->rowOf(QStringLiteral("qwen-tertiary"));
        QTRY_COMPARE_WITH_TIMEOUT(w->serversModel()->server(row)->state, proxy::ServerState::Faulted, 30000);
        QVERIFY(w->serversModel()->index(row, ServersModel::StateColumn).data().toString().contains(QStringLiteral("503")));
        clear->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(w->serversModel()->server(row)->state, proxy::ServerState::Ready, 30000);

        // Black hole: emulated by the gateway (any server mode), shown as the server's state; the
        // same "Clear fault" clears it.
        QAction* blackHole = nullptr;
        for (QAction* a : panel->faultMenu()->actions())
            if (a->text() == QStringLiteral("Black hole (connects time out)"))
                blackHole = a;
        QVERIFY(blackHole && blackHole->isEnabled());
        blackHole->trigger();
        const QModelIndex state = w->serversModel()->index(row, ServersModel::StateColumn);
        QTRY_VERIFY_WITH_TIMEOUT(w->serversModel()->server(row)->blackHole, 30000);
        QCOMPARE(state.data().toString(), QStringLiteral("black hole (connects time out)"));
        QCOMPARE(w->serversModel()->server(row)->faultSummary, QStringLiteral("black hole (connects time out)"));
        QTRY_VERIFY_WITH_TIMEOUT(clear->isEnabled(), 30000);
        clear->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(!w->serversModel()->server(row)->blackHole, 30000);
        QCOMPARE(state.data().toString(), QStringLiteral("ready"));
        QVERIFY(w->serversModel()->server(row)->faultSummary.isEmpty());

        // The server's own output, in a dialog that follows it.
        panel->showLog(QStringLiteral("qwen-tertiary"));
        ServerLogDialog* dialog = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((dialog = panel->findChild<ServerLogDialog*>()) != nullptr, 30000);
        auto* text = dialog->findChild<QPlainTextEdit*>();
        QVERIFY(text);
        QTRY_VERIFY_WITH_TIMEOUT(!text->toPlainText().isEmpty() && !text->toPlainText().startsWith(QStringLiteral("(no output")), 30000);
        dialog->close();
    }

    // A live config whose route names a missing AIServiceBackend: the topology says the route is not
    // accepted and that its last accepted version serves, and the gateway still answers its model.
    void topologyShowsRouteNotAccepted() {
        MainWindow* w = m_session->window();
        config::Config broken = config::builtinScenario();
        int fallback = -1;
        for (int r = 0; r < static_cast<int>(broken.routes.size()); ++r)
            for (const auto& rule : broken.routes[r].rules)
                for (const auto& m : rule.matches)
                    for (const auto& h : m.headers)
                        if (h.value == "qwen-with-fallback")
                            fallback = r;
        QVERIFY(fallback >= 0);
        broken.routes[fallback].rules.at(0).backendRefs.at(1).name = "qwen-secondary-gone";
        const QString name = QString::fromStdString(broken.routes[fallback].meta.name);
        service()->applyConfig(broken);
        auto routeLabel = [&] {
            auto* topo = w->topologyModel();
            for (int g = 0; g < topo->rowCount(); ++g)
                for (int r = 0; r < topo->rowCount(topo->index(g, 0)); ++r) {
                    const QString label = topo->index(r, 0, topo->index(g, 0)).data().toString();
                    if (label.startsWith(QStringLiteral("AIGatewayRoute %1 ").arg(name)))
                        return label;
                }
            return QString();
        };
        QTRY_COMPARE_WITH_TIMEOUT(routeLabel(), QStringLiteral("AIGatewayRoute %1 \u2014 Not accepted (last accepted serving)").arg(name), 30000);
        // The reason in full, under the tree.
        auto* note = w->topologyPanel()->findChild<QLabel*>(QStringLiteral("routeStatus"));
        QVERIFY(note && !note->isHidden());
        QVERIFY2(note->text().contains(QStringLiteral("not accepted: failed to get AIServiceBackend default/qwen-secondary-gone: not found")),
                 qPrintable(note->text()));
        QVERIFY(note->text().contains(QStringLiteral("last accepted version keeps serving")));
        w->topologyDock()->raise();
        dumpWindow(QStringLiteral("ui-route-not-accepted.png"));
        // The last accepted version serves: the primary answers qwen-with-fallback.
        const TimePoint after = w->bridge()->steadyNow();
        drive(w, QStringLiteral("qwen-with-fallback"), 10, after);
        int total = 0;
        const auto by = answeredBy(w, "qwen-with-fallback", after, &total);
        QVERIFY2(by.count("envoy-ai-gateway-qwen-primary-fb") && by.at("envoy-ai-gateway-qwen-primary-fb") == total,
                 qPrintable(describe(by)));
        service()->applyConfig(config::builtinScenario());
        QTRY_VERIFY_WITH_TIMEOUT(routeLabel().endsWith(QStringLiteral(" \u2014 Accepted")), 30000);
        QVERIFY(note->isHidden());
    }

    // The DNS refresh delay is a visible setting of the servers dock: it shows the running value,
    // Apply hands the new one to the running gateway (and saves it), and a delete then counts down from it.
    void dnsRefreshSettingApplies() {
        MainWindow* w = m_session->window();
        auto* panel = w->serversPanel();
        QCOMPARE(panel->dnsRefreshSeconds(), kDnsSeconds);
        QCOMPARE(panel->dnsRefreshBox()->value(), kDnsSeconds);
        QPushButton* apply = nullptr;
        for (auto* b : panel->findChildren<QPushButton*>())
            if (b->text() == QStringLiteral("Apply"))
                apply = b;
        QVERIFY(apply && !apply->isEnabled());
        panel->dnsRefreshBox()->setValue(20);
        QVERIFY(apply->isEnabled());
        QTest::mouseClick(apply, Qt::LeftButton);
        QCOMPARE(panel->dnsRefreshSeconds(), 20);
        QVERIFY(!apply->isEnabled());
        QVERIFY2(m_session->waitReady(20000), qPrintable(m_session->error()));
        QVERIFY(m_session->waitServersReady(30000));
        {
            AppSettings settings(m_tmp.filePath(QStringLiteral("settings.ini")));
            QCOMPARE(settings.dnsRefreshSeconds().value_or(-1), 20);
        }
        service()->deleteServer(QStringLiteral("qwen-tertiary"));
        const int row = w->serversModel()->rowOf(QStringLiteral("qwen-tertiary"));
        const QModelIndex state = w->serversModel()->index(row, ServersModel::StateColumn);
        // 20 s from the delete: the first label reads 20 (or 19 once a second went by).
        QTRY_VERIFY_WITH_TIMEOUT(state.data().toString().startsWith(QStringLiteral("deleted \u2014 DNS still resolves for ")), 30000);
        const int left = state.data().toString().section(QLatin1Char(' '), -2, -2).toInt();
        QVERIFY2(left > 10 && left <= 20, qPrintable(state.data().toString()));
        w->serversPanel()->selectServer(QStringLiteral("qwen-tertiary"));
        w->serversDock()->raise();
        dumpWindow(QStringLiteral("ui-delete-countdown.png"));
        service()->reapplyServer(QStringLiteral("qwen-tertiary"));
        QTRY_COMPARE_WITH_TIMEOUT(w->serversModel()->server(row)->state, proxy::ServerState::Ready, 30000);
        // A re-apply before the refresh cancels the pending removal: nothing left to count down.
        QTRY_COMPARE_WITH_TIMEOUT(state.data().toString(), QStringLiteral("ready"), 30000);
    }

    // Last: it closes the session's window. Window layout, chart window, request log columns and
    // recent files are written on close and read back by the next window on the same settings.
    void settingsPersistAcrossWindows() {
        MainWindow* w = m_session->window();
        const QString dir = qEnvironmentVariable("AIGW_SOURCE_DIR") + QStringLiteral("/samples/");
        const QStringList files = {dir + QStringLiteral("gateway-setup.yaml"), dir + QStringLiteral("model-virtualization.yaml")};
        QVERIFY2(w->openFiles(files), qPrintable(w->lastErrorText()));
        w->chartsPanel()->setWindowSeconds(120);
        auto* header = w->requestLogPage()->view()->horizontalHeader();
        header->moveSection(header->visualIndex(RequestLogModel::RuleColumn), 0);
        w->tabifyDockWidget(w->serversDock(), w->loadDock());  // a layout the user made
        QVERIFY(w->close());
        AppSettings settings(m_tmp.filePath(QStringLiteral("settings.ini")));
        QCOMPARE(settings.chartWindowSeconds(), 120);
        QVERIFY(!settings.windowState().isEmpty());
        QVERIFY(!settings.windowGeometry().isEmpty());
        QVERIFY2(settings.recentFiles().value(0).endsWith(QStringLiteral("model-virtualization.yaml")),
                 qPrintable(settings.recentFiles().join(QLatin1Char('|'))));
        MainWindow second(m_session->service(), &settings);
        second.setInteractive(false);
        QCOMPARE(second.chartsPanel()->windowSeconds(), 120);
        QCOMPARE(second.requestLogPage()->view()->horizontalHeader()->visualIndex(RequestLogModel::RuleColumn), 0);
        QVERIFY(second.tabifiedDockWidgets(second.serversDock()).contains(second.loadDock()));
        // A saved layout from another layout version is ignored: the default layout applies.
        settings.setWindowState(second.saveState(MainWindow::kLayoutVersion - 1));
        MainWindow third(m_session->service(), &settings);
        QVERIFY(!third.tabifiedDockWidgets(third.serversDock()).contains(third.loadDock()));
    }

private:
    proxy::GatewayService* service() { return m_session->service(); }
    /// With AIGW_UI_SHOTS=DIR, saves what the window shows (to look at a state a test reached).
    void dumpWindow(const QString& name) {
        const QString dir = qEnvironmentVariable("AIGW_UI_SHOTS");
        if (dir.isEmpty())
            return;
        QCoreApplication::processEvents();  // deliver pending model updates; grab() renders synchronously
        QVERIFY(m_session->window()->grab().save(QDir(dir).filePath(name), "PNG"));
    }
};

QTEST_MAIN(TestUiGateway)
#include "test_ui_gateway.moc"
