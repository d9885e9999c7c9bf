#pragma once
// Command-line options of `aigw-sim simulate`, parsed into values with clear errors (exit 2).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace aigw::sim {

/// What happens to a model server at a point in virtual time (`--event AT:SERVER:ACTION`).
struct ServerEvent {
    enum class Action {
        Stop,     ///< refuses new connections (RST); responses in flight complete (graceful drain)
        Start,    ///< accepts again (and, after `delete`, the hostname resolves again)
        Delete,   ///< the InferenceService is deleted: the name stops resolving at the next DNS refresh
        Reapply,  ///< after Delete: the server runs again, its name resolves at the next DNS refresh
        Fault,    ///< answers every request with `faultStatus`, or hangs (`hang`); 0 clears
        Latency,  ///< time to a complete response
    };
    Duration at{};
    std::string server;
    Action action = Action::Stop;
    int faultStatus = 0;  ///< Fault: 0 none, an HTTP status (e.g. 503, 429), kHang or kBlackHole
    Duration latency{};   ///< Latency
    std::string text;     ///< as written, for messages
    static constexpr int kHang = -1;       ///< connects, never answers
    static constexpr int kBlackHole = -2;  ///< packets dropped: connects neither succeed nor get refused
};

struct SimOptions {
    std::vector<std::string> configFiles;  ///< empty: the built-in scenario
    std::string model;
    std::uint64_t requests = 0;
    double rate = 10.0;                    ///< requests per second of virtual time, evenly spaced
    std::uint64_t seed = 1;
    std::vector<ServerEvent> events;       ///< in the order given (applied in time order)
    double streamShare = 0;                ///< share of requests with "stream": true, spread evenly
    std::optional<Duration> dnsRefresh;    ///< the engine's DNS refresh delay (default 30s)
    bool json = false;
    bool help = false;
};

/// Parses the arguments after `simulate`. Errors name the offending argument.
Result<SimOptions> parseArgs(const std::vector<std::string>& args);
/// "AT:SERVER:ACTION", e.g. "10s:qwen-primary:stop", "1500ms:qwen-secondary:fault=503".
Result<ServerEvent> parseEvent(const std::string& text);
/// Gateway API duration ("10s", "1500ms", "1m30s").
Result<Duration> parseTime(const std::string& text);

/// The usage text printed by --help and after an argument error.
const char* usage();

}  // namespace aigw::sim
