#include "http/message_parser.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace aigw::http {

// HTTP/1.1 framing (RFC 9112) written for this proxy's two uses: a head is parsed once it is whole
// (memchr for the line ends, one table lookup per name byte), and only the body is parsed as it
// arrives. http_parser, which this replaced, walked every byte through a state machine and a
// callback per fragment: ~7,000 instructions for a chat request and its response, a third of
// nginx's whole budget for the request (callgrind, bench/proxy_bench.sh). What it accepted and
// refused is kept (tests/http/test_message_parser.cpp), except that chunk trailers are read and
// dropped instead of being appended to the head's fields.

namespace {

constexpr std::size_t kNotFound = std::string_view::npos;
/// http_parser's HTTP_MAX_HEADER_SIZE (Envoy's own default, max_request_headers_kb, is 60 KiB).
constexpr std::size_t kMaxHeadBytes = 80 * 1024;
/// A head still arriving is checked on each read up to this size, so that a bad one is answered at
/// once (a peer that sends its head a byte at a time makes that quadratic, so not beyond this);
/// past it, the check comes when the head is whole or overflows.
constexpr std::size_t kEarlyCheckBytes = 8 * 1024;
/// Trailers after the last chunk are read and dropped, up to this much.
constexpr std::size_t kMaxTrailerBytes = 80 * 1024;
/// Room reserved up front for a declared body: at most this on the peer's word. A Content-Length
/// of terabytes was one allocation that failed and aborted the process (fuzz_http_request); bigger
/// bodies grow as their bytes arrive.
constexpr std::uint64_t kMaxReserve = 1U << 20;

/// A token character (RFC 9110 tchar) folded to lower case; 0 for a byte that is not one.
constexpr std::array<char, 256> kTokenLower = [] {
    std::array<char, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<char>(c);
    for (int c = 'a'; c <= 'z'; ++c) t[c] = static_cast<char>(c);
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = static_cast<char>(c - 'A' + 'a');
    for (const char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = c;
    return t;
}();

/// Checks that a field name copied into `name` is a token and folds it to lower case, in one
/// pass: Envoy's HTTP/1 codec stores every name in lower case and sends it so (its header_key_format
/// is what would keep the case), and lookups of lower-case names then match word by word.
bool lowerToken(std::string& name) {
    if (name.empty()) return false;
    for (char& c : name) {
        const char t = kTokenLower[static_cast<unsigned char>(c)];
        if (!t) return false;
        c = t;
    }
    return true;
}

bool isFieldValueByte(unsigned char c) { return (c >= 0x20 && c != 0x7f) || c == '\t'; }

/// field-value bytes: HTAB, SP, visible ASCII and obs-text; no other control character.
bool isFieldValueBytes(std::string_view s) {
    for (const char c : s)
        if (!isFieldValueByte(static_cast<unsigned char>(c))) return false;
    return true;
}

/// The same, eight bytes at a time: a word with no byte below 0x20 and none equal to 0x7f needs no
/// closer look (the test is exact for ASCII; a flagged word is checked byte by byte). The last
/// bytes are one more word, overlapping the one before, not a byte loop.
bool isFieldValue(std::string_view s) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    auto suspect = [&](std::size_t at) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + at, 8);
        const std::uint64_t below20 = (w - kOnes * 0x20) & ~w & kHigh;
        const std::uint64_t del = ((w ^ (kOnes * 0x7f)) - kOnes) & ~(w ^ (kOnes * 0x7f)) & kHigh;
        return (below20 | del) != 0;
    };
    const std::size_t n = s.size();
    if (n < 8) return isFieldValueBytes(s);
    for (std::size_t i = 0; i + 8 <= n; i += 8)
        if (suspect(i)) return isFieldValueBytes(s);
    return n % 8 == 0 || !suspect(n - 8) || isFieldValueBytes(s);
}

std::string_view trimOws(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// Where the head in buf[0, n) ends: the index after its empty line (CRLF or a bare LF, as
/// http_parser accepted), or kNotFound. Searching starts at `from`.
std::size_t findHeadEnd(const char* buf, std::size_t n, std::size_t from) {
    std::size_t i = from;
    while (i < n) {
        const void* nl = std::memchr(buf + i, '\n', n - i);
        if (!nl) return kNotFound;
        i = static_cast<std::size_t>(static_cast<const char*>(nl) - buf);
        if (i + 1 < n && buf[i + 1] == '\n') return i + 2;
        if (i + 2 < n && buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3;
        ++i;
    }
    return kNotFound;
}

/// What the framing fields of a head say.
struct Framing {
    bool hasLength = false;
    std::uint64_t length = 0;
    bool hasTransferEncoding = false;
    bool chunked = false;  ///< the last transfer coding is chunked
    bool close = false;    ///< Connection: close
    bool keepAlive = false;  ///< Connection: keep-alive
};

/// Calls fn(token) for each comma-separated element of a list header, trimmed.
template <class Fn>
void forEachListElement(std::string_view value, Fn&& fn) {
    while (true) {
        const std::size_t comma = value.find(',');
        fn(trimOws(value.substr(0, comma)));
        if (comma == kNotFound) return;
        value.remove_prefix(comma + 1);
    }
}

/// Notes a framing field; an error description when its value is unusable.
const char* noteFraming(std::string_view name, std::string_view value, Framing& f) {
    switch (name.size()) {
    case 14:
        if (!headerNameEquals(name, "content-length")) return nullptr;
        if (f.hasLength) return "duplicate Content-Length";
        if (value.empty()) return "invalid Content-Length";
        for (const char c : value) {
            if (c < '0' || c > '9') return "invalid Content-Length";
            if (f.length > (UINT64_MAX - 9) / 10) return "Content-Length overflow";
            f.length = f.length * 10 + static_cast<std::uint64_t>(c - '0');
        }
        f.hasLength = true;
        return nullptr;
    case 17:
        if (!headerNameEquals(name, "transfer-encoding")) return nullptr;
        f.hasTransferEncoding = true;
        {
            const std::size_t comma = value.rfind(',');
            f.chunked = headerNameEquals(trimOws(comma == kNotFound ? value : value.substr(comma + 1)), "chunked");
        }
        return nullptr;
    case 10:
        if (!headerNameEquals(name, "connection")) return nullptr;
        forEachListElement(value, [&](std::string_view token) {
            if (headerNameEquals(token, "close")) f.close = true;
            else if (headerNameEquals(token, "keep-alive")) f.keepAlive = true;
        });
        return nullptr;
    default: return nullptr;
    }
}

constexpr const char* kNoEmptyLine = "head does not end with an empty line";

/// Parses the field lines of a head (after its start line) into `headers`. A line that starts with
/// whitespace continues the previous field (obsolete folding): joined with a space, as http_parser
/// did and RFC 9112 5.2 allows.
///
/// One pass per line: the name's bytes are checked as tokens and folded to lower case into a small
/// buffer while the colon is looked for, so the common line costs one memchr (its end) and one
/// table lookup per name byte; the slow path (a name that is not a token, or no colon) only runs
/// to say which error it is.
const char* parseFields(std::string_view rest, Headers& headers, Framing& framing) {
    const char* p = rest.data();
    const char* const end = p + rest.size();
    char folded[64];
    while (p < end) {
        const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        const char* lineEnd = nl ? nl : end;
        const char* const next = nl ? nl + 1 : end;
        if (lineEnd > p && lineEnd[-1] == '\r') --lineEnd;
        if (lineEnd == p) return nullptr;  // the end of the head
        const std::string_view line(p, static_cast<std::size_t>(lineEnd - p));
        p = next;
        // A CR left inside the line is refused below, as a control character in the name or value.
        if (line.front() == ' ' || line.front() == '\t') {
            if (headers.empty()) return "obsolete line folding before any field";
            const std::string_view more = trimOws(line);
            if (!isFieldValue(more)) return "invalid character in header value";
            auto& entries = const_cast<std::vector<Headers::Entry>&>(headers.entries());
            if (!more.empty()) entries.back().second.append(" ").append(more);
            continue;
        }
        std::size_t colon = 0;
        const std::size_t maxFolded = std::min(line.size(), sizeof folded);
        for (char t; colon < maxFolded && (t = kTokenLower[static_cast<unsigned char>(line[colon])]) != 0; ++colon)
            folded[colon] = t;
        const bool tokenName = colon > 0 && colon < line.size() && line[colon] == ':';
        if (!tokenName) colon = line.find(':');
        if (colon == kNotFound) return "header line without a colon";
        const std::string_view value = trimOws(line.substr(colon + 1));
        if (!isFieldValue(value)) return "invalid character in header value";
        std::string_view name;
        if (tokenName) {
            name = headers.append(std::string_view(folded, colon), value);
        } else {
            // Longer than the buffer, or not a token: copied, then checked and folded in place
            // (a refused head is dropped whole).
            std::string& copy = headers.append(line.substr(0, colon), value);
            if (!lowerToken(copy)) return "invalid character in header name";
            name = copy;
        }
        if (const char* error = noteFraming(name, value, framing)) return error;
    }
    return kNoEmptyLine;  // only for the lines of a head still arriving (see completeLines)
}

/// A head's start line (without its line end) and the field lines after it.
std::pair<std::string_view, std::string_view> splitStartLine(std::string_view text) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return {line, nl == kNotFound ? std::string_view() : text.substr(nl + 1)};
}

/// "HTTP/D.D" -> major, minor.
bool parseVersion(std::string_view v, int& major, int& minor) {
    if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[6] != '.') return false;
    if (v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9') return false;
    major = v[5] - '0';
    minor = v[7] - '0';
    return true;
}

/// http_should_keep_alive's rule: HTTP/1.1 persists unless `Connection: close`, earlier versions
/// only with `Connection: keep-alive`; a message whose end is the connection's end never does.
bool persists(int major, int minor, const Framing& f, bool endsAtClose) {
    if (major > 0 && minor > 0) {
        if (f.close) return false;
    } else if (!f.keepAlive) {
        return false;
    }
    return !endsAtClose;
}

/// The methods http_parser knew (RFC 9110, WebDAV, ...): anything else is a 400, as before.
bool knownMethod(std::string_view m) {
    static constexpr std::string_view kMethods[] = {
        "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE", "COPY", "LOCK",
        "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND", "REBIND", "UNBIND", "ACL",
        "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE",
        "PURGE", "MKCALENDAR", "LINK", "UNLINK", "SOURCE"};
    return std::find(std::begin(kMethods), std::end(kMethods), m) != std::end(kMethods);
}

/// userinfo@host:port as RFC 3986 spells it (unreserved, percent-encoded, sub-delims, ':', '@', and
/// the brackets of an IPv6 literal), with a numeric port.
bool isAuthority(std::string_view a) {
    for (const char c : a) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        std::string_view("-._~%!$&'()*+,;=:@[]").find(c) != kNotFound;
        if (!ok) return false;
    }
    // A port, if any, is digits: after the last ':' that is not inside an IPv6 literal.
    const std::size_t colon = a.rfind(':');
    if (colon == kNotFound || (a.find(']') != kNotFound && colon < a.rfind(']'))) return true;
    return a.substr(colon + 1).find_first_not_of("0123456789") == kNotFound;
}

/// Path and query of a request-target (origin-form "/p?q", absolute-form "http://h/p?q", "*", or a
/// CONNECT authority); false when it is none of them. The fragment, if any, is in neither.
bool splitTarget(std::string_view target, bool connect, std::string& path, std::string& query) {
    for (const char ch : target) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7f) return false;
    }
    if (connect) {  // authority-form: host:port, no path
        if (target.find_first_of("/?#") != kNotFound || target.find(':') == kNotFound) return false;
        path = "/";
        return true;
    }
    std::string_view rest = target;
    if (target == "*") {
        path = "*";
        return true;
    }
    if (target.front() != '/') {  // absolute-form: scheme "://" authority [path] [? query]
        const std::size_t sep = target.find("://");
        if (sep == kNotFound || sep == 0) return false;
        for (const char c : target.substr(0, sep))
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
        rest = target.substr(sep + 3);
        const std::size_t pathStart = rest.find_first_of("/?#");
        if (pathStart == 0) return false;  // no host
        if (!isAuthority(rest.substr(0, pathStart))) return false;
        rest.remove_prefix(pathStart == kNotFound ? rest.size() : pathStart);
    }
    const std::size_t hash = rest.find('#');
    if (hash != kNotFound) rest = rest.substr(0, hash);
    const std::size_t q = rest.find('?');
    const std::string_view p = rest.substr(0, q);
    path = p.empty() ? std::string_view("/") : p;
    if (q != kNotFound) query = rest.substr(q + 1);
    return true;
}

/// Collects a head that arrives in pieces. A head that arrives whole in one read is parsed where
/// it lies, without a copy.
class HeadCollector {
public:
    /// Looks for the end of the head in data[pos, len). Returns the head (in `data` or in this
    /// buffer) and advances `pos` past it, or returns an empty view when more input is needed
    /// (everything is taken) or the head is too large (`overflow`).
    std::string_view feed(const char* data, std::size_t len, std::size_t& pos, bool& overflow) {
        if (m_buffer.empty()) {
            const std::size_t end = findHeadEnd(data + pos, len - pos, 0);
            if (end != kNotFound) {
                overflow = end > kMaxHeadBytes;
                const std::string_view head(data + pos, end);
                pos += end;
                return overflow ? std::string_view() : head;
            }
            m_buffer.assign(data + pos, len - pos);
        } else {
            const std::size_t before = m_buffer.size();
            m_buffer.append(data + pos, len - pos);
            const std::size_t end = findHeadEnd(m_buffer.data(), m_buffer.size(), before > 3 ? before - 3 : 0);
            if (end != kNotFound) {
                overflow = end > kMaxHeadBytes;
                pos += end - before;
                m_buffer.resize(end);
                return overflow ? std::string_view() : std::string_view(m_buffer);
            }
        }
        pos = len;
        overflow = m_buffer.size() > kMaxHeadBytes;
        return {};
    }
    /// What arrived of a head that is not whole yet.
    std::string_view pending() const { return m_buffer; }
    /// After the head was parsed: the buffer keeps its capacity for the next one, unless a large
    /// head grew it.
    void clear() {
        if (m_buffer.capacity() > 16 * 1024) std::string().swap(m_buffer);
        else m_buffer.clear();
    }

private:
    std::string m_buffer;
};

/// Whether what arrived of a head can still start a valid one: a client that speaks something
/// else (a TLS hello, say) is answered at once, not when its bytes happen to hold a line end.
bool plausibleStart(std::string_view soFar, bool request) {
    if (!request) {
        constexpr std::string_view kVersion = "HTTP/";
        const std::size_t n = std::min(soFar.size(), kVersion.size());
        return soFar.substr(0, n) == kVersion.substr(0, n);
    }
    constexpr std::size_t kLongestMethod = 11;  // "UNSUBSCRIBE"
    for (std::size_t i = 0; i < soFar.size() && i <= kLongestMethod; ++i) {
        const char c = soFar[i];
        if (c == ' ') return i > 0;
        if (!((c >= 'A' && c <= 'Z') || c == '-')) return false;
    }
    return soFar.size() <= kLongestMethod;
}

/// A CR that is not part of a CRLF: never valid in a head. Found while the head is still
/// incomplete, it is refused at once rather than when (if ever) the head ends.
bool hasBareCr(std::string_view s) {
    for (std::size_t i = s.find('\r'); i != kNotFound; i = s.find('\r', i + 1))
        if (i + 1 < s.size() && s[i + 1] != '\n') return true;
    return false;
}

/// Leading empty lines before a message are skipped, as http_parser (and RFC 9112 2.2) allow.
void skipEmptyLines(const char* data, std::size_t len, std::size_t& pos) {
    while (pos < len && (data[pos] == '\r' || data[pos] == '\n')) ++pos;
}

/// A body as it arrives: Content-Length bytes, chunked (de-chunked here; trailers dropped), or
/// until the connection closes.
class BodyReader {
public:
    enum class Mode { Length, Chunked, UntilClose };
    struct Result {
        std::size_t consumed = 0;
        bool done = false;
        bool tooLarge = false;        ///< appending would have passed `limit` (nothing was appended)
        const char* error = nullptr;  ///< malformed chunk framing
    };

    void start(Mode mode, std::uint64_t length) {
        m_mode = mode;
        m_remaining = length;
        m_state = State::Size;
        m_size = 0;
        m_sizeDigits = 0;
        m_trailerBytes = 0;
    }
    Mode mode() const { return m_mode; }

    /// Reads body bytes from data[0, len) into `out`; `limit` > 0 bounds out's size.
    Result read(const char* data, std::size_t len, QByteArray& out, qint64 limit) {
        Result r;
        if (m_mode != Mode::Chunked) {
            const std::size_t n = m_mode == Mode::Length ? static_cast<std::size_t>(std::min<std::uint64_t>(m_remaining, len)) : len;
            if (!append(data, n, out, limit)) return tooLarge(r);
            r.consumed = n;
            if (m_mode == Mode::Length) {
                m_remaining -= n;
                r.done = m_remaining == 0;
            }
            return r;
        }
        std::size_t i = 0;
        while (i < len && !r.done) {
            const char c = data[i];
            switch (m_state) {
            case State::Size: {
                const int digit = hexValue(c);
                if (digit >= 0) {
                    if (m_size > (UINT64_MAX >> 4)) return fail(r, i, "chunk size overflow");
                    m_size = (m_size << 4) | static_cast<std::uint64_t>(digit);
                    ++m_sizeDigits;
                    ++i;
                    break;
                }
                if (m_sizeDigits == 0) return fail(r, i, "invalid chunk size");
                if (c == ';' || c == ' ' || c == '\t') m_state = State::Extension;
                else if (c == '\r') m_state = State::SizeLf;
                else if (c == '\n') sizeLineEnded();
                else return fail(r, i, "invalid chunk size");
                ++i;
                break;
            }
            case State::Extension:  // chunk extensions are ignored, as every proxy does
                if (c == '\r') m_state = State::SizeLf;
                else if (c == '\n') sizeLineEnded();
                ++i;
                break;
            case State::SizeLf:
                if (c != '\n') return fail(r, i, "CR not followed by LF after the chunk size");
                sizeLineEnded();
                ++i;
                break;
            case State::Data: {
                const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(m_remaining, len - i));
                if (!append(data + i, n, out, limit)) return tooLarge(r, i);
                m_remaining -= n;
                i += n;
                if (m_remaining == 0) m_state = State::DataCr;
                break;
            }
            case State::DataCr:
                if (c == '\r') m_state = State::DataLf;
                else if (c == '\n') nextChunk();
                else return fail(r, i, "chunk data not followed by CRLF");
                ++i;
                break;
            case State::DataLf:
                if (c != '\n') return fail(r, i, "chunk data not followed by CRLF");
                nextChunk();
                ++i;
                break;
            case State::TrailerStart:
                if (c == '\r') m_state = State::EndLf;
                else if (c == '\n') r.done = true;
                else m_state = State::Trailer;
                ++i;
                break;
            case State::Trailer:
                if (++m_trailerBytes > kMaxTrailerBytes) return fail(r, i, "trailers too large");
                if (c == '\n') m_state = State::TrailerStart;
                ++i;
                break;
            case State::EndLf:
                if (c != '\n') return fail(r, i, "CR not followed by LF after the trailers");
                r.done = true;
                ++i;
                break;
            }
        }
        r.consumed = i;
        return r;
    }

private:
    enum class State { Size, Extension, SizeLf, Data, DataCr, DataLf, TrailerStart, Trailer, EndLf };

    static int hexValue(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
    void sizeLineEnded() {
        m_remaining = m_size;
        m_state = m_size == 0 ? State::TrailerStart : State::Data;
    }
    void nextChunk() {
        m_state = State::Size;
        m_size = 0;
        m_sizeDigits = 0;
    }
    static bool append(const char* data, std::size_t n, QByteArray& out, qint64 limit) {
        if (limit > 0 && out.size() + static_cast<qint64>(n) > limit) return false;
        out.append(data, static_cast<qsizetype>(n));
        return true;
    }
    static Result& fail(Result& r, std::size_t at, const char* error) {
        r.consumed = at;
        r.error = error;
        return r;
    }
    static Result& tooLarge(Result& r, std::size_t at = 0) {
        r.consumed = at;
        r.tooLarge = true;
        return r;
    }

    Mode m_mode = Mode::Length;
    std::uint64_t m_remaining = 0;
    State m_state = State::Size;
    std::uint64_t m_size = 0;
    int m_sizeDigits = 0;
    std::size_t m_trailerBytes = 0;
};

void reserveBody(QByteArray& body, const Framing& f) {
    if (f.hasLength && f.length > 0) body.reserve(static_cast<qsizetype>(std::min<std::uint64_t>(f.length, kMaxReserve)));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RequestParser

struct RequestParser::Impl {
    qint64 maxBodyBytes = 0;
    std::shared_ptr<HttpRequest> request;
    HeadCollector head;
    BodyReader body;
    bool begun = false;   ///< the current request's first byte was seen
    bool inBody = false;  ///< its head was parsed
    bool messageComplete = false;
    bool tooLarge = false;
};

namespace {
/// Parses a head into `r`; an error description, or nullptr. `partial`: the complete lines of a
/// head still arriving, checked so that a bad one is answered at once.
const char* parseRequestHead(std::string_view text, HttpRequest& r, Framing& framing, bool partial) {
    const auto [line, fields] = splitStartLine(text);
    const std::size_t sp1 = line.find(' ');
    if (sp1 == kNotFound) return "invalid request line";
    const std::size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == kNotFound) return "invalid request line";
    const std::string_view method = line.substr(0, sp1);
    if (!knownMethod(method)) return "invalid HTTP method";
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (target.empty()) return "invalid request target";
    if (!parseVersion(line.substr(sp2 + 1), r.httpMajor, r.httpMinor)) return "invalid HTTP version";
    r.method = method;
    r.target = target;
    if (!splitTarget(target, method == "CONNECT", r.path, r.query)) return "invalid request target";
    if (const char* error = parseFields(fields, r.headers, framing))
        return partial && error == kNoEmptyLine ? nullptr : error;
    if (partial) return nullptr;
    if (framing.hasTransferEncoding) {
        // A request's body length must be known: a coding other than chunked last is refused
        // (RFC 9112 6.3), and so is Content-Length beside Transfer-Encoding (request smuggling).
        if (!framing.chunked) return "request Transfer-Encoding does not end with chunked";
        if (framing.hasLength) return "both Content-Length and Transfer-Encoding";
    }
    r.keepAlive = persists(r.httpMajor, r.httpMinor, framing, false);
    return nullptr;
}

/// The lines of `pending` that are complete (up to its last LF), or "" while the first one is not.
std::string_view completeLines(std::string_view pending) {
    const std::size_t last = pending.rfind('\n');
    return last == kNotFound ? std::string_view() : pending.substr(0, last + 1);
}

/// Why what arrived of a head (`request`'s or a response's, parsed by `parse`) can no longer
/// become a valid one, or nullptr.
template <class Head>
const char* partialHeadError(std::string_view pending, bool request,
                             const char* (*parse)(std::string_view, Head&, Framing&, bool)) {
    if (pending.size() > kEarlyCheckBytes) return nullptr;
    if (!plausibleStart(pending, request)) return request ? "invalid HTTP method" : "invalid status line";
    if (hasBareCr(pending)) return "CR not followed by LF";
    const std::string_view lines = completeLines(pending);
    if (lines.empty()) return nullptr;
    Head scratch;
    Framing framing;
    return parse(lines, scratch, framing, true);
}
}  // namespace

RequestParser::RequestParser() : m_impl(std::make_unique<Impl>()) {}

RequestParser::~RequestParser() = default;

void RequestParser::setMaxBodyBytes(qint64 bytes) { m_impl->maxBodyBytes = bytes; }

RequestParser::Step RequestParser::execute(const char* data, std::size_t len) {
    Impl& c = *m_impl;
    std::size_t pos = 0;
    if (!c.inBody) {
        if (!c.begun) {
            skipEmptyLines(data, len, pos);
            if (pos == len) return {Status::NeedMore, len};
            c.begun = true;
            c.request = std::make_shared<HttpRequest>();
            // 12 entries: 768 bytes, inside glibc's per-thread cache. 16 made a 1 KiB block, a
            // "large" request that consolidates the fast bins on every message.
            c.request->headers.reserve(12);
            c.messageComplete = false;
            c.tooLarge = false;
            if (onMessageBegin) onMessageBegin();
        }
        bool overflow = false;
        const std::string_view text = c.head.feed(data, len, pos, overflow);
        if (overflow) return {Status::Error, pos, "header overflow"};
        if (text.empty()) {
            if (const char* error = partialHeadError(c.head.pending(), true, &parseRequestHead)) return {Status::Error, pos, error};
            return {Status::NeedMore, len};
        }
        Framing framing;
        const char* error = parseRequestHead(text, *c.request, framing, false);
        c.head.clear();
        if (error) return {Status::Error, pos, error};
        c.begun = false;
        const qint64 limit = c.maxBodyBytes;
        if (limit > 0 && framing.hasLength && framing.length > static_cast<std::uint64_t>(limit)) {
            c.tooLarge = true;
            return {Status::TooLarge, pos};
        }
        if (!framing.chunked && framing.length == 0) {
            c.messageComplete = true;
            return {Status::Complete, pos};
        }
        reserveBody(c.request->body, framing);
        c.body.start(framing.chunked ? BodyReader::Mode::Chunked : BodyReader::Mode::Length, framing.length);
        c.inBody = true;
        // curl and others wait up to a second for this before sending a large body.
        if (const std::string* expect = c.request->headers.find("expect");
            expect && headerNameEquals(*expect, "100-continue") && c.request->httpMinor >= 1 && onExpectContinue)
            onExpectContinue();
    }
    const BodyReader::Result r = c.body.read(data + pos, len - pos, c.request->body, c.maxBodyBytes);
    pos += r.consumed;
    if (r.error) return {Status::Error, pos, r.error};
    if (r.tooLarge) {
        // The head only, as documented: what part of the body had arrived depends on the reads.
        c.request->body = QByteArray();
        c.inBody = false;
        c.tooLarge = true;
        return {Status::TooLarge, pos};
    }
    if (!r.done) return {Status::NeedMore, pos};
    c.inBody = false;
    c.messageComplete = true;
    return {Status::Complete, pos};
}

std::shared_ptr<HttpRequest> RequestParser::takeRequest() {
    if (!m_impl->messageComplete && !m_impl->tooLarge) return nullptr;
    m_impl->messageComplete = false;
    m_impl->tooLarge = false;
    return std::move(m_impl->request);
}

// ---------------------------------------------------------------------------------------------
// ResponseParser

struct ResponseParser::Impl {
    bool headRequest = false;
    ResponseHead head;
    HeadCollector collector;
    BodyReader reader;
    bool begun = false;   ///< a message's first byte was seen
    bool inBody = false;  ///< its final head was parsed
    bool headNew = false;
    bool keepAlive = false;
    QByteArray body;
    bool complete = false;
};

namespace {
/// Parses a response head into `head`; see parseRequestHead.
const char* parseResponseHead(std::string_view text, ResponseHead& head, Framing& framing, bool partial) {
    const auto [line, fields] = splitStartLine(text);
    // HTTP/D.D SP 3DIGIT [SP reason-phrase]
    if (line.size() < 12 || !parseVersion(line.substr(0, 8), head.httpMajor, head.httpMinor) || line[8] != ' ')
        return "invalid status line";
    int status = 0;
    for (const char c : line.substr(9, 3)) {
        if (c < '0' || c > '9') return "invalid status code";
        status = status * 10 + (c - '0');
    }
    if (line.size() > 12 && line[12] != ' ') return "invalid status code";
    // The reason phrase carries no meaning and is not looked at (http_parser did not either), but
    // for a bare CR, refused everywhere in a head (and early, in a head still arriving).
    if (line.find('\r') != kNotFound) return "CR not followed by LF";
    head.status = status;
    const char* error = parseFields(fields, head.headers, framing);
    return partial && error == kNoEmptyLine ? nullptr : error;
}

}  // namespace

ResponseParser::ResponseParser() : m_impl(std::make_unique<Impl>()) { reset(false); }

ResponseParser::~ResponseParser() = default;

void ResponseParser::reset(bool headRequest) {
    Impl& c = *m_impl;
    c.headRequest = headRequest;
    c.head = {};
    c.collector.clear();
    c.body.clear();
    c.begun = false;
    c.inBody = false;
    c.headNew = false;
    c.keepAlive = false;
    c.complete = false;
}

ResponseParser::Step ResponseParser::execute(const char* data, std::size_t len) {
    Impl& c = *m_impl;
    if (c.complete) return {};  // bytes after the response are not ours to parse
    if (len == 0) {  // the stream ended
        if (c.inBody && c.reader.mode() == BodyReader::Mode::UntilClose) {
            c.inBody = false;
            c.complete = true;
            return {};
        }
        if (c.inBody || c.begun) return {0, true, "stream ended at an unexpected time"};
        return {};
    }
    std::size_t pos = 0;
    while (!c.inBody) {
        if (!c.begun) {
            skipEmptyLines(data, len, pos);
            if (pos == len) return {len};
            c.begun = true;
        }
        bool overflow = false;
        const std::string_view text = c.collector.feed(data, len, pos, overflow);
        if (overflow) return {pos, true, "header overflow"};
        if (text.empty()) {
            if (const char* error = partialHeadError(c.collector.pending(), false, &parseResponseHead)) return {pos, true, error};
            return {len};
        }
        Framing framing;
        c.head = {};
        c.head.headers.reserve(12);  // see RequestParser::execute
        const char* error = parseResponseHead(text, c.head, framing, false);
        c.collector.clear();
        if (error) return {pos, true, error};
        c.begun = false;
        const int status = c.head.status;
        // 1xx heads (100 Continue, 103 Early Hints) come before the real one and are not delivered.
        if (status >= 100 && status < 200 && status != 101) continue;
        if (framing.hasTransferEncoding && framing.hasLength) return {pos, true, "both Content-Length and Transfer-Encoding"};
        c.headNew = true;
        const bool noBody = c.headRequest || status == 101 || status == 204 || status == 304;
        const bool untilClose = !noBody && !framing.chunked && !framing.hasLength;
        c.keepAlive = persists(c.head.httpMajor, c.head.httpMinor, framing, untilClose);
        if (noBody || (!framing.chunked && framing.hasLength && framing.length == 0)) {
            c.complete = true;
            return {pos};
        }
        reserveBody(c.body, framing);
        c.reader.start(framing.chunked ? BodyReader::Mode::Chunked
                       : untilClose    ? BodyReader::Mode::UntilClose
                                       : BodyReader::Mode::Length,
                       framing.length);
        c.inBody = true;
    }
    const BodyReader::Result r = c.reader.read(data + pos, len - pos, c.body, 0);
    pos += r.consumed;
    if (r.error) return {pos, true, r.error};
    if (r.done) {
        c.inBody = false;
        c.complete = true;
    }
    return {pos};
}

bool ResponseParser::hasNewHead() const { return m_impl->headNew; }

ResponseHead ResponseParser::takeHead() {
    m_impl->headNew = false;
    return std::move(m_impl->head);  // reset at the next message
}

QByteArray ResponseParser::takeBody() {
    QByteArray out = std::move(m_impl->body);
    m_impl->body.clear();
    return out;
}

bool ResponseParser::complete() const { return m_impl->complete; }

bool ResponseParser::keepAlive() const { return m_impl->keepAlive; }

void ResponseParser::resume() {
    // Ready for the next response on this connection (reset() follows when a request is sent).
    m_impl->begun = false;
    m_impl->inBody = false;
    m_impl->complete = false;
}

}  // namespace aigw::http
