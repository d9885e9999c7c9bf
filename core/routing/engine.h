#pragma once
// The routing and fallback engine: for each request, where each attempt goes, when to retry, when
// to fall back to the next priority, and when a host is ejected and brought back - as Envoy AI
// Gateway on Envoy Gateway and Envoy do it (reference sections 2, 3 and 8).
//
// Usage by a driver (the live proxy, or the virtual-time simulator):
//
//   auto req = engine.start(model, headers, clock.now());
//   Decision d = req->nextAttempt(clock.now());
//   while (d.action != Action::Respond) {
//       if (d.action == Action::Attempt) {
//           // connect to d.target.address:port within d.target.connectBudget(now), send the body
//           // with "model" = d.target.upstreamModel, then wait for headers at most
//           // d.target.headersBudget(sentAt); the deadline (untilDeadline) bounds everything
//           d = req->onAttemptResult(outcome, clock.now());
//       } else {  // Action::Backoff
//           // wait d.wait, then
//           d = req->nextAttempt(clock.now());
//       }
//   }
//   // respond: d.response (forward the last upstream response, or the local reply body);
//   // the record already went to the RecordSink.
//
// The engine is single-threaded: call it from one thread (the data plane's). Records and host events
// are value types, safe to copy to other threads. Config changes are whole snapshots (setConfig);
// requests in flight keep the snapshot they started with, while per-host outlier state is keyed by
// route/rule/backend/address and survives the swap (a weight, priority or override edit does not
// reset ejections).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "common/scheduler.h"
#include "config/model.h"
#include "routing/records.h"

namespace aigw::config {
class ConfigIndex;
}

namespace aigw::routing {

/// Request headers as (name, value) pairs; names compare case-insensitively.
using Headers = std::vector<std::pair<std::string, std::string>>;

/// The header the router-level ext_proc writes from the body's "model" (overwriting the client's).
inline constexpr const char* kModelHeader = "x-ai-eg-model";
/// Envoy Gateway's direct response for the route-not-found rule (asserted verbatim in AI GW e2e).
inline constexpr const char* kNoRouteBody =
    "No matching route found. It is likely because the model specified in your request is not "
    "configured in the Gateway.";

/// What the client gets.
struct Response {
    int status = 0;
    /// true: the gateway answers with `body`/`contentType`. false: forward the last attempt's
    /// upstream response as received (its body is the upstream's; OpenAI JSON passes unchanged).
    bool local = false;
    std::string body;
    std::string contentType;
};

/// Result of matching a model (and the other request headers) against the routes.
struct RouteResult {
    bool matched = false;
    std::string route;  ///< "<ns>/<name>" of the AIGatewayRoute
    std::string rule;   ///< rule name, else "rule/<i>"
    int routeIndex = -1;
    int ruleIndex = -1;
    Response notFound;  ///< when !matched: the 404 with kNoRouteBody (plain text)
};

/// "No deadline": a route timeout of 0s disables it.
inline constexpr TimePoint kNoDeadline = TimePoint::max();

/// Where the next attempt goes, and the timers the driver must arm for it (reference 3.5):
///   1. connecting: at most connectBudget(now) (the cluster connect timeout, or the deadline if
///      sooner); a connect that neither succeeds nor is refused ends as ConnectTimeout;
///   2. once the request was sent upstream: the per-try timeout, if any, from that moment;
///   3. once response headers went to the client: the per-try timeout no longer applies, only the
///      deadline (the route timeout) can end the stream;
/// and throughout, the deadline (timeouts.request from the request's start; kNoDeadline when 0s).
struct AttemptTarget {
    int attempt = 0;            ///< 1-based
    std::string backend;        ///< AIServiceBackend name
    std::string server;         ///< model server name (serverNameFor)
    std::string hostKey;        ///< stable host identity: "<ns>/<route>/<rule>/<backend>/<address>:<port>"
    std::string schema;         ///< AIServiceBackend schema name, e.g. "OpenAI"
    std::string address;        ///< endpoint hostname / IP / unix path
    int port = 0;
    int priority = 0;
    std::string upstreamModel;  ///< backendRef.modelNameOverride, else the requested model
    std::optional<Duration> perTryTimeout;      ///< perRetry.timeout (none when 0s, or >= a non-zero route timeout)
    std::optional<Duration> streamIdleTimeout;  ///< rule streamIdleTimeout (none when 0s)
    Duration connectTimeout = secs(10);         ///< BackendTrafficPolicy timeout.tcp.connectTimeout
    TimePoint deadline = kNoDeadline;           ///< start + timeouts.request: covers every attempt and backoff
    Duration backoffBefore{};   ///< backoff waited before this attempt

    bool hasDeadline() const { return deadline != kNoDeadline; }
    /// Time left until the deadline (never negative; Duration::max() without one).
    Duration untilDeadline(TimePoint now) const;
    /// How long the connect may take from `now`: the connect timeout or the deadline, whichever is sooner.
    Duration connectBudget(TimePoint now) const;
    /// How long the attempt may wait for response headers once the request was sent at `sentAt`:
    /// the per-try timeout or the deadline, whichever is sooner (Duration::max() when neither).
    Duration headersBudget(TimePoint sentAt) const;
};

/// What the driver observed for one attempt.
struct AttemptOutcome {
    UpstreamFailure failure = UpstreamFailure::None;
    int status = 200;               ///< HTTP status when headers arrived (None, Status, *AfterHeaders)
    bool headersSent = false;       ///< response headers already went to the client (streaming)
    bool envoyRateLimited = false;  ///< response carried x-envoy-ratelimited: never retried

    static AttemptOutcome ok(int status = 200) { return {UpstreamFailure::None, status, false, false}; }
    static AttemptOutcome httpStatus(int status) {
        return {status >= 400 ? UpstreamFailure::Status : UpstreamFailure::None, status, false, false};
    }
    static AttemptOutcome failed(UpstreamFailure f) { return {f, 0, false, false}; }
};

/// Envoy's RetryStatus, plus why a request ended without one.
enum class RetryStatus {
    Yes,                    ///< a retry was spent; back off, then nextAttempt()
    No,                     ///< the outcome is not retriable under the policy (or success)
    NoRetryLimitExceeded,   ///< retriable, but 1 + numRetries attempts were made
    NoHeadersSent,          ///< response headers already reached the client
    NoDeadline,             ///< the request deadline passes before the retry could start
};
const char* nameOf(RetryStatus s);

enum class Action { Attempt, Backoff, Respond };

struct Decision {
    Action action = Action::Respond;
    AttemptTarget target;  ///< Attempt
    /// Backoff: wait this long, then call nextAttempt(). Respond: respond after this long (non-zero
    /// only when the deadline, not the outcome, ends the request: Envoy answers 504 at the deadline).
    Duration wait{};
    Response response;     ///< Respond
    RetryStatus retry = RetryStatus::No;  ///< what the retry state answered for the last outcome
};

/// One request in flight. Obtained from Engine::start(); keeps its config snapshot alive.
class Request {
public:
    virtual ~Request() = default;
    /// Picks the next host (priority load, previous-priorities, previous-hosts predicate, weighted
    /// pick). Respond when nothing can be attempted: 404 (no route), 503 "no healthy upstream",
    /// 504 when the deadline already passed. The first call makes the first attempt.
    virtual Decision nextAttempt(TimePoint now) = 0;
    /// Reports the attempt's outcome; updates outlier detection, then decides: Backoff (a retry was
    /// spent) or Respond (final answer). A PerTryTimeout reported at or after the deadline is the
    /// overall timeout: 504.
    virtual Decision onAttemptResult(const AttemptOutcome& outcome, TimePoint now) = 0;
    /// The client went away: no response; the record is emitted with status 499.
    virtual void cancel(TimePoint now) = 0;
    virtual bool done() const = 0;
    virtual const RequestRecord& record() const = 0;
    /// The record, for a driver that completes it (bodies, timings) and moves it on after the
    /// response ended (in place: no copy nor temporary of the record); record() is that record, empty
    /// once moved from. Call it last, once done().
    virtual RequestRecord& recordToComplete() = 0;
};

/// Named counters, as Envoy's cluster/outlier stats; every decision branch bumps one.
struct EngineCounters {
    std::uint64_t rq_total = 0;
    std::uint64_t rq_no_route = 0;               ///< 404 route-not-found
    std::uint64_t rq_completed = 0;              ///< responded (any status)
    std::uint64_t rq_success = 0;                ///< final status < 400
    std::uint64_t rq_error = 0;                  ///< final status >= 400 (excluding 404 no route)
    std::uint64_t rq_cancelled = 0;
    std::uint64_t rq_timeout = 0;                ///< 504 from timeouts.request
    std::uint64_t rq_per_try_timeout = 0;
    std::uint64_t upstream_rq_attempts = 0;
    std::uint64_t upstream_cx_connect_fail = 0;  ///< refused, timed out or unresolvable
    std::uint64_t upstream_rq_reset = 0;
    std::uint64_t upstream_rq_status_error = 0;  ///< upstream responses >= 400
    std::uint64_t upstream_rq_retry = 0;         ///< retries spent
    std::uint64_t upstream_rq_retry_success = 0; ///< requests that succeeded after >= 1 retry
    std::uint64_t upstream_rq_retry_limit_exceeded = 0;
    std::uint64_t upstream_rq_retry_no_headers_sent = 0;
    std::uint64_t upstream_rq_retry_deadline = 0;
    std::uint64_t retry_priority_exclusions = 0; ///< previous_priorities moved load off a priority
    std::uint64_t retry_priority_resets = 0;     ///< every priority tried: the list reset
    std::uint64_t host_selection_repicks = 0;    ///< previous_hosts predicate rejected a pick
    std::uint64_t lb_healthy_panic = 0;          ///< a pick made from all hosts (panic threshold)
    std::uint64_t lb_priority_spill = 0;         ///< a first attempt went to a priority other than 0
    std::uint64_t no_healthy_upstream = 0;       ///< 503 "no healthy upstream"
    std::uint64_t outlier_ejections_enforced_total = 0;
    std::uint64_t outlier_ejections_overflow = 0;  ///< refused by maxEjectionPercent
    std::uint64_t outlier_ejections_detected_consecutive_5xx = 0;
    std::uint64_t outlier_ejections_detected_consecutive_gateway_failure = 0;
    std::uint64_t outlier_ejections_detected_consecutive_local_origin_failure = 0;
    std::uint64_t outlier_unejections = 0;
    std::uint64_t outlier_ejections_active = 0;  ///< gauge
    std::uint64_t endpoints_removed = 0;         ///< gauge: hosts whose name does not resolve
};

/// A host as the UI shows it.
struct HostStatus {
    std::string cluster;  ///< "httproute/<ns>/<route>/rule/<i>"
    std::string route, rule, backend, server, hostKey, address;
    int port = 0;
    int priority = 0;
    std::int64_t weight = 1;
    std::string upstreamModel;  ///< the override, empty when none
    bool removed = false;
    bool ejected = false;
    TimePoint ejectedUntil{};
    int ejections = 0;           ///< times ejected (num_ejections)
    int ejectionBackoff = 0;     ///< multiplier of baseEjectionTime for the next ejection's length
    int consecutive5xx = 0;
    int consecutiveGatewayFailure = 0;
    int consecutiveLocalOriginFailure = 0;
};

/// A rule's cluster: its current priority load (percent per priority, summing to 100).
struct ClusterStatus {
    std::string name;
    std::string route, rule;
    std::vector<std::uint32_t> priorityLoad;
    std::vector<bool> priorityPanic;
    int hosts = 0;
    int ejected = 0;
};

/// An AIGatewayRoute's status, as the controller reports it: a route whose backendRef names a
/// missing AIServiceBackend or Backend is not accepted as a whole (reference 3.5). A route that was
/// accepted before keeps serving its last accepted version.
struct RouteStatus {
    std::string route;   ///< "<ns>/<name>"
    bool accepted = true;
    std::string reason;  ///< why it is not accepted (empty when accepted)
    bool servingLastAccepted = false;  ///< not accepted now, the previous accepted version serves
};

/// The acceptance of every AIGatewayRoute of `config`, in config order (no history).
std::vector<RouteStatus> routeStatuses(const config::Config& config);
/// The same with an index of `config` already built.
std::vector<RouteStatus> routeStatuses(const config::Config& config, const config::ConfigIndex& index);

/// A config compiled for an Engine (route table, clusters, route status): immutable, shared by the
/// requests that started on it. Defined in engine_impl.h.
struct Snapshot;

/// Compiles `config` for an engine that serves `base` now (the routes it serves stay, in their last
/// accepted version, where the new version is not accepted). Pure, callable from any thread: a driver
/// compiles a large config off its event loop, then swaps it in with Engine::setSnapshot().
std::shared_ptr<const Snapshot> compileConfig(std::shared_ptr<const config::Config> config,
                                              const std::shared_ptr<const Snapshot>& base);

class Engine {
public:
    virtual ~Engine() = default;

    /// Swaps the config snapshot. New requests use it; host outlier state is kept for hosts whose
    /// key still exists and dropped for the others. Compiles it on the calling thread.
    virtual void setConfig(std::shared_ptr<const config::Config> config) = 0;
    /// The compiled config serving now (the base to compile the next one from).
    virtual std::shared_ptr<const Snapshot> snapshot() const = 0;
    /// As setConfig, with the config compiled already (compileConfig from snapshot()): only the swap
    /// and the host state update run here. One compiled from an older base (another change was swapped
    /// in meanwhile) is compiled again from the current one.
    virtual void setSnapshot(std::shared_ptr<const Snapshot> compiled) = 0;
    virtual std::shared_ptr<const config::Config> config() const = 0;
    /// What is served: config() without the routes that are not accepted, plus the last accepted
    /// version of those that were served before (the same object as config() when all are accepted).
    virtual std::shared_ptr<const config::Config> servedConfig() const = 0;
    /// Problems found while building clusters (unknown AIServiceBackend, invalid regex...). The
    /// affected backendRef or match is left out, as Envoy Gateway drops an invalid backend.
    virtual const std::vector<Error>& problems() const = 0;

    /// Gateway API matching on the headers with x-ai-eg-model set to `model` (overwriting a client
    /// value). An empty model never matches. No match: the real 404.
    virtual RouteResult route(const std::string& model, const Headers& headers) const = 0;
    /// Starts a request (matching included); assigns the record id.
    virtual std::unique_ptr<Request> start(const std::string& model, const Headers& headers,
                                           TimePoint now) = 0;

    /// The KServe InferenceService behind `server` was deleted (true) or is back (false): its hosts
    /// leave (or rejoin) every cluster at once, as a STRICT_DNS cluster after NXDOMAIN. Distinct from
    /// a server that refuses connections (still a host, counted by outlier detection). Returns false
    /// when no host has that server name.
    virtual bool setEndpointRemoved(const std::string& server, bool removed, TimePoint now) = 0;
    /// The server's DNS name stopped resolving (false) or resolves again (true). Each cluster learns
    /// it at its next DNS resolution: after the BackendTrafficPolicy's dns.dnsRefreshRate, else
    /// dnsRefreshDelay(); until then its hosts stay (connects to a deleted server time out). A change
    /// back before the refresh cancels the pending one. Returns false when no host has that name.
    virtual bool setNameResolves(const std::string& server, bool resolves, TimePoint now) = 0;
    /// When the pending DNS change of `server` reaches the last cluster; none when nothing is pending.
    virtual std::optional<TimePoint> pendingDnsChange(const std::string& server) const = 0;
    /// The simulator's DNS refresh delay for clusters without dns.dnsRefreshRate (default 30s, Envoy
    /// Gateway's dns_refresh_rate). Zero: changes apply at once.
    virtual void setDnsRefreshDelay(Duration delay) = 0;
    virtual Duration dnsRefreshDelay() const = 0;
    /// Each AIGatewayRoute's acceptance, in config order (see routeStatuses()).
    virtual std::vector<RouteStatus> routeStatus() const = 0;

    virtual const EngineCounters& counters() const = 0;
    virtual std::vector<HostStatus> hosts() const = 0;
    virtual std::vector<ClusterStatus> clusters() const = 0;
    /// Virtual model names: Exact x-ai-eg-model header values, in route/rule order (as /v1/models).
    virtual std::vector<std::string> models() const = 0;
    /// Model server names of every host, sorted, without duplicates.
    virtual std::vector<std::string> servers() const = 0;
};

/// Builds the engine. `clock` gives "now" to the outlier interval sweep, `random` every draw (host
/// pick, priority pick, backoff jitter), `scheduler` arms the sweep timer; `sink` may be null.
std::unique_ptr<Engine> makeEngine(std::shared_ptr<const config::Config> config, Clock& clock,
                                   Random& random, Scheduler& scheduler, RecordSink* sink);

/// Name of the model server behind a Backend: the aigw-sim/server annotation if set (as written:
/// Backends naming one server share it), else serverName() of the InferenceService whose predictor
/// hostname matches one of its fqdn endpoints (`qwen-primary`), else serverName() of the Backend.
/// Two Backends with the same hostname therefore share one server; two of the same name in two
/// namespaces (different hostnames) have two.
std::string serverNameFor(const config::Config& config, const config::Backend& backend);
/// The same, with the InferenceService found through an index (linear when called per Backend).
std::string serverNameFor(const config::ConfigIndex& index, const config::Backend& backend);
/// The server name of an object: its name in the default namespace, else "<namespace>/<name>"
/// (the same name in two namespaces is two objects, so two servers; '/' is in no object name).
std::string serverName(const config::ObjectMeta& meta);

/// The OpenAI-schema error body the AI Gateway wraps a non-JSON error in (reference section 3.3):
/// {"type":"error","error":{"type":"OpenAIBackendError","code":"<status>","message":"<text>"}}
std::string openAIErrorBody(int status, const std::string& message);

}  // namespace aigw::routing
