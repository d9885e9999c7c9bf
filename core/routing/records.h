#pragma once
// Value types the routing core reports: one record per request, one event per host state change.
// They hold only values (no pointers into the engine), so they can be copied to another thread
// (the UI bridge drains them in batches) and outlive the config snapshot that produced them.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace aigw::routing {

/// How one upstream attempt ended, as the driver (live proxy or simulator) observed it. Drives
/// retry decisions (reference section 3.1) and outlier detection (section 3.2).
enum class UpstreamFailure {
    None,                ///< a complete response arrived; `status` says which
    ConnectFailure,      ///< connection refused (RST): Envoy's remote connection failure
    ConnectTimeout,      ///< no answer to SYN (black-holed host); Envoy's connection timeout
    EndpointRemoved,     ///< the hostname no longer resolves (KServe InferenceService deleted)
    ResetBeforeHeaders,  ///< connected, then reset/closed before response headers
    ResetAfterHeaders,   ///< reset after headers went to the client: never retried
    PerTryTimeout,       ///< perRetry.timeout expired before response headers
    RequestTimeout,      ///< the rule's timeouts.request expired (set by the engine, not drivers)
    StreamIdleTimeout,   ///< streamIdleTimeout expired (before or after headers, see headersSent)
    Status,              ///< response headers with HTTP status >= 400 received
};

const char* nameOf(UpstreamFailure f);

/// One attempt of one request.
struct AttemptRecord {
    std::string backend;        ///< AIServiceBackend name
    std::string backendNamespace;  ///< its metadata.namespace ("default" when unset)
    std::string server;         ///< model server name (serverNameFor)
    std::string hostKey;        ///< stable host identity: route/rule/backend/address
    int priority = 0;
    std::string upstreamModel;  ///< modelNameOverride, else the requested model
    UpstreamFailure failure = UpstreamFailure::None;
    int status = 0;             ///< HTTP status received, 0 when none (connect failure, timeout...)
    TimePoint start{};
    Duration duration{};
    Duration backoffBefore{};   ///< jittered backoff waited before this attempt (0 for the first)
};

/// One client request, from model extraction to the response the client got.
struct RequestRecord {
    std::uint64_t id = 0;
    TimePoint start{};
    std::string route;         ///< "<ns>/<AIGatewayRoute name>", empty when no route matched
    std::string rule;          ///< rule name, else its index as "rule/<i>"
    std::string virtualModel;  ///< the model the client asked for (body "model")
    std::vector<AttemptRecord> attempts;
    int finalStatus = 0;
    std::string finalBackend;  ///< AIServiceBackend whose response the client got; empty for local replies
    Duration latency{};        ///< start to response
    std::string error;         ///< body of a gateway-generated reply (404, 503, 504...), empty otherwise
    bool localReply = false;   ///< the gateway produced the response (no upstream response forwarded)

    // What went upstream and what came back, filled by the live proxy once the client's response has
    // ended (streams included); the simulator has no bodies and leaves them empty.
    bool stream = false;                        ///< the client asked for "stream": true
    std::optional<Duration> timeToFirstToken;   ///< start to the first response body byte forwarded to the client
    std::optional<int> promptTokens;            ///< the response's usage.prompt_tokens, when it reported usage
    std::optional<int> completionTokens;        ///< usage.completion_tokens
    std::string upstreamBody;   ///< body of the answering (else the last) attempt as sent upstream, model rewritten
    std::string responseBody;   ///< response body the client got (the SSE text for streams)
    bool upstreamBodyTruncated = false;  ///< upstreamBody holds only the first kRecordBodyLimit bytes
    bool responseBodyTruncated = false;  ///< responseBody holds only the first kRecordBodyLimit bytes
};

/// How much of each body a record keeps: enough for the request log's details pane, bounded so the
/// UI's ring buffer of records stays small.
inline constexpr std::size_t kRecordBodyLimit = 16 * 1024;

/// A host's outlier/endpoint state changed.
struct HostEvent {
    enum class Type {
        Ejected,          ///< outlier detection ejected the host until `until`
        Unejected,        ///< the interval sweep brought it back
        EjectionSkipped,  ///< threshold reached but maxEjectionPercent refused (ejections_overflow)
        Removed,          ///< the endpoint no longer resolves: the host left the cluster
        Restored,         ///< the endpoint resolves again
    };
    Type type = Type::Ejected;
    TimePoint at{};
    std::string route, rule, backend, server, hostKey;
    std::string backendNamespace;  ///< the AIServiceBackend's namespace ("default" when unset)
    std::string reason;  ///< "consecutive_5xx", "consecutive_gateway_failure", "consecutive_local_origin_failure", ...
    TimePoint until{};   ///< Ejected: earliest un-ejection time (base x n after `at`)
    int ejections = 0;   ///< Ejected: how many times this host has been ejected so far
};

const char* nameOf(HostEvent::Type t);

/// Receives records as the engine produces them. Called on the engine's thread; implementations
/// that hand records to another thread copy them into their own queue.
class RecordSink {
public:
    virtual ~RecordSink() = default;
    virtual void onRequest(const RequestRecord& record) = 0;
    virtual void onHostEvent(const HostEvent& event) = 0;
};

}  // namespace aigw::routing
