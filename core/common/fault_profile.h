#pragma once
// What a mock model server does wrong, on purpose: the contract between the gateway (its admin API,
// the supervisor that forwards a fault to a server, scenarios, the UI) and the mock model servers
// that act it out. It lives in core so that core never links the mock backends. One profile per
// server, settable at start (CLI flags), live in-process (MockServer::setFault) and over HTTP
// (POST /_mock/fault), always in this JSON shape.
//
// JSON (every key optional; absent or null = fault off):
//   {"errorStatus": 503, "errorRate": 0.5, "retryAfterSeconds": 2, "errorPlainText": false,
//    "latencyMs": 100, "latencyJitterMs": 50, "hang": false, "firstTokenDelayMs": 2000,
//    "cutAfterTokens": 5, "stallAfterTokens": 3, "stallMs": 0, "malformedAfterTokens": 2,
//    "omitDone": false, "resetBeforeHeaders": false}

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace aigw {

struct FaultProfile {
    /// Answer with this status instead of a completion: 500, 503 (Ollama's "server busy"), 429
    /// (rate limited), 400 (OpenAI `context_length_exceeded`), or any other 4xx/5xx. 0 = off.
    int errorStatus = 0;
    /// Fraction of inference requests that get `errorStatus` (drawn from the server's seeded random).
    double errorRate = 1.0;
    /// Adds `Retry-After: N` to error responses when > 0.
    int retryAfterSeconds = 0;
    /// Error responses as `text/plain` text instead of the JSON error body: what a proxy or load
    /// balancer in front of the model server answers. The gateway wraps such bodies as
    /// OpenAIBackendError (its content-type lacks application/json); JSON errors pass unchanged.
    bool errorPlainText = false;
    /// Added before every inference response, plus a uniform draw in [0, latencyJitterMs].
    int latencyMs = 0;
    int latencyJitterMs = 0;
    /// Accept the request and never answer (the connection stays open until the client gives up).
    bool hang = false;
    /// Replaces the server's first-token delay (response headers go out with the first token, as
    /// with Ollama, so this also delays the headers).
    std::optional<int> firstTokenDelayMs;
    /// Streaming: close the connection (no terminating chunk) after this many content tokens.
    std::optional<int> cutAfterTokens;
    /// Streaming: stop sending after this many tokens, for stallMs (0 = forever), then go on.
    std::optional<int> stallAfterTokens;
    int stallMs = 0;
    /// Streaming: send one malformed event (truncated JSON) after this many tokens, then go on.
    std::optional<int> malformedAfterTokens;
    /// Streaming: end the stream cleanly but without `data: [DONE]` (NDJSON: without the done line).
    bool omitDone = false;
    /// RST the connection as soon as the request arrives (no status line at all).
    bool resetBeforeHeaders = false;

    /// No fault at all.
    bool isNone() const;
    /// One line for logs and the UI, e.g. "503 x0.5, +100ms" or "none".
    std::string describe() const;
    bool operator==(const FaultProfile&) const = default;
};

/// Validating parser: unknown keys, wrong types and out-of-range values are errors naming the key.
Result<FaultProfile> parseFaultProfile(const nlohmann::json& j);
Result<FaultProfile> parseFaultProfile(const std::string& text);

/// nlohmann conversions. from_json throws nlohmann::json::other_error with parseFaultProfile's
/// message on invalid input; to_json writes only the fields that are set.
void to_json(nlohmann::json& j, const FaultProfile& f);
void from_json(const nlohmann::json& j, FaultProfile& f);

}  // namespace aigw
