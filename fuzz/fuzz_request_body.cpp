// libFuzzer: the request-body `model` scanner (core/proxy/request_body.*), as the proxy uses it.
// An input starting with "--" is a multipart/form-data body whose boundary is its first line;
// anything else is a JSON body. Properties, beyond "no crash, no sanitizer report":
//  - the scanner accepts exactly the JSON bodies a whole-document parse accepts, and reads the same
//    `model`, `stream` and `include_usage`;
//  - the located `model` value, replaced by withModel(), parses back to the new name with `stream`
//    and `include_usage` unchanged (the proxy rewrites every attempt's body this way);
//  - readModelAndUsage never reports a token count below -1.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "proxy/request_body.h"
#include "../tests/proxy/body_reference.h"

using namespace aigw::proxy;

namespace {

[[noreturn]] void fail(const std::string& what, const QByteArray& body) {
    std::fprintf(stderr, "request body property violated: %s\nbody: %s\n", what.c_str(), body.constData());
    std::abort();
}

using reference::documentReference;
using reference::Fields;

void checkRewrite(const QByteArray& body, const ParsedBody& parsed, const std::string& contentType) {
    if (parsed.model.empty())
        return;
    // A multipart value is raw bytes: a name with a line break or a boundary in it would change
    // the body's structure, so it gets a plain one; JSON gets one that needs escaping.
    const std::string name = parsed.rawValue ? "fuzz-model" : "fuzz/\"model\"\\\x01-\xc3\xa9";
    const QByteArray rewritten = withModel(body, parsed, name);
    const auto again = parsed.rawValue ? parseMultipartBody(rewritten, contentType) : parseRequestBody(rewritten);
    if (!again.ok())
        fail("the body with `model` replaced does not parse: " + again.error().message, rewritten);
    if (again.value().model != name)
        fail("the body with `model` replaced reads `" + again.value().model + "`", rewritten);
    if (again.value().stream != parsed.stream || again.value().includeUsage != parsed.includeUsage)
        fail("replacing `model` changed `stream` or `include_usage`", rewritten);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const QByteArray body(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));

    if (body.startsWith("--")) {
        const qsizetype eol = body.indexOf('\n');
        const QByteArray boundary = body.mid(2, eol < 0 ? -1 : eol - 2).trimmed();
        const std::string contentType = "multipart/form-data; boundary=" + boundary.toStdString();
        const auto parsed = parseMultipartBody(body, contentType);
        if (parsed.ok())
            checkRewrite(body, parsed.value(), contentType);
    } else {
        const auto parsed = parseRequestBody(body);
        const Fields ref = documentReference(body);
        if (parsed.ok() != ref.ok)
            fail(parsed.ok() ? "accepted a body a document parse rejects (" + ref.error + ")"
                             : "rejected a body a document parse accepts: " + parsed.error().message,
                 body);
        if (parsed.ok()) {
            const ParsedBody& p = parsed.value();
            if (p.model != ref.model || p.stream != ref.stream || p.includeUsage != ref.includeUsage)
                fail("fields differ from a document parse: model `" + p.model + "` vs `" + ref.model + "`", body);
            checkRewrite(body, p, {});
        }
    }

    std::string model;
    TokenUsage usage;
    readModelAndUsage(body.constData(), body.size(), model, usage);
    if (usage.promptTokens < -1 || usage.completionTokens < -1)
        fail("a negative token count", body);
    return 0;
}
