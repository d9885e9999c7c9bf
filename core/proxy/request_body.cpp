#include "proxy/request_body.h"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
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

/// One pass over a body that validates the common case itself (ASCII text, the short escapes,
/// plain numbers, moderate nesting) and feeds BodyScanner exactly the events nlohmann's parser
/// would. Anything it does not check completely (bytes >= 0x80, \\u escapes, exponents, very long
/// numbers, deep nesting) or that is invalid makes it answer "unsure", and the caller runs nlohmann
/// for the verdict and the error text. nlohmann's lexer costs ~90 instructions per byte; this pass
/// about a tenth (callgrind: 8k -> under 1k instructions for a typical chat request).
class FastJsonPass {
public:
    FastJsonPass(std::string_view text, BodyScanner& sax) : m_s(text), m_sax(sax) {}

    /// True: the text is valid JSON and every event went to the scanner. False: unsure.
    bool run() {
        ws();
        if (!value())
            return false;
        ws();
        return m_i == m_s.size();
    }

private:
    using Json = nlohmann::json;
    static constexpr int kMaxDepth = 64;

    void ws() {
        while (m_i < m_s.size() && isSpace(m_s[m_i]))
            ++m_i;
    }
    bool peek(char c) const { return m_i < m_s.size() && m_s[m_i] == c; }

    bool value() {
        if (m_i >= m_s.size())
            return false;
        switch (m_s[m_i]) {
        case '{': return object();
        case '[': return array();
        case '"': {
            std::string v;
            const bool deliver = m_depth <= 2;
            if (!string(deliver ? &v : nullptr))
                return false;
            return m_sax.string(deliver ? v : m_scratch);
        }
        case 't': return literal("true") && m_sax.boolean(true);
        case 'f': return literal("false") && m_sax.boolean(false);
        case 'n': return literal("null") && m_sax.null();
        default: return number();
        }
    }

    bool object() {
        if (++m_depth > kMaxDepth)
            return false;
        ++m_i;
        m_sax.start_object(std::size_t(-1));
        ws();
        if (peek('}')) {
            ++m_i;
            --m_depth;
            return m_sax.end_object();
        }
        while (true) {
            ws();
            if (!peek('"'))
                return false;
            std::string key;
            const bool deliver = m_depth <= 2;
            if (!string(deliver ? &key : nullptr))
                return false;
            m_sax.key(deliver ? key : m_scratch);
            ws();
            if (!peek(':'))
                return false;
            ++m_i;
            ws();
            if (!value())
                return false;
            ws();
            if (peek(',')) {
                ++m_i;
                continue;
            }
            if (peek('}')) {
                ++m_i;
                --m_depth;
                return m_sax.end_object();
            }
            return false;
        }
    }

    bool array() {
        if (++m_depth > kMaxDepth)
            return false;
        ++m_i;
        m_sax.start_array(std::size_t(-1));
        ws();
        if (peek(']')) {
            ++m_i;
            --m_depth;
            return m_sax.end_array();
        }
        while (true) {
            ws();
            if (!value())
                return false;
            ws();
            if (peek(',')) {
                ++m_i;
                continue;
            }
            if (peek(']')) {
                ++m_i;
                --m_depth;
                return m_sax.end_array();
            }
            return false;
        }
    }

    /// At the opening quote. Decodes into `out` when given.
    bool string(std::string* out) {
        ++m_i;
        std::size_t runStart = m_i;
        auto flush = [&](std::size_t end) {
            if (out)
                out->append(m_s.data() + runStart, end - runStart);
        };
        while (m_i < m_s.size()) {
            const auto c = static_cast<unsigned char>(m_s[m_i]);
            if (c == '"') {
                flush(m_i);
                ++m_i;
                return true;
            }
            if (c < 0x20 || c >= 0x80)
                return false;  // an error, or UTF-8 that nlohmann validates
            if (c == '\\') {
                flush(m_i);
                if (m_i + 1 >= m_s.size())
                    return false;
                char decoded = 0;
                switch (m_s[m_i + 1]) {
                case '"': decoded = '"'; break;
                case '\\': decoded = '\\'; break;
                case '/': decoded = '/'; break;
                case 'b': decoded = '\b'; break;
                case 'f': decoded = '\f'; break;
                case 'n': decoded = '\n'; break;
                case 'r': decoded = '\r'; break;
                case 't': decoded = '\t'; break;
                default: return false;  // \\u (surrogates are nlohmann's to check) or invalid
                }
                if (out)
                    out->push_back(decoded);
                m_i += 2;
                runStart = m_i;
                continue;
            }
            ++m_i;
        }
        return false;
    }

    bool literal(std::string_view word) {
        if (m_s.substr(m_i, word.size()) != word)
            return false;
        m_i += word.size();
        return true;
    }

    /// -?(0|[1-9][0-9]*)(.[0-9]+)? ; exponents and very long numbers are left to nlohmann (overflow).
    bool number() {
        const std::size_t begin = m_i;
        auto digit = [&] { return m_i < m_s.size() && m_s[m_i] >= '0' && m_s[m_i] <= '9'; };
        if (peek('-'))
            ++m_i;
        if (peek('0'))
            ++m_i;
        else if (digit())
            while (digit())
                ++m_i;
        else
            return false;
        bool fraction = false;
        if (peek('.')) {
            ++m_i;
            if (!digit())
                return false;
            while (digit())
                ++m_i;
            fraction = true;
        }
        if (peek('e') || peek('E') || m_i - begin > 18)
            return false;
        return fraction ? m_sax.number_float(0.0, m_scratch) : m_sax.number_integer(0);
    }

    std::string_view m_s;
    BodyScanner& m_sax;
    std::size_t m_i = 0;
    int m_depth = 0;
    std::string m_scratch;  ///< stands in for strings the scanner does not look at
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

/// The integer members prompt_tokens / completion_tokens (or the Responses API's input_tokens /
/// output_tokens) of the `usage` object at s[0] ('{').
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
        std::int64_t* target = key == QByteArrayView("\"prompt_tokens\"") || key == QByteArrayView("\"input_tokens\"")
                                   ? &found.promptTokens
                               : key == QByteArrayView("\"completion_tokens\"") || key == QByteArrayView("\"output_tokens\"")
                                   ? &found.completionTokens
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

void scanSseUsage(QByteArray& pending, const QByteArray& data, std::string& model, TokenUsage& usage) {
    pending.append(data);
    qsizetype nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
        const QByteArray line = pending.left(nl).trimmed();
        pending.remove(0, nl + 1);
        if (!line.startsWith("data:"))
            continue;
        const QByteArray payload = line.mid(5).trimmed();
        if (payload == "[DONE]" || (!model.empty() && !payload.contains("\"usage\"")))
            continue;
        readModelAndUsage(payload.constData(), payload.size(), model, usage);
    }
    if (pending.size() > 1 << 20)
        pending.clear();  // forwarding is unaffected
}

Result<ParsedBody> parseRequestBody(const QByteArray& body) {
    // nlohmann takes a NUL byte for the end of the input, so `{"model":"a"}\0{"model":"b"}` would
    // parse as the first object while withModel rewrote the second; JSON has no NUL outside a
    // string nor raw inside one, and Go's decoder (the real gateway) rejects it.
    if (const qsizetype nul = body.indexOf('\0'); nul >= 0)
        return Error{{}, "syntax error: invalid character '\\x00' at byte " + std::to_string(nul + 1)};
    BodyScanner fast;
    const std::string_view text(body.constData(), static_cast<std::size_t>(body.size()));
    auto parsed = [&]() -> Result<ParsedBody> {
        if (FastJsonPass(text, fast).run())
            return std::move(fast).result();
        BodyScanner scanner;  // the fast pass may have fed the first one part of the events
        if (!nlohmann::json::sax_parse(body.constData(), body.constData() + body.size(), &scanner))
            return Error{{}, scanner.error()};
        return std::move(scanner).result();
    }();
    if (parsed.ok() && !parsed.value().model.empty())
        locateModel(body, parsed.value());
    return parsed;
}

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && isSpace(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back()))
        s.remove_suffix(1);
    return s;
}

/// The value of parameter `name` in a header value like `form-data; name="model"` or
/// `multipart/form-data; boundary=xyz` (quoted or not); nullopt when absent.
std::optional<std::string> headerParam(std::string_view value, std::string_view name) {
    std::size_t i = value.find(';');
    while (i != std::string_view::npos && i < value.size()) {
        ++i;  // past ';'
        const auto eq = value.find('=', i);
        if (eq == std::string_view::npos)
            return std::nullopt;
        const std::string_view key = trim(value.substr(i, eq - i));
        i = eq + 1;
        while (i < value.size() && isSpace(value[i]))
            ++i;
        std::string v;
        if (i < value.size() && value[i] == '"') {
            ++i;
            while (i < value.size() && value[i] != '"') {
                if (value[i] == '\\' && i + 1 < value.size())
                    ++i;
                v += value[i++];
            }
            ++i;  // the closing quote
        } else {
            const std::size_t end = std::min(value.find(';', i), value.size());
            v = std::string(trim(value.substr(i, end - i)));
            i = end;
        }
        if (equalsIgnoreCase(key, name))
            return v;
        i = value.find(';', std::min(i, value.size()));
    }
    return std::nullopt;
}

}  // namespace

Result<ParsedBody> parseMultipartBody(const QByteArray& body, std::string_view contentType) {
    const auto boundary = headerParam(contentType, "boundary");
    if (!boundary || boundary->empty())
        return Error{{}, "failed to parse multipart form data: missing boundary"};
    const std::string_view text(body.constData(), static_cast<std::size_t>(body.size()));
    const std::string delimiter = "--" + *boundary;
    ParsedBody out;
    bool hasModel = false;
    bool hasFile = false;
    // The first delimiter line ends the preamble; each part runs to the next "\r\n--boundary"
    // ("\n--boundary" also accepted, as Go's reader does).
    std::size_t pos = text.rfind(delimiter, 0) == 0 ? 0 : text.find("\n" + delimiter);
    if (pos != std::string_view::npos && pos != 0)
        ++pos;
    while (pos != std::string_view::npos) {
        pos += delimiter.size();
        if (text.substr(pos, 2) == "--")
            break;  // the closing delimiter
        const auto lineEnd = text.find('\n', pos);
        if (lineEnd == std::string_view::npos)
            return Error{{}, "failed to parse multipart form data: multipart: NextPart: EOF"};
        // Part headers up to the empty line.
        std::size_t at = lineEnd + 1;
        std::string name;
        while (true) {
            const auto end = text.find('\n', at);
            if (end == std::string_view::npos)
                return Error{{}, "failed to parse multipart form data: multipart: NextPart: EOF"};
            const std::string_view line = trim(text.substr(at, end - at));
            at = end + 1;
            if (line.empty())
                break;
            const auto colon = line.find(':');
            if (colon != std::string_view::npos && equalsIgnoreCase(trim(line.substr(0, colon)), "content-disposition"))
                name = headerParam(line.substr(colon + 1), "name").value_or("");
        }
        auto next = text.find("\n" + delimiter, at);
        if (next == std::string_view::npos)
            return Error{{}, "failed to parse multipart form data: unexpected EOF"};
        const std::size_t contentEnd = next > at && text[next - 1] == '\r' ? next - 1 : next;
        const std::string_view content = text.substr(at, contentEnd - at);
        if (name == "model") {
            hasModel = true;
            out.model = std::string(content);
            out.valueBegin = static_cast<qsizetype>(at);
            out.valueEnd = static_cast<qsizetype>(contentEnd);
            out.rawValue = true;
        } else if (name == "file") {
            hasFile = true;
        } else if (name == "stream") {
            out.stream = equalsIgnoreCase(content, "true");
        }
        pos = next + 1;
    }
    if (!hasModel)
        return Error{{}, "missing required field 'model'"};
    if (!hasFile)
        return Error{{}, "missing required field 'file'"};
    return out;
}

QByteArray withModel(const QByteArray& body, const ParsedBody& parsed, const std::string& model) {
    if (parsed.rawValue) {
        QByteArray out = body;
        return out.replace(parsed.valueBegin, parsed.valueEnd - parsed.valueBegin, QByteArray::fromStdString(model));
    }
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
