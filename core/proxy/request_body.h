#pragma once
// The client's JSON body as the AI Gateway's router ext_proc sees it: parsed once for `model` and
// `stream`, then re-emitted per attempt with only `model` replaced (sjson.SetBytes in the real
// gateway, internal/translator/openai_openai.go): every other byte stays as the client sent it.

#include <QByteArray>

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

/// `body` with the top-level `model` value replaced by `model` (JSON-escaped); byte-identical
/// otherwise. When the body has no `model` key it is returned unchanged.
QByteArray withModel(const QByteArray& body, const ParsedBody& parsed, const std::string& model);

}  // namespace aigw::proxy
