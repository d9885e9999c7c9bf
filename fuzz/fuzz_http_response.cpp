// libFuzzer: the client's response parsing (http::ResponseParser, as core/http/http_client.cpp
// runs it: content-length, chunked and close-delimited bodies, 1xx heads skipped), then the
// proxy's SSE `usage`/`model` scan of the body (proxy::scanSseUsage). The first byte says whether
// the request was HEAD and how the rest is cut into reads; the rest is what the server sends, then
// it closes. Properties: the head, the de-chunked body, completion and error, and what the SSE scan
// reads, do not depend on how the bytes arrive.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "http/message_parser.h"
#include "proxy/request_body.h"

using namespace aigw;
using namespace aigw::http;

namespace {

struct Outcome {
    int heads = 0;
    ResponseHead head;
    QByteArray body;
    bool complete = false;
    bool error = false;
    std::string model;
    proxy::TokenUsage usage;
};

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "response parser property violated: %s\n", what.c_str());
    std::abort();
}

/// One read at a time, as ClientConnection::parse does: take the head and the body after each,
/// stop at completion or an error; the server's close is a read of no bytes. The body goes
/// through the SSE scan as it arrives.
Outcome parse(const QByteArray& input, bool headRequest, const std::vector<qsizetype>& cuts) {
    Outcome out;
    ResponseParser parser;
    parser.reset(headRequest);
    QByteArray ssePending;
    qsizetype pos = 0;
    std::size_t cut = 0;
    while (true) {
        const bool eof = pos >= input.size();
        const qsizetype n = eof ? 0 : std::min(input.size() - pos, cuts[cut++ % cuts.size()]);
        const ResponseParser::Step step = parser.execute(input.constData() + pos, static_cast<std::size_t>(n));
        pos += n;
        if (parser.hasNewHead()) {
            ++out.heads;
            out.head = parser.takeHead();
        }
        const QByteArray piece = parser.takeBody();
        out.body += piece;
        proxy::scanSseUsage(ssePending, piece, out.model, out.usage);
        out.complete = parser.complete();
        out.error = step.error;
        if (out.complete || out.error || eof)
            return out;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    const std::uint8_t mode = data[0];
    const QByteArray input(reinterpret_cast<const char*>(data) + 1, static_cast<qsizetype>(size - 1));
    const bool headRequest = (mode & 1) != 0;
    std::vector<qsizetype> cuts;
    for (std::uint8_t x = mode >> 1, i = 0; i < 8; ++i, x = static_cast<std::uint8_t>(x * 37 + 11))
        cuts.push_back(1 + x % 13);

    const Outcome whole = parse(input, headRequest, {input.size() + 1});
    const Outcome pieces = parse(input, headRequest, cuts);
    if (whole.heads > 1 || pieces.heads > 1)
        fail("more than one final head for one response");
    if (whole.heads != pieces.heads || whole.head.status != pieces.head.status ||
        whole.head.headers.entries() != pieces.head.headers.entries() || whole.head.httpMajor != pieces.head.httpMajor ||
        whole.head.httpMinor != pieces.head.httpMinor)
        fail("the head depends on how the bytes arrive");
    if (whole.body != pieces.body)
        fail("the body depends on how the bytes arrive");
    if (whole.complete != pieces.complete || whole.error != pieces.error)
        fail("completion depends on how the bytes arrive");
    if (whole.model != pieces.model || whole.usage.promptTokens != pieces.usage.promptTokens ||
        whole.usage.completionTokens != pieces.usage.completionTokens)
        fail("what the SSE scan reads depends on how the bytes arrive");
    if (headRequest && !whole.body.isEmpty())
        fail("a response to HEAD with a body");
    if (whole.complete && whole.heads != 1)
        fail("a complete response without a head");
    return 0;
}
