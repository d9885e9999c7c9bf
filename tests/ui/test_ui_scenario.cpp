// Scenarios in the desktop app, against the real embedded gateway (loopback, port 0, mock model
// servers): the expectations table as a model; Record captures a scripted GUI session (buttons, the
// fault menu, a topology edit, the load generator, the DNS setting, a config opened), saves it, and
// the file loads back with the same actions in the same order, and replaying it applies the same
// event list; the Scenario dock plays a short lesson (teaching text per step, expectations turning
// green and red, the chart cursor and step marks, pause, step and restart); the Lessons tab lists
// the shipped lessons and a file dropped in the lessons folder; a bad scenario file gives
// file:line:col; the what-if compare runs Ticket 2 as written vs doctor-fixed, and any files.
// Every wait is on a signal or a condition.
#include <QAbstractItemModelTester>
#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QListWidget>
#include <QMenu>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

#include <chrono>

#include "chart_feed.h"
#include "charts.h"
#include "charts_panel.h"
#include "compare_view.h"
#include "config/builtin.h"
#include "docks.h"
#include "expectations_model.h"
#include "gateway_bridge.h"
#include "gui_session.h"
#include "lessons.h"
#include "main_window.h"
#include "request_log_model.h"
#include "scenario/live_player.h"
#include "scenario/scenario.h"
#include "scenario_panel.h"
#include "servers_model.h"
#include "session_recorder.h"
#include "topology_model.h"
#include "qtest_names.h"

AIGW_QTEST_NAMES(aigw::proxy::ServerState)

using namespace aigw;
using namespace aigw::ui;
using Status = ExpectationsModel::Status;
using State = scenario::LivePlayer::State;

namespace {

#ifndef Q_MOC_RUN  // moc mis-tokenises multi-line raw strings
/// Ticket 2 as written, short: 20 requests/s on qwen-with-fallback; qwen-primary stops at 4 s and
/// starts at 8 s. Expectations, in order: 0 no failure before the stop (requests that started up to
/// 3 s: those in flight at 4 s are reset, not retried as written); 1 built to fail (the
/// secondary answers nothing while the primary is up); 2 as written, requests fail while the primary
/// is down (5 s to 7 s: the stop takes a few ms, and the retries of a request started just before
/// 8 s may reach the restarted primary); 3 no failure once it is back (from 10 s: the mock server's
/// restart takes a moment).
const char* kShortLesson = R"(apiVersion: aigw-sim.dev/v1alpha1
kind: Scenario
metadata: {name: ui-short}
spec:
  title: "UI test: the primary stops and starts"
  summary: |
    A short lesson for the **UI test**.
  config: {builtin: true, policy: as-written}
  duration: 13s
  load:
    - model: qwen-with-fallback
      rate: 20
  steps:
    - at: 0s
      title: Normal operation
      text: "Teaching text of step one: every request is answered by the primary."
      expect:
        - failed: {max: 0}
          to: 3s
        - name: built to fail
          share: {backend: envoy-ai-gateway-qwen-secondary-fb, percent: 100, within: 1}
    - at: 4s
      title: The primary stops
      text: "Teaching text of step two: as written, the retries stay on priority 0."
      actions:
        - stop: qwen-primary
      expect:
        - failedPercent: {min: 90}
          from: 5s
          to: 7s
    - at: 8s
      title: The primary is back
      text: "Teaching text of step three: traffic returns to the primary."
      actions:
        - start: qwen-primary
      expect:
        - failed: {max: 0}
          from: 10s
)";
#endif

bool writeFile(const QString& path, const QByteArray& text) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(text) == text.size();
}

QPushButton* button(QWidget* parent, const QString& textOrName) {
    for (auto* b : parent->findChildren<QPushButton*>())
        if (b->objectName() == textOrName || b->text() == textOrName)
            return b;
    return nullptr;
}

QAction* menuAction(QMenu* menu, const QString& text) {
    for (QAction* a : menu->actions())
        if (a->text() == text)
            return a;
    return nullptr;
}

/// The failed requests since `after`, one line each (for failure messages).
QString failures(MainWindow* w, TimePoint after) {
    QString out;
    auto* log = w->requestLogModel();
    for (int row = 0; row < log->rowCount(); ++row) {
        const auto& r = log->record(row);
        if (r.start >= after && (r.finalStatus == 0 || r.finalStatus >= 400))
            out += QStringLiteral("\n  %1 at +%2 ms: %3 %4 (%5 attempts, first: %6)")
                       .arg(QString::fromStdString(r.virtualModel))
                       .arg(std::chrono::duration_cast<std::chrono::milliseconds>(r.start - after).count())
                       .arg(r.finalStatus)
                       .arg(QString::fromStdString(r.error).left(120))
                       .arg(r.attempts.size())
                       .arg(r.attempts.empty() ? QString() : QString::fromLatin1(routing::nameOf(r.attempts.front().failure)));
    }
    return out;
}

QString shippedLesson(const QString& name) {
    return qEnvironmentVariable("AIGW_SOURCE_DIR") + QStringLiteral("/samples/scenarios/") + name;
}

}  // namespace

class TestUiScenario : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_tmp;
    std::unique_ptr<GuiSession> m_session;

    MainWindow* window() { return m_session->window(); }
    proxy::GatewayService* service() { return m_session->service(); }
    proxy::ServerState stateOf(const QString& server) {
        const auto* s = window()->serversModel()->server(window()->serversModel()->rowOf(server));
        return s ? s->state : proxy::ServerState::Failed;
    }

private slots:
    void initTestCase() {
        QVERIFY(m_tmp.isValid());
        GuiSession::Options o;
        o.gateway.proxyPort = 0;
        o.gateway.adminPort = 0;
        o.gateway.mockBackendPath = qEnvironmentVariable("AIGW_BUILD_DIR") + QStringLiteral("/mockbackends/aigw-mock-backend");
        o.settingsPath = m_tmp.filePath(QStringLiteral("settings.ini"));
        m_session = std::make_unique<GuiSession>(config::builtinScenario(), o);
        window()->setInteractive(false);
        window()->show();
        m_session->start();
        QVERIFY2(m_session->waitReady(20000), qPrintable(m_session->error()));
        QVERIFY(m_session->waitServersReady(30000));
    }
    void cleanupTestCase() { m_session.reset(); }

    // Pending, held and failed rows; one run colours the row, two runs their own cells.
    void expectationsModel() {
        const auto loaded = scenario::loadScenarioText(kShortLesson, "short.yaml", m_tmp.path().toStdString());
        QVERIFY(loaded.ok());
        ExpectationsModel model(1);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setScenario(*loaded.scenario);
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.columnCount(), ExpectationsModel::FixedColumnCount + 2);
        QCOMPARE(model.index(1, ExpectationsModel::NameColumn).data().toString(), QStringLiteral("built to fail"));
        QCOMPARE(model.index(2, ExpectationsModel::StepColumn).data().toInt(), 2);
        QCOMPARE(model.index(2, ExpectationsModel::WindowColumn).data().toString(), QStringLiteral("5s..7s"));
        QCOMPARE(model.index(0, ExpectationsModel::WindowColumn).data().toString(), QStringLiteral("0s..3s"));
        QCOMPARE(model.index(0, ExpectationsModel::resultColumn(0)).data().toString(), QStringLiteral("pending"));
        const QColor pending = model.index(0, 0).data(Qt::BackgroundRole).value<QBrush>().color();

        scenario::ExpectationResult held;
        held.expectation = loaded.scenario->expectations()[0];
        held.window = "0s..4s";
        held.measured = "0";
        held.evaluated = true;
        held.pass = true;
        scenario::ExpectationResult failed = held;
        failed.expectation = loaded.scenario->expectations()[1];
        failed.measured = "0.0%";
        failed.pass = false;
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setResult(0, 0, held);
        model.setResult(0, 1, failed);
        QCOMPARE(changed.count(), 2);
        QCOMPARE(model.status(0, 0), Status::Pass);
        QCOMPARE(model.status(0, 1), Status::Fail);
        QCOMPARE(model.status(0, 2), Status::Pending);
        QCOMPARE(model.count(0, Status::Pass), 1);
        QCOMPARE(model.index(1, ExpectationsModel::measuredColumn(0)).data().toString(), QStringLiteral("0.0%"));
        QCOMPARE(model.index(1, ExpectationsModel::resultColumn(0)).data().toString(), QStringLiteral("FAIL"));
        const QColor pass = model.index(0, ExpectationsModel::NameColumn).data(Qt::BackgroundRole).value<QBrush>().color();
        const QColor fail = model.index(1, ExpectationsModel::NameColumn).data(Qt::BackgroundRole).value<QBrush>().color();
        QVERIFY(pass != fail && pass != pending && fail != pending);
        QVERIFY(pass.green() > pass.red());
        QVERIFY(fail.red() > fail.green());
        // A long measured text is cut in the cell and whole in the tooltip.
        scenario::ExpectationResult longer = held;
        longer.measured = "0.0% (0 of 600) ('envoy-ai-gateway-qwen-secondary-fb' answered nothing in the run)";
        model.setResult(0, 0, longer);
        const QString cell = model.index(0, ExpectationsModel::measuredColumn(0)).data().toString();
        QVERIFY(cell.startsWith(QStringLiteral("0.0% (0 of 600)")) && cell.endsWith(QChar(0x2026)) && cell.size() < 40);
        QVERIFY(model.index(0, ExpectationsModel::measuredColumn(0)).data(Qt::ToolTipRole).toString().contains(
            QString::fromStdString(longer.measured)));
        model.clearResults();
        QCOMPARE(model.count(0, Status::Pending), 4);

        ExpectationsModel two(2);
        QAbstractItemModelTester tester2(&two, QAbstractItemModelTester::FailureReportingMode::QtTest);
        two.setScenario(*loaded.scenario);
        two.setRunTitles({QStringLiteral("as written"), QStringLiteral("doctor-fixed")});
        QCOMPARE(two.headerData(ExpectationsModel::resultColumn(1), Qt::Horizontal).toString(),
                 QStringLiteral("doctor-fixed: result"));
        two.setResult(1, 1, failed);
        // Only the second run's cells are coloured: the expectation's own columns stay plain.
        QVERIFY(!two.index(1, ExpectationsModel::NameColumn).data(Qt::BackgroundRole).isValid());
        QCOMPARE(two.index(1, ExpectationsModel::resultColumn(1)).data(Qt::BackgroundRole).value<QBrush>().color(), fail);
        QCOMPARE(two.status(0, 1), Status::Pending);
    }

    // Record a scripted session through the widgets, save it, load it back: the same actions in the
    // same order at the times the (injected) clock gave them; the load generator's run is a load
    // stream from its start to its stop. Replaying it applies the same event list.
    void recordSaveLoadAndReplay() {
        MainWindow* w = window();
        ScenarioPanel* panel = w->scenarioPanel();
        SessionRecorder* recorder = w->recorder();
        ManualClock clock;
        clock.set(TimePoint{} + std::chrono::hours(1));
        recorder->setClock(&clock);
        auto* servers = w->serversPanel();
        QPushButton* record = button(panel, QStringLiteral("scenarioRecord"));
        QVERIFY(record && record->isEnabled() && record->isCheckable());
        QTest::mouseClick(record, Qt::LeftButton);
        QVERIFY(recorder->isRecording());
        QVERIFY(!button(panel, QStringLiteral("scenarioPlay"))->isEnabled());
        QVERIFY(panel->statusText().contains(QStringLiteral("Recording")));

        // 2s: stop qwen-primary with the servers dock's button.
        clock.advance(std::chrono::seconds(2));
        servers->selectServer(QStringLiteral("qwen-primary"));
        QTest::mouseClick(button(servers, QStringLiteral("Stop")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("qwen-primary")), proxy::ServerState::Stopped, 10000);
        // 3s: the load generator, 20 requests/s on qwen-with-fallback.
        clock.advance(std::chrono::seconds(1));
        w->loadPanel()->setModel(QStringLiteral("qwen-with-fallback"));
        w->loadPanel()->setRate(20);
        w->loadPanel()->setConcurrency(8);
        QTest::mouseClick(button(w->loadPanel(), QStringLiteral("loadStartStop")), Qt::LeftButton);
        QVERIFY(w->loadGenerator()->isRunning());
        // 5s: a weight edited in the topology view (what its delegate does).
        clock.advance(std::chrono::seconds(2));
        auto* topo = w->topologyModel();
        const RefPath ref{0, 0, 0};
        const auto& route = topo->config().routes.at(0);
        const std::string refName = route.rules.at(0).backendRefs.at(0).name;
        QVERIFY(topo->setData(topo->indexFor(ref, TopologyModel::WeightColumn), 7));
        // 6s and 7s: a fault from the fault menu on qwen-tertiary, then cleared.
        clock.advance(std::chrono::seconds(1));
        servers->selectServer(QStringLiteral("qwen-tertiary"));
        menuAction(servers->faultMenu(), QStringLiteral("Return 503"))->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("qwen-tertiary")), proxy::ServerState::Faulted, 10000);
        clock.advance(std::chrono::seconds(1));
        menuAction(servers->faultMenu(), QStringLiteral("Clear fault"))->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("qwen-tertiary")), proxy::ServerState::Ready, 10000);
        // 8s: qwen-primary started from the Gateway menu.
        clock.advance(std::chrono::seconds(1));
        servers->selectServer(QStringLiteral("qwen-primary"));
        QAction* startSel = nullptr;
        for (QAction* a : w->findChildren<QAction*>())
            if (a->text() == QStringLiteral("St&art selected server"))
                startSel = a;
        QVERIFY(startSel);
        startSel->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("qwen-primary")), proxy::ServerState::Ready, 15000);
        // 9s: the DNS refresh delay applied in the servers dock.
        clock.advance(std::chrono::seconds(1));
        servers->dnsRefreshBox()->setValue(12);
        QTest::mouseClick(button(servers, QStringLiteral("Apply")), Qt::LeftButton);
        // 10s: a config opened (File > Open YAML...): the samples with both fallback policies.
        clock.advance(std::chrono::seconds(1));
        const QString samples = qEnvironmentVariable("AIGW_SOURCE_DIR") + QStringLiteral("/samples/");
        QStringList files;
        for (const char* f : {"gateway-setup.yaml", "primary-model.yaml", "secondary-model.yaml", "tertiary-model.yaml",
                              "model-virtualization.yaml", "provider-fallback.yaml", "provider-fallback-corrected.yaml"})
            files << samples + QLatin1String(f);
        QVERIFY2(w->openFiles(files), qPrintable(w->lastErrorText()));
        // 11s: load stopped; 12s: recording stopped.
        clock.advance(std::chrono::seconds(1));
        QTest::mouseClick(button(w->loadPanel(), QStringLiteral("loadStartStop")), Qt::LeftButton);
        QVERIFY(!w->loadGenerator()->isRunning());
        clock.advance(std::chrono::seconds(1));
        QTest::mouseClick(record, Qt::LeftButton);
        QVERIFY(!recorder->isRecording());
        QCOMPARE(recorder->actions().size(), std::size_t(7));

        const QString path = m_tmp.filePath(QStringLiteral("recorded.yaml"));
        QString error;
        QVERIFY2(panel->saveRecording(path, &error), qPrintable(error));
        QCOMPARE(panel->scenarioFile(), path);  // opened in the dock, ready to replay
        const auto loaded = scenario::loadScenarioFile(path.toStdString());
        QVERIFY2(loaded.ok(), loaded.errors.empty() ? "" : loaded.errors.front().toString().c_str());
        const scenario::Scenario& s = *loaded.scenario;
        QCOMPARE(s.duration, Duration(std::chrono::seconds(12)));
        QVERIFY(!s.config.manifests.empty());
        QCOMPARE(s.settings.dnsRefresh.value_or(Duration{}), Duration(std::chrono::seconds(30)));
        using V = scenario::Action::Verb;
        const auto timeline = s.timeline();
        QCOMPARE(timeline.size(), std::size_t(7));
        const std::vector<std::pair<V, int>> want = {{V::Stop, 2}, {V::Edit, 5},       {V::Fault, 6}, {V::ClearFault, 7},
                                                     {V::Start, 8}, {V::DnsRefresh, 9}, {V::Config, 10}};
        for (std::size_t i = 0; i < want.size(); ++i) {
            QCOMPARE(timeline[i].verb, want[i].first);
            QCOMPARE(timeline[i].at, Duration(std::chrono::seconds(want[i].second)));
        }
        QCOMPARE(timeline[0].server, std::string("qwen-primary"));
        QCOMPARE(timeline[1].route, route.meta.name);
        QCOMPARE(timeline[1].rule, 0);
        QCOMPARE(timeline[1].backendRef, refName);
        QCOMPARE(timeline[1].weight.value_or(-1), 7);
        QVERIFY(!timeline[1].priority && !timeline[1].modelNameOverride);  // only what changed
        QCOMPARE(timeline[2].server, std::string("qwen-tertiary"));
        QCOMPARE(timeline[2].fault.value("errorStatus", 0), 503);
        QCOMPARE(timeline[3].server, std::string("qwen-tertiary"));
        QCOMPARE(timeline[4].server, std::string("qwen-primary"));
        QCOMPARE(timeline[5].duration, Duration(std::chrono::seconds(12)));
        // The config as applied, inline: both policies.
        QVERIFY(timeline[6].config.manifests.find("envoy-ai-gateway-fallback-policy-corrected") != std::string::npos);
        QCOMPARE(s.load.size(), std::size_t(1));
        QCOMPARE(s.load[0].model, std::string("qwen-with-fallback"));
        QCOMPARE(s.load[0].rate, 20.0);
        QCOMPARE(s.load[0].concurrency, 8);
        QCOMPARE(s.load[0].from, Duration(std::chrono::seconds(3)));
        QCOMPARE(s.load[0].to.value_or(Duration{}), Duration(std::chrono::seconds(11)));

        // Replay: the player applies the same actions, in the same order; the load runs again.
        recorder->setClock(nullptr);
        QStringList applied;
        // A context object that ends with this function: the lambda refers to its locals.
        QObject scope;
        connect(panel->player(), &scenario::LivePlayer::actionApplied, &scope,
                [&applied](const QString& description, const QString& err) {
                    applied << (err.isEmpty() ? description : description + QStringLiteral(" FAILED ") + err);
                });
        const TimePoint before = w->bridge()->steadyNow();
        panel->play();
        QTRY_COMPARE_WITH_TIMEOUT(panel->player()->state(), State::Finished, 60000);
        QStringList recorded;
        for (const auto& a : timeline)
            recorded << QString::fromStdString(a.describe());
        QStringList replayed;
        for (const auto& line : applied)
            if (recorded.contains(line) || line.contains(QStringLiteral(" FAILED ")))
                replayed << line;  // the player may also report its own setup (config, servers up)
        QCOMPARE(replayed, recorded);
        int replayRequests = 0;
        auto* log = w->requestLogModel();
        for (int row = 0; row < log->rowCount(); ++row)
            replayRequests += log->record(row).virtualModel == "qwen-with-fallback" && log->record(row).start >= before ? 1 : 0;
        QVERIFY2(replayRequests >= 50, qPrintable(QString::number(replayRequests)));
        QCOMPARE(stateOf(QStringLiteral("qwen-primary")), proxy::ServerState::Ready);
        panel->restart();
        m_session->setDnsRefreshSeconds(30);
    }

    // The Lessons tab: the shipped lessons with their titles, a file dropped in the user's folder
    // appears, one that does not load says where; selecting a lesson loads it into the dock.
    void lessonsList() {
        MainWindow* w = window();
        LessonsPage* lessons = w->lessons();
        const QString shipped = shippedLessonsDirectory();
        QVERIFY2(QFileInfo(shipped).isDir(), qPrintable(shipped));
        QDir().mkpath(m_tmp.filePath(QStringLiteral("lessons")));
        const QString user = m_tmp.filePath(QStringLiteral("lessons"));
        lessons->setDirectories({shipped, user});
        QStringList names;
        for (const auto& f : lessons->files())
            names << QFileInfo(f).fileName();
        for (const char* want : {"ticket1-split.yaml", "ticket1-weight-edit.yaml", "ticket2-as-written-pod-down.yaml",
                                 "ticket2-as-written-delete.yaml", "ticket2-corrected.yaml"})
            QVERIFY2(names.contains(QLatin1String(want)), qPrintable(names.join(QLatin1Char(' '))));
        QVERIFY(lessons->titleOf(shippedLesson(QStringLiteral("ticket2-corrected.yaml"))).startsWith(QStringLiteral("Ticket 2")));

        const QString mine = user + QStringLiteral("/my-lesson.yaml");
        QVERIFY(writeFile(mine, kShortLesson));
        QTRY_VERIFY_WITH_TIMEOUT(lessons->files().contains(mine), 10000);
        QCOMPARE(lessons->titleOf(mine), QStringLiteral("UI test: the primary stops and starts"));
        QVERIFY(lessons->selectFile(mine));
        QCOMPARE(w->scenarioPanel()->scenarioFile(), mine);
        QVERIFY(w->scenarioDock()->isVisible());
        QVERIFY(lessons->preview()->toPlainText().contains(QStringLiteral("The primary stops")));

        const QString bad = user + QStringLiteral("/broken-lesson.yaml");
        QVERIFY(writeFile(bad, "apiVersion: aigw-sim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec:\n  duration: soon\n"));
        QTRY_VERIFY_WITH_TIMEOUT(lessons->files().contains(bad), 10000);
        QVERIFY(!lessons->selectFile(bad));
        QVERIFY2(lessons->preview()->toPlainText().contains(QStringLiteral("broken-lesson.yaml:5:")),
                 qPrintable(lessons->preview()->toPlainText()));
        QCOMPARE(w->scenarioPanel()->scenarioFile(), mine);  // the loaded lesson stays
        QFile::remove(bad);
    }

    // A scenario file that does not load: file:line:col in the dock, nothing changes.
    void badScenarioFileSaysWhere() {
        ScenarioPanel* panel = window()->scenarioPanel();
        const QString before = panel->scenarioFile();
        const QString bad = m_tmp.filePath(QStringLiteral("bad-scenario.yaml"));
        QVERIFY(writeFile(bad, "apiVersion: aigw-sim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec:\n  steps:\n"
                               "    - at: 0s\n      actions:\n        - stop: [not, a, name]\n"));
        QVERIFY(!panel->openFile(bad));
        QVERIFY2(panel->errorText().contains(QStringLiteral("bad-scenario.yaml:8:")), qPrintable(panel->errorText()));
        QVERIFY(panel->statusText().contains(QStringLiteral("bad-scenario.yaml")));
        QCOMPARE(panel->scenarioFile(), before);
        QVERIFY(!panel->openFile(m_tmp.filePath(QStringLiteral("missing.yaml"))));
        QVERIFY(!panel->errorText().isEmpty());
    }

    // The short lesson played in the dock on the live gateway.
    void dockPlaysLesson() {
        MainWindow* w = window();
        ScenarioPanel* panel = w->scenarioPanel();
        const QString path = m_tmp.filePath(QStringLiteral("short.yaml"));
        QVERIFY(writeFile(path, kShortLesson));
        QVERIFY2(panel->openFile(path), qPrintable(panel->errorText()));
        QAbstractItemModelTester tester(panel->expectationsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(panel->stepsView()->count(), 3);
        QVERIFY(panel->textView()->toPlainText().contains(QStringLiteral("A short lesson for the UI test")));
        QCOMPARE(w->chartsPanel()->splitChart()->selectedModel(), QStringLiteral("qwen-with-fallback"));
        w->tabs()->setCurrentWidget(w->chartsPanel());
        w->loadPanel()->setModel(QStringLiteral("virtual-qwen-model"));
        w->loadPanel()->startLoad();

        QSignalSpy steps(panel->player(), &scenario::LivePlayer::stepReached);
        const TimePoint started = w->bridge()->steadyNow();
        QTest::mouseClick(button(panel, QStringLiteral("scenarioPlay")), Qt::LeftButton);
        QVERIFY(!w->loadGenerator()->isRunning());  // the lesson's load replaces the user's
        QTRY_COMPARE_WITH_TIMEOUT(panel->player()->state(), State::Playing, 5000);
        QVERIFY(w->chartFeed()->scenarioOverlay().active);
        // Step two's text once the timeline reaches it; step one's expectations judged by then.
        QTRY_VERIFY_WITH_TIMEOUT(steps.count() >= 2, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(panel->textView()->toPlainText().contains(QStringLiteral("Teaching text of step two")), 2000);
        QVERIFY(panel->stepsView()->item(1)->text().startsWith(QStringLiteral("\u25B6 ")));
        QVERIFY(panel->stepsView()->item(0)->text().startsWith(QStringLiteral("\u2713 ")));
        const auto measured = [panel](int row) {
            return panel->expectationsModel()->index(row, ExpectationsModel::measuredColumn(0)).data().toString();
        };
        QTRY_VERIFY_WITH_TIMEOUT(panel->expectationsModel()->status(0, 0) != Status::Pending, 20000);
        QVERIFY2(panel->expectationsModel()->status(0, 0) == Status::Pass, qPrintable(measured(0) + failures(w, started)));
        QTRY_COMPARE_WITH_TIMEOUT(panel->expectationsModel()->status(0, 1), Status::Fail, 5000);
        QCOMPARE(panel->expectationsModel()->status(0, 3), Status::Pending);
        // The charts: a cursor and a mark per step reached.
        QTRY_VERIFY_WITH_TIMEOUT((w->chartsPanel()->timeline()->grab(), w->chartsPanel()->timeline()->lastStepMarks() >= 2), 5000);
        QVERIFY(w->chartsPanel()->timeline()->lastCursorX() >= 0);

        // Pause freezes the scenario's time; the cursor stops following "now".
        QTest::mouseClick(button(panel, QStringLiteral("scenarioPause")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(panel->player()->state(), State::Paused, 5000);
        QVERIFY(!w->chartFeed()->scenarioOverlay().followNow);
        QVERIFY(panel->statusText().contains(QStringLiteral("Paused")));
        QVERIFY(button(panel, QStringLiteral("scenarioPlay"))->isEnabled());
        QVERIFY(!button(panel, QStringLiteral("scenarioPause"))->isEnabled());
        QTest::mouseClick(button(panel, QStringLiteral("scenarioPlay")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(panel->player()->state(), State::Finished, 60000);
        QCOMPARE(steps.count(), 3);
        QVERIFY(panel->textView()->toPlainText().contains(QStringLiteral("Teaching text of step three")));
        const auto* model = panel->expectationsModel();
        QCOMPARE(model->status(0, 0), Status::Pass);
        QCOMPARE(model->status(0, 1), Status::Fail);
        QVERIFY2(model->status(0, 2) == Status::Pass, qPrintable(measured(2)));
        QVERIFY2(model->status(0, 3) == Status::Pass, qPrintable(measured(3)));
        QVERIFY(panel->statusText().contains(QStringLiteral("3 of 4 expectations held")));
        dumpWindow(QStringLiteral("ui-scenario-finished.png"));

        // Restart: back to pending; Step from the start applies step one and pauses there.
        QTest::mouseClick(button(panel, QStringLiteral("scenarioRestart")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(panel->player()->state(), State::Idle, 5000);
        QCOMPARE(model->count(0, Status::Pending), 4);
        QVERIFY(!w->chartFeed()->scenarioOverlay().active);
        QTest::mouseClick(button(panel, QStringLiteral("scenarioStep")), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(panel->player()->state(), State::Paused, 30000);
        QCOMPARE(panel->player()->currentStep(), 0);
        panel->restart();
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(QStringLiteral("qwen-primary")), proxy::ServerState::Ready, 15000);
    }

    // What-if compare: Ticket 2 as written (pod down) vs the doctor-fixed config, in virtual time.
    void compareAsWrittenVsFixed() {
        MainWindow* w = window();
        QVERIFY(w->scenarioPanel()->openFile(shippedLesson(QStringLiteral("ticket2-as-written-pod-down.yaml"))));
        w->showCompare();
        CompareView* compare = w->compareView();
        QVERIFY(compare && compare->isVisible());
        QAbstractItemModelTester tester(compare->expectationsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_VERIFY_WITH_TIMEOUT(!compare->isRunning(), 30000);
        QVERIFY2(compare->result(0) && compare->result(1), qPrintable(compare->errorText()));
        QCOMPARE(compare->sideTitle(0), QStringLiteral("as written"));
        QCOMPARE(compare->sideTitle(1), QStringLiteral("doctor-fixed"));
        const auto& asWritten = *compare->result(0);
        const auto& fixed = *compare->result(1);
        // As written the lesson's expectations hold (the requests fail while the primary is down);
        // fixed, nothing fails, so "every request fails" does not hold.
        QVERIFY(asWritten.passed());
        QVERIFY(asWritten.failed > 100);
        QCOMPARE(fixed.failed, std::uint64_t(0));
        QVERIFY(!fixed.passed());
        QVERIFY(fixed.byBackend.count("envoy-ai-gateway-qwen-secondary-fb"));
        const auto* model = compare->expectationsModel();
        int failedRight = 0;
        for (int row = 0; row < model->rowCount(); ++row) {
            QCOMPARE(model->status(0, row), Status::Pass);
            failedRight += model->status(1, row) == Status::Fail ? 1 : 0;
        }
        QVERIFY(failedRight > 0);
        // The outcome table: failed requests side by side.
        auto* table = compare->outcomeTable();
        int failedRow = -1;
        for (int r = 0; r < table->rowCount(); ++r)
            if (table->verticalHeaderItem(r)->text() == QStringLiteral("Failed"))
                failedRow = r;
        QVERIFY(failedRow >= 0);
        QVERIFY(table->item(failedRow, 0)->text().startsWith(QString::number(asWritten.failed)));
        QVERIFY(table->item(failedRow, 1)->text().startsWith(QStringLiteral("0")));
        // Each side's timeline draws its run: requests, and the lesson's steps as marks.
        QTRY_VERIFY_WITH_TIMEOUT((compare->timeline(0)->grab(), compare->timeline(0)->lastStepMarks() == 3), 5000);
        // Fixed: each request's failed attempt on the primary, then the secondary.
        QTRY_VERIFY_WITH_TIMEOUT((compare->timeline(1)->grab(), compare->timeline(1)->lastFailoverLinks() > 0), 5000);
        dumpWidget(compare, QStringLiteral("ui-compare.png"));

        // Any files on a side: the samples with both policies (the corrected one, on the route,
        // wins), although the lesson pins its own config for `scenario run --config`.
        const QString samples = qEnvironmentVariable("AIGW_SOURCE_DIR") + QStringLiteral("/samples/");
        QStringList files;
        for (const char* f : {"gateway-setup.yaml", "primary-model.yaml", "secondary-model.yaml", "tertiary-model.yaml",
                              "model-virtualization.yaml", "provider-fallback.yaml", "provider-fallback-corrected.yaml"})
            files << samples + QLatin1String(f);
        compare->setChoice(1, CompareView::Choice::Files, files);
        QSignalSpy done(compare, &CompareView::finished);
        compare->run();
        QVERIFY(done.wait(30000));
        QVERIFY2(compare->result(1), qPrintable(compare->errorText()));
        QVERIFY(compare->sideTitle(1).contains(QStringLiteral("provider-fallback-corrected.yaml")));
        QCOMPARE(compare->result(1)->failed, std::uint64_t(0));
        QVERIFY(compare->result(0)->failed > 100);
        // A side whose files do not load says so, and runs nothing.
        compare->setChoice(1, CompareView::Choice::Files, {m_tmp.filePath(QStringLiteral("missing.yaml"))});
        compare->run();
        QVERIFY(!compare->isRunning());
        QVERIFY2(compare->errorText().startsWith(QStringLiteral("Right: ")), qPrintable(compare->errorText()));
        compare->close();
    }

private:
    void dumpWindow(const QString& name) { dumpWidget(window(), name); }
    /// With AIGW_UI_SHOTS=DIR, saves what the widget shows (to look at a state a test reached).
    void dumpWidget(QWidget* widget, const QString& name) {
        const QString dir = qEnvironmentVariable("AIGW_UI_SHOTS");
        if (dir.isEmpty())
            return;
        QCoreApplication::processEvents();
        QVERIFY(widget->grab().save(QDir(dir).filePath(name), "PNG"));
    }
};

QTEST_MAIN(TestUiScenario)
#include "test_ui_scenario.moc"
