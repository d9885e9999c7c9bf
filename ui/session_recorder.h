#pragma once
// Record: the user's own actions in the desktop app, with their times since recording started,
// saved as a scenario file that replays the same session. What is captured, and where from:
//   - server stop / start / delete / re-apply, faults and their clearing: ServersPanel::serverCommand
//     (its buttons, its fault menu and the Gateway menu all go through it);
//   - backendRef edits of weight / priority / modelNameOverride (incl. undo and redo):
//     TopologyModel::backendRefEdited;
//   - the DNS refresh delay applied in the servers dock: ServersPanel::dnsRefreshApplyRequested;
//   - the load generator's start (or restart with new settings) and stop: LoadPanel;
//   - whole configs applied (File > Open, the doctor's fix): configApplied(), called by the window.
// What the scenario player or the admin API does is not the user's and is not captured.
//
// The scenario: the config running when recording started (inline manifests), the servers that
// were stopped or deleted then (actions at 0s), the DNS refresh delay, one load stream per load
// generator run (from / to), and one step per action (or load change) at its time.

#include <QObject>
#include <QString>

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "config/model.h"
#include "loadgen/load_generator.h"
#include "scenario/scenario.h"

namespace aigw::proxy {
class GatewayService;
}

namespace aigw::ui {

class LoadPanel;
class ServersPanel;
class TopologyModel;
struct RefPath;

class SessionRecorder : public QObject {
    Q_OBJECT
public:
    /// Where the user's actions come from; any may be null (tests feed the hooks directly).
    struct Sources {
        proxy::GatewayService* service = nullptr;  ///< server states when recording starts
        TopologyModel* topology = nullptr;         ///< the config when recording starts; edits
        ServersPanel* servers = nullptr;           ///< server commands, faults, DNS refresh
        LoadPanel* load = nullptr;                 ///< load generator start / stop
    };

    explicit SessionRecorder(Sources sources, QObject* parent = nullptr);

    /// The clock action times are read from (default: the steady clock); not owned.
    void setClock(const Clock* clock) { m_clock = clock ? clock : &m_steady; }

    /// Starts a new recording (the previous one is dropped) from the sources' current state.
    void start();
    void stop();
    bool isRecording() const { return m_recording; }
    /// Since start, up to stop() once stopped.
    Duration elapsed() const;
    /// Anything to save (a recording was made).
    bool hasRecording() const { return m_started; }

    // The hooks the sources' signals call (public for the window and for tests). Ignored while not
    // recording.
    void serverCommand(const scenario::Action& action);
    void backendRefEdited(const RefPath& path, const config::BackendRefSpec& spec);
    void dnsRefreshApplied(int seconds);
    void loadStarted(const loadgen::LoadOptions& options);
    void loadStopped();
    /// A whole config was applied to the gateway; `what` says how ("opened a.yaml", "doctor fix: ...").
    void configApplied(const config::Config& config, const QString& what);

    /// Every recorded action in order, with its time (`at`).
    const std::vector<scenario::Action>& actions() const { return m_actions; }
    /// The recording as a scenario (while recording: up to now).
    scenario::Scenario toScenario(const QString& title = {}) const;
    /// Writes toScenario() as YAML (scenario::toYaml); false with a reason on failure.
    bool save(const QString& path, QString* error) const;

signals:
    void recordingChanged(bool recording);
    /// One line per captured action ("12.3s stop qwen-primary"), for the dock's status line.
    void actionRecorded(const QString& line);

private:
    Duration now() const;
    void add(scenario::Action action, const std::string& title);
    void openLoad(const loadgen::LoadOptions& options, Duration at);
    void closeLoad(Duration at);

    struct Note {
        Duration at{};
        std::string title;
        std::string text;
        std::vector<scenario::Action> actions;
    };

    Sources m_sources;
    SteadyClock m_steady;
    const Clock* m_clock = &m_steady;
    bool m_recording = false;
    bool m_started = false;
    TimePoint m_start{};
    Duration m_stoppedAt{};
    std::string m_startedText;  ///< wall-clock date of the start, for the title
    config::Config m_initialConfig;
    config::Config m_config;  ///< tracks edits, so an edit records only the fields it changed
    std::optional<int> m_dnsSeconds;
    std::vector<scenario::Action> m_initialActions;  ///< servers stopped / deleted / black-holed at start
    std::vector<std::string> m_initialNotes;
    std::vector<scenario::Action> m_actions;
    std::vector<Note> m_steps;  ///< one per action or load change, in time order
    std::vector<scenario::LoadStream> m_load;
    bool m_loadOpen = false;
};

}  // namespace aigw::ui
