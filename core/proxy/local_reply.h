#pragma once
// The responses the real gateway produces itself (not from an upstream), byte for byte where the
// reference gives the text. Reference: /work/shared/reference/envoy-ai-gateway-behaviour.md
// sections 2.2 (404 unsupported path, 400, 404 no route), 1.6 (413) and 3.3 (503 wrapping).

#include <QByteArray>

#include <string>

#include "http/headers.h"

namespace aigw::proxy {

struct LocalReply {
    int status = 200;
    http::Headers headers;
    QByteArray body;
};

/// The route-not-found direct response (EG HTTPRouteFilter ai-eg-route-not-found-response-*).
inline constexpr const char* kNoRouteText =
    "No matching route found. It is likely because the model specified in your request is not "
    "configured in the Gateway.";

/// 404 `unsupported path: <path>` (ext_proc server.go, unknown path).
LocalReply unsupportedPath(const std::string& path);
/// 400 {"type":"error","error":{"type":"BadRequest","code":"400","message":"malformed request: failed
/// to parse JSON for <path>: <detail>"}} (formatUserFacingErrorJSON).
LocalReply malformedRequest(const std::string& path, const std::string& detail);
/// 404 plain text kNoRouteText.
LocalReply noRoute();
/// 413 "Payload Too Large" (Envoy's local reply when the buffered body exceeds bufferLimit).
LocalReply payloadTooLarge();
/// 405 for a method the endpoint does not take (e.g. POST /v1/models).
LocalReply methodNotAllowed(const std::string& method, const std::string& path);

/// An Envoy local reply (plain text) as it reaches the client through the router ext_proc: non-JSON
/// error bodies are wrapped as {"type":"error","error":{"type":"OpenAIBackendError","code":"<status>",
/// "message":"<text>"}} (openai_openai.go convertErrorOpenAIToOpenAIError).
LocalReply wrappedEnvoyError(int status, const std::string& envoyText);

/// Wraps an upstream error response the same way when its body is not JSON; JSON bodies pass through
/// unchanged. Returns true when `body` was rewritten (and `headers` adjusted).
bool wrapNonJsonError(int status, http::Headers& headers, QByteArray& body);

/// Envoy's texts for the final failure, "upstream connect error or disconnect/reset before headers.
/// [retried and the latest ]reset reason: <reason>".
std::string envoyResetText(const std::string& reason, bool retried);
inline constexpr const char* kNoHealthyUpstream = "no healthy upstream";
inline constexpr const char* kUpstreamTimeout = "upstream request timeout";

}  // namespace aigw::proxy
