#include "routing/retry.h"

#include <algorithm>

namespace aigw::routing {

static_assert(kRetryOn5xx == 1u << 0 && kRetryOnRetriableStatusCodes == 1u << 7 && kRetryOnGrpc == 1u << 8,
              "RetryOnBit values are the trigger table's bits (config/retry_semantics.cpp)");

RetryOn RetryOn::fromPolicy(const config::RetryPolicy& policy) {
    RetryOn on;
    for (const std::string& t : policy.effectiveTriggers()) {
        if (const config::TriggerRow* row = config::findTrigger(t))
            on.bits |= row->bit;
        else
            on.unknown.push_back(t);
    }
    on.statusCodes = policy.effectiveHttpStatusCodes();
    return on;
}

RetryConfig RetryConfig::fromPolicy(const config::RetryPolicy& policy) {
    RetryConfig c;
    c.retryOn = RetryOn::fromPolicy(policy);
    c.numRetries = std::max<std::int64_t>(0, policy.effectiveNumRetries());
    c.numAttemptsPerPriority = std::max<std::int64_t>(0, policy.numAttemptsPerPriority.value_or(0));
    c.perTryTimeout = policy.perTryTimeout;
    c.backoffBase = policy.effectiveBackoffBase();
    c.backoffMax = policy.effectiveBackoffMax();
    return c;
}

namespace {

/// The bits of the triggers whose table row retries connect failures, and resets/timeouts.
struct ResetMasks {
    std::uint32_t connect = 0, reset = 0;
};

const ResetMasks& resetMasks() {
    static const ResetMasks m = [] {
        ResetMasks r;
        for (const auto& row : config::triggerTable()) {
            if (row.connectFailures)
                r.connect |= row.bit;
            if (row.resets)
                r.reset |= row.bit;
        }
        return r;
    }();
    return m;
}

RetryDecision fromStatus(const RetryOn& on, const AttemptOutcome& o) {
    if (o.envoyRateLimited)
        return RetryDecision::NoRetry;  // comes from an upstream Envoy's rate limiter: never retried
    const int s = o.status;
    if (on.has(kRetryOn5xx) && s >= 500 && s < 600)
        return RetryDecision::RetryWithBackoff;
    if (on.has(kRetryOnGatewayError) && (s == 502 || s == 503 || s == 504))
        return RetryDecision::RetryWithBackoff;
    if (on.has(kRetryOnRetriable4xx) && s == 409)
        return RetryDecision::RetryWithBackoff;
    if (on.has(kRetryOnRetriableStatusCodes) &&
        std::find(on.statusCodes.begin(), on.statusCodes.end(), s) != on.statusCodes.end())
        return RetryDecision::RetryWithBackoff;
    return RetryDecision::NoRetry;
}

}  // namespace

config::FailureClass failureClassOf(UpstreamFailure f) {
    using C = config::FailureClass;
    switch (f) {
    case UpstreamFailure::ConnectFailure: return C::ConnectRefused;
    case UpstreamFailure::ConnectTimeout:
    case UpstreamFailure::EndpointRemoved: return C::ConnectTimeout;
    case UpstreamFailure::ResetBeforeHeaders:
    case UpstreamFailure::ResetAfterHeaders: return C::Reset;
    case UpstreamFailure::PerTryTimeout:
    case UpstreamFailure::RequestTimeout: return C::PerTryTimeout;
    case UpstreamFailure::StreamIdleTimeout: return C::IdleTimeout;
    case UpstreamFailure::None:
    case UpstreamFailure::Status: return C::HttpStatus;
    }
    return C::HttpStatus;
}

RetryDecision wouldRetry(const RetryOn& on, const AttemptOutcome& o) {
    if (o.headersSent)
        return RetryDecision::NoRetry;
    switch (o.failure) {
    case UpstreamFailure::None:
    case UpstreamFailure::Status:
        return fromStatus(on, o);
    case UpstreamFailure::ResetAfterHeaders:
    case UpstreamFailure::RequestTimeout:
        return RetryDecision::NoRetry;
    default: break;
    }
    const config::FailureClass c = failureClassOf(o.failure);
    const bool connect = c == config::FailureClass::ConnectRefused || c == config::FailureClass::ConnectTimeout;
    const std::uint32_t mask = connect ? resetMasks().connect : resetMasks().reset;
    return (on.bits & mask) != 0 ? RetryDecision::RetryWithBackoff : RetryDecision::NoRetry;
}

Duration backoffUpperBound(Duration base, Duration max, int n) {
    if (n < 0 || base <= Duration::zero())
        return Duration::zero();
    // base x 2^n, saturating at max (doubling stops once past it).
    Duration bound = base;
    for (int i = 0; i < n && bound < max; ++i)
        bound *= 2;
    return std::min(bound, max);
}

Duration jitteredBackoff(Duration base, Duration max, int n, std::uint64_t draw) {
    const auto upperMs = std::chrono::duration_cast<std::chrono::milliseconds>(backoffUpperBound(base, max, n)).count();
    if (upperMs <= 0)
        return Duration::zero();
    return ms(static_cast<std::int64_t>(draw % static_cast<std::uint64_t>(upperMs)));
}

RetryState::RetryState(const RetryConfig* config)
    : m_config(config), m_remaining(config ? config->numRetries : 0) {}

RetryStatus RetryState::shouldRetry(RetryDecision decision, bool headersSent, TimePoint now, TimePoint deadline,
                                    std::uint64_t draw, Duration& backoff, EngineCounters& counters) {
    if (headersSent) {
        if (m_config)
            ++counters.upstream_rq_retry_no_headers_sent;
        return RetryStatus::NoHeadersSent;
    }
    if (!m_config || decision == RetryDecision::NoRetry)
        return RetryStatus::No;
    if (m_remaining <= 0) {
        ++counters.upstream_rq_retry_limit_exceeded;
        return RetryStatus::NoRetryLimitExceeded;
    }
    --m_remaining;
    ++m_spent;
    backoff = jitteredBackoff(m_config->backoffBase, m_config->backoffMax, m_spent - 1, draw);
    if (now + backoff >= deadline) {
        // The overall timer fires during the backoff: Envoy answers 504 at the deadline.
        ++counters.upstream_rq_retry_deadline;
        return RetryStatus::NoDeadline;
    }
    ++counters.upstream_rq_retry;
    return RetryStatus::Yes;
}

}  // namespace aigw::routing
