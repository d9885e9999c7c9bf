#pragma once
// The data-plane worker behind GatewayService: lives on the service's QThread and owns everything
// that touches sockets or child processes. Private to the proxy library.

#include <QObject>
#include <QString>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "common/clock.h"
#include "common/qt_scheduler.h"
#include "common/random.h"
#include "config/model.h"
#include "http/http_client.h"
#include "http/http_server.h"
#include "proxy/gateway_service.h"
#include "proxy/latency_window.h"
#include "proxy/metrics.h"
#include "proxy/proxy_handler.h"
#include "proxy/supervisor.h"
#include "routing/engine.h"
#include "routing/records.h"

class QThreadPool;

namespace aigw {
class EpollEventDispatcher;
}

namespace aigw::proxy {

/// What GatewayService reads without touching the data-plane thread (all under `mutex`).
struct SharedState {
    mutable std::mutex mutex;
    bool running = false;
    QString proxyUrl, adminUrl, adminToken;
    std::vector<ServerInfo> servers;
    std::shared_ptr<const config::Config> config;
    std::map<QString, std::deque<QString>> logs;
    std::vector<routing::RequestRecord> requests;
    std::vector<routing::HostEvent> hostEvents;
    std::vector<ServiceEvent> events;
    std::uint64_t dropped = 0;
    LatencyWindow window;  ///< requests/s, errors and latency of the last 10 s (stats())
    std::uint64_t total = 0, errors = 0;
    int inFlight = 0;
    int bufferLimit = 20000;
};

class DataPlane : public QObject, public routing::RecordSink {
    Q_OBJECT
public:
    DataPlane(GatewayService* service, std::shared_ptr<SharedState> shared);
    ~DataPlane() override;

    void start(std::shared_ptr<const config::Config> config, GatewayService::Options options);
    /// Graceful: stop accepting, wait for in-flight requests (bounded), stop children, emit stopped.
    void stop();
    /// Immediate: cut everything (used by the destructor path).
    void shutdownNow();

    void stopServer(const QString& name);
    void startServer(const QString& name);
    void deleteServer(const QString& name);
    void reapplyServer(const QString& name);
    void setFault(const QString& name, const nlohmann::json& profile);
    void clearFault(const QString& name);
    void setDnsRefreshDelay(std::chrono::milliseconds delay);
    /// Edits one backendRef (compiled on the config worker, swapped in here); `done` gets the outcome
    /// on this thread: an Error for an unknown route, rule or ref, or a negative weight or priority.
    void editBackendRef(const QString& route, int ruleIndex, int refIndex, std::optional<std::int64_t> weight,
                        std::optional<std::int64_t> priority, std::optional<QString> modelNameOverride,
                        std::function<void(Result<bool>)> done = {});
    /// Compiles and plans `config` on the config worker, then install()s it here.
    void applyConfig(std::shared_ptr<const config::Config> config);
    /// Swaps in `config`, compiled from the engine's snapshot (routing::compileConfig) and planned
    /// (planServersOf) already, off this thread: here only the swap runs. A null `compiled` is
    /// compiled here.
    void install(std::shared_ptr<const config::Config> config, std::shared_ptr<const routing::Snapshot> compiled,
                 const std::vector<ServerSpec>& plan);

    // routing::RecordSink (data-plane thread)
    void onRequest(const routing::RequestRecord& record) override;
    void onHostEvent(const routing::HostEvent& event) override;

private:
    void handleAdmin(std::shared_ptr<http::HttpRequest> request, std::shared_ptr<http::HttpResponder> responder);
    /// Origin, bearer token, method and content-type checks of the admin API (the Host check is the
    /// listener's). Returns false when it answered the request with a refusal.
    bool adminRequestAllowed(const http::HttpRequest& request, http::HttpResponder& responder) const;
    void teardown();
    /// The thread POST /config parses and compiles on (one thread, so POSTs apply in order); replaced
    /// configs are freed there too.
    QThreadPool* configWorker();
    /// Lets `old` (a replaced snapshot or config) be freed on the config worker: freeing a
    /// cluster-sized config here would hold up the requests in flight.
    template <typename T>
    void releaseOffThread(std::shared_ptr<T> old);
    /// Runs `work` on the config worker, then `then` on this thread (dropped if this object goes first).
    void offThread(std::function<void()> work, std::function<void()> then);
    /// GatewayService's commands run in call order: while a config change it asked for (applyConfig,
    /// editBackendRef) compiles on the worker, the commands after it wait here.
    void inOrder(std::function<void()> command);
    /// A change was swapped in (or failed): runs the commands that waited for it.
    void changeInstalled();
    void publishServers();
    /// Tells the supervisor when the engine's DNS refresh will see the server's delete or re-apply.
    void publishDnsChange(const QString& name);
    void schedulePublish();
    void pushEvent(const ServiceEvent& e);
    /// Into the admin API's recent list and the drain buffer (the record's last stop on this thread).
    void publishRecord(routing::RequestRecord&& record);
    /// Puts a record into the GET /requests ring (m_recent).
    void keepRecent(routing::RequestRecord&& record);
    void recordsAdded();
    Result<bool> serverCommand(const QString& name, const QString& verb);
    std::int64_t bufferLimitOf(const config::Config& config) const;

    GatewayService* m_service;
    std::shared_ptr<SharedState> m_shared;
    GatewayService::Options m_options;
    std::string m_adminToken;  ///< empty: no token required
    bool m_running = false;
    bool m_stopping = false;

    SteadyClock m_clock;
    std::unique_ptr<SeededRandom> m_random;
    std::unique_ptr<QtScheduler> m_scheduler;
    std::unique_ptr<http::HttpClient> m_client;
    std::unique_ptr<Supervisor> m_supervisor;
    std::unique_ptr<routing::Engine> m_engine;
    std::unique_ptr<Metrics> m_metrics;
    std::unique_ptr<ProxyHandler> m_handler;
    EpollEventDispatcher* m_polling = nullptr;  ///< this thread's dispatcher, whose busy polling asks m_handler
    std::unique_ptr<http::HttpServer> m_proxy;
    std::unique_ptr<http::HttpServer> m_admin;
    /// The last Options::recentRequests records for GET /requests, a ring: a record is moved into
    /// its slot (a deque allocated a node per record, since a record is larger than its node).
    std::vector<routing::RequestRecord> m_recent;
    std::size_t m_recentNext = 0;  ///< slot the next record goes to once the ring is full
    /// Records dropped from a full drain buffer (nobody drains it in headless mode), destroyed a few
    /// per published record: freeing 10,000 records with their bodies at once stalled every request
    /// in flight for milliseconds (p99 at 32 connections).
    std::vector<routing::RequestRecord> m_graveyard;
    /// The `n` newest records, oldest first.
    std::vector<const routing::RequestRecord*> recentRecords(std::size_t n) const;
    int m_pendingChanges = 0;                      ///< applyConfig / edits compiling on the worker
    std::deque<std::function<void()>> m_deferred;  ///< commands waiting for them (inOrder)
    std::uint64_t m_generation = 0;                ///< bumped by teardown: older config jobs are dropped
    bool m_publishPending = false;
    bool m_recordsSignalPending = false;
};

}  // namespace aigw::proxy
