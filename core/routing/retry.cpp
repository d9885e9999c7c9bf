#include "routing/retry.h"

#include <algorithm>

namespace aigw::routing {

RetryOn RetryOn::fromPolicy(const config::RetryPolicy& policy) {
    RetryOn on;
    for (const std::string& t : policy.effectiveTriggers()) {
        if (t == "5xx")
            on.bits |= kRetryOn5xx;
        else if (t == "gateway-error")
            on.bits |= kRetryOnGatewayError;
        else if (t == "reset")
            on.bits |= kRetryOnReset;
        else if (t == "reset-before-request")
            on.bits |= kRetryOnResetBeforeRequest;
        else if (t == "connect-failure")
            on.bits |= kRetryOnConnectFailure;
        else if (t == "retriable-4xx")
            on.bits |= kRetryOnRetriable4xx;
        else if (t == "refused-stream")
            on.bits |= kRetryOnRefusedStream;
        else if (t == "retriable-status-codes")
            on.bits |= kRetryOnRetriableStatusCodes;
        else if (t == "cancelled" || t == "deadline-exceeded" || t == "internal" || t == "resource-exhausted" ||
                 t == "unavailable")
            on.bits |= kRetryOnGrpc;  // gRPC status triggers: look at grpc-status, which LLM APIs never send
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

bool isConnectionFailure(UpstreamFailure f) {
    return f == UpstreamFailure::ConnectFailure || f == UpstreamFailure::ConnectTimeout ||
           f == UpstreamFailure::EndpointRemoved;
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

RetryDecision wouldRetry(const RetryOn& on, const AttemptOutcome& o) {
    if (o.headersSent)
        return RetryDecision::NoRetry;
    switch (o.failure) {
    case UpstreamFailure::None:
    case UpstreamFailure::Status:
        return fromStatus(on, o);
    case UpstreamFailure::ConnectFailure:
    case UpstreamFailure::ConnectTimeout:
    case UpstreamFailure::EndpointRemoved:
    case UpstreamFailure::ResetBeforeHeaders:
    case UpstreamFailure::PerTryTimeout:
    case UpstreamFailure::StreamIdleTimeout: {
        const bool connectFailure = isConnectionFailure(o.failure);
        // reset-before-request: the request never left (the connection was never made).
        if (connectFailure && on.has(kRetryOnResetBeforeRequest))
            return RetryDecision::RetryWithBackoff;
        if (on.has(kRetryOn5xx | kRetryOnGatewayError | kRetryOnReset))
            return RetryDecision::RetryWithBackoff;
        if (connectFailure && on.has(kRetryOnConnectFailure))
            return RetryDecision::RetryWithBackoff;
        return RetryDecision::NoRetry;
    }
    case UpstreamFailure::ResetAfterHeaders:
    case UpstreamFailure::RequestTimeout:
        return RetryDecision::NoRetry;
    }
    return RetryDecision::NoRetry;
}

Duration backoffUpperBound(Duration base, Duration max, int n) {
    if (n < 1 || base <= Duration::zero())
        return Duration::zero();
    // base x (2^n - 1), saturating at max (doubling stops once past it).
    Duration bound = base;  // n == 1
    Duration step = base;
    for (int i = 2; i <= n && bound < max; ++i) {
        step *= 2;
        bound += step;
    }
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
    backoff = jitteredBackoff(m_config->backoffBase, m_config->backoffMax, m_spent, draw);
    if (now + backoff >= deadline) {
        // The overall timer fires during the backoff: Envoy answers 504 at the deadline.
        ++counters.upstream_rq_retry_deadline;
        return RetryStatus::NoDeadline;
    }
    ++counters.upstream_rq_retry;
    return RetryStatus::Yes;
}

}  // namespace aigw::routing
