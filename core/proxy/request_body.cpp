#include "proxy/request_body.h"

#include <nlohmann/json.hpp>

namespace aigw::proxy {
namespace {

/// Skips a JSON string starting at the opening quote; returns the index after the closing quote.
qsizetype skipString(const QByteArray& s, qsizetype i) {
    ++i;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '\\') {
            i += 2;
            continue;
        }
        ++i;
        if (c == '"')
            return i;
    }
    return i;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// Finds the byte span of the top-level "model" value. The body is already known to be a valid
/// JSON object (nlohmann parsed it), so this scanner only has to track strings and nesting depth.
/// Keys are decoded with nlohmann so that escaped spellings ("mod\u0065l") are recognised too;
/// JSON allows duplicate keys and Go's decoder keeps the last one, so the last match wins.
void locateModel(const QByteArray& s, ParsedBody& out) {
    int depth = 0;
    qsizetype i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '"') {
            const qsizetype end = skipString(s, i);
            if (depth == 1) {
                qsizetype j = end;
                while (j < s.size() && isSpace(s[j]))
                    ++j;
                if (j < s.size() && s[j] == ':') {
                    const auto key = nlohmann::json::parse(s.constData() + i, s.constData() + end, nullptr, false);
                    ++j;
                    while (j < s.size() && isSpace(s[j]))
                        ++j;
                    if (key.is_string() && key.get<std::string>() == "model" && j < s.size() && s[j] == '"') {
                        out.valueBegin = j;
                        out.valueEnd = skipString(s, j);
                    }
                    i = j;
                    continue;
                }
            }
            i = end;
            continue;
        }
        if (c == '{' || c == '[')
            ++depth;
        else if (c == '}' || c == ']')
            --depth;
        ++i;
    }
}

}  // namespace

Result<ParsedBody> parseRequestBody(const QByteArray& body) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(body.constData(), body.constData() + body.size());
    } catch (const nlohmann::json::parse_error& e) {
        // nlohmann's text starts with "[json.exception.parse_error.101] "; keep the readable part.
        std::string what = e.what();
        if (auto p = what.find("] "); p != std::string::npos)
            what = what.substr(p + 2);
        return Error{{}, what};
    }
    if (!doc.is_object())
        return Error{{}, "request body must be a JSON object, got " + std::string(doc.type_name())};
    ParsedBody out;
    if (auto it = doc.find("model"); it != doc.end() && !it->is_null()) {
        if (!it->is_string())
            return Error{{}, "field \"model\" must be a string, got " + std::string(it->type_name())};
        out.model = it->get<std::string>();
    }
    if (auto it = doc.find("stream"); it != doc.end() && !it->is_null()) {
        if (!it->is_boolean())
            return Error{{}, "field \"stream\" must be a boolean, got " + std::string(it->type_name())};
        out.stream = it->get<bool>();
    }
    if (auto it = doc.find("stream_options"); it != doc.end() && it->is_object()) {
        auto u = it->find("include_usage");
        out.includeUsage = u != it->end() && u->is_boolean() && u->get<bool>();
    }
    if (!out.model.empty())
        locateModel(body, out);
    return out;
}

QByteArray withModel(const QByteArray& body, const ParsedBody& parsed, const std::string& model) {
    if (parsed.valueEnd <= parsed.valueBegin)
        return body;
    const std::string encoded = nlohmann::json(model).dump();
    QByteArray out;
    out.reserve(body.size() + static_cast<qsizetype>(encoded.size()));
    out.append(body.constData(), parsed.valueBegin);
    out.append(encoded.data(), static_cast<qsizetype>(encoded.size()));
    out.append(body.constData() + parsed.valueEnd, body.size() - parsed.valueEnd);
    return out;
}

}  // namespace aigw::proxy
