#include "proxy/local_reply.h"

#include <nlohmann/json.hpp>

namespace aigw::proxy {
namespace {

LocalReply text(int status, std::string body) {
    LocalReply r;
    r.status = status;
    r.headers.add("content-type", "text/plain");
    r.body = QByteArray::fromStdString(body);
    return r;
}

LocalReply orderedJson(int status, const std::string& type, const std::string& message) {
    nlohmann::ordered_json j;
    j["type"] = "error";
    j["error"]["type"] = type;
    j["error"]["code"] = std::to_string(status);
    if (!message.empty())
        j["error"]["message"] = message;  // Go: `json:"message,omitempty"`
    LocalReply r;
    r.status = status;
    r.headers.add("content-type", "application/json");
    // Upstream bodies can hold any bytes: replace invalid UTF-8 rather than throw.
    r.body = QByteArray::fromStdString(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    return r;
}

}  // namespace

LocalReply unsupportedPath(const std::string& path) { return text(404, "unsupported path: " + path); }

LocalReply malformedRequest(const std::string& path, const std::string& detail) {
    return orderedJson(400, "BadRequest", "malformed request: failed to parse JSON for " + path + ": " + detail);
}

LocalReply badRequest(const std::string& message) { return orderedJson(400, "BadRequest", message); }

LocalReply extProcFailed() {
    LocalReply r;
    r.status = 500;
    return r;
}

LocalReply noRoute() { return text(404, kNoRouteText); }

LocalReply payloadTooLarge() { return text(413, "Payload Too Large"); }

LocalReply methodNotAllowed(const std::string& method, const std::string& path) {
    auto r = text(405, "method " + method + " not allowed for " + path);
    return r;
}

LocalReply wrappedEnvoyError(int status, const std::string& envoyText) {
    return orderedJson(status, "OpenAIBackendError", envoyText);
}

bool wrapNonJsonError(int status, http::Headers& headers, QByteArray& body) {
    if (status >= 200 && status < 300)
        return false;  // isGoodStatusCode: only non-2xx responses go through ResponseError
    // strings.Contains(respHeaders["content-type"], "application/json"): case-sensitive, and the
    // body is not looked at.
    if (headers.value("content-type").find("application/json") != std::string::npos)
        return false;
    auto wrapped = wrappedEnvoyError(status, body.toStdString());
    body = std::move(wrapped.body);
    headers.set("content-type", "application/json");
    headers.remove("content-length");
    headers.remove("content-encoding");  // the wrapped body is new, not the upstream's encoding
    return true;
}

std::string envoyResetText(const std::string& reason, bool retried) {
    return std::string("upstream connect error or disconnect/reset before headers. ") +
           (retried ? "retried and the latest reset reason: " : "reset reason: ") + reason;
}

}  // namespace aigw::proxy
