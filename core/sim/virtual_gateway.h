#pragma once
// The routing core against simulated model servers on a fake clock: client streams arrive, the
// engine decides, the simulated servers answer (or refuse, time out, fail, cut streams) with the
// timers of reference 3.5. No sockets, no threads; the same seed gives the same records.
// Used by `simulate` (one stream, server events) and by scenarios in virtual time (several
// streams, timed actions, config swaps).

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/scheduler.h"
#include "config/model.h"
#include "routing/engine.h"

namespace aigw::sim {

/// What a simulated server does wrong (the virtual-time subset of the mock server's fault profile).
struct VirtualFault {
    int status = 0;                    ///< answer with this status instead of a completion (0: none)
    double rate = 1.0;                 ///< share of requests that get `status`
    Duration extraLatency{};           ///< added before every response
    Duration jitter{};                 ///< plus a uniform draw in [0, jitter]
    bool hang = false;                 ///< connects, never answers
    bool blackHole = false;            ///< connects neither succeed nor get refused
    bool resetBeforeHeaders = false;   ///< RST as soon as the request arrives
    std::optional<Duration> firstToken;  ///< replaces the time to a stream's first token (and headers)
    std::optional<int> cutAfterTokens;   ///< streams: the connection closes after this many tokens
    bool none() const { return *this == VirtualFault{}; }
    bool operator==(const VirtualFault&) const = default;
};

/// A simulated model server (one per InferenceService, else per Backend).
struct ServerState {
    bool up = true;        ///< false: refuses connections
    bool deleted = false;  ///< its name is gone: connects time out until the engine's DNS refresh drops its hosts
    VirtualFault fault;
    Duration latency{};    ///< time to a complete response (jittered +-20%)
};

/// Timings of the simulated servers.
inline constexpr Duration kDefaultLatency = ms(200);
inline constexpr Duration kConnectRefusedAfter = ms(1);  ///< a RST comes back within the cluster
inline constexpr Duration kFaultAfter = ms(10);          ///< an error status is quick to produce
inline constexpr Duration kFirstToken = ms(20);          ///< a stream's headers and first chunk (the mock's default)

/// A stream of client requests, evenly spaced from `from`.
struct VirtualStream {
    std::string model;
    double rate = 10;                                       ///< requests per second
    std::uint64_t count = 0;                                ///< 0: until `to`
    Duration from{};
    Duration to = Duration::max();
    int concurrency = std::numeric_limits<int>::max();      ///< arrivals beyond it wait for a free slot
    double streamShare = 0;                                 ///< spread evenly
    std::int64_t bodyBytes = 0;                             ///< over the gateway's buffer limit: 413
    int maxTokens = 16;
};

class VirtualGateway final : public routing::RecordSink {
public:
    /// `sink` receives every record and host event (may be null).
    VirtualGateway(std::shared_ptr<const config::Config> config, std::uint64_t seed, routing::RecordSink* sink);
    ~VirtualGateway() override;

    routing::Engine& engine() { return *m_engine; }
    TimePoint now() const { return m_clock.now(); }
    /// Runs `fn` at virtual time `t` (from 0). At equal times, earlier calls run first.
    void at(Duration t, std::function<void()> fn);
    /// Schedules a stream's arrivals.
    void addStream(const VirtualStream& stream);
    /// Runs until nothing is pending.
    void run();

    ServerState& server(const std::string& name);
    void stop(const std::string& name);
    /// Start and re-apply: the server serves again; after a delete its name resolves at the next refresh.
    void start(const std::string& name);
    void remove(const std::string& name);
    void setConfig(std::shared_ptr<const config::Config> config);

    // routing::RecordSink
    void onRequest(const routing::RequestRecord& r) override;
    void onHostEvent(const routing::HostEvent& e) override;

private:
    struct Flight {
        std::unique_ptr<routing::Request> request;
        std::size_t stream = 0;
        bool stream_ = false;  ///< "stream": true
    };
    struct StreamState {
        VirtualStream spec;
        std::uint64_t arrived = 0;
        std::uint64_t started = 0;  ///< begun (413s included): the index that spreads streamed requests
        int inFlight = 0;
        std::uint64_t waiting = 0;  ///< arrivals held back by the concurrency cap
    };
    void arrive(std::size_t stream);
    void begin(std::size_t stream);
    void handle(std::uint64_t id, const routing::Decision& d);
    void attempt(std::uint64_t id, Flight& f, const routing::AttemptTarget& t);
    void complete(std::uint64_t id, const routing::AttemptOutcome& o);
    void finished(std::size_t stream);

    routing::RecordSink* m_sink;
    ManualClock m_clock;
    SimScheduler m_scheduler;
    SeededRandom m_routingRandom;
    SeededRandom m_serverRandom;
    std::int64_t m_bufferLimit = 32768;  // before m_engine: read from the config the engine then takes
    std::unique_ptr<routing::Engine> m_engine;
    std::map<std::string, ServerState> m_servers;
    std::unordered_map<std::uint64_t, Flight> m_flights;
    std::vector<StreamState> m_streams;
    std::uint64_t m_nextId = 0;
    std::uint64_t m_localId = 0;
};

}  // namespace aigw::sim
