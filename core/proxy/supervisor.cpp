#include "proxy/supervisor.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QPointer>
#include <QSet>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTcpServer>
#include <QUrl>
#include <QTimer>

#include <algorithm>
#include <csignal>
#include <map>
#include <set>
#include <sys/prctl.h>
#include <unistd.h>
#include <utility>

#include "common/fault_profile.h"
#include "common/install_layout.h"
#include "common/log.h"
#include "common/mock_contract.h"
#include "config/index.h"
#include "config/model.h"
#include "http/http_client.h"
#include "routing/engine.h"

namespace aigw::proxy {
namespace {

constexpr int kLogLines = 2000;
constexpr const char* kFaultPath = "/_mock/fault";  // mockbackends/mock_server.h

qint64 nowMs() { return QDateTime::currentMSecsSinceEpoch(); }

QStringList splitList(const std::string& s) {
    QStringList out;
    for (const auto& part : QString::fromStdString(s).split(',', Qt::SkipEmptyParts))
        if (auto t = part.trimmed(); !t.isEmpty())
            out << t;
    return out;
}

/// A free loopback port, chosen by the kernel. The child binds it a moment later; reserving it
/// up front means the port is known (and refuses connections) before the child is up.
quint16 freePort() {
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

QString describeFault(const nlohmann::json& profile) {
    auto parsed = parseFaultProfile(profile);
    return QString::fromStdString(parsed.ok() ? parsed.value().describe() : profile.dump());
}

std::string annotation(const config::Backend& b, const char* key) {
    auto it = b.meta.annotations.find(key);
    return it == b.meta.annotations.end() ? std::string() : it->second;
}

/// Child side of fork: die with the parent (even on SIGKILL of the app), and close the race where
/// the parent died before prctl ran.
pid_t g_parentPid = 0;
void dieWithParent() {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != g_parentPid)
        ::_exit(1);
}

}  // namespace

std::vector<ServerSpec> planServers(const config::Config& config, const config::ConfigIndex& ix,
                                    const std::function<std::string(const config::Backend&)>& nameFor) {
    std::vector<ServerSpec> out;
    std::map<std::string, std::size_t> byHost;  // endpoint address -> index in out
    for (const auto& b : config.backends) {
        const std::string host = b.endpoints.empty() ? b.meta.name : b.endpoints.front().address;
        const std::string backendId = b.meta.effectiveNamespace() + "/" + b.meta.name;
        auto [it, inserted] = byHost.emplace(host, out.size());
        if (inserted) {
            ServerSpec s;
            s.name = QString::fromStdString(nameFor(b));
            const std::string mode = annotation(b, config::SimSettings::kMode);
            s.mode = mode == "ollama" ? ServerMode::Ollama : mode == "external" ? ServerMode::External : ServerMode::Mock;
            s.externalUrl = QString::fromStdString(annotation(b, config::SimSettings::kUrl));
            s.models = splitList(annotation(b, config::SimSettings::kModels));
            if (s.models.isEmpty())
                if (const auto* isvc = ix.inferenceServiceByHostname(host); isvc && !isvc->model.empty())
                    s.models << QString::fromStdString(isvc->model);
            out.push_back(std::move(s));
        }
        auto& spec = out[it->second];
        if (!spec.hostnames.contains(QString::fromStdString(host)))
            spec.hostnames << QString::fromStdString(host);
        spec.backends << QString::fromStdString(backendId);
    }
    // Servers with no model yet: serve what the routes send them (override, else the virtual name).
    // One pass over the backendRefs collects the models sent to each Backend ("ns/name").
    std::map<std::string, std::set<std::string>> modelsByBackend;
    for (const auto& route : config.routes)
        for (const auto& rule : route.rules)
            for (const auto& ref : rule.backendRefs) {
                const auto* asb = ix.serviceBackend(ref.name, ref.ns.value_or(route.meta.effectiveNamespace()));
                if (!asb)
                    continue;
                const auto* be = ix.backend(asb->backendRef.name, asb->backendRef.ns.value_or(asb->meta.effectiveNamespace()));
                if (!be)
                    continue;
                auto& models = modelsByBackend[be->meta.effectiveNamespace() + "/" + be->meta.name];
                if (ref.modelNameOverride) {
                    models.insert(*ref.modelNameOverride);
                } else {
                    for (const auto& m : rule.matches)
                        for (const auto& h : m.headers)
                            if (h.name == "x-ai-eg-model" && h.effectiveType() == config::HeaderMatchType::Exact)
                                models.insert(h.value);
                }
            }
    for (auto& spec : out) {
        if (!spec.models.isEmpty())
            continue;
        std::set<std::string> models;
        for (const auto& backendId : spec.backends)
            if (auto it = modelsByBackend.find(backendId.toStdString()); it != modelsByBackend.end())
                models.insert(it->second.begin(), it->second.end());
        for (const auto& m : models)
            spec.models << QString::fromStdString(m);
    }
    // Two hostnames may still map to one requested name (aigw-sim/server): merge them.
    std::vector<ServerSpec> merged;
    std::map<QString, std::size_t> byName;  // server name -> index in merged
    for (auto& s : out) {
        const auto [at, first] = byName.emplace(s.name, merged.size());
        if (first) {
            merged.push_back(std::move(s));
            continue;
        }
        auto same = merged.begin() + static_cast<std::ptrdiff_t>(at->second);
        for (const auto& h : s.hostnames)
            if (!same->hostnames.contains(h))
                same->hostnames << h;
        same->backends << s.backends;
        for (const auto& m : s.models)
            if (!same->models.contains(m))
                same->models << m;
    }
    return merged;
}

std::vector<ServerSpec> planServersOf(const config::Config& config) {
    const config::ConfigIndex ix(config);
    return planServers(config, ix, [&ix](const config::Backend& b) { return routing::serverNameFor(ix, b); });
}

struct Supervisor::Server {
    ServerSpec spec;
    ServerState state = ServerState::Stopped;
    quint16 port = 0;
    std::string host = "127.0.0.1";
    QString error;
    double pullProgress = 0.0;
    std::optional<nlohmann::json> fault;
    QProcess* process = nullptr;
    bool deleted = false;
    bool blackHole = false;       ///< packets dropped: connects time out (any mode)
    qint64 dnsChangeAtMs = 0;     ///< when the engine's DNS refresh sees the delete / re-apply (0: none pending)
    bool blocked = false;         ///< External mode "stopped"
    std::uint64_t generation = 0;  ///< bumps on each spawn/kill so stale callbacks are ignored
    QPointer<QProcess> dying;      ///< the previous process, told to stop and not exited yet (holds the port)
    QByteArray partialLine;
    int listenRetries = 0;  ///< mock starts on a new port since its last READY (its port was taken)
};

Supervisor::Supervisor(Options options, http::HttpClient* client, QObject* parent)
    : QObject(parent), m_options(std::move(options)), m_client(client) {}

Supervisor::~Supervisor() { killAllNow(); }

QString Supervisor::findMockBackend(const QString& explicitPath) {
    if (!explicitPath.isEmpty())
        return explicitPath;
    if (const QString env = qEnvironmentVariable("AIGW_MOCK_BACKEND"); !env.isEmpty())
        return env;
    // Relative to this executable: the installed layout first, then the build tree's.
    if (const auto found = layout::findMockBackend(layout::executableDirectory()); !found.empty())
        return QString::fromStdString(found.string());
    if (const QByteArray env = qgetenv("AIGW_BUILD_DIR"); !env.isEmpty()) {
        const QFileInfo fi(QString::fromLocal8Bit(env) + "/mockbackends/aigw-mock-backend");
        if (fi.isExecutable())
            return fi.canonicalFilePath();
    }
    return QStandardPaths::findExecutable(QStringLiteral("aigw-mock-backend"));
}

Supervisor::Server* Supervisor::find(const QString& name) { return m_byName.value(name, nullptr); }

const Supervisor::Server* Supervisor::find(const QString& name) const { return m_byName.value(name, nullptr); }

bool Supervisor::has(const QString& name) const { return find(name) != nullptr; }

void Supervisor::apply(const std::vector<ServerSpec>& specs) {
    // One publish at the end: publishing per server (each copies every server's info) made an
    // apply of 2,000 servers quadratic.
    m_holdPublish = true;
    QSet<QString> wanted;
    wanted.reserve(static_cast<qsizetype>(specs.size()));
    for (const auto& spec : specs)
        wanted.insert(spec.name);
    // Servers gone from the config: their process is retired, not killed, so requests already
    // sent to it still get their answer (as a deleted pod's do during its termination grace).
    for (auto it = m_servers.begin(); it != m_servers.end();) {
        const QString name = (*it)->spec.name;
        if (wanted.contains(name)) {
            ++it;
            continue;
        }
        retireChild(**it);
        {
            std::lock_guard lock(m_mutex);
            m_logs.erase(name);
        }
        m_byName.remove(name);
        it = m_servers.erase(it);
    }
    for (const auto& spec : specs) {
        Server* s = find(spec.name);
        // A mock answers only to the hostnames it was started with (its Host check, --allowed-host):
        // one that gains a hostname needs a new process, as a change of what it runs does.
        const bool gainsHost = s && s->process && spec.mode == ServerMode::Mock &&
                               std::any_of(spec.hostnames.begin(), spec.hostnames.end(),
                                           [&](const QString& h) { return !s->spec.hostnames.contains(h); });
        if (s && s->spec.runsSameAs(spec) && !gainsHost) {
            // Only what is routed to it changed (hostnames, Backends): the same server, untouched.
            s->spec = spec;
            continue;
        }
        if (s) {
            // What it runs changed: a new process on a fresh port takes the new attempts; the old one
            // finishes what it has. The fault (a property of the server, not of a process) is kept
            // for a mock, as across stop/start.
            QStringList what;
            if (s->spec.mode != spec.mode)
                what << QStringLiteral("mode");
            if (s->spec.models != spec.models)
                what << QStringLiteral("models");
            if (s->spec.externalUrl != spec.externalUrl)
                what << QStringLiteral("url");
            if (gainsHost)
                what << QStringLiteral("hostnames");
            log::get("proxy")->info("server {}: {} changed, restarting (in-flight requests finish on the old process)",
                                    spec.name.toStdString(), what.join(QStringLiteral(", ")).toStdString());
            retireChild(*s);
            s->spec = spec;
            s->port = 0;
            s->host = "127.0.0.1";
            s->pullProgress = 0.0;
            if (spec.mode != ServerMode::Mock)
                s->fault.reset();
        } else {
            auto fresh = std::make_unique<Server>();
            fresh->spec = spec;
            s = fresh.get();
            m_byName.insert(spec.name, s);
            m_servers.push_back(std::move(fresh));
        }
        if (m_options.startServers)
            spawn(*s);
        else
            setState(*s, ServerState::Stopped);
    }
    m_byHost.clear();
    for (const auto& srv : m_servers)
        for (const auto& h : srv->spec.hostnames)
            m_byHost.try_emplace(h.toStdString(), srv.get());  // the first server listing it, as before
    m_holdPublish = false;
    publish();
}

void Supervisor::spawn(Server& s) {
    s.error.clear();
    s.deleted = false;
    s.blocked = false;
    ++s.generation;
    if (s.dying && s.dying->state() != QProcess::NotRunning && s.spec.mode != ServerMode::External) {
        // The previous process still holds the port (a server slow to honour SIGTERM): start on the
        // same port once it exited, at most kKillAfterMs from now. Never wait for it here.
        setState(s, ServerState::Starting);
        const auto gen = s.generation;
        const QString name = s.spec.name;
        connect(s.dying.data(), &QProcess::finished, this, [this, name, gen] {
            Server* srv = find(name);
            if (srv && srv->generation == gen)
                spawnNow(*srv);
        });
        return;
    }
    spawnNow(s);
}

void Supervisor::spawnNow(Server& s) {
    switch (s.spec.mode) {
    case ServerMode::Mock:
        spawnMock(s);
        break;
    case ServerMode::Ollama:
        spawnOllama(s);
        break;
    case ServerMode::External: {
        const QUrl url(s.spec.externalUrl);
        if (!url.isValid() || url.host().isEmpty()) {
            s.error = QStringLiteral("external server needs annotation %1 with an http URL, got '%2'")
                          .arg(config::SimSettings::kUrl, s.spec.externalUrl);
            setState(s, ServerState::Failed, s.error);
            return;
        }
        s.host = url.host().toStdString();
        s.port = static_cast<quint16>(url.port(80));
        setState(s, s.fault ? ServerState::Faulted : ServerState::Ready);
        break;
    }
    }
}

void Supervisor::spawnMock(Server& s) {
    const QString exe = findMockBackend(m_options.mockBackendPath);
    if (exe.isEmpty()) {
        s.error = QStringLiteral("aigw-mock-backend not found (AIGW_MOCK_BACKEND, the installed layout, the build tree, PATH)");
        setState(s, ServerState::Failed, s.error);
        return;
    }
    if (s.port == 0)
        s.port = freePort();
    QStringList args{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(s.port), QStringLiteral("--name"),
                     s.spec.name, QStringLiteral("--exit-with-parent")};
    for (const auto& m : s.spec.models)
        args << QStringLiteral("--model") << m;
    // The gateway rewrites Host to the Backend's hostname (as Envoy does): the server answers to
    // those names, and to nothing else beyond its loopback address (no DNS rebinding).
    for (const auto& h : s.spec.hostnames)
        args << QStringLiteral("--allowed-host") << h;
    args << m_options.mockArgs;
    if (s.fault)
        args << QStringLiteral("--fault") << QString::fromStdString(s.fault->dump());
    auto* p = new QProcess(this);
    p->setProgram(exe);
    p->setArguments(args);
    s.process = p;
    s.host = "127.0.0.1";
    const auto gen = s.generation;
    const QString name = s.spec.name;
    p->setChildProcessModifier([] { dieWithParent(); });
    connect(p, &QProcess::readyReadStandardOutput, this, [this, p, name, gen] {
        Server* srv = find(name);
        if (!srv || srv->generation != gen)
            return;
        srv->partialLine += p->readAllStandardOutput();
        qsizetype nl;
        while ((nl = srv->partialLine.indexOf('\n')) >= 0) {
            const QString line = QString::fromUtf8(srv->partialLine.left(nl)).trimmed();
            srv->partialLine.remove(0, nl + 1);
            appendLog(*srv, line);
            if (line.startsWith(QStringLiteral("READY ")) && srv->state == ServerState::Starting) {
                srv->listenRetries = 0;
                const QUrl url(line.mid(6).trimmed());
                if (url.port() > 0)
                    srv->port = static_cast<quint16>(url.port());
                setState(*srv, srv->fault ? ServerState::Faulted : ServerState::Ready);
            }
        }
    });
    connect(p, &QProcess::readyReadStandardError, this, [this, p, name, gen] {
        Server* srv = find(name);
        if (!srv || srv->generation != gen)
            return;
        for (const auto& line : QString::fromUtf8(p->readAllStandardError()).split('\n', Qt::SkipEmptyParts))
            appendLog(*srv, line);
    });
    connect(p, &QProcess::errorOccurred, this, [this, name, gen, exe](QProcess::ProcessError err) {
        Server* srv = find(name);
        if (!srv || srv->generation != gen || err != QProcess::FailedToStart)
            return;
        srv->error = QStringLiteral("could not start %1: %2").arg(exe, srv->process ? srv->process->errorString() : QString());
        setState(*srv, ServerState::Failed, srv->error);
    });
    connect(p, &QProcess::finished, this, [this, name, gen](int code, QProcess::ExitStatus st) {
        Server* srv = find(name);
        if (!srv || srv->generation != gen)
            return;
        srv->process->deleteLater();
        srv->process = nullptr;
        if (st == QProcess::NormalExit && code == kMockExitCannotListen && srv->state == ServerState::Starting &&
            srv->listenRetries < 3) {
            // A server restarts on its old port, but while it was down the kernel may have handed
            // that port to another socket (a busy machine opens thousands). Start it on a new one:
            // the data plane resolves the server's address here for every attempt.
            ++srv->listenRetries;
            appendLog(*srv, QStringLiteral("port %1 is taken; starting on a new port").arg(srv->port));
            srv->port = 0;
            ++srv->generation;
            spawnMock(*srv);
            return;
        }
        srv->error = st == QProcess::CrashExit ? QStringLiteral("server process crashed")
                                               : QStringLiteral("server process exited with code %1").arg(code);
        appendLog(*srv, srv->error);
        setState(*srv, ServerState::Failed, srv->error);
    });
    g_parentPid = ::getpid();
    setState(s, ServerState::Starting);
    p->start();
}

void Supervisor::spawnOllama(Server& s) {
    const QString exe = QStandardPaths::findExecutable(QStringLiteral("ollama"));
    if (exe.isEmpty()) {
        s.error = QStringLiteral("ollama is not installed (no `ollama` on PATH); install it from https://ollama.com "
                                 "or use mode mock");
        setState(s, ServerState::Failed, s.error);
        return;
    }
    if (s.port == 0)
        s.port = freePort();
    s.host = "127.0.0.1";
    auto* p = new QProcess(this);
    p->setProgram(exe);
    p->setArguments({QStringLiteral("serve")});
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("OLLAMA_HOST"), QStringLiteral("127.0.0.1:%1").arg(s.port));
    p->setProcessEnvironment(env);
    p->setProcessChannelMode(QProcess::MergedChannels);
    p->setChildProcessModifier([] { dieWithParent(); });
    s.process = p;
    const auto gen = s.generation;
    const QString name = s.spec.name;
    connect(p, &QProcess::readyReadStandardOutput, this, [this, p, name, gen] {
        Server* srv = find(name);
        if (!srv || srv->generation != gen)
            return;
        for (const auto& line : QString::fromUtf8(p->readAllStandardOutput()).split('\n', Qt::SkipEmptyParts))
            appendLog(*srv, line);
    });
    connect(p, &QProcess::finished, this, [this, name, gen](int code, QProcess::ExitStatus) {
        Server* srv = find(name);
        if (!srv || srv->generation != gen)
            return;
        // Ollama says why it quit (port in use, bad OLLAMA_HOST...) on its last line: show it.
        for (const auto& line : QString::fromUtf8(srv->process->readAllStandardOutput()).split('\n', Qt::SkipEmptyParts))
            appendLog(*srv, line);
        srv->process->deleteLater();
        srv->process = nullptr;
        srv->error = QStringLiteral("ollama serve exited with code %1").arg(code);
        if (const QString last = lastLogLine(*srv); !last.isEmpty())
            srv->error += QStringLiteral(": ") + last;
        setState(*srv, ServerState::Failed, srv->error);
    });
    g_parentPid = ::getpid();
    setState(s, ServerState::Starting);
    p->start();
    waitUntilReady(s, 150);
}

void Supervisor::waitUntilReady(Server& s, int attemptsLeft) {
    const QString name = s.spec.name;
    const auto gen = s.generation;
    http::ClientRequest req;
    req.host = s.host;
    req.port = s.port;
    req.target = "/api/version";
    req.connectTimeoutMs = 1000;
    req.tryTimeoutMs = 2000;
    m_client->fetch(req, [this, name, gen, attemptsLeft](http::FetchOutcome outcome) {
        Server* srv = find(name);
        if (!srv || srv->generation != gen || srv->state != ServerState::Starting)
            return;
        if (std::holds_alternative<http::FullResponse>(outcome) && std::get<http::FullResponse>(outcome).head.status == 200) {
            srv->pullProgress = 0.0;
            setState(*srv, ServerState::Pulling);
            pullModels(*srv, 0);
            return;
        }
        if (attemptsLeft <= 0) {
            srv->error = QStringLiteral("ollama serve did not answer /api/version within 30 s");
            killChild(*srv);
            setState(*srv, ServerState::Failed, srv->error);
            return;
        }
        QTimer::singleShot(200, this, [this, name, gen, attemptsLeft] {
            Server* again = find(name);
            if (again && again->generation == gen)
                waitUntilReady(*again, attemptsLeft - 1);
        });
    });
}

void Supervisor::pullModels(Server& s, int index) {
    if (index >= s.spec.models.size()) {
        s.pullProgress = 1.0;
        setState(s, ServerState::Ready);
        return;
    }
    const QString name = s.spec.name;
    const auto gen = s.generation;
    http::ClientRequest req;
    req.method = "POST";
    req.host = s.host;
    req.port = s.port;
    req.target = "/api/pull";
    req.headers.add("content-type", "application/json");
    req.body = QByteArray::fromStdString(nlohmann::json{{"model", s.spec.models[index].toStdString()}, {"stream", true}}.dump());
    req.connectTimeoutMs = 2000;
    req.idleTimeoutMs = 120000;
    auto buffer = std::make_shared<QByteArray>();
    auto failedMsg = std::make_shared<QString>();
    const int count = static_cast<int>(s.spec.models.size());
    http::ResponseCallbacks cb;
    cb.onHeaders = [failedMsg](const http::ResponseHead& head) {
        if (head.status != 200)
            *failedMsg = QStringLiteral("/api/pull answered %1").arg(head.status);
    };
    cb.onData = [this, name, gen, buffer, failedMsg, index, count](const QByteArray& data) {
        Server* srv = find(name);
        if (!srv || srv->generation != gen)
            return;
        buffer->append(data);
        qsizetype nl;
        while ((nl = buffer->indexOf('\n')) >= 0) {
            const auto line = buffer->left(nl);
            buffer->remove(0, nl + 1);
            const auto j = nlohmann::json::parse(line.constData(), line.constData() + line.size(), nullptr, false);
            if (j.is_discarded() || !j.is_object())
                continue;
            if (j.contains("error"))
                *failedMsg = QString::fromStdString(j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump());
            appendLog(*srv, QStringLiteral("pull %1: %2").arg(srv->spec.models[index], QString::fromUtf8(line)));
            if (j.contains("total") && j.contains("completed") && j["total"].is_number() && j["completed"].is_number()) {
                const double total = j["total"].get<double>();
                const double done = j["completed"].get<double>();
                if (total > 0) {
                    srv->pullProgress = (index + done / total) / count;
                    publish();
                }
            }
        }
    };
    cb.onComplete = [this, name, gen, failedMsg, index] {
        Server* srv = find(name);
        if (!srv || srv->generation != gen)
            return;
        if (!failedMsg->isEmpty()) {
            srv->error = QStringLiteral("pulling %1 failed: %2").arg(srv->spec.models[index], *failedMsg);
            setState(*srv, ServerState::Failed, srv->error);
            return;
        }
        pullModels(*srv, index + 1);
    };
    cb.onError = [this, name, gen, index](const http::ClientError& e) {
        Server* srv = find(name);
        if (!srv || srv->generation != gen)
            return;
        srv->error = QStringLiteral("pulling %1 failed: %2").arg(srv->spec.models[index], QString::fromStdString(e.message));
        setState(*srv, ServerState::Failed, srv->error);
    };
    m_client->send(std::move(req), std::move(cb));
}

void Supervisor::killChild(Server& s) {
    ++s.generation;
    if (!s.process)
        return;
    QProcess* p = s.process;
    s.process = nullptr;
    s.dying = p;
    appendLog(s, QStringLiteral("[aigw-sim] server process stopped"));
    terminateProcess(p);
}

void Supervisor::terminateProcess(QProcess* p) {
    p->disconnect(this);
    if (p->state() == QProcess::NotRunning) {
        p->deleteLater();
        return;
    }
    // Keep reading its output: a full pipe must not keep it from exiting.
    connect(p, &QProcess::readyReadStandardOutput, p, [p] { p->readAllStandardOutput(); });
    connect(p, &QProcess::readyReadStandardError, p, [p] { p->readAllStandardError(); });
    connect(p, &QProcess::finished, this, [this, p] {
        std::erase(m_dying, p);
        p->deleteLater();
        checkAllGone();
    });
    m_dying.push_back(p);
    p->terminate();
    // Parented to the process: gone with it when it exits first.
    QTimer::singleShot(kKillAfterMs, p, [p] {
        if (p->state() != QProcess::NotRunning) {
            log::get("proxy")->warn("server process {} still running {} ms after SIGTERM (ignoring it, or draining a request "
                                    "that does not end): SIGKILL", p->processId(), kKillAfterMs);
            p->kill();
        }
    });
}

void Supervisor::checkAllGone() {
    if (m_dying.empty() && m_allGone)
        std::exchange(m_allGone, {})();
}

void Supervisor::retireChild(Server& s) {
    ++s.generation;  // callbacks of the old process and of its readiness checks are now stale
    if (!s.process)
        return;
    QProcess* p = s.process;
    s.process = nullptr;
    p->disconnect(this);
    // Keep reading its output: a full pipe would stall the very requests it is finishing.
    connect(p, &QProcess::readyReadStandardOutput, p, [p] { p->readAllStandardOutput(); });
    connect(p, &QProcess::readyReadStandardError, p, [p] { p->readAllStandardError(); });
    connect(p, &QProcess::finished, this, [this, p] {
        std::erase(m_retiring, p);
        p->deleteLater();
    });
    m_retiring.push_back(p);
    appendLog(s, QStringLiteral("[aigw-sim] previous server process (pid %1) retiring: it finishes its in-flight "
                                "requests, then gets SIGTERM after %2 s")
                     .arg(p->processId())
                     .arg(m_retireGraceMs / 1000.0));
    // Timers parented to the process: they die with it if it exits (or is reaped by stopAll) first.
    QTimer::singleShot(m_retireGraceMs, p, [p] {
        p->terminate();
        QTimer::singleShot(2000, p, [p] { p->kill(); });
    });
}

Result<bool> Supervisor::stopServer(const QString& name) {
    Server* s = find(name);
    if (!s)
        return Error{{}, "no server named '" + name.toStdString() + "'"};
    killChild(*s);
    if (s->spec.mode == ServerMode::External)
        s->blocked = true;
    setState(*s, ServerState::Stopped);
    return true;
}

Result<bool> Supervisor::startServer(const QString& name) {
    Server* s = find(name);
    if (!s)
        return Error{{}, "no server named '" + name.toStdString() + "'"};
    if (s->process && (s->state == ServerState::Ready || s->state == ServerState::Faulted ||
                       s->state == ServerState::Starting || s->state == ServerState::Pulling))
        return true;
    killChild(*s);
    spawn(*s);
    return true;
}

Result<bool> Supervisor::deleteServer(const QString& name) {
    Server* s = find(name);
    if (!s)
        return Error{{}, "no server named '" + name.toStdString() + "'"};
    killChild(*s);
    s->deleted = true;
    setState(*s, ServerState::Deleted);
    return true;
}

void Supervisor::setDnsChangeAt(const QString& name, qint64 atMs) {
    if (Server* s = find(name); s && s->dnsChangeAtMs != atMs) {
        s->dnsChangeAtMs = atMs;
        publish();
    }
}

Result<bool> Supervisor::reapplyServer(const QString& name) {
    Server* s = find(name);
    if (!s)
        return Error{{}, "no server named '" + name.toStdString() + "'"};
    killChild(*s);
    spawn(*s);
    return true;
}

void Supervisor::setFault(const QString& name, const nlohmann::json& profile, std::function<void(Result<bool>)> done) {
    Server* s = find(name);
    if (!s)
        return done(Error{{}, "no server named '" + name.toStdString() + "'"});
    const bool wantBlackHole = profile.is_object() && profile.value("blackhole", false) == true;
    if (wantBlackHole && profile.size() != 1)
        return done(Error{{}, "invalid fault profile: \"blackhole\" takes no other fields"});
    if (wantBlackHole || (profile.is_null() && s->blackHole)) {
        // Emulated at the gateway's upstream connection layer: connects to the server neither succeed
        // nor get refused, so every mode (mock, ollama, external) can be black-holed.
        s->blackHole = wantBlackHole;
        emit event(ServiceEvent{ServiceEvent::Kind::ServerFault, name, s->state,
                                wantBlackHole ? QStringLiteral("black hole (connects time out)") : QString(), nowMs()});
        if (wantBlackHole || !s->fault) {
            publish();
            return done(true);
        }
    }
    if (!profile.is_null())
        if (auto parsed = parseFaultProfile(profile); !parsed.ok())
            return done(Error{{}, "invalid fault profile: " + parsed.error().message});
    if (s->spec.mode != ServerMode::Mock)
        return done(Error{{}, "faults can only be set on mock servers; '" + name.toStdString() + "' is " + nameOf(s->spec.mode)});
    const bool clearing = profile.is_null();
    auto applyLocal = [this, name, profile, clearing] {
        Server* srv = find(name);
        if (!srv)
            return;
        if (clearing)
            srv->fault.reset();
        else
            srv->fault = profile;
        const QString summary = clearing ? QString() : describeFault(profile);
        emit event(ServiceEvent{ServiceEvent::Kind::ServerFault, name, srv->state, summary, nowMs()});
        if (srv->state == ServerState::Ready || srv->state == ServerState::Faulted)
            setState(*srv, clearing ? ServerState::Ready : ServerState::Faulted);
        else
            publish();
    };
    if (!s->process || (s->state != ServerState::Ready && s->state != ServerState::Faulted)) {
        // Not running: remembered and passed at the next start.
        applyLocal();
        return done(true);
    }
    http::ClientRequest req;
    req.method = clearing ? "DELETE" : "POST";
    req.host = s->host;
    req.port = s->port;
    req.target = kFaultPath;
    if (!clearing) {
        req.headers.add("content-type", "application/json");
        req.body = QByteArray::fromStdString(profile.dump());
    }
    req.connectTimeoutMs = 2000;
    req.tryTimeoutMs = 5000;
    m_client->fetch(std::move(req), [applyLocal, done, name](http::FetchOutcome outcome) {
        if (auto* err = std::get_if<http::ClientError>(&outcome))
            return done(Error{{}, "fault endpoint of '" + name.toStdString() + "' failed: " + err->message});
        const auto& r = std::get<http::FullResponse>(outcome);
        if (r.head.status / 100 != 2)
            return done(Error{{}, "fault endpoint of '" + name.toStdString() + "' answered " + std::to_string(r.head.status) +
                                      ": " + r.body.toStdString()});
        applyLocal();
        done(true);
    });
}

void Supervisor::clearFault(const QString& name, std::function<void(Result<bool>)> done) {
    setFault(name, nlohmann::json(), std::move(done));
}

void Supervisor::stopAll(std::function<void()> done) {
    for (auto& s : m_servers)
        killChild(*s);
    for (QProcess* p : std::exchange(m_retiring, {}))
        terminateProcess(p);
    m_allGone = std::move(done);
    checkAllGone();
}

void Supervisor::killAllNow() {
    m_allGone = nullptr;
    std::vector<QProcess*> all = std::exchange(m_dying, {});
    for (QProcess* p : std::exchange(m_retiring, {}))
        all.push_back(p);
    for (auto& s : m_servers) {
        ++s->generation;
        if (s->process)
            all.push_back(std::exchange(s->process, nullptr));
    }
    QCoreApplication* app = QCoreApplication::instance();
    for (QProcess* p : all) {
        p->disconnect(this);
        if (p->state() == QProcess::NotRunning) {
            delete p;
            continue;
        }
        p->terminate();
        if (!app) {
            // No event loop will ever reap it: the bounded wait is the only way left.
            if (!p->waitForFinished(kShutdownGraceMs)) {
                p->kill();  // SIGKILL: the kernel ends it at once; the wait only reaps it
                p->waitForFinished(1000);
            }
            delete p;
            continue;
        }
        reapLater(p, app);
    }
}

void Supervisor::reapLater(QProcess* p, QCoreApplication* app) {
    // Never wait here: this runs on the data plane, and through ~GatewayService with the GUI thread
    // waiting for it. The application's thread (it outlives this supervisor and the data-plane
    // thread) sends SIGKILL after the grace and reaps the child once it exited. When the thread that
    // started the child ends first, the child gets SIGKILL from the kernel (PR_SET_PDEATHSIG above).
    connect(p, &QProcess::readyReadStandardOutput, p, [p] { p->readAllStandardOutput(); });
    connect(p, &QProcess::readyReadStandardError, p, [p] { p->readAllStandardError(); });
    p->setParent(nullptr);
    p->moveToThread(app->thread());
    QMetaObject::invokeMethod(
        app,
        [p, app] {
            if (p->state() == QProcess::NotRunning) {
                p->deleteLater();
                return;
            }
            p->setParent(app);  // at the latest, gone with the application
            QObject::connect(p, &QProcess::finished, p, &QObject::deleteLater);
            QTimer::singleShot(kShutdownGraceMs, p, [p] {
                if (p->state() != QProcess::NotRunning)
                    p->kill();
            });
        },
        Qt::QueuedConnection);
}

Resolution Supervisor::resolve(const std::string& hostname) const {
    // Per attempt: a lookup, not a walk over every server's hostnames.
    if (const auto it = m_byHost.find(hostname); it != m_byHost.end()) {
        const Server* s = it->second;
        Resolution r;
        r.server = s->spec.name;
        if (s->deleted || s->blackHole) {
            // A deleted server's name still resolves to its old address until the DNS refresh
            // removes the host; packets to it are dropped, as to a black-holed host.
            r.kind = Resolution::Kind::BlackHole;
            return r;
        }
        // A stopped server whose process has not exited yet refuses connections as a stopped one does.
        if (s->blocked || s->port == 0 || (!s->process && s->dying && s->dying->state() != QProcess::NotRunning)) {
            r.kind = Resolution::Kind::Blocked;
            return r;
        }
        r.kind = Resolution::Kind::Address;
        r.host = s->host;
        r.port = s->port;
        return r;
    }
    return {};
}

void Supervisor::setState(Server& s, ServerState state, const QString& message) {
    const bool changedState = s.state != state;
    s.state = state;
    if (changedState) {
        emit event(ServiceEvent{ServiceEvent::Kind::ServerStateChanged, s.spec.name, state, message, nowMs()});
        log::get("proxy")->info("server {}: {}{}{}", s.spec.name.toStdString(), nameOf(state),
                                message.isEmpty() ? "" : " - ", message.toStdString());
    }
    publish();
}

void Supervisor::appendLog(Server& s, const QString& line) {
    {
        std::lock_guard lock(m_mutex);
        auto& q = m_logs[s.spec.name];
        q.push_back(line);
        while (q.size() > kLogLines)
            q.pop_front();
    }
    emit logLine(s.spec.name, line);
}

QString Supervisor::lastLogLine(const Server& s) const {
    std::lock_guard lock(m_mutex);
    const auto it = m_logs.find(s.spec.name);
    return it == m_logs.end() || it->second.empty() ? QString() : it->second.back().trimmed();
}

void Supervisor::publish() {
    if (m_holdPublish)
        return;
    std::vector<ServerInfo> infos;
    infos.reserve(m_servers.size());
    for (const auto& s : m_servers) {
        ServerInfo i;
        i.name = s->spec.name;
        i.mode = s->spec.mode;
        i.port = s->port;
        i.url = s->port ? QStringLiteral("http://%1:%2").arg(QString::fromStdString(s->host)).arg(s->port) : QString();
        i.hostname = s->spec.hostnames.value(0);
        i.backends = s->spec.backends;
        i.models = s->spec.models;
        i.state = s->state;
        i.pullProgress = s->pullProgress;
        i.faultSummary = s->blackHole ? QStringLiteral("black hole (connects time out)")
                         : s->fault   ? describeFault(*s->fault)
                                      : QString();
        i.blackHole = s->blackHole;
        i.dnsChangeAtMs = s->dnsChangeAtMs;
        i.error = s->error;
        i.pid = s->process ? s->process->processId() : 0;
        infos.push_back(std::move(i));
    }
    {
        std::lock_guard lock(m_mutex);
        m_published = std::move(infos);
    }
    emit changed();
}

std::vector<ServerInfo> Supervisor::infos() const {
    std::lock_guard lock(m_mutex);
    return m_published;
}

QStringList Supervisor::log(const QString& name) const {
    std::lock_guard lock(m_mutex);
    QStringList out;
    if (auto it = m_logs.find(name); it != m_logs.end())
        for (const auto& l : it->second)
            out << l;
    return out;
}

}  // namespace aigw::proxy
