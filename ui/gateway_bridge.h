#pragma once
// The bridge between the data plane (proxy::GatewayService, on its own thread) and the UI models.
// It never blocks: a 40 ms timer drains the service's batched records, converts them once, and hands
// them to the request log, the chart feed and the topology's health view; server snapshots and
// stats are copied on change / twice a second. Edits made in the topology view go back as queued
// commands (editBackendRef).

#include <QDateTime>
#include <QObject>
#include <QTimer>

#include <map>
#include <set>
#include <string>

#include "chart_buffers.h"
#include "common/clock.h"
#include "config/model.h"
#include "proxy/gateway_service.h"
#include "routing/records.h"

namespace aigw::ui {

/// A request record as the charts draw it, its times in seconds since `origin` (the live charts'
/// session start, or a virtual run's time 0).
RequestPoint requestPoint(const routing::RequestRecord& record, TimePoint origin);

class ChartFeed;
class RequestLogModel;
class ServersModel;
class TopologyModel;
struct RefPath;

class GatewayBridge : public QObject {
    Q_OBJECT
public:
    static constexpr int kDrainIntervalMs = 40;

    GatewayBridge(proxy::GatewayService* service, ChartFeed* feed, RequestLogModel* log, ServersModel* servers,
                  TopologyModel* topology, QObject* parent = nullptr);

    proxy::GatewayService* service() const { return m_service; }
    /// Seconds on the charts' clock for a data-plane time point (steady clock).
    double sessionTime(TimePoint t) const;
    /// Drains now (the timer does it every kDrainIntervalMs; tests call it directly).
    void drainNow();
    /// Most recent record for `model` that started at or after `after`, or nullptr (searches the
    /// request log's newest entries).
    const routing::RequestRecord* latestRecord(const std::string& model, TimePoint after) const;
    TimePoint steadyNow() const;
    proxy::StatsSnapshot lastStats() const { return m_stats; }
    std::uint64_t recordsSeen() const { return m_recordsSeen; }

signals:
    /// One human-readable line per server/config event (for the event log and the status bar).
    void eventLogged(const QString& line);
    void statsUpdated(const aigw::proxy::StatsSnapshot& stats);
    /// New request records reached the log (count in this batch).
    void recordsArrived(int count);
    /// Every drained batch, before the log takes it (the Scenario dock forwards it to its player).
    /// Direct connections only: the vectors are not copied.
    void recordsDrained(const std::vector<aigw::routing::RequestRecord>& records,
                        const std::vector<aigw::routing::HostEvent>& hosts);

private:
    void onServersChanged();
    void onConfigChanged();
    void onBackendRefEdited(const RefPath& path, const config::BackendRefSpec& spec);
    void markerForServer(const QString& server, int kind, const QString& text);

    proxy::GatewayService* m_service;
    ChartFeed* m_feed;
    RequestLogModel* m_log;
    ServersModel* m_servers;
    TopologyModel* m_topology;
    QTimer m_drain;
    QTimer m_statsTimer;
    TimePoint m_steadyEpoch{};
    qint64 m_wallEpochMs = 0;
    std::map<std::string, std::set<std::string>> m_outOfRotation;  ///< backend -> host keys out
    std::map<std::string, double> m_lastSkipMarker;                 ///< backend -> session time
    std::map<QString, proxy::ServerState> m_lastState;
    std::set<QString> m_wasDown;  ///< servers seen stopped/deleted/failed since their last ready
    proxy::StatsSnapshot m_stats;
    std::uint64_t m_recordsSeen = 0;
};

}  // namespace aigw::ui
