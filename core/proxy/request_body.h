#pragma once
// The client's JSON body as the AI Gateway's router ext_proc sees it: parsed once for `model` and
// `stream`, then re-emitted per attempt with only `model` replaced (sjson.SetBytes in the real
// gateway, internal/translator/openai_openai.go): every other byte stays as the client sent it.

#include <QByteArray>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace aigw::proxy {

struct ParsedBody {
    std::string model;           ///< "" when absent (then no route matches: 404, as the real gateway)
    bool stream = false;         ///< "stream": true
    bool includeUsage = false;   ///< "stream_options": {"include_usage": true}
    /// Byte range of the top-level `model` value (the JSON string with its quotes) in the body;
    /// valueBegin == valueEnd when the body has no `model` key.
    qsizetype valueBegin = 0;
    qsizetype valueEnd = 0;
    /// The range holds the raw bytes of a multipart form field, not a JSON string.
    bool rawValue = false;
};

/// Parses a request body. Errors carry the message the real gateway would put after
/// "malformed request: failed to parse JSON for <path>: " (invalid JSON, not an object, `model` not a
/// string, `stream` not a boolean).
Result<ParsedBody> parseRequestBody(const QByteArray& body);

/// Parses a multipart/form-data body as the audio transcription/translation specs do
/// (internal/endpointspec/endpointspec.go ParseMultipartBody): the `model` field (required), a
/// `file` field (required) and `stream` ("true", any case). Errors carry the text the real gateway
/// puts after "malformed request: " (missing boundary, a part that does not end, a missing field).
Result<ParsedBody> parseMultipartBody(const QByteArray& body, std::string_view contentType);

/// Token counts of a `usage` object: prompt_tokens / completion_tokens (Chat Completions) or
/// input_tokens / output_tokens (Responses API, Anthropic); -1 when absent or not an integer.
struct TokenUsage {
    std::int64_t promptTokens = -1;
    std::int64_t completionTokens = -1;
};

/// Reads `model` and `usage` of an OpenAI response (a whole JSON body, or one SSE `data:` payload)
/// without parsing the generated text that dominates it: an unescaped `"model"` / `"usage"` can
/// only be a key, so they are located by search and only the usage object itself is parsed (SAX,
/// no document). `model` is left unchanged when absent; usage fields are -1 when absent.
void readModelAndUsage(const char* data, qsizetype size, std::string& model, TokenUsage& usage);

/// Reads `usage` and `model` from the SSE `data:` lines in `data` (the real gateway does the same in
/// extractUsageFromBufferEvent). `pending` holds a line split across calls (cleared past 1 MiB: a
/// line that long is not SSE this can read).
void scanSseUsage(QByteArray& pending, const QByteArray& data, std::string& model, TokenUsage& usage);

/// `body` with the top-level `model` value replaced by `model` (JSON-escaped; as it is in a
/// multipart field); byte-identical otherwise. When the body has no `model` key it is returned
/// unchanged.
QByteArray withModel(const QByteArray& body, const ParsedBody& parsed, const std::string& model);

}  // namespace aigw::proxy
