#include "http/access.h"

#include <algorithm>
#include <cctype>

#include "common/log.h"
#include "http/http_server.h"

namespace aigw::http {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

/// "name:port", "[v6]:port", "name", "[v6]" -> lower-case name (brackets kept) and port (-1: none).
bool splitHost(std::string_view value, std::string& name, int& port) {
    value = trim(value);
    if (value.empty())
        return false;
    std::string_view portText;
    if (value.front() == '[') {
        const auto close = value.find(']');
        if (close == std::string_view::npos)
            return false;
        name = lower(value.substr(0, close + 1));
        const auto rest = value.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':')
                return false;
            portText = rest.substr(1);
        }
    } else {
        const auto colon = value.rfind(':');
        if (colon != std::string_view::npos && value.find(':') != colon)
            return false;  // a bare IPv6 literal is not a valid Host
        name = lower(value.substr(0, colon));
        if (colon != std::string_view::npos)
            portText = value.substr(colon + 1);
    }
    if (name.empty() || name.find_first_of(" \t/@\\") != std::string::npos)
        return false;
    port = -1;
    if (value.back() == ':')
        return false;
    if (!portText.empty()) {
        if (portText.size() > 5 || portText.find_first_not_of("0123456789") != std::string_view::npos)
            return false;
        port = std::stoi(std::string(portText));
        if (port > 65535)
            return false;
    }
    return true;
}

/// The listen address as a Host name: IPv6 in brackets, lower-case.
std::string listenName(std::string_view listenHost) {
    std::string h = lower(listenHost);
    if (h.find(':') != std::string::npos && (h.empty() || h.front() != '['))
        h = "[" + h + "]";
    return h;
}

}  // namespace

bool hostAllowed(std::string_view hostHeader, std::string_view listenHost, quint16 port, const AccessPolicy& policy) {
    if (policy.allowAnyHost)
        return true;
    std::string name;
    int headerPort = -1;
    if (!splitHost(hostHeader, name, headerPort))
        return false;
    const int effectivePort = headerPort < 0 ? 80 : headerPort;
    if (effectivePort == port) {
        if (name == "localhost" || name == "127.0.0.1" || name == "[::1]")
            return true;
        if (!listenHost.empty() && name == listenName(listenHost))
            return true;
    }
    if (policy.allowLocalNames && name.front() != '[') {
        for (const std::string_view suffix : {".localhost", ".local", ".internal"})
            if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
                return true;
    }
    for (const auto& allowed : policy.allowedHosts) {
        std::string allowedName;
        int allowedPort = -1;
        if (!splitHost(allowed, allowedName, allowedPort) || allowedName != name)
            continue;
        if (allowedPort < 0 || allowedPort == effectivePort)
            return true;
    }
    return false;
}

std::string ownOrigin(std::string_view hostHeader) { return "http://" + lower(trim(hostHeader)); }

bool sameOrigin(std::string_view origin, std::string_view hostHeader) {
    if (trim(hostHeader).empty())
        return false;
    std::string o = lower(trim(origin));
    std::string own = ownOrigin(hostHeader);
    // http://host:80 and http://host are the same origin.
    auto dropDefaultPort = [](std::string& s) {
        if (s.size() > 3 && s.compare(s.size() - 3, 3, ":80") == 0)
            s.resize(s.size() - 3);
    };
    dropDefaultPort(o);
    dropDefaultPort(own);
    return o == own;
}

std::string mediaType(std::string_view contentType) {
    const auto semi = contentType.find(';');
    return lower(trim(contentType.substr(0, semi)));
}

bool answerCors(const HttpRequest& request, HttpResponder& responder, const CorsPolicy& policy) {
    const auto origin = request.headers.get("origin");
    if (!origin)
        return false;
    const std::string host = request.headers.value("host");
    if (sameOrigin(*origin, host))
        return false;
    const std::string o = lower(trim(*origin));
    const bool allowed = std::any_of(policy.allowedOrigins.begin(), policy.allowedOrigins.end(), [&](const std::string& a) {
        return a == "*" || lower(trim(a)) == o;
    });
    if (!allowed) {
        sendForbidden(request, responder,
                      "cross-origin request from '" + *origin + "' refused; start the gateway with --cors-origin " + *origin +
                          " to let that web app call it");
        return true;
    }
    responder.addResponseHeader("access-control-allow-origin", *origin);
    responder.addResponseHeader("vary", "Origin");
    if (request.method == "OPTIONS" && request.headers.has("access-control-request-method")) {
        Headers h;
        h.add("access-control-allow-methods", "GET, POST, OPTIONS");
        h.add("access-control-allow-headers", request.headers.value("access-control-request-headers", "content-type, authorization"));
        h.add("access-control-max-age", "600");
        responder.send(204, std::move(h), {});
        return true;
    }
    responder.addResponseHeader("access-control-expose-headers", "x-aigw-backend, x-aigw-attempts");
    return false;
}

void sendForbidden(const HttpRequest& request, HttpResponder& responder, const std::string& message, int status) {
    log::get("http")->warn("refused {} {} from {} (host '{}', origin '{}'): {}", request.method, request.target, request.peer(),
                           request.headers.value("host"), request.headers.value("origin"), message);
    std::string body = "{\"error\":\"";
    for (const char c : message) {  // messages are ours, but names in them come from the request
        if (c == '"' || c == '\\')
            body += '\\';
        if (static_cast<unsigned char>(c) < 0x20)
            continue;
        body += c;
    }
    body += "\"}\n";
    responder.send(status, {{"content-type", "application/json"}}, QByteArray::fromStdString(body));
}

}  // namespace aigw::http
