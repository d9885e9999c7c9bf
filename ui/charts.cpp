#include "charts.h"

#include <QAreaSeries>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QHorizontalBarSeries>
#include <QBarSet>
#include <QGraphicsScene>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QPainter>
#include <QPainterPath>
#include <QScrollBar>
#include <QWheelEvent>
#include <QHelpEvent>
#include <QToolTip>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "chart_feed.h"
#include "model_focus.h"
#include "split_math.h"
#include "topology_model.h"

namespace aigw::ui {

QColor laneColor(int lane) {
    static const QColor kPalette[] = {
        QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c), QColor(0x94, 0x67, 0xbd),
        QColor(0x8c, 0x56, 0x4b), QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0xbc, 0xbd, 0x22),
        QColor(0x17, 0xbe, 0xcf), QColor(0xd6, 0x27, 0x28),
    };
    return kPalette[static_cast<std::size_t>(lane) % std::size(kPalette)];
}


// ---------------------------------------------------------------- SplitChart

SplitChart::SplitChart(ChartFeed* feed, TopologyModel* topology, QWidget* parent)
    : QWidget(parent), m_feed(feed), m_topology(topology) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(QStringLiteral("Traffic split for virtual model:")));
    m_rule = new QComboBox;
    m_rule->setObjectName(QStringLiteral("splitModel"));
    top->addWidget(m_rule, 1);
    layout->addLayout(top);
    // The title changes with every count; as the QChart's title each change relaid the whole chart
    // (axes, bars, labels, legend), the largest single GUI cost at a cluster's size (ui_bench
    // --routes 200). A label above the chart changes alone: its width is ignored by the layout, so
    // a longer text never resizes the chart.
    m_title = new QLabel(QStringLiteral("Actual share of answers vs configured target"));
    m_title->setObjectName(QStringLiteral("splitTitle"));
    m_title->setAlignment(Qt::AlignCenter);
    // Wrapped, so a narrow charts area (the Scenario dock open) shows it whole on two lines.
    m_title->setWordWrap(true);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    layout->addWidget(m_title);

    m_chart = new QChart;
    m_chart->setAnimationOptions(QChart::NoAnimation);
    // Horizontal bars: the backend names sit on the vertical axis, where they get the width they
    // need; under vertical bars Qt elides category labels to the bar width ("envoy-ai-gatewa...").
    m_series = new QHorizontalBarSeries;
    m_actual = new QBarSet(QStringLiteral("actual %"));
    m_target = new QBarSet(QStringLiteral("target %"));
    m_actual->setColor(QColor(0x1f, 0x77, 0xb4));
    m_target->setColor(QColor(0xc7, 0xc7, 0xc7));
    m_actual->setLabelColor(QColor(0x10, 0x40, 0x70));
    m_target->setLabelColor(QColor(0x50, 0x50, 0x50));
    m_series->append(m_actual);
    m_series->append(m_target);
    m_series->setLabelsVisible(true);
    m_series->setLabelsFormat(QStringLiteral("@value %"));
    m_series->setLabelsPrecision(3);
    // Values right of their bars: inside, they would not fit short bars. The axis runs to 118 so a
    // 100 % bar has room for its label; the ticks stop at 100.
    m_series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
    m_series->setBarWidth(0.8);
    m_chart->addSeries(m_series);
    m_axisX = new QBarCategoryAxis;  // the backends (vertical)
    m_axisY = new QValueAxis;        // the share (horizontal)
    m_axisY->setRange(0, 118);
    m_axisY->setTickType(QValueAxis::TicksDynamic);
    m_axisY->setTickAnchor(0);
    m_axisY->setTickInterval(20);
    m_axisY->setLabelFormat(QStringLiteral("%d %%"));
    m_chart->addAxis(m_axisX, Qt::AlignLeft);
    m_chart->addAxis(m_axisY, Qt::AlignBottom);
    m_series->attachAxis(m_axisX);
    m_series->attachAxis(m_axisY);
    m_chart->legend()->setAlignment(Qt::AlignRight);
    m_view = new QChartView(m_chart);
    // Every item moves every frame: a BSP index would be rebuilt each time for nothing.
    m_view->scene()->setItemIndexMethod(QGraphicsScene::NoIndex);
    m_view->scene()->setObjectName(QStringLiteral("splitScene"));
    m_view->setRenderHint(QPainter::Antialiasing, false);  // axis-aligned bars: nothing to smooth
    m_view->setMinimumHeight(kMinChartHeight);
    layout->addWidget(m_view, 1);

    connect(m_feed, &ChartFeed::frame, this, &SplitChart::redraw);
    connect(m_topology, &QAbstractItemModel::modelReset, this, &SplitChart::rebuildRules);
    connect(m_topology, &QAbstractItemModel::dataChanged, this, &SplitChart::redraw);
    connect(m_rule, &QComboBox::currentIndexChanged, this, &SplitChart::redraw);
    rebuildRules();
}

void SplitChart::rebuildRules() {
    const QString keep = m_rule->currentText();
    QSignalBlocker block(m_rule);
    m_rule->clear();
    const auto& cfg = m_topology->config();
    for (int r = 0; r < static_cast<int>(cfg.routes.size()); ++r)
        for (int u = 0; u < static_cast<int>(cfg.routes[r].rules.size()); ++u) {
            const QString model = TopologyModel::virtualModel(cfg.routes[r].rules[u]);
            if (!model.isEmpty())
                m_rule->addItem(model, QVariant::fromValue(QPoint(r, u)));
        }
    const int i = m_rule->findText(keep);
    if (i >= 0)
        m_rule->setCurrentIndex(i);
    redraw();
}

void SplitChart::selectModel(const QString& model) {
    const int i = m_rule->findText(model);
    if (i >= 0)
        m_rule->setCurrentIndex(i);
}

QString SplitChart::selectedModel() const { return m_rule->currentText(); }

void SplitChart::setModelFocus(ModelFocus* focus) {
    connect(m_rule, &QComboBox::currentIndexChanged, focus, [this, focus] {
        if (m_rule->currentIndex() >= 0)
            focus->setModel(m_rule->currentText());
    });
    connect(focus, &ModelFocus::modelChanged, this, &SplitChart::selectModel);
    // The combo box is refilled on every config: a model that survives it stays selected (and
    // announced), one that is gone leaves the focus on the combo box's new choice.
    connect(m_topology, &QAbstractItemModel::modelReset, focus, [this, focus] {
        if (!focus->model().isEmpty() && m_rule->findText(focus->model()) >= 0)
            selectModel(focus->model());
        else if (m_rule->currentIndex() >= 0)
            focus->setModel(m_rule->currentText());
    });
    if (!focus->model().isEmpty() && m_rule->findText(focus->model()) >= 0)
        selectModel(focus->model());
    else if (m_rule->currentIndex() >= 0)
        focus->setModel(m_rule->currentText());
}

void SplitChart::redraw() {
    if (!isVisible() && !m_feed->isPaused() && m_feed->frames() % 25 != 0)
        return;  // hidden tabs are refreshed once a second only
    // Shares over a window of tens of seconds move slowly: a few updates a second are plenty, and
    // each costs a relayout of the bars, their labels and the title.
    if (sender() == m_feed && m_sinceRedraw.isValid() && m_sinceRedraw.elapsed() < kRedrawIntervalMs)
        return;
    m_sinceRedraw.start();
    const auto& cfg = m_topology->config();
    const QPoint ru = m_rule->currentData().toPoint();
    if (m_rule->count() == 0 || ru.x() >= static_cast<int>(cfg.routes.size()) ||
        ru.y() >= static_cast<int>(cfg.routes[ru.x()].rules.size())) {
        m_actual->remove(0, m_actual->count());
        m_target->remove(0, m_target->count());
        return;
    }
    const auto& rule = cfg.routes[ru.x()].rules[ru.y()];
    const std::string routeNs = cfg.routes[ru.x()].meta.effectiveNamespace();
    const TargetSplit target = targetSplit(rule, routeNs, m_topology->unhealthy());
    const auto& buf = m_feed->buffers();
    const auto counts = buf.split(m_rule->currentText().toStdString(), m_feed->windowSeconds(), m_feed->now());
    std::uint64_t total = 0;
    for (auto c : counts)
        total += c;
    QStringList cats;
    QList<qreal> actual, tgt;
    // A horizontal bar chart draws its first category at the bottom: add the backendRefs in
    // reverse so they read top to bottom in config order, as in the Topology dock.
    for (std::size_t k = rule.backendRefs.size(); k-- > 0;) {
        const auto& ref = rule.backendRefs[k];
        cats << QStringLiteral("%1 (P%2)").arg(QString::fromStdString(ref.name)).arg(ref.effectivePriority());
        const int lane = buf.laneOf(laneKey(ref, routeNs));  // reading must not create lanes (their order is the config's)
        const double a = total && lane >= 0 && lane < static_cast<int>(counts.size()) ? 100.0 * counts[lane] / total : 0.0;
        actual << std::round(a * 10) / 10;
        tgt << std::round(target.shares[k] * 1000) / 10;
    }
    if (cats != m_categories) {
        m_axisX->clear();
        m_axisX->append(cats);
        m_categories = cats;
        // Qt Charts cuts a category label to "..." when its row is lower than the text: a rule of
        // ten backends gets the height for ten lines (the splitter gives it, from the other charts).
        const int perCategory = fontMetrics().height() * 3 / 2;
        m_view->setMinimumHeight(std::max(kMinChartHeight, kChartChrome + perCategory * static_cast<int>(cats.size())));
    }
    const std::uint64_t failed = buf.failures(m_rule->currentText().toStdString(), m_feed->windowSeconds(), m_feed->now());
    const QString title = (total == 0 && failed == 0
                          ? QStringLiteral("Configured target of %1 (no answers in the last %2 s: start the load generator, Ctrl+L)")
                                .arg(m_rule->currentText())
                                .arg(m_feed->windowSeconds())
                          : QStringLiteral("Actual share of %1 answers in the last %2 s (n = %3%4) vs configured target")
                                .arg(m_rule->currentText())
                                .arg(m_feed->windowSeconds())
                                .arg(total)
                                .arg(failed ? QStringLiteral("; %1 failed requests not counted").arg(failed) : QString()));
    if (m_title->text() != title)
        m_title->setText(title);
    // Replace values in place: removing and re-adding sets would rebuild the bar items each frame.
    if (m_actual->count() != actual.size()) {
        m_actual->remove(0, m_actual->count());
        m_target->remove(0, m_target->count());
        m_actual->append(actual);
        m_target->append(tgt);
    } else {
        for (int i = 0; i < actual.size(); ++i) {
            if (m_actual->at(i) != actual[i])
                m_actual->replace(i, actual[i]);
            if (m_target->at(i) != tgt[i])
                m_target->replace(i, tgt[i]);
        }
    }
}

// ---------------------------------------------------------------- ThroughputChart

// The chart is given to QChartView's constructor: QChartView(parent) makes a default chart of its
// own, and setChart() would release it without deleting it (LeakSanitizer, test_ui_gateway).
ThroughputChart::ThroughputChart(ChartFeed* feed, QWidget* parent) : QChartView(new QChart, parent), m_feed(feed) {
    QChart* chart = this->chart();
    chart->setTitle(QStringLiteral("Requests/s per backend (stacked) and error rate"));
    chart->setAnimationOptions(QChart::NoAnimation);
    m_axisX = new QValueAxis;
    m_axisX->setTitleText(QStringLiteral("session time (s)"));
    m_axisX->setLabelFormat(QStringLiteral("%d"));
    m_axisY = new QValueAxis;
    m_axisY->setTitleText(QStringLiteral("requests/s"));
    m_axisY->setLabelFormat(QStringLiteral("%d"));
    m_axisErr = new QValueAxis;
    m_axisErr->setTitleText(QStringLiteral("errors %"));
    m_axisErr->setRange(0, 100);
    m_axisErr->setLabelFormat(QStringLiteral("%d"));
    chart->addAxis(m_axisX, Qt::AlignBottom);
    chart->addAxis(m_axisY, Qt::AlignLeft);
    chart->addAxis(m_axisErr, Qt::AlignRight);
    m_baseline = new QLineSeries(this);
    m_errors = new QLineSeries;
    m_errors->setName(QStringLiteral("error rate %"));
    QPen pen(QColor(0xd6, 0x27, 0x28));
    pen.setWidth(2);
    pen.setStyle(Qt::DashLine);
    m_errors->setPen(pen);
    chart->addSeries(m_errors);
    m_errors->attachAxis(m_axisX);
    m_errors->attachAxis(m_axisErr);
    chart->legend()->setAlignment(Qt::AlignRight);
    // Every item moves every frame: a BSP index would be rebuilt each time for nothing.
    scene()->setItemIndexMethod(QGraphicsScene::NoIndex);
    scene()->setObjectName(QStringLiteral("throughputScene"));
    // No antialiasing: the stacked areas are large translucent polygons, and antialiasing them cost
    // ~6x the GUI time of everything else in this chart (ui_bench at 1,000 requests/s).
    setRenderHint(QPainter::Antialiasing, false);
    setMinimumHeight(180);
    connect(m_feed, &ChartFeed::frame, this, &ThroughputChart::redraw);
}

void ThroughputChart::setLanes(std::optional<std::vector<int>> lanes) {
    if (lanes == m_lanes)
        return;
    m_lanes = std::move(lanes);
    ++m_lanesGeneration;
    redraw();
}

QStringList ThroughputChart::seriesNames() const {
    QStringList names;
    for (int i = 0; i < m_seriesCount; ++i)
        names << m_areas[static_cast<std::size_t>(i)]->name();
    return names;
}

void ThroughputChart::ensureSeries(int count) {
    while (static_cast<int>(m_areas.size()) < count) {
        auto* upper = new QLineSeries(this);
        QLineSeries* lower = m_uppers.empty() ? m_baseline : m_uppers.back();
        auto* area = new QAreaSeries(upper, lower);
        chart()->addSeries(area);
        area->attachAxis(m_axisX);
        area->attachAxis(m_axisY);
        m_uppers.push_back(upper);
        m_areas.push_back(area);
    }
    // Names and colours follow the lanes shown (another model's backends reuse the same areas);
    // the colours are those of the timeline's lanes in the same order.
    const auto& names = m_feed->buffers().lanes();
    for (int i = 0; i < count; ++i) {
        QString name;
        QColor c = laneColor(i);
        if (!m_lanes) {
            name = QString::fromStdString(names[static_cast<std::size_t>(i)]);
        } else if (i < static_cast<int>(m_lanes->size())) {
            const int lane = (*m_lanes)[static_cast<std::size_t>(i)];
            name = lane >= 0 && lane < static_cast<int>(names.size()) ? QString::fromStdString(names[static_cast<std::size_t>(lane)])
                                                                     : QString();
        } else {
            name = QStringLiteral("other backends");
            c = QColor(0xb0, 0xb0, 0xb0);
        }
        auto* area = m_areas[static_cast<std::size_t>(i)];
        if (area->name() != name)
            area->setName(name);
        area->setPen(QPen(c.darker(120), 1));
        c.setAlpha(200);
        area->setBrush(c);
    }
    for (std::size_t i = static_cast<std::size_t>(count); i < m_areas.size(); ++i)
        m_areas[i]->setVisible(false);
    m_seriesCount = count;
}

void ThroughputChart::redraw() {
    if (!isVisible() && m_feed->frames() % 25 != 0)
        return;
    // The data changes once a second; between, only the time axis scrolls. Ten scroll steps a
    // second (a pixel or two each) look as smooth as 25 and halve the relayout of every area, the
    // GUI thread's largest cost with a cluster's config (ui_bench --routes 200).
    if (sender() == m_feed && m_sinceScroll.isValid() && m_sinceScroll.elapsed() < kScrollIntervalMs)
        return;
    m_sinceScroll.start();
    const double now = m_feed->now();
    const double window = m_feed->windowSeconds();
    // At most one point per two pixels of plot width: more would be invisible and only cost time.
    const int maxPoints = std::max(10, static_cast<int>(chart()->plotArea().width() / 2));
    // Only complete one-second bins are drawn, so the data changes once a second: between those
    // moments only the axis scrolls. Replacing six area series every frame cost ~40% of the GUI
    // thread at 1,000 requests/s (ui_bench).
    const auto& buffers = m_feed->buffers();
    const DataKey key{ChartBuffers::firstOpenSecond(now), window, maxPoints, buffers.lanes().size(), m_lanesGeneration};
    if (!(key == m_dataKey)) {
        m_dataKey = key;
        const auto t = buffers.throughput(window, now, maxPoints, m_lanes ? &*m_lanes : nullptr);
        ensureSeries(static_cast<int>(t.perLane.size()));
        QList<QPointF> base, cumulative;
        base.reserve(static_cast<qsizetype>(t.times.size()));
        std::vector<double> sum(t.times.size(), 0.0);
        for (double x : t.times)
            base.append(QPointF(x, 0));
        m_baseline->replace(base);
        double maxY = 1;
        for (std::size_t l = 0; l < t.perLane.size(); ++l) {
            cumulative.clear();
            bool any = false;
            for (std::size_t i = 0; i < t.times.size(); ++i) {
                sum[i] += t.perLane[l][i];
                any = any || t.perLane[l][i] > 0;
                cumulative.append(QPointF(t.times[i], sum[i]));
                maxY = std::max(maxY, sum[i]);
            }
            m_uppers[l]->replace(cumulative);
            // A backend without traffic in the window adds nothing to the stack: not drawn (and
            // not in the legend), which also saves painting an empty area.
            m_areas[l]->setVisible(any);
        }
        QList<QPointF> err;
        for (std::size_t i = 0; i < t.times.size(); ++i)
            err.append(QPointF(t.times[i], t.errorRatePct[i]));
        m_errors->replace(err);
        m_maxY = maxY;
    }
    const double maxY = m_maxY;
    if (m_feed->scenarioOverlay().active)
        viewport()->update();  // the cursor moves even when the axes do not (charts paused)
    if (m_axisX->titleText() != m_feed->timeAxisTitle())
        m_axisX->setTitleText(m_feed->timeAxisTitle());
    m_axisX->setRange(now - window, now);
    // Ticks on round seconds, as on the timeline below (Qt's default splits the range in four).
    const double xStep = window <= 30 ? 5 : window <= 120 ? 10 : window <= 600 ? 60 : 300;
    if (m_axisX->tickInterval() != xStep) {
        m_axisX->setTickType(QValueAxis::TicksDynamic);
        m_axisX->setTickAnchor(0);
        m_axisX->setTickInterval(xStep);
    }
    // A "nice" ceiling and step (1, 2 or 5 x 10^k, about four steps) so the axis does not jitter
    // every frame and its integer labels never repeat (0, 0, 1, 1, 2 on a 0..2 range).
    const double rough = std::max(1.0, maxY * 1.1 / 4);
    const double mag = std::pow(10.0, std::floor(std::log10(rough)));
    const double yStep = rough <= mag ? mag : rough <= 2 * mag ? 2 * mag : rough <= 5 * mag ? 5 * mag : 10 * mag;
    const double top = std::max(yStep, std::ceil(maxY * 1.1 / yStep) * yStep);
    if (m_axisY->max() != top || m_axisY->tickInterval() != yStep) {
        m_axisY->setTickType(QValueAxis::TicksDynamic);
        m_axisY->setTickAnchor(0);
        m_axisY->setTickInterval(yStep);
        m_axisY->setRange(0, top);
    }
}

void ThroughputChart::drawForeground(QPainter* painter, const QRectF& rect) {
    QChartView::drawForeground(painter, rect);
    const ScenarioOverlay& overlay = m_feed->scenarioOverlay();
    if (!overlay.active)
        return;
    // The chart item sits at the scene's origin: plot-area coordinates are scene coordinates.
    const QRectF plot = chart()->plotArea();
    const double from = m_axisX->min(), to = m_axisX->max();
    if (to <= from)
        return;
    auto xOf = [&](double t) { return plot.left() + (t - from) / (to - from) * plot.width(); };
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, false);
    painter->setPen(QPen(QColor(31, 78, 180), 1.5, Qt::DashLine));
    for (const auto& mark : overlay.steps)
        if (mark.t >= from && mark.t <= to)
            painter->drawLine(QPointF(xOf(mark.t), plot.top()), QPointF(xOf(mark.t), plot.bottom()));
    const double t = overlay.cursorAt(m_feed->now());
    if (overlay.showCursor && t >= from && t <= to) {
        painter->setPen(QPen(QColor(16, 48, 144), 2));
        painter->drawLine(QPointF(xOf(t), plot.top()), QPointF(xOf(t), plot.bottom()));
    }
    painter->restore();
}

// ---------------------------------------------------------------- TimelineWidget

std::vector<int> stackLabels(const std::vector<LabelSpan>& spans, int rows, double gap) {
    std::vector<int> out(spans.size(), -1);
    std::vector<std::size_t> order(spans.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return spans[a].left < spans[b].left; });
    std::vector<double> rowEnd(static_cast<std::size_t>(std::max(0, rows)), -std::numeric_limits<double>::infinity());
    for (std::size_t i : order)
        for (std::size_t r = 0; r < rowEnd.size(); ++r)
            if (rowEnd[r] + gap <= spans[i].left) {
                out[i] = static_cast<int>(r);
                rowEnd[r] = spans[i].left + spans[i].width;
                break;
            }
    return out;
}

namespace {
QColor markerColor(MarkerKind kind) {
    switch (kind) {
    case MarkerKind::ServerStopped:
    case MarkerKind::ServerDeleted: return {150, 0, 0};
    case MarkerKind::ServerStarted: return {0, 120, 0};
    case MarkerKind::Fault: return {210, 100, 0};
    case MarkerKind::FaultCleared: return {0, 130, 130};
    case MarkerKind::Ejected: return {140, 0, 140};
    case MarkerKind::Unejected: return {60, 60, 200};
    case MarkerKind::ConfigEdit: return {60, 60, 60};
    }
    return Qt::black;
}

const QColor kStepColor(31, 78, 180);
const QColor kCursorColor(16, 48, 144);

struct LegendItem {
    QColor color;
    QString text;
    bool line;
    bool dashed = false;
};

const std::vector<LegendItem>& legendItems(bool scenario) {
    static const std::vector<LegendItem> items = {
        {QColor(44, 160, 44), QStringLiteral("ok attempt"), false},
        {QColor(214, 39, 40), QStringLiteral("failed attempt"), false},
        {QColor(255, 140, 0), QStringLiteral("failover to next attempt"), true},
        {markerColor(MarkerKind::ServerStopped), QStringLiteral("server stopped / deleted"), true},
        {markerColor(MarkerKind::ServerStarted), QStringLiteral("server started"), true},
        {markerColor(MarkerKind::Fault), QStringLiteral("fault"), true},
        {markerColor(MarkerKind::FaultCleared), QStringLiteral("fault cleared"), true},
        {markerColor(MarkerKind::Ejected), QStringLiteral("ejected"), true},
        {markerColor(MarkerKind::Unejected), QStringLiteral("un-ejected"), true},
        {markerColor(MarkerKind::ConfigEdit), QStringLiteral("config edit"), true, true},
    };
    // With a scenario overlay: its step marks and cursor too.
    static const std::vector<LegendItem> withScenario = [] {
        auto all = items;
        all.push_back({kStepColor, QStringLiteral("scenario step"), true, true});
        all.push_back({kCursorColor, QStringLiteral("scenario cursor"), true});
        return all;
    }();
    return scenario ? withScenario : items;
}
constexpr int kLegendSwatch = 18;  // swatch and the space after it
constexpr int kLegendSpacing = 14;
}  // namespace

TimelineWidget::TimelineWidget(ChartFeed* feed, QWidget* parent) : QWidget(parent), m_feed(feed) {
    setMinimumHeight(200);
    setAutoFillBackground(true);
    QPalette p = palette();
    p.setColor(QPalette::Window, Qt::white);
    setPalette(p);
    connect(m_feed, &ChartFeed::frame, this, [this] {
        if (isVisible())
            update();
    });
    m_scroll = new QScrollBar(Qt::Vertical, this);
    m_scroll->setObjectName(QStringLiteral("timelineLaneScroll"));
    m_scroll->setToolTip(QStringLiteral("More lanes than fit: scroll them (or use the mouse wheel over the timeline)"));
    m_scroll->hide();
    connect(m_scroll, &QScrollBar::valueChanged, this, qOverload<>(&QWidget::update));
}

void TimelineWidget::setLaneMode(LaneMode mode) {
    if (mode == m_laneMode)
        return;
    m_laneMode = mode;
    m_scroll->setValue(0);
    update();
}

void TimelineWidget::setModelLanes(std::vector<int> lanes) {
    if (lanes == m_modelLanes)
        return;
    m_modelLanes = std::move(lanes);
    m_scroll->setValue(0);
    update();
}

void TimelineWidget::wheelEvent(QWheelEvent* e) {
    if (!m_scroll->isVisible())
        return QWidget::wheelEvent(e);
    // One lane per notch (120 units); touchpads send smaller steps that add up.
    m_wheelRest += e->angleDelta().y();
    const int lanes = m_wheelRest / 120;
    m_wheelRest -= lanes * 120;
    m_scroll->setValue(m_scroll->value() - lanes);
    e->accept();
}

void TimelineWidget::setTitle(const QString& title) {
    m_title = title;
    update();
}

bool TimelineWidget::event(QEvent* e) {
    if (e->type() != QEvent::ToolTip)
        return QWidget::event(e);
    const auto* help = static_cast<QHelpEvent*>(e);
    const double x = help->pos().x();
    QStringList lines;
    for (const auto& h : m_hits)
        if (std::abs(h.x - x) <= 5)
            lines << h.text;
    if (lines.isEmpty() && m_plot.contains(help->pos()) && !m_laneNames.isEmpty()) {
        const double laneH = static_cast<double>(m_plot.height()) / m_laneNames.size();
        const int lane = std::clamp(static_cast<int>((help->pos().y() - m_plot.top()) / laneH), 0,
                                    static_cast<int>(m_laneNames.size()) - 1);
        const double t = m_from + (x - m_plot.left()) / std::max(1, m_plot.width()) * m_window;
        lines << QStringLiteral("%1 at %2 s").arg(m_laneNames[lane]).arg(t, 0, 'f', 1);
    } else if (lines.isEmpty()) {
        for (const auto& [rect, name] : m_laneLabels)
            if (rect.contains(help->pos()))
                lines << name;
    }
    if (lines.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(help->globalPos(), lines.join(QLatin1Char('\n')), this);
    return true;
}

void TimelineWidget::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    const auto& buf = m_feed->buffers();
    const auto& lanes = buf.lanes();
    const QFontMetrics fm = p.fontMetrics();
    const int lineH = fm.height();
    const ScenarioOverlay& overlay = m_feed->scenarioOverlay();
    const double now = m_feed->now();
    const double window = m_feed->windowSeconds();
    const double from = now - window;

    // The rows: buffer lanes in the order drawn (the selected model's backends first).
    std::vector<int> rows;
    std::vector<int> rowOf(lanes.size(), -1);
    auto addRow = [&](int lane) {
        if (lane >= 0 && lane < static_cast<int>(lanes.size()) && rowOf[static_cast<std::size_t>(lane)] < 0) {
            rowOf[static_cast<std::size_t>(lane)] = static_cast<int>(rows.size());
            rows.push_back(lane);
        }
    };
    if (m_laneMode == LaneMode::All) {
        for (int l = 0; l < static_cast<int>(lanes.size()); ++l)
            addRow(l);
    } else {
        for (int l : m_modelLanes)
            addRow(l);
        if (m_laneMode == LaneMode::ModelAndActive) {
            std::vector<char> active(lanes.size(), 0);
            buf.forEachRequest(from - 60, now, [&](const TimelineRequest& r) {
                const int drawn = std::min<int>(r.attemptCount, TimelineRequest::kMaxAttempts);
                for (int i = 0; i < drawn; ++i) {
                    const auto& a = r.attempts[static_cast<std::size_t>(i)];
                    const double t = r.t + a.offsetMs / 1000.0;
                    if (t >= from && t <= now && a.lane < active.size())
                        active[a.lane] = 1;
                }
            });
            for (int l = 0; l < static_cast<int>(lanes.size()); ++l)
                if (active[static_cast<std::size_t>(l)])
                    addRow(l);
        }
    }
    m_rowNames.clear();
    for (int l : rows)
        m_rowNames << QString::fromStdString(lanes[static_cast<std::size_t>(l)]);

    // Lane labels get the width of the longest name among the rows, whole: a lane whose name is
    // cut to "..." cannot be told from its neighbours (llm-route-4-backend-1 / -backend-7).
    int labelW = fm.horizontalAdvance(QStringLiteral("backend"));
    for (const auto& name : m_rowNames)
        labelW = std::max(labelW, fm.horizontalAdvance(name));
    labelW += 4;
    const int left = labelW + 14;
    const int titleH = lineH + 6;
    const int labelsTop = titleH;
    const int top = labelsTop + kMarkerLabelRows * lineH + 4;
    // The legend wraps onto as many lines as the width needs.
    auto legendLinesFor = [&](int right) {
        int lines = 1;
        int lx = left;
        for (const auto& item : legendItems(overlay.active)) {
            const int w = kLegendSwatch + fm.horizontalAdvance(item.text) + kLegendSpacing;
            if (lx + w > width() - right && lx > left) {
                ++lines;
                lx = left;
            }
            lx += w;
        }
        return lines;
    };
    // Each lane is at least a text line high; more lanes than fit scroll (a scroll bar right of
    // the plot, the mouse wheel over it).
    const int minLaneH = lineH + 6;
    int right = 12;
    int legendLines = legendLinesFor(right);
    int plotH = std::max(10, height() - top - (lineH + 10 + legendLines * (lineH + 2) + 2));
    int fit = std::max(1, plotH / minLaneH);
    const bool scroll = static_cast<int>(rows.size()) > fit;
    if (scroll) {
        right = 12 + m_scroll->sizeHint().width();
        legendLines = legendLinesFor(right);
        plotH = std::max(10, height() - top - (lineH + 10 + legendLines * (lineH + 2) + 2));
        fit = std::max(1, plotH / minLaneH);
    }
    const int bottom = lineH + 10 + legendLines * (lineH + 2) + 2;
    const QRect plot(left, top, std::max(10, width() - left - right), std::max(10, height() - top - bottom));
    const int shownRows = scroll ? fit : static_cast<int>(rows.size());
    if (scroll) {
        const QSignalBlocker block(m_scroll);  // this frame already draws the value it clamps to
        m_scroll->setRange(0, static_cast<int>(rows.size()) - fit);
        m_scroll->setPageStep(fit);
        const QRect bar(plot.right() + 4, plot.top(), m_scroll->sizeHint().width(), plot.height());
        if (m_scroll->geometry() != bar)
            m_scroll->setGeometry(bar);
        m_scroll->setToolTip(QStringLiteral("Lanes %1-%2 of %3: scroll for the others (or use the mouse wheel)")
                                 .arg(m_scroll->value() + 1)
                                 .arg(m_scroll->value() + fit)
                                 .arg(rows.size()));
    }
    if (m_scroll->isVisible() != scroll)
        m_scroll->setVisible(scroll);
    const int firstRow = scroll ? m_scroll->value() : 0;
    // Row on screen of a buffer lane, or -1 when it is not drawn (another model's, scrolled out).
    auto screenRow = [&](int lane) {
        if (lane < 0 || lane >= static_cast<int>(rowOf.size()))
            return -1;
        const int r = rowOf[static_cast<std::size_t>(lane)] - firstRow;
        return r >= 0 && r < shownRows ? r : -1;
    };
    m_plot = plot;
    m_from = from;
    m_window = window;
    m_laneNames.clear();
    m_laneLabels.clear();
    m_hits.clear();

    p.setPen(Qt::black);
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.drawText(QRect(0, 2, width(), titleH - 2), Qt::AlignHCenter | Qt::AlignVCenter,
               !m_title.isEmpty()
                   ? m_title
                   : QStringLiteral("Failover timeline: attempts per backend (failed attempt -> next attempt), last %1 s")
                         .arg(window));
    p.setFont(font());
    const int n = std::max(1, shownRows);
    const double laneH = static_cast<double>(plot.height()) / n;
    auto laneY = [&](int row) { return plot.top() + laneH * (row + 0.5); };
    auto xOf = [&](double t) { return plot.left() + (t - from) / window * plot.width(); };

    // Lane backgrounds and labels; colours by position, as the throughput chart's areas.
    for (int r = 0; r < shownRows; ++r) {
        const int row = firstRow + r;
        const QRectF band(plot.left(), plot.top() + laneH * r, plot.width(), laneH);
        p.fillRect(band, row % 2 ? QColor(248, 248, 248) : QColor(238, 241, 246));
        const QString& name = m_rowNames[row];
        const QRectF labelRect(4, band.top(), left - 10, band.height());
        p.setPen(laneColor(row).darker(130));
        p.drawText(labelRect, Qt::AlignRight | Qt::AlignVCenter, name);
        m_laneNames << name;
        m_laneLabels.push_back({labelRect.toRect(), name});
    }
    if (rows.empty()) {
        p.setPen(Qt::gray);
        p.drawText(plot, Qt::AlignCenter, QStringLiteral("No backend to show: select a virtual model (the split chart's box, "
                                                         "the Topology dock or the load generator)."));
    }

    // Bin attempts per (row, pixel column): tens of thousands of attempts become <= rows x width cells.
    const int w = plot.width();
    std::vector<std::uint32_t> okCells(static_cast<std::size_t>(n * w), 0), badCells(static_cast<std::size_t>(n * w), 0);
    std::unordered_set<std::uint64_t> links;  // (col, fromRow, toRow, finalOk) packed
    std::vector<std::array<int, 5>> linkList;
    constexpr std::size_t kMaxLinks = 4000;
    bool anyInWindow = false;
    buf.forEachRequest(from - 60, now, [&](const TimelineRequest& r) {
        anyInWindow = anyInWindow || r.t >= from;
        const int drawn = std::min<int>(r.attemptCount, TimelineRequest::kMaxAttempts);
        for (int i = 0; i < drawn; ++i) {
            const auto& a = r.attempts[static_cast<std::size_t>(i)];
            const double t = r.t + a.offsetMs / 1000.0;
            if (t < from || t > now)
                continue;
            const int row = screenRow(a.lane);
            if (row < 0)
                continue;
            const int col = std::clamp(static_cast<int>((t - from) / window * w), 0, w - 1);
            (a.ok ? okCells : badCells)[static_cast<std::size_t>(row * w + col)]++;
            if (i + 1 < drawn && !a.ok && links.size() < kMaxLinks) {
                const auto& b = r.attempts[static_cast<std::size_t>(i + 1)];
                const int row2 = screenRow(b.lane);
                if (row2 < 0)
                    continue;
                const double t2 = r.t + b.offsetMs / 1000.0;
                const int col2 = std::clamp(static_cast<int>((t2 - from) / window * w), 0, w - 1);
                const std::uint64_t key = (static_cast<std::uint64_t>(col) << 34) | (static_cast<std::uint64_t>(row) << 18) |
                                          (static_cast<std::uint64_t>(row2) << 2) | (b.ok ? 1u : 0u);
                if (links.insert(key).second)
                    linkList.push_back({col, row, col2, row2, b.ok ? 1 : 0});
            }
        }
    });
    m_lastLinks = static_cast<int>(linkList.size());
    if (!anyInWindow && !rows.empty()) {
        p.setPen(Qt::gray);
        p.drawText(plot, Qt::AlignCenter,
                   QStringLiteral("No requests in the last %1 s: start the load generator (Ctrl+L) or send one from the Playground.")
                       .arg(window));
    }
    // Failover lines first, so the dots sit on top.
    for (const auto& l : linkList) {
        QPen pen(l[4] ? QColor(255, 140, 0, 160) : QColor(214, 39, 40, 160));
        pen.setWidthF(1.2);
        p.setPen(pen);
        p.drawLine(QPointF(plot.left() + l[0] + 0.5, laneY(l[1])), QPointF(plot.left() + l[2] + 0.5, laneY(l[3])));
    }
    const double dotH = std::max(4.0, std::min(14.0, laneH * 0.4));
    for (int l = 0; l < n; ++l)
        for (int c = 0; c < w; ++c) {
            const auto ok = okCells[static_cast<std::size_t>(l * w + c)];
            const auto bad = badCells[static_cast<std::size_t>(l * w + c)];
            const double x = plot.left() + c;
            if (ok) {
                QColor col(44, 160, 44);
                col.setAlpha(std::min(255, 90 + static_cast<int>(ok) * 30));
                p.fillRect(QRectF(x, laneY(l) - dotH / 2, 1.6, dotH), col);
            }
            if (bad) {
                QColor col(214, 39, 40);
                col.setAlpha(std::min(255, 120 + static_cast<int>(bad) * 30));
                p.fillRect(QRectF(x, laneY(l) - dotH / 2 - 3, 2.2, dotH + 6), col);
            }
        }

    // Markers: the line in its lane (or across all lanes), the label in a band of
    // kMarkerLabelRows rows above the plot, staggered so labels never overlap. One event marks
    // every lane of the server it concerns: those share one label. A label with no free row is
    // left out; every marker's full text is in the tooltip at its line.
    struct Drawn {
        double x;
        MarkerKind kind;
        QString text;
        QString lanes;
        QColor color;
        bool step = false;  ///< a scenario step mark, not a data-plane event
    };
    std::vector<Drawn> labels;
    buf.forEachMarker(from, now, [&](const Marker& m) {
        // A backend's event shows in its lane; in no lane when that is not drawn.
        const int row = m.lane < 0 ? -1 : screenRow(m.lane);
        if (m.lane >= 0 && row < 0)
            return;
        const QColor c = markerColor(m.kind);
        const double x = xOf(m.t);
        const double y0 = m.lane < 0 ? plot.top() : plot.top() + laneH * row;
        const double y1 = m.lane < 0 ? plot.bottom() : y0 + laneH;
        p.setPen(QPen(c, 2, m.kind == MarkerKind::ConfigEdit ? Qt::DashLine : Qt::SolidLine));
        p.drawLine(QPointF(x, y0), QPointF(x, y1));
        const QString text = QString::fromStdString(m.text);
        const QString lane = m.lane >= 0 && m.lane < static_cast<int>(lanes.size())
                                 ? QString::fromStdString(lanes[static_cast<std::size_t>(m.lane)])
                                 : QString();
        for (auto& d : labels)
            if (d.kind == m.kind && d.text == text && std::abs(d.x - x) < 4) {
                if (!lane.isEmpty())
                    d.lanes += (d.lanes.isEmpty() ? QString() : QStringLiteral(", ")) + lane;
                return;
            }
        labels.push_back({x, m.kind, text, lane, c});
    });
    // The scenario's steps (Scenario dock, what-if compare): a dashed line across every lane, the
    // step's title in the label band like the events'.
    m_stepMarks = 0;
    m_cursorX = -1;
    if (overlay.active)
        for (const auto& mark : overlay.steps) {
            if (mark.t < from || mark.t > now)
                continue;
            const double x = xOf(mark.t);
            p.setPen(QPen(kStepColor, 1.5, Qt::DashLine));
            p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
            labels.push_back({x, MarkerKind::ConfigEdit, QString::fromStdString(mark.text), QString(), kStepColor, true});
            ++m_stepMarks;
        }
    const int maxLabelW = std::max(80, std::min(300, plot.width() / 3));
    std::vector<LabelSpan> spans;
    std::vector<QString> shown;
    for (const auto& d : labels) {
        const QString t = fm.elidedText(d.text, Qt::ElideRight, maxLabelW);
        const double tw = fm.horizontalAdvance(t);
        // Right of its line, or left of it where the plot ends.
        const double l = d.x + 3 + tw <= plot.right() ? d.x + 3 : std::max<double>(plot.left(), d.x - 3 - tw);
        spans.push_back({l, tw});
        shown.push_back(t);
        m_hits.push_back({d.x, QStringLiteral("%1 s: %2%3%4")
                                   .arg(from + (d.x - plot.left()) / std::max(1, plot.width()) * window, 0, 'f', 1)
                                   .arg(d.step ? QStringLiteral("scenario step: ") : QString(), d.text,
                                        d.lanes.isEmpty() ? QString() : QStringLiteral("  [%1]").arg(d.lanes))});
    }
    const std::vector<int> labelRows = stackLabels(spans, kMarkerLabelRows, 8);
    m_hiddenLabels = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const QColor c = labels[i].color;
        if (labelRows[i] < 0) {
            ++m_hiddenLabels;
            continue;
        }
        const double y = labelsTop + labelRows[i] * lineH;
        QColor faint = c;
        faint.setAlpha(110);
        p.setPen(QPen(faint, 1, Qt::DotLine));
        p.drawLine(QPointF(labels[i].x, y + lineH - 2), QPointF(labels[i].x, plot.top()));
        p.setPen(c);
        p.drawText(QRectF(spans[i].left, y, spans[i].width + 2, lineH), Qt::AlignLeft | Qt::AlignVCenter, shown[i]);
    }

    // The scenario cursor: where the playing scenario is (at "now" while it plays), labelled with
    // its scenario time.
    if (overlay.active && overlay.showCursor) {
        const double t = overlay.cursorAt(now);
        if (t >= from && t <= now) {
            const double x = xOf(t);
            m_cursorX = x;
            p.setPen(QPen(kCursorColor, 2));
            p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
            const QString text = QStringLiteral("\u25B6 scenario %1 s").arg(t - overlay.origin, 0, 'f', 1);
            const double tw = fm.horizontalAdvance(text) + 8;
            const double lx = x + 3 + tw <= plot.right() ? x + 3 : x - 3 - tw;
            const QRectF box(lx, plot.bottom() - lineH - 4, tw, lineH + 2);
            p.fillRect(box, QColor(255, 255, 255, 220));
            p.drawText(box, Qt::AlignCenter, text);
        }
    }

    // Time axis.
    p.setPen(Qt::black);
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    const double step = window <= 30 ? 5 : window <= 120 ? 10 : window <= 600 ? 60 : 300;
    for (double t = std::ceil(from / step) * step; t <= now; t += step) {
        const double x = xOf(t);
        p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4));
        p.drawText(QRectF(x - 30, plot.bottom() + 4, 60, lineH), Qt::AlignCenter, QString::number(t, 'f', 0));
    }
    // Axis title left of the first tick label (which is centred on the plot's left edge).
    p.drawText(QRectF(4, plot.bottom() + 4, left - 40, lineH), Qt::AlignRight | Qt::AlignVCenter, m_feed->timeAxisTitle());
    // Legend, wrapped to the width.
    int lx = left;
    int ly = plot.bottom() + lineH + 10 + lineH / 2;
    for (const auto& item : legendItems(overlay.active)) {
        const int iw = kLegendSwatch + fm.horizontalAdvance(item.text) + kLegendSpacing;
        if (lx + iw > width() - right && lx > left) {
            lx = left;
            ly += lineH + 2;
        }
        if (item.line) {
            p.setPen(QPen(item.color, 2, item.dashed ? Qt::DashLine : Qt::SolidLine));
            p.drawLine(lx, ly, lx + 14, ly);
        } else {
            p.fillRect(QRect(lx + 4, ly - 5, 4, 10), item.color);
        }
        p.setPen(Qt::black);
        p.drawText(QRect(lx + kLegendSwatch, ly - lineH / 2, iw, lineH), Qt::AlignLeft | Qt::AlignVCenter, item.text);
        lx += iw;
    }
}

}  // namespace aigw::ui
