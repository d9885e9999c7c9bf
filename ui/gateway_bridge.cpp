#include "gateway_bridge.h"

#include "chart_feed.h"
#include "config/model.h"
#include "request_log_model.h"
#include "routing/records.h"
#include "servers_model.h"
#include "split_math.h"
#include "topology_model.h"

namespace aigw::ui {

namespace {
/// Same routes, rules and backendRefs (names and counts): an edit of weights does not change it.
bool sameShape(const config::Config& a, const config::Config& b) {
    if (a.routes.size() != b.routes.size())
        return false;
    for (std::size_t r = 0; r < a.routes.size(); ++r) {
        const auto& ra = a.routes[r];
        const auto& rb = b.routes[r];
        if (ra.meta.name != rb.meta.name || ra.rules.size() != rb.rules.size())
            return false;
        for (std::size_t u = 0; u < ra.rules.size(); ++u) {
            if (ra.rules[u].backendRefs.size() != rb.rules[u].backendRefs.size() || ra.rules[u].matches != rb.rules[u].matches)
                return false;
            for (std::size_t f = 0; f < ra.rules[u].backendRefs.size(); ++f)
                if (ra.rules[u].backendRefs[f].name != rb.rules[u].backendRefs[f].name)
                    return false;
        }
    }
    return a.serviceBackends.size() == b.serviceBackends.size() && a.backends.size() == b.backends.size() &&
           a.trafficPolicies == b.trafficPolicies;
}
}  // namespace

RequestPoint requestPoint(const routing::RequestRecord& r, TimePoint origin) {
    auto seconds = [origin](TimePoint t) { return std::chrono::duration<double>(t - origin).count(); };
    RequestPoint p;
    p.t = seconds(r.start);
    p.model = r.virtualModel;
    p.ok = r.finalStatus >= 200 && r.finalStatus < 400;
    p.status = r.finalStatus;
    p.latencyMs = toMs(r.latency);
    p.attempts.reserve(r.attempts.size());
    for (const auto& a : r.attempts)
        p.attempts.push_back({laneKey(a.backendNamespace, a.backend), seconds(a.start), toMs(a.duration),
                              a.failure == routing::UpstreamFailure::None && a.status < 400});
    return p;
}

GatewayBridge::GatewayBridge(proxy::GatewayService* service, ChartFeed* feed, RequestLogModel* log,
                             ServersModel* servers, TopologyModel* topology, QObject* parent)
    : QObject(parent), m_service(service), m_feed(feed), m_log(log), m_servers(servers), m_topology(topology) {
    // One epoch for both clocks: record times (steady) and event times (wall) map onto the charts' clock.
    const double session = m_feed->sessionSeconds();
    m_steadyEpoch = SteadyClock().now() - std::chrono::duration_cast<Duration>(std::chrono::duration<double>(session));
    m_wallEpochMs = QDateTime::currentMSecsSinceEpoch() - static_cast<qint64>(session * 1000);
    m_log->setEpoch(m_steadyEpoch, QDateTime::fromMSecsSinceEpoch(m_wallEpochMs));

    m_drain.setInterval(kDrainIntervalMs);
    connect(&m_drain, &QTimer::timeout, this, &GatewayBridge::drainNow);
    m_drain.start();
    m_statsTimer.setInterval(500);
    connect(&m_statsTimer, &QTimer::timeout, this, [this] {
        m_stats = m_service->stats();
        emit statsUpdated(m_stats);
        // DNS countdowns and ejection deadlines pass without an event from the server list: repaint
        // the state cells that show one (none most of the time).
        m_servers->refreshTimedStates(QDateTime::currentMSecsSinceEpoch());
    });
    m_statsTimer.start();
    connect(m_service, &proxy::GatewayService::serversChanged, this, &GatewayBridge::onServersChanged);
    connect(m_service, &proxy::GatewayService::configChanged, this, &GatewayBridge::onConfigChanged);
    connect(m_service, &proxy::GatewayService::ready, this, [this](const QString& proxyUrl, const QString& adminUrl) {
        emit eventLogged(QStringLiteral("gateway ready: proxy %1, admin %2").arg(proxyUrl, adminUrl));
        onServersChanged();
        onConfigChanged();
    });
    connect(m_service, &proxy::GatewayService::failed, this,
            [this](const QString& error) { emit eventLogged(QStringLiteral("gateway failed: %1").arg(error)); });
    connect(m_topology, &TopologyModel::backendRefEdited, this, &GatewayBridge::onBackendRefEdited);
}

double GatewayBridge::sessionTime(TimePoint t) const {
    return std::chrono::duration<double>(t - m_steadyEpoch).count();
}

TimePoint GatewayBridge::steadyNow() const { return SteadyClock().now(); }

void GatewayBridge::drainNow() {
    std::vector<routing::RequestRecord> records;
    std::vector<routing::HostEvent> hosts;
    std::vector<proxy::ServiceEvent> events;
    m_service->drain(&records, &hosts, &events);
    if (!records.empty() || !hosts.empty())
        emit recordsDrained(records, hosts);
    if (!records.empty()) {
        std::vector<RequestPoint> points;
        points.reserve(records.size());
        for (const auto& r : records)
            points.push_back(requestPoint(r, m_steadyEpoch));
        m_feed->post(std::move(points));
        m_recordsSeen += records.size();
        const int n = static_cast<int>(records.size());
        m_log->append(std::move(records));
        emit recordsArrived(n);
    }
    bool healthChanged = false;
    for (const auto& h : hosts) {
        const double t = sessionTime(h.at);
        const std::string lane = laneKey(h.backendNamespace, h.backend);
        using T = routing::HostEvent::Type;
        switch (h.type) {
        case T::Ejected:
            m_outOfRotation[lane].insert(h.hostKey);
            healthChanged = true;
            m_feed->postMarker(t, lane, MarkerKind::Ejected,
                               "ejected #" + std::to_string(h.ejections) + " (" + h.reason + ")");
            break;
        case T::Unejected:
            m_outOfRotation[lane].erase(h.hostKey);
            healthChanged = true;
            m_feed->postMarker(t, lane, MarkerKind::Unejected, "un-ejected");
            break;
        case T::EjectionSkipped:
            // Happens on every failure past the threshold: one marker per backend per 10 s is enough.
            if (t - m_lastSkipMarker[lane] > 10 || !m_lastSkipMarker.count(lane)) {
                m_lastSkipMarker[lane] = t;
                m_feed->postMarker(t, lane, MarkerKind::Ejected, "not ejected: maxEjectionPercent");
            }
            break;
        case T::Removed:
            m_outOfRotation[lane].insert(h.hostKey);
            healthChanged = true;
            break;
        case T::Restored:
            m_outOfRotation[lane].erase(h.hostKey);
            healthChanged = true;
            break;
        }
    }
    if (healthChanged) {
        std::set<std::string> out;
        for (const auto& [backend, keys] : m_outOfRotation)
            if (!keys.empty())
                out.insert(backend);
        m_topology->setUnhealthy(out);
    }
    for (const auto& e : events) {
        const double t = static_cast<double>(e.timeMs - m_wallEpochMs) / 1000.0;
        using K = proxy::ServiceEvent::Kind;
        QString line;
        switch (e.kind) {
        case K::ServerStateChanged: {
            line = QStringLiteral("server %1: %2%3")
                       .arg(e.name, QString::fromLatin1(proxy::nameOf(e.state)),
                            e.message.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(e.message));
            MarkerKind kind = MarkerKind::ServerStarted;
            bool mark = true;
            switch (e.state) {
            case proxy::ServerState::Stopped: kind = MarkerKind::ServerStopped; break;
            case proxy::ServerState::Deleted: kind = MarkerKind::ServerDeleted; break;
            case proxy::ServerState::Ready: kind = MarkerKind::ServerStarted; break;
            default: mark = false; break;
            }
            // "ready" right after start-up is not news; mark it only after a stop/delete/failure
            // (the server passes through "starting" on the way back, so remember it was down).
            if (e.state == proxy::ServerState::Stopped || e.state == proxy::ServerState::Deleted ||
                e.state == proxy::ServerState::Failed)
                m_wasDown.insert(e.name);
            if (kind == MarkerKind::ServerStarted && mark)
                mark = m_wasDown.erase(e.name) > 0;
            m_lastState[e.name] = e.state;
            if (mark)
                markerForServer(e.name, static_cast<int>(kind),
                                QStringLiteral("%1 %2").arg(QString::fromLatin1(nameOf(kind)), e.name));
            break;
        }
        case K::ServerFault:
            line = e.message.isEmpty() ? QStringLiteral("server %1: fault cleared").arg(e.name)
                                       : QStringLiteral("server %1: fault %2").arg(e.name, e.message);
            markerForServer(e.name, static_cast<int>(e.message.isEmpty() ? MarkerKind::FaultCleared : MarkerKind::Fault),
                            e.message.isEmpty() ? QStringLiteral("fault cleared") : QStringLiteral("fault: %1").arg(e.message));
            break;
        case K::ConfigApplied:
            line = QStringLiteral("config applied: %1").arg(e.message);
            m_feed->postMarker(t, {}, MarkerKind::ConfigEdit, "config applied");
            break;
        case K::ConfigRejected: line = QStringLiteral("config rejected:\n%1").arg(e.message); break;
        case K::BackendRefEdited:
            line = QStringLiteral("edit %1: %2").arg(e.name, e.message);
            m_feed->postMarker(t, {}, MarkerKind::ConfigEdit, e.message.toStdString());
            break;
        case K::Error: line = QStringLiteral("error: %1").arg(e.message); break;
        }
        emit eventLogged(QDateTime::fromMSecsSinceEpoch(e.timeMs).toString(QStringLiteral("HH:mm:ss ")) + line);
    }
}

void GatewayBridge::markerForServer(const QString& server, int kind, const QString& text) {
    // Lanes are AIServiceBackends; mark every lane whose Backend points at this server. The marker
    // time is "now" on the charts' clock: server events are stamped by the wall clock, which can step.
    const double t = m_feed->sessionSeconds();
    const auto servers = m_servers->servers();
    QStringList backends;  // "ns/name" of the Backends that point at this server
    for (const auto& s : servers)
        if (s.name == server)
            backends << s.backends;
    bool any = false;
    const auto& cfg = m_topology->config();
    const auto& lanes = m_feed->buffers().lanes();
    for (const auto& sb : cfg.serviceBackends) {
        const std::string backendNs = sb.backendRef.ns.value_or(sb.meta.effectiveNamespace());
        if (!backends.contains(QString::fromStdString(backendNs + "/" + sb.backendRef.name)))
            continue;
        const std::string lane = laneKey(sb.meta.effectiveNamespace(), sb.meta.name);
        if (std::find(lanes.begin(), lanes.end(), lane) != lanes.end()) {
            m_feed->postMarker(t, lane, static_cast<MarkerKind>(kind), text.toStdString());
            any = true;
        }
    }
    if (!any)
        m_feed->postMarker(t, {}, static_cast<MarkerKind>(kind), text.toStdString());
}

void GatewayBridge::onServersChanged() {
    m_servers->setServers(m_service->servers());
}

void GatewayBridge::onConfigChanged() {
    const auto cfg = m_service->config();
    if (!cfg)
        return;
    // Our own in-place edits come back as configChanged too; only a different shape (a new file,
    // POST /config from the admin API) replaces the tree, which would also reset the undo stack.
    if (!sameShape(*cfg, m_topology->config()))
        m_topology->setConfig(*cfg);
}

void GatewayBridge::onBackendRefEdited(const RefPath& path, const config::BackendRefSpec& spec) {
    const auto& cfg = m_topology->config();
    if (path.route < 0 || path.route >= static_cast<int>(cfg.routes.size()))
        return;
    const auto& route = cfg.routes[static_cast<std::size_t>(path.route)];
    const QString name = QString::fromStdString(route.meta.effectiveNamespace() + "/" + route.meta.name);
    m_service->editBackendRef(name, path.rule, path.ref, spec.effectiveWeight(), spec.effectivePriority(),
                              spec.modelNameOverride ? QString::fromStdString(*spec.modelNameOverride) : QString());
}

const routing::RequestRecord* GatewayBridge::latestRecord(const std::string& model, TimePoint after) const {
    for (int row = m_log->rowCount() - 1, seen = 0; row >= 0 && seen < 5000; --row, ++seen) {
        const auto& r = m_log->record(row);
        if (r.virtualModel == model && r.start >= after)
            return &r;
    }
    return nullptr;
}

}  // namespace aigw::ui
