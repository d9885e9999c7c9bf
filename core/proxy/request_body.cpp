#include "proxy/request_body.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string_view>

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

/// Whether the JSON string token s[begin, end) (quotes included) decodes to "model". Keys without
/// escapes are compared as bytes; escaped spellings ("mod\u0065l") are decoded with nlohmann.
bool isModelKey(const QByteArray& s, qsizetype begin, qsizetype end) {
    const QByteArrayView token(s.constData() + begin, end - begin);
    if (!token.contains('\\'))
        return token == QByteArrayView("\"model\"");
    const auto key = nlohmann::json::parse(token.begin(), token.end(), nullptr, false);
    return key.is_string() && key.get_ref<const std::string&>() == "model";
}

/// Finds the byte span of the top-level "model" value. The body is already known to be a valid
/// JSON object (the SAX pass accepted it), so this scanner only has to track strings and nesting
/// depth. JSON allows duplicate keys and Go's decoder keeps the last one, so the last match wins.
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
                    const bool model = isModelKey(s, i, end);
                    ++j;
                    while (j < s.size() && isSpace(s[j]))
                        ++j;
                    if (model && j < s.size() && s[j] == '"') {
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

/// One validating pass over the body that keeps only what the router needs (top-level `model`,
/// `stream`, `stream_options.include_usage`), without building a document: the DOM parse was the
/// largest single cost of a proxied request (callgrind, bench/proxy_bench.sh load). Duplicate keys
/// resolve as a DOM would (last one wins); type errors are reported after the whole body parsed, so
/// a syntax error later in the body still wins, as before.
class BodyScanner {
public:
    using Json = nlohmann::json;

    bool null() { return value("null"); }
    bool boolean(bool v) {
        if (m_depth == 1) {
            if (m_key == Key::Stream)
                m_streamType = "boolean", m_stream = v;
        } else if (m_depth == 2 && m_key == Key::StreamOptions && m_inOptions && m_optionKeyIsUsage) {
            m_out.includeUsage = v;
            m_optionKeyIsUsage = false;
            return true;
        }
        return value("boolean");
    }
    bool number_integer(Json::number_integer_t) { return value("number"); }
    bool number_unsigned(Json::number_unsigned_t) { return value("number"); }
    bool number_float(Json::number_float_t, const Json::string_t&) { return value("number"); }
    bool binary(Json::binary_t&) { return value("binary"); }
    bool string(Json::string_t& v) {
        if (m_depth == 1 && m_key == Key::Model) {
            m_modelType = "string";
            m_out.model = std::move(v);
        }
        return value("string");
    }
    bool start_object(std::size_t) {
        if (m_depth == 0)
            m_rootType = "object";
        else if (m_depth == 1 && m_key == Key::StreamOptions) {
            m_out.includeUsage = false;  // a later stream_options replaces an earlier one
            m_inOptions = true;
        }
        container("object");
        ++m_depth;
        return true;
    }
    bool end_object() {
        --m_depth;
        if (m_depth == 1)
            m_inOptions = false;
        return true;
    }
    bool start_array(std::size_t) {
        if (m_depth == 0)
            m_rootType = "array";
        container("array");
        ++m_depth;
        return true;
    }
    bool end_array() {
        --m_depth;
        return true;
    }
    bool key(Json::string_t& k) {
        if (m_depth == 1)
            m_key = k == "model" ? Key::Model : k == "stream" ? Key::Stream : k == "stream_options" ? Key::StreamOptions : Key::Other;
        else if (m_depth == 2 && m_key == Key::StreamOptions && m_inOptions)
            m_optionKeyIsUsage = k == "include_usage";
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
        // nlohmann's text starts with "[json.exception.parse_error.101] "; keep the readable part.
        std::string what = e.what();
        if (auto p = what.find("] "); p != std::string::npos)
            what = what.substr(p + 2);
        m_error = std::move(what);
        return false;
    }

    /// After a successful sax_parse: the checks the DOM version made on the finished document.
    Result<ParsedBody> result() && {
        if (std::string_view(m_rootType) != "object")
            return Error{{}, "request body must be a JSON object, got " + std::string(m_rootType)};
        if (m_modelType && std::string_view(m_modelType) != "string")
            return Error{{}, "field \"model\" must be a string, got " + std::string(m_modelType)};
        if (m_streamType && std::string_view(m_streamType) != "boolean")
            return Error{{}, "field \"stream\" must be a boolean, got " + std::string(m_streamType)};
        m_out.stream = m_streamType && m_stream;
        return std::move(m_out);
    }
    const std::string& error() const { return m_error; }

private:
    enum class Key { Other, Model, Stream, StreamOptions };

    /// A scalar at the current depth.
    bool value(const char* type) {
        if (m_depth == 0)
            m_rootType = type;
        else if (m_depth == 1)
            attribute(type);
        else if (m_depth == 2 && m_key == Key::StreamOptions && m_inOptions && m_optionKeyIsUsage) {
            m_out.includeUsage = false;  // include_usage that is not a boolean counts as false
            m_optionKeyIsUsage = false;
        }
        return true;
    }
    /// An object or array opening at the current depth.
    void container(const char* type) {
        if (m_depth == 1)
            attribute(type);
        else if (m_depth == 2 && m_key == Key::StreamOptions && m_inOptions && m_optionKeyIsUsage) {
            m_out.includeUsage = false;
            m_optionKeyIsUsage = false;
        }
    }
    /// Records the type of a top-level member's value ("null" means absent, as before).
    void attribute(const char* type) {
        const bool isNull = std::string_view(type) == "null";
        switch (m_key) {
        case Key::Model:
            m_modelType = isNull ? nullptr : type;
            if (std::string_view(type) != "string")
                m_out.model.clear();
            break;
        case Key::Stream:
            if (std::string_view(type) != "boolean")
                m_streamType = isNull ? nullptr : type;
            break;
        case Key::StreamOptions:
            if (std::string_view(type) != "object")
                m_out.includeUsage = false;
            break;
        case Key::Other: break;
        }
    }

    ParsedBody m_out;
    std::string m_error;
    const char* m_rootType = "discarded";
    const char* m_modelType = nullptr;   ///< type of the last top-level "model" (null: absent)
    const char* m_streamType = nullptr;  ///< type of the last top-level "stream" (null: absent)
    bool m_stream = false;
    int m_depth = 0;
    Key m_key = Key::Other;              ///< the top-level key whose value is being read
    bool m_inOptions = false;            ///< inside the top-level stream_options object
    bool m_optionKeyIsUsage = false;     ///< the stream_options key being read is include_usage
};

/// Skips one JSON value starting at s[i] (an object or array with everything nested in it, a
/// string, or a scalar token); returns the index after it, or -1 when the text ends first.
qsizetype skipValue(QByteArrayView s, qsizetype i) {
    if (i >= s.size())
        return -1;
    if (s[i] == '"') {
        ++i;
        while (i < s.size()) {
            if (s[i] == '\\') {
                i += 2;
                continue;
            }
            if (s[i++] == '"')
                return i;
        }
        return -1;
    }
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < s.size()) {
            const char c = s[i];
            if (c == '"') {
                i = skipValue(s, i);
                if (i < 0)
                    return -1;
                continue;
            }
            if (c == '{' || c == '[')
                ++depth;
            else if ((c == '}' || c == ']') && --depth == 0)
                return i + 1;
            ++i;
        }
        return -1;
    }
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !isSpace(s[i]))
        ++i;
    return i;
}

/// The integer members prompt_tokens / completion_tokens of the `usage` object at s[0] ('{').
/// A usage object is flat numbers plus *_details objects, read per request on the hot path: a
/// member walk costs a fraction of constructing a JSON parser (callgrind: ~7k instructions each).
/// Anything malformed yields no counts.
bool scanUsage(QByteArrayView s, TokenUsage& out) {
    TokenUsage found;
    qsizetype i = 1;
    auto ws = [&] {
        while (i < s.size() && isSpace(s[i]))
            ++i;
    };
    ws();
    if (i < s.size() && s[i] == '}')
        return true;
    while (i < s.size()) {
        ws();
        if (i >= s.size() || s[i] != '"')
            return false;
        const qsizetype keyEnd = skipValue(s, i);
        if (keyEnd < 0)
            return false;
        const QByteArrayView key = s.sliced(i, keyEnd - i);
        std::int64_t* target = key == QByteArrayView("\"prompt_tokens\"")       ? &found.promptTokens
                               : key == QByteArrayView("\"completion_tokens\"") ? &found.completionTokens
                                                                                  : nullptr;
        i = keyEnd;
        ws();
        if (i >= s.size() || s[i] != ':')
            return false;
        ++i;
        ws();
        const qsizetype valueEnd = skipValue(s, i);
        if (valueEnd < 0 || valueEnd == i)
            return false;
        if (target) {
            std::int64_t v = 0;
            const auto [ptr, ec] = std::from_chars(s.data() + i, s.data() + valueEnd, v);
            // Only a whole JSON integer counts ("1.5", "9e2", "\"9\"" do not).
            *target = ec == std::errc() && ptr == s.data() + valueEnd ? v : -1;
        }
        i = valueEnd;
        ws();
        if (i < s.size() && s[i] == ',') {
            ++i;
            continue;
        }
        if (i < s.size() && s[i] == '}') {
            out = found;
            return true;
        }
        return false;
    }
    return false;
}

}  // namespace

void readModelAndUsage(const char* data, qsizetype size, std::string& model, TokenUsage& usage) {
    // std::string_view's find is memchr-based: cheaper than QByteArrayView::indexOf for these short needles.
    const std::string_view text(data, static_cast<std::size_t>(std::max<qsizetype>(size, 0)));
    constexpr auto npos = std::string_view::npos;
    if (const auto m = text.find("\"model\""); m != npos) {
        const auto colon = text.find(':', m + 7);
        const auto q1 = colon != npos ? text.find('"', colon + 1) : npos;
        const auto q2 = q1 != npos ? text.find('"', q1 + 1) : npos;
        if (q2 != npos && q2 - q1 < 512)
            model.assign(data + q1 + 1, q2 - q1 - 1);
    }
    const auto u = text.rfind("\"usage\"");
    if (u == npos)
        return;
    qsizetype i = static_cast<qsizetype>(u) + 7;
    while (i < size && isSpace(data[i]))
        ++i;
    if (i >= size || data[i] != ':')
        return;
    ++i;
    while (i < size && isSpace(data[i]))
        ++i;
    if (i >= size || data[i] != '{')
        return;  // "usage": null (every chunk of a stream with include_usage but the last)
    scanUsage(QByteArrayView(data + i, size - i), usage);
}

Result<ParsedBody> parseRequestBody(const QByteArray& body) {
    BodyScanner scanner;
    if (!nlohmann::json::sax_parse(body.constData(), body.constData() + body.size(), &scanner))
        return Error{{}, scanner.error()};
    auto parsed = std::move(scanner).result();
    if (parsed.ok() && !parsed.value().model.empty())
        locateModel(body, parsed.value());
    return parsed;
}

QByteArray withModel(const QByteArray& body, const ParsedBody& parsed, const std::string& model) {
    if (parsed.valueEnd <= parsed.valueBegin)
        return body;
    // Names without characters JSON must escape (all real model names) are quoted as they are;
    // others go through nlohmann, with invalid UTF-8 replaced instead of throwing.
    const bool plain = std::none_of(model.begin(), model.end(), [](char c) {
        return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80;
    });
    const std::string encoded =
        plain ? '"' + model + '"' : nlohmann::json(model).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    QByteArray out;
    out.reserve(body.size() + static_cast<qsizetype>(encoded.size()));
    out.append(body.constData(), parsed.valueBegin);
    out.append(encoded.data(), static_cast<qsizetype>(encoded.size()));
    out.append(body.constData() + parsed.valueEnd, body.size() - parsed.valueEnd);
    return out;
}

}  // namespace aigw::proxy
