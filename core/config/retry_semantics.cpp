#include "config/retry_semantics.h"

#include <algorithm>

namespace aigw::config {

namespace {

// Bits match the routing engine's RetryOnBit values (routing/retry.h static_asserts them).
const std::vector<TriggerRow> kTable = {
    {"5xx", 1u << 0, true, true, "any 5xx",
     "any 5xx response, and every reset or connect failure (Envoy counts them as 5xx)"},
    {"gateway-error", 1u << 1, true, true, "502, 503, 504",
     "502/503/504 responses, and every reset or connect failure"},
    {"reset", 1u << 2, true, true, "none", "any reset: connect failures, disconnects, per-try and idle timeouts"},
    {"reset-before-request", 1u << 3, true, false, "none",
     "a reset before the request was sent upstream: connect failures only"},
    {"connect-failure", 1u << 4, true, false, "none",
     "refused or timed-out connects; not a per-try timeout, not an error status"},
    {"retriable-4xx", 1u << 5, false, false, "409", "409 responses"},
    {"refused-stream", 1u << 6, false, false, "none", "HTTP/2 REFUSED_STREAM (model servers speak HTTP/1.1)"},
    {"retriable-status-codes", 1u << 7, false, false, "the httpStatusCodes list",
     "responses whose status is in httpStatusCodes; never resets or timeouts"},
    {"cancelled", 1u << 8, false, false, "none", "gRPC status cancelled (LLM APIs send no grpc-status)"},
    {"deadline-exceeded", 1u << 8, false, false, "none", "gRPC status (LLM APIs send no grpc-status)"},
    {"internal", 1u << 8, false, false, "none", "gRPC status (LLM APIs send no grpc-status)"},
    {"resource-exhausted", 1u << 8, false, false, "none", "gRPC status (LLM APIs send no grpc-status)"},
    {"unavailable", 1u << 8, false, false, "none", "gRPC status unavailable (LLM APIs send no grpc-status)"},
};

bool statusRetried(const TriggerRow& row, const std::vector<int>& codes, int status) {
    const std::string_view n = row.name;
    if (n == "5xx")
        return status >= 500 && status < 600;
    if (n == "gateway-error")
        return status == 502 || status == 503 || status == 504;
    if (n == "retriable-4xx")
        return status == 409;
    if (n == "retriable-status-codes")
        return std::find(codes.begin(), codes.end(), status) != codes.end();
    return false;
}

bool rowRetries(const TriggerRow& row, const std::vector<int>& codes, FailureClass f, int status) {
    switch (f) {
    case FailureClass::ConnectRefused:
    case FailureClass::ConnectTimeout: return row.connectFailures;
    case FailureClass::Reset:
    case FailureClass::PerTryTimeout:
    case FailureClass::IdleTimeout: return row.resets;
    case FailureClass::HttpStatus: return statusRetried(row, codes, status);
    }
    return false;
}

}  // namespace

const char* describe(FailureClass f) {
    switch (f) {
    case FailureClass::ConnectRefused: return "refused connection";
    case FailureClass::ConnectTimeout: return "connect timeout";
    case FailureClass::Reset: return "reset before response headers";
    case FailureClass::PerTryTimeout: return "per-try timeout";
    case FailureClass::IdleTimeout: return "stream idle timeout";
    case FailureClass::HttpStatus: return "error status";
    }
    return "?";
}

const std::vector<TriggerRow>& triggerTable() { return kTable; }

const TriggerRow* findTrigger(std::string_view name) {
    for (const auto& row : kTable)
        if (name == row.name)
            return &row;
    return nullptr;
}

const std::vector<std::string>& defaultTriggers() {
    static const std::vector<std::string> d = {"connect-failure", "refused-stream", "unavailable", "cancelled",
                                               "retriable-status-codes"};
    return d;
}

const std::vector<int>& defaultRetriableStatusCodes() {
    static const std::vector<int> d = {503};
    return d;
}

bool retries(const std::vector<std::string>& triggers, const std::vector<int>& codes, FailureClass f, int status) {
    for (const auto& t : triggers)
        if (const TriggerRow* row = findTrigger(t); row && rowRetries(*row, codes, f, status))
            return true;
    return false;
}

std::vector<std::string> triggersRetrying(FailureClass f, int status) {
    std::vector<std::string> out;
    const std::vector<int> codes = status ? std::vector<int>{status} : std::vector<int>{};
    for (const auto& row : kTable)
        if (rowRetries(row, codes, f, status))
            out.emplace_back(row.name);
    return out;
}

}  // namespace aigw::config
