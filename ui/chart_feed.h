#pragma once
// The pacing point between data and charts (PlotJuggler's pattern): producers post batches from any
// thread into a mutex-guarded queue; a single-shot timer merges everything posted within one frame,
// applies it to the ChartBuffers on the GUI thread and emits frame() - at most ~25 times a second,
// whatever the request rate. Pausing freezes the charts' clock; data keeps being collected.

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

#include <mutex>
#include <string>
#include <vector>

#include "chart_buffers.h"

namespace aigw::ui {

/// A scenario drawn over the charts' time axis (the Scenario dock sets it; the what-if compare
/// draws its runs' steps with it). Times are seconds on the charts' clock.
struct ScenarioOverlay {
    bool active = false;
    /// Playing: the cursor is the charts' "now". Otherwise it stays at `cursor`.
    bool followNow = false;
    bool showCursor = true;
    double cursor = 0;
    /// The charts' time of the scenario's time 0 in the current play segment (the cursor's label
    /// reads cursor - origin).
    double origin = 0;
    struct Mark {
        double t = 0;
        std::string text;
    };
    std::vector<Mark> steps;  ///< steps reached (or, for a finished run, all of them)
    /// The cursor's time on the charts' clock at `now`.
    double cursorAt(double now) const { return followNow ? now : cursor; }
};

class ChartFeed : public QObject {
    Q_OBJECT
public:
    static constexpr int kFrameIntervalMs = 40;  ///< 25 frames per second at most

    explicit ChartFeed(QObject* parent = nullptr);

    /// Thread-safe. Times in the points are seconds since sessionStart().
    void post(std::vector<RequestPoint> requests);
    void postMarker(double t, const std::string& backend, MarkerKind kind, const std::string& text);
    /// Seconds since the feed was created (the charts' clock).
    double sessionSeconds() const { return static_cast<double>(m_session.nsecsElapsed()) / 1e9; }

    /// The time the charts show as "now": frozen while paused.
    double now() const { return m_paused ? m_pausedAt : sessionSeconds(); }
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    /// Freezes the charts' clock at `t` for good (a finished run shown whole: the what-if compare).
    void freezeAt(double t);
    void setWindowSeconds(double s);
    double windowSeconds() const { return m_window; }

    void setScenarioOverlay(ScenarioOverlay overlay);
    const ScenarioOverlay& scenarioOverlay() const { return m_overlay; }
    /// What the charts call their time axis ("session time (s)", or "scenario time (s)").
    void setTimeAxisTitle(const QString& title);
    QString timeAxisTitle() const { return m_timeTitle; }

    ChartBuffers& buffers() { return m_buffers; }
    const ChartBuffers& buffers() const { return m_buffers; }
    /// Frames emitted so far (the benchmark and tests read it).
    quint64 frames() const { return m_frames; }
    /// Asks for a redraw (coalesced with any pending one).
    void requestFrame();
    /// Applies what was posted and emits frame() now (a finished run, drawn at once).
    void flushNow() { flush(); }

signals:
    /// Redraw now; emitted at most every kFrameIntervalMs.
    void frame();

private:
    void flush();

    std::mutex m_mutex;
    std::vector<RequestPoint> m_pending;
    std::vector<Marker> m_pendingMarkers;
    std::vector<std::string> m_pendingMarkerBackends;
    ChartBuffers m_buffers;
    QTimer m_timer;
    QElapsedTimer m_session;
    QElapsedTimer m_sinceFrame;
    bool m_paused = false;
    bool m_frozen = false;
    double m_pausedAt = 0;
    ScenarioOverlay m_overlay;
    QString m_timeTitle = QStringLiteral("session time (s)");
    double m_window = 60;
    quint64 m_frames = 0;
};

}  // namespace aigw::ui
