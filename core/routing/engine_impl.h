#pragma once
// The one implementation of Engine/Request. Internal to the routing layer (tests include it to
// reach the snapshot structures); drivers use engine.h.

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "routing/engine.h"
#include "routing/matching.h"
#include "routing/outlier.h"
#include "routing/priority.h"
#include "routing/retry.h"

namespace aigw::routing {

/// One host of a cluster: one endpoint of the Backend behind one backendRef.
struct HostSpec {
    std::string key;
    std::string backend;  ///< AIServiceBackend
    std::string backendNamespace;
    std::string server;
    std::string schema;
    std::string address;
    int port = 0;
    int priority = 0;
    std::int64_t weight = 1;
    std::optional<std::string> modelOverride;
    std::size_t locality = 0;
};

/// One backendRef with weight > 0: a locality of the rule's cluster.
struct LocalitySpec {
    int priority = 0;
    std::int64_t weight = 1;
    std::vector<std::size_t> hosts;  ///< indices into ClusterSpec::hosts
};

/// One rule: Envoy cluster httproute/<ns>/<route>/rule/<i>, plus the route-level settings.
struct ClusterSpec {
    std::string name;
    std::string route;  ///< "<ns>/<name>"
    std::string rule;   ///< rule name or "rule/<i>"
    std::vector<HostSpec> hosts;
    std::vector<LocalitySpec> localities;
    int numPriorities = 1;
    std::optional<RetryConfig> retry;
    std::optional<OutlierConfig> outlier;
    std::uint32_t panicThreshold = 50;
    std::optional<Duration> requestTimeout = secs(60);  ///< none: 0s, disabled
    std::optional<Duration> streamIdleTimeout;
    Duration connectTimeout = secs(10);       ///< BackendTrafficPolicy timeout.tcp.connectTimeout
    std::optional<Duration> dnsRefreshRate;   ///< BackendTrafficPolicy dns.dnsRefreshRate
};

/// An immutable compiled config. Requests keep the one they started with.
struct Snapshot {
    std::shared_ptr<const config::Config> config;     ///< as given
    /// What runs: `config` without the routes that are not accepted, plus the last accepted version of
    /// those that were served before (with the objects they need). Same object as `config` when every
    /// route is accepted. Route indices below are into effective->routes.
    std::shared_ptr<const config::Config> effective;
    std::vector<RouteStatus> status;                  ///< per config->routes
    RouteTable table;
    std::vector<ClusterSpec> clusters;
    std::vector<std::vector<int>> clusterOf;  ///< [route][rule] -> index into clusters
    std::vector<Error> problems;
    std::uint64_t id = 0;      ///< unique per build (process-wide)
    std::uint64_t baseId = 0;  ///< the id of `previous` it was built from (0: none)
    /// `previous`: the snapshot it replaces, whose served routes stay when their new version is not accepted.
    static std::shared_ptr<const Snapshot> build(std::shared_ptr<const config::Config> config,
                                                 const Snapshot* previous = nullptr);
};

/// The BackendTrafficPolicy that applies to a route: one targeting its HTTPRoute (same name and
/// namespace) wins over one targeting a parent Gateway; first in input order. Null when none.
const config::BackendTrafficPolicy* policyFor(const config::Config& config, const config::AIGatewayRoute& route);

class EngineImpl;

class RequestImpl final : public Request {
public:
    RequestImpl(EngineImpl& engine, std::shared_ptr<const Snapshot> snap, const MatchEntry* match,
                std::string model, std::uint64_t id, TimePoint now);
    Decision nextAttempt(TimePoint now) override;
    Decision onAttemptResult(const AttemptOutcome& outcome, TimePoint now) override;
    void cancel(TimePoint now) override;
    bool done() const override { return m_done; }
    const RequestRecord& record() const override { return m_record; }
    RequestRecord& recordToComplete() override { return m_record; }

private:
    friend class EngineImpl;
    Decision finish(Response response, Duration wait, TimePoint now, RetryStatus why);
    Decision localReply(int status, const std::string& text, Duration wait, TimePoint now, RetryStatus why);
    Decision finalDecision() const;
    /// The target of an attempt on `h` (its strings copied once, into the Decision).
    AttemptTarget targetFor(const HostSpec& h, int attempt, Duration backoffBefore) const;

    EngineImpl& m_engine;
    std::shared_ptr<const Snapshot> m_snap;
    const ClusterSpec* m_cluster = nullptr;  // in m_snap: route-level settings
    RetryState m_retry;
    TimePoint m_deadline{};
    RequestRecord m_record;
    bool m_done = false;
    bool m_inAttempt = false;
    RetryStatus m_finalWhy = RetryStatus::No;
    Duration m_finalWait{};
    Response m_finalResponse;
    // The host of the attempt in flight, in the engine's snapshot at the pick: m_pickSnap keeps that
    // one alive when it is no longer m_snap (a config swapped in after the start). Rather than a copy
    // of its AttemptTarget: RequestImpl then fits malloc's per-thread cache (1,160 bytes did not).
    const HostSpec* m_currentHost = nullptr;
    std::shared_ptr<const Snapshot> m_pickSnap;
    Duration m_pendingBackoff{};
    // previous_priorities and previous_hosts state: the priorities attempted are those of
    // m_record.attempts from m_prioritiesFrom on (a reset moves it to the end), the hosts attempted
    // are every attempt's hostKey.
    std::size_t m_prioritiesFrom = 0;
    std::vector<bool> m_excluded;
    std::optional<PriorityLoad> m_adjustedLoad;
};

class EngineImpl final : public Engine {
public:
    EngineImpl(std::shared_ptr<const config::Config> config, Clock& clock, Random& random, Scheduler& scheduler,
               RecordSink* sink);
    ~EngineImpl() override;

    void setConfig(std::shared_ptr<const config::Config> config) override;
    std::shared_ptr<const Snapshot> snapshot() const override { return m_snap; }
    void setSnapshot(std::shared_ptr<const Snapshot> compiled) override;
    std::shared_ptr<const config::Config> config() const override { return m_snap->config; }
    std::shared_ptr<const config::Config> servedConfig() const override { return m_snap->effective; }
    const std::vector<Error>& problems() const override { return m_snap->problems; }
    RouteResult route(const std::string& model, const Headers& headers) const override;
    std::unique_ptr<Request> start(const std::string& model, const Headers& headers, TimePoint now) override;
    bool setEndpointRemoved(const std::string& server, bool removed, TimePoint now) override;
    bool setNameResolves(const std::string& server, bool resolves, TimePoint now) override;
    std::optional<TimePoint> pendingDnsChange(const std::string& server) const override;
    void setDnsRefreshDelay(Duration delay) override { m_dnsRefreshDelay = std::max(delay, Duration::zero()); }
    Duration dnsRefreshDelay() const override { return m_dnsRefreshDelay; }
    std::vector<RouteStatus> routeStatus() const override { return m_snap->status; }
    const EngineCounters& counters() const override { return m_counters; }
    std::vector<HostStatus> hosts() const override;
    std::vector<ClusterStatus> clusters() const override;
    std::vector<std::string> models() const override { return m_snap->table.models(); }
    std::vector<std::string> servers() const override;

private:
    friend class RequestImpl;
    /// Swaps in `snap` (built from m_snap) and brings host and cluster state along.
    void install(std::shared_ptr<const Snapshot> snap);

    struct HostRuntime {
        HostMonitor monitor;
        bool removed = false;
        std::string server;
        std::string cluster;
    };
    struct ClusterRuntime {
        const ClusterSpec* spec = nullptr;  // in m_snap
        std::vector<HostRuntime*> hosts;    // parallel to spec->hosts
        TimePoint epoch{};                  // outlier interval ticks are epoch + k x interval
        TimerId timer = 0;
        bool timerArmed = false;
        bool dirty = true;
        std::vector<PriorityCounts> counts;
        PriorityState state;
        std::vector<std::vector<std::size_t>> localitiesAt;  // per priority: locality indices
        std::vector<std::optional<EdfScheduler>> edf;        // per priority
    };

    /// A picked host (index into spec->hosts), or nullopt.
    std::optional<std::size_t> pickHost(ClusterRuntime& c, RequestImpl& r);
    std::optional<std::size_t> pickHostOnce(ClusterRuntime& c, RequestImpl& r);
    const PriorityLoad& priorityLoadFor(ClusterRuntime& c, RequestImpl& r);
    void refresh(ClusterRuntime& c);
    ClusterRuntime* clusterRuntime(const std::string& name);
    /// The runtime of r's cluster: by index while r runs on the snapshot served, else by name.
    ClusterRuntime* clusterRuntime(const RequestImpl& r);
    /// `hint`: the host as picked (its index is used when it is still in `c`), else found by key.
    void reportOutcome(ClusterRuntime* c, const HostSpec* hint, const std::string& hostKey, const AttemptOutcome& o,
                       UpstreamFailure failure, TimePoint now);
    void onEjectionThreshold(ClusterRuntime& c, std::size_t hostIndex, EjectionType type, TimePoint now);
    void armSweep(ClusterRuntime& c, TimePoint now);
    void onSweep(const std::string& clusterName);
    void emitRecord(const RequestRecord& r);
    void emitHost(HostEvent::Type type, const ClusterRuntime& c, std::size_t hostIndex, TimePoint at,
                  std::string reason, TimePoint until = {}, int ejections = 0);
    void recountGauges();
    /// Removes (or restores) the hosts of `server` in one cluster: its DNS refresh saw the change.
    bool applyDns(ClusterRuntime& c, const std::string& server, bool removed, TimePoint now);
    void onDnsRefresh(const std::string& server, const std::string& cluster);

    /// A DNS change of one server that some clusters have not seen yet.
    struct PendingDns {
        bool resolves = true;
        std::map<std::string, std::pair<TimerId, TimePoint>> clusters;  ///< cluster -> its refresh timer, due
    };

    Clock& m_clock;
    Random& m_random;
    Scheduler& m_scheduler;
    RecordSink* m_sink;
    std::shared_ptr<const Snapshot> m_snap;
    std::unordered_map<std::string, HostRuntime> m_hosts;        // by host key
    std::unordered_map<std::string, ClusterRuntime> m_clusters;  // by cluster name
    std::vector<ClusterRuntime*> m_runtimeOf;  ///< parallel to m_snap->clusters (no name hashing per attempt)
    std::unordered_set<std::string> m_removedServers;  ///< names that do not resolve (hosts removed on refresh)
    std::map<std::string, PendingDns> m_pendingDns;
    Duration m_dnsRefreshDelay = secs(30);
    EngineCounters m_counters;
    std::uint64_t m_nextId = 1;
};

}  // namespace aigw::routing
