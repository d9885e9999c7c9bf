#pragma once
// The central "Charts" page: the three live charts one above the other, with one toolbar for all:
// pause, time window, export PNG (the whole page as shown) and CSV (the per-second bins).

#include <QWidget>

class QComboBox;
class QToolButton;

namespace aigw::ui {

class ChartFeed;
class TopologyModel;
class SplitChart;
class ThroughputChart;
class TimelineWidget;

class ChartsPanel : public QWidget {
    Q_OBJECT
public:
    ChartsPanel(ChartFeed* feed, TopologyModel* topology, QWidget* parent = nullptr);

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
    ChartFeed* m_feed;
    SplitChart* m_split;
    ThroughputChart* m_throughput;
    TimelineWidget* m_timeline;
    QComboBox* m_window;
    QToolButton* m_pause;
};

}  // namespace aigw::ui
