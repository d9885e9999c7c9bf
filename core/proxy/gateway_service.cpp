#include "proxy/gateway_service.h"

#include <QThread>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/epoll_dispatcher.h"
#include "proxy/data_plane.h"

namespace aigw::proxy {

const char* nameOf(ServerMode mode) {
    switch (mode) {
    case ServerMode::Mock: return "mock";
    case ServerMode::Ollama: return "ollama";
    case ServerMode::External: return "external";
    }
    return "mock";
}

const char* nameOf(ServerState state) {
    switch (state) {
    case ServerState::Starting: return "starting";
    case ServerState::Pulling: return "pulling";
    case ServerState::Ready: return "ready";
    case ServerState::Stopped: return "stopped";
    case ServerState::Deleted: return "deleted";
    case ServerState::Faulted: return "faulted";
    case ServerState::Failed: return "failed";
    }
    return "failed";
}

GatewayService::GatewayService(QObject* parent)
    : QObject(parent), m_thread(std::make_unique<QThread>()), m_shared(std::make_shared<SharedState>()) {
    m_thread->setObjectName(QStringLiteral("aigw-data-plane"));
    // The data plane runs on epoll (common/epoll_dispatcher.h); AIGW_EVENT_DISPATCHER=qt keeps Qt's
    // own poll() dispatcher (to compare, or should the kernel refuse epoll).
    if (qgetenv("AIGW_EVENT_DISPATCHER") != "qt") {
        auto dispatcher = std::make_unique<EpollEventDispatcher>();
        if (dispatcher->isValid()) m_thread->setEventDispatcher(dispatcher.release());
    }
    m_plane = new DataPlane(this, m_shared);
    m_plane->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_plane, &QObject::deleteLater);
    m_thread->start();
}

GatewayService::~GatewayService() {
    // Cut everything on the data-plane thread, where the children's QProcess objects live: SIGTERM
    // to each, nobody waits for them (the application's thread kills and reaps them, see
    // Supervisor::killAllNow); then quit and join the thread; the plane is deleted when it finishes.
    QMetaObject::invokeMethod(m_plane, [p = m_plane] { p->shutdownNow(); }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
}

void GatewayService::start(const config::Config& config, const Options& options) {
    auto snapshot = std::make_shared<const config::Config>(config);
    QMetaObject::invokeMethod(m_plane, [p = m_plane, snapshot, options] { p->start(snapshot, options); }, Qt::QueuedConnection);
}

void GatewayService::stop() {
    QMetaObject::invokeMethod(m_plane, [p = m_plane] { p->stop(); }, Qt::QueuedConnection);
}

bool GatewayService::isRunning() const {
    const auto& s = m_shared;
    std::lock_guard lock(s->mutex);
    return s->running;
}

void GatewayService::stopServer(const QString& name) {
    QMetaObject::invokeMethod(m_plane, [p = m_plane, name] { p->stopServer(name); }, Qt::QueuedConnection);
}
void GatewayService::startServer(const QString& name) {
    QMetaObject::invokeMethod(m_plane, [p = m_plane, name] { p->startServer(name); }, Qt::QueuedConnection);
}
void GatewayService::deleteServer(const QString& name) {
    QMetaObject::invokeMethod(m_plane, [p = m_plane, name] { p->deleteServer(name); }, Qt::QueuedConnection);
}
void GatewayService::reapplyServer(const QString& name) {
    QMetaObject::invokeMethod(m_plane, [p = m_plane, name] { p->reapplyServer(name); }, Qt::QueuedConnection);
}
void GatewayService::setFault(const QString& name, const nlohmann::json& profile) {
    QMetaObject::invokeMethod(m_plane, [p = m_plane, name, profile] { p->setFault(name, profile); }, Qt::QueuedConnection);
}
void GatewayService::setDnsRefreshDelay(std::chrono::milliseconds delay) {
    QMetaObject::invokeMethod(m_plane, [p = m_plane, delay] { p->setDnsRefreshDelay(delay); }, Qt::QueuedConnection);
}
void GatewayService::clearFault(const QString& name) {
    QMetaObject::invokeMethod(m_plane, [p = m_plane, name] { p->clearFault(name); }, Qt::QueuedConnection);
}
void GatewayService::editBackendRef(const QString& route, int ruleIndex, int refIndex, std::optional<std::int64_t> weight,
                                    std::optional<std::int64_t> priority, std::optional<QString> modelNameOverride) {
    QMetaObject::invokeMethod(
        m_plane,
        [p = m_plane, route, ruleIndex, refIndex, weight, priority, modelNameOverride] {
            p->editBackendRef(route, ruleIndex, refIndex, weight, priority, modelNameOverride);
        },
        Qt::QueuedConnection);
}
void GatewayService::applyConfig(const config::Config& config) {
    auto snapshot = std::make_shared<const config::Config>(config);
    QMetaObject::invokeMethod(m_plane, [p = m_plane, snapshot] { p->applyConfig(snapshot); }, Qt::QueuedConnection);
}

std::vector<ServerInfo> GatewayService::servers() const {
    const auto& s = m_shared;
    std::lock_guard lock(s->mutex);
    return s->servers;
}

std::shared_ptr<const config::Config> GatewayService::config() const {
    const auto& s = m_shared;
    std::lock_guard lock(s->mutex);
    return s->config;
}

StatsSnapshot GatewayService::stats() const {
    const auto& s = m_shared;
    StatsSnapshot out;
    LatencyWindow::Summary w;
    {
        std::lock_guard lock(s->mutex);
        w = s->window.summary();
        out.totalRequests = s->total;
        out.totalErrors = s->errors;
        out.inFlight = s->inFlight;
        out.droppedRecords = s->dropped;
    }
    if (w.count == 0)
        return out;
    const double windowS = std::max(1.0, static_cast<double>(w.lastMs - w.firstMs) / 1000.0);
    out.requestsPerSecond = static_cast<double>(w.count) / windowS;
    out.errorRate = static_cast<double>(w.errors) / static_cast<double>(w.count);
    out.p50Ms = w.p50Ms;
    out.p99Ms = w.p99Ms;
    return out;
}

QStringList GatewayService::serverLog(const QString& name) const {
    const auto& s = m_shared;
    std::lock_guard lock(s->mutex);
    QStringList out;
    if (auto it = s->logs.find(name); it != s->logs.end())
        for (const auto& l : it->second)
            out << l;
    return out;
}

QString GatewayService::proxyUrl() const {
    const auto& s = m_shared;
    std::lock_guard lock(s->mutex);
    return s->proxyUrl;
}

QString GatewayService::adminUrl() const {
    const auto& s = m_shared;
    std::lock_guard lock(s->mutex);
    return s->adminUrl;
}

QString GatewayService::adminToken() const {
    const auto& s = m_shared;
    std::lock_guard lock(s->mutex);
    return s->adminToken;
}

void GatewayService::drain(std::vector<routing::RequestRecord>* requests, std::vector<routing::HostEvent>* hosts,
                           std::vector<ServiceEvent>* events) {
    const auto& s = m_shared;
    std::vector<routing::RequestRecord> r;
    std::vector<routing::HostEvent> h;
    std::vector<ServiceEvent> e;
    {
        std::lock_guard lock(s->mutex);
        r.swap(s->requests);
        h.swap(s->hostEvents);
        e.swap(s->events);
    }
    if (requests)
        requests->insert(requests->end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
    if (hosts)
        hosts->insert(hosts->end(), std::make_move_iterator(h.begin()), std::make_move_iterator(h.end()));
    if (events)
        events->insert(events->end(), std::make_move_iterator(e.begin()), std::make_move_iterator(e.end()));
}

}  // namespace aigw::proxy
