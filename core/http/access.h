#pragma once
// Who may talk to a local listener. The simulator's servers (proxy, admin API, mock model servers)
// listen on the loopback interface of a developer's machine, next to a browser. Two browser tricks
// reach such a server from any web page:
//   - DNS rebinding: a page on evil.example:9901 re-resolves its own name to 127.0.0.1 and reads the
//     answers (same origin as far as the browser knows). Its requests carry `Host: evil.example:9901`,
//     so a server that answers only to the names it is known by (its listen address, localhost,
//     127.0.0.1, [::1]) shuts that door; see hostAllowed().
//   - Cross-origin "simple" requests (POST with text/plain, no preflight): the page cannot read the
//     answer but the request has its effect. They carry an `Origin` header, and a JSON content type
//     forces a preflight that these servers never grant; see the admin API and the proxy's CORS.

#include <QtGlobal>

#include <string>
#include <string_view>
#include <vector>

namespace aigw::http {

struct HttpRequest;
class HttpResponder;

/// Which `Host` header values a server answers to (HttpServer::setAccessPolicy).
struct AccessPolicy {
    /// `--allow-remote`: any Host (the server is meant to be reached from other machines by any name).
    bool allowAnyHost = false;
    /// `--allowed-host`: extra names, "name" (any port) or "name:port"; compared case-insensitively.
    /// IPv6 literals in brackets: "[fd00::1]" or "[fd00::1]:8080".
    std::vector<std::string> allowedHosts;
    /// Also names ending in .localhost, .local or .internal, any port: what Ollama answers to on
    /// loopback (its allowedHostsMiddleware), so the cluster names the gateway rewrites Host to
    /// (*.svc.cluster.local) reach a mock model server as they reach Ollama.
    bool allowLocalNames = false;
};

/// True when `hostHeader` names this server: the listen address (`listenHost`, bare IPv6 without
/// brackets is fine), `localhost`, `127.0.0.1` or `[::1]`, each with the server's `port` (no port in
/// the header means 80), or one of `policy.allowedHosts`; any value when `policy.allowAnyHost`.
/// A malformed value is not allowed.
bool hostAllowed(std::string_view hostHeader, std::string_view listenHost, quint16 port, const AccessPolicy& policy);

/// The origin a browser gives pages served under this Host header: "http://" + the value, lower-case.
std::string ownOrigin(std::string_view hostHeader);

/// True when `origin` (an `Origin` header value) is the server's own origin (ownOrigin of `hostHeader`).
bool sameOrigin(std::string_view origin, std::string_view hostHeader);

/// The media type of a Content-Type value: lower-case, parameters and blanks dropped
/// ("Application/JSON; charset=utf-8" -> "application/json").
std::string mediaType(std::string_view contentType);

/// CORS for a server browser apps may call (the proxy): which origins, besides its own, may.
struct CorsPolicy {
    /// `--cors-origin`: exact origins ("http://localhost:5173"), compared case-insensitively; "*" any.
    std::vector<std::string> allowedOrigins;
};

/// Runs before the handler. Returns true when it answered the request itself:
///  - its Origin is neither the server's own (sameOrigin with the Host) nor allowed: 403, no CORS
///    headers (so a preflight fails and a simple cross-origin POST changes nothing);
///  - a preflight (OPTIONS with Access-Control-Request-Method) from an allowed origin: 204 with
///    Access-Control-Allow-Origin/-Methods/-Headers, -Max-Age and Vary: Origin.
/// Otherwise (no Origin, its own origin, or an allowed origin) returns false; for an allowed foreign
/// origin the response will carry Access-Control-Allow-Origin, -Expose-Headers and Vary: Origin.
bool answerCors(const HttpRequest& request, HttpResponder& responder, const CorsPolicy& policy);

/// Answers 403 with {"error": message} (JSON) and logs the refusal with the request's peer, method,
/// target, Host and Origin (logger "http", warn).
void sendForbidden(const HttpRequest& request, HttpResponder& responder, const std::string& message, int status = 403);

}  // namespace aigw::http
