#pragma once
// A scenario's expectations as a table, with the result of one run (the Scenario dock) or of two
// runs side by side (the what-if compare): step, expectation, window, expected, then per run the
// measured value and PASS / FAIL. Pending rows are grey, held ones green, failed ones red.

#include <QAbstractTableModel>
#include <QStringList>

#include <optional>
#include <vector>

#include "scenario/run.h"
#include "scenario/scenario.h"

namespace aigw::ui {

class ExpectationsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { StepColumn, NameColumn, WindowColumn, ExpectedColumn, FixedColumnCount };
    enum class Status { Pending, Pass, Fail };

    /// `runs`: 1 (one result per expectation) or more (the compare's columns, one pair per run).
    explicit ExpectationsModel(int runs = 1, QObject* parent = nullptr);

    /// The scenario's expectations (Scenario::expectations() order); every result back to pending.
    void setScenario(const scenario::Scenario& scenario);
    /// Names the runs in the header ("as written", "fixed"); by default "run 1", "run 2".
    void setRunTitles(const QStringList& titles);
    /// Result of expectation `index` in `run` (ExpectationResult::evaluated false keeps it pending).
    void setResult(int run, int index, const scenario::ExpectationResult& result);
    /// Every result of one run, in expectation order (a finished run, or LivePlayer::results()).
    void setResults(int run, const std::vector<scenario::ExpectationResult>& results);
    void clearResults();

    int runs() const { return m_runs; }
    Status status(int run, int row) const;
    int count(int run, Status status) const;
    static int measuredColumn(int run) { return FixedColumnCount + 2 * run; }
    static int resultColumn(int run) { return FixedColumnCount + 2 * run + 1; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    int m_runs;
    QStringList m_runTitles;
    std::vector<scenario::Expectation> m_expectations;
    std::vector<QString> m_stepTitles;
    /// [run][row]; empty optional = no result yet.
    std::vector<std::vector<std::optional<scenario::ExpectationResult>>> m_results;
};

}  // namespace aigw::ui
