#include "http/message_parser.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include <http_parser.h>

namespace aigw::http {

namespace {
/// http_parser hands a header's name and value in pieces (a read may end anywhere): both parsers
/// collect them the same way into their message's Headers.
struct HeaderAccumulator {
    std::string field;
    bool lastWasValue = false;

    void reset() {
        field.clear();
        lastWasValue = false;
    }
    void onField(const char* at, size_t len) {
        if (lastWasValue) {
            field.clear();
            lastWasValue = false;
        }
        field.append(at, len);
    }
    void onValue(Headers& headers, const char* at, size_t len) {
        if (!lastWasValue) {
            headers.add(std::move(field), std::string(at, len));  // cleared at the next field
            lastWasValue = true;
        } else {
            auto& entries = const_cast<std::vector<Headers::Entry>&>(headers.entries());
            entries.back().second.append(at, len);  // a value split across reads
        }
    }
};
}  // namespace

// ---------------------------------------------------------------------------------------------
// RequestParser

struct RequestParser::Impl {
    RequestParser* owner = nullptr;
    http_parser parser{};
    qint64 maxBodyBytes = 0;
    std::shared_ptr<HttpRequest> request;
    std::string url;
    HeaderAccumulator header;
    bool messageComplete = false;
    bool tooLarge = false;

    static int onMessageBegin(http_parser* p);
    static int onUrl(http_parser* p, const char* at, size_t len);
    static int onHeaderField(http_parser* p, const char* at, size_t len);
    static int onHeaderValue(http_parser* p, const char* at, size_t len);
    static int onHeadersComplete(http_parser* p);
    static int onBody(http_parser* p, const char* at, size_t len);
    static int onMessageComplete(http_parser* p);
    static const http_parser_settings& settings();
};

const http_parser_settings& RequestParser::Impl::settings() {
    static const http_parser_settings s = [] {
        http_parser_settings v{};
        v.on_message_begin = &Impl::onMessageBegin;
        v.on_url = &Impl::onUrl;
        v.on_header_field = &Impl::onHeaderField;
        v.on_header_value = &Impl::onHeaderValue;
        v.on_headers_complete = &Impl::onHeadersComplete;
        v.on_body = &Impl::onBody;
        v.on_message_complete = &Impl::onMessageComplete;
        return v;
    }();
    return s;
}

int RequestParser::Impl::onMessageBegin(http_parser* p) {
    auto* c = static_cast<Impl*>(p->data);
    c->request = std::make_shared<HttpRequest>();
    // 12 entries: 768 bytes, inside glibc's per-thread cache. 16 made a 1 KiB block, a "large"
    // request that consolidates the fast bins on every message (callgrind: ~500 instructions).
    c->request->headers.reserve(12);
    c->url.clear();
    c->header.reset();
    c->messageComplete = false;
    c->tooLarge = false;
    if (c->owner->onMessageBegin) c->owner->onMessageBegin();
    return 0;
}

int RequestParser::Impl::onUrl(http_parser* p, const char* at, size_t len) {
    static_cast<Impl*>(p->data)->url.append(at, len);
    return 0;
}

int RequestParser::Impl::onHeaderField(http_parser* p, const char* at, size_t len) {
    static_cast<Impl*>(p->data)->header.onField(at, len);
    return 0;
}

int RequestParser::Impl::onHeaderValue(http_parser* p, const char* at, size_t len) {
    auto* c = static_cast<Impl*>(p->data);
    c->header.onValue(c->request->headers, at, len);
    return 0;
}

int RequestParser::Impl::onHeadersComplete(http_parser* p) {
    auto* c = static_cast<Impl*>(p->data);
    HttpRequest& r = *c->request;
    r.method = http_method_str(static_cast<http_method>(p->method));
    r.httpMajor = p->http_major;
    r.httpMinor = p->http_minor;
    r.keepAlive = http_should_keep_alive(p) != 0;
    r.target = c->url;
    http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(c->url.data(), c->url.size(), p->method == HTTP_CONNECT, &u) != 0) {
        return -1;  // becomes HPE_CB_headers_complete: a 400
    }
    if (u.field_set & (1 << UF_PATH)) r.path = c->url.substr(u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
    else r.path = "/";
    if (u.field_set & (1 << UF_QUERY)) r.query = c->url.substr(u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);

    const qint64 limit = c->maxBodyBytes;
    const bool hasLength = (p->flags & F_CHUNKED) == 0 && p->content_length != ULLONG_MAX;
    if (limit > 0 && hasLength && p->content_length > static_cast<std::uint64_t>(limit)) {
        c->tooLarge = true;
        http_parser_pause(p, 1);
        return 0;
    }
    // Room for the declared body up front, but at most 1 MiB on the client's word: with no limit, or a
    // large one, a Content-Length of terabytes was one allocation that failed and aborted the process
    // (fuzz_http_request). Bigger bodies grow as their bytes arrive.
    constexpr std::uint64_t kMaxReserve = 1U << 20;
    if (hasLength && p->content_length > 0)
        r.body.reserve(static_cast<qsizetype>(std::min<std::uint64_t>(p->content_length, kMaxReserve)));
    // curl and others wait up to a second for this before sending a large body.
    if (const auto expect = r.headers.get("expect"); expect && headerNameEquals(*expect, "100-continue") && r.httpMinor >= 1) {
        if (c->owner->onExpectContinue) c->owner->onExpectContinue();
    }
    return 0;
}

int RequestParser::Impl::onBody(http_parser* p, const char* at, size_t len) {
    auto* c = static_cast<Impl*>(p->data);
    const qint64 limit = c->maxBodyBytes;
    if (limit > 0 && c->request->body.size() + static_cast<qint64>(len) > limit) {
        c->tooLarge = true;
        // The head only, as documented: what part of the body had arrived depends on the reads.
        c->request->body = QByteArray();
        http_parser_pause(p, 1);
        return 0;
    }
    c->request->body.append(at, static_cast<qsizetype>(len));
    return 0;
}

int RequestParser::Impl::onMessageComplete(http_parser* p) {
    auto* c = static_cast<Impl*>(p->data);
    c->messageComplete = true;
    http_parser_pause(p, 1);  // serve this request before parsing the next one
    return 0;
}

RequestParser::RequestParser() : m_impl(std::make_unique<Impl>()) {
    m_impl->owner = this;
    http_parser_init(&m_impl->parser, HTTP_REQUEST);
    m_impl->parser.data = m_impl.get();
}

RequestParser::~RequestParser() = default;

void RequestParser::setMaxBodyBytes(qint64 bytes) { m_impl->maxBodyBytes = bytes; }

RequestParser::Step RequestParser::execute(const char* data, std::size_t len) {
    http_parser* p = &m_impl->parser;
    const std::size_t parsed = http_parser_execute(p, &Impl::settings(), data, len);
    const auto err = HTTP_PARSER_ERRNO(p);
    if (err == HPE_PAUSED) {
        http_parser_pause(p, 0);
        if (m_impl->tooLarge) return {Status::TooLarge, parsed};
        if (m_impl->messageComplete) return {Status::Complete, parsed};
        return {Status::NeedMore, parsed};
    }
    if (err != HPE_OK) return {Status::Error, parsed, http_errno_description(err)};
    if (parsed != len) return {Status::Error, parsed, "parser stopped early"};
    return {Status::NeedMore, parsed};
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
    http_parser parser{};
    bool headRequest = false;
    ResponseHead head;
    HeaderAccumulator header;
    bool informational = false;
    bool headNew = false;
    QByteArray body;
    bool complete = false;

    static int onMessageBegin(http_parser* p);
    static int onHeaderField(http_parser* p, const char* at, size_t len);
    static int onHeaderValue(http_parser* p, const char* at, size_t len);
    static int onHeadersComplete(http_parser* p);
    static int onBody(http_parser* p, const char* at, size_t len);
    static int onMessageComplete(http_parser* p);
    static const http_parser_settings& settings();
};

const http_parser_settings& ResponseParser::Impl::settings() {
    static const http_parser_settings s = [] {
        http_parser_settings v{};
        v.on_message_begin = &Impl::onMessageBegin;
        v.on_header_field = &Impl::onHeaderField;
        v.on_header_value = &Impl::onHeaderValue;
        v.on_headers_complete = &Impl::onHeadersComplete;
        v.on_body = &Impl::onBody;
        v.on_message_complete = &Impl::onMessageComplete;
        return v;
    }();
    return s;
}

int ResponseParser::Impl::onMessageBegin(http_parser* p) {
    auto* c = static_cast<Impl*>(p->data);
    c->head = {};
    c->head.headers.reserve(12);  // see RequestParser::Impl::onMessageBegin
    c->header.reset();
    return 0;
}

int ResponseParser::Impl::onHeaderField(http_parser* p, const char* at, size_t len) {
    static_cast<Impl*>(p->data)->header.onField(at, len);
    return 0;
}

int ResponseParser::Impl::onHeaderValue(http_parser* p, const char* at, size_t len) {
    auto* c = static_cast<Impl*>(p->data);
    c->header.onValue(c->head.headers, at, len);
    return 0;
}

int ResponseParser::Impl::onHeadersComplete(http_parser* p) {
    auto* c = static_cast<Impl*>(p->data);
    c->head.status = p->status_code;
    c->head.httpMajor = p->http_major;
    c->head.httpMinor = p->http_minor;
    // 1xx (e.g. 100 Continue) heads precede the real one and are not delivered.
    c->informational = p->status_code >= 100 && p->status_code < 200 && p->status_code != 101;
    if (!c->informational) c->headNew = true;
    return c->headRequest ? 1 : 0;  // 1 = no body follows
}

int ResponseParser::Impl::onBody(http_parser* p, const char* at, size_t len) {
    static_cast<Impl*>(p->data)->body.append(at, static_cast<qsizetype>(len));
    return 0;
}

int ResponseParser::Impl::onMessageComplete(http_parser* p) {
    auto* c = static_cast<Impl*>(p->data);
    if (c->informational) {
        c->informational = false;
        return 0;
    }
    c->complete = true;
    http_parser_pause(p, 1);  // anything after the response is not ours to parse
    return 0;
}

ResponseParser::ResponseParser() : m_impl(std::make_unique<Impl>()) { reset(false); }

ResponseParser::~ResponseParser() = default;

void ResponseParser::reset(bool headRequest) {
    Impl& c = *m_impl;
    c.headRequest = headRequest;
    c.head = {};
    c.body.clear();
    c.complete = false;
    c.informational = false;
    c.headNew = false;
    http_parser_init(&c.parser, HTTP_RESPONSE);
    c.parser.data = &c;
}

ResponseParser::Step ResponseParser::execute(const char* data, std::size_t len) {
    http_parser* p = &m_impl->parser;
    const std::size_t parsed = http_parser_execute(p, &Impl::settings(), len ? data : nullptr, len);
    const auto err = HTTP_PARSER_ERRNO(p);
    const bool error = err != HPE_OK && err != HPE_PAUSED;
    return {parsed, error, error ? http_errno_description(err) : ""};
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

bool ResponseParser::keepAlive() const { return http_should_keep_alive(&m_impl->parser) != 0; }

void ResponseParser::resume() { http_parser_pause(&m_impl->parser, 0); }

}  // namespace aigw::http
