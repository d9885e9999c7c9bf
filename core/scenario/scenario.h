#pragma once
// Scenarios as code: one YAML file holds a config, a load profile, a timeline of actions and
// expectations over time windows, with teaching text per step. The same file runs in virtual time
// (run_virtual.h), on the live gateway (live_player.h) and in the desktop app. The format is
// documented in docs/scenarios.md and samples/scenarios/scenario.schema.json.
//
//   apiVersion: aigw-sim.dev/v1alpha1
//   kind: Scenario
//   metadata: {name: ticket2-corrected}
//   spec:
//     title: ...            summary: Markdown
//     config: {builtin: true | files: [..] | manifests: "..." | policy: as-written|corrected}
//     settings: {seed: 1, dnsRefresh: 30s, latency: 200ms, servers: {NAME: {latency: 300ms, mode: ollama}}}
//     duration: 60s
//     load: [{model, rate, concurrency, streamShare, promptBytes, maxTokens, from, to}]
//     steps: [{at, title, text, actions: [...], expect: [...]}]
//
// Pure data and parsing here: no Qt, no sockets, no clock.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "config/loader.h"
#include "config/model.h"

namespace aigw::scenario {

inline constexpr const char* kApiVersion = "aigw-sim.dev/v1alpha1";
inline constexpr const char* kKind = "Scenario";

/// Where the scenario's gateway config comes from. Several sources combine, in this order:
/// the built-in scenario, then `files`, then `manifests`; `policy` then replaces the fallback policy.
struct ConfigSource {
    bool builtin = false;                 ///< the built-in default scenario (the tutorial's files, fixed policy)
    std::vector<std::string> files;       ///< resolved against the scenario file's directory
    std::string manifests;                ///< inline multi-document YAML
    int manifestsLine = 0;                ///< 1-based line of the inline text in the scenario file
    /// The lesson is about this very config (e.g. the tutorial's policy as written): `scenario run
    /// --config` leaves it in place rather than replacing it with the user's manifests.
    bool pinned = false;
    /// "as-written": every BackendTrafficPolicy becomes the tutorial's policy exactly as written;
    /// "corrected": numAttemptsPerPriority 1 on every retry. Empty: as loaded.
    std::string policy;
    bool empty() const { return !builtin && files.empty() && manifests.empty(); }
};

/// One stream of client requests. Arrivals are evenly spaced at `rate` within [from, to).
struct LoadStream {
    std::string model;
    double rate = 10;                 ///< requests per second
    int concurrency = 64;             ///< most in flight; an arrival beyond it waits for a free slot
    double streamShare = 0;           ///< share of requests sent with "stream": true (0..1), spread evenly
    int promptBytes = 32;             ///< size of the user message; the request body is about 120 bytes more
    int maxTokens = 16;
    Duration from{};                  ///< first arrival
    std::optional<Duration> to;       ///< none: until the scenario's duration
    SourceLocation where;
};

/// One thing that happens at a time. `verb` says which fields are used:
///   stop | start | delete | reapply      server
///   fault                                server, fault (mock fault-profile keys, plus "blackhole": true)
///   clearFault                           server
///   edit                                 route, rule, backendRef, weight / priority / modelNameOverride
///   policy                               policy (BackendTrafficPolicy name), set ("retry.numAttemptsPerPriority": 1, ...)
///   config                               config (a ConfigSource swapped in)
///   dnsRefresh                           duration (the gateway's DNS refresh delay from now on)
struct Action {
    enum class Verb { Stop, Start, Delete, Reapply, Fault, ClearFault, Edit, Policy, Config, DnsRefresh };
    Verb verb = Verb::Stop;
    Duration at{};                     ///< absolute scenario time
    std::string server;
    nlohmann::json fault;              ///< Fault: the profile as written (object)
    std::string route;                 ///< Edit: AIGatewayRoute name ("name" or "ns/name")
    int rule = 0;                      ///< Edit: rule index
    std::string backendRef;            ///< Edit: backendRef name (AIServiceBackend), or its index as text
    std::optional<std::int64_t> weight, priority;
    std::optional<std::string> modelNameOverride;  ///< "" removes the override
    std::string policy;                ///< Policy: BackendTrafficPolicy metadata.name
    nlohmann::json set;                ///< Policy: {"dotted.path": value, ...}; null value removes the field
    ConfigSource config;               ///< Config
    Duration duration{};               ///< DnsRefresh
    SourceLocation where;
    /// One line, e.g. "10s stop qwen-primary", "20s edit qwen-with-fallback rule 0 qwen-primary-fb weight=80".
    std::string describe() const;
};

const char* nameOf(Action::Verb verb);

/// A bound on a measured value; either may be absent.
struct Bound {
    std::optional<double> min, max;
    bool holds(double v) const { return (!min || v >= *min) && (!max || v <= *max); }
};

/// One expectation over requests that *started* in [from, to) (optionally of one virtual model),
/// or over host events in that window.
struct Expectation {
    enum class Check {
        Requests,       ///< requests: {min, max}
        Failed,         ///< failed (status >= 400, or a stream cut): {min, max} count
        FailedPercent,  ///< failedPercent: {min, max}
        Status,         ///< status: {code, min, max}
        Share,          ///< share: {backend, percent, within}: % of requests answered by an AIServiceBackend
        LatencyP99,     ///< latencyP99: {min, max} durations
        Ejections,      ///< ejections: {backend?, server?, min, max}: outlier ejections enforced
        ReturnsTo,      ///< returnsTo: {backend, within}: first request answered by it starts by from+within
    };
    Check check = Check::Failed;
    std::string name;                  ///< as written, else generated ("failed <= 0")
    Duration from{};
    std::optional<Duration> to;        ///< none: the end of the run
    std::string model;                 ///< filter (empty: every request)
    Bound bound;                       ///< Requests, Failed, FailedPercent, Status, Ejections; LatencyP99 in ms
    int status = 0;                    ///< Status
    std::string backend;               ///< Share, Ejections, ReturnsTo
    std::string server;                ///< Ejections
    double percent = 0, within = 0;    ///< Share (points)
    Duration returnWithin{};           ///< ReturnsTo
    std::size_t step = 0;              ///< index of the step that holds it
    SourceLocation where;
    /// The expected value as a short text: "<= 0", "50% +- 5", "<= 2.000s", ">= 1".
    std::string expectedText() const;
};

struct Step {
    Duration at{};
    std::string title;
    std::string text;  ///< Markdown
    std::vector<Action> actions;
    std::vector<Expectation> expectations;
    SourceLocation where;
};

struct Settings {
    std::uint64_t seed = 1;
    std::optional<Duration> dnsRefresh;              ///< default: the engine's 30s
    Duration latency = ms(200);                      ///< virtual servers' time to a complete response
    std::map<std::string, Duration> serverLatency;   ///< per server (virtual)
    /// Per server, how the live gateway runs it: "mock" (default), "ollama" or "external" (with
    /// serverUrl). Written onto the server's Backends as the aigw-sim/mode and aigw-sim/url
    /// annotations; virtual time ignores it.
    std::map<std::string, std::string> serverMode;
    std::map<std::string, std::string> serverUrl;
};

struct Scenario {
    std::string file;       ///< as given (empty for text)
    std::string directory;  ///< config files resolve against it
    std::string name;       ///< metadata.name
    std::string title;
    std::string summary;    ///< Markdown
    ConfigSource config;
    Settings settings;
    Duration duration = secs(60);
    std::vector<LoadStream> load;
    std::vector<Step> steps;  ///< sorted by `at`

    /// Every action of every step, in time order (stable: file order at equal times).
    std::vector<Action> timeline() const;
    /// Every expectation, in step order.
    std::vector<Expectation> expectations() const;
    /// The end of step `i`'s window: the next step's time, else `duration`.
    Duration stepEnd(std::size_t i) const;
};

struct ScenarioLoad {
    std::optional<Scenario> scenario;
    std::vector<Error> errors;  ///< `file:line:col: path: message`
    bool ok() const { return errors.empty() && scenario.has_value(); }
};

/// Reads one scenario file. Every problem is an Error with its location; nothing throws.
ScenarioLoad loadScenarioFile(const std::string& path);
/// As loadScenarioFile for text in memory; `fileName` names it in errors, `directory` resolves files.
ScenarioLoad loadScenarioText(const std::string& text, const std::string& fileName, const std::string& directory);

/// The gateway config a ConfigSource describes (relative files against `directory`).
config::LoadResult loadConfigSource(const ConfigSource& source, const std::string& directory,
                                    const std::string& scenarioFile);
/// The scenario's config, or `overrideFiles` (the `--config FILE...` of `scenario run`) when
/// non-empty and the scenario's config is not pinned.
config::LoadResult loadScenarioConfig(const Scenario& s, const std::vector<std::string>& overrideFiles);
/// What loadScenarioConfig uses, for reports: "scenario's own", the override files, or
/// "scenario's own (pinned; --config not applied)".
std::string configLabel(const Scenario& s, const std::vector<std::string>& overrideFiles);

/// Applies an Edit or Policy action to a config, as a live edit would (returns an error naming what
/// was not found: the route, rule, backendRef or policy, or a path that cannot be set).
Result<config::Config> applyEdit(const config::Config& config, const Action& action);

/// Serializes a scenario back to YAML (used by the GUI's Record; loads back to an equal scenario).
std::string toYaml(const Scenario& s);

/// Lists scenario files (*.yaml, *.yml holding kind: Scenario) in a directory, sorted by name.
std::vector<std::string> scenarioFilesIn(const std::string& directory);

/// Parses a Gateway API style duration ("10s", "1500ms", "1m30s", "0s").
Result<Duration> parseDuration(const std::string& text);
/// "1.5s", "250ms", "2m"
std::string formatDuration(Duration d);

}  // namespace aigw::scenario
