#pragma once
// Envoy's retry state (source/common/router/retry_state_impl.cc), split as Envoy splits it: a pure
// "would this outcome be retried?" check, then a step that spends the attempt against the budget and
// draws the backoff. Both take the drawn random value and `now` as parameters.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "config/model.h"
#include "config/retry_semantics.h"
#include "routing/engine.h"

namespace aigw::routing {

/// BackendTrafficPolicy retryOn triggers as Envoy's retry_on bits.
enum RetryOnBit : std::uint32_t {
    kRetryOn5xx = 1u << 0,
    kRetryOnGatewayError = 1u << 1,
    kRetryOnReset = 1u << 2,
    kRetryOnResetBeforeRequest = 1u << 3,
    kRetryOnConnectFailure = 1u << 4,
    kRetryOnRetriable4xx = 1u << 5,
    kRetryOnRefusedStream = 1u << 6,
    kRetryOnRetriableStatusCodes = 1u << 7,
    kRetryOnGrpc = 1u << 8,  ///< cancelled, deadline-exceeded, internal, resource-exhausted, unavailable
};

struct RetryOn {
    std::uint32_t bits = 0;
    std::vector<int> statusCodes;  ///< only used with retriable-status-codes
    std::vector<std::string> unknown;  ///< trigger names Envoy Gateway would reject
    /// From the policy's effective triggers/codes (EG's defaults when retryOn is absent).
    static RetryOn fromPolicy(const config::RetryPolicy& policy);
    bool has(std::uint32_t bit) const { return (bits & bit) != 0; }
};

/// The compiled retry policy of a rule. Absent policy: one attempt, no retry.
struct RetryConfig {
    RetryOn retryOn;
    std::int64_t numRetries = 2;
    std::int64_t numAttemptsPerPriority = 0;  ///< 0: no previous_priorities plugin
    std::optional<Duration> perTryTimeout;
    Duration backoffBase = ms(25);
    Duration backoffMax = ms(250);
    static RetryConfig fromPolicy(const config::RetryPolicy& policy);
};

enum class RetryDecision { NoRetry, RetryWithBackoff };

/// Envoy's wouldRetryFromHeaders / wouldRetryFromReset, from the trigger table
/// (config::triggerTable()): connection failures (refused, timed out) are retried by
/// connect-failure, reset-before-request, reset, 5xx and gateway-error - never by
/// retriable-status-codes. Resets, per-try and idle timeouts after the request was sent: reset, 5xx,
/// gateway-error. A response status: 5xx, gateway-error (502/503/504), retriable-4xx (409),
/// retriable-status-codes; never when x-envoy-ratelimited is present. Anything after response
/// headers went downstream, and the overall request timeout: never.
RetryDecision wouldRetry(const RetryOn& on, const AttemptOutcome& outcome);

/// The failure class of the retry table (config/retry_semantics.h) for an attempt's outcome.
config::FailureClass failureClassOf(UpstreamFailure f);

/// Upper bound of retry n's backoff (n from 0): min(base x 2^n, max), as Envoy's
/// JitteredExponentialBackOffStrategy computes it (reference 3.5; the docs' base x (2^n - 1) is not
/// what the code does).
Duration backoffUpperBound(Duration base, Duration max, int n);
/// Fully jittered backoff for retry n (from 0) from one random draw: (draw mod upper) in whole
/// milliseconds, uniform in [0, upper); 0 when the bound is under 1 ms.
Duration jitteredBackoff(Duration base, Duration max, int n, std::uint64_t draw);

/// One request's retry budget.
class RetryState {
public:
    /// `config` null: no retry policy, a single attempt.
    explicit RetryState(const RetryConfig* config);

    /// Spends a retry for `decision` (from wouldRetry): checks headers-sent, the budget, draws the
    /// backoff from `draw` and checks it ends before `deadline`. Sets `backoff` on Yes. Bumps the
    /// matching counter in `counters`.
    RetryStatus shouldRetry(RetryDecision decision, bool headersSent, TimePoint now, TimePoint deadline,
                            std::uint64_t draw, Duration& backoff, EngineCounters& counters);

    int retriesSpent() const { return m_spent; }
    const RetryConfig* config() const { return m_config; }

private:
    const RetryConfig* m_config;
    std::int64_t m_remaining;
    int m_spent = 0;
};

}  // namespace aigw::routing
