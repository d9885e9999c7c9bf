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
#include <QElapsedTimer>
#include <QWidget>

#include <cstdint>
#include <optional>
#include <vector>

class QAbstractBarSeries;
class QLabel;
class QScrollBar;
class QBarSet;
class QBarCategoryAxis;
class QValueAxis;
class QLineSeries;
class QAreaSeries;
class QChart;

namespace aigw::ui {

class ChartFeed;
class ModelFocus;
class TopologyModel;

/// Stable colour of a lane (backend) across all charts.
QColor laneColor(int lane);

/// A text label that wants to start at `left` (pixels) and is `width` wide.
struct LabelSpan {
    double left = 0;
    double width = 0;
};
/// Places the timeline's marker labels in `rows` text rows so that none overlap: left to right,
/// each label takes the first row whose previous label ends at least `gap` before it starts; -1
/// when every row is taken there (the label is then only in the marker's tooltip). One row per
/// input, in input order.
std::vector<int> stackLabels(const std::vector<LabelSpan>& spans, int rows, double gap);

class SplitChart : public QWidget {
    Q_OBJECT
public:
    SplitChart(ChartFeed* feed, TopologyModel* topology, QWidget* parent = nullptr);
    /// Selects the rule by its virtual model (the first Exact x-ai-eg-model match).
    void selectModel(const QString& model);
    QString selectedModel() const;
    /// Follows `focus` and sets it when the user picks another model here.
    void setModelFocus(ModelFocus* focus);
    QComboBox* modelBox() const { return m_rule; }
    void redraw();

private:
    void rebuildRules();

    static constexpr int kRedrawIntervalMs = 300;
    static constexpr int kMinChartHeight = 180;
    static constexpr int kChartChrome = 110;  ///< title, value axis and margins, in pixels

    ChartFeed* m_feed;
    TopologyModel* m_topology;
    QComboBox* m_rule;
    QLabel* m_title;
    QChartView* m_view;
    QChart* m_chart;
    QAbstractBarSeries* m_series;
    QBarSet* m_actual;
    QBarSet* m_target;
    QBarCategoryAxis* m_axisX;
    QValueAxis* m_axisY;
    QStringList m_categories;
    QElapsedTimer m_sinceRedraw;
};

class ThroughputChart : public QChartView {
    Q_OBJECT
public:
    explicit ThroughputChart(ChartFeed* feed, QWidget* parent = nullptr);
    /// Stacks these lanes (one model's backends) and every other lane as one "other backends"
    /// area; none: one area per lane (a config with few backends).
    void setLanes(std::optional<std::vector<int>> lanes);
    /// The stacked areas' names in the last data update, bottom first (an area without traffic in
    /// the window is hidden, but named here).
    QStringList seriesNames() const;
    void redraw();

protected:
    /// The scenario cursor and step marks (ChartFeed::scenarioOverlay) over the plot.
    void drawForeground(QPainter* painter, const QRectF& rect) override;

private:
    void ensureSeries(int count);

    ChartFeed* m_feed;
    static constexpr int kScrollIntervalMs = 100;
    QElapsedTimer m_sinceScroll;
    std::optional<std::vector<int>> m_lanes;
    int m_lanesGeneration = 0;
    int m_seriesCount = 0;  ///< areas in use (the first ones of m_areas)
    QValueAxis* m_axisX;
    QValueAxis* m_axisY;
    QValueAxis* m_axisErr;
    std::vector<QLineSeries*> m_uppers;
    std::vector<QAreaSeries*> m_areas;
    QLineSeries* m_baseline;
    QLineSeries* m_errors;
    /// What the series were last computed for; they are recomputed only when it changes.
    struct DataKey {
        std::int64_t openSecond = -1;
        double window = 0;
        int maxPoints = 0;
        std::size_t lanes = 0;
        int lanesGeneration = 0;
        bool operator==(const DataKey&) const = default;
    };
    DataKey m_dataKey;
    double m_maxY = 1;
};

class TimelineWidget : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMarkerLabelRows = 3;
    /// Which lanes are drawn: the selected model's backends, those plus every backend with an
    /// attempt in the window, or every backend (the default while a config has few).
    enum class LaneMode { Model, ModelAndActive, All };

    explicit TimelineWidget(ChartFeed* feed, QWidget* parent = nullptr);
    void setLaneMode(LaneMode mode);
    LaneMode laneMode() const { return m_laneMode; }
    /// The selected model's backends as ChartBuffers lanes, in config order.
    void setModelLanes(std::vector<int> lanes);
    /// Lanes of the last frame, in order, including those scrolled out of view (tests).
    const QStringList& lastLanes() const { return m_rowNames; }
    /// Lanes drawn in the last frame (the visible part of lastLanes()).
    const QStringList& lastVisibleLanes() const { return m_laneNames; }
    /// Shown when the lanes need more height than there is (each lane at least one text line).
    QScrollBar* laneScrollBar() const { return m_scroll; }
    QSize sizeHint() const override { return {800, 300}; }
    /// Replaces the title ("Failover timeline: ..., last N s"); empty restores it.
    void setTitle(const QString& title);
    /// Step marks of the scenario overlay drawn in the last frame (tests check them).
    int lastStepMarks() const { return m_stepMarks; }
    /// Where the scenario cursor was drawn in the last frame (x in pixels), or -1.
    double lastCursorX() const { return m_cursorX; }
    /// Requests drawn with a failover line in the last frame (tests and screenshots check it).
    int lastFailoverLinks() const { return m_lastLinks; }
    /// Marker labels of the last frame that found no free row (their text is in the tooltip).
    int lastHiddenLabels() const { return m_hiddenLabels; }

protected:
    bool event(QEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;

private:
    struct Hit {
        double x;
        QString text;
    };
    ChartFeed* m_feed;
    QString m_title;
    LaneMode m_laneMode = LaneMode::All;
    std::vector<int> m_modelLanes;
    QScrollBar* m_scroll;
    int m_wheelRest = 0;
    QStringList m_rowNames;
    int m_lastLinks = 0;
    int m_hiddenLabels = 0;
    int m_stepMarks = 0;
    double m_cursorX = -1;
    // Geometry of the last frame, for tooltips.
    QRect m_plot;
    double m_from = 0;
    double m_window = 1;
    QStringList m_laneNames;
    std::vector<std::pair<QRect, QString>> m_laneLabels;
    std::vector<Hit> m_hits;
};

}  // namespace aigw::ui
