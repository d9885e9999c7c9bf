// The admin API (JSON on its own port, like Envoy's admin listener). Runs on the data-plane thread.
//
//   GET    /ready                         {"state":"LIVE"}
//   GET    /servers                       [{name, state, url, models, mode, ...}]
//   GET    /servers/{name}/log            captured child output (text)
//   POST   /servers/{name}/stop|start|delete|reapply
//   POST   /servers/{name}/fault          body: the mock fault profile (JSON)
//   DELETE /servers/{name}/fault
//   POST   /backend_refs                  {"route","rule","ref","weight"?,"priority"?,"modelNameOverride"?}
//   POST   /config                        YAML body; 400 with the errors when it does not load
//   GET    /config_dump                   the active config as YAML
//   GET    /requests?limit=N              recent request records (newest last), each once its response
//                                         ended: attempts, stream, ttft_ms, prompt_tokens,
//                                         completion_tokens, upstream_body, response_body (first 16 KiB
//                                         each) and *_truncated
//   GET    /hosts                         routing engine host states
//   GET    /stats                         {"totals": engine counters, "routes": per route counters
//                                         and latency histogram, "backends": per route and backend
//                                         attempts, outcomes, ejections and latency histogram}
//   GET    /stats/prometheus              Prometheus text format
//
// Who may call it (adminRequestAllowed; README "Security"): the listener answers only to its own
// names (Host check, http/access.h); a request with an Origin other than the API's own is refused, so
// a web page cannot drive it; every POST/PUT/PATCH/DELETE must say Content-Type: application/json
// (POST /config: application/yaml or application/json), which no browser sends cross-origin
// without a preflight, and preflights (OPTIONS) are never granted; with a token set, every request
// needs `Authorization: Bearer TOKEN`.

#include <QDateTime>
#include <QUrl>
#include <QUrlQuery>

#include <nlohmann/json.hpp>

#include "config/exporter.h"
#include "http/access.h"
#include "config/loader.h"
#include "proxy/data_plane.h"

namespace aigw::proxy {
namespace {

using Json = nlohmann::ordered_json;

double msOf(Duration d) { return toMs(d); }

Json recordJson(const routing::RequestRecord& r, TimePoint epoch) {
    Json j;
    j["id"] = r.id;
    j["startMs"] = msOf(r.start - epoch);
    j["route"] = r.route;
    j["rule"] = r.rule;
    j["model"] = r.virtualModel;
    j["status"] = r.finalStatus;
    j["backend"] = r.finalBackend;
    j["latencyMs"] = msOf(r.latency);
    j["localReply"] = r.localReply;
    if (!r.error.empty())
        j["error"] = r.error;
    Json attempts = Json::array();
    for (const auto& a : r.attempts) {
        Json x;
        x["backend"] = a.backend;
        x["server"] = a.server;
        x["priority"] = a.priority;
        x["upstreamModel"] = a.upstreamModel;
        x["failure"] = routing::nameOf(a.failure);
        x["status"] = a.status;
        x["durationMs"] = msOf(a.duration);
        x["backoffMs"] = msOf(a.backoffBefore);
        attempts.push_back(std::move(x));
    }
    j["attempts"] = std::move(attempts);
    j["stream"] = r.stream;
    j["ttft_ms"] = r.timeToFirstToken ? Json(msOf(*r.timeToFirstToken)) : Json();
    j["prompt_tokens"] = r.promptTokens ? Json(*r.promptTokens) : Json();
    j["completion_tokens"] = r.completionTokens ? Json(*r.completionTokens) : Json();
    j["upstream_body"] = r.upstreamBody;
    j["upstream_body_truncated"] = r.upstreamBodyTruncated;
    j["response_body"] = r.responseBody;
    j["response_body_truncated"] = r.responseBodyTruncated;
    return j;
}

Json serverJson(const ServerInfo& s) {
    Json j;
    j["name"] = s.name.toStdString();
    j["state"] = nameOf(s.state);
    j["mode"] = nameOf(s.mode);
    j["url"] = s.url.toStdString();
    j["port"] = s.port;
    j["hostname"] = s.hostname.toStdString();
    Json models = Json::array();
    for (const auto& m : s.models)
        models.push_back(m.toStdString());
    j["models"] = std::move(models);
    Json backends = Json::array();
    for (const auto& b : s.backends)
        backends.push_back(b.toStdString());
    j["backends"] = std::move(backends);
    if (s.state == ServerState::Pulling)
        j["pullProgress"] = s.pullProgress;
    if (!s.faultSummary.isEmpty())
        j["fault"] = s.faultSummary.toStdString();
    if (!s.error.isEmpty())
        j["error"] = s.error.toStdString();
    if (s.dnsChangeAtMs > 0) {
        // Deleted (or re-applied) and not yet seen by the gateway's DNS refresh.
        const qint64 left = std::max<qint64>(0, s.dnsChangeAtMs - QDateTime::currentMSecsSinceEpoch());
        j["dns"] = s.state == ServerState::Deleted
                       ? "name still resolves for " + std::to_string((left + 999) / 1000) + " s (until the DNS refresh)"
                       : "name resolves again in " + std::to_string((left + 999) / 1000) + " s (at the DNS refresh)";
        j["dnsChangeAtMs"] = s.dnsChangeAtMs;
    }
    j["pid"] = s.pid;
    Json ejected = Json::object();
    for (const auto& [rule, until] : s.ejectedUntilMsByRule)
        ejected[rule.toStdString()] = until;
    j["ejectedUntilMs"] = std::move(ejected);
    return j;
}

void sendJson(const std::shared_ptr<http::HttpResponder>& rs, int status, const Json& j) {
    // Bodies are cut at kRecordBodyLimit bytes, possibly inside a UTF-8 sequence, and upstreams may
    // send anything: invalid bytes become U+FFFD instead of making dump() throw.
    rs->send(status, {{"content-type", "application/json"}},
             QByteArray::fromStdString(j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"));
}

void sendError(const std::shared_ptr<http::HttpResponder>& rs, int status, const std::string& message) {
    Json j;
    j["error"] = message;
    sendJson(rs, status, j);
}

}  // namespace

bool DataPlane::adminRequestAllowed(const http::HttpRequest& rq, http::HttpResponder& rs) const {
    if (const auto origin = rq.headers.get("origin"); origin && !http::sameOrigin(*origin, rq.headers.value("host"))) {
        http::sendForbidden(rq, rs, "the admin API does not answer cross-origin requests (origin '" + *origin + "')");
        return false;
    }
    if (!m_adminToken.empty()) {
        const std::string auth = rq.headers.value("authorization");
        const std::string want = "Bearer " + m_adminToken;
        // Length first, then every byte: the time taken does not tell how much of a guess was right.
        bool same = auth.size() == want.size();
        unsigned char diff = 0;
        for (std::size_t i = 0; same && i < want.size(); ++i)
            diff |= static_cast<unsigned char>(auth[i] ^ want[i]);
        if (!same || diff != 0) {
            rs.addResponseHeader("www-authenticate", "Bearer");
            http::sendForbidden(rq, rs, "the admin API needs 'Authorization: Bearer TOKEN' (--admin-token)", 401);
            return false;
        }
    }
    const std::string& method = rq.method;
    if (method == "OPTIONS") {
        http::sendForbidden(rq, rs, "the admin API grants no CORS preflight", 405);
        return false;
    }
    if (method != "GET" && method != "HEAD") {
        const std::string type = http::mediaType(rq.headers.value("content-type"));
        const bool yamlOk = rq.path == "/config" && (type == "application/yaml" || type == "application/x-yaml");
        if (type != "application/json" && !yamlOk) {
            http::sendForbidden(rq, rs,
                                method + " " + rq.path + " needs 'Content-Type: application/json'" +
                                    (rq.path == "/config" ? " or application/yaml" : "") + ", even without a body (got '" +
                                    rq.headers.value("content-type") + "')");
            return false;
        }
    }
    return true;
}

void DataPlane::handleAdmin(std::shared_ptr<http::HttpRequest> rq, std::shared_ptr<http::HttpResponder> rs) {
    const std::string& path = rq->path;
    const std::string& method = rq->method;
    if (!adminRequestAllowed(*rq, *rs))
        return;
    if (!m_running)
        return sendError(rs, 503, "the gateway is not running");

    if (path == "/ready" && method == "GET") {
        Json j;
        j["state"] = m_stopping ? "DRAINING" : "LIVE";
        return sendJson(rs, 200, j);
    }
    if (path == "/servers" && method == "GET") {
        Json arr = Json::array();
        for (const auto& s : m_supervisor->infos())
            arr.push_back(serverJson(s));
        return sendJson(rs, 200, arr);
    }
    if (path.rfind("/servers/", 0) == 0) {
        // A server outside the default namespace is "namespace/name" (routing::serverName): the verb
        // is the last segment, the name all before it ('/' may also come percent-encoded).
        const std::string rest = path.substr(9);
        const auto slash = rest.rfind('/');
        if (slash == std::string::npos || slash == 0)
            return sendError(rs, 404, "expected /servers/{name}/{stop|start|delete|reapply|fault|log}");
        const QString name = QUrl::fromPercentEncoding(QByteArray::fromStdString(rest.substr(0, slash)));
        const std::string verb = rest.substr(slash + 1);
        if (!m_supervisor->has(name))
            return sendError(rs, 404, "no server named '" + name.toStdString() + "'");
        if (verb == "log" && method == "GET") {
            {
            rs->send(200, {{"content-type", "text/plain"}}, m_supervisor->log(name).join('\n').toUtf8() + "\n");
            return;
        }
        }
        if ((verb == "stop" || verb == "start" || verb == "delete" || verb == "reapply") && method == "POST") {
            auto r = serverCommand(name, QString::fromStdString(verb));
            if (!r.ok())
                return sendError(rs, 409, r.error().message);
            for (const auto& s : m_supervisor->infos())
                if (s.name == name)
                    return sendJson(rs, 200, serverJson(s));
        }
        if (verb == "fault" && (method == "POST" || method == "PUT" || method == "DELETE")) {
            nlohmann::json profile;
            if (method != "DELETE") {
                profile = nlohmann::json::parse(rq->body.constData(), rq->body.constData() + rq->body.size(), nullptr, false);
                if (profile.is_discarded() || !profile.is_object())
                    return sendError(rs, 400, "fault profile must be a JSON object");
            }
            // The callback owns the responder until the mock server answered.
            m_supervisor->setFault(name, profile, [this, out = rs, name](Result<bool> r) {
                if (!r.ok()) {
                    pushEvent(ServiceEvent{ServiceEvent::Kind::Error, name, ServerState::Failed,
                                           QString::fromStdString(r.error().message), QDateTime::currentMSecsSinceEpoch()});
                    const bool badInput = r.error().message.rfind("invalid fault profile", 0) == 0;
                    return sendError(out, badInput ? 400 : 409, r.error().message);
                }
                for (const auto& s : m_supervisor->infos())
                    if (s.name == name)
                        return sendJson(out, 200, serverJson(s));
            });
            return;
        }
        return sendError(rs, 405, "unsupported " + method + " " + path);
    }
    if (path == "/backend_refs" && (method == "POST" || method == "PATCH")) {
        const auto j = nlohmann::json::parse(rq->body.constData(), rq->body.constData() + rq->body.size(), nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("route") || !j["route"].is_string() || !j.contains("rule") ||
            !j["rule"].is_number_integer() || !j.contains("ref") || !j["ref"].is_number_integer())
            return sendError(rs, 400, R"(expected {"route":"name","rule":0,"ref":0,"weight"?:N,"priority"?:N,"modelNameOverride"?:"m"})");
        std::optional<std::int64_t> weight, priority;
        std::optional<QString> override;
        if (j.contains("weight")) {
            if (!j["weight"].is_number_integer())
                return sendError(rs, 400, "weight must be an integer");
            weight = j["weight"].get<std::int64_t>();
        }
        if (j.contains("priority")) {
            if (!j["priority"].is_number_integer())
                return sendError(rs, 400, "priority must be an integer");
            priority = j["priority"].get<std::int64_t>();
        }
        if (j.contains("modelNameOverride")) {
            if (j["modelNameOverride"].is_null())
                override = QString();
            else if (j["modelNameOverride"].is_string())
                override = QString::fromStdString(j["modelNameOverride"].get<std::string>());
            else
                return sendError(rs, 400, "modelNameOverride must be a string or null");
        }
        editBackendRef(QString::fromStdString(j["route"].get<std::string>()), j["rule"].get<int>(), j["ref"].get<int>(),
                       weight, priority, override, [rs](Result<bool> r) {
                           if (!r.ok())
                               return sendError(rs, 400, r.error().message);
                           Json ok;
                           ok["applied"] = true;
                           sendJson(rs, 200, ok);
                       });
        return;
    }
    if (path == "/config" && (method == "POST" || method == "PUT")) {
        // A cluster-sized config takes a few hundred milliseconds to parse, validate, compile and plan:
        // all of that runs on the config worker while this thread keeps proxying; the result is
        // checked and swapped in back on this thread (install: the swap only).
        struct Parsed {
            config::LoadResult loaded;
            std::shared_ptr<const config::Config> config;
            std::shared_ptr<const routing::Snapshot> compiled;
            std::vector<ServerSpec> plan;
        };
        auto result = std::make_shared<Parsed>();
        auto work = [result, base = m_engine->snapshot(), body = rq->body.toStdString()] {
            result->loaded = config::loadString(body, "<admin POST /config>");
            if (result->loaded.ok() || result->loaded.onlyReferenceErrors()) {
                result->config = std::make_shared<const config::Config>(std::move(result->loaded.config));
                result->compiled = routing::compileConfig(result->config, base);
                result->plan = planServersOf(*result->config);
            }
        };
        offThread(std::move(work), [this, result, rs] {
            config::LoadResult& loaded = result->loaded;
            // A missing AIServiceBackend or Backend does not stop an apply on a cluster: the controller
            // marks the route NotAccepted (its last accepted version keeps serving). Anything else does.
            if (!result->config) {
                Json j;
                Json errs = Json::array();
                for (const auto& e : loaded.errors)
                    errs.push_back(e.toString());
                j["error"] = "config rejected";
                j["errors"] = std::move(errs);
                QStringList lines;
                for (const auto& e : loaded.errors)
                    lines << QString::fromStdString(e.toString());
                pushEvent(ServiceEvent{ServiceEvent::Kind::ConfigRejected, {}, ServerState::Ready, lines.join('\n'),
                                       QDateTime::currentMSecsSinceEpoch()});
                return sendJson(rs, 400, j);
            }
            if (!m_running)
                return sendError(rs, 503, "the gateway is not running");
            install(result->config, std::move(result->compiled), result->plan);
            Json j;
            j["applied"] = true;
            j["routes"] = m_engine->config()->routes.size();
            Json notAccepted = Json::array();
            for (const auto& st : m_engine->routeStatus())
                if (!st.accepted)
                    notAccepted.push_back(
                        Json{{"route", st.route}, {"reason", st.reason}, {"servingLastAccepted", st.servingLastAccepted}});
            j["notAccepted"] = std::move(notAccepted);
            if (!loaded.errors.empty()) {
                Json warnings = Json::array();
                for (const auto& e : loaded.errors)
                    warnings.push_back(e.toString());
                j["warnings"] = std::move(warnings);
            }
            return sendJson(rs, 200, j);
        });
        return;
    }
    if (path == "/config_dump" && method == "GET") {
        // Each AIGatewayRoute's status as the controller reports it, as comments ahead of the YAML
        // (the dump stays loadable and applyable as it is).
        std::string out = "# AIGatewayRoute status:\n";
        for (const auto& st : m_engine->routeStatus()) {
            out += "#   " + st.route + ": " + (st.accepted ? "Accepted" : "NotAccepted (" + st.reason + ")");
            if (st.servingLastAccepted)
                out += "; its last accepted version keeps serving";
            else if (!st.accepted)
                out += "; not served";
            out += "\n";
        }
        out += config::exportYaml(*m_engine->config(), config::ExportOptions{});
        rs->send(200, {{"content-type", "application/yaml"}}, QByteArray::fromStdString(out));
        return;
    }
    if (path == "/requests" && method == "GET") {
        int limit = 100;
        const QUrlQuery q(QString::fromStdString(rq->query));
        if (q.hasQueryItem(QStringLiteral("limit"))) {
            bool ok = false;
            limit = q.queryItemValue(QStringLiteral("limit")).toInt(&ok);
            if (!ok || limit < 0)
                return sendError(rs, 400, "limit must be a non-negative integer");
        }
        Json arr = Json::array();
        const TimePoint epoch{};
        for (const auto* r : recentRecords(static_cast<std::size_t>(limit)))
            arr.push_back(recordJson(*r, epoch));
        return sendJson(rs, 200, arr);
    }
    if (path == "/hosts" && method == "GET") {
        Json arr = Json::array();
        const auto now = m_clock.now();
        for (const auto& h : m_engine->hosts()) {
            Json x;
            x["cluster"] = h.cluster;
            x["route"] = h.route;
            x["rule"] = h.rule;
            x["backend"] = h.backend;
            x["server"] = h.server;
            x["address"] = h.address;
            x["port"] = h.port;
            x["priority"] = h.priority;
            x["weight"] = h.weight;
            x["upstreamModel"] = h.upstreamModel;
            x["removed"] = h.removed;
            x["ejected"] = h.ejected;
            if (h.ejected)
                x["ejectedForMs"] = std::max(0.0, msOf(h.ejectedUntil - now));
            x["ejections"] = h.ejections;
            x["consecutive5xx"] = h.consecutive5xx;
            arr.push_back(std::move(x));
        }
        return sendJson(rs, 200, arr);
    }
    if (path == "/stats" && method == "GET") {
        const auto& c = m_engine->counters();
        Json totals;
#define AIGW_COUNTER(name) totals[#name] = c.name
        AIGW_COUNTER(rq_total);
        AIGW_COUNTER(rq_no_route);
        AIGW_COUNTER(rq_completed);
        AIGW_COUNTER(rq_success);
        AIGW_COUNTER(rq_error);
        AIGW_COUNTER(rq_cancelled);
        AIGW_COUNTER(rq_timeout);
        AIGW_COUNTER(rq_per_try_timeout);
        AIGW_COUNTER(upstream_rq_attempts);
        AIGW_COUNTER(upstream_cx_connect_fail);
        AIGW_COUNTER(upstream_rq_reset);
        AIGW_COUNTER(upstream_rq_status_error);
        AIGW_COUNTER(upstream_rq_retry);
        AIGW_COUNTER(upstream_rq_retry_success);
        AIGW_COUNTER(upstream_rq_retry_limit_exceeded);
        AIGW_COUNTER(no_healthy_upstream);
        AIGW_COUNTER(outlier_ejections_enforced_total);
        AIGW_COUNTER(outlier_ejections_overflow);
        AIGW_COUNTER(outlier_ejections_active);
        AIGW_COUNTER(endpoints_removed);
#undef AIGW_COUNTER
        Json j;
        j["totals"] = std::move(totals);
        Json perRoute = m_metrics->toJson();  // the same series as /stats/prometheus' aigw_* families
        j["routes"] = std::move(perRoute["routes"]);
        j["backends"] = std::move(perRoute["backends"]);
        return sendJson(rs, 200, j);
    }
    if (path == "/stats/prometheus" && method == "GET") {
        std::string text = m_metrics->render(&m_engine->counters());
        rs->send(200, {{"content-type", "text/plain; version=0.0.4"}}, QByteArray::fromStdString(text));
        return;
    }
    sendError(rs, 404, "unknown admin endpoint " + method + " " + path);
}

}  // namespace aigw::proxy
