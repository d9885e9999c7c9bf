#pragma once
// The server supervisor: the simulator's stand-in for the tutorial's KServe InferenceServices.
// It spawns one child process per model server (aigw-mock-backend or `ollama serve`), captures its
// output, knows its port, and answers the proxy's "DNS" question: where does this Backend hostname
// go now? Lives on the data-plane thread (QProcess needs that thread's event loop).
//
// Stop vs delete, as in a cluster:
//   stop   -> the child is killed, its port stays reserved: connects are refused (RST);
//   delete -> the endpoint is removed: the hostname no longer resolves (Envoy: "no healthy upstream").

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
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "config/model.h"
#include "proxy/gateway_service.h"

namespace aigw::config {
struct Config;
}
namespace aigw::http {
class HttpClient;
}

namespace aigw::proxy {

/// What the config asks for: one server (several Backends may share it through one hostname).
struct ServerSpec {
    QString name;
    ServerMode mode = ServerMode::Mock;
    QStringList hostnames;  ///< Backend endpoint addresses routed to this server
    QStringList backends;   ///< "ns/name" of the Backends
    QStringList models;
    QString externalUrl;    ///< External mode only
    bool operator==(const ServerSpec&) const = default;
};

/// Groups the config's Backends into servers. The name comes from `nameFor` (routing's
/// serverNameFor); Backends with the same endpoint hostname share one server. Mode and models come
/// from the `aigw-sim/...` annotations, else Mock serving the model of the InferenceService the
/// hostname belongs to, else the modelNameOverrides (or virtual names) of the refs that use it.
std::vector<ServerSpec> planServers(const config::Config& config,
                                    const std::function<std::string(const config::Backend&)>& nameFor);

/// Where an attempt to a Backend hostname goes right now.
struct Resolution {
    enum class Kind { Address, NotFound, Blocked } kind = Kind::NotFound;
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
    ~Supervisor() override;  ///< kills every child

    /// Adds new servers, removes vanished ones, keeps (and leaves running) unchanged ones.
    void apply(const std::vector<ServerSpec>& specs);
    Result<bool> stopServer(const QString& name);
    Result<bool> startServer(const QString& name);
    Result<bool> deleteServer(const QString& name);
    Result<bool> reapplyServer(const QString& name);
    /// Sends the fault profile to the mock server's live fault endpoint (and remembers it, so a
    /// restarted server gets it again). `done` receives the outcome on this thread.
    void setFault(const QString& name, const nlohmann::json& profile, std::function<void(Result<bool>)> done);
    void clearFault(const QString& name, std::function<void(Result<bool>)> done);
    /// Kills every child (SIGTERM, then SIGKILL after 2 s) and waits for them.
    void stopAll();

    /// The proxy's name resolution for a Backend endpoint hostname (or IP) and its port.
    Resolution resolve(const std::string& hostname) const;

    std::vector<ServerInfo> infos() const;  ///< thread-safe copy
    QStringList log(const QString& name) const;  ///< thread-safe copy
    bool has(const QString& name) const;

    /// Finds `aigw-mock-backend`: explicit path, next to the application, then PATH.
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
    void killChild(Server& s);
    Server* find(const QString& name);
    const Server* find(const QString& name) const;

    Options m_options;
    http::HttpClient* m_client;
    std::vector<std::unique_ptr<Server>> m_servers;
    mutable std::mutex m_mutex;  ///< guards m_published and m_logs
    std::vector<ServerInfo> m_published;
    std::map<QString, std::deque<QString>> m_logs;
};

}  // namespace aigw::proxy
