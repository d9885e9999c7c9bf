#pragma once
// Running a scenario and judging it: the Evaluator turns request records and host events into
// expectation results (the same code for virtual time, the live gateway and the desktop app);
// runVirtual() plays a scenario through the routing core on a fake clock; the formatters print
// the per-expectation table, JSON and JUnit XML of `aigw-sim scenario run`.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "routing/records.h"
#include "scenario/scenario.h"

namespace aigw::scenario {

/// What one client request looked like, in scenario time (offsets from the scenario's start).
struct Observed {
    Duration start{};
    Duration latency{};
    std::string model;    ///< virtual model asked for
    std::string backend;  ///< AIServiceBackend that answered ("" for local replies)
    int status = 0;       ///< 0: no response (transport error)
    bool stream = false;
    bool cut = false;     ///< status < 400 but the response ended early (a stream reset after headers)
    std::size_t attempts = 0;
    bool failed() const { return status == 0 || status >= 400 || cut; }
};

/// A host event in scenario time.
struct ObservedHost {
    Duration at{};
    routing::HostEvent::Type type = routing::HostEvent::Type::Ejected;
    std::string backend, server;
    std::string backendNamespace;  ///< of the AIServiceBackend ("default" when unset)
};

struct ExpectationResult {
    Expectation expectation;
    std::string window;    ///< "10s..30s"
    std::string measured;  ///< "503: 41", "48.9%", "p99 1.204s", "returned after 31.2s", "never"
    std::uint64_t requests = 0;  ///< requests in the window (after the model filter)
    bool pass = false;
    bool evaluated = false;  ///< false until the window closed (live: still running)
};

/// Collects what happened and judges expectations. Times are converted with `origin` (the scenario's
/// time 0 on the clock that stamped the records).
class Evaluator {
public:
    explicit Evaluator(TimePoint origin = TimePoint{}) : m_origin(origin) {}
    void setOrigin(TimePoint origin) { m_origin = origin; }
    void add(const routing::RequestRecord& r);
    void add(const routing::HostEvent& e);
    void add(Observed o) { m_requests.push_back(std::move(o)); }
    void clear();
    const std::vector<Observed>& requests() const { return m_requests; }
    const std::vector<ObservedHost>& hostEvents() const { return m_hosts; }
    /// Judges one expectation over everything added so far; `end` is the run's end (closes open windows).
    ExpectationResult evaluate(const Expectation& e, Duration end) const;

private:
    TimePoint m_origin;
    std::vector<Observed> m_requests;
    std::vector<ObservedHost> m_hosts;
};

struct RunOptions {
    std::vector<std::string> configFiles;  ///< replaces the scenario's own config when non-empty
    std::optional<std::uint64_t> seed;     ///< replaces settings.seed
    bool keepRecords = false;              ///< fill RunResult::records (the GUI's charts need them)
    /// Called with every record and host event as they happen (virtual time stamps), if set.
    routing::RecordSink* observer = nullptr;
};

struct RunResult {
    std::string file;          ///< scenario file
    std::string title;
    std::string configLabel;   ///< "scenario's own" or the --config files
    std::string mode;          ///< "virtual" or "live"
    std::uint64_t seed = 0;
    Duration duration{};
    std::uint64_t requests = 0, failed = 0;
    std::map<std::string, std::uint64_t> byBackend;
    std::map<int, std::uint64_t> byStatus;
    std::vector<ExpectationResult> expectations;
    std::vector<ObservedHost> hostEvents;
    std::vector<routing::RequestRecord> records;  ///< only with keepRecords
    std::vector<std::string> notes;               ///< config problems, actions that did nothing...
    bool passed() const;
};

/// The input errors of a scenario on a config, found before anything runs: a load stream's model
/// that no route matches, an action on an unknown server, an edit or policy edit naming what the
/// config (as the timeline leaves it) does not have, a swapped-in config that does not load, a
/// server setting for an unknown server, and (virtualTime) a fault key only the live mock servers play.
std::optional<Error> checkScenario(const Scenario& scenario, const config::Config& config, bool virtualTime);

/// Plays the scenario in virtual time. Errors (exit 2 material): the config does not load, an
/// action names an unknown server/route/policy, a load stream's model has no route, a fault key
/// that only the live mock servers can play (stall, malformed events).
Result<RunResult> runVirtual(const Scenario& scenario, const RunOptions& options = {});

/// Fills totals and expectation results of `result` from an evaluator (shared by both modes).
void summarize(const Scenario& scenario, const Evaluator& evaluator, Duration end, RunResult& result);

/// Per-expectation table: step, window, expectation, expected, measured, PASS/FAIL; then totals.
std::string toTable(const RunResult& r);
/// One JSON object per run.
nlohmann::ordered_json toJson(const RunResult& r);
/// JUnit XML: one <testsuite> per run, one <testcase> per expectation.
std::string toJUnit(const std::vector<RunResult>& runs);

}  // namespace aigw::scenario
