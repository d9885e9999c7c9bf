#pragma once
// The main window: thin. It owns the models, creates the docks and pages, wires menus and
// shortcuts, and arranges everything in one resetLayout(). Behaviour lives in the models, the
// bridge and the panels.

#include <QMainWindow>
#include <QUndoStack>

#include <memory>

#include "config/loader.h"
#include "config/model.h"

class QDockWidget;
class QLabel;
class QMenu;
class QPlainTextEdit;
class QTabWidget;

namespace aigw::proxy {
class GatewayService;
struct StatsSnapshot;
}
namespace aigw::loadgen {
class LoadGenerator;
}

namespace aigw::ui {

class AppSettings;
class ChartFeed;
class ChartsPanel;
class CompareView;
class DoctorPanel;
class GatewayBridge;
class LessonsPage;
class LoadPanel;
class ModelFocus;
class PlaygroundPage;
class RequestLogModel;
class RequestLogPage;
class ServersModel;
class ScenarioPanel;
class ServersPanel;
class SessionRecorder;
class TopologyModel;
class TopologyPanel;
class YamlPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    /// `service` must outlive the window; `settings` too.
    /// Saved dock layouts of another version are ignored (the default layout applies instead).
    static constexpr int kLayoutVersion = 3;

    MainWindow(proxy::GatewayService* service, AppSettings* settings, QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Shows `config` in the topology and the YAML preview (call once the gateway runs it).
    void showConfig(const config::Config& config);
    /// Opens YAML files: on errors shows them (file:line:column) in a dialog and changes nothing;
    /// else applies the config to the running gateway. Returns whether it was applied.
    bool openFiles(const QStringList& files);
    /// The files the shown config was read from, whose text is read now: File > Save to source files
    /// writes the edits back into them. A "-" (standard input) among them, or none: no save-back.
    void setSourceFiles(const QStringList& files);
    QStringList sourceFiles() const;
    /// File > Save to source files: the pending change to the source files as a unified diff
    /// (SaveBackDialog), Save writes it; new objects ask for a file. True when files were written.
    bool saveToSourceFiles();
    void resetLayout();

    // Accessors for tests, the screenshot command and the lessons.
    TopologyModel* topologyModel() const { return m_topology; }
    ServersModel* serversModel() const { return m_servers; }
    RequestLogModel* requestLogModel() const { return m_log; }
    ChartFeed* chartFeed() const { return m_feed; }
    /// The virtual model the charts, the load generator and the Topology dock follow.
    ModelFocus* modelFocus() const { return m_focus; }
    GatewayBridge* bridge() const { return m_bridge; }
    loadgen::LoadGenerator* loadGenerator() const { return m_loadgen.get(); }
    TopologyPanel* topologyPanel() const { return m_topologyPanel; }
    ServersPanel* serversPanel() const { return m_serversPanel; }
    LoadPanel* loadPanel() const { return m_loadPanel; }
    ChartsPanel* chartsPanel() const { return m_charts; }
    RequestLogPage* requestLogPage() const { return m_logPage; }
    PlaygroundPage* playground() const { return m_playground; }
    LessonsPage* lessons() const { return m_lessons; }
    ScenarioPanel* scenarioPanel() const { return m_scenario; }
    QDockWidget* scenarioDock() const { return m_scenarioDock; }
    SessionRecorder* recorder() const { return m_recorder; }
    /// The what-if compare window, once opened (else null).
    CompareView* compareView() const { return m_compare; }
    /// Opens the what-if compare on the Scenario dock's scenario: its own config vs doctor-fixed.
    void showCompare();
    YamlPanel* yamlPanel() const { return m_yaml; }
    DoctorPanel* doctorPanel() const { return m_doctor; }
    QDockWidget* doctorDock() const { return m_doctorDock; }
    QDockWidget* yamlDock() const { return m_yamlDock; }
    QDockWidget* loadDock() const;
    QDockWidget* serversDock() const { return m_serversDock; }
    QDockWidget* topologyDock() const;
    QDockWidget* eventsDock() const;
    QTabWidget* tabs() const { return m_tabs; }
    QUndoStack* undoStack() { return &m_undo; }
    QString proxyUrl() const { return m_proxyUrl; }
    /// The last error dialog's text (tests check it; the dialog itself is modal).
    QString lastErrorText() const { return m_lastError; }
    /// When false, error and file dialogs are not shown (errors only recorded), for tests.
    void setInteractive(bool on);

    /// 1920x1080, or 95% of the screen where that is smaller.
    QSize defaultSize() const;

protected:
    void closeEvent(QCloseEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void buildMenus();
    void updateRecentMenu();
    void onReady(const QString& proxyUrl, const QString& adminUrl);
    void onStats(const proxy::StatsSnapshot& s);
    void showError(const QString& title, const QString& text);
    /// Applies a whole config to the gateway and shows it; the recorder captures it.
    void applyConfig(const config::Config& config, const QString& what);
    QDockWidget* addDock(const QString& title, const QString& objectName, QWidget* content);

    proxy::GatewayService* m_service;
    AppSettings* m_settings;
    QUndoStack m_undo;
    TopologyModel* m_topology;
    ServersModel* m_servers;
    RequestLogModel* m_log;
    ChartFeed* m_feed;
    ModelFocus* m_focus;
    GatewayBridge* m_bridge;
    std::unique_ptr<loadgen::LoadGenerator> m_loadgen;
    QTabWidget* m_tabs;
    ChartsPanel* m_charts;
    RequestLogPage* m_logPage;
    PlaygroundPage* m_playground;
    LessonsPage* m_lessons;
    ScenarioPanel* m_scenario;
    SessionRecorder* m_recorder;
    CompareView* m_compare = nullptr;
    TopologyPanel* m_topologyPanel;
    ServersPanel* m_serversPanel;
    LoadPanel* m_loadPanel;
    YamlPanel* m_yaml;
    DoctorPanel* m_doctor;
    QPlainTextEdit* m_events;
    QDockWidget* m_topologyDock;
    QDockWidget* m_serversDock;
    QDockWidget* m_loadDock;
    QDockWidget* m_yamlDock;
    QDockWidget* m_doctorDock;
    QDockWidget* m_eventsDock;
    QDockWidget* m_scenarioDock;
    std::vector<config::Source> m_sources;  ///< see setSourceFiles()
    QAction* m_saveBack = nullptr;
    QMenu* m_recentMenu = nullptr;
    QMenu* m_viewMenu = nullptr;
    QLabel* m_statusUrls;
    QLabel* m_statusStats;
    QString m_proxyUrl;
    QString m_adminUrl;
    QString m_lastError;
    bool m_interactive = true;
    bool m_layoutRestored = false;
    bool m_layoutSized = false;
};

}  // namespace aigw::ui
