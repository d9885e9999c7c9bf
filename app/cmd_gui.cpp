// `aigw-sim gui` (and `aigw-sim` with a display): the desktop app on the built-in scenario or the
// given files, with the gateway and every model server started. `aigw-sim screenshots --out DIR`
// drives the same window through Ticket 1 and Ticket 2 under load, a lesson in the Scenario dock and
// the what-if compare, and writes one PNG per view.
#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QTabWidget>
#include <QTableView>
#include <QTreeView>
#include <QTemporaryDir>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "charts.h"
#include "charts_panel.h"
#include "commands.h"
#include "compare_view.h"
#include "config/builtin.h"
#include "config/doctor.h"
#include "config/tutorial_policy.h"
#include "expectations_model.h"
#include "lessons.h"
#include "scenario_panel.h"
#include "doctor_panel.h"
#include "yaml_panel.h"
#include "config/loader.h"
#include "docks.h"
#include "gui_session.h"
#include "loadgen/load_generator.h"
#include "main_window.h"
#include "pages.h"
#include "servers_model.h"
#include "topology_model.h"

namespace aigw::app {
namespace {

const char* kGuiUsage =
    "usage: aigw-sim gui [FILE...] [--config FILE...] [--listen HOST:PORT] [--admin HOST:PORT] [--no-servers]\n"
    "Opens the desktop app with the gateway, its model servers and the admin API started.\n"
    "  FILE...              YAML manifests (several files; - reads standard input; a kind: List as\n"
    "                       kubectl get -o yaml prints it); default: the built-in scenario\n"
    "  --config FILE...     the same, as an option\n"
    "  --listen HOST:PORT   proxy address (default 127.0.0.1:8080; a free port if that one is taken)\n"
    "  --admin HOST:PORT    admin API address (default 127.0.0.1:9901)\n"
    "  --no-servers         do not spawn model servers (start them from the Model servers dock)\n";

bool splitHostPort(const std::string& text, QString& host, quint16& port) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos)
        return false;
    const std::string p = text.substr(colon + 1);
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos || std::stoul(p) > 65535)
        return false;
    host = QString::fromStdString(text.substr(0, colon));
    port = static_cast<quint16>(std::stoul(p));
    return !host.isEmpty();
}

/// Loads the config named on the command line (or the built-in one); prints errors on failure.
bool loadConfig(const std::vector<std::string>& files, config::Config& out) {
    if (files.empty()) {
        out = config::builtinScenario();
        return true;
    }
    auto result = config::loadFiles(files);
    if (!result.ok()) {
        for (const auto& e : result.errors)
            std::fprintf(stderr, "%s\n", e.toString().c_str());
        return false;
    }
    out = std::move(result.config);
    return true;
}

bool saveShot(QWidget* w, const QString& dir, const QString& name) {
    ui::pump(300);  // let the last frame paint
    const QString path = QDir(dir).filePath(name);
    const bool ok = w->grab().save(path, "PNG");
    std::fprintf(ok ? stdout : stderr, "%s %s\n", ok ? "wrote" : "could not write", qPrintable(path));
    return ok;
}

}  // namespace

int runGui(const Args& args) {
    ui::GuiSession::Options options;
    std::vector<std::string> files;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            std::fputs(kGuiUsage, stdout);
            return 0;
        } else if (a == "--config") {
            while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0)
                files.push_back(args[++i]);
            if (files.empty()) {
                std::fprintf(stderr, "aigw-sim: --config needs at least one FILE\n");
                return 2;
            }
        } else if (a == "--listen" || a == "--admin") {
            QString host;
            quint16 port = 0;
            if (i + 1 >= args.size() || !splitHostPort(args[i + 1], host, port)) {
                std::fprintf(stderr, "aigw-sim: %s needs HOST:PORT\n", a.c_str());
                return 2;
            }
            ++i;
            if (a == "--listen") {
                options.gateway.listenHost = host;
                options.gateway.proxyPort = port;
            } else {
                options.gateway.adminPort = port;
            }
        } else if (a == "--no-servers") {
            options.gateway.startServers = false;
        } else if (a == "-" || (!a.empty() && a[0] != '-')) {
            files.push_back(a);  // positional files, as check and export take them
        } else {
            std::fprintf(stderr, "aigw-sim: unknown option '%s'\n%s", a.c_str(), kGuiUsage);
            return 2;
        }
    }
    config::Config cfg;
    if (!loadConfig(files, cfg))
        return 1;
    int argc = 1;
    char name[] = "aigw-sim";
    char* argv[] = {name, nullptr};
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("aigw-sim"));
    QApplication::setOrganizationName(QStringLiteral("aigw-sim"));
    // The installed desktop entry's id: the shell matches the window to its menu entry and icon.
    QGuiApplication::setDesktopFileName(QStringLiteral(AIGW_APP_ID));
    ui::GuiSession session(cfg, options);
    session.window()->setSourceFiles(files.empty() ? QStringList() : [&files] {
        QStringList l;
        for (const auto& f : files)
            l << QString::fromStdString(f);
        return l;
    }());  // File > Save to source files writes edits back into them
    session.window()->show();
    session.start();
    return QApplication::exec();
}

int runScreenshots(const Args& args) {
    QString out = QStringLiteral("docs/screenshots");
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--out" && i + 1 < args.size())
            out = QString::fromStdString(args[++i]);
        else if (args[i] == "--help" || args[i] == "-h") {
            std::puts("usage: aigw-sim screenshots [--out DIR]   (needs a display; use xvfb-run -a)");
            return 0;
        } else {
            std::fprintf(stderr, "aigw-sim: unknown option '%s'\n", args[i].c_str());
            return 2;
        }
    }
    if (!QDir().mkpath(out)) {
        std::fprintf(stderr, "aigw-sim: cannot create %s\n", qPrintable(out));
        return 1;
    }
    int argc = 1;
    char name[] = "aigw-sim";
    char* argv[] = {name, nullptr};
    QApplication app(argc, argv);
    QTemporaryDir tmp;
    ui::GuiSession::Options options;
    options.gateway.proxyPort = 0;
    options.gateway.adminPort = 0;
    options.settingsPath = tmp.filePath(QStringLiteral("settings.ini"));
    ui::GuiSession session(config::builtinScenario(), options);
    ui::MainWindow* w = session.window();
    w->setInteractive(false);
    w->resize(1920, 1080);
    w->show();
    session.start();
    if (!session.waitReady(20000)) {
        std::fprintf(stderr, "aigw-sim: gateway did not start: %s\n", qPrintable(session.error()));
        return 1;
    }
    if (!session.waitServersReady(30000))
        std::fprintf(stderr, "aigw-sim: not every model server became ready; shooting anyway\n");
    auto* service = session.service();
    auto* load = w->loadPanel();
    auto* charts = w->chartsPanel();
    w->tabs()->setCurrentWidget(charts);
    charts->setWindowSeconds(30);
    bool ok = true;

    // Ticket 1: the weighted split under load.
    charts->splitChart()->selectModel(QStringLiteral("virtual-qwen-model"));
    load->setModel(QStringLiteral("virtual-qwen-model"));
    load->setRate(200);
    load->setConcurrency(32);
    load->startLoad();
    ui::pump(10000);
    ok &= saveShot(w, out, QStringLiteral("01-ticket1-split.png"));
    // Edit a weight in place: primary 50 -> 10, so the target becomes 10/60 = 16.7 %.
    w->topologyPanel()->view()->setCurrentIndex(w->topologyModel()->indexFor({0, 0, 0}, ui::TopologyModel::WeightColumn));
    w->topologyModel()->setData(w->topologyModel()->indexFor({0, 0, 0}, ui::TopologyModel::WeightColumn), 10);
    charts->setWindowSeconds(10);
    ui::pump(11000);
    ok &= saveShot(w, out, QStringLiteral("02-ticket1-weight-edited.png"));
    w->undoStack()->undo();
    load->stopLoad();

    // Ticket 2 as written: stop qwen-primary, the requests fail with 503.
    auto asWritten = config::withTutorialPolicy(w->topologyModel()->config());
    service->applyConfig(asWritten);
    w->showConfig(asWritten);
    charts->setWindowSeconds(30);
    charts->splitChart()->selectModel(QStringLiteral("qwen-with-fallback"));
    load->setModel(QStringLiteral("qwen-with-fallback"));
    load->setRate(100);
    load->startLoad();
    ui::pump(4000);
    service->stopServer(QStringLiteral("qwen-primary"));
    w->serversPanel()->selectServer(QStringLiteral("qwen-primary"));
    ui::pump(5000);
    ok &= saveShot(w, out, QStringLiteral("03-ticket2-as-written-503.png"));
    // The doctor's key finding on the as-written policy, with its one-click fix.
    w->doctorDock()->raise();
    if (!w->doctorPanel()->selectFinding(config::finding_id::kRetryStaysOnPriority0)) {
        std::fprintf(stderr, "aigw-sim: the doctor did not report %s on the as-written policy\n",
                     config::finding_id::kRetryStaysOnPriority0);
        ok = false;
    }
    ui::pump(300);
    ok &= saveShot(w, out, QStringLiteral("04-doctor.png"));
    // The fix, applied with the doctor's button (numAttemptsPerPriority: 1): failed attempt ->
    // fallback success on the timeline; then qwen-primary comes back and takes the traffic again.
    if (!w->doctorPanel()->applyCurrentFix()) {
        std::fprintf(stderr, "aigw-sim: the doctor's fix did not apply\n");
        ok = false;
    }
    ui::pump(6000);
    service->startServer(QStringLiteral("qwen-primary"));
    ui::pump(5000);
    w->yamlDock()->raise();
    w->yamlPanel()->reveal(QStringLiteral("numAttemptsPerPriority"));
    ok &= saveShot(w, out, QStringLiteral("05-ticket2-fixed-fallback-timeline.png"));
    load->stopLoad();
    w->topologyDock()->raise();

    w->requestLogPage()->setFilterText(QStringLiteral("qwen-with-fallback"));
    w->tabs()->setCurrentWidget(w->requestLogPage());
    ui::pump(300);
    // A request that failed over, so the details pane shows both attempts and what went upstream.
    if (!w->requestLogPage()->selectLastMatching(QStringLiteral("->")))
        w->requestLogPage()->selectLast();
    ok &= saveShot(w, out, QStringLiteral("06-request-log.png"));

    // The playground while qwen-primary is down: the answer streams in from the fallback, and the
    // verdict says which backend answered after which failed attempt, and why.
    service->stopServer(QStringLiteral("qwen-primary"));
    w->serversPanel()->selectServer(QStringLiteral("qwen-primary"));
    ui::pump(500);
    w->playground()->setModel(QStringLiteral("qwen-with-fallback"));
    w->playground()->setPrompt(QStringLiteral("Explain quantum computing in detail."));
    w->tabs()->setCurrentWidget(w->playground());
    w->playground()->send();
    ui::pump(4000);
    ok &= saveShot(w, out, QStringLiteral("07-playground.png"));
    service->startServer(QStringLiteral("qwen-primary"));
    ui::pump(1000);

    // A fault: qwen-tertiary returns 503 half the time under Ticket 1 load.
    w->tabs()->setCurrentWidget(charts);
    charts->setWindowSeconds(30);
    charts->splitChart()->selectModel(QStringLiteral("virtual-qwen-model"));
    load->setModel(QStringLiteral("virtual-qwen-model"));
    load->setRate(150);
    load->startLoad();
    ui::pump(3000);
    service->setFault(QStringLiteral("qwen-tertiary"), nlohmann::json{{"errorStatus", 503}, {"errorRate", 0.5}});
    w->serversPanel()->selectServer(QStringLiteral("qwen-tertiary"));
    ui::pump(6000);
    ok &= saveShot(w, out, QStringLiteral("09-fault-503-tertiary.png"));
    load->stopLoad();
    service->clearFault(QStringLiteral("qwen-tertiary"));
    ui::pump(500);

    // The lessons: Ticket 2 as written with the pod down, selected (it loads into the Scenario dock).
    // The charts' minute of Ticket 1 traffic scrolls out first, so that shot 11 shows the lesson alone.
    ui::pump(20000);
    const QString podDown = QDir(ui::shippedLessonsDirectory()).filePath(QStringLiteral("ticket2-as-written-pod-down.yaml"));
    w->tabs()->setCurrentWidget(w->lessons());
    if (!w->lessons()->selectFile(podDown)) {
        std::fprintf(stderr, "aigw-sim: lesson %s did not load: %s\n", qPrintable(podDown),
                     qPrintable(w->scenarioPanel()->errorText()));
        return 1;
    }
    ok &= saveShot(w, out, QStringLiteral("08-lessons.png"));
    // The lesson playing on the live gateway, past its second step: the first two steps'
    // expectations judged (green), the last one pending, the cursor and step marks on the charts.
    auto* scenarioPanel = w->scenarioPanel();
    w->tabs()->setCurrentWidget(charts);
    charts->setWindowSeconds(60);
    scenarioPanel->play();
    const auto judged = [scenarioPanel] {
        const auto* m = scenarioPanel->expectationsModel();
        int n = 0;
        for (int row = 0; row < m->rowCount(); ++row)
            n += m->status(0, row) != ui::ExpectationsModel::Status::Pending ? 1 : 0;
        return n;
    };
    const int firstSteps = static_cast<int>(scenarioPanel->scenario().steps[0].expectations.size() +
                                            scenarioPanel->scenario().steps[1].expectations.size());
    for (int waited = 0; waited < 120000 && judged() < firstSteps; waited += 250)
        ui::pump(250);
    ui::pump(2000);
    if (judged() < firstSteps) {
        std::fprintf(stderr, "aigw-sim: the lesson's first expectations were not judged in time\n");
        ok = false;
    }
    ok &= saveShot(w, out, QStringLiteral("11-scenario-dock.png"));
    // The what-if compare of the same lesson: as written vs doctor-fixed, both in virtual time.
    w->showCompare();
    ui::CompareView* compare = w->compareView();
    compare->resize(1920, 1080);
    for (int waited = 0; waited < 20000 && compare->isRunning(); waited += 50)
        ui::pump(50);
    if (!compare->result(0) || !compare->result(1)) {
        std::fprintf(stderr, "aigw-sim: the what-if compare did not run: %s\n", qPrintable(compare->errorText()));
        ok = false;
    }
    ok &= saveShot(compare, out, QStringLiteral("12-what-if-compare.png"));
    compare->close();
    scenarioPanel->restart();
    w->scenarioDock()->hide();
    ui::pump(1000);

    // Ticket 2 as written, `kubectl delete inferenceservice qwen-primary`, with a DNS refresh of 40 s
    // (a record TTL longer than the 4 x 10 s connect timeouts): phase one, connects to the old address
    // time out and the requests whose 4 attempts all end before the refresh fail; phase two, the host
    // is removed and the secondary answers.
    service->applyConfig(asWritten);
    w->showConfig(asWritten);
    session.setDnsRefreshSeconds(40);  // the servers dock shows it
    charts->setWindowSeconds(60);
    charts->splitChart()->selectModel(QStringLiteral("qwen-with-fallback"));
    load->setModel(QStringLiteral("qwen-with-fallback"));
    load->setRate(20);
    load->setConcurrency(64);
    load->startLoad();
    ui::pump(4000);
    service->deleteServer(QStringLiteral("qwen-primary"));
    w->serversPanel()->selectServer(QStringLiteral("qwen-primary"));
    ui::pump(52000);
    ok &= saveShot(w, out, QStringLiteral("10-ticket2-as-written-delete-two-phases.png"));
    load->stopLoad();
    service->reapplyServer(QStringLiteral("qwen-primary"));
    ui::pump(500);
    return ok ? 0 : 1;
}

}  // namespace aigw::app
