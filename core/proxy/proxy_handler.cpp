#include "proxy/proxy_handler.h"

#include <QDateTime>

#include <algorithm>
#include <limits>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/log.h"
#include "common/scheduler.h"
#include "http/http_client.h"
#include "proxy/endpoints.h"
#include "proxy/local_reply.h"
#include "proxy/request_body.h"
#include "proxy/supervisor.h"

namespace aigw::proxy {

struct ExchangeState {
    std::uint64_t id = 0;  ///< the engine's record id; callbacks find the exchange by it
    std::shared_ptr<http::HttpRequest> request;
    std::shared_ptr<http::HttpResponder> responder;
    ParsedBody parsed;
    std::unique_ptr<routing::Request> req;
    std::string_view operation;  ///< into the static endpoint table
    TimePoint start{};
    bool done = false;

    // The current attempt.
    routing::AttemptTarget target;
    TimePoint attemptStart{};
    http::RequestHandle upstream;
    ProxyHandler::DeadlineId attemptTimer;  ///< the route deadline (timeouts.request), for this attempt
    ProxyHandler::DeadlineId perTryTimer;   ///< perRetry.timeout, armed once the request was sent
    ProxyHandler::DeadlineId connectTimer;  ///< an emulated black hole's connect timeout
    TimerId waitTimer = 0;
    http::ResponseHead head;
    bool gotHead = false;
    QByteArray body;
    bool streaming = false;  ///< response headers went to the client (a 200 stream is being forwarded)

    // For the request record: the last attempt's body as sent upstream (shares the bytes handed to
    // the client), what the client got (first kRecordBodyLimit bytes), and when its first body byte
    // went out.
    QByteArray upstreamBody;
    std::string responseBody;
    bool responseTruncated = false;
    std::optional<Duration> firstByte;

    // For the gen_ai metrics of the final attempt.
    double ttftSeconds = -1.0;
    std::string responseModel;
    TokenUsage usage;
    QByteArray sseLine;
};

namespace {

/// Whether `name` is a hop-by-hop field (or one the proxy sets itself: host, content-length).
bool isHopByHop(std::string_view name) {
    // Dispatch on length first: every header of every request and response passes through here.
    auto is = [&](std::string_view hop) { return http::headerNameEquals(name, hop); };
    switch (name.size()) {
    case 2: return is("te");
    case 4: return is("host");
    case 7: return name[0] == 't' || name[0] == 'T' ? is("trailer") : is("upgrade");
    case 10: return name[0] == 'c' || name[0] == 'C' ? is("connection") : is("keep-alive");
    case 14: return is("content-length");
    case 16: return is("proxy-connection");
    case 17: return is("transfer-encoding");
    case 18: return is("proxy-authenticate");
    case 19: return is("proxy-authorization");
    default: return false;
    }
}

routing::UpstreamFailure classify(http::FailureKind k) {
    using F = routing::UpstreamFailure;
    switch (k) {
    case http::FailureKind::ConnectionRefused: return F::ConnectFailure;
    case http::FailureKind::ConnectTimeout: return F::ConnectTimeout;
    case http::FailureKind::HostNotFound: return F::EndpointRemoved;
    case http::FailureKind::ResetBeforeHeaders: return F::ResetBeforeHeaders;
    case http::FailureKind::ResetAfterHeaders: return F::ResetAfterHeaders;
    case http::FailureKind::PerTryTimeout: return F::PerTryTimeout;
    case http::FailureKind::IdleTimeout: return F::StreamIdleTimeout;
    case http::FailureKind::ProtocolError: return F::ResetBeforeHeaders;  // Envoy: protocol error resets the stream
    case http::FailureKind::Cancelled: return F::ResetBeforeHeaders;
    }
    return F::ResetBeforeHeaders;
}

int msClamp(Duration d) {
    const auto v = std::chrono::ceil<std::chrono::milliseconds>(d).count();
    return v <= 0 ? 1 : v > 2'000'000'000 ? 2'000'000'000 : static_cast<int>(v);
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

/// Appends to a record body, keeping at most kRecordBodyLimit bytes; `truncated` says bytes were left out.
void appendBounded(std::string& out, bool& truncated, const char* data, qsizetype size) {
    const auto room = routing::kRecordBodyLimit - std::min(out.size(), routing::kRecordBodyLimit);
    const auto n = std::min(room, static_cast<std::size_t>(std::max<qsizetype>(size, 0)));
    out.append(data, n);
    if (n < static_cast<std::size_t>(size))
        truncated = true;
}

std::optional<int> tokenCount(std::int64_t v) {
    if (v < 0)
        return std::nullopt;
    return static_cast<int>(std::min<std::int64_t>(v, std::numeric_limits<int>::max()));
}

/// Reads `usage` and `model` from SSE `data:` lines as they pass; bytes are forwarded unchanged regardless.
void scanSse(ExchangeState& ex, const QByteArray& data) {
    scanSseUsage(ex.sseLine, data, ex.responseModel, ex.usage);
}

}  // namespace

ProxyHandler::ProxyHandler(routing::Engine& engine, http::HttpClient& client, Supervisor& supervisor,
                           Scheduler& scheduler, Clock& clock, Metrics& metrics, Options options, QObject* parent)
    : QObject(parent), m_engine(engine), m_client(client), m_supervisor(supervisor), m_scheduler(scheduler),
      m_clock(clock), m_metrics(metrics), m_options(options), m_deadlineTimer(new QTimer(this)) {
    m_deadlineTimer->setSingleShot(true);
    m_deadlineTimer->setTimerType(Qt::PreciseTimer);
    connect(m_deadlineTimer, &QTimer::timeout, this, &ProxyHandler::fireDeadlines);
}

ProxyHandler::DeadlineId ProxyHandler::armDeadline(TimePoint now, Duration after, std::function<void()> fn) {
    const DeadlineId d{now + std::max(after, Duration::zero()), m_nextDeadline++};
    // Most deadlines are now + the same route timeout, later than every one armed before: the end
    // is the place to look first.
    m_deadlines.emplace_hint(m_deadlines.end(), std::make_pair(d.at, d.id), std::move(fn));
    // Restart the timer only when this deadline comes before the one it is armed for: restarting a
    // QTimer per request (unregister + register) showed up on the one-connection latency path. An
    // armed timer whose deadline was cancelled fires early and re-arms for the next one.
    if (!m_deadlineTimer->isActive() || d.at < m_timerDue)
        rearmDeadlineTimer();
    return d;
}

void ProxyHandler::cancelDeadline(DeadlineId d) {
    if (!d)
        return;
    auto it = m_deadlines.find({d.at, d.id});
    if (it == m_deadlines.end())
        return;
    m_deadlines.erase(it);
    // The timer may fire early for a cancelled deadline; fireDeadlines() then just re-arms.
}

void ProxyHandler::rearmDeadlineTimer() {
    if (m_deadlines.empty()) {
        m_deadlineTimer->stop();
        return;
    }
    m_timerDue = m_deadlines.begin()->first.first;
    const auto wait = m_timerDue - m_clock.now();
    const auto msecs = std::chrono::ceil<std::chrono::milliseconds>(std::max(wait, Duration::zero()));
    m_deadlineTimer->start(msecs);
}

void ProxyHandler::fireDeadlines() {
    const TimePoint now = m_clock.now();
    while (!m_deadlines.empty() && m_deadlines.begin()->first.first <= now) {
        auto node = m_deadlines.extract(m_deadlines.begin());  // out of the map: the callback may arm more
        node.mapped()();
    }
    rearmDeadlineTimer();
}

ProxyHandler::~ProxyHandler() = default;

std::shared_ptr<ExchangeState> ProxyHandler::live(std::uint64_t id) const {
    const auto it = m_exchanges.find(id);
    return it == m_exchanges.end() ? nullptr : it->second;
}

std::int64_t ProxyHandler::sampleMs(TimePoint t) {
    // Samples are stamped with the injected clock, like the records (not the wall clock).
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void ProxyHandler::handleTooLarge(std::shared_ptr<http::HttpRequest> request, std::shared_ptr<http::HttpResponder> responder) {
    const auto reply = payloadTooLarge();
    responder->send(reply.status, reply.headers, reply.body);
    if (m_sampleSink)
        m_sampleSink({sampleNowMs(), 0.0, reply.status});
    if (m_recordSink) {
        // Envoy's buffer limit answers before the body is read: no model, no route, no attempt.
        routing::RequestRecord out;
        out.id = kLocalReplyIds + m_localReplies++;
        out.start = m_clock.now();
        out.finalStatus = reply.status;
        out.localReply = true;
        out.error = std::string(reply.body.constData(), static_cast<std::size_t>(reply.body.size()));
        m_recordSink(std::move(out));
    }
    (void)request;
}

void ProxyHandler::answerModels(const std::shared_ptr<http::HttpRequest>& request,
                                const std::shared_ptr<http::HttpResponder>& responder, ModelList format) {
    if (request->method != "GET" && request->method != "HEAD") {
        const auto r = methodNotAllowed(request->method, request->path);
        responder->send(r.status, r.headers, r.body);
        return;
    }
    // internal/extproc/models_processor.go: Exact x-ai-eg-model match values, in route/rule order,
    // not deduplicated; overrides are not listed.
    const auto cfg = m_engine.servedConfig();  // a route that is not accepted lists no model
    nlohmann::ordered_json data = nlohmann::ordered_json::array();
    static const qint64 createdAt = QDateTime::currentSecsSinceEpoch();
    if (cfg)
        for (const auto& route : cfg->routes)
            for (const auto& rule : route.rules)
                for (const auto& m : rule.matches)
                    for (const auto& h : m.headers)
                        if (http::headerNameEquals(h.name, routing::kModelHeader) &&
                            h.effectiveType() == config::HeaderMatchType::Exact) {
                            nlohmann::ordered_json e;
                            e["id"] = h.value;
                            if (format == ModelList::Anthropic) {
                                e["type"] = "model";
                                e["display_name"] = h.value;
                                e["created_at"] = QDateTime::fromSecsSinceEpoch(createdAt, Qt::UTC)
                                                      .toString(Qt::ISODate)
                                                      .toStdString();
                            } else {
                                e["created"] = createdAt;
                                e["object"] = "model";
                                e["owned_by"] = rule.effectiveModelsOwnedBy();
                            }
                            data.push_back(std::move(e));
                        }
    nlohmann::ordered_json body;
    if (format == ModelList::Anthropic) {
        // anthropic.ModelList: first_id / last_id are omitempty, has_more is always false.
        const bool empty = data.empty();
        const std::string first = empty ? std::string() : data.front()["id"].get<std::string>();
        const std::string last = empty ? std::string() : data.back()["id"].get<std::string>();
        body["data"] = std::move(data);
        if (!empty)
            body["first_id"] = first;
        body["has_more"] = false;
        if (!empty)
            body["last_id"] = last;
    } else {
        body["data"] = std::move(data);
        body["object"] = "list";
    }
    responder->send(200, {{"content-type", "application/json"}}, QByteArray::fromStdString(body.dump()));
}

void ProxyHandler::handle(std::shared_ptr<http::HttpRequest> request, std::shared_ptr<http::HttpResponder> responder) {
    // Exact match on the path without its query (server.go processorForPath); the 404 names the
    // whole :path, query included.
    const Endpoint* endpoint = findEndpoint(request->path);
    if (!endpoint) {
        const auto r = unsupportedPath(request->target);
        responder->send(r.status, r.headers, r.body);
        return;
    }
    if (endpoint->modelList != ModelList::None)
        return answerModels(request, responder, endpoint->modelList);
    const std::string* contentType = request->headers.find("content-type");  // no copy of the value
    auto parsed = readRequestBody(*endpoint, contentType ? std::string_view(*contentType) : std::string_view(),
                                  request->body);
    if (auto* reply = std::get_if<LocalReply>(&parsed)) {
        responder->send(reply->status, reply->headers, reply->body);
        if (m_sampleSink)
            m_sampleSink({sampleNowMs(), 0.0, reply->status});
        return;
    }

    auto ex = std::make_shared<ExchangeState>();
    ex->request = std::move(request);
    ex->responder = std::move(responder);
    ex->parsed = std::get<ParsedBody>(std::move(parsed));
    // The Responses API's stream always ends with its usage (response.completed).
    ex->parsed.includeUsage = ex->parsed.includeUsage || endpoint->streamReportsUsage;
    ex->operation = endpoint->operation;
    ex->start = m_clock.now();
    // http::Headers keeps the same (name, value) vector the engine matches on: no copy.
    const routing::Headers& headers = ex->request->headers.entries();
    m_starting = true;
    ex->req = m_engine.start(ex->parsed.model, headers, ex->start);
    m_starting = false;
    ex->id = ex->req->record().id;
    ++m_inFlight;
    m_exchanges.emplace(ex->id, ex);
    const std::uint64_t id = ex->id;
    ex->responder->onClientDisconnected([this, id] {
        if (auto e = live(id))
            clientGone(e);
    });
    if (ex->done)
        return;  // the client was already gone
    drive(ex, ex->req->nextAttempt(ex->start), ex->start);
}

void ProxyHandler::drive(const std::shared_ptr<ExchangeState>& ex, routing::Decision&& d, TimePoint now) {
    if (ex->done)
        return;
    switch (d.action) {
    case routing::Action::Attempt:
        startAttempt(ex, std::move(d.target), now);
        return;
    case routing::Action::Backoff: {
        const std::uint64_t id = ex->id;
        ex->waitTimer = m_scheduler.schedule(d.wait, [this, id] {
            auto e = live(id);
            if (!e || e->done)
                return;
            e->waitTimer = 0;
            const TimePoint at = m_clock.now();
            drive(e, e->req->nextAttempt(at), at);
        });
        return;
    }
    case routing::Action::Respond:
        if (d.wait > Duration::zero()) {
            // The deadline, not the outcome, ends the request: Envoy answers 504 at the deadline.
            const std::uint64_t id = ex->id;
            auto response = d.response;
            ex->waitTimer = m_scheduler.schedule(d.wait, [this, id, response] {
                auto e = live(id);
                if (!e || e->done)
                    return;
                e->waitTimer = 0;
                respond(e, response, m_clock.now());
            });
            return;
        }
        respond(ex, d.response, now);
        return;
    }
}

void ProxyHandler::startAttempt(const std::shared_ptr<ExchangeState>& ex, routing::AttemptTarget&& next, TimePoint now) {
    ex->target = std::move(next);
    const routing::AttemptTarget& target = ex->target;
    ex->attemptStart = now;
    ex->gotHead = false;
    ex->head = {};
    ex->body.clear();
    ex->responseModel.clear();
    ex->usage = {};
    ex->ttftSeconds = -1.0;
    ex->sseLine.clear();
    // Built before resolving the host, so an attempt that never connected still records what it
    // would have sent.
    ex->upstreamBody = withModel(ex->request->body, ex->parsed, target.upstreamModel);

    // The simulator's DNS: the supervisor knows where each Backend hostname lives right now.
    const std::string* host = &target.address;
    quint16 port = static_cast<quint16>(target.port);
    const Resolution where = m_supervisor.resolve(target.address);
    const std::uint64_t id = ex->id;
    if (!where.server.isEmpty()) {
        if (where.kind == Resolution::Kind::NotFound) {
            attemptFinished(ex, routing::AttemptOutcome::failed(routing::UpstreamFailure::EndpointRemoved));
            return;
        }
        if (where.kind == Resolution::Kind::Blocked) {
            attemptFinished(ex, routing::AttemptOutcome::failed(routing::UpstreamFailure::ConnectFailure));
            return;
        }
        if (where.kind == Resolution::Kind::BlackHole) {
            // Dropped packets, emulated here: the connect neither succeeds nor is refused, and ends
            // at the connect timeout (or the route deadline, if sooner).
            ex->connectTimer = armDeadline(now, target.connectBudget(now), [this, id] {
                auto e = live(id);
                if (!e || e->done)
                    return;
                e->connectTimer = {};
                attemptFinished(e, routing::AttemptOutcome::failed(routing::UpstreamFailure::ConnectTimeout));
            });
            return;
        }
        host = &where.host;
        port = where.port;
    }

    http::ClientRequest req;
    req.method = ex->request->method;
    req.host = *host;
    req.port = port;
    req.target = ex->request->target;
    // The client's fields less the hop-by-hop ones, then Envoy's host rewrite to the Backend
    // (urlRewrite.hostname: Backend) and the ext_proc's model header, written as field lines at
    // once (copying them into a Headers list first cost two strings per field).
    const auto& fields = ex->request->headers.entries();
    std::string& lines = req.fieldLines;
    std::size_t size = target.address.size() + target.upstreamModel.size() +
                       std::char_traits<char>::length(routing::kModelHeader) + 24;
    for (const auto& [n, v] : fields)
        size += n.size() + v.size() + 4;
    lines.reserve(size);
    auto line = [&lines](std::string_view n, std::string_view v) {
        lines += n;
        lines += ": ";
        lines += v;
        lines += "\r\n";
    };
    for (const auto& [n, v] : fields)
        if (!isHopByHop(n) && !http::headerNameEquals(n, routing::kModelHeader))
            line(n, v);
    char portText[8];
    const auto portEnd = fmt::format_to_n(portText, sizeof portText, "{}", target.port).out;
    lines += "host: ";
    lines += target.address;
    lines += ':';
    lines.append(portText, portEnd);
    lines += "\r\n";
    line(routing::kModelHeader, target.upstreamModel);
    req.body = ex->upstreamBody;
    // The cluster connect timeout (BackendTrafficPolicy timeout.tcp.connectTimeout, EG default 10 s);
    // the route deadline, when sooner, is the deadline timer's.
    req.connectTimeoutMs = msClamp(target.connectTimeout);
    if (target.streamIdleTimeout)
        req.idleTimeoutMs = msClamp(*target.streamIdleTimeout);

    if (target.hasDeadline())
        ex->attemptTimer = armDeadline(now, target.untilDeadline(now), [this, id] {
            auto e = live(id);
            if (!e || e->done)
                return;
            e->attemptTimer = {};
            e->upstream.cancel();
            // The route timeout covers the whole request, a stream already forwarded included.
            routing::AttemptOutcome o = routing::AttemptOutcome::failed(routing::UpstreamFailure::RequestTimeout);
            if (e->streaming) {
                // The stream already reached the client: Envoy resets it, the client sees a broken body.
                o.headersSent = true;
                o.status = e->head.status;
                e->responder->abort(http::AbortMode::Close);
            }
            attemptFinished(e, o);
        });

    http::ResponseCallbacks cb;
    if (target.perTryTimeout)
        cb.onSent = [this, id] {
            // Envoy arms the per-try timeout once the connection is ready and the request sent: the
            // connect is not covered (the connect timeout bounds it).
            auto e = live(id);
            if (!e || e->done || e->perTryTimer)
                return;
            e->perTryTimer = armDeadline(*e->target.perTryTimeout, [this, id] {
                auto e2 = live(id);
                if (!e2 || e2->done)
                    return;
                e2->perTryTimer = {};
                if (e2->streaming)
                    return;  // "ignored upstream per try timeout due to already started downstream response"
                e2->upstream.cancel();
                attemptFinished(e2, routing::AttemptOutcome::failed(routing::UpstreamFailure::PerTryTimeout));
            });
        };
    cb.onHeaders = [this, id](http::ResponseHead&& received) {
        auto e = live(id);
        if (!e || e->done)
            return;
        e->head = std::move(received);
        const http::ResponseHead& head = e->head;
        e->gotHead = true;
        // Only a 200 stream is forwarded as it arrives; anything else is buffered (and maybe retried or
        // error-translated), as the router ext_proc does (processor_impl.go ProcessResponseHeaders).
        if (e->parsed.stream && head.status == 200) {
            http::Headers out;
            for (const auto& [n, v] : head.headers.entries())
                if (!isHopByHop(n))
                    out.append(n, v);
            if (m_options.debugHeaders) {
                out.set("x-aigw-backend", e->target.backend);
                out.set("x-aigw-attempts", std::to_string(e->target.attempt));
            }
            e->streaming = e->responder->startStream(head.status, std::move(out));
            if (e->streaming) {
                // Headers went downstream: the per-try timeout no longer applies.
                cancelDeadline(e->perTryTimer);
                e->perTryTimer = {};
            }
        }
    };
    cb.onData = [this, id](const QByteArray& data) {
        auto e = live(id);
        if (!e || e->done)
            return;
        if (e->streaming) {
            if (!e->firstByte && !data.isEmpty()) {
                e->firstByte = m_clock.now() - e->start;
                e->ttftSeconds = seconds(*e->firstByte);
            }
            e->responder->writeChunk(data);
            appendBounded(e->responseBody, e->responseTruncated, data.constData(), data.size());
            scanSse(*e, data);
        } else {
            e->body.append(data);
        }
    };
    cb.onComplete = [this, id] {
        auto e = live(id);
        if (!e || e->done)
            return;
        routing::AttemptOutcome o = routing::AttemptOutcome::httpStatus(e->head.status);
        o.headersSent = e->streaming;
        o.envoyRateLimited = e->head.headers.has("x-envoy-ratelimited");
        attemptFinished(e, o);
    };
    cb.onError = [this, id](const http::ClientError& err) {
        auto e = live(id);
        if (!e || e->done)
            return;
        routing::AttemptOutcome o = routing::AttemptOutcome::failed(classify(err.kind));
        if (err.headersReceived) {
            o.status = err.status;
            if (o.failure == routing::UpstreamFailure::ResetBeforeHeaders)
                o.failure = routing::UpstreamFailure::ResetAfterHeaders;
        }
        if (e->streaming) {
            // A stream that breaks after headers went out ends as an error, never as a clean end.
            o.headersSent = true;
            e->responder->abort(http::AbortMode::Close);
        }
        log::get("proxy")->debug("attempt {} to {} failed: {} ({})", e->target.attempt, e->target.backend,
                                 http::nameOf(err.kind), err.message);
        attemptFinished(e, o);
    };
    ex->upstream = m_client.send(std::move(req), std::move(cb));
}

void ProxyHandler::cancelAttemptTimers(ExchangeState& ex) {
    for (DeadlineId* t : {&ex.attemptTimer, &ex.perTryTimer, &ex.connectTimer}) {
        cancelDeadline(*t);
        *t = {};
    }
}

void ProxyHandler::attemptFinished(const std::shared_ptr<ExchangeState>& ex, const routing::AttemptOutcome& outcome) {
    cancelAttemptTimers(*ex);
    const auto now = m_clock.now();
    // Static names, and "status_<code>" written here: no string built for the label.
    char statusText[24];
    std::string_view outcomeText;
    if (outcome.failure == routing::UpstreamFailure::None) {
        outcomeText = "success";
    } else if (outcome.failure == routing::UpstreamFailure::Status) {
        const auto end = fmt::format_to_n(statusText, sizeof statusText, "status_{}", outcome.status).out;
        outcomeText = std::string_view(statusText, static_cast<std::size_t>(end - statusText));
    } else {
        outcomeText = routing::nameOf(outcome.failure);
    }
    AttemptMetrics am;
    am.route = ex->req->record().route;
    am.backend = ex->target.backend;
    am.server = ex->target.server;
    am.outcome = outcomeText;
    am.durationSeconds = seconds(now - ex->attemptStart);
    m_metrics.recordAttempt(am);

    routing::Decision d = ex->req->onAttemptResult(outcome, now);
    if (ex->streaming) {
        // Headers already went out: the stream either finished cleanly or was aborted above.
        if (outcome.failure == routing::UpstreamFailure::None)
            ex->responder->finish();
        complete(ex, outcome.failure == routing::UpstreamFailure::None ? ex->head.status : 0);
        return;
    }
    if (d.action != routing::Action::Respond) {
        ex->upstream.cancel();
        ex->body.clear();
    }
    drive(ex, std::move(d), now);
}

void ProxyHandler::respond(const std::shared_ptr<ExchangeState>& ex, const routing::Response& response, TimePoint now) {
    if (ex->done)
        return;
    const auto& rec = ex->req->record();
    if (response.local || !ex->gotHead) {
        const std::string ct = response.contentType.empty() ? "text/plain" : response.contentType;
        sendLocal(ex, response.status, ct, QByteArray::fromStdString(response.body));
        return;
    }
    // Forward the final upstream response unchanged (the router ext_proc does no body mutation for
    // OpenAI -> OpenAI); a non-JSON error body is wrapped as OpenAIBackendError (section 3.3).
    // The upstream's fields are moved, not copied (nothing reads them after this), less the
    // hop-by-hop ones.
    http::Headers out = std::move(ex->head.headers);
    out.removeIf(isHopByHop);
    QByteArray body = std::move(ex->body);
    wrapNonJsonError(ex->head.status, out, body);
    if (m_options.debugHeaders) {
        out.set("x-aigw-backend", ex->target.backend);
        out.set("x-aigw-attempts", std::to_string(rec.attempts.size()));
    }
    ex->responder->send(ex->head.status, std::move(out), body);
    if (!body.isEmpty())
        ex->firstByte = now - ex->start;
    // Bookkeeping after the response left: the client does not wait for it.
    if (ex->head.status == 200)
        readModelAndUsage(body.constData(), body.size(), ex->responseModel, ex->usage);
    appendBounded(ex->responseBody, ex->responseTruncated, body.constData(), body.size());
    complete(ex, ex->head.status);
}

void ProxyHandler::sendLocal(const std::shared_ptr<ExchangeState>& ex, int status, const std::string& contentType,
                             QByteArray body) {
    http::Headers out{{"content-type", contentType}};
    if (m_options.debugHeaders && !ex->req->record().attempts.empty())
        out.add("x-aigw-attempts", std::to_string(ex->req->record().attempts.size()));
    ex->responder->send(status, std::move(out), body);
    appendBounded(ex->responseBody, ex->responseTruncated, body.constData(), body.size());
    complete(ex, status);
}

void ProxyHandler::complete(const std::shared_ptr<ExchangeState>& ex, int status) {
    if (ex->done)
        return;
    ex->done = true;
    --m_inFlight;
    // Released after this call chain unwinds (callers still hold `ex`).
    m_exchanges.erase(ex->id);
    cancelAttemptTimers(*ex);
    if (ex->waitTimer)
        m_scheduler.cancel(ex->waitTimer);
    const auto now = m_clock.now();
    const auto& rec = ex->req->record();
    RequestMetrics rm;
    rm.route = rec.route;
    rm.operation = ex->operation;
    rm.provider = "openai";
    rm.originalModel = ex->parsed.model;
    rm.requestModel = rec.attempts.empty() ? ex->parsed.model : rec.attempts.back().upstreamModel;
    rm.responseModel = ex->responseModel.empty() ? rm.requestModel : ex->responseModel;
    rm.finalBackend = rec.attempts.empty() ? std::string_view() : std::string_view(rec.attempts.back().backend);
    rm.status = status == 0 ? rec.finalStatus : status;
    rm.success = status >= 200 && status < 400;
    rm.stream = ex->parsed.stream;
    rm.fellBack = !rec.attempts.empty() && rec.attempts.back().priority > 0 && rm.success;
    rm.attempts = static_cast<int>(rec.attempts.size());
    rm.durationSeconds = seconds(now - ex->start);
    rm.ttftSeconds = ex->ttftSeconds;
    rm.inputTokens = ex->usage.promptTokens;
    rm.outputTokens = ex->usage.completionTokens;
    m_metrics.recordRequest(rm);
    if (m_sampleSink)
        m_sampleSink({sampleMs(now), rm.durationSeconds * 1000.0, rm.status});
    if (m_recordSink && ex->req->done()) {
        // The engine is done with the request: its record is completed in place and moved on.
        routing::RequestRecord& out = ex->req->recordToComplete();
        out.stream = ex->parsed.stream;
        out.timeToFirstToken = ex->firstByte;
        // A stream reports usage only in the chunk include_usage asks for; without it, any count
        // seen would be the server's own extension, not what an OpenAI client gets.
        if (!ex->parsed.stream || ex->parsed.includeUsage) {
            out.promptTokens = tokenCount(ex->usage.promptTokens);
            out.completionTokens = tokenCount(ex->usage.completionTokens);
        }
        appendBounded(out.upstreamBody, out.upstreamBodyTruncated, ex->upstreamBody.constData(), ex->upstreamBody.size());
        out.responseBody = std::move(ex->responseBody);
        out.responseBodyTruncated = ex->responseTruncated;
        m_recordSink(std::move(out));
    }
}

void ProxyHandler::clientGone(const std::shared_ptr<ExchangeState>& ex) {
    if (ex->done)
        return;
    ex->upstream.cancel();
    if (!ex->req->done())
        ex->req->cancel(m_clock.now());
    complete(ex, 499);
}

}  // namespace aigw::proxy
