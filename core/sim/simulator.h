#pragma once
// Virtual-time simulator: N requests through the routing core against simulated model servers, on
// a ManualClock driven by a SimScheduler. No sockets, no threads; the same seed gives the same
// report, and a million requests take seconds.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/model.h"
#include "routing/engine.h"
#include "sim/options.h"
#include "sim/virtual_gateway.h"

namespace aigw::sim {

/// Requests grouped by the server events that bound them (first segment starts at 0).
struct Segment {
    Duration from{};
    std::optional<Duration> to;  ///< none for the last segment
    std::string startedBy;       ///< events at `from`, as written ("10s:qwen-primary:stop"); empty for the first
    std::uint64_t requests = 0, succeeded = 0, failed = 0;
    std::map<std::string, std::uint64_t> byBackend;
};

struct SimReport {
    std::string model;
    std::uint64_t seed = 0;
    double rate = 0;
    std::uint64_t requests = 0, succeeded = 0, failed = 0;
    std::map<std::string, std::uint64_t> byBackend;        ///< AIServiceBackend that answered -> requests
    std::map<int, std::uint64_t> byStatus;
    std::map<std::size_t, std::uint64_t> attempts;         ///< attempts per request -> requests
    std::map<std::string, std::uint64_t> byUpstreamModel;  ///< model sent by the answering attempt
    std::vector<routing::HostEvent> hostEvents;            ///< ejections, un-ejections, removals...
    std::vector<Segment> segments;
    double latencyMeanMs = 0, latencyP50Ms = 0, latencyP90Ms = 0, latencyP99Ms = 0, latencyMaxMs = 0;
    Duration virtualDuration{};
    routing::EngineCounters counters;
    std::vector<std::string> problems;  ///< config problems the engine reported (left-out backendRefs...)
};

/// Runs the simulation. Errors (exit 2 material): unknown model, unknown server in an event.
/// `observer`, if given, also receives every record and host event as they happen.
Result<SimReport> simulate(std::shared_ptr<const config::Config> config, const SimOptions& options,
                           routing::RecordSink* observer = nullptr);

/// One JSON object: requests, succeeded, failed, by_backend, by_status, attempts, ejections, ...
std::string toJson(const SimReport& report);
/// Readable tables.
std::string toTable(const SimReport& report);

}  // namespace aigw::sim
