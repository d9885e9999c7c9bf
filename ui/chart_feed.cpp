#include "chart_feed.h"

#include <QMetaObject>

namespace aigw::ui {

ChartFeed::ChartFeed(QObject* parent) : QObject(parent) {
    m_session.start();
    m_sinceFrame.start();
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &ChartFeed::flush);
    // The charts' clock moves even without traffic, so idle periods scroll by; one frame per
    // second is enough for that (traffic triggers frames on its own).
    auto* idle = new QTimer(this);
    idle->setInterval(1000);
    connect(idle, &QTimer::timeout, this, &ChartFeed::requestFrame);
    idle->start();
}

void ChartFeed::post(std::vector<RequestPoint> requests) {
    {
        std::lock_guard lock(m_mutex);
        if (m_pending.empty())
            m_pending = std::move(requests);
        else
            m_pending.insert(m_pending.end(), std::make_move_iterator(requests.begin()),
                             std::make_move_iterator(requests.end()));
    }
    QMetaObject::invokeMethod(this, &ChartFeed::requestFrame, Qt::AutoConnection);
}

void ChartFeed::postMarker(double t, const std::string& backend, MarkerKind kind, const std::string& text) {
    {
        std::lock_guard lock(m_mutex);
        Marker m;
        m.t = t;
        m.kind = kind;
        m.text = text;
        m_pendingMarkers.push_back(std::move(m));
        m_pendingMarkerBackends.push_back(backend);
    }
    QMetaObject::invokeMethod(this, &ChartFeed::requestFrame, Qt::AutoConnection);
}

void ChartFeed::requestFrame() {
    if (m_timer.isActive())
        return;
    const qint64 since = m_sinceFrame.elapsed();
    m_timer.start(static_cast<int>(std::max<qint64>(0, kFrameIntervalMs - since)));
}

void ChartFeed::setPaused(bool paused) {
    if (paused == m_paused || m_frozen)
        return;
    m_pausedAt = sessionSeconds();
    m_paused = paused;
    requestFrame();
}

void ChartFeed::freezeAt(double t) {
    m_frozen = true;
    m_paused = true;
    m_pausedAt = t;
    requestFrame();
}

void ChartFeed::setScenarioOverlay(ScenarioOverlay overlay) {
    m_overlay = std::move(overlay);
    requestFrame();
}

void ChartFeed::setTimeAxisTitle(const QString& title) {
    m_timeTitle = title;
    requestFrame();
}

void ChartFeed::setWindowSeconds(double s) {
    m_window = std::max(1.0, s);
    requestFrame();
}

void ChartFeed::flush() {
    std::vector<RequestPoint> requests;
    std::vector<Marker> markers;
    std::vector<std::string> backends;
    {
        std::lock_guard lock(m_mutex);
        requests.swap(m_pending);
        markers.swap(m_pendingMarkers);
        backends.swap(m_pendingMarkerBackends);
    }
    for (const auto& r : requests)
        m_buffers.addRequest(r);
    for (std::size_t i = 0; i < markers.size(); ++i)
        m_buffers.addMarker(markers[i].t, backends[i], markers[i].kind, markers[i].text);
    m_sinceFrame.restart();
    ++m_frames;
    emit frame();
}

}  // namespace aigw::ui
