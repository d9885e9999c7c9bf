#include "proxy/data_plane.h"

#include <QDateTime>
#include <QHostAddress>
#include <QFutureWatcher>
#include <QPromise>
#include <QRandomGenerator>
#include <QThread>
#include <QThreadPool>
#include <QTimer>

#include <malloc.h>

#include "common/epoll_dispatcher.h"
#include "common/log.h"

// gperftools' tcmalloc (<gperftools/malloc_extension_c.h>), weak: null unless the executable links it.
extern "C" void MallocExtension_ReleaseFreeMemory() __attribute__((weak));

namespace aigw::proxy {
namespace {

qint64 nowMs() { return QDateTime::currentMSecsSinceEpoch(); }

bool isLoopback(const QString& host) {
    if (host == QStringLiteral("localhost"))
        return true;
    const QHostAddress a(host);
    return !a.isNull() && a.isLoopback();
}

/// Appends, dropping the oldest half first when the buffer is full: amortised O(1) per item, and
/// the UI keeps the newest. With `graveyard`, the dropped items are handed over instead of being
/// destroyed here (see DataPlane::m_graveyard).
template <typename T>
void pushBounded(std::vector<T>& v, T item, int limit, std::uint64_t& dropped, std::vector<T>* graveyard = nullptr) {
    if (static_cast<int>(v.size()) >= limit) {
        const auto n = static_cast<std::ptrdiff_t>(v.size() / 2);
        if (graveyard)  // moves only: the erase below then shifts and destroys empty shells
            graveyard->insert(graveyard->end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.begin() + n));
        v.erase(v.begin(), v.begin() + n);
        dropped += static_cast<std::uint64_t>(n);
    }
    v.push_back(std::move(item));
}

}  // namespace

QThreadPool* DataPlane::configWorker() {
    auto* pool = findChild<QThreadPool*>(QStringLiteral("configWorker"), Qt::FindDirectChildrenOnly);
    if (!pool) {
        pool = new QThreadPool(this);
        pool->setObjectName(QStringLiteral("configWorker"));
        pool->setMaxThreadCount(1);
    }
    return pool;
}

template <typename T>
void DataPlane::releaseOffThread(std::shared_ptr<T> old) {
    // A replaced config frees thousands of blocks in the worker's malloc arena; without a trim glibc
    // keeps those pages, and a gateway re-configured every minute grew 1.3x in a 30-minute soak
    // (26-28 MiB of heap held for 11-12 MiB in use). The trim runs here, off the data plane. The
    // aigw-sim executable allocates with tcmalloc (CMakeLists.txt AIGW_TCMALLOC): its free pages go
    // back through tcmalloc's own call, found when it is linked in.
    if (old)
        configWorker()->start([old = std::move(old)]() mutable {
            old.reset();
            if (MallocExtension_ReleaseFreeMemory)
                MallocExtension_ReleaseFreeMemory();
            else
                malloc_trim(0);
        });
}

void DataPlane::offThread(std::function<void()> work, std::function<void()> then) {
    auto done = std::make_shared<QPromise<void>>();
    auto* watcher = new QFutureWatcher<void>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [watcher, then = std::move(then)] {
        watcher->deleteLater();
        then();
    });
    watcher->setFuture(done->future());
    done->start();
    configWorker()->start([done, work = std::move(work)] {
        work();
        done->finish();
    });
}

void DataPlane::inOrder(std::function<void()> command) {
    if (m_pendingChanges > 0 || !m_deferred.empty())
        m_deferred.push_back(std::move(command));
    else
        command();
}

void DataPlane::changeInstalled() {
    m_pendingChanges = std::max(0, m_pendingChanges - 1);
    // A deferred applyConfig or edit starts a new change: the commands after it wait for that one.
    while (m_pendingChanges == 0 && !m_deferred.empty()) {
        auto command = std::move(m_deferred.front());
        m_deferred.pop_front();
        command();
    }
}

namespace {

/// `config` with one backendRef changed (route = "ns/name" or "name"; unset optionals keep their
/// value, an empty override removes it), and what changed ("weight=5 priority=1"). Pure: any thread.
Result<std::pair<std::shared_ptr<const config::Config>, QString>> editedConfig(
    const config::Config& config, const QString& route, int ruleIndex, int refIndex, std::optional<std::int64_t> weight,
    std::optional<std::int64_t> priority, const std::optional<QString>& modelNameOverride) {
    auto next = std::make_shared<config::Config>(config);
    const std::string want = route.toStdString();
    config::AIGatewayRoute* found = nullptr;
    for (auto& r : next->routes)
        if (r.meta.name == want || r.meta.effectiveNamespace() + "/" + r.meta.name == want)
            found = &r;
    if (!found)
        return Error{{}, "no AIGatewayRoute named '" + want + "'"};
    if (ruleIndex < 0 || ruleIndex >= static_cast<int>(found->rules.size()))
        return Error{{}, "route '" + want + "' has no rule " + std::to_string(ruleIndex)};
    auto& rule = found->rules[static_cast<std::size_t>(ruleIndex)];
    if (refIndex < 0 || refIndex >= static_cast<int>(rule.backendRefs.size()))
        return Error{{}, "rule " + std::to_string(ruleIndex) + " has no backendRef " + std::to_string(refIndex)};
    if (weight && *weight < 0)
        return Error{{}, "weight must be >= 0"};
    if (priority && *priority < 0)
        return Error{{}, "priority must be >= 0"};
    auto& ref = rule.backendRefs[static_cast<std::size_t>(refIndex)];
    QStringList changes;
    if (weight) {
        ref.weight = *weight;
        changes << QStringLiteral("weight=%1").arg(*weight);
    }
    if (priority) {
        ref.priority = *priority;
        changes << QStringLiteral("priority=%1").arg(*priority);
    }
    if (modelNameOverride) {
        if (modelNameOverride->isEmpty())
            ref.modelNameOverride.reset();
        else
            ref.modelNameOverride = modelNameOverride->toStdString();
        changes << QStringLiteral("modelNameOverride=%1").arg(*modelNameOverride);
    }
    return std::make_pair(std::shared_ptr<const config::Config>(std::move(next)), changes.join(' '));
}

}  // namespace

DataPlane::DataPlane(GatewayService* service, std::shared_ptr<SharedState> shared)
    : m_service(service), m_shared(std::move(shared)) {}

DataPlane::~DataPlane() {
    // A config job still running would post its result to this object: let it finish first.
    if (auto* pool = findChild<QThreadPool*>(QStringLiteral("configWorker"), Qt::FindDirectChildrenOnly))
        pool->waitForDone();
    teardown();
}

std::int64_t DataPlane::bufferLimitOf(const config::Config& config) const {
    return config::gatewayBufferLimitBytes(config);
}

void DataPlane::start(std::shared_ptr<const config::Config> config, GatewayService::Options options) {
    if (m_running)
        teardown();
    m_options = options;
    if (auto* epoll = dynamic_cast<EpollEventDispatcher*>(QThread::currentThread()->eventDispatcher())) {
        epoll->setBusyPoll(options.busyPoll);
        // Only while at most one request is in flight (the latency case): with more, polling took
        // the CPU time the upstream and the clients needed (32 connections: 16,000 requests/s
        // polling against 20,500 not, bench/proxy_bench.sh).
        epoll->setBusyPollGate([this] { return !m_handler || m_handler->inFlight() <= 1; });
        m_polling = epoll;
    }
    auto fail = [this](const QString& why) {
        log::get("proxy")->error("{}", why.toStdString());
        teardown();
        emit m_service->failed(why);
    };
    const QString adminHost = options.adminHost.isEmpty() ? options.listenHost : options.adminHost;
    for (const auto& host : {options.listenHost, adminHost})
        if (!options.allowRemote && !isLoopback(host))
            return fail(QStringLiteral("refusing to listen on non-loopback address %1 without --allow-remote").arg(host));
    // A token guards an admin API other machines can reach (generated when none was given).
    m_adminToken = options.adminToken.toStdString();
    if (m_adminToken.empty() && !isLoopback(adminHost)) {
        const quint64 a = QRandomGenerator::system()->generate64(), b = QRandomGenerator::system()->generate64();
        m_adminToken = QStringLiteral("%1%2").arg(a, 16, 16, QLatin1Char('0')).arg(b, 16, 16, QLatin1Char('0')).toStdString();
        log::get("proxy")->warn("admin API on non-loopback address {}: requests need the generated bearer token "
                                "(printed by --headless; GatewayService::adminToken())",
                                adminHost.toStdString());
    }
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->bufferLimit = std::max(100, options.recordBufferLimit);
        m_shared->config = config;
    }
    http::AccessPolicy access;
    access.allowAnyHost = options.allowRemote;
    for (const auto& h : options.allowedHosts)
        access.allowedHosts.push_back(h.toStdString());
    http::CorsPolicy cors;
    for (const auto& o : options.corsOrigins)
        cors.allowedOrigins.push_back(o.toStdString());

    const auto seed = SeededRandom::osSeed();
    log::get("proxy")->info("data plane starting (random seed {})", seed);
    m_random = std::make_unique<SeededRandom>(seed);
    m_scheduler = std::make_unique<QtScheduler>();
    m_client = std::make_unique<http::HttpClient>();
    m_client->setMaxConnectionsPerHost(1024);
    m_supervisor = std::make_unique<Supervisor>(Supervisor::Options{options.mockBackendPath, options.startServers, options.mockBackendArgs},
                                                m_client.get());
    connect(m_supervisor.get(), &Supervisor::changed, this, &DataPlane::schedulePublish);
    connect(m_supervisor.get(), &Supervisor::event, this, &DataPlane::pushEvent);
    connect(m_supervisor.get(), &Supervisor::logLine, this, [this](const QString& name, const QString& line) {
        std::lock_guard lock(m_shared->mutex);
        auto& q = m_shared->logs[name];
        q.push_back(line);
        while (q.size() > 2000)
            q.pop_front();
    });
    m_engine = routing::makeEngine(config, m_clock, *m_random, *m_scheduler, this);
    m_engine->setDnsRefreshDelay(options.dnsRefreshDelay);
    for (const auto& p : m_engine->problems())
        log::get("proxy")->warn("config: {}", p.toString());
    m_metrics = std::make_unique<Metrics>();
    m_handler = std::make_unique<ProxyHandler>(*m_engine, *m_client, *m_supervisor, *m_scheduler, m_clock, *m_metrics,
                                               ProxyHandler::Options{options.debugHeaders});
    m_handler->setSampleSink([this](const RequestSample& s) {
        std::lock_guard lock(m_shared->mutex);
        m_shared->window.add(s.atMs, s.latencyMs, s.status);
        ++m_shared->total;
        if (s.status >= 500)
            ++m_shared->errors;
        m_shared->inFlight = m_handler->inFlight();
    });
    m_handler->setRecordSink([this](routing::RequestRecord&& r) { publishRecord(std::move(r)); });

    http::ServerOptions proxyOpts;
    proxyOpts.maxBodyBytes = bufferLimitOf(*config);
    auto* handler = m_handler.get();
    m_proxy = std::make_unique<http::HttpServer>(
        [handler, cors = std::move(cors)](std::shared_ptr<http::HttpRequest> rq, std::shared_ptr<http::HttpResponder> rs) {
            if (rq->headers.has("origin") && http::answerCors(*rq, *rs, cors))
                return;
            handler->handle(std::move(rq), std::move(rs));
        },
        proxyOpts);
    m_proxy->setAccessPolicy(access);
    m_proxy->setPayloadTooLargeHandler([handler](std::shared_ptr<http::HttpRequest> rq, std::shared_ptr<http::HttpResponder> rs) {
        handler->handleTooLarge(std::move(rq), std::move(rs));
    });
    auto proxyPort = m_proxy->listen(options.listenHost, options.proxyPort);
    if (!proxyPort.ok())
        return fail(QStringLiteral("proxy: %1").arg(QString::fromStdString(proxyPort.error().message)));

    http::ServerOptions adminOpts;
    adminOpts.maxBodyBytes = 64 * 1024 * 1024;
    m_admin = std::make_unique<http::HttpServer>(
        [this](std::shared_ptr<http::HttpRequest> rq, std::shared_ptr<http::HttpResponder> rs) {
            handleAdmin(std::move(rq), std::move(rs));
        },
        adminOpts);
    // --allow-remote opens the admin API to any Host only when it is itself reachable from elsewhere
    // (and then token-guarded): opening the proxy to the LAN keeps a loopback admin local-only.
    http::AccessPolicy adminAccess = access;
    adminAccess.allowAnyHost = options.allowRemote && !isLoopback(adminHost);
    m_admin->setAccessPolicy(adminAccess);
    auto adminPort = m_admin->listen(adminHost, options.adminPort);
    if (!adminPort.ok())
        return fail(QStringLiteral("admin: %1").arg(QString::fromStdString(adminPort.error().message)));

    m_supervisor->apply(planServersOf(*config));
    m_running = true;
    m_stopping = false;
    const QString proxyUrl = m_proxy->url();
    const QString adminUrl = m_admin->url();
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->running = true;
        m_shared->proxyUrl = proxyUrl;
        m_shared->adminUrl = adminUrl;
        m_shared->adminToken = QString::fromStdString(m_adminToken);
    }
    publishServers();
    log::get("proxy")->info("proxy listening on {}, admin on {}", proxyUrl.toStdString(), adminUrl.toStdString());
    emit m_service->ready(proxyUrl, adminUrl);
}

void DataPlane::stop() {
    if (!m_running) {
        emit m_service->stopped();
        return;
    }
    if (m_stopping)
        return;
    m_stopping = true;
    m_proxy->stopListening();
    // Drain: in-flight requests finish on their own (their request timeout bounds them); poll.
    auto* poll = new QTimer(this);
    poll->setInterval(20);
    const TimePoint deadline = m_clock.now() + secs(65);
    connect(poll, &QTimer::timeout, this, [this, poll, deadline] {
        if (m_handler && m_handler->inFlight() > 0 && m_clock.now() < deadline)
            return;
        poll->deleteLater();
        if (m_proxy)
            m_proxy->close();
        // Children stop without blocking this thread (SIGTERM, SIGKILL after a delay); the admin API
        // keeps answering meanwhile. Torn down once the last one exited, outside its signal.
        m_supervisor->stopAll([this] {
            QTimer::singleShot(0, this, [this] {
                teardown();
                emit m_service->stopped();
            });
        });
    });
    poll->start();
}

void DataPlane::shutdownNow() { teardown(); }

void DataPlane::teardown() {
    if (m_polling) {
        m_polling->setBusyPollGate({});  // it reads m_handler
        m_polling = nullptr;
    }
    if (m_proxy)
        m_proxy->close();
    if (m_admin)
        m_admin->close();
    if (m_supervisor)
        m_supervisor->killAllNow();
    m_proxy.reset();
    m_admin.reset();
    m_handler.reset();
    m_engine.reset();
    m_supervisor.reset();
    m_client.reset();
    m_scheduler.reset();
    m_metrics.reset();
    m_running = false;
    m_stopping = false;
    ++m_generation;  // config jobs still on the worker are dropped when they come back
    m_pendingChanges = 0;
    m_deferred.clear();
    std::lock_guard lock(m_shared->mutex);
    m_shared->running = false;
    m_shared->proxyUrl.clear();
    m_shared->adminUrl.clear();
    m_shared->adminToken.clear();
    for (auto& s : m_shared->servers)
        if (s.mode != ServerMode::External)
            s.state = ServerState::Stopped, s.pid = 0;
}

void DataPlane::schedulePublish() {
    if (m_publishPending)
        return;
    m_publishPending = true;
    // Coalesce bursts (a pull reports progress many times a second) into one UI update.
    QTimer::singleShot(20, this, [this] {
        m_publishPending = false;
        publishServers();
    });
}

void DataPlane::publishServers() {
    if (!m_supervisor)
        return;
    auto infos = m_supervisor->infos();
    if (m_engine) {
        const auto steadyNow = m_clock.now();
        const qint64 sysNow = nowMs();
        for (const auto& h : m_engine->hosts()) {
            if (!h.ejected)
                continue;
            for (auto& i : infos)
                if (i.name.toStdString() == h.server) {
                    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(h.ejectedUntil - steadyNow).count();
                    i.ejectedUntilMsByRule[QString::fromStdString(h.route + "/" + h.rule)] = sysNow + std::max<qint64>(0, left);
                }
        }
    }
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->servers = std::move(infos);
    }
    emit m_service->serversChanged();
}

void DataPlane::pushEvent(const ServiceEvent& e) {
    {
        std::lock_guard lock(m_shared->mutex);
        pushBounded(m_shared->events, e, m_shared->bufferLimit, m_shared->dropped);
    }
    recordsAdded();
}

void DataPlane::recordsAdded() {
    if (m_recordsSignalPending)
        return;
    m_recordsSignalPending = true;
    QTimer::singleShot(50, this, [this] {
        m_recordsSignalPending = false;
        emit m_service->recordsAvailable();
    });
}

void DataPlane::onRequest(const routing::RequestRecord& record) {
    // The handler passes its requests' records on once their responses ended (with bodies, time
    // to first byte and usage); the engine emits them earlier, at Respond time.
    if (m_handler && m_handler->drives(record.id))
        return;
    publishRecord(routing::RequestRecord(record));
}

void DataPlane::keepRecent(routing::RequestRecord&& record) {
    const std::size_t capacity = m_options.recentRequests;
    if (capacity == 0)
        return;
    if (m_recent.size() < capacity) {
        m_recent.push_back(std::move(record));
    } else {
        // Moved in, never copy-assigned into the slot: a copy assignment keeps the slot's largest
        // string capacities ever seen (the soak's RSS ratcheted up on them).
        m_recent[m_recentNext] = std::move(record);
        m_recentNext = (m_recentNext + 1) % capacity;
    }
}

void DataPlane::publishRecord(routing::RequestRecord&& record) {
    if (!m_options.drainRecords) {
        keepRecent(std::move(record));  // nobody drains: the ring for GET /requests is its only home
        return;
    }
    if (m_options.recentRequests > 0)
        keepRecent(routing::RequestRecord(record));
    {
        std::lock_guard lock(m_shared->mutex);
        pushBounded(m_shared->requests, std::move(record), m_shared->bufferLimit, m_shared->dropped, &m_graveyard);
    }
    for (int i = 0; i < 4 && !m_graveyard.empty(); ++i)
        m_graveyard.pop_back();  // its capacity is kept for the next time
    recordsAdded();
}

std::vector<const routing::RequestRecord*> DataPlane::recentRecords(std::size_t n) const {
    n = std::min(n, m_recent.size());
    std::vector<const routing::RequestRecord*> out;
    out.reserve(n);
    // Oldest is at m_recentNext once the ring is full (at 0 before).
    const std::size_t oldest = m_recent.size() < m_options.recentRequests ? 0 : m_recentNext;
    for (std::size_t k = m_recent.size() - n; k < m_recent.size(); ++k)
        out.push_back(&m_recent[(oldest + k) % m_recent.size()]);
    return out;
}

void DataPlane::publishDnsChange(const QString& name) {
    const auto at = m_engine->pendingDnsChange(name.toStdString());
    const qint64 atMs = at ? nowMs() + std::chrono::ceil<std::chrono::milliseconds>(*at - m_clock.now()).count() : 0;
    m_supervisor->setDnsChangeAt(name, atMs);
}

void DataPlane::onHostEvent(const routing::HostEvent& event) {
    if ((event.type == routing::HostEvent::Type::Removed || event.type == routing::HostEvent::Type::Restored) &&
        m_supervisor)
        publishDnsChange(QString::fromStdString(event.server));
    if (event.type == routing::HostEvent::Type::Ejected && m_metrics)
        m_metrics->recordEjection(event.route, event.backend);
    {
        std::lock_guard lock(m_shared->mutex);
        pushBounded(m_shared->hostEvents, event, m_shared->bufferLimit, m_shared->dropped);
    }
    recordsAdded();
    schedulePublish();
}

Result<bool> DataPlane::serverCommand(const QString& name, const QString& verb) {
    if (!m_running)
        return Error{{}, "the gateway is not running"};
    Result<bool> r = Error{{}, "unknown command " + verb.toStdString()};
    if (verb == QLatin1String("stop")) {
        r = m_supervisor->stopServer(name);
    } else if (verb == QLatin1String("start") || verb == QLatin1String("reapply")) {
        const bool wasDeleted = [&] {
            for (const auto& i : m_supervisor->infos())
                if (i.name == name)
                    return i.state == ServerState::Deleted;
            return false;
        }();
        r = verb == QLatin1String("start") ? m_supervisor->startServer(name) : m_supervisor->reapplyServer(name);
        if (r.ok() && wasDeleted) {
            // The pod serves again at once; the gateway sees the name at its next DNS refresh.
            m_engine->setNameResolves(name.toStdString(), true, m_clock.now());
            publishDnsChange(name);
        }
    } else if (verb == QLatin1String("delete")) {
        r = m_supervisor->deleteServer(name);
        if (r.ok()) {
            // The name stops resolving at the next DNS refresh; until then connects time out.
            m_engine->setNameResolves(name.toStdString(), false, m_clock.now());
            publishDnsChange(name);
        }
    }
    if (!r.ok())
        pushEvent(ServiceEvent{ServiceEvent::Kind::Error, name, ServerState::Failed, QString::fromStdString(r.error().message), nowMs()});
    return r;
}

void DataPlane::stopServer(const QString& name) {
    inOrder([this, name] { serverCommand(name, QStringLiteral("stop")); });
}
void DataPlane::startServer(const QString& name) {
    inOrder([this, name] { serverCommand(name, QStringLiteral("start")); });
}
void DataPlane::deleteServer(const QString& name) {
    inOrder([this, name] { serverCommand(name, QStringLiteral("delete")); });
}
void DataPlane::reapplyServer(const QString& name) {
    inOrder([this, name] { serverCommand(name, QStringLiteral("reapply")); });
}

void DataPlane::setFault(const QString& name, const nlohmann::json& profile) {
    if (m_pendingChanges > 0 || !m_deferred.empty())
        return inOrder([this, name, profile] { setFault(name, profile); });
    if (!m_running)
        return;
    m_supervisor->setFault(name, profile, [this, name](Result<bool> r) {
        if (!r.ok())
            pushEvent(ServiceEvent{ServiceEvent::Kind::Error, name, ServerState::Failed, QString::fromStdString(r.error().message), nowMs()});
    });
}

void DataPlane::setDnsRefreshDelay(std::chrono::milliseconds delay) {
    inOrder([this, delay] {
        if (m_engine)
            m_engine->setDnsRefreshDelay(delay);
    });
}

void DataPlane::clearFault(const QString& name) { setFault(name, nlohmann::json()); }

void DataPlane::editBackendRef(const QString& route, int ruleIndex, int refIndex, std::optional<std::int64_t> weight,
                               std::optional<std::int64_t> priority, std::optional<QString> modelNameOverride,
                               std::function<void(Result<bool>)> done) {
    if (!done)
        done = [](Result<bool>) {};
    if (!m_running)
        return done(Error{{}, "the gateway is not running"});
    // Copying and compiling a cluster-sized config takes milliseconds: done on the config worker from
    // what serves now; the swap happens here, in call order with the other changes. If another change
    // was swapped in meanwhile, the edit is made again, here, on top of it.
    struct Job {
        Result<std::pair<std::shared_ptr<const config::Config>, QString>> edited = Error{};
        std::shared_ptr<const routing::Snapshot> compiled;
    };
    auto job = std::make_shared<Job>();
    const auto base = m_engine->snapshot();
    const auto baseConfig = m_engine->config();
    const auto generation = m_generation;
    ++m_pendingChanges;
    offThread(
        [job, base, baseConfig, route, ruleIndex, refIndex, weight, priority, modelNameOverride] {
            job->edited = editedConfig(*baseConfig, route, ruleIndex, refIndex, weight, priority, modelNameOverride);
            if (job->edited.ok())
                job->compiled = routing::compileConfig(job->edited.value().first, base);
        },
        [this, job, base, generation, route, ruleIndex, refIndex, weight, priority, modelNameOverride, done] {
            if (generation != m_generation || !m_running)
                return done(Error{{}, "the gateway is not running"});
            if (m_engine->snapshot() != base) {
                job->edited =
                    editedConfig(*m_engine->config(), route, ruleIndex, refIndex, weight, priority, modelNameOverride);
                job->compiled.reset();
            }
            if (!job->edited.ok()) {
                done(job->edited.error());
                return changeInstalled();
            }
            const auto& [next, changes] = job->edited.value();
            auto replaced = m_engine->snapshot();
            if (job->compiled)
                m_engine->setSnapshot(std::move(job->compiled));
            else
                m_engine->setConfig(next);
            releaseOffThread(std::move(replaced));
            std::shared_ptr<const config::Config> previous = next;
            {
                std::lock_guard lock(m_shared->mutex);
                std::swap(m_shared->config, previous);
            }
            releaseOffThread(std::move(previous));
            pushEvent(ServiceEvent{ServiceEvent::Kind::BackendRefEdited,
                                   QStringLiteral("%1/%2/%3").arg(route).arg(ruleIndex).arg(refIndex), ServerState::Ready,
                                   changes, nowMs()});
            emit m_service->configChanged();
            done(true);
            changeInstalled();
        });
}

void DataPlane::applyConfig(std::shared_ptr<const config::Config> config) {
    if (!m_running) {
        std::lock_guard lock(m_shared->mutex);
        m_shared->config = config;
        return;
    }
    // Compiled and planned on the config worker; swapped in here, in call order (the server commands
    // that came after it wait for it: a server it adds can be started right after the call).
    struct Job {
        std::shared_ptr<const routing::Snapshot> compiled;
        std::vector<ServerSpec> plan;
    };
    auto job = std::make_shared<Job>();
    const auto base = m_engine->snapshot();
    const auto generation = m_generation;
    ++m_pendingChanges;
    offThread(
        [job, base, config] {
            job->compiled = routing::compileConfig(config, base);
            job->plan = planServersOf(*config);
        },
        [this, job, config, generation] {
            if (generation != m_generation || !m_running)
                return;
            install(config, std::move(job->compiled), job->plan);
            changeInstalled();
        });
}

void DataPlane::install(std::shared_ptr<const config::Config> config, std::shared_ptr<const routing::Snapshot> compiled,
                        const std::vector<ServerSpec>& plan) {
    // In-flight requests hold their own snapshot (routing::Request keeps it alive).
    auto replaced = m_engine->snapshot();
    if (compiled)
        m_engine->setSnapshot(std::move(compiled));
    else
        m_engine->setConfig(config);
    releaseOffThread(std::move(replaced));
    m_proxy->setMaxBodyBytes(bufferLimitOf(*config));
    m_supervisor->apply(plan);
    std::shared_ptr<const config::Config> previous = config;
    {
        std::lock_guard lock(m_shared->mutex);
        std::swap(m_shared->config, previous);
    }
    releaseOffThread(std::move(previous));
    pushEvent(ServiceEvent{ServiceEvent::Kind::ConfigApplied, {}, ServerState::Ready,
                           QStringLiteral("%1 routes, %2 backends").arg(config->routes.size()).arg(config->backends.size()),
                           nowMs()});
    emit m_service->configChanged();
}

}  // namespace aigw::proxy
