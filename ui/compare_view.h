#pragma once
// What-if compare: one scenario, two configs (the scenario's own vs the doctor-fixed one, the
// running config vs its fixed form, or any files), both run in virtual time (scenario::runVirtual)
// on a worker thread and shown side by side: a failover timeline and the split per backend for
// each, one outcome table (requests, failed, by status, by backend) and the expectations with
// both results. This is how a trainer shows "as written" vs "fixed" in one view.

#include <QDialog>
#include <QStringList>
#include <QTemporaryDir>

#include <array>
#include <memory>
#include <optional>

#include "config/model.h"
#include "scenario/run.h"
#include "scenario/scenario.h"

class QComboBox;
class QLabel;
class QPushButton;
class QTableView;
class QTableWidget;
class QThread;
class QVBoxLayout;

namespace aigw::ui {

class ChartFeed;
class ExpectationsModel;
class SplitChart;
class TimelineWidget;
class TopologyModel;


class CompareView : public QDialog {
    Q_OBJECT
public:
    enum class Choice { ScenarioOwn, ScenarioOwnFixed, Current, CurrentFixed, Files };
    static constexpr int kSides = 2;

    explicit CompareView(QWidget* parent = nullptr);
    /// Waits for a run in progress: a virtual run takes well under a second.
    ~CompareView() override;

    /// The scenario to run; false (and errorText()) when it does not load.
    bool setScenarioFile(const QString& path);
    QString scenarioFile() const { return m_file; }
    /// "The current one": the config the app's gateway runs.
    void setCurrentConfig(const config::Config& config);
    /// What side 0 (left) or 1 (right) runs; `files` for Choice::Files.
    void setChoice(int side, Choice choice, const QStringList& files = {});
    /// Runs both sides on a worker thread; finished() when both are shown.
    void run();
    bool isRunning() const { return m_thread != nullptr; }

    /// The last results (none before the first run, or when that side failed: errorText()).
    const std::optional<scenario::RunResult>& result(int side) const { return m_sides[static_cast<std::size_t>(side)].result; }
    QString errorText() const { return m_error; }
    /// Wall time of the last run of both sides, in milliseconds.
    qint64 lastRunMs() const { return m_lastRunMs; }
    ExpectationsModel* expectationsModel() const { return m_expectations; }
    QTableWidget* outcomeTable() const { return m_outcome; }
    TimelineWidget* timeline(int side) const { return m_sides[static_cast<std::size_t>(side)].timeline; }
    SplitChart* splitChart(int side) const { return m_sides[static_cast<std::size_t>(side)].split; }
    QString sideTitle(int side) const;

signals:
    void finished();

private:
    struct Side {
        Choice choice = Choice::ScenarioOwn;
        QStringList files;
        QComboBox* combo = nullptr;
        QLabel* header = nullptr;
        QVBoxLayout* charts = nullptr;  ///< holds the side's chart widgets (rebuilt per run)
        QWidget* chartsHost = nullptr;
        ChartFeed* feed = nullptr;
        TopologyModel* topology = nullptr;
        TimelineWidget* timeline = nullptr;
        SplitChart* split = nullptr;
        QString label;          ///< "as written", "doctor-fixed"
        QString detail;         ///< where the config comes from, fixes applied
        config::Config config;  ///< what runs (for the split chart's targets)
        std::optional<scenario::RunResult> result;
        QString error;
    };
    /// Resolves a side's choice into the scenario that side runs: the scenario as written, or with
    /// its config source replaced by files (temp files for built configs). Replacing the source
    /// rather than passing RunOptions::configFiles: a lesson pinned to its config is compared too.
    bool prepare(Side& side, int index, scenario::Scenario& run, QString* error);
    void onRunFinished();
    void showSide(Side& side);
    void fillOutcome();
    void syncCombo(int side);

    QString m_file;
    std::optional<scenario::Scenario> m_scenario;
    std::optional<config::Config> m_current;
    QTemporaryDir m_tmp;
    std::array<Side, kSides> m_sides;
    std::unique_ptr<QThread> m_thread;
    struct Pending;
    std::shared_ptr<Pending> m_pending;
    qint64 m_lastRunMs = 0;
    QString m_error;

    QLabel* m_scenarioLabel;
    QPushButton* m_browse;
    QPushButton* m_run;
    QLabel* m_status;
    QTableWidget* m_outcome;
    ExpectationsModel* m_expectations;
    QTableView* m_table;
};

}  // namespace aigw::ui
