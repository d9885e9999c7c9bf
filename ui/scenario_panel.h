#pragma once
// The Scenario dock: a scenario file played on the app's live gateway. It shows the title and
// summary, the steps, the teaching text of the step the timeline has reached, a ruler of the
// scenario's time with its steps, and the expectations, each turning green or red when its window
// closes. Play / Pause / Step / Restart drive a scenario::LivePlayer that shares the app's
// GatewayService (the bridge's drained records are forwarded to it). The charts get a cursor at the
// scenario's position and a mark per step reached (ChartFeed::setScenarioOverlay). Record captures
// the user's own actions (SessionRecorder) and saves them as a scenario.

#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

#include "chart_feed.h"
#include "config/model.h"
#include "scenario/live_player.h"
#include "scenario/scenario.h"

class QLabel;
class QListWidget;
class QPushButton;
class QTableView;
class QTextBrowser;
class QTimer;

namespace aigw::proxy {
class GatewayService;
}

namespace aigw::ui {

class ExpectationsModel;
class GatewayBridge;
class SessionRecorder;

/// The scenario's time as a bar: elapsed part, a tick per step (numbered), the position.
class ScenarioRuler : public QWidget {
    Q_OBJECT
public:
    explicit ScenarioRuler(QWidget* parent = nullptr);
    void setScenario(const scenario::Scenario& scenario);
    void setPosition(double seconds, int currentStep);
    QSize sizeHint() const override { return {300, 40}; }
    QSize minimumSizeHint() const override { return {120, 40}; }

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;

private:
    double xOf(double seconds) const;
    double m_duration = 60;
    std::vector<double> m_steps;
    QStringList m_titles;
    double m_position = 0;
    int m_current = -1;
};

class ScenarioPanel : public QWidget {
    Q_OBJECT
public:
    /// `bridge` forwards the gateway's records while a scenario plays; `feed` gets the chart
    /// overlay; `recorder` backs the Record button. None is owned.
    ScenarioPanel(proxy::GatewayService* service, GatewayBridge* bridge, ChartFeed* feed, SessionRecorder* recorder,
                  QWidget* parent = nullptr);
    ~ScenarioPanel() override;

    /// Loads a scenario file and its config (nothing is applied until Play). On errors
    /// (file:line:col: path: message) shows them, keeps the previous scenario and returns false.
    bool openFile(const QString& path);
    /// File > Open scenario...: a file dialog, then openFile().
    void openFileDialog();
    bool hasScenario() const { return m_scenario.has_value(); }
    const scenario::Scenario& scenario() const;
    QString scenarioFile() const { return m_file; }
    /// The last load error (empty when the last open worked).
    QString errorText() const { return m_error; }

    void play();
    void pause();
    void step();
    void restart();
    /// What the Record button does: starts or stops recording the user's actions.
    void setRecording(bool on);
    /// Saves the recording as a scenario file, then opens it here (ready to replay).
    bool saveRecording(const QString& path, QString* error);

    scenario::LivePlayer* player() const { return m_player.get(); }
    ExpectationsModel* expectationsModel() const { return m_expectations; }
    QListWidget* stepsView() const { return m_steps; }
    QTextBrowser* textView() const { return m_text; }
    QTableView* expectationsView() const { return m_table; }
    ScenarioRuler* ruler() const { return m_ruler; }
    /// The status line ("Playing 12.3 s of 60 s, step 2 of 5", "Finished: 5 held, 1 failed").
    QString statusText() const;
    /// When false, Save recording... and Open... do not show dialogs (tests).
    void setInteractive(bool on) { m_interactive = on; }

signals:
    void scenarioLoaded(const QString& title);
    /// Play from the start: the window stops the load generator, whose requests would count too.
    void aboutToPlay();
    /// The virtual model the scenario's load asks for (the split chart follows it).
    void modelOfInterest(const QString& model);
    void compareRequested();
    /// Actions applied (or failed) and the verdict, for the window's event log.
    void eventLogged(const QString& line);

private:
    void setLoaded(scenario::Scenario scenario, const config::Config& config, const QString& file);
    void onStateChanged(scenario::LivePlayer::State state);
    void onStepReached(int index);
    void showStepText(int index);
    void updateButtons();
    void updateStatus();
    void updateOverlay();
    void markSteps();

    proxy::GatewayService* m_service;
    ChartFeed* m_feed;
    SessionRecorder* m_recorder;
    std::unique_ptr<scenario::LivePlayer> m_player;
    std::optional<scenario::Scenario> m_scenario;
    QString m_file;
    QString m_error;
    bool m_interactive = true;
    /// Charts' session time of each step reached in this run (-1: not reached yet).
    std::vector<double> m_reachedAt;
    double m_anchor = 0;  ///< session time where the scenario stopped moving (paused, finished)
    QString m_lastAction;

    QLabel* m_title;
    QLabel* m_fileLabel;
    QLabel* m_status;
    ScenarioRuler* m_ruler;
    QListWidget* m_steps;
    QTextBrowser* m_text;
    QTableView* m_table;
    ExpectationsModel* m_expectations;
    QPushButton* m_open;
    QPushButton* m_play;
    QPushButton* m_pause;
    QPushButton* m_step;
    QPushButton* m_restart;
    QPushButton* m_record;
    QPushButton* m_saveRecording;
    QPushButton* m_compare;
    QTimer* m_tick;
};

}  // namespace aigw::ui
