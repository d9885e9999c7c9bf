#pragma once
// GatewayService: the embedding API of the data plane (the simulator's stand-in for Envoy + the AI
// Gateway ext_proc + the tutorial's KServe model servers).
//
// Threads. A GatewayService is created on the GUI (or main) thread and owns one data-plane QThread
// (std::unique_ptr, quit + wait on destruction, like qBittorrent's workers). Everything that touches
// sockets lives on that thread with its own event loop: the proxy listener and its connections, the
// upstream keep-alive pools, the routing engine's per-request state, the server supervisor (child
// processes) and the admin API. The GUI thread never blocks on it:
//   - commands (start, stop, stopServer, setFault, applyConfig, ...) are queued calls; they return at
//     once and take effect on the data-plane thread in call order;
//   - reads (servers(), config(), stats(), drain(), serverLog()) copy from mutex-guarded snapshots
//     that the data-plane thread publishes; they never wait for the event loop;
//   - outcomes come back as Qt signals (queued to the receiver's thread).
//
// Config. A configuration is an immutable snapshot (shared_ptr<const Config>). applyConfig() and
// editBackendRef() build a new snapshot and swap it in between requests: a request keeps the snapshot
// it started with for all its attempts, the next request sees the new one.
//
// Records. Every finished client request yields one routing::RequestRecord (with its attempts), every
// host state change one routing::HostEvent, and every server/config change one ServiceEvent. They go
// through a RecordSink on the data-plane thread into bounded buffers; the UI drains them in batches
// on a timer (drain()). When a buffer is full the oldest entries are dropped and counted.
//
// The same service backs `aigw-sim --headless`; the admin API is a thin JSON layer over these calls.

#include <QObject>
#include <QString>
#include <QStringList>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

class QThread;

namespace aigw::config {
struct Config;
}

namespace aigw::routing {
struct RequestRecord;
struct HostEvent;
}  // namespace aigw::routing

namespace aigw::proxy {

class DataPlane;
struct SharedState;

/// How a model server is provided. Chosen per Backend by the `aigw-sim/mode` annotation
/// (config::SimSettings), else Mock with the model of the InferenceService whose predictor hostname
/// the Backend points at.
enum class ServerMode {
    Mock,      ///< an `aigw-mock-backend` child process on a free loopback port
    Ollama,    ///< an `ollama serve` child (OLLAMA_HOST on a free port); the model is pulled first
    External,  ///< a URL given by `aigw-sim/url`; never spawned, stop/start only block/unblock it
};

enum class ServerState {
    Starting,  ///< spawned, not yet answering
    Pulling,   ///< ollama only: /api/pull in progress (see ServerInfo::pullProgress)
    Ready,     ///< answering requests
    Stopped,   ///< the child was stopped: its port refuses connections ("connection refused")
    Deleted,   ///< `kubectl delete inferenceservice`: the pod is gone and its name stops resolving at
               ///< the gateway's next DNS refresh (until then connects time out), distinct from Stopped
    Faulted,   ///< ready, with a fault profile applied (see ServerInfo::faultSummary)
    Failed,    ///< could not start (binary missing, ollama not installed, crashed); see error
};

const char* nameOf(ServerMode mode);  ///< "mock", "ollama", "external"
const char* nameOf(ServerState state);  ///< "starting", "pulling", "ready", "stopped", ...

/// One model server as the supervisor sees it (a value; copy freely).
struct ServerInfo {
    QString name;                 ///< routing's serverNameFor(), e.g. "qwen-primary"
    ServerMode mode = ServerMode::Mock;
    QString url;                  ///< "http://127.0.0.1:41234" (empty until a port is known)
    quint16 port = 0;
    QString hostname;             ///< the Backend's endpoint hostname (shared by its Backends)
    QStringList backends;         ///< the Backends (ns/name) that point at this server
    QStringList models;           ///< models the server serves
    ServerState state = ServerState::Starting;
    double pullProgress = 0.0;    ///< 0..1 while Pulling
    QString faultSummary;         ///< "" when no fault; else e.g. "status 503 rate 0.5"
    bool blackHole = false;       ///< connects time out (the black-hole fault)
    /// Deleted (or re-applied after a delete) and the gateway's DNS refresh has not seen it yet: when it
    /// will (ms since epoch, system clock); 0 when nothing is pending.
    qint64 dnsChangeAtMs = 0;
    QString error;                ///< why it is Failed (e.g. "ollama is not installed (not on PATH)")
    qint64 pid = 0;               ///< child process id, 0 when none
    /// Outlier ejection per route rule this server is a host of: key "ns/route/rule/N",
    /// value = milliseconds since epoch (system clock) until which it is ejected.
    std::map<QString, qint64> ejectedUntilMsByRule;
};

/// Server, config and lifecycle events for the UI's event log (values).
struct ServiceEvent {
    enum class Kind {
        ServerStateChanged,  ///< name, state, message
        ServerFault,         ///< name, message = fault summary ("" when cleared)
        ConfigApplied,       ///< message = short summary
        ConfigRejected,      ///< message = the errors, one per line
        BackendRefEdited,    ///< name = "route/rule/ref", message = what changed
        Error,               ///< anything else worth showing (message)
    };
    Kind kind = Kind::Error;
    QString name;
    ServerState state = ServerState::Starting;
    QString message;
    qint64 timeMs = 0;  ///< milliseconds since epoch (system clock)
};

/// A rolling view of the proxy's traffic (last 10 seconds unless noted).
struct StatsSnapshot {
    double requestsPerSecond = 0.0;
    double errorRate = 0.0;  ///< share of client responses with status >= 500 (0..1)
    /// Client-side latency (request parsed -> response finished), from a histogram with 8 buckets
    /// per doubling: the middle of the bucket the percentile falls in (proxy/latency_window.h).
    double p50Ms = 0.0;
    double p99Ms = 0.0;
    std::uint64_t totalRequests = 0;  ///< since start
    std::uint64_t totalErrors = 0;    ///< since start, status >= 500
    int inFlight = 0;
    std::uint64_t droppedRecords = 0;  ///< records dropped because the UI did not drain in time
};

class GatewayService : public QObject {
    Q_OBJECT
public:
    struct Options {
        QString listenHost = QStringLiteral("127.0.0.1");
        quint16 proxyPort = 8080;  ///< 0 picks a free port (see ready())
        quint16 adminPort = 9901;  ///< 0 picks a free port
        /// Admin listener address; empty = listenHost. Non-loopback also needs allowRemote.
        QString adminHost;
        /// Binding a non-loopback listenHost is refused unless this is true (`--allow-remote`); it also
        /// lets the proxy answer requests whatever their `Host` header names (the admin API too when
        /// it binds a non-loopback address).
        bool allowRemote = false;
        /// Extra names the proxy and the admin API answer to (`--allowed-host`, "name" or "name:port"),
        /// besides their listen address, localhost, 127.0.0.1 and [::1] (http/access.h).
        QStringList allowedHosts;
        /// Bearer token every admin request must carry (`Authorization: Bearer TOKEN`); empty = none,
        /// except that binding the admin API to a non-loopback address generates one (adminToken()).
        QString adminToken;
        /// Browser origins allowed to call the proxy (`--cors-origin`): their preflights are answered
        /// and responses carry Access-Control-Allow-Origin. Other cross-origin requests get 403.
        QStringList corsOrigins;
        /// Simulator-only response headers `x-aigw-backend` and `x-aigw-attempts`.
        bool debugHeaders = true;
        /// Spawn the model servers of the config (false: only the proxy; all servers show Stopped).
        bool startServers = true;
        /// Where `aigw-mock-backend` is; empty = next to the running executable, then PATH.
        QString mockBackendPath;
        /// Extra arguments for every spawned aigw-mock-backend (e.g. {"--first-token-ms","0"}).
        QStringList mockBackendArgs;
        /// Upper bound on each drain buffer (oldest dropped beyond it).
        int recordBufferLimit = 20000;
        /// Hand request records to drain() (the desktop app reads them). False when nobody does
        /// (headless): records are then kept only for GET /requests, one copy of each less.
        bool drainRecords = true;
        /// How many of the newest request records GET /requests keeps (`--recent-requests`); 0 keeps
        /// none. Each record holds up to 16 KiB of each body, and a record written into the ring
        /// lands on memory last touched that many requests earlier: 1,000 records of the proxy
        /// benchmark's requests (~1.2 KiB each) did not stay in a core's 1 MiB L2 cache, and
        /// callgrind's cache model of it counted ~15 more misses per proxied request than at 256.
        std::size_t recentRequests = 256;
        /// How long a deleted server's name keeps resolving (and a re-applied one stays unresolved)
        /// before the gateway's DNS refresh sees it: Envoy Gateway's dns_refresh_rate, 30s. A
        /// BackendTrafficPolicy dns.dnsRefreshRate wins for its routes. 0: at once.
        std::chrono::milliseconds dnsRefreshDelay{30000};
        /// Busy polling of the data-plane thread (`--busy-poll-us`): before it would sleep, it polls
        /// the sockets this long without sleeping (common/epoll_dispatcher.h). It takes a sleep and a
        /// wake-up off each of a request's two arrivals when the next one is that close, for CPU time:
        /// at most one window per idle gap. 0 turns it off.
        std::chrono::microseconds busyPoll{50};
    };

    explicit GatewayService(QObject* parent = nullptr);
    /// Stops like stop() would, without waiting for draining: in-flight requests are cut, children
    /// get SIGTERM and are left to the application's thread, which sends SIGKILL after a short grace
    /// (Supervisor::kShutdownGraceMs) and reaps them; the data-plane thread quits and is joined.
    /// Never waits for a child.
    ~GatewayService() override;
    GatewayService(const GatewayService&) = delete;
    GatewayService& operator=(const GatewayService&) = delete;

    // ---- lifecycle (queued; outcome via ready() / failed()) ----

    /// Binds the proxy and admin listeners, spawns the servers and starts serving `config`.
    /// Emits ready() once both listeners are bound (servers may still be starting; watch
    /// serversChanged()), or failed() with a readable reason (address in use, non-loopback address
    /// without allowRemote, ...). Calling start() while running restarts with the new arguments.
    void start(const config::Config& config, const Options& options);
    /// Stops accepting, lets in-flight requests finish (bounded by their request timeout), stops the
    /// child servers, then emits stopped(). Safe to call when not running.
    void stop();
    bool isRunning() const;

    // ---- queued commands (safe from any thread; applied on the data-plane thread in order) ----

    /// The server's child process is stopped: its port then refuses connections.
    void stopServer(const QString& name);
    /// Starts a stopped, deleted or failed server again (on the same port when still free).
    void startServer(const QString& name);
    /// Endpoint removed, as `kubectl delete inferenceservice`: the child is stopped and the host name
    /// no longer resolves, so attempts fail with "host not found" (not "connection refused").
    void deleteServer(const QString& name);
    /// Re-creates a deleted server (`kubectl apply` of the InferenceService again).
    void reapplyServer(const QString& name);
    /// Applies a fault profile live. `profile` is the mock server's fault profile JSON (the format of
    /// aigw-mock-backend's fault endpoint, e.g. {"status":503,"errorRate":0.5}). Mock servers only;
    /// others report an Error event.
    void setFault(const QString& name, const nlohmann::json& profile);
    /// Changes the DNS refresh delay of the running gateway (Options::dnsRefreshDelay) for the next
    /// delete or re-apply; a change already pending keeps its time.
    void setDnsRefreshDelay(std::chrono::milliseconds delay);
    void clearFault(const QString& name);
    /// Live edit of one backendRef (route = "ns/name" or "name"); unset optionals keep their value.
    /// An empty modelNameOverride removes the override. Applies from the next request on.
    void editBackendRef(const QString& route, int ruleIndex, int refIndex,
                        std::optional<std::int64_t> weight, std::optional<std::int64_t> priority,
                        std::optional<QString> modelNameOverride);
    /// Swaps the configuration between requests (in-flight requests finish on the old snapshot).
    /// Servers that appear are spawned, servers that disappear are stopped, others are kept.
    void applyConfig(const config::Config& config);

    // ---- thread-safe reads (copies; never block on the data-plane thread) ----

    std::vector<ServerInfo> servers() const;
    /// The current snapshot (immutable; shared, not deep-copied: its documents' YAML trees are shared).
    std::shared_ptr<const config::Config> config() const;
    StatsSnapshot stats() const;
    /// Captured stdout/stderr of a server's child process (last 2,000 lines).
    QStringList serverLog(const QString& name) const;
    /// "http://127.0.0.1:8080" once ready, else empty.
    QString proxyUrl() const;
    QString adminUrl() const;
    /// The admin API's bearer token once ready (Options::adminToken, or the generated one); empty when
    /// none is required.
    QString adminToken() const;

    /// Moves out everything recorded since the last drain (each argument is appended to). Any pointer
    /// may be null to discard that kind. Cheap: swaps buffers under a mutex.
    void drain(std::vector<routing::RequestRecord>* requests, std::vector<routing::HostEvent>* hosts,
               std::vector<ServiceEvent>* events);

signals:
    void ready(const QString& proxyUrl, const QString& adminUrl);
    void failed(const QString& error);
    /// stop() finished: listeners closed, in-flight requests done, children stopped.
    void stopped();
    /// A server's state, fault, pull progress or pid changed (coalesced; read servers()).
    void serversChanged();
    /// A new config snapshot is active (applyConfig, editBackendRef, POST /config).
    void configChanged();
    /// New records are waiting in drain() (emitted at most every 50 ms).
    void recordsAvailable();

private:
    friend class DataPlane;
    std::unique_ptr<QThread> m_thread;
    DataPlane* m_plane = nullptr;  ///< lives on m_thread; deleted there when the thread finishes
    std::shared_ptr<SharedState> m_shared;  ///< what the reads copy from (mutex-guarded)
};

}  // namespace aigw::proxy
