#pragma once
// The server supervisor: the simulator's stand-in for the tutorial's KServe InferenceServices.
// It spawns one child process per model server (aigw-mock-backend or `ollama serve`), captures its
// output, knows its port, and answers the proxy's "DNS" question: where does this Backend hostname
// go now? Lives on the data-plane thread (QProcess needs that thread's event loop).
//
// Stop vs delete, as in a cluster:
//   stop   -> the child is killed, its port stays reserved: connects are refused (RST);
//   delete -> the endpoint is removed: the hostname no longer resolves (Envoy: "no healthy upstream").

#include <QCoreApplication>
#include <QHash>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "config/model.h"
#include "proxy/gateway_service.h"

namespace aigw::config {
struct Config;
class ConfigIndex;
}
namespace aigw::http {
class HttpClient;
}

namespace aigw::proxy {

/// What the config asks for: one server (several Backends may share it through one hostname).
/// Two parts: what the server runs (mode, models, external URL), which only a restart can change,
/// and how the gateway reaches it (hostnames, Backends), which is routing and changes in place.
struct ServerSpec {
    QString name;
    ServerMode mode = ServerMode::Mock;
    QStringList hostnames;  ///< Backend endpoint addresses routed to this server
    QStringList backends;   ///< "ns/name" of the Backends
    QStringList models;
    QString externalUrl;    ///< External mode only
    bool operator==(const ServerSpec&) const = default;
    /// True when both describe the same running server: a change of anything else (hostnames,
    /// Backends mapped onto it) is routing, not a new model server, and must not restart it.
    bool runsSameAs(const ServerSpec& o) const {
        return name == o.name && mode == o.mode && models == o.models && externalUrl == o.externalUrl;
    }
};

/// Groups the config's Backends into servers. The name comes from `nameFor` (routing's
/// serverNameFor); Backends with the same endpoint hostname share one server. Mode and models come
/// from the `aigw-sim/...` annotations, else Mock serving the model of the InferenceService the
/// hostname belongs to, else the modelNameOverrides (or virtual names) of the refs that use it.
/// `ix` indexes `config` (one index serves the names and the plan).
std::vector<ServerSpec> planServers(const config::Config& config, const config::ConfigIndex& ix,
                                    const std::function<std::string(const config::Backend&)>& nameFor);
/// planServers named by routing::serverNameFor: what the gateway runs. Pure, linear; any thread.
std::vector<ServerSpec> planServersOf(const config::Config& config);

/// Where an attempt to a Backend hostname goes right now.
struct Resolution {
    /// NotFound: no such name. Blocked: refused at once (a stopped external server). BlackHole: the
    /// connect times out (black-hole fault, or a deleted server whose name has not left DNS yet).
    enum class Kind { Address, NotFound, Blocked, BlackHole } kind = Kind::NotFound;
    QString server;    ///< server name ("" when the hostname belongs to no server)
    std::string host;  ///< Address: connect here
    quint16 port = 0;
};

class Supervisor : public QObject {
    Q_OBJECT
public:
    struct Options {
        QString mockBackendPath;  ///< empty: next to the executable, then PATH
        bool startServers = true;
        QStringList mockArgs;  ///< extra aigw-mock-backend arguments (e.g. --first-token-ms 0)
    };
    Supervisor(Options options, http::HttpClient* client, QObject* parent = nullptr);
    ~Supervisor() override;  ///< killAllNow()

    /// Adds new servers, removes vanished ones, and updates the others in place:
    ///  - same mode, models and URL (runsSameAs): the hostnames and Backends routed to it change,
    ///    the server keeps running (process, port, state, fault);
    ///  - otherwise it is restarted as a rolling update would: the new process starts on a fresh
    ///    port and new attempts resolve there, while the old process keeps serving the requests it
    ///    already has for a grace period before it is terminated (as a removed server's is).
    void apply(const std::vector<ServerSpec>& specs);
    Result<bool> stopServer(const QString& name);
    Result<bool> startServer(const QString& name);
    Result<bool> deleteServer(const QString& name);
    Result<bool> reapplyServer(const QString& name);
    /// Sends the fault profile to the mock server's live fault endpoint (and remembers it, so a
    /// restarted server gets it again). `done` receives the outcome on this thread. The profile
    /// {"blackhole": true} is applied here instead, for any mode: connects time out; a null profile
    /// clears it too.
    void setFault(const QString& name, const nlohmann::json& profile, std::function<void(Result<bool>)> done);
    void clearFault(const QString& name, std::function<void(Result<bool>)> done);
    /// When the gateway's DNS refresh will see this server's delete or re-apply (ms since epoch,
    /// system clock; 0: nothing pending). Shown in the server's state.
    void setDnsChangeAt(const QString& name, qint64 atMs);
    /// Stops every child, retiring ones included, without blocking: SIGTERM now, SIGKILL after
    /// kKillAfterMs for those still running; `done` is called (on this thread, from a process's
    /// `finished`, or at once when none runs) once the last one exited. Destroying the supervisor
    /// from `done` is not allowed: defer it.
    void stopAll(std::function<void()> done);
    /// Shutdown path (destructor, restart): SIGTERM to every child now, without waiting for any. The
    /// application's thread then reaps them, with SIGKILL after kShutdownGraceMs for those still
    /// running (a child also gets SIGKILL when the thread that started it ends). Without a
    /// QCoreApplication nobody could reap them later: then it waits kShutdownGraceMs, SIGKILL, reap.
    void killAllNow();
    /// Children that were told to stop and have not exited yet.
    int dyingCount() const { return static_cast<int>(m_dying.size()); }
    static constexpr int kKillAfterMs = 2000;
    static constexpr int kShutdownGraceMs = 300;
    /// How long a replaced or removed server's old process keeps serving its in-flight requests
    /// before SIGTERM (Kubernetes' default terminationGracePeriodSeconds). Tests may shorten it.
    void setRetireGraceMs(int ms) { m_retireGraceMs = ms; }
    /// Old processes still finishing their requests after a restart or removal.
    int retiringCount() const { return static_cast<int>(m_retiring.size()); }

    /// The proxy's name resolution for a Backend endpoint hostname (or IP) and its port.
    Resolution resolve(const std::string& hostname) const;

    std::vector<ServerInfo> infos() const;  ///< thread-safe copy
    QStringList log(const QString& name) const;  ///< thread-safe copy
    bool has(const QString& name) const;

    /// Finds `aigw-mock-backend`: `explicitPath`, else $AIGW_MOCK_BACKEND, else relative to this
    /// executable (installed: ../lib/aigw-sim/, then beside it, then the build tree: layout::findMockBackend),
    /// else $AIGW_BUILD_DIR/mockbackends, else PATH. Empty when none is found.
    static QString findMockBackend(const QString& explicitPath);

signals:
    void changed();
    void event(const aigw::proxy::ServiceEvent& e);
    /// One line of a child's output (also kept in log()).
    void logLine(const QString& name, const QString& line);

private:
    struct Server;
    void spawn(Server& s);
    void spawnMock(Server& s);
    void spawnOllama(Server& s);
    void pullModels(Server& s, int index);
    void waitUntilReady(Server& s, int attemptsLeft);
    void setState(Server& s, ServerState state, const QString& message = {});
    void appendLog(Server& s, const QString& line);
    QString lastLogLine(const Server& s) const;
    void publish();
    /// Stops the server's process without blocking (terminateProcess); a later spawn of the server
    /// waits for it to exit, since it still holds the port.
    void killChild(Server& s);
    /// SIGTERM now, SIGKILL after kKillAfterMs if it still runs; its `finished` deletes it.
    void terminateProcess(QProcess* p);
    /// Hands a child that was sent SIGTERM to `app`'s thread, which kills and reaps it (killAllNow).
    static void reapLater(QProcess* p, QCoreApplication* app);
    void spawnNow(Server& s);
    void checkAllGone();
    /// Detaches the server's process and lets it finish what it serves: SIGTERM after the grace
    /// period, SIGKILL 2 s later, never blocking this thread.
    void retireChild(Server& s);
    Server* find(const QString& name);
    const Server* find(const QString& name) const;

    Options m_options;
    http::HttpClient* m_client;
    std::vector<std::unique_ptr<Server>> m_servers;
    QHash<QString, Server*> m_byName;                      ///< into m_servers
    std::unordered_map<std::string, Server*> m_byHost;     ///< Backend hostname -> its server (rebuilt by apply)
    bool m_holdPublish = false;                            ///< apply() publishes once, at its end
    std::vector<QProcess*> m_retiring;  ///< owned (children of this), removed when they finish
    std::vector<QProcess*> m_dying;     ///< told to stop (SIGTERM sent), removed when they finish
    std::function<void()> m_allGone;    ///< stopAll's callback, pending until m_dying empties
    int m_retireGraceMs = 30000;
    mutable std::mutex m_mutex;  ///< guards m_published and m_logs
    std::vector<ServerInfo> m_published;
    std::map<QString, std::deque<QString>> m_logs;
};

}  // namespace aigw::proxy
