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
/// 400 with any user-facing message in the same shape (createUserFacingErrorResponse), e.g.
/// "malformed request: multipart body not supported for this endpoint".
LocalReply badRequest(const std::string& message);
/// 500 with no body: what Envoy answers when the ext_proc call fails (failure_mode_allow: false),
/// e.g. the speech endpoint's body does not parse.
LocalReply extProcFailed();
/// 404 plain text kNoRouteText.
LocalReply noRoute();
/// 413 "Payload Too Large" (Envoy's local reply when the buffered body exceeds bufferLimit).
LocalReply payloadTooLarge();
/// 405 for a method the endpoint does not take (e.g. POST /v1/models).
LocalReply methodNotAllowed(const std::string& method, const std::string& path);

/// An Envoy local reply (plain text) as it reaches the client through the router ext_proc: non-JSON
/// error bodies are wrapped as {"type":"error","error":{"type":"OpenAIBackendError","code":"<status>",
/// "message":"<text>"}} (openai_openai.go convertErrorOpenAIToOpenAIError; `message` is omitted
/// when the text is empty, as Go's omitempty does).
LocalReply wrappedEnvoyError(int status, const std::string& envoyText);

/// The router ext_proc's ResponseError for an upstream response (openai_openai.go
/// convertErrorOpenAIToOpenAIError): a non-2xx response whose `content-type` does not contain
/// "application/json" has its raw body (byte for byte, invalid UTF-8 replaced) wrapped as above and
/// gets content-type application/json; anything else passes unchanged. The decision is by
/// content-type only: a JSON body labelled text/plain is wrapped, a non-JSON body labelled
/// application/json passes. Returns true when `body` was rewritten (and `headers` adjusted).
bool wrapNonJsonError(int status, http::Headers& headers, QByteArray& body);

/// Envoy's texts for the final failure, "upstream connect error or disconnect/reset before headers.
/// [retried and the latest ]reset reason: <reason>".
std::string envoyResetText(const std::string& reason, bool retried);
inline constexpr const char* kNoHealthyUpstream = "no healthy upstream";
inline constexpr const char* kUpstreamTimeout = "upstream request timeout";

}  // namespace aigw::proxy
