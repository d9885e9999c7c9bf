#include "proxy/request_body.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cctype>
#include <cstdint>
#include <cstring>
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

    // nlohmann's SAX events (the fallback parse); FastJsonPass calls the same, plus the
    // string_view forms below that spare it decoding strings nobody reads.
    bool null() { return value(Type::Null); }
    bool boolean(bool v) {
        if (m_depth == 1) {
            if (m_key == Key::Stream)
                m_streamType = Type::Boolean, m_stream = v;
        } else if (readsOption() && m_optionKeyIsUsage) {
            m_out.includeUsage = v;
            m_optionKeyIsUsage = false;
            return true;
        }
        return value(Type::Boolean);
    }
    bool number_integer(Json::number_integer_t) { return value(Type::Number); }
    bool number_unsigned(Json::number_unsigned_t) { return value(Type::Number); }
    bool number_float(Json::number_float_t, const Json::string_t&) { return value(Type::Number); }
    bool binary(Json::binary_t&) { return value(Type::Binary); }
    bool string(Json::string_t& v) {
        if (readsModel())
            m_out.model = std::move(v);
        return string();
    }
    bool start_object(std::size_t) {
        if (m_depth == 0)
            m_rootType = Type::Object;
        else if (m_depth == 1 && m_key == Key::StreamOptions) {
            m_out.includeUsage = false;  // a later stream_options replaces an earlier one
            m_inOptions = true;
        }
        container(Type::Object);
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
            m_rootType = Type::Array;
        container(Type::Array);
        ++m_depth;
        return true;
    }
    bool end_array() {
        --m_depth;
        return true;
    }
    bool key(Json::string_t& k) { return key(std::string_view(k)); }
    bool key(std::string_view k) {
        if (m_depth == 1)
            m_key = k == "model" ? Key::Model : k == "stream" ? Key::Stream : k == "stream_options" ? Key::StreamOptions : Key::Other;
        else if (readsOption())
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

    /// Whether a key read now is looked at (else FastJsonPass need not decode it).
    bool readsKey() const { return m_depth == 1 || readsOption(); }
    /// Whether a string value read now is the top-level `model` (the only string value kept).
    bool readsModel() const { return m_depth == 1 && m_key == Key::Model; }
    /// FastJsonPass's top-level `model` value: its text and its bytes in the body, quotes included
    /// (saves parseRequestBody the locateModel pass). Followed by string().
    void model(std::string text, std::size_t begin, std::size_t end) {
        m_out.model = std::move(text);
        m_out.valueBegin = static_cast<qsizetype>(begin);
        m_out.valueEnd = static_cast<qsizetype>(end);
    }
    /// A string value (its text, when needed, came through string(v) or model()).
    bool string() {
        if (readsModel())
            m_modelType = Type::String;
        return value(Type::String);
    }

    /// After a successful parse: the checks the DOM version made on the finished document.
    Result<ParsedBody> result() && {
        if (m_rootType != Type::Object)
            return Error{{}, "request body must be a JSON object, got " + std::string(name(m_rootType))};
        if (m_modelType != Type::Absent && m_modelType != Type::String)
            return Error{{}, "field \"model\" must be a string, got " + std::string(name(m_modelType))};
        if (m_streamType != Type::Absent && m_streamType != Type::Boolean)
            return Error{{}, "field \"stream\" must be a boolean, got " + std::string(name(m_streamType))};
        m_out.stream = m_streamType != Type::Absent && m_stream;
        // No name, no span (an empty or null `model` is not rewritten), as locateModel leaves it.
        if (m_out.model.empty())
            m_out.valueBegin = m_out.valueEnd = 0;
        return std::move(m_out);
    }
    const std::string& error() const { return m_error; }

private:
    enum class Key { Other, Model, Stream, StreamOptions };
    /// JSON value types, named as nlohmann's type_name() does; Absent: no such member (or null).
    enum class Type { Absent, Null, Boolean, Number, String, Binary, Object, Array, Discarded };

    static const char* name(Type t) {
        switch (t) {
        case Type::Null: return "null";
        case Type::Boolean: return "boolean";
        case Type::Number: return "number";
        case Type::String: return "string";
        case Type::Binary: return "binary";
        case Type::Object: return "object";
        case Type::Array: return "array";
        case Type::Absent:
        case Type::Discarded: break;
        }
        return "discarded";
    }

    /// Inside the top-level stream_options object, directly.
    bool readsOption() const { return m_depth == 2 && m_key == Key::StreamOptions && m_inOptions; }

    /// A scalar at the current depth.
    bool value(Type type) {
        if (m_depth == 0)
            m_rootType = type;
        else if (m_depth == 1)
            attribute(type);
        else if (readsOption() && m_optionKeyIsUsage) {
            m_out.includeUsage = false;  // include_usage that is not a boolean counts as false
            m_optionKeyIsUsage = false;
        }
        return true;
    }
    /// An object or array opening at the current depth.
    void container(Type type) {
        if (m_depth == 1)
            attribute(type);
        else if (readsOption() && m_optionKeyIsUsage) {
            m_out.includeUsage = false;
            m_optionKeyIsUsage = false;
        }
    }
    /// Records the type of a top-level member's value (null means absent, as before).
    void attribute(Type type) {
        switch (m_key) {
        case Key::Model:
            m_modelType = type == Type::Null ? Type::Absent : type;
            if (type != Type::String)
                m_out.model.clear();
            break;
        case Key::Stream:
            if (type != Type::Boolean)
                m_streamType = type == Type::Null ? Type::Absent : type;
            break;
        case Key::StreamOptions:
            if (type != Type::Object)
                m_out.includeUsage = false;
            break;
        case Key::Other: break;
        }
    }

    ParsedBody m_out;
    std::string m_error;
    Type m_rootType = Type::Discarded;
    Type m_modelType = Type::Absent;   ///< type of the last top-level "model"
    Type m_streamType = Type::Absent;  ///< type of the last top-level "stream"
    bool m_stream = false;
    int m_depth = 0;
    Key m_key = Key::Other;            ///< the top-level key whose value is being read
    bool m_inOptions = false;          ///< inside the top-level stream_options object
    bool m_optionKeyIsUsage = false;   ///< the stream_options key being read is include_usage
};

/// One pass over a body that validates the common case itself (ASCII text, the short escapes,
/// plain numbers, moderate nesting) and feeds BodyScanner exactly the events nlohmann's parser
/// would. Anything it does not check completely (bytes >= 0x80, \\u escapes, exponents, very long
/// numbers, deep nesting) or that is invalid makes it answer "unsure", and the caller runs nlohmann
/// for the verdict and the error text. nlohmann's lexer costs ~90 instructions per byte; this pass
/// about a tenth (callgrind: 8k -> under 1k instructions for a typical chat request).
class FastJsonPass {
public:
    FastJsonPass(std::string_view text, BodyScanner& sax)
        : m_begin(text.data()), m_p(text.data()), m_end(text.data() + text.size()), m_sax(sax) {}

    /// True: the text is valid JSON and every event went to the scanner. False: unsure.
    bool run() {
        ws();
        if (!value())
            return false;
        ws();
        return m_p == m_end;
    }

private:
    static constexpr int kMaxDepth = 64;

    /// The string bytes a scan passes over: printable ASCII but the quote and the backslash.
    static constexpr auto kPlain = [] {
        std::array<bool, 256> plain{};
        for (int c = 0x20; c < 0x80; ++c)
            plain[c] = c != '"' && c != '\\';
        return plain;
    }();

    void ws() {
        if (m_p < m_end && static_cast<unsigned char>(*m_p) <= ' ')  // inlined: most tokens follow no space
            skipSpace();
    }
    void skipSpace() {
        while (m_p < m_end && isSpace(*m_p))
            ++m_p;
    }
    bool peek(char c) const { return m_p < m_end && *m_p == c; }
    std::size_t offset(const char* p) const { return static_cast<std::size_t>(p - m_begin); }

    bool value() {
        if (m_p >= m_end)
            return false;
        switch (*m_p) {
        case '{': return object();
        case '[': return array();
        case '"': {
            const char* const begin = m_p;
            bool escaped = false;
            if (!string(escaped))
                return false;
            if (m_sax.readsModel()) {
                const std::string_view raw(begin + 1, static_cast<std::size_t>(m_p - begin - 2));
                m_sax.model(escaped ? unescape(raw) : std::string(raw), offset(begin), offset(m_p));
            }
            return m_sax.string();
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
        ++m_p;
        m_sax.start_object(std::size_t(-1));
        ws();
        if (peek('}')) {
            ++m_p;
            --m_depth;
            return m_sax.end_object();
        }
        while (true) {
            ws();
            if (!peek('"'))
                return false;
            const char* const begin = m_p;
            bool escaped = false;
            if (!string(escaped))
                return false;
            const std::string_view key(begin + 1, static_cast<std::size_t>(m_p - begin - 2));
            if (!escaped)
                m_sax.key(key);
            else if (m_sax.readsKey())
                m_sax.key(std::string_view(unescape(key)));
            ws();
            if (!peek(':'))
                return false;
            ++m_p;
            ws();
            if (!value())
                return false;
            ws();
            if (peek(',')) {
                ++m_p;
                continue;
            }
            if (peek('}')) {
                ++m_p;
                --m_depth;
                return m_sax.end_object();
            }
            return false;
        }
    }

    bool array() {
        if (++m_depth > kMaxDepth)
            return false;
        ++m_p;
        m_sax.start_array(std::size_t(-1));
        ws();
        if (peek(']')) {
            ++m_p;
            --m_depth;
            return m_sax.end_array();
        }
        while (true) {
            ws();
            if (!value())
                return false;
            ws();
            if (peek(',')) {
                ++m_p;
                continue;
            }
            if (peek(']')) {
                ++m_p;
                --m_depth;
                return m_sax.end_array();
            }
            return false;
        }
    }

    /// From the opening quote to past the closing one, without decoding (few strings are read:
    /// unescape() does it on demand); `escaped` tells whether the string has escapes.
    bool string(bool& escaped) {
        const char* p = m_p + 1;
        while (true) {
            p = plainRun(p);
            if (p >= m_end)
                return false;
            if (*p == '"') {
                m_p = p + 1;
                return true;
            }
            if (*p != '\\' || p + 1 >= m_end)
                return false;  // a control character (an error), or UTF-8 that nlohmann validates
            switch (p[1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't': break;
            default: return false;  // \\u (surrogates are nlohmann's to check) or invalid
            }
            escaped = true;
            p += 2;
        }
    }

    /// The first byte at or after p that is not plain string text (or m_end). Eight bytes a step
    /// where possible: a byte loop cost ~6 instructions per byte, and message texts are long.
    const char* plainRun(const char* p) const {
        if constexpr (std::endian::native == std::endian::little) {
            constexpr std::uint64_t kOnes = 0x0101010101010101;
            constexpr std::uint64_t kHigh = 0x8080808080808080;
            // Per byte, the high bit set where the byte is zero; a false mark can only follow a
            // true one (a borrow), so the lowest mark is exact.
            auto zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
            while (m_end - p >= 8) {
                std::uint64_t x;
                std::memcpy(&x, p, 8);
                const std::uint64_t marks = zero(x ^ (kOnes * '"')) | zero(x ^ (kOnes * '\\')) |
                                            ((x - kOnes * 0x20) & ~x & kHigh) | (x & kHigh);
                if (marks)
                    return p + std::countr_zero(marks) / 8;
                p += 8;
            }
        }
        while (p < m_end && kPlain[static_cast<unsigned char>(*p)])
            ++p;
        return p;
    }

    /// The text of a string string() accepted: only the short escapes are left to decode.
    static std::string unescape(std::string_view raw) {
        std::string out;
        out.reserve(raw.size());
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '\\') {
                out.push_back(raw[i]);
                continue;
            }
            switch (raw[++i]) {
            case 'b': out.push_back('\b'); break;
            case 'f': out.push_back('\f'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 't': out.push_back('\t'); break;
            default: out.push_back(raw[i]); break;  // '"', '\\', '/'
            }
        }
        return out;
    }

    bool literal(std::string_view word) {
        if (static_cast<std::size_t>(m_end - m_p) < word.size() || std::string_view(m_p, word.size()) != word)
            return false;
        m_p += word.size();
        return true;
    }

    /// -?(0|[1-9][0-9]*)(.[0-9]+)? ; exponents and very long numbers are left to nlohmann (overflow).
    bool number() {
        const char* const begin = m_p;
        auto digit = [&] { return m_p < m_end && *m_p >= '0' && *m_p <= '9'; };
        if (peek('-'))
            ++m_p;
        if (peek('0'))
            ++m_p;
        else if (digit())
            while (digit())
                ++m_p;
        else
            return false;
        bool fraction = false;
        if (peek('.')) {
            ++m_p;
            if (!digit())
                return false;
            while (digit())
                ++m_p;
            fraction = true;
        }
        if (peek('e') || peek('E') || m_p - begin > 18)
            return false;
        return fraction ? m_sax.number_float(0.0, m_noText) : m_sax.number_integer(0);
    }

    const char* const m_begin;
    const char* m_p;  ///< the next byte to read
    const char* const m_end;
    BodyScanner& m_sax;
    int m_depth = 0;
    const std::string m_noText;  ///< a float's text, which the scanner does not look at
};

/// Skips the JSON string whose opening quote is at p; returns the pointer past its closing quote,
/// or nullptr when the text ends first. memchr finds the quotes; one after an odd run of
/// backslashes is escaped (a byte loop cost ~6 instructions per byte).
const char* stringEnd(const char* p, const char* end) {
    const char* const begin = p + 1;
    for (p = begin; p < end;) {
        const auto* quote = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
        if (!quote)
            return nullptr;
        const char* run = quote;
        while (run > begin && run[-1] == '\\')
            --run;
        if ((quote - run) % 2 == 0)
            return quote + 1;
        p = quote + 1;
    }
    return nullptr;
}

/// Skips one JSON value starting at p (an object or array with everything nested in it, a string,
/// or a scalar token); returns the pointer past it, or nullptr when the text ends first.
const char* skipValue(const char* p, const char* end) {
    if (p >= end)
        return nullptr;
    if (*p == '"')
        return stringEnd(p, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < end) {
            const char c = *p;
            if (c == '"') {
                p = stringEnd(p, end);
                if (!p)
                    return nullptr;
                continue;
            }
            if (c == '{' || c == '[')
                ++depth;
            else if ((c == '}' || c == ']') && --depth == 0)
                return p + 1;
            ++p;
        }
        return nullptr;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && !isSpace(*p))
        ++p;
    return p;
}

/// The integer members prompt_tokens / completion_tokens (or the Responses API's input_tokens /
/// output_tokens) of the `usage` object at p ('{').
/// A usage object is flat numbers plus *_details objects, read per request on the hot path: a
/// member walk costs a fraction of constructing a JSON parser (callgrind: ~7k instructions each).
/// Anything malformed yields no counts.
bool scanUsage(const char* p, const char* end, TokenUsage& out) {
    TokenUsage found;
    ++p;
    auto ws = [&] {
        while (p < end && isSpace(*p))
            ++p;
    };
    ws();
    if (p < end && *p == '}')
        return true;
    while (p < end) {
        ws();
        if (p >= end || *p != '"')
            return false;
        const char* const keyEnd = stringEnd(p, end);
        if (!keyEnd)
            return false;
        const std::string_view key(p, static_cast<std::size_t>(keyEnd - p));
        std::int64_t* target = key == "\"prompt_tokens\"" || key == "\"input_tokens\""          ? &found.promptTokens
                               : key == "\"completion_tokens\"" || key == "\"output_tokens\"" ? &found.completionTokens
                                                                                            : nullptr;
        p = keyEnd;
        ws();
        if (p >= end || *p != ':')
            return false;
        ++p;
        ws();
        const char* const valueEnd = skipValue(p, end);
        if (!valueEnd || valueEnd == p)
            return false;
        if (target) {
            std::int64_t v = 0;
            const auto [ptr, ec] = std::from_chars(p, valueEnd, v);
            // Only a whole JSON integer counts ("1.5", "9e2", "\"9\"" do not).
            *target = ec == std::errc() && ptr == valueEnd ? v : -1;
        }
        p = valueEnd;
        ws();
        if (p < end && *p == ',') {
            ++p;
            continue;
        }
        if (p < end && *p == '}') {
            out = found;
            return true;
        }
        return false;
    }
    return false;
}

/// text.find(token) for a token `"name"`: memchr looks for the name's first letter, which JSON
/// holds far fewer of than the quotes std::string_view::find stops at.
std::size_t findToken(std::string_view text, std::string_view token) {
    const std::size_t n = token.size();
    // The letter's possible positions are [1, text.size() - n + 1].
    for (std::size_t from = 1; from + n <= text.size() + 1;) {
        const auto* letter = static_cast<const char*>(std::memchr(text.data() + from, token[1], text.size() + 2 - n - from));
        if (!letter)
            break;
        const std::size_t at = static_cast<std::size_t>(letter - text.data()) - 1;
        if (std::memcmp(text.data() + at, token.data(), n) == 0)
            return at;
        from = at + 2;
    }
    return std::string_view::npos;
}

/// text.rfind(token), the same way backwards.
std::size_t rfindToken(std::string_view text, std::string_view token) {
    const std::size_t n = token.size();
    if (text.size() < n)
        return std::string_view::npos;
    // Letter positions still to search: [1, limit).
    for (std::size_t limit = text.size() + 2 - n; limit > 1;) {
        const auto* letter = static_cast<const char*>(memrchr(text.data() + 1, token[1], limit - 1));
        if (!letter)
            break;
        const std::size_t at = static_cast<std::size_t>(letter - text.data()) - 1;
        if (std::memcmp(text.data() + at, token.data(), n) == 0)
            return at;
        limit = at + 1;
    }
    return std::string_view::npos;
}

}  // namespace

void readModelAndUsage(const char* data, qsizetype size, std::string& model, TokenUsage& usage) {
    const std::string_view text(data, static_cast<std::size_t>(std::max<qsizetype>(size, 0)));
    const char* const end = text.data() + text.size();
    constexpr auto npos = std::string_view::npos;
    if (const auto m = findToken(text, "\"model\""); m != npos) {
        // The colon and the opening quote are next to the key in practice: a byte loop beats a
        // memchr call there.
        const char* q1 = data + m + 7;
        while (q1 < end && *q1 != ':')
            ++q1;
        while (q1 < end && *q1 != '"')
            ++q1;
        const auto* q2 = q1 + 1 < end ? static_cast<const char*>(std::memchr(q1 + 1, '"', static_cast<std::size_t>(end - q1 - 1))) : nullptr;
        if (q2 && q2 - q1 < 512)
            model.assign(q1 + 1, static_cast<std::size_t>(q2 - q1 - 1));
    }
    const auto u = rfindToken(text, "\"usage\"");
    if (u == npos)
        return;
    const char* p = data + u + 7;
    while (p < end && isSpace(*p))
        ++p;
    if (p >= end || *p != ':')
        return;
    ++p;
    while (p < end && isSpace(*p))
        ++p;
    if (p >= end || *p != '{')
        return;  // "usage": null (every chunk of a stream with include_usage but the last)
    scanUsage(p, end, usage);
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
    const std::string_view text(body.constData(), static_cast<std::size_t>(body.size()));
    {
        // The fast pass records the `model` value's span itself. It accepts no NUL byte (JSON has
        // none outside a string nor raw inside one), so the check below is for the fallback only.
        BodyScanner fast;
        if (FastJsonPass(text, fast).run())
            return std::move(fast).result();
    }
    // nlohmann takes a NUL byte for the end of the input, so `{"model":"a"}\0{"model":"b"}` would
    // parse as the first object while withModel rewrote the second; Go's decoder (the real
    // gateway) rejects it.
    if (const qsizetype nul = body.indexOf('\0'); nul >= 0)
        return Error{{}, "syntax error: invalid character '\\x00' at byte " + std::to_string(nul + 1)};
    BodyScanner scanner;  // the fast pass may have fed the first one part of the events
    if (!nlohmann::json::sax_parse(body.constData(), body.constData() + body.size(), &scanner))
        return Error{{}, scanner.error()};
    auto parsed = std::move(scanner).result();
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
    const std::string encoded = plain ? std::string() : nlohmann::json(model).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const qsizetype valueSize = plain ? static_cast<qsizetype>(model.size()) + 2 : static_cast<qsizetype>(encoded.size());
    // One allocation, filled in place (QByteArray::append checks capacity and sharing per call).
    QByteArray out(body.size() - (parsed.valueEnd - parsed.valueBegin) + valueSize, Qt::Uninitialized);
    char* p = out.data();
    p = std::copy_n(body.constData(), parsed.valueBegin, p);
    if (plain) {
        *p++ = '"';
        p = std::copy(model.begin(), model.end(), p);
        *p++ = '"';
    } else {
        p = std::copy(encoded.begin(), encoded.end(), p);
    }
    std::copy(body.constData() + parsed.valueEnd, body.constData() + body.size(), p);
    return out;
}

}  // namespace aigw::proxy
