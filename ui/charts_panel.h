#pragma once
// The central "Charts" page: the three live charts one above the other, with one toolbar for all:
// pause, time window, export PNG (the whole page as shown) and CSV (the per-second bins).

#include <QWidget>

class QComboBox;
class QToolButton;

namespace aigw::ui {

class ChartFeed;
class ModelFocus;
class TopologyModel;
class SplitChart;
class ThroughputChart;
class TimelineWidget;

class ChartsPanel : public QWidget {
    Q_OBJECT
public:
    /// Up to this many backends in the config, the timeline and the throughput chart show them
    /// all by default; beyond, the selected virtual model's.
    static constexpr int kAllLanesUpTo = 12;

    ChartsPanel(ChartFeed* feed, TopologyModel* topology, QWidget* parent = nullptr);
    /// The split chart, the timeline's lanes and the throughput chart's areas follow `focus`.
    void setModelFocus(ModelFocus* focus);
    /// The timeline's lanes ("Lanes:" box): the selected model's backends, those plus every backend
    /// with traffic in the window, or all. Chosen by the user, it stays; else it follows the config.
    QComboBox* laneModeBox() const { return m_laneMode; }

    SplitChart* splitChart() const { return m_split; }
    ThroughputChart* throughputChart() const { return m_throughput; }
    TimelineWidget* timeline() const { return m_timeline; }
    void setWindowSeconds(int seconds);
    int windowSeconds() const;
    /// Writes the page as shown; returns false (and says why in `error`) when the file cannot be written.
    bool exportPng(const QString& path, QString* error);
    bool exportCsv(const QString& path, QString* error);
    void togglePause();

signals:
    void windowSecondsChanged(int seconds);

private:
    /// Lanes of the selected model's backends to the timeline and the throughput chart.
    void updateLanes();
    ChartFeed* m_feed;
    TopologyModel* m_topology;
    ModelFocus* m_focus = nullptr;
    QComboBox* m_laneMode;
    bool m_laneModeChosen = false;
    SplitChart* m_split;
    ThroughputChart* m_throughput;
    TimelineWidget* m_timeline;
    QComboBox* m_window;
    QToolButton* m_pause;
};

}  // namespace aigw::ui
