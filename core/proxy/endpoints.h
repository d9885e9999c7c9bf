#pragma once
// The paths the AI Gateway serves and how its router ext_proc reads each one's body.
//
// Registered in cmd/extproc/mainlib/main.go with the default prefixes (openai:/, cohere:/cohere,
// anthropic:/anthropic) and matched exactly on the path without its query string
// (internal/extproc/server.go processorForPath); any other path is answered 404
// `unsupported path: <:path>`. Every served path but the two model lists is routed by the `model`
// the body names. Reference: /work/shared/reference/envoy-ai-gateway-behaviour.md section 3.5
// "Paths the AI Gateway serves"; the parse errors follow internal/endpointspec/endpointspec.go.
//
// The simulator forwards the request to the chosen backend on the same path with only `model`
// replaced (OpenAI -> OpenAI); translation between schemas (Anthropic Messages or Cohere rerank
// through another schema's backend) is not simulated.

#include <QByteArray>

#include <span>
#include <string_view>
#include <variant>

#include "proxy/local_reply.h"
#include "proxy/request_body.h"

namespace aigw::proxy {

/// How the request names its model.
enum class BodyFormat {
    Json,       ///< the top-level `model` of a JSON object
    Multipart,  ///< the `model` field of a multipart/form-data body (audio transcriptions, translations)
    None,       ///< not read: answered locally from the config (the model lists)
};

/// A locally answered model list (internal/extproc/models_processor.go).
enum class ModelList {
    None,
    OpenAI,     ///< {"data":[{"id","created","object":"model","owned_by"}],"object":"list"}
    Anthropic,  ///< {"data":[{"id","type":"model","display_name","created_at"}],"first_id","has_more","last_id"}
};

struct Endpoint {
    std::string_view path;
    std::string_view operation;  ///< gen_ai.operation.name (internal/metrics/genai.go)
    BodyFormat body = BodyFormat::Json;
    ModelList modelList = ModelList::None;
    /// The path the endpoint spec names in "failed to parse JSON for <...>": its own, without the
    /// cohere/anthropic prefix (e.g. /v1/messages for /anthropic/v1/messages).
    std::string_view parseName;
    /// Anthropic specs reject an empty model themselves (400 "invalid request body: model field is
    /// required") instead of letting the route match miss.
    bool modelRequired = false;
    /// The speech spec's parse error is not marked user-facing: the ext_proc call fails and Envoy
    /// (failure_mode_allow: false) answers 500 with an empty body.
    bool parseErrorInternal = false;
    /// A stream of this endpoint always reports token usage at its end (Responses API:
    /// response.completed), as chat completions do only with stream_options.include_usage.
    bool streamReportsUsage = false;
};

/// Every path the gateway serves, in main.go's registration order.
std::span<const Endpoint> endpoints();

/// The endpoint registered for `path` (already without its query string), or null.
const Endpoint* findEndpoint(std::string_view path);

/// What the router ext_proc makes of a request body for `endpoint`: the parsed body, or the local
/// reply the gateway answers instead (400 BadRequest for user-facing errors, 500 when the ext_proc
/// call itself fails). `contentType` picks the parser as the real one does: multipart/form-data
/// goes to the multipart parser (an error for JSON-only endpoints), anything else to the JSON one
/// (an error for the multipart-only audio endpoints).
std::variant<ParsedBody, LocalReply> readRequestBody(const Endpoint& endpoint, std::string_view contentType,
                                                     const QByteArray& body);

}  // namespace aigw::proxy
