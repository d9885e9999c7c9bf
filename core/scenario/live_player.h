#pragma once
// Plays a scenario on a running GatewayService in wall time: applies its config, starts one
// LoadGenerator per load stream within its window, applies the timeline's actions at their times
// (server actions, faults, edits, policy edits, config swaps), and judges each expectation when its
// window closes (plus a settle time for the requests still in flight). Used by
// `aigw-sim scenario run --live` (which owns the service) and by the desktop app's Scenario dock
// (which shares the app's service: the app's GatewayBridge drains the records and forwards them to
// addRecord/addHostEvent).
//
// Lives on the thread of the service's owner (the GUI thread in the app); never blocks it.
//
// Scenario time runs on the steady clock that stamps the proxy's records, from the moment the
// servers are up after play() and frozen while paused; records convert through the stretches of
// playing, so a request keeps the time it started at even when its record arrives after a pause.
// An expectation is judged once its window closed and the requests sent before its end were answered
// (the load generators are swapped for fresh ones at each window end, so the old ones' in-flight count
// says exactly that), at most the longest route timeout plus a few seconds after.

#include <QObject>
#include <QString>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scenario/run.h"
#include "scenario/scenario.h"

namespace aigw::proxy {
class GatewayService;
}

namespace aigw::scenario {

class LivePlayer : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Playing, Paused, Finished };

    /// `service` must be running (ready) before play(); not owned.
    explicit LivePlayer(proxy::GatewayService* service, QObject* parent = nullptr);
    ~LivePlayer() override;

    /// Loads a scenario and the config to play it on (the scenario's own, or an override); resets
    /// everything. Applies nothing until play().
    void setScenario(const Scenario& scenario, const config::Config& config);
    const Scenario& scenario() const;
    /// RunResult::configLabel of result() (default "scenario's own").
    void setConfigLabel(const std::string& label);
    /// Keep every record (in scenario time) for RunResult::records. Default false.
    void setKeepRecords(bool keep);
    /// Also hands every record and host event, converted to scenario time, to `observer` (not owned;
    /// null: none).
    void setObserver(routing::RecordSink* observer);

    /// When true (the CLI), the player drains the service's records itself; when false (the app),
    /// the owner forwards them with addRecord/addHostEvent. Default false.
    void setDrainsService(bool drains);
    void addRecord(const routing::RequestRecord& record);
    void addHostEvent(const routing::HostEvent& event);

    /// Starts (from Idle or Finished: restarts from 0, re-applying the config and bringing every
    /// server back up; the clock starts once the config is applied and the servers are ready, at
    /// most 30 s) or resumes (from Paused). Refused, with actionApplied("play", error), when the
    /// service is not running.
    void play();
    /// Stops the clock: load stops sending (requests in flight complete), pending actions wait.
    void pause();
    /// Plays until the next step's time, then pauses (from Idle: applies step 0 and pauses at it).
    void step();
    /// Back to time 0: load stopped, servers back up, faults cleared, config re-applied, results cleared.
    void restart();

    State state() const;
    /// Scenario time now (frozen while paused).
    Duration position() const;
    /// Index of the step the timeline has reached (-1 before the first).
    int currentStep() const;
    /// No load generator sends any more and none has a request in flight (after pause(), once the
    /// requests sent before it are answered).
    bool loadIdle() const;
    /// Every expectation with its result so far (evaluated == false until its window closed).
    std::vector<ExpectationResult> results() const;
    /// The whole run so far as a RunResult (mode "live").
    RunResult result() const;

signals:
    void stateChanged(aigw::scenario::LivePlayer::State state);
    /// The timeline reached step `index` (its actions were just applied).
    void stepReached(int index);
    /// An action was applied (its describe() text), or failed (`error` non-empty).
    void actionApplied(const QString& description, const QString& error);
    /// Expectation `index` (in Scenario::expectations() order) was judged.
    void expectationEvaluated(int index, const aigw::scenario::ExpectationResult& result);
    /// The duration elapsed and every expectation was judged.
    void finished(const aigw::scenario::RunResult& result);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace aigw::scenario
