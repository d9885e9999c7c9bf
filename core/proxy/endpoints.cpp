#include "proxy/endpoints.h"

#include <algorithm>
#include <array>
#include <string>

namespace aigw::proxy {
namespace {

using B = BodyFormat;
using L = ModelList;

// cmd/extproc/mainlib/main.go, in registration order; operations from internal/metrics/genai.go.
constexpr std::array kEndpoints{
    Endpoint{"/v1/chat/completions", "chat", B::Json, L::None, "/v1/chat/completions"},
    Endpoint{"/v1/completions", "completion", B::Json, L::None, "/v1/completions"},
    Endpoint{"/v1/embeddings", "embeddings", B::Json, L::None, "/v1/embeddings"},
    Endpoint{"/v1/responses", "responses", B::Json, L::None, "/v1/responses", false, false, true},
    Endpoint{"/v1/responses/input_tokens", "responses_input_tokens", B::Json, L::None, "/v1/responses/input_tokens"},
    Endpoint{"/v1/audio/speech", "speech", B::Json, L::None, "/v1/audio/speech", false, true},
    Endpoint{"/v1/audio/transcriptions", "transcription", B::Multipart, L::None, "/v1/audio/transcriptions"},
    Endpoint{"/v1/audio/translations", "translation", B::Multipart, L::None, "/v1/audio/translations"},
    Endpoint{"/v1/images/generations", "image_generation", B::Json, L::None, "/v1/images/generations"},
    Endpoint{"/cohere/v2/rerank", "rerank", B::Json, L::None, "/v2/rerank"},
    Endpoint{"/v1/models", "", B::None, L::OpenAI, ""},
    Endpoint{"/anthropic/v1/models", "", B::None, L::Anthropic, ""},
    Endpoint{"/anthropic/v1/messages", "messages", B::Json, L::None, "/v1/messages", true},
    Endpoint{"/tokenize", "tokenize", B::Json, L::None, "/tokenize"},
    Endpoint{"/anthropic/v1/messages/count_tokens", "count_tokens", B::Json, L::None, "/v1/messages/count_tokens", true},
};

bool isMultipart(std::string_view contentType) {
    // strings.HasPrefix(strings.ToLower(contentType), "multipart/form-data")
    constexpr std::string_view kPrefix = "multipart/form-data";
    return contentType.size() >= kPrefix.size() &&
           std::equal(kPrefix.begin(), kPrefix.end(), contentType.begin(),
                      [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? char(b - 'A' + 'a') : b); });
}

}  // namespace

std::span<const Endpoint> endpoints() { return kEndpoints; }

const Endpoint* findEndpoint(std::string_view path) {
    const auto it = std::find_if(kEndpoints.begin(), kEndpoints.end(), [&](const Endpoint& e) { return e.path == path; });
    return it == kEndpoints.end() ? nullptr : &*it;
}

std::variant<ParsedBody, LocalReply> readRequestBody(const Endpoint& endpoint, std::string_view contentType,
                                                     const QByteArray& body) {
    // The path's name is only needed in error texts (a std::string of it allocates on every request).
    if (isMultipart(contentType)) {
        if (endpoint.body != BodyFormat::Multipart)
            return badRequest("malformed request: multipart body not supported for this endpoint");
        auto parsed = parseMultipartBody(body, contentType);
        if (!parsed.ok())
            return badRequest("malformed request: " + parsed.error().message);
        return std::move(parsed).value();
    }
    if (endpoint.body == BodyFormat::Multipart)
        return badRequest("malformed request: expected multipart/form-data content type for " + std::string(endpoint.parseName));
    auto parsed = parseRequestBody(body);
    if (!parsed.ok()) {
        if (endpoint.parseErrorInternal)
            return extProcFailed();
        return malformedRequest(std::string(endpoint.parseName), parsed.error().message);
    }
    if (endpoint.modelRequired && parsed.value().model.empty())
        return badRequest("invalid request body: model field is required");
    return std::move(parsed).value();
}

}  // namespace aigw::proxy
