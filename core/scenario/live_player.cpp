#include "live_player.h"

#include <QTimer>
#include <QUrl>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "common/clock.h"
#include "config/loader.h"
#include "loadgen/load_generator.h"
#include "proxy/gateway_service.h"
#include "routing/engine.h"
#include "routing/records.h"

namespace aigw::scenario {

namespace {

/// The proxy stamps records with SteadyClock (proxy/data_plane.h): the player reads the same clock,
/// so a record's start converts to scenario time without any offset between clocks.
TimePoint steadyNow() { return SteadyClock().now(); }

constexpr int kDrainIntervalMs = 100;
/// How often pending judgments look at the load generators' in-flight counts (they have no signal).
constexpr int kCheckIntervalMs = 50;
/// A stopped generator's in-flight count is trusted only after this: the stop is a queued call to
/// its thread, which may send one more request before it handles it.
constexpr Duration kStopSettle = ms(100);
/// After a window's requests completed, the time their records may take to reach the player: the
/// proxy publishes a record as the response leaves, the app's bridge forwards them every 40 ms.
constexpr Duration kRecordGrace = ms(250);
/// How long play() waits for the model servers to come back up after a reset.
constexpr Duration kPrepareBound = secs(30);
/// A retired generator is deleted this long after it has nothing in flight.
constexpr Duration kRetiredKeep = secs(1);

int toIntMs(Duration d) {
    const auto v = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    return static_cast<int>(std::clamp<std::int64_t>(v, 0, std::numeric_limits<int>::max()));
}

/// A user message of exactly `bytes` ASCII characters.
std::string promptOf(int bytes) {
    static const std::string kText = "Explain the fallback of an AI gateway in one sentence. ";
    std::string out;
    out.reserve(static_cast<std::size_t>(std::max(bytes, 1)));
    while (out.size() < static_cast<std::size_t>(std::max(bytes, 1)))
        out += kText;
    out.resize(static_cast<std::size_t>(std::max(bytes, 1)));
    return out;
}

/// Model server names of a config, as the supervisor names them.
std::set<std::string> serverNames(const config::Config& c) {
    std::set<std::string> out;
    for (const auto& b : c.backends)
        out.insert(routing::serverNameFor(c, b));
    return out;
}

/// The longest time the gateway may keep a request: the largest route timeout (a disabled one, 0s,
/// leaves the clients' own limit).
Duration longestRequest(const config::Config& c) {
    Duration longest = secs(60);
    bool any = false;
    for (const auto& r : c.routes)
        for (const auto& rule : r.rules) {
            const Duration t = rule.effectiveRequestTimeout();
            if (t == Duration::zero())
                return secs(120);
            longest = any ? std::max(longest, t) : t;
            any = true;
        }
    return longest;
}

std::string joinNames(const std::set<std::string>& names) {
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

}  // namespace

struct LivePlayer::Impl {
    LivePlayer* q;
    proxy::GatewayService* service;

    Scenario scenario;
    config::Config config;   ///< what play() applies
    config::Config current;  ///< as the timeline's edits left it (Edit, Policy and Config build on it)
    std::vector<Action> timeline;
    std::vector<Expectation> expectations;
    std::string configLabel = "scenario's own";
    bool drains = false;
    bool keepRecords = false;
    routing::RecordSink* observer = nullptr;

    State state = State::Idle;

    // ---- scenario time ----
    /// One stretch of playing: scenario time `at` at real time `real`, until `realEnd` (paused or
    /// ended). Records convert through these, so a request that started before a pause keeps its
    /// time even when its record arrives after the resume.
    struct Segment {
        TimePoint real;
        Duration at;
        TimePoint realEnd = TimePoint::max();
    };
    std::vector<Segment> segments;
    bool clockRunning = false;
    Duration frozen{};  ///< position while the clock does not run
    bool prepared = false;  ///< the servers are up after play()'s reset; the clock may start
    bool configSeen = false;  ///< the service applied the config of the last reset
    bool fresh = false;       ///< restart() reset the service and nothing played since
    std::uint64_t runId = 0;  ///< bumped by clearRun(): a slot connected to a signal may restart the run
    TimePoint prepareDeadline{};
    std::optional<Duration> stepTarget;  ///< step(): pause once the clock reaches it

    // ---- the agenda: every timed thing, in order; one single-shot timer armed to the next ----
    enum class Kind { StreamStop, WindowEnd, Action, Step, StreamStart, End };
    struct Item {
        Duration at;
        Kind kind;
        std::size_t index;
    };
    std::vector<Item> agenda;
    std::size_t next = 0;
    int step = -1;
    bool ended = false;
    QTimer timer;

    // ---- load ----
    QString host;
    quint16 port = 0;
    int clientTimeoutMs = 60000;
    Duration settleBound = secs(60);
    struct Gen {
        std::unique_ptr<loadgen::LoadGenerator> gen;
        std::size_t stream = 0;
        loadgen::LoadOptions options;
    };
    /// Generators sending now. At each window end they are retired and replaced by fresh ones, so
    /// "the requests that started before T are done" is "the generators retired at or before T have
    /// nothing in flight" (a generator only reports its total in flight).
    std::vector<Gen> active;
    struct Retired {
        std::unique_ptr<loadgen::LoadGenerator> gen;
        Duration at;      ///< scenario time it stopped sending
        TimePoint since;  ///< real time it was stopped
        std::optional<TimePoint> idleSince;
    };
    std::vector<Retired> retired;

    // ---- judging ----
    Evaluator evaluator;  ///< origin the epoch: records are converted to scenario time before it sees them
    std::vector<std::optional<ExpectationResult>> judged;
    static constexpr std::size_t kFinal = std::numeric_limits<std::size_t>::max();
    struct Pending {
        std::size_t index;  ///< expectation, or kFinal (the run's end)
        Duration end;
        TimePoint deadline;
        std::optional<TimePoint> settledAt;
    };
    std::vector<Pending> pending;
    QTimer checkTimer;
    QTimer drainTimer;
    QTimer prepareTimer;
    std::vector<routing::RequestRecord> records;  ///< keepRecords
    std::vector<std::string> notes;

    explicit Impl(LivePlayer* owner, proxy::GatewayService* svc) : q(owner), service(svc) {
        timer.setSingleShot(true);
        timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&timer, &QTimer::timeout, q, [this] { advance(); });
        checkTimer.setInterval(kCheckIntervalMs);
        QObject::connect(&checkTimer, &QTimer::timeout, q, [this] { check(); });
        drainTimer.setInterval(kDrainIntervalMs);
        QObject::connect(&drainTimer, &QTimer::timeout, q, [this] { drainNow(); });
        prepareTimer.setSingleShot(true);
        prepareTimer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&prepareTimer, &QTimer::timeout, q, [this] { checkPrepared(true); });
        if (service) {
            QObject::connect(service, &proxy::GatewayService::serversChanged, q, [this] { checkPrepared(); });
            QObject::connect(service, &proxy::GatewayService::configChanged, q, [this] {
                configSeen = true;
                checkPrepared();
            });
        }
    }

    Duration duration() const { return std::max(scenario.duration, Duration::zero()); }

    Duration windowEnd(const Expectation& e) const {
        return std::clamp(e.to.value_or(scenario.stepEnd(e.step)), Duration::zero(), duration());
    }

    Duration position() const {
        if (!clockRunning || segments.empty())
            return frozen;
        const auto& s = segments.back();
        return std::min(s.at + (steadyNow() - s.real), duration());
    }

    /// Scenario time of a proxy timestamp; none before the first play (another run's requests).
    std::optional<Duration> toScenario(TimePoint t) const {
        if (segments.empty() || t < segments.front().real)
            return std::nullopt;
        auto it = std::upper_bound(segments.begin(), segments.end(), t,
                                   [](TimePoint v, const Segment& s) { return v < s.real; });
        const Segment& s = *std::prev(it);
        return s.at + (std::min(t, s.realEnd) - s.real);
    }

    void setState(State s) {
        if (state == s)
            return;
        state = s;
        emit q->stateChanged(s);
    }

    // ---- setup ----

    void buildAgenda() {
        agenda.clear();
        timeline = scenario.timeline();
        expectations = scenario.expectations();
        judged.assign(expectations.size(), std::nullopt);
        const Duration end = duration();
        for (std::size_t i = 0; i < scenario.load.size(); ++i) {
            const auto& l = scenario.load[i];
            const Duration from = std::max(l.from, Duration::zero());
            const Duration to = std::min(l.to.value_or(end), end);
            if (from >= to)
                continue;
            agenda.push_back({from, Kind::StreamStart, i});
            if (to < end)
                agenda.push_back({to, Kind::StreamStop, i});
        }
        std::set<Duration> ends;
        for (const auto& e : expectations)
            if (windowEnd(e) < end)
                ends.insert(windowEnd(e));
        for (Duration t : ends)
            agenda.push_back({t, Kind::WindowEnd, 0});
        for (std::size_t i = 0; i < timeline.size(); ++i)
            agenda.push_back({std::clamp(timeline[i].at, Duration::zero(), end), Kind::Action, i});
        for (std::size_t i = 0; i < scenario.steps.size(); ++i)
            agenda.push_back({std::clamp(scenario.steps[i].at, Duration::zero(), end), Kind::Step, i});
        agenda.push_back({end, Kind::End, 0});
        // At one time: streams that end stop first, then the windows that close there are cut (their
        // requests are the ones sent before the step's actions), then the actions, the step, and the
        // streams that begin.
        std::stable_sort(agenda.begin(), agenda.end(), [](const Item& a, const Item& b) {
            return a.at != b.at ? a.at < b.at : a.kind < b.kind;
        });
    }

    /// Everything back to before time 0 on the player's side (no command to the service).
    void clearRun() {
        timer.stop();
        prepareTimer.stop();
        active.clear();   // destroying a generator cancels its requests in flight
        retired.clear();
        pending.clear();
        checkTimer.stop();
        segments.clear();
        clockRunning = false;
        frozen = Duration::zero();
        prepared = false;
        stepTarget.reset();
        ++runId;
        next = 0;
        step = -1;
        ended = false;
        evaluator = Evaluator();
        judged.assign(expectations.size(), std::nullopt);
        records.clear();
        notes.clear();
        current = config;
    }

    /// Servers up, faults cleared, deleted servers back, the scenario's config applied.
    void resetService() {
        if (!service)
            return;
        const auto names = serverNames(config);
        bool reapplied = false;
        for (const auto& s : service->servers()) {
            if (!names.count(s.name.toStdString()))
                continue;  // not the scenario's: the config swap below removes it
            if (s.blackHole || !s.faultSummary.isEmpty() || s.state == proxy::ServerState::Faulted)
                service->clearFault(s.name);
            if (s.state == proxy::ServerState::Deleted) {
                // Back at once: a restart must not wait for the DNS refresh the delete started.
                if (!reapplied)
                    service->setDnsRefreshDelay(std::chrono::milliseconds(0));
                reapplied = true;
                service->reapplyServer(s.name);
            } else if (s.state == proxy::ServerState::Stopped || s.state == proxy::ServerState::Failed) {
                service->startServer(s.name);
            }
        }
        if (scenario.settings.dnsRefresh)
            service->setDnsRefreshDelay(std::chrono::duration_cast<std::chrono::milliseconds>(*scenario.settings.dnsRefresh));
        else if (reapplied)
            service->setDnsRefreshDelay(std::chrono::milliseconds(30000));  // Envoy Gateway's default
        configSeen = false;
        service->applyConfig(config);
        fresh = true;
    }

    // ---- play / pause ----

    void play() {
        if (state == State::Playing)
            return;
        if (state == State::Paused) {
            setState(State::Playing);
            if (prepared)
                startClock();
            return;
        }
        // Idle or Finished: from time 0.
        if (!service || !service->isRunning() || service->proxyUrl().isEmpty()) {
            emit q->actionApplied(QStringLiteral("play"), QStringLiteral("the gateway is not running"));
            return;
        }
        const auto target = stepTarget;
        clearRun();
        stepTarget = target;
        const QUrl url(service->proxyUrl());
        host = url.host();
        port = static_cast<quint16>(url.port(80));
        settleBound = longestRequest(config) + secs(3);
        clientTimeoutMs = toIntMs(settleBound - secs(1));
        if (!fresh)
            resetService();
        fresh = false;
        prepareDeadline = steadyNow() + kPrepareBound;
        prepareTimer.start(toIntMs(kPrepareBound));
        setState(State::Playing);
        checkPrepared();
    }

    /// Starts the clock once the reset took effect: the config swap happened and every server of
    /// the scenario is up (or failed, or the bound passed: then the run goes on, with a note).
    void checkPrepared(bool boundPassed = false) {
        if (prepared || state == State::Idle || state == State::Finished || !segments.empty())
            return;
        const bool late = boundPassed || steadyNow() >= prepareDeadline;
        if (!late && !configSeen)
            return;
        const auto names = serverNames(config);
        std::set<std::string> waiting = names;
        std::vector<std::string> failed;
        for (const auto& s : service->servers()) {
            const std::string n = s.name.toStdString();
            if (!names.count(n))
                continue;
            if (s.state == proxy::ServerState::Ready) {
                waiting.erase(n);
            } else if (s.state == proxy::ServerState::Failed) {
                waiting.erase(n);
                failed.push_back(fmt::format("model server {} failed: {}", n, s.error.toStdString()));
            }
        }
        if (!waiting.empty() && !late)
            return;
        notes.insert(notes.end(), failed.begin(), failed.end());
        if (!waiting.empty())
            notes.push_back(fmt::format("model servers not ready after {}: {}; played anyway", formatDuration(kPrepareBound),
                                        joinNames(waiting)));
        prepared = true;
        prepareTimer.stop();
        if (state == State::Playing)
            startClock();
    }

    void startClock() {
        if (clockRunning || ended)
            return;
        segments.push_back({steadyNow(), frozen});
        clockRunning = true;
        for (auto& g : active)
            g.gen->start(g.options);
        advance();
    }

    void pause() {
        if (state != State::Playing)
            return;
        if (clockRunning) {
            frozen = position();
            segments.back().realEnd = steadyNow();
            clockRunning = false;
            for (auto& g : active)
                g.gen->stop();
            timer.stop();
        } else if (ended) {
            return;  // settling after the end: nothing left to pause
        }
        stepTarget.reset();
        setState(State::Paused);
    }

    void stepForward() {
        if (state == State::Finished) {
            restart();
        }
        if (state == State::Playing)
            return;
        // The next step strictly after the one reached; from Idle, step 0 itself.
        Duration target = duration();
        for (std::size_t i = 0; i < scenario.steps.size(); ++i)
            if (static_cast<int>(i) > step) {
                target = std::clamp(scenario.steps[i].at, Duration::zero(), duration());
                break;
            }
        stepTarget = target;
        play();
    }

    void restart() {
        clearRun();
        if (service && service->isRunning())
            resetService();
        setState(State::Idle);
    }

    // ---- the timeline ----

    void advance() {
        if (!clockRunning)
            return;
        const Duration now = position();
        const Duration limit = stepTarget ? std::min(now, *stepTarget) : now;
        const auto run = runId;
        while (next < agenda.size() && agenda[next].at <= limit && clockRunning) {
            const Item item = agenda[next++];
            process(item);
            if (run != runId)
                return;  // a slot connected to a signal restarted the run
        }
        if (stepTarget && now >= *stepTarget && clockRunning) {
            pause();
            return;
        }
        arm();
    }

    void arm() {
        if (!clockRunning || next >= agenda.size())
            return;
        Duration due = agenda[next].at;
        if (stepTarget)
            due = std::min(due, *stepTarget);
        const Duration wait = std::max(due - position(), Duration::zero());
        // Round up: a timer that fires a little early would find nothing due and re-arm for 0 ms.
        timer.start(static_cast<int>(std::ceil(toMs(wait))));
    }

    void process(const Item& item) {
        switch (item.kind) {
        case Kind::StreamStart:
            startStream(item.index);
            break;
        case Kind::StreamStop:
            retire([&](const Gen& g) { return g.stream == item.index; }, item.at);
            break;
        case Kind::WindowEnd: {
            // Fresh generators from here on: the retired ones hold exactly the requests sent so far.
            std::vector<Gen> again;
            for (const auto& g : active)
                again.push_back({nullptr, g.stream, g.options});
            retire([](const Gen&) { return true; }, item.at);
            for (auto& g : again) {
                g.gen = std::make_unique<loadgen::LoadGenerator>();
                g.gen->start(g.options);
                active.push_back(std::move(g));
            }
            queueJudgments(item.at);
            break;
        }
        case Kind::Action:
            apply(timeline[item.index]);
            break;
        case Kind::Step:
            step = static_cast<int>(item.index);
            emit q->stepReached(step);
            break;
        case Kind::End: {
            retire([](const Gen&) { return true; }, item.at);
            // The clock stops at the end; records of requests still in flight keep their start times.
            frozen = duration();
            segments.back().realEnd = segments.back().real + (duration() - segments.back().at);
            clockRunning = false;
            ended = true;
            queueJudgments(duration());
            pending.push_back({kFinal, duration(), steadyNow() + settleBound, std::nullopt});
            checkTimer.start();
            check();
            break;
        }
        }
    }

    void startStream(std::size_t i) {
        const auto& l = scenario.load[i];
        loadgen::LoadOptions base;
        base.host = host.toStdString();
        base.port = port;
        base.model = l.model;
        base.concurrency = std::max(1, l.concurrency);
        base.prompt = promptOf(l.promptBytes);
        base.maxTokens = std::max(1, l.maxTokens);
        base.timeoutMs = clientTimeoutMs;
        const double share = std::clamp(l.streamShare, 0.0, 1.0);
        std::vector<loadgen::LoadOptions> parts;
        if (share <= 0 || share >= 1) {
            base.ratePerSecond = l.rate;
            base.stream = share >= 1;
            parts.push_back(base);
        } else {
            // Two clients, the streaming one at rate x share; the concurrency cap is split alike.
            auto streaming = base;
            streaming.stream = true;
            streaming.ratePerSecond = l.rate * share;
            streaming.concurrency = std::max(1, static_cast<int>(std::lround(base.concurrency * share)));
            auto plain = base;
            plain.ratePerSecond = l.rate * (1 - share);
            plain.concurrency = std::max(1, base.concurrency - streaming.concurrency);
            parts.push_back(streaming);
            parts.push_back(plain);
        }
        for (auto& o : parts) {
            Gen g{std::make_unique<loadgen::LoadGenerator>(), i, o};
            g.gen->start(g.options);
            active.push_back(std::move(g));
        }
    }

    template <typename Pred>
    void retire(Pred which, Duration at) {
        for (auto it = active.begin(); it != active.end();) {
            if (!which(*it)) {
                ++it;
                continue;
            }
            it->gen->stop();
            retired.push_back({std::move(it->gen), at, steadyNow(), std::nullopt});
            it = active.erase(it);
        }
        if (!retired.empty())
            checkTimer.start();
    }

    void queueJudgments(Duration t) {
        for (std::size_t i = 0; i < expectations.size(); ++i) {
            if (judged[i] || windowEnd(expectations[i]) != t)
                continue;
            const bool queued = std::any_of(pending.begin(), pending.end(), [i](const Pending& p) { return p.index == i; });
            if (!queued)
                pending.push_back({i, t, steadyNow() + settleBound, std::nullopt});
        }
        if (!pending.empty())
            checkTimer.start();
    }

    // ---- actions ----

    void apply(const Action& a) {
        const QString text = QString::fromStdString(a.describe());
        const std::string error = execute(a);
        if (!error.empty())
            notes.push_back(a.describe() + ": not applied: " + error);
        emit q->actionApplied(text, QString::fromStdString(error));
    }

    /// Applies one action; returns why it could not be ("" when applied).
    std::string execute(const Action& a) {
        const QString server = QString::fromStdString(a.server);
        auto knownServer = [&]() -> std::string {
            const auto names = serverNames(current);
            if (names.count(a.server))
                return {};
            return fmt::format("no model server named '{}' (the config has: {})", a.server, joinNames(names));
        };
        using V = Action::Verb;
        switch (a.verb) {
        case V::Stop:
        case V::Start:
        case V::Delete:
        case V::Reapply:
        case V::ClearFault: {
            if (auto e = knownServer(); !e.empty())
                return e;
            if (a.verb == V::Stop)
                service->stopServer(server);
            else if (a.verb == V::Start)
                service->startServer(server);
            else if (a.verb == V::Delete)
                service->deleteServer(server);
            else if (a.verb == V::Reapply)
                service->reapplyServer(server);
            else
                service->clearFault(server);
            return {};
        }
        case V::Fault: {
            if (auto e = knownServer(); !e.empty())
                return e;
            if (!a.fault.is_object())
                return "the fault profile is not a map";
            nlohmann::json profile = a.fault;
            profile.erase("server");
            service->setFault(server, profile);
            return {};
        }
        case V::Edit: {
            auto edited = applyEdit(current, a);
            if (!edited)
                return edited.error().message;
            current = std::move(edited).value();
            if (const auto ref = findRef(a)) {
                service->editBackendRef(QString::fromStdString(ref->route), a.rule, ref->index, a.weight, a.priority,
                                        a.modelNameOverride ? std::optional<QString>(QString::fromStdString(*a.modelNameOverride))
                                                            : std::nullopt);
            } else {
                service->applyConfig(current);
            }
            return {};
        }
        case V::Policy: {
            auto edited = applyEdit(current, a);
            if (!edited)
                return edited.error().message;
            current = std::move(edited).value();
            service->applyConfig(current);
            return {};
        }
        case V::Config: {
            auto loaded = loadConfigSource(a.config, scenario.directory, scenario.file);
            if (!loaded.ok()) {
                std::string text;
                for (const auto& e : loaded.errors)
                    text += (text.empty() ? "" : "\n") + e.toString();
                // As on a cluster: references to missing objects leave those routes NotAccepted.
                if (!loaded.onlyReferenceErrors())
                    return text;
                notes.push_back(a.describe() + ": applied with reference errors: " + text);
            }
            current = std::move(loaded.config);
            service->applyConfig(current);
            return {};
        }
        case V::DnsRefresh:
            service->setDnsRefreshDelay(std::chrono::duration_cast<std::chrono::milliseconds>(a.duration));
            return {};
        }
        return "unknown action";
    }

    struct RefAt {
        std::string route;
        int index;
    };
    /// The route ("ns/name") and index of an Edit's backendRef in the current config.
    std::optional<RefAt> findRef(const Action& a) const {
        for (const auto& r : current.routes) {
            const std::string full = r.meta.effectiveNamespace() + "/" + r.meta.name;
            if (a.route != r.meta.name && a.route != full)
                continue;
            // The first route of that name, as applyEdit edits it.
            if (a.rule < 0 || static_cast<std::size_t>(a.rule) >= r.rules.size())
                return std::nullopt;
            // As applyEdit reads it: the AIServiceBackend's name, else the index.
            const auto& refs = r.rules[static_cast<std::size_t>(a.rule)].backendRefs;
            for (std::size_t i = 0; i < refs.size(); ++i)
                if (refs[i].name == a.backendRef)
                    return RefAt{full, static_cast<int>(i)};
            for (std::size_t i = 0; i < refs.size(); ++i)
                if (std::to_string(i) == a.backendRef)
                    return RefAt{full, static_cast<int>(i)};
            return std::nullopt;
        }
        return std::nullopt;
    }

    // ---- records ----

    void addRecord(const routing::RequestRecord& r) {
        if (state == State::Idle || state == State::Finished)
            return;
        const auto start = toScenario(r.start);
        if (!start)
            return;
        routing::RequestRecord c = r;
        c.start = TimePoint{} + *start;
        for (auto& at : c.attempts)
            if (const auto t = toScenario(at.start))
                at.start = TimePoint{} + *t;
        evaluator.add(c);
        if (observer)
            observer->onRequest(c);
        if (keepRecords)
            records.push_back(std::move(c));
    }

    void addHostEvent(const routing::HostEvent& e) {
        if (state == State::Idle || state == State::Finished)
            return;
        const auto at = toScenario(e.at);
        if (!at)
            return;
        routing::HostEvent c = e;
        c.at = TimePoint{} + *at;
        if (const auto until = toScenario(e.until))
            c.until = TimePoint{} + *until;
        evaluator.add(c);
        if (observer)
            observer->onHostEvent(c);
    }

    void drainNow() {
        if (!service)
            return;
        std::vector<routing::RequestRecord> rs;
        std::vector<routing::HostEvent> hs;
        std::vector<proxy::ServiceEvent> es;
        service->drain(&rs, &hs, &es);
        for (const auto& r : rs)
            addRecord(r);
        for (const auto& h : hs)
            addHostEvent(h);
        if (state == State::Playing || state == State::Paused)
            for (const auto& e : es)
                if (e.kind == proxy::ServiceEvent::Kind::Error || e.kind == proxy::ServiceEvent::Kind::ConfigRejected)
                    notes.push_back((e.name.isEmpty() ? std::string() : e.name.toStdString() + ": ") + e.message.toStdString());
    }

    // ---- judging ----

    /// Requests sent before scenario time `end` are all answered.
    bool settled(Duration end) const {
        for (const auto& r : retired)
            if (r.at <= end && !r.idleSince)
                return false;
        return true;
    }

    void check() {
        const TimePoint now = steadyNow();
        for (auto& r : retired)
            if (!r.idleSince && now - r.since >= kStopSettle && r.gen->stats().inFlight == 0)
                r.idleSince = now;
        bool drained = false;
        for (auto it = pending.begin(); it != pending.end();) {
            if (!it->settledAt) {
                if (settled(it->end)) {
                    it->settledAt = now;
                } else if (now >= it->deadline) {
                    it->settledAt = now;
                    notes.push_back(fmt::format("{}: judged with requests still in flight {} after its window closed",
                                                it->index == kFinal ? std::string("the run's totals")
                                                                    : expectations[it->index].name,
                                                formatDuration(settleBound)));
                }
            }
            if (!it->settledAt || now - *it->settledAt < kRecordGrace || (it->index == kFinal && pending.size() > 1)) {
                ++it;
                continue;
            }
            if (drains && !drained) {
                drainNow();
                drained = true;
            }
            const std::size_t index = it->index;
            it = pending.erase(it);
            if (index == kFinal) {
                finish();
                return;
            }
            ExpectationResult r = evaluator.evaluate(expectations[index], duration());
            r.evaluated = true;
            judged[index] = r;
            const auto run = runId;
            emit q->expectationEvaluated(static_cast<int>(index), r);
            if (run != runId)
                return;  // a slot restarted the run: `pending` is another run's now
        }
        // Generators idle for a while will never send again: let them go.
        retired.erase(std::remove_if(retired.begin(), retired.end(),
                                     [now](const Retired& r) { return r.idleSince && now - *r.idleSince >= kRetiredKeep; }),
                      retired.end());
        if (pending.empty() && retired.empty())
            checkTimer.stop();
    }

    void finish() {
        checkTimer.stop();
        setState(State::Finished);
        emit q->finished(result());
    }

    std::vector<ExpectationResult> results() const {
        std::vector<ExpectationResult> out;
        out.reserve(expectations.size());
        for (std::size_t i = 0; i < expectations.size(); ++i) {
            if (judged[i]) {
                out.push_back(*judged[i]);
                continue;
            }
            // What the window holds so far; not a verdict until it closed.
            ExpectationResult r = evaluator.evaluate(expectations[i], duration());
            r.evaluated = false;
            r.pass = false;
            out.push_back(std::move(r));
        }
        return out;
    }

    RunResult result() const {
        RunResult r;
        r.file = scenario.file;
        r.title = scenario.title;
        r.configLabel = configLabel;
        r.mode = "live";
        r.seed = scenario.settings.seed;
        r.duration = duration();
        summarize(scenario, evaluator, state == State::Finished ? duration() : position(), r);
        r.expectations = results();
        if (keepRecords)
            r.records = records;
        r.notes.insert(r.notes.end(), notes.begin(), notes.end());
        return r;
    }
};

LivePlayer::LivePlayer(proxy::GatewayService* service, QObject* parent)
    : QObject(parent), d(std::make_unique<Impl>(this, service)) {}

LivePlayer::~LivePlayer() = default;

void LivePlayer::setScenario(const Scenario& scenario, const config::Config& config) {
    d->scenario = scenario;
    d->config = config;
    d->buildAgenda();
    d->clearRun();
    d->fresh = false;
    d->setState(State::Idle);
}

const Scenario& LivePlayer::scenario() const { return d->scenario; }

void LivePlayer::setConfigLabel(const std::string& label) { d->configLabel = label; }

void LivePlayer::setKeepRecords(bool keep) { d->keepRecords = keep; }

void LivePlayer::setObserver(routing::RecordSink* observer) { d->observer = observer; }

void LivePlayer::setDrainsService(bool drains) {
    d->drains = drains;
    if (drains)
        d->drainTimer.start();
    else
        d->drainTimer.stop();
}

void LivePlayer::addRecord(const routing::RequestRecord& record) { d->addRecord(record); }

void LivePlayer::addHostEvent(const routing::HostEvent& event) { d->addHostEvent(event); }

void LivePlayer::play() {
    d->stepTarget.reset();
    d->play();
}

void LivePlayer::pause() { d->pause(); }

void LivePlayer::step() { d->stepForward(); }

void LivePlayer::restart() { d->restart(); }

LivePlayer::State LivePlayer::state() const { return d->state; }

Duration LivePlayer::position() const { return d->position(); }

int LivePlayer::currentStep() const { return d->step; }

bool LivePlayer::loadIdle() const {
    return std::all_of(d->active.begin(), d->active.end(), [](const auto& g) { return g.gen->isIdle(); }) &&
           std::all_of(d->retired.begin(), d->retired.end(), [](const auto& r) { return r.gen->isIdle(); });
}

std::vector<ExpectationResult> LivePlayer::results() const { return d->results(); }

RunResult LivePlayer::result() const { return d->result(); }

}  // namespace aigw::scenario
