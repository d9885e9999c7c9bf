#pragma once
// One table of Envoy's retry triggers and the upstream failures each one retries
// (source/common/router/retry_state_impl.cc wouldRetryFromReset / wouldRetryFromHeaders, and the
// reference section 3.5). The routing engine compiles a policy's triggers with it, and the doctor
// explains a policy with it: both read the same rows, so they cannot disagree.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aigw::config {

/// What an upstream attempt did, as far as the retry decision cares.
enum class FailureClass {
    ConnectRefused,   ///< RST on connect (server stopped, port closed)
    ConnectTimeout,   ///< no answer to SYN within the connect timeout (black hole, deleted name not yet refreshed)
    Reset,            ///< connected and sent, then reset or closed before response headers
    PerTryTimeout,    ///< perRetry.timeout expired before response headers (a local reset)
    IdleTimeout,      ///< streamIdleTimeout expired before response headers (a local reset)
    HttpStatus,       ///< response headers with an error status
};

/// "connect refused", "connect timeout", ...: for explanations.
const char* describe(FailureClass f);

/// One retry_on trigger as Envoy Gateway passes it to Envoy.
struct TriggerRow {
    const char* name;           ///< as written in retryOn.triggers
    std::uint32_t bit;          ///< the engine's bit for it (1 << row index)
    bool connectFailures;       ///< retries ConnectRefused and ConnectTimeout
    bool resets;                ///< retries Reset, PerTryTimeout and IdleTimeout
    const char* statuses;       ///< which statuses it retries, in words ("any 5xx", "502, 503, 504", ...)
    const char* note;           ///< one line for explanations
};

/// Every trigger Envoy Gateway accepts, in a stable order.
const std::vector<TriggerRow>& triggerTable();
/// The row for `name`, or null when Envoy Gateway would reject the name.
const TriggerRow* findTrigger(std::string_view name);

/// Envoy Gateway's retry_on when `retry` is present and `retryOn.triggers` is absent or empty
/// (internal/xds/translator/route.go buildRetryPolicy).
const std::vector<std::string>& defaultTriggers();
/// Its retriable status codes when `retryOn.httpStatusCodes` is absent.
const std::vector<int>& defaultRetriableStatusCodes();

/// Does a policy with these triggers (and codes for retriable-status-codes) retry `f`?
/// `status` is read for HttpStatus only. Per-try and idle timeouts are counted as local resets
/// after the request was sent, so reset-before-request does not retry them.
bool retries(const std::vector<std::string>& triggers, const std::vector<int>& codes, FailureClass f,
             int status = 0);
/// The triggers that would retry `f` (for "add one of: ..." explanations).
std::vector<std::string> triggersRetrying(FailureClass f, int status = 0);

}  // namespace aigw::config
