// libFuzzer: the server's request parsing (http::RequestParser, as core/http/http_server.cpp runs
// it on each connection). The first byte picks the body limit and how the rest is cut into reads;
// the rest is what a client sends. Properties:
//  - the same bytes give the same requests (method, target, path, query, headers, body, version,
//    keep-alive) and the same outcome whether they arrive at once or in small reads;
//  - path and query are parts of the target; a body never exceeds the limit.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "http/message_parser.h"

using namespace aigw::http;

namespace {

struct Outcome {
    std::vector<std::shared_ptr<HttpRequest>> requests;
    RequestParser::Status last = RequestParser::Status::NeedMore;
};

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "request parser property violated: %s\n", what.c_str());
    std::abort();
}

/// Feeds `input` in reads of the sizes `cuts` gives (cycled), the way a connection does:
/// each read is parsed until it is used up, a request completes (then parsing goes on) or it stops.
Outcome parse(const std::string& input, qint64 limit, const std::vector<std::size_t>& cuts) {
    Outcome out;
    RequestParser parser;
    parser.setMaxBodyBytes(limit);
    std::size_t pos = 0;
    std::size_t cut = 0;
    while (pos < input.size()) {
        const std::size_t readEnd = std::min(input.size(), pos + cuts[cut++ % cuts.size()]);
        while (pos < readEnd) {
            const RequestParser::Step step = parser.execute(input.data() + pos, readEnd - pos);
            pos += step.consumed;
            out.last = step.status;
            if (step.status == RequestParser::Status::Complete || step.status == RequestParser::Status::TooLarge) {
                auto r = parser.takeRequest();
                if (!r)
                    fail("a completed request could not be taken");
                out.requests.push_back(std::move(r));
            }
            if (step.status == RequestParser::Status::TooLarge || step.status == RequestParser::Status::Error)
                return out;  // the server closes the connection here
            if (step.status == RequestParser::Status::NeedMore && step.consumed == 0)
                break;
        }
    }
    return out;
}

bool same(const HttpRequest& a, const HttpRequest& b) {
    return a.method == b.method && a.target == b.target && a.path == b.path && a.query == b.query &&
           a.headers.entries() == b.headers.entries() && a.body == b.body && a.httpMajor == b.httpMajor &&
           a.httpMinor == b.httpMinor && a.keepAlive == b.keepAlive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    const std::uint8_t mode = data[0];
    const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
    const qint64 limit = (mode & 1) ? 64 : 0;
    std::vector<std::size_t> cuts;
    for (std::uint8_t x = mode >> 1, i = 0; i < 8; ++i, x = static_cast<std::uint8_t>(x * 37 + 11))
        cuts.push_back(1 + x % 13);

    const Outcome whole = parse(input, limit, {input.size() + 1});
    const Outcome pieces = parse(input, limit, cuts);
    if (whole.last != pieces.last)
        fail("the outcome depends on how the bytes arrive");
    if (whole.requests.size() != pieces.requests.size())
        fail("the number of requests depends on how the bytes arrive");
    for (std::size_t i = 0; i < whole.requests.size(); ++i) {
        const HttpRequest& r = *whole.requests[i];
        if (!same(r, *pieces.requests[i]))
            fail("request " + std::to_string(i) + " (" + r.method + " " + r.target + ") depends on how the bytes arrive");
        if (r.method.empty() || r.path.empty())
            fail("a request without a method or a path");
        if (r.path != "/" && r.target.find(r.path) == std::string::npos)
            fail("path '" + r.path + "' is not part of target '" + r.target + "'");
        if (!r.query.empty() && r.target.find(r.query) == std::string::npos)
            fail("query '" + r.query + "' is not part of target '" + r.target + "'");
        if (limit > 0 && r.body.size() > limit)
            fail("a body over the limit");
    }
    return 0;
}
