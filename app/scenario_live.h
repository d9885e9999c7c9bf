#pragma once
// `aigw-sim scenario run --live`: one scenario on the real gateway, its mock model servers and real
// HTTP load, in wall time (cmd_scenario.cpp calls it per file).

#include "common/result.h"
#include "config/model.h"
#include "scenario/run.h"
#include "scenario/scenario.h"

namespace aigw::app {

/// Starts a GatewayService on free loopback ports with `config` (mock servers as configured; the
/// scenario's seed, latency and DNS refresh settings applied), waits until every model server is
/// ready, plays the scenario with a LivePlayer and returns its result once every expectation was
/// judged; then stops the service. Creates a QCoreApplication when none exists. Prints a progress
/// line to stderr per step reached and per action applied. Errors: the gateway or a model server
/// does not start (within a bound), or the run cannot begin.
Result<scenario::RunResult> runScenarioLive(const scenario::Scenario& scenario, const config::Config& config,
                                            const scenario::RunOptions& options);

}  // namespace aigw::app
