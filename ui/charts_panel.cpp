#include "charts_panel.h"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPixmap>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

#include "chart_feed.h"
#include "charts.h"
#include "model_focus.h"
#include "split_math.h"
#include "topology_model.h"

namespace aigw::ui {

ChartsPanel::ChartsPanel(ChartFeed* feed, TopologyModel* topology, QWidget* parent)
    : QWidget(parent), m_feed(feed), m_topology(topology) {
    auto* layout = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    m_pause = new QToolButton;
    m_pause->setText(QStringLiteral("Pause"));
    m_pause->setCheckable(true);
    m_pause->setToolTip(QStringLiteral("Freeze the charts; data keeps being collected (Ctrl+P)"));
    bar->addWidget(m_pause);
    bar->addWidget(new QLabel(QStringLiteral("Window:")));
    m_window = new QComboBox;
    m_window->setObjectName(QStringLiteral("chartWindow"));
    for (int s : {10, 30, 60, 120, 300, 600, 1800})
        m_window->addItem(s < 60 ? QStringLiteral("%1 s").arg(s) : QStringLiteral("%1 min").arg(s / 60), s);
    bar->addWidget(m_window);
    auto* png = new QToolButton;
    png->setText(QStringLiteral("Export PNG..."));
    auto* csv = new QToolButton;
    csv->setText(QStringLiteral("Export CSV..."));
    bar->addWidget(png);
    bar->addWidget(csv);
    bar->addWidget(new QLabel(QStringLiteral("Timeline lanes:")));
    m_laneMode = new QComboBox;
    m_laneMode->setObjectName(QStringLiteral("timelineLanes"));
    m_laneMode->addItem(QStringLiteral("selected model's backends"), static_cast<int>(TimelineWidget::LaneMode::Model));
    m_laneMode->addItem(QStringLiteral("selected model's + any with traffic"),
                        static_cast<int>(TimelineWidget::LaneMode::ModelAndActive));
    m_laneMode->addItem(QStringLiteral("all backends"), static_cast<int>(TimelineWidget::LaneMode::All));
    m_laneMode->setToolTip(QStringLiteral("Which backends get a lane on the failover timeline; more lanes than fit scroll"));
    bar->addWidget(m_laneMode);
    bar->addStretch(1);
    layout->addLayout(bar);

    auto* split = new QSplitter(Qt::Vertical);
    m_split = new SplitChart(feed, topology);
    m_throughput = new ThroughputChart(feed);
    m_timeline = new TimelineWidget(feed);
    split->addWidget(m_split);
    split->addWidget(m_throughput);
    split->addWidget(m_timeline);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 3);
    split->setStretchFactor(2, 4);
    split->setSizes({300, 300, 400});
    layout->addWidget(split, 1);

    // Lanes (and colours) in config order, whatever order the first requests arrive in: the
    // timeline then lists the backendRefs as the Topology dock does.
    auto registerLanes = [this, topology] {
        for (const auto& route : topology->config().routes)
            for (const auto& rule : route.rules)
                for (const auto& ref : rule.backendRefs)
                    m_feed->buffers().laneFor(laneKey(ref, route.meta.effectiveNamespace()));
    };
    connect(topology, &QAbstractItemModel::modelReset, this, registerLanes);
    registerLanes();
    connect(topology, &QAbstractItemModel::modelReset, this, &ChartsPanel::updateLanes);
    connect(m_laneMode, &QComboBox::activated, this, [this] { m_laneModeChosen = true; });
    connect(m_laneMode, &QComboBox::currentIndexChanged, this, [this] {
        m_timeline->setLaneMode(static_cast<TimelineWidget::LaneMode>(m_laneMode->currentData().toInt()));
    });
    updateLanes();

    connect(m_pause, &QToolButton::toggled, this, [this](bool on) {
        m_feed->setPaused(on);
        m_pause->setText(on ? QStringLiteral("Resume") : QStringLiteral("Pause"));
    });
    connect(m_window, &QComboBox::currentIndexChanged, this, [this] {
        m_feed->setWindowSeconds(m_window->currentData().toInt());
        emit windowSecondsChanged(m_window->currentData().toInt());
    });
    connect(png, &QToolButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export charts as PNG"),
                                                          QStringLiteral("aigw-charts.png"), QStringLiteral("PNG (*.png)"));
        QString error;
        if (!path.isEmpty() && !exportPng(path, &error))
            QMessageBox::warning(this, QStringLiteral("Export PNG"), error);
    });
    connect(csv, &QToolButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export chart data as CSV"),
                                                          QStringLiteral("aigw-charts.csv"), QStringLiteral("CSV (*.csv)"));
        QString error;
        if (!path.isEmpty() && !exportCsv(path, &error))
            QMessageBox::warning(this, QStringLiteral("Export CSV"), error);
    });
    setWindowSeconds(60);
}

void ChartsPanel::setModelFocus(ModelFocus* focus) {
    m_focus = focus;
    m_split->setModelFocus(focus);
    connect(focus, &ModelFocus::modelChanged, this, &ChartsPanel::updateLanes);
    updateLanes();
}

void ChartsPanel::updateLanes() {
    const QString model = m_focus ? m_focus->model() : m_split->selectedModel();
    const RefPath rule = m_topology->ruleForModel(model);
    std::vector<int> lanes;
    if (rule.route >= 0) {
        const auto& route = m_topology->config().routes[rule.route];
        for (const auto& ref : route.rules[rule.rule].backendRefs) {
            const int lane = m_feed->buffers().laneFor(laneKey(ref, route.meta.effectiveNamespace()));
            if (std::find(lanes.begin(), lanes.end(), lane) == lanes.end())
                lanes.push_back(lane);
        }
    }
    const bool few = static_cast<int>(m_feed->buffers().lanes().size()) <= kAllLanesUpTo;
    if (!m_laneModeChosen) {
        const QSignalBlocker block(m_laneMode);
        m_laneMode->setCurrentIndex(m_laneMode->findData(
            static_cast<int>(few ? TimelineWidget::LaneMode::All : TimelineWidget::LaneMode::Model)));
        m_timeline->setLaneMode(static_cast<TimelineWidget::LaneMode>(m_laneMode->currentData().toInt()));
    }
    m_timeline->setModelLanes(lanes);
    // Stacking a thousand areas would be unreadable (and slow): the selected model's backends and
    // one area for all the others.
    m_throughput->setLanes(few ? std::nullopt : std::optional<std::vector<int>>(lanes));
}

void ChartsPanel::setWindowSeconds(int seconds) {
    int best = 0;
    for (int i = 0; i < m_window->count(); ++i)
        if (std::abs(m_window->itemData(i).toInt() - seconds) < std::abs(m_window->itemData(best).toInt() - seconds))
            best = i;
    m_window->setCurrentIndex(best);
    m_feed->setWindowSeconds(m_window->itemData(best).toInt());
}

int ChartsPanel::windowSeconds() const { return m_window->currentData().toInt(); }

void ChartsPanel::togglePause() { m_pause->toggle(); }

bool ChartsPanel::exportPng(const QString& path, QString* error) {
    const QPixmap pixmap = grab();
    if (!pixmap.save(path, "PNG")) {
        if (error)
            *error = QStringLiteral("Could not write %1").arg(path);
        return false;
    }
    return true;
}

bool ChartsPanel::exportCsv(const QString& path, QString* error) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        if (error)
            *error = QStringLiteral("Could not write %1: %2").arg(path, f.errorString());
        return false;
    }
    const std::string csv = m_feed->buffers().csv(m_feed->windowSeconds(), m_feed->now());
    if (f.write(csv.data(), static_cast<qint64>(csv.size())) != static_cast<qint64>(csv.size())) {
        if (error)
            *error = QStringLiteral("Could not write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

}  // namespace aigw::ui
