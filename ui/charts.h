#pragma once
// The three live charts. Each redraws only on ChartFeed::frame() (<= 25/s), reads a decimated view
// of the bounded ChartBuffers and pushes it to Qt Charts with one replace() per series.
//   SplitChart      - each backend's actual share of a rule's answers over the window, beside the
//                     target share the config gives it (within the active priority);
//   ThroughputChart - requests/s per backend, stacked, with the error rate on a second axis;
//   TimelineWidget  - a lane per backend; each request's attempts as dots (red failed, green ok),
//                     a line from a failed attempt to the attempt that followed it, and markers for
//                     server stops/starts, faults, ejections and config edits. Painted directly:
//                     tens of thousands of attempts per window are binned per pixel first.

#include <QChartView>
#include <QColor>
#include <QComboBox>
#include <QWidget>

#include <vector>

class QBarSeries;
class QBarSet;
class QBarCategoryAxis;
class QValueAxis;
class QLineSeries;
class QAreaSeries;
class QChart;

namespace aigw::ui {

class ChartFeed;
class TopologyModel;

/// Stable colour of a lane (backend) across all charts.
QColor laneColor(int lane);

class SplitChart : public QWidget {
    Q_OBJECT
public:
    SplitChart(ChartFeed* feed, TopologyModel* topology, QWidget* parent = nullptr);
    /// Selects the rule by its virtual model (the first Exact x-ai-eg-model match).
    void selectModel(const QString& model);
    QString selectedModel() const;
    void redraw();

private:
    void rebuildRules();

    ChartFeed* m_feed;
    TopologyModel* m_topology;
    QComboBox* m_rule;
    QChart* m_chart;
    QBarSeries* m_series;
    QBarSet* m_actual;
    QBarSet* m_target;
    QBarCategoryAxis* m_axisX;
    QValueAxis* m_axisY;
    QStringList m_categories;
};

class ThroughputChart : public QChartView {
    Q_OBJECT
public:
    explicit ThroughputChart(ChartFeed* feed, QWidget* parent = nullptr);
    void redraw();

private:
    void ensureSeries(int lanes);

    ChartFeed* m_feed;
    QValueAxis* m_axisX;
    QValueAxis* m_axisY;
    QValueAxis* m_axisErr;
    std::vector<QLineSeries*> m_uppers;
    std::vector<QAreaSeries*> m_areas;
    QLineSeries* m_baseline;
    QLineSeries* m_errors;
};

class TimelineWidget : public QWidget {
    Q_OBJECT
public:
    explicit TimelineWidget(ChartFeed* feed, QWidget* parent = nullptr);
    QSize sizeHint() const override { return {800, 260}; }
    /// Requests drawn with a failover line in the last frame (tests and screenshots check it).
    int lastFailoverLinks() const { return m_lastLinks; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    ChartFeed* m_feed;
    int m_lastLinks = 0;
};

}  // namespace aigw::ui
