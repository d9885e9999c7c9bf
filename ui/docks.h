#pragma once
// Thin dock contents (Tiled's pattern): each wraps one view over one model plus its few actions.
// They hold no state of their own beyond widgets; MainWindow arranges them in resetLayout().

#include <QDialog>
#include <QPersistentModelIndex>
#include <QWidget>

#include <nlohmann/json.hpp>

#include <optional>
#include <vector>

#include "loadgen/load_generator.h"
#include "scenario/scenario.h"

class QAction;
class QLabel;
class QMenu;
class QPlainTextEdit;
class QPushButton;
class QTableView;
class QTreeView;
class QUndoStack;
class QComboBox;
class QSpinBox;
class QDoubleSpinBox;
class QCheckBox;
class QLineEdit;
class QSlider;
class QSortFilterProxyModel;
class QTimer;

namespace aigw::proxy {
class GatewayService;
}

namespace aigw::ui {

class ModelFocus;
class TopologyModel;
class ServersModel;

class TopologyPanel : public QWidget {
    Q_OBJECT
public:
    /// Up to this many routes the tree opens fully; beyond, routes start collapsed (the selected
    /// virtual model's route open) so that a cluster's hundred routes fit on a screen.
    static constexpr int kExpandAllRoutesUpTo = 6;

    TopologyPanel(TopologyModel* model, QUndoStack* undo, QWidget* parent = nullptr);
    QTreeView* view() const { return m_view; }
    /// The width that shows every column without a horizontal scroll bar (the main window's
    /// default layout gives the dock this much, within limits).
    int preferredWidth() const;
    /// Shows only the rows whose route name (namespace/name), virtual model or backend (name or
    /// modelNameOverride) contains `text` (case-insensitive), with their parents and, for a
    /// matching route or rule, everything under it; empty shows all.
    void setFilterText(const QString& text);
    QString filterText() const;
    QLineEdit* filterBox() const { return m_filter; }
    /// Selecting a row selects its virtual model; the focused model's route is opened and scrolled to.
    void setModelFocus(ModelFocus* focus);

private:
    void fitColumns();
    void updateRouteStatus();
    void applyFilter();
    /// The tree as a config opens: all of it up to kExpandAllRoutesUpTo routes, else the Gateways
    /// and the focused model's route.
    void defaultExpansion();
    /// Opens the route and rules of the focused model and scrolls to it.
    void revealFocus();
    TopologyModel* m_model;
    ModelFocus* m_focus = nullptr;
    QLineEdit* m_filter;
    QLabel* m_filterCount;
    QTreeView* m_view;
    QLabel* m_routeStatus;  ///< every route that is not accepted, with its reason (hidden when none)
    QLabel* m_message;
};

/// The fault profiles the mock model servers understand, as their JSON.
struct FaultPresets {
    static nlohmann::json status503();
    static nlohmann::json status429(int retryAfterSeconds);
    static nlohmann::json hang();
    /// Packets dropped at the gateway's upstream layer: connects time out (any server mode).
    static nlohmann::json blackHole();
    static nlohmann::json slowFirstToken(int ms);
    static nlohmann::json streamCut(int afterTokens);
    static nlohmann::json latencyAndErrors(int latencyMs, int jitterMs, double errorRate, int status);
};

class ServersPanel : public QWidget {
    Q_OBJECT
public:
    /// From this many servers on, the filter box shows (a cluster's config has thousands).
    static constexpr int kFilterFrom = 9;

    ServersPanel(ServersModel* model, proxy::GatewayService* service, QWidget* parent = nullptr);
    /// The table shows the servers through filterModel().
    QTableView* view() const { return m_view; }
    QSortFilterProxyModel* filterModel() const { return m_proxy; }
    /// Shows the servers whose name, models, hostname or Backends contain `text` (case-insensitive).
    void setFilterText(const QString& text);
    QLineEdit* filterBox() const { return m_filter; }
    /// The selected server's name, or empty.
    QString selectedServer() const;
    void selectServer(const QString& name);
    void showLog(const QString& name);
    /// The fault button's menu (tests trigger its actions).
    QMenu* faultMenu() const { return m_faultMenu; }

    // What the buttons, the fault menu and the Gateway menu do to a server: the command goes to the
    // service and is announced with serverCommand() (the session recorder captures it there). An
    // empty name does nothing.
    void stopServer(const QString& name);
    void startServer(const QString& name);
    void deleteServer(const QString& name);
    void reapplyServer(const QString& name);
    void setFault(const QString& name, const nlohmann::json& profile);
    void clearFault(const QString& name);

    /// The gateway's DNS refresh delay the running gateway uses (shown; the spin box starts there).
    void setDnsRefreshSeconds(int seconds);
    int dnsRefreshSeconds() const { return m_dnsRunning; }
    QSpinBox* dnsRefreshBox() const { return m_dnsBox; }
    /// Applies the spin box's value (what its Apply button does).
    void applyDnsRefresh();

signals:
    /// The user asked for another DNS refresh delay; the session restarts the gateway with it.
    void dnsRefreshApplyRequested(int seconds);
    /// A server command was sent (verb, server and, for a fault, its profile; `at` unset).
    void serverCommand(const aigw::scenario::Action& action);

private:
    void command(scenario::Action::Verb verb, const QString& name, const nlohmann::json& fault = {});
    void updateButtons();
    void updateDnsRow();
    void updateFilterRow();
    ServersModel* m_model;
    QSortFilterProxyModel* m_proxy;
    QLineEdit* m_filter;
    QLabel* m_filterCount;
    proxy::GatewayService* m_service;
    QTableView* m_view;
    QPushButton* m_stop;
    QPushButton* m_start;
    QPushButton* m_delete;
    QPushButton* m_reapply;
    QPushButton* m_fault;
    QPushButton* m_log;
    QMenu* m_faultMenu;
    std::vector<QAction*> m_mockOnlyFaults;  ///< profiles only aigw-mock-backend understands
    QAction* m_clearFault = nullptr;
    QSpinBox* m_dnsBox;
    QPushButton* m_dnsApply;
    int m_dnsRunning = 30;
};

/// Latency / error-rate sliders for a custom fault profile.
class FaultDialog : public QDialog {
    Q_OBJECT
public:
    explicit FaultDialog(const QString& server, QWidget* parent = nullptr);
    nlohmann::json profile() const;

private:
    QSlider* m_latency;
    QSlider* m_jitter;
    QSlider* m_errorRate;
    QComboBox* m_status;
};

/// A live view of one server's captured output.
class ServerLogDialog : public QDialog {
    Q_OBJECT
public:
    ServerLogDialog(proxy::GatewayService* service, const QString& server, QWidget* parent = nullptr);

private:
    void refresh();
    proxy::GatewayService* m_service;
    QString m_server;
    QPlainTextEdit* m_text;
    int m_lines = -1;
};

class LoadPanel : public QWidget {
    Q_OBJECT
public:
    /// What the requests ask for: the model in the box, every model of /v1/models with equal
    /// shares, or the typed mix ("model-a=3, model-b=1").
    enum class MixMode { One, All, List };
    /// Backends listed under "answered by" (those with the most answers; the rest are counted).
    static constexpr std::size_t kBackendsListed = 8;

    LoadPanel(loadgen::LoadGenerator* generator, QWidget* parent = nullptr);
    /// The model box follows `focus`; picking a model there sets it.
    void setModelFocus(ModelFocus* focus);
    void setMixMode(MixMode mode);
    MixMode mixMode() const;
    void setMixText(const QString& text);
    QComboBox* mixModeBox() const { return m_mixMode; }
    QLineEdit* mixBox() const { return m_mix; }
    /// The status line under the model box (errors of the last start, the model count).
    QString statusText() const;
    /// Where the gateway listens ("http://127.0.0.1:8080"); refreshes the model list from /v1/models.
    void setProxyUrl(const QString& url);
    void refreshModels();
    void setModel(const QString& model);
    void setRate(double perSecond);
    void setConcurrency(int n);
    void startLoad();
    void stopLoad();
    void toggle();
    QComboBox* modelBox() const { return m_model; }
    /// The options of the running load (the last startLoad()), none when stopped.
    std::optional<loadgen::LoadOptions> runningOptions() const;

signals:
    /// Load started (or restarted with new options) from this panel; the session recorder captures it.
    void loadStarted(const aigw::loadgen::LoadOptions& options);
    /// Running load stopped from this panel.
    void loadStopped();

private:
    void updateStats();
    loadgen::LoadGenerator* m_generator;
    QString m_proxyUrl;
    QComboBox* m_model;
    QComboBox* m_mixMode;
    QLineEdit* m_mix;
    ModelFocus* m_focus = nullptr;
    QDoubleSpinBox* m_rate;
    QSpinBox* m_concurrency;
    QCheckBox* m_stream;
    QLineEdit* m_prompt;
    QSpinBox* m_maxTokens;
    QPushButton* m_startStop;
    QLabel* m_stats;
    QLabel* m_modelsStatus;
    QString m_wantedModel;
    loadgen::LoadOptions m_started;
};

}  // namespace aigw::ui
