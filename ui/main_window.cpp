#include "main_window.h"

#include <algorithm>

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QHeaderView>
#include <QTableView>
#include <QScreen>
#include <QTimer>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QTreeView>

#include "app_settings.h"
#include "chart_feed.h"
#include "charts.h"
#include "charts_panel.h"
#include "compare_view.h"
#include "config/loader.h"
#include "docks.h"
#include "lessons.h"
#include "doctor_panel.h"
#include "gateway_bridge.h"
#include "loadgen/load_generator.h"
#include "model_focus.h"
#include "pages.h"
#include "proxy/gateway_service.h"
#include "request_log_model.h"
#include "save_back_dialog.h"
#include "scenario_panel.h"
#include "session_recorder.h"
#include "servers_model.h"
#include "topology_model.h"
#include "yaml_panel.h"

namespace aigw::ui {

MainWindow::MainWindow(proxy::GatewayService* service, AppSettings* settings, QWidget* parent)
    : QMainWindow(parent), m_service(service), m_settings(settings) {
    setWindowTitle(QStringLiteral("aigw-sim - Envoy AI Gateway simulator"));
    m_topology = new TopologyModel(this);
    m_topology->setUndoStack(&m_undo);
    m_servers = new ServersModel(this);
    m_log = new RequestLogModel(RequestLogModel::kDefaultCapacity, this);
    m_feed = new ChartFeed(this);
    m_focus = new ModelFocus(this);
    m_bridge = new GatewayBridge(service, m_feed, m_log, m_servers, m_topology, this);
    m_loadgen = std::make_unique<loadgen::LoadGenerator>();

    m_tabs = new QTabWidget;
    m_tabs->setObjectName(QStringLiteral("centralTabs"));
    m_charts = new ChartsPanel(m_feed, m_topology);
    m_logPage = new RequestLogPage(m_log);
    m_playground = new PlaygroundPage(m_bridge);
    m_topologyPanel = new TopologyPanel(m_topology, &m_undo);
    m_serversPanel = new ServersPanel(m_servers, service);
    m_loadPanel = new LoadPanel(m_loadgen.get());
    m_charts->setModelFocus(m_focus);
    m_loadPanel->setModelFocus(m_focus);
    m_topologyPanel->setModelFocus(m_focus);
    m_yaml = new YamlPanel;
    m_doctor = new DoctorPanel;
    m_events = new QPlainTextEdit;
    m_events->setReadOnly(true);
    m_events->setMaximumBlockCount(1000);  // bounded, like every log here
    m_recorder = new SessionRecorder({service, m_topology, m_serversPanel, m_loadPanel}, this);
    m_scenario = new ScenarioPanel(service, m_bridge, m_feed, m_recorder);
    m_lessons = new LessonsPage(m_scenario);
    m_tabs->addTab(m_charts, QStringLiteral("Charts"));
    m_tabs->addTab(m_logPage, QStringLiteral("Request log"));
    m_tabs->addTab(m_playground, QStringLiteral("Playground"));
    m_tabs->addTab(m_lessons, QStringLiteral("Lessons"));
    setCentralWidget(m_tabs);

    m_topologyDock = addDock(QStringLiteral("Topology"), QStringLiteral("topologyDock"), m_topologyPanel);
    m_serversDock = addDock(QStringLiteral("Model servers"), QStringLiteral("serversDock"), m_serversPanel);
    m_loadDock = addDock(QStringLiteral("Load generator"), QStringLiteral("loadDock"), m_loadPanel);
    m_yamlDock = addDock(QStringLiteral("YAML export preview"), QStringLiteral("yamlDock"), m_yaml);
    m_doctorDock = addDock(QStringLiteral("Doctor"), QStringLiteral("doctorDock"), m_doctor);
    m_eventsDock = addDock(QStringLiteral("Events"), QStringLiteral("eventsDock"), m_events);
    m_scenarioDock = addDock(QStringLiteral("Scenario"), QStringLiteral("scenarioDock"), m_scenario);

    m_statusUrls = new QLabel(QStringLiteral("gateway starting..."));
    m_statusUrls->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_statusStats = new QLabel;
    auto* copy = new QPushButton(QStringLiteral("Copy proxy URL"));
    copy->setFlat(true);
    connect(copy, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(m_proxyUrl); });
    statusBar()->addWidget(m_statusUrls);
    statusBar()->addWidget(copy);
    statusBar()->addPermanentWidget(m_statusStats);

    buildMenus();
    resetLayout();
    // First run: a window that fits the screen (at most 1920x1080), laid out by resetLayout()
    // once it is shown. Later runs: the saved geometry and dock layout, if saved by this layout
    // version (an older saved layout would bring back docks that no longer fit).
    if (m_settings->windowGeometry().isEmpty() || !restoreGeometry(m_settings->windowGeometry()))
        resize(defaultSize());
    m_layoutRestored = !m_settings->windowState().isEmpty() && restoreState(m_settings->windowState(), kLayoutVersion);
    m_charts->setWindowSeconds(m_settings->chartWindowSeconds());
    {
        // A state saved with a different column count (an older version) is ignored.
        QHeaderView* header = m_logPage->view()->horizontalHeader();
        const QByteArray before = header->saveState();
        if (!m_settings->requestLogColumns().isEmpty() &&
            (!header->restoreState(m_settings->requestLogColumns()) || header->count() != RequestLogModel::ColumnCount))
            header->restoreState(before);
    }
    m_yaml->setApiVersion(m_settings->exportApiVersion());
    connect(m_charts, &ChartsPanel::windowSecondsChanged, this, [this](int s) { m_settings->setChartWindowSeconds(s); });
    connect(m_yaml, &YamlPanel::apiVersionChanged, this, [this](const QString& v) { m_settings->setExportApiVersion(v); });

    connect(m_service, &proxy::GatewayService::ready, this, &MainWindow::onReady);
    connect(m_service, &proxy::GatewayService::failed, this, [this](const QString& error) {
        m_statusUrls->setText(QStringLiteral("gateway failed: %1").arg(error));
        showError(QStringLiteral("Gateway failed"), error);
    });
    connect(m_bridge, &GatewayBridge::statsUpdated, this, &MainWindow::onStats);
    connect(m_bridge, &GatewayBridge::eventLogged, m_events, &QPlainTextEdit::appendPlainText);
    // A new tree (new file, admin POST /config) makes old undo commands meaningless.
    connect(m_topology, &QAbstractItemModel::modelReset, &m_undo, &QUndoStack::clear);
    auto refreshViews = [this] {
        m_yaml->setConfig(m_topology->config());
        m_doctor->setConfig(m_topology->config());
    };
    connect(m_topology, &QAbstractItemModel::modelReset, this, refreshViews);
    connect(m_topology, &TopologyModel::backendRefEdited, this, refreshViews);
    connect(m_doctor, &DoctorPanel::summaryChanged, this, [this](const QString& summary) {
        m_doctorDock->setWindowTitle(QStringLiteral("Doctor: %1").arg(summary));
    });
    connect(m_doctor, &DoctorPanel::fixed, this, [this](const config::Config& cfg, const QString& what) {
        applyConfig(cfg, QStringLiteral("doctor fix: %1").arg(what));
        m_events->appendPlainText(QStringLiteral("doctor fix applied: %1").arg(what));
    });

    // The Scenario dock: shown when a scenario loads; its load replaces the load generator's.
    connect(m_scenario, &ScenarioPanel::scenarioLoaded, this, [this] {
        m_scenarioDock->show();
        m_scenarioDock->raise();
        m_lessons->addFile(m_scenario->scenarioFile());
    });
    connect(m_scenario, &ScenarioPanel::aboutToPlay, m_loadPanel, &LoadPanel::stopLoad);
    connect(m_scenario, &ScenarioPanel::modelOfInterest, m_charts->splitChart(), &SplitChart::selectModel);
    connect(m_scenario, &ScenarioPanel::compareRequested, this, &MainWindow::showCompare);
    connect(m_scenario, &ScenarioPanel::eventLogged, m_events, &QPlainTextEdit::appendPlainText);
    connect(m_lessons, &LessonsPage::playRequested, this, [this] {
        m_tabs->setCurrentWidget(m_charts);
        m_scenario->play();
    });
    connect(m_lessons, &LessonsPage::compareRequested, this, &MainWindow::showCompare);
}

MainWindow::~MainWindow() = default;

QDockWidget* MainWindow::addDock(const QString& title, const QString& objectName, QWidget* content) {
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(objectName);  // restoreState() matches docks by object name
    dock->setWidget(content);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    return dock;
}

QSize MainWindow::defaultSize() const {
    QSize size(1920, 1080);
    if (const QScreen* screen = QGuiApplication::primaryScreen())
        size = size.boundedTo(screen->availableGeometry().size() * 0.95);
    return size.expandedTo(QSize(1100, 700));
}

void MainWindow::showEvent(QShowEvent* event) {
    QMainWindow::showEvent(event);
    if (!m_layoutRestored && !m_layoutSized) {
        m_layoutSized = true;
        // Dock sizes can only be set once the window has its real size.
        QTimer::singleShot(0, this, &MainWindow::resetLayout);
    }
}

void MainWindow::setInteractive(bool on) {
    m_interactive = on;
    m_scenario->setInteractive(on);
}

void MainWindow::showCompare() {
    if (!m_scenario->hasScenario())
        return;
    if (!m_compare)
        m_compare = new CompareView(this);  // a window of its own, kept for the next compare
    m_compare->setCurrentConfig(m_topology->config());
    if (!m_compare->setScenarioFile(m_scenario->scenarioFile()))
        return showError(QStringLiteral("What-if compare"), m_compare->errorText());
    m_compare->show();
    m_compare->raise();
    m_compare->activateWindow();
    m_compare->run();
}

void MainWindow::resetLayout() {
    const auto docks = {m_topologyDock, m_doctorDock, m_yamlDock, m_eventsDock, m_serversDock, m_loadDock};
    for (auto* d : docks) {
        d->setFloating(false);
        d->show();
        removeDockWidget(d);
    }
    // One column on the left, the charts and pages get the rest of the width (the request log
    // needs ~1,100 px for all its columns):
    //   Topology | Doctor | YAML | Events   (tabs: the config and what is said about it)
    //   Model servers
    //   Load generator
    addDockWidget(Qt::LeftDockWidgetArea, m_topologyDock);
    addDockWidget(Qt::LeftDockWidgetArea, m_serversDock);
    addDockWidget(Qt::LeftDockWidgetArea, m_loadDock);
    tabifyDockWidget(m_topologyDock, m_doctorDock);
    tabifyDockWidget(m_topologyDock, m_yamlDock);
    tabifyDockWidget(m_topologyDock, m_eventsDock);
    for (auto* d : docks)
        d->show();
    m_topologyDock->raise();
    // The column is as wide as the topology's columns (weight, priority, modelNameOverride,
    // target), within 26-38% of the window.
    const int w = std::max(width(), 1100);
    const int h = std::max(height(), 700);
    const int left = std::clamp(m_topologyPanel->preferredWidth(), std::max(400, w * 26 / 100), w * 38 / 100);
    resizeDocks({m_topologyDock}, {left}, Qt::Horizontal);
    // The servers dock holds its table (one row per server), its buttons and the DNS refresh setting.
    resizeDocks({m_topologyDock, m_serversDock, m_loadDock}, {h * 42 / 100, h * 22 / 100, h * 36 / 100}, Qt::Vertical);
    // The Scenario dock on the right, shown once a scenario is loaded (a lesson, File > Open scenario).
    m_scenarioDock->setFloating(false);
    removeDockWidget(m_scenarioDock);
    addDockWidget(Qt::RightDockWidgetArea, m_scenarioDock);
    m_scenarioDock->setVisible(m_scenario->hasScenario());
    resizeDocks({m_scenarioDock}, {std::max(420, w * 27 / 100)}, Qt::Horizontal);
}

QDockWidget* MainWindow::loadDock() const { return m_loadDock; }
QDockWidget* MainWindow::topologyDock() const { return m_topologyDock; }
QDockWidget* MainWindow::eventsDock() const { return m_eventsDock; }

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(QStringLiteral("&File"));
    QAction* open = file->addAction(QStringLiteral("&Open YAML..."), this, [this] {
        const QStringList files = QFileDialog::getOpenFileNames(this, QStringLiteral("Open Kubernetes YAML"), m_settings->lastDirectory(),
                                                                QStringLiteral("YAML (*.yaml *.yml);;All files (*)"));
        if (!files.isEmpty()) {
            m_settings->setLastDirectory(QFileInfo(files.first()).absolutePath());
            openFiles(files);
        }
    });
    open->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(QStringLiteral("Open &recent"));
    updateRecentMenu();
    QAction* openScenario = file->addAction(QStringLiteral("Open s&cenario..."), m_scenario, &ScenarioPanel::openFileDialog);
    openScenario->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+O")));
    auto exportAs = [this](const QString& version) {
        const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export config (%1)").arg(version),
                                                          m_settings->lastDirectory() + QStringLiteral("/aigw-config.yaml"),
                                                          QStringLiteral("YAML (*.yaml *.yml)"));
        if (path.isEmpty())
            return;
        const QString before = m_yaml->apiVersion();
        m_yaml->setApiVersion(version);
        QString error;
        if (!m_yaml->save(path, &error))
            showError(QStringLiteral("Export"), error);
        m_yaml->setApiVersion(before);
    };
    QAction* save = file->addAction(QStringLiteral("&Save config as (v1beta1)..."), this, [exportAs] { exportAs(QStringLiteral("v1beta1")); });
    save->setShortcut(QKeySequence::Save);
    file->addAction(QStringLiteral("Export for AI Gateway <= v0.5 (v1alpha1)..."), this, [exportAs] { exportAs(QStringLiteral("v1alpha1")); });
    m_saveBack = file->addAction(QStringLiteral("Save to source &files..."), this, [this] { saveToSourceFiles(); });
    m_saveBack->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+S")));
    m_saveBack->setToolTip(QStringLiteral("Write the edits into the files the config was read from, in place (shows the diff first)"));
    m_saveBack->setEnabled(!m_sources.empty());
    file->addSeparator();
    file->addAction(QStringLiteral("Export charts as PNG..."), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export charts"), QStringLiteral("aigw-charts.png"),
                                                          QStringLiteral("PNG (*.png)"));
        QString error;
        if (!path.isEmpty() && !m_charts->exportPng(path, &error))
            showError(QStringLiteral("Export PNG"), error);
    });
    file->addAction(QStringLiteral("Export chart data as CSV..."), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export chart data"), QStringLiteral("aigw-charts.csv"),
                                                          QStringLiteral("CSV (*.csv)"));
        QString error;
        if (!path.isEmpty() && !m_charts->exportCsv(path, &error))
            showError(QStringLiteral("Export CSV"), error);
    });
    file->addSeparator();
    QAction* quit = file->addAction(QStringLiteral("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* edit = menuBar()->addMenu(QStringLiteral("&Edit"));
    QAction* undo = m_undo.createUndoAction(this, QStringLiteral("&Undo"));
    undo->setShortcut(QKeySequence(QStringLiteral("Ctrl+Z")));
    QAction* redo = m_undo.createRedoAction(this, QStringLiteral("&Redo"));
    redo->setShortcuts({QKeySequence(QStringLiteral("Ctrl+Shift+Z")), QKeySequence(QStringLiteral("Ctrl+Y"))});
    edit->addAction(undo);
    edit->addAction(redo);

    QMenu* run = menuBar()->addMenu(QStringLiteral("&Gateway"));
    QAction* load = run->addAction(QStringLiteral("Start/stop &load"), m_loadPanel, &LoadPanel::toggle);
    load->setShortcut(QKeySequence(QStringLiteral("Ctrl+L")));
    QAction* pause = run->addAction(QStringLiteral("&Pause/resume charts"), m_charts, &ChartsPanel::togglePause);
    pause->setShortcut(QKeySequence(QStringLiteral("Ctrl+P")));
    QAction* stopSel = run->addAction(QStringLiteral("S&top selected server"), this, [this] {
        m_serversPanel->stopServer(m_serversPanel->selectedServer());
    });
    stopSel->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+S")));
    QAction* startSel = run->addAction(QStringLiteral("St&art selected server"), this, [this] {
        m_serversPanel->startServer(m_serversPanel->selectedServer());
    });
    startSel->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+A")));
    QAction* deleteSel = run->addAction(QStringLiteral("&Delete selected server (kubectl delete isvc)"), this, [this] {
        m_serversPanel->deleteServer(m_serversPanel->selectedServer());
    });
    deleteSel->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+D")));
    QAction* reapplySel = run->addAction(QStringLiteral("&Re-apply selected server"), this, [this] {
        m_serversPanel->reapplyServer(m_serversPanel->selectedServer());
    });
    reapplySel->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+R")));
    QAction* logSel = run->addAction(QStringLiteral("Selected server's &log..."), this, [this] {
        m_serversPanel->showLog(m_serversPanel->selectedServer());
    });
    logSel->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+L")));
    run->addSeparator();
    QAction* copyUrl = run->addAction(QStringLiteral("&Copy proxy URL"), this, [this] { QApplication::clipboard()->setText(m_proxyUrl); });
    copyUrl->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+C")));

    QMenu* scenario = menuBar()->addMenu(QStringLiteral("&Scenario"));
    scenario->addAction(openScenario);
    QAction* play = scenario->addAction(QStringLiteral("&Play / resume"), m_scenario, &ScenarioPanel::play);
    play->setShortcut(QKeySequence(QStringLiteral("F5")));
    QAction* pauseScenario = scenario->addAction(QStringLiteral("P&ause"), m_scenario, &ScenarioPanel::pause);
    pauseScenario->setShortcut(QKeySequence(QStringLiteral("F6")));
    QAction* step = scenario->addAction(QStringLiteral("&Step to the next step"), m_scenario, &ScenarioPanel::step);
    step->setShortcut(QKeySequence(QStringLiteral("F10")));
    scenario->addAction(QStringLiteral("&Restart"), m_scenario, &ScenarioPanel::restart);
    scenario->addSeparator();
    QAction* record = scenario->addAction(QStringLiteral("Re&cord my actions"));
    record->setCheckable(true);
    connect(record, &QAction::toggled, m_scenario, &ScenarioPanel::setRecording);
    connect(m_recorder, &SessionRecorder::recordingChanged, record, [record](bool on) {
        const QSignalBlocker block(record);
        record->setChecked(on);
    });
    scenario->addSeparator();
    QAction* compare = scenario->addAction(QStringLiteral("&What-if compare..."), this, &MainWindow::showCompare);
    compare->setShortcut(QKeySequence(QStringLiteral("Ctrl+Shift+W")));

    m_viewMenu = menuBar()->addMenu(QStringLiteral("&View"));
    const QList<QPair<QWidget*, QString>> pages = {{m_charts, QStringLiteral("Ctrl+1")},
                                                   {m_logPage, QStringLiteral("Ctrl+2")},
                                                   {m_playground, QStringLiteral("Ctrl+3")},
                                                   {m_lessons, QStringLiteral("Ctrl+4")}};
    for (const auto& [page, key] : pages) {
        QAction* a = m_viewMenu->addAction(m_tabs->tabText(m_tabs->indexOf(page)), this, [this, page] { m_tabs->setCurrentWidget(page); });
        a->setShortcut(QKeySequence(key));
    }
    m_viewMenu->addSeparator();
    for (auto* d : {m_topologyDock, m_serversDock, m_loadDock, m_doctorDock, m_yamlDock, m_eventsDock, m_scenarioDock})
        m_viewMenu->addAction(d->toggleViewAction());
    // Raising a tabbed dock from the keyboard: Ctrl+Alt+1..6 shows and raises it.
    m_viewMenu->addSeparator();
    int key = 1;
    for (auto* d : {m_topologyDock, m_doctorDock, m_yamlDock, m_eventsDock, m_serversDock, m_loadDock, m_scenarioDock}) {
        QAction* a = m_viewMenu->addAction(QStringLiteral("Go to %1").arg(d->windowTitle().section(QLatin1Char(':'), 0, 0)), this, [d] {
            d->show();
            d->raise();
            if (d->widget())
                d->widget()->setFocus();
        });
        a->setShortcut(QKeySequence(QStringLiteral("Ctrl+Alt+%1").arg(key++)));
    }
    m_viewMenu->addSeparator();
    m_viewMenu->addAction(QStringLiteral("&Reset layout"), this, &MainWindow::resetLayout);
}

void MainWindow::updateRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = m_settings->recentFiles();
    for (const QString& entry : recent) {
        const QStringList files = entry.split(QLatin1Char('\n'));
        QStringList names;
        for (const auto& f : files)
            names << QFileInfo(f).fileName();
        QAction* a = m_recentMenu->addAction(names.join(QStringLiteral(" + ")), this, [this, files] { openFiles(files); });
        a->setToolTip(files.join(QLatin1Char('\n')));
    }
    if (!recent.isEmpty()) {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(QStringLiteral("Clear list"), this, [this] {
            m_settings->clearRecentFiles();
            updateRecentMenu();
        });
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

bool MainWindow::openFiles(const QStringList& files) {
    std::vector<std::string> paths;
    for (const auto& f : files)
        paths.push_back(f.toStdString());
    const config::LoadResult result = config::loadFiles(paths);
    if (!result.ok()) {
        QStringList lines;
        for (const auto& e : result.errors)
            lines << QString::fromStdString(e.toString());
        showError(QStringLiteral("Could not open %1").arg(files.join(QStringLiteral(", "))),
                  QStringLiteral("The running configuration was not changed.\n\n") + lines.join(QLatin1Char('\n')));
        return false;
    }
    QStringList names;
    for (const auto& f : files)
        names << QFileInfo(f).fileName();
    applyConfig(result.config, QStringLiteral("opened %1").arg(names.join(QStringLiteral(", "))));
    setSourceFiles(files);
    m_settings->addRecentFiles(files);
    updateRecentMenu();
    m_events->appendPlainText(QStringLiteral("opened %1").arg(files.join(QStringLiteral(", "))));
    return true;
}

void MainWindow::applyConfig(const config::Config& config, const QString& what) {
    m_service->applyConfig(config);
    showConfig(config);
    m_recorder->configApplied(config, what);
}

void MainWindow::showConfig(const config::Config& config) {
    m_topology->setConfig(config);  // modelReset refreshes the YAML preview and the doctor
}

void MainWindow::showError(const QString& title, const QString& text) {
    m_lastError = text;
    m_events->appendPlainText(title + QStringLiteral(": ") + text);
    if (m_interactive) {
        QMessageBox box(QMessageBox::Warning, title, text.section(QLatin1Char('\n'), 0, 1), QMessageBox::Ok, this);
        box.setDetailedText(text);
        box.setInformativeText(text.section(QLatin1Char('\n'), 2).left(2000));
        box.exec();
    }
}

void MainWindow::onReady(const QString& proxyUrl, const QString& adminUrl) {
    m_proxyUrl = proxyUrl;
    m_adminUrl = adminUrl;
    m_statusUrls->setText(QStringLiteral("proxy <b>%1</b> &nbsp; admin %2").arg(proxyUrl, adminUrl));
    m_loadPanel->setProxyUrl(proxyUrl);
    m_playground->setProxyUrl(proxyUrl);
    QStringList models;
    for (const auto& r : m_topology->config().routes)
        for (const auto& rule : r.rules)
            for (const auto& m : rule.matches)
                for (const auto& h : m.headers)
                    if (!models.contains(QString::fromStdString(h.value)))
                        models << QString::fromStdString(h.value);
    m_playground->setModels(models);
}

void MainWindow::onStats(const proxy::StatsSnapshot& s) {
    m_statusStats->setText(QStringLiteral("%1 req/s   errors %2%   p50 %3 ms   p99 %4 ms   in flight %5")
                               .arg(s.requestsPerSecond, 0, 'f', 0)
                               .arg(s.errorRate * 100, 0, 'f', 1)
                               .arg(s.p50Ms, 0, 'f', 1)
                               .arg(s.p99Ms, 0, 'f', 1)
                               .arg(s.inFlight));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    m_settings->setWindowGeometry(saveGeometry());
    m_settings->setWindowState(saveState(kLayoutVersion));
    m_settings->setRequestLogColumns(m_logPage->view()->horizontalHeader()->saveState());
    m_settings->sync();
    m_loadgen->stop();
    QMainWindow::closeEvent(event);
}

void MainWindow::setSourceFiles(const QStringList& files) {
    m_sources.clear();
    for (const auto& f : files) {
        QFile in(f);
        if (f == QLatin1String("-") || !in.open(QIODevice::ReadOnly)) {
            m_sources.clear();
            break;
        }
        const QByteArray text = in.readAll();
        m_sources.push_back(config::Source{f.toStdString(), text.toStdString()});
    }
    if (m_saveBack)
        m_saveBack->setEnabled(!m_sources.empty());
}

QStringList MainWindow::sourceFiles() const {
    QStringList out;
    for (const auto& s : m_sources)
        out << QString::fromStdString(s.fileName);
    return out;
}

bool MainWindow::saveToSourceFiles() {
    const QString title = QStringLiteral("Save to source files");
    if (m_sources.empty()) {
        showError(title, QStringLiteral("This configuration was not read from files (the built-in scenario, a lesson or "
                                        "standard input): use Save config as."));
        return false;
    }
    const config::Config& current = m_topology->config();
    config::SaveBackOptions options;
    config::SaveBackResult result = config::saveBack(m_sources, current, options);
    if (!result.newObjects.empty()) {
        if (!m_interactive)
            return false;  // no file dialog in tests
        const QString names = QString::fromStdString([&] {
            std::string n;
            for (const auto& o : result.newObjects)
                n += (n.empty() ? "" : ", ") + o;
            return n;
        }());
        const QString path = QFileDialog::getSaveFileName(
            this, QStringLiteral("File for the new objects (%1): they are appended").arg(names),
            QString::fromStdString(m_sources.front().fileName), QStringLiteral("YAML (*.yaml *.yml)"), nullptr,
            QFileDialog::DontConfirmOverwrite);
        if (path.isEmpty())
            return false;
        options.newObjectsFile = path.toStdString();
        if (!sourceFiles().contains(path)) {
            QFile in(path);
            if (in.exists()) {
                if (!in.open(QIODevice::ReadOnly)) {
                    showError(title, QStringLiteral("Cannot read %1").arg(path));
                    return false;
                }
                options.newObjectsText = in.readAll().toStdString();
            }
        }
        result = config::saveBack(m_sources, current, options);
    }
    if (!m_interactive)
        return false;  // the dialog is modal; tests drive SaveBackDialog directly
    SaveBackDialog dialog(std::move(result), this);
    if (dialog.exec() != QDialog::Accepted)
        return false;
    // The files now hold the config: the next save compares with what was written.
    for (const auto& f : dialog.saveResult().files) {
        auto it = std::find_if(m_sources.begin(), m_sources.end(), [&](const config::Source& s) { return s.fileName == f.fileName; });
        if (it != m_sources.end())
            it->text = f.after;
        else if (f.changed())
            m_sources.push_back(config::Source{f.fileName, f.after});
    }
    statusBar()->showMessage(QStringLiteral("Saved to %1").arg(sourceFiles().join(QStringLiteral(", "))), 5000);
    return true;
}

}  // namespace aigw::ui
