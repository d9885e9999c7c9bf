#pragma once
// The config doctor: configurations that a cluster accepts but that do not do what they seem to
// (fallback that never happens, health checks that never eject, bodies over the buffer limit).
// Each finding says what the real gateway does (see the reference, sections 3, 3.5 and 8) and gives
// a concrete YAML fix; mechanical fixes can be applied to the model with applyFix(). Which retry
// trigger covers which failure is read from config/retry_semantics.h, the table the routing engine
// compiles policies with, and retry defaults from RetryPolicy::effective*().

#include <cstddef>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/model.h"

namespace aigw::config {

enum class Severity { Error, Warning, Info };

/// "error", "warning", "info".
const char* severityName(Severity severity);

/// Stable finding ids (also the `check` output and the UI key on them).
namespace finding_id {
inline constexpr const char* kRetryStaysOnPriority0 = "retry-stays-on-priority-0";     // 1
inline constexpr const char* kNoRetryPolicy = "no-retry-policy";                       // 2
inline constexpr const char* kRetryMissesConnectFailure = "retry-misses-connect-failure";  // 3
inline constexpr const char* kTooFewRetries = "too-few-retries";                       // 4
inline constexpr const char* kEjectionImpossible = "ejection-impossible";              // 5
inline constexpr const char* kZeroWeight = "zero-weight";                              // 6
inline constexpr const char* kMixedEndpointTypes = "mixed-endpoint-types";             // 7
inline constexpr const char* kNoBufferLimit = "no-buffer-limit";                       // 8
inline constexpr const char* kPolicyTargetsGateway = "policy-targets-gateway";         // 9
inline constexpr const char* kPinnedRevision = "pinned-revision";                      // 10
inline constexpr const char* kStatusCodesIgnored = "status-codes-ignored";             // 11
inline constexpr const char* kPerTryTimeoutDropped = "per-try-timeout-dropped";        // 12
inline constexpr const char* kPerTryTimeoutNotRetried = "per-try-timeout-not-retried"; // 13
inline constexpr const char* kStatusCodesEmpty = "status-codes-empty";                 // 14
inline constexpr const char* kTimeoutDisabled = "timeout-disabled";                    // 15
inline constexpr const char* kRetryDefaultTriggers = "retry-default-triggers";         // 16
inline constexpr const char* kPerTryTimeoutMissesStreams = "per-try-timeout-misses-streams";  // 17
}  // namespace finding_id

struct Finding {
    std::string id;  ///< one of finding_id
    Severity severity = Severity::Warning;
    std::string title;        ///< one line
    std::string explanation;  ///< what the real gateway does, and why
    std::string fixYaml;      ///< a concrete YAML fix (the corrected object, or a snippet)
    SourceLocation where;     ///< file:line:col and YAML path of the field concerned

    /// The object the finding concerns: `subjectKind`, the index in its typed vector, and
    /// "Kind namespace/name" for people (findings name the policy or route they are about).
    Kind subjectKind = Kind::Other;
    std::size_t subjectIndex = 0;
    std::string subject;
    int rule = -1;        ///< spec.rules index, when the finding is about one rule
    int backendRef = -1;  ///< backendRefs index within that rule
    int endpoint = -1;    ///< spec.endpoints index, for findings about a Backend endpoint
};

/// Every finding, in a stable order: routes, Backends, BackendTrafficPolicies, Gateways, each in
/// document order.
std::vector<Finding> diagnose(const Config& config);

/// Applies a mechanical fix (add numAttemptsPerPriority: 1, add connect-failure / reset /
/// retriable-status-codes, raise numRetries, set maxEjectionPercent to 100, add a retry policy or a
/// buffer limit, drop the KServe revision from a hostname, lower a per-try timeout below the route
/// timeout, list codes for an empty httpStatusCodes, write Envoy Gateway's default triggers out,
/// add a streamIdleTimeout). Returns false, leaving `config` unchanged, where the fix needs a human decision or
/// the finding no longer matches `config`.
bool applyFix(Config& config, const Finding& finding);

/// Applies every fix the doctor has for its errors and warnings, one at a time and diagnosing again
/// after each (a fix can change or remove other findings), until none applies. Infos are left alone
/// (some, like a pinned revision, are a choice). `applied`, if given, receives each fix's title.
Config applyAllFixes(Config config, std::vector<std::string>* applied = nullptr);

/// The `check` output of one finding:
///   file:line:col: warning[id]: Kind ns/name: title
///     explanation lines
///     fix:
///       yaml lines
std::string formatFinding(const Finding& finding);

}  // namespace aigw::config
