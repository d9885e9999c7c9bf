#pragma once
// The client's JSON body as the AI Gateway's router ext_proc sees it: parsed once for `model` and
// `stream`, then re-emitted per attempt with only `model` replaced (sjson.SetBytes in the real
// gateway, internal/translator/openai_openai.go): every other byte stays as the client sent it.

#include <QByteArray>

#include <cstdint>
#include <optional>
#include <string>

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
};

/// Parses a request body. Errors carry the message the real gateway would put after
/// "malformed request: failed to parse JSON for <path>: " (invalid JSON, not an object, `model` not a
/// string, `stream` not a boolean).
Result<ParsedBody> parseRequestBody(const QByteArray& body);

/// Token counts of an OpenAI `usage` object; -1 when absent or not an integer.
struct TokenUsage {
    std::int64_t promptTokens = -1;
    std::int64_t completionTokens = -1;
};

/// Reads `model` and `usage` of an OpenAI response (a whole JSON body, or one SSE `data:` payload)
/// without parsing the generated text that dominates it: an unescaped `"model"` / `"usage"` can
/// only be a key, so they are located by search and only the usage object itself is parsed (SAX,
/// no document). `model` is left unchanged when absent; usage fields are -1 when absent.
void readModelAndUsage(const char* data, qsizetype size, std::string& model, TokenUsage& usage);

/// `body` with the top-level `model` value replaced by `model` (JSON-escaped); byte-identical
/// otherwise. When the body has no `model` key it is returned unchanged.
QByteArray withModel(const QByteArray& body, const ParsedBody& parsed, const std::string& model);

}  // namespace aigw::proxy
