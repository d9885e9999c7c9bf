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

#include "chart_feed.h"
#include "charts.h"
#include "topology_model.h"

namespace aigw::ui {

ChartsPanel::ChartsPanel(ChartFeed* feed, TopologyModel* topology, QWidget* parent)
    : QWidget(parent), m_feed(feed) {
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
                    m_feed->buffers().laneFor(ref.name);
    };
    connect(topology, &QAbstractItemModel::modelReset, this, registerLanes);
    registerLanes();

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
