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
    j["error"]["message"] = message;
    LocalReply r;
    r.status = status;
    r.headers.add("content-type", "application/json");
    r.body = QByteArray::fromStdString(j.dump());
    return r;
}

}  // namespace

LocalReply unsupportedPath(const std::string& path) { return text(404, "unsupported path: " + path); }

LocalReply malformedRequest(const std::string& path, const std::string& detail) {
    return orderedJson(400, "BadRequest", "malformed request: failed to parse JSON for " + path + ": " + detail);
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
    if (status < 400)
        return false;
    const auto parsed = nlohmann::json::parse(body.constData(), body.constData() + body.size(), nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object())
        return false;
    std::string message = body.toStdString();
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r'))
        message.pop_back();
    auto wrapped = wrappedEnvoyError(status, message);
    body = wrapped.body;
    headers.set("content-type", "application/json");
    headers.remove("content-length");
    return true;
}

std::string envoyResetText(const std::string& reason, bool retried) {
    return std::string("upstream connect error or disconnect/reset before headers. ") +
           (retried ? "retried and the latest reset reason: " : "reset reason: ") + reason;
}

}  // namespace aigw::proxy
