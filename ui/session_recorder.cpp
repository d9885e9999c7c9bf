#include "session_recorder.h"

#include <QDateTime>
#include <QFile>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "config/exporter.h"
#include "docks.h"
#include "proxy/gateway_service.h"
#include "topology_model.h"

namespace aigw::ui {

namespace {
/// Scenario times are written with millisecond precision: round here, so the file loads back equal.
Duration roundMs(Duration d) { return std::chrono::round<std::chrono::milliseconds>(d); }

std::string loadTitle(const loadgen::LoadOptions& o) {
    const std::string on = o.mix.empty() ? o.model : fmt::format("a mix of {} models", o.mix.size());
    return fmt::format("Load: {:g} requests/s on {} (concurrency {}{})", o.ratePerSecond, on, o.concurrency,
                       o.stream ? ", streaming" : "");
}
}  // namespace

SessionRecorder::SessionRecorder(Sources sources, QObject* parent) : QObject(parent), m_sources(sources) {
    if (auto* servers = m_sources.servers) {
        connect(servers, &ServersPanel::serverCommand, this, &SessionRecorder::serverCommand);
        connect(servers, &ServersPanel::dnsRefreshApplyRequested, this, &SessionRecorder::dnsRefreshApplied);
    }
    if (auto* load = m_sources.load) {
        connect(load, &LoadPanel::loadStarted, this, &SessionRecorder::loadStarted);
        connect(load, &LoadPanel::loadStopped, this, &SessionRecorder::loadStopped);
    }
    if (auto* topology = m_sources.topology) {
        connect(topology, &TopologyModel::backendRefEdited, this, &SessionRecorder::backendRefEdited);
        // A new tree that is not a recorded apply (the admin API, a scenario): edits are compared
        // with what the topology shows from then on.
        connect(topology, &QAbstractItemModel::modelReset, this, [this] {
            if (m_recording)
                m_config = m_sources.topology->config();
        });
    }
}

Duration SessionRecorder::now() const { return roundMs(m_clock->now() - m_start); }

Duration SessionRecorder::elapsed() const {
    if (!m_started)
        return {};
    return m_recording ? now() : m_stoppedAt;
}

void SessionRecorder::start() {
    m_recording = true;
    m_started = true;
    m_start = m_clock->now();
    m_stoppedAt = {};
    m_startedText = QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")).toStdString();
    m_actions.clear();
    m_steps.clear();
    m_load.clear();
    m_loadOpen = false;
    m_initialActions.clear();
    m_initialNotes.clear();
    m_initialConfig = m_sources.topology ? m_sources.topology->config() : config::Config{};
    m_config = m_initialConfig;
    m_dnsSeconds.reset();
    if (m_sources.servers)
        m_dnsSeconds = m_sources.servers->dnsRefreshSeconds();
    if (m_sources.service) {
        // The servers as they are now: a replay starts from the config with every server up.
        for (const auto& s : m_sources.service->servers()) {
            scenario::Action a;
            a.server = s.name.toStdString();
            if (s.state == proxy::ServerState::Stopped || s.state == proxy::ServerState::Failed)
                a.verb = scenario::Action::Verb::Stop;
            else if (s.state == proxy::ServerState::Deleted)
                a.verb = scenario::Action::Verb::Delete;
            else if (s.blackHole) {
                a.verb = scenario::Action::Verb::Fault;
                a.fault = FaultPresets::blackHole();
            } else {
                // A fault set before recording: its profile is not known here, only its summary.
                if (!s.faultSummary.isEmpty())
                    m_initialNotes.push_back(fmt::format("{} had a fault ({}) when recording started; it is not part of "
                                                         "the recording.",
                                                         a.server, s.faultSummary.toStdString()));
                continue;
            }
            m_initialActions.push_back(std::move(a));
        }
    }
    if (m_sources.load)
        if (const auto running = m_sources.load->runningOptions())
            openLoad(*running, Duration{});  // running from the start: a load stream, not a step
    emit recordingChanged(true);
}

void SessionRecorder::stop() {
    if (!m_recording)
        return;
    m_stoppedAt = now();
    m_recording = false;
    emit recordingChanged(false);
}

void SessionRecorder::add(scenario::Action action, const std::string& title) {
    action.at = now();
    m_actions.push_back(action);
    m_steps.push_back({action.at, title.empty() ? action.describe() : title, {}, {action}});
    emit actionRecorded(QString::fromStdString(action.describe()));
}

void SessionRecorder::serverCommand(const scenario::Action& action) {
    if (m_recording)
        add(action, {});
}

void SessionRecorder::backendRefEdited(const RefPath& path, const config::BackendRefSpec& spec) {
    if (!m_recording)
        return;
    if (path.route < 0 || path.route >= static_cast<int>(m_config.routes.size()))
        return;
    auto& route = m_config.routes[static_cast<std::size_t>(path.route)];
    if (path.rule < 0 || path.rule >= static_cast<int>(route.rules.size()))
        return;
    auto& refs = route.rules[static_cast<std::size_t>(path.rule)].backendRefs;
    if (path.ref < 0 || path.ref >= static_cast<int>(refs.size()))
        return;
    auto& before = refs[static_cast<std::size_t>(path.ref)];
    scenario::Action a;
    a.verb = scenario::Action::Verb::Edit;
    a.route = route.meta.name;
    if (!route.meta.ns.empty() && route.meta.ns != "default")
        a.route = route.meta.ns + "/" + route.meta.name;
    a.rule = path.rule;
    // The backendRef by name, or by index where the rule names it twice.
    const auto sameName = std::count_if(refs.begin(), refs.end(), [&](const auto& r) { return r.name == before.name; });
    a.backendRef = sameName == 1 ? before.name : std::to_string(path.ref);
    // Only what changed, as the user typed it.
    if (spec.effectiveWeight() != before.effectiveWeight())
        a.weight = spec.effectiveWeight();
    if (spec.effectivePriority() != before.effectivePriority())
        a.priority = spec.effectivePriority();
    if (spec.modelNameOverride != before.modelNameOverride)
        a.modelNameOverride = spec.modelNameOverride.value_or("");
    before = spec;
    if (!a.weight && !a.priority && !a.modelNameOverride)
        return;
    add(std::move(a), {});
}

void SessionRecorder::dnsRefreshApplied(int seconds) {
    if (!m_recording)
        return;
    scenario::Action a;
    a.verb = scenario::Action::Verb::DnsRefresh;
    a.duration = std::chrono::seconds(seconds);
    add(std::move(a), {});
}

void SessionRecorder::configApplied(const config::Config& config, const QString& what) {
    if (!m_recording)
        return;
    m_config = config;
    scenario::Action a;
    a.verb = scenario::Action::Verb::Config;
    a.config.manifests = config::exportYaml(config, {});
    add(std::move(a), what.isEmpty() ? std::string("Config applied") : "Config applied: " + what.toStdString());
}

void SessionRecorder::closeLoad(Duration at) {
    if (m_loadOpen)
        for (auto& l : m_load)  // every stream of the load (one per model of a mix)
            if (!l.to)
                l.to = at;
    m_loadOpen = false;
}

void SessionRecorder::loadStarted(const loadgen::LoadOptions& o) {
    if (!m_recording)
        return;
    const Duration at = now();
    closeLoad(at);  // a restart with new settings ends the previous stream
    openLoad(o, at);
    m_steps.push_back({at, loadTitle(o), {}, {}});
    emit actionRecorded(QString::fromStdString(fmt::format("{} {}", scenario::formatDuration(at), loadTitle(o))));
}

void SessionRecorder::openLoad(const loadgen::LoadOptions& o, Duration at) {
    // A mix becomes one stream per model, each with its share of the rate and of the concurrency.
    std::vector<loadgen::ModelShare> mix = o.mix.empty() ? std::vector<loadgen::ModelShare>{{o.model, 1.0}} : o.mix;
    double total = 0;
    for (const auto& m : mix)
        total += m.weight;
    for (const auto& m : mix) {
        const double share = total > 0 ? m.weight / total : 1.0;
        scenario::LoadStream s;
        s.model = m.model;
        s.rate = o.ratePerSecond * share;
        s.concurrency = std::max(1, static_cast<int>(std::lround(o.concurrency * share)));
        s.streamShare = o.stream ? 1.0 : 0.0;
        s.promptBytes = static_cast<int>(o.prompt.size());
        s.maxTokens = o.maxTokens;
        s.from = at;
        m_load.push_back(std::move(s));
    }
    m_loadOpen = true;
}

void SessionRecorder::loadStopped() {
    if (!m_recording || !m_loadOpen)
        return;
    const Duration at = now();
    closeLoad(at);
    m_steps.push_back({at, "Load stopped", {}, {}});
    emit actionRecorded(QString::fromStdString(scenario::formatDuration(at) + " load stopped"));
}

scenario::Scenario SessionRecorder::toScenario(const QString& title) const {
    scenario::Scenario s;
    s.name = "recorded-session";
    s.title = title.isEmpty() ? "Recorded session " + m_startedText : title.toStdString();
    s.summary = "Recorded in the aigw-sim desktop app on " + m_startedText +
                ": the config, the servers and the load as they were when recording started, then every "
                "action in the order and at the time it was taken. Play it to replay the session.";
    s.config.manifests = config::exportYaml(m_initialConfig, {});
    if (m_dnsSeconds)
        s.settings.dnsRefresh = std::chrono::seconds(*m_dnsSeconds);
    const Duration end = elapsed();
    // At least a second, and past the last action, so that every action happens within the run.
    s.duration = std::max<Duration>(end, secs(1));
    s.load = m_load;
    scenario::Step first;
    first.at = {};
    first.title = "Recording starts";
    first.text = "The gateway config, the model servers and the load generator as they were when recording started.";
    for (const auto& note : m_initialNotes)
        first.text += "\n\n" + note;
    first.actions = m_initialActions;
    s.steps.push_back(std::move(first));
    for (const auto& n : m_steps) {
        scenario::Step step;
        step.at = n.at;
        step.title = n.title;
        step.text = n.text;
        step.actions = n.actions;
        s.steps.push_back(std::move(step));
    }
    return s;
}

bool SessionRecorder::save(const QString& path, QString* error) const {
    if (!m_started) {
        if (error)
            *error = QStringLiteral("Nothing recorded yet");
        return false;
    }
    const std::string yaml = scenario::toYaml(toScenario());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text) ||
        f.write(yaml.data(), static_cast<qint64>(yaml.size())) != static_cast<qint64>(yaml.size())) {
        if (error)
            *error = QStringLiteral("Could not write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

}  // namespace aigw::ui
