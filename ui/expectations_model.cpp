#include "expectations_model.h"

#include <QBrush>
#include <QColor>

namespace aigw::ui {

namespace {
const QColor kPassBg(198, 239, 206), kPassFg(0, 97, 0);
const QColor kFailBg(255, 199, 206), kFailFg(156, 0, 6);
const QColor kPendingBg(236, 236, 236), kPendingFg(110, 110, 110);
constexpr int kMeasuredChars = 28;

QString q(const std::string& s) { return QString::fromStdString(s); }

/// The window as written ("10s..30s", "10s..end") until a result says it exactly.
QString plannedWindow(const scenario::Expectation& e) {
    return QStringLiteral("%1..%2").arg(q(scenario::formatDuration(e.from)),
                                        e.to ? q(scenario::formatDuration(*e.to)) : QStringLiteral("end"));
}
}  // namespace

ExpectationsModel::ExpectationsModel(int runs, QObject* parent)
    : QAbstractTableModel(parent), m_runs(std::max(1, runs)), m_results(static_cast<std::size_t>(m_runs)) {
    for (int r = 0; r < m_runs; ++r)
        m_runTitles << QStringLiteral("run %1").arg(r + 1);
}

void ExpectationsModel::setScenario(const scenario::Scenario& scenario) {
    beginResetModel();
    m_expectations = scenario.expectations();
    m_stepTitles.clear();
    for (const auto& s : scenario.steps)
        m_stepTitles.push_back(q(s.title));
    for (auto& run : m_results)
        run.assign(m_expectations.size(), std::nullopt);
    endResetModel();
}

void ExpectationsModel::setRunTitles(const QStringList& titles) {
    for (int r = 0; r < m_runs && r < titles.size(); ++r)
        m_runTitles[r] = titles[r];
    emit headerDataChanged(Qt::Horizontal, FixedColumnCount, columnCount() - 1);
}

void ExpectationsModel::setResult(int run, int index, const scenario::ExpectationResult& result) {
    if (run < 0 || run >= m_runs || index < 0 || index >= rowCount())
        return;
    m_results[static_cast<std::size_t>(run)][static_cast<std::size_t>(index)] = result;
    // A single run colours its whole row; in a comparison only that run's cells change.
    const int first = m_runs == 1 ? 0 : measuredColumn(run);
    emit dataChanged(this->index(index, first), this->index(index, resultColumn(run)));
}

void ExpectationsModel::setResults(int run, const std::vector<scenario::ExpectationResult>& results) {
    if (run < 0 || run >= m_runs || rowCount() == 0)
        return;
    auto& slot = m_results[static_cast<std::size_t>(run)];
    for (std::size_t i = 0; i < slot.size(); ++i)
        slot[i] = i < results.size() ? std::optional(results[i]) : std::nullopt;
    emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

void ExpectationsModel::clearResults() {
    for (auto& run : m_results)
        std::fill(run.begin(), run.end(), std::nullopt);
    if (rowCount() > 0)
        emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

ExpectationsModel::Status ExpectationsModel::status(int run, int row) const {
    if (run < 0 || run >= m_runs || row < 0 || row >= rowCount())
        return Status::Pending;
    const auto& r = m_results[static_cast<std::size_t>(run)][static_cast<std::size_t>(row)];
    if (!r || !r->evaluated)
        return Status::Pending;
    return r->pass ? Status::Pass : Status::Fail;
}

int ExpectationsModel::count(int run, Status status) const {
    int n = 0;
    for (int row = 0; row < rowCount(); ++row)
        n += this->status(run, row) == status ? 1 : 0;
    return n;
}

int ExpectationsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_expectations.size());
}

int ExpectationsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : FixedColumnCount + 2 * m_runs;
}

QVariant ExpectationsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount())
        return {};
    const auto& e = m_expectations[static_cast<std::size_t>(index.row())];
    const int col = index.column();
    // Which run a column belongs to (-1: the expectation's own columns).
    const int run = col >= FixedColumnCount ? (col - FixedColumnCount) / 2 : -1;
    const auto& result = run >= 0 ? m_results[static_cast<std::size_t>(run)][static_cast<std::size_t>(index.row())]
                                  : std::optional<scenario::ExpectationResult>{};
    // The colour of a cell: its run's status; with one run the whole row takes it.
    const int colourRun = m_runs == 1 ? 0 : run;
    const Status st = colourRun >= 0 ? status(colourRun, index.row()) : Status::Pending;
    switch (role) {
    case Qt::DisplayRole:
        switch (col) {
        case StepColumn: return static_cast<int>(e.step) + 1;
        case NameColumn: return q(e.name);
        case WindowColumn: {
            // The evaluated window of the first run that has one (both runs share the scenario's windows).
            for (const auto& r : m_results)
                if (const auto& x = r[static_cast<std::size_t>(index.row())]; x && !x->window.empty())
                    return q(x->window);
            return plannedWindow(e);
        }
        case ExpectedColumn: return q(e.expectedText());
        default:
            if (col == measuredColumn(run)) {
                // The value first; a long explanation ("... answered nothing in the run; answered
                // by: ...") is cut here and shown whole in the tooltip.
                const QString m = result ? q(result->measured) : QString();
                return m.size() > kMeasuredChars ? m.left(kMeasuredChars - 1) + QChar(0x2026) : m;
            }
            switch (status(run, index.row())) {
            case Status::Pass: return QStringLiteral("PASS");
            case Status::Fail: return QStringLiteral("FAIL");
            case Status::Pending: return QStringLiteral("pending");
            }
        }
        return {};
    case Qt::BackgroundRole:
        if (colourRun < 0)
            return {};
        return QBrush(st == Status::Pass ? kPassBg : st == Status::Fail ? kFailBg : kPendingBg);
    case Qt::ForegroundRole:
        if (colourRun < 0)
            return {};
        return QBrush(st == Status::Pass ? kPassFg : st == Status::Fail ? kFailFg : kPendingFg);
    case Qt::ToolTipRole: {
        QString tip = QStringLiteral("%1\nstep %2: %3\nwindow %4, expected %5")
                          .arg(q(e.name))
                          .arg(e.step + 1)
                          .arg(e.step < m_stepTitles.size() ? m_stepTitles[e.step] : QString())
                          .arg(plannedWindow(e), q(e.expectedText()));
        if (!e.model.empty())
            tip += QStringLiteral("\nrequests for %1 only").arg(q(e.model));
        if (!e.where.file.empty())
            tip += QStringLiteral("\n%1:%2").arg(q(e.where.file)).arg(e.where.line);
        if (result && !result->measured.empty())
            tip += QStringLiteral("\nmeasured: %1").arg(q(result->measured));
        if (result && result->evaluated)
            tip += QStringLiteral("\n%1 requests in the window").arg(result->requests);
        return tip;
    }
    case Qt::TextAlignmentRole:
        return col == StepColumn ? QVariant(Qt::AlignCenter) : QVariant();
    default: return {};
    }
}

QVariant ExpectationsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= columnCount())
        return {};
    switch (section) {
    case StepColumn: return QStringLiteral("Step");
    case NameColumn: return QStringLiteral("Expectation");
    case WindowColumn: return QStringLiteral("Window");
    case ExpectedColumn: return QStringLiteral("Expected");
    default: break;
    }
    const int run = (section - FixedColumnCount) / 2;
    const bool measured = section == measuredColumn(run);
    if (m_runs == 1)
        return measured ? QStringLiteral("Measured") : QStringLiteral("Result");
    return QStringLiteral("%1: %2").arg(m_runTitles.value(run), measured ? QStringLiteral("measured") : QStringLiteral("result"));
}

}  // namespace aigw::ui
