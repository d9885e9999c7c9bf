#pragma once
// The gateway's request path: what Envoy + the AI Gateway's two ext_proc filters do for one client
// request, driven by the routing engine (routing/engine.h) and the upstream HttpClient.
//
//   path check (404 unsupported path; endpoints.h) -> body limit (413) -> body parse (400) -> route
//   match (404)
//   -> attempts: resolve the Backend hostname through the supervisor, send the client's body with
//      only `model` replaced, classify the outcome, back off and retry as the engine decides
//   -> forward the final upstream response unchanged (non-JSON errors wrapped as the real gateway
//      does), or the engine's local reply (503 / 504); streams are forwarded chunk by chunk.
//
// Lives on the data-plane thread.

#include <QObject>
#include <QTimer>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <map>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "http/http_server.h"
#include "routing/engine.h"
#include "proxy/endpoints.h"
#include "proxy/metrics.h"

namespace aigw {
class Clock;
class Scheduler;
}  // namespace aigw
namespace aigw::http {
class HttpClient;
}

namespace aigw::proxy {

class Supervisor;
struct ExchangeState;

/// A finished client request, for the rolling stats.
struct RequestSample {
    std::int64_t atMs = 0;  ///< the data plane's injected clock (steady in production), ms
    double latencyMs = 0.0;
    int status = 0;
};

class ProxyHandler : public QObject {
    Q_OBJECT
public:
    /// An armed deadline (id 0: none); its time is part of it, so cancelling finds it in one lookup.
    struct DeadlineId {
        TimePoint at{};
        std::uint64_t id = 0;
        explicit operator bool() const { return id != 0; }
    };
    struct Options {
        bool debugHeaders = true;
    };
    ProxyHandler(routing::Engine& engine, http::HttpClient& client, Supervisor& supervisor, Scheduler& scheduler,
                 Clock& clock, Metrics& metrics, Options options, QObject* parent = nullptr);
    ~ProxyHandler() override;

    /// The HttpServer handler.
    void handle(std::shared_ptr<http::HttpRequest> request, std::shared_ptr<http::HttpResponder> responder);
    /// The HttpServer payload-too-large handler (body over the ClientTrafficPolicy bufferLimit).
    void handleTooLarge(std::shared_ptr<http::HttpRequest> request, std::shared_ptr<http::HttpResponder> responder);

    void setDebugHeaders(bool on) { m_options.debugHeaders = on; }
    int inFlight() const { return m_inFlight; }
    /// Called for every finished client request (any status), on this thread.
    void setSampleSink(std::function<void(const RequestSample&)> sink) { m_sampleSink = std::move(sink); }
    /// Receives the record of every request this handler drove, once the client's response has
    /// ended (a stream's last chunk, a local reply, or the client going away), completed with what
    /// only the proxy sees: bodies, time to first byte, stream flag, token usage.
    void setRecordSink(std::function<void(routing::RequestRecord&&)> sink) { m_recordSink = std::move(sink); }
    /// True when the record with this id belongs to a request this handler is driving (or starting).
    /// The engine emits such records at Respond time, before a stream's body went out; the engine's
    /// RecordSink ignores them because the handler passes them on from its record sink later.
    bool drives(std::uint64_t recordId) const { return m_starting || m_exchanges.contains(recordId); }

private:
    /// `now`: the clock read by the caller in this same call chain (a read each step cost a clock
    /// call, ~45 instructions and more on a virtual machine, seven times per request).
    void drive(const std::shared_ptr<ExchangeState>& ex, routing::Decision&& d, TimePoint now);
    void startAttempt(const std::shared_ptr<ExchangeState>& ex, routing::AttemptTarget&& target, TimePoint now);
    /// The exchange with this id while it is in flight, else null. Callbacks hold the id rather
    /// than a weak_ptr: [this, id] fits std::function's inline storage, so arming an attempt's
    /// callbacks allocates nothing.
    std::shared_ptr<ExchangeState> live(std::uint64_t id) const;
    void attemptFinished(const std::shared_ptr<ExchangeState>& ex, const routing::AttemptOutcome& outcome);
    /// Cancels the route deadline, per-try and emulated connect timers of the current attempt.
    void cancelAttemptTimers(ExchangeState& ex);
    void respond(const std::shared_ptr<ExchangeState>& ex, const routing::Response& response, TimePoint now);
    void sendLocal(const std::shared_ptr<ExchangeState>& ex, int status, const std::string& contentType, QByteArray body);
    void complete(const std::shared_ptr<ExchangeState>& ex, int status);
    void clientGone(const std::shared_ptr<ExchangeState>& ex);
    /// GET /v1/models and /anthropic/v1/models, answered from the config (models_processor.go).
    void answerModels(const std::shared_ptr<http::HttpRequest>& request, const std::shared_ptr<http::HttpResponder>& responder,
                      ModelList format);

    /// Per-attempt deadlines share one precise timer armed at the earliest one: a QTimer per request
    /// cost more than the rest of the request path (measured with bench/proxy_bench.sh).
    DeadlineId armDeadline(Duration after, std::function<void()> fn) { return armDeadline(m_clock.now(), after, std::move(fn)); }
    /// The same, `after` counted from `now` (read by the caller).
    DeadlineId armDeadline(TimePoint now, Duration after, std::function<void()> fn);
    void cancelDeadline(DeadlineId d);
    void fireDeadlines();
    void rearmDeadlineTimer();
    std::int64_t sampleNowMs() const { return sampleMs(m_clock.now()); }
    static std::int64_t sampleMs(TimePoint t);

    routing::Engine& m_engine;
    http::HttpClient& m_client;
    Supervisor& m_supervisor;
    Scheduler& m_scheduler;
    Clock& m_clock;
    /// Ids of records for replies made before routing (413), apart from the engine's ids.
    static constexpr std::uint64_t kLocalReplyIds = 1ULL << 62;
    std::uint64_t m_localReplies = 0;
    Metrics& m_metrics;
    Options m_options;
    int m_inFlight = 0;
    /// Owns every in-flight exchange by record id (callbacks and timers refer to them by id).
    std::unordered_map<std::uint64_t, std::shared_ptr<ExchangeState>> m_exchanges;
    bool m_starting = false;  ///< inside Engine::start(): a record emitted now is the new request's
    std::function<void(const RequestSample&)> m_sampleSink;
    std::function<void(routing::RequestRecord&&)> m_recordSink;
    QTimer* m_deadlineTimer = nullptr;
    /// Armed deadlines in firing order (time, then arming order).
    std::map<std::pair<TimePoint, std::uint64_t>, std::function<void()>> m_deadlines;
    std::uint64_t m_nextDeadline = 1;
    TimePoint m_timerDue{};  ///< the deadline m_deadlineTimer is armed for (when active)
};

}  // namespace aigw::proxy
