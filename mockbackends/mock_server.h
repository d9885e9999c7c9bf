#pragma once
// An in-process stand-in for an Ollama server: the OpenAI-compatible /v1 API (chat, completions,
// embeddings, responses, models) and Ollama's own /api,
// with the shapes Ollama returns, deterministic generated text, paced streaming and injectable
// faults. The `aigw-mock-backend` executable is a thin CLI around this class; tests and the UI use it
// directly.
//
// Simulator-only control endpoints on the same port (not part of Ollama):
//   GET    /_mock/fault   current fault profile (JSON, see core/common/fault_profile.h)
//   POST   /_mock/fault   replace it (400 with a message naming the bad field)
//   DELETE /_mock/fault   clear it
//   GET    /_mock/stats   {"name", "models", "requests", "byModel": {model: n}, "recent": [...]}
//   DELETE /_mock/stats   reset the counters

#include <functional>
#include <QObject>
#include <QString>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/fault_profile.h"
#include "common/random.h"
#include "common/result.h"
#include "common/scheduler.h"
#include "http/http_server.h"

namespace aigw::mock {

struct MockOptions {
    std::string name = "mock";        ///< named in generated text and /_mock/stats
    std::vector<std::string> models;  ///< served model names; anything else gets Ollama's 404
    std::uint64_t seed = 0;           ///< feeds text generation, error-rate draws, jitter and ids
    double tokensPerSecond = 200.0;   ///< streaming pace after the first token; 0 = as fast as possible
    int firstTokenMs = 20;            ///< delay before the first token (and before response headers)
    FaultProfile fault;               ///< initial fault
    bool allowPull = true;            ///< /api/pull of an unknown model "downloads" it and serves it
    int embeddingDimensions = 384;
    int pullStepMs = 20;              ///< pace of /api/pull progress lines
    /// Which Host names it answers to: as Ollama on loopback, its listen address, localhost,
    /// 127.0.0.1, [::1] and *.localhost / *.local / *.internal; more with `--allowed-host`, any with
    /// `--allow-remote`. The /_mock/ control endpoints also refuse a foreign Origin.
    http::AccessPolicy access{.allowLocalNames = true};
    /// Time and timers (first token, pace, latency, stalls, pulls). Null: the steady clock and Qt
    /// timers on the server's thread. Tests pass a ManualClock and a SimScheduler to step time by
    /// hand; both must outlive the server (timers due after it is gone do nothing).
    const Clock* clock = nullptr;
    Scheduler* scheduler = nullptr;
};

/// One inference request as the server saw it.
struct RequestRecord {
    std::string endpoint;  ///< "/v1/chat/completions", "/api/chat", ...
    std::string model;     ///< the model the request asked for ("" when absent)
    bool stream = false;
    int status = 0;        ///< status sent; 0 when no status line went out (hang, reset)
    std::string outcome;   ///< "ok", "not_found", "bad_request", "fault:error", "fault:hang", "fault:reset",
                           ///< "fault:cut", "fault:stall" (endless), "client_gone"
};

struct MockStats {
    std::uint64_t requests = 0;                    ///< inference requests received
    std::map<std::string, std::uint64_t> byModel;  ///< requested model -> count
    std::vector<RequestRecord> recent;             ///< the last 1,000, oldest first
};

class MockServer : public QObject {
    Q_OBJECT
public:
    explicit MockServer(MockOptions options, QObject* parent = nullptr);
    ~MockServer() override;

    /// Starts serving on host:port (port 0 = any free port). Returns the bound port.
    Result<quint16> listen(const QString& host, quint16 port);
    /// Stops listening and drops every connection (in-flight streams end abruptly).
    void close();
    /// Stops accepting (new connects are refused); requests in flight are still answered.
    void stopListening();
    /// Requests being answered now (hung ones included).
    int activeRequests() const;
    quint16 port() const;
    QString url() const;
    const std::string& name() const { return m_options.name; }

    // Thread-safe (the UI and the proxy's admin API may call these from other threads).
    void setFault(const FaultProfile& fault);
    void clearFault() { setFault({}); }
    FaultProfile fault() const;
    MockStats stats() const;
    void resetStats();
    std::vector<std::string> models() const;
    void addModel(const std::string& model);
    bool servesModel(const std::string& model) const;

signals:
    /// Emitted on the server's thread for every inference request once its outcome is known.
    void requestRecorded(const aigw::mock::RequestRecord& record);

private:
    struct Exchange;
    struct StreamJob;

    void handle(std::shared_ptr<http::HttpRequest> req, std::shared_ptr<http::HttpResponder> res);
    void handleInference(const std::shared_ptr<Exchange>& ex);
    void afterLatency(const std::shared_ptr<Exchange>& ex);
    void serveChat(const std::shared_ptr<Exchange>& ex);
    void serveCompletion(const std::shared_ptr<Exchange>& ex);
    void serveEmbeddings(const std::shared_ptr<Exchange>& ex);
    /// POST /v1/responses: the OpenAI Responses API (a response object with `output` items; streamed
    /// as response.created ... response.output_text.delta ... response.completed with usage).
    void serveResponses(const std::shared_ptr<Exchange>& ex);
    void serveNativeChat(const std::shared_ptr<Exchange>& ex);
    void serveNativeGenerate(const std::shared_ptr<Exchange>& ex);
    void serveNativeEmbed(const std::shared_ptr<Exchange>& ex);
    void servePull(std::shared_ptr<http::HttpRequest> req, std::shared_ptr<http::HttpResponder> res);
    void serveControl(std::shared_ptr<http::HttpRequest> req, std::shared_ptr<http::HttpResponder> res);
    void runStream(const std::shared_ptr<StreamJob>& job);
    void streamStep(const std::shared_ptr<StreamJob>& job);
    void sendError(const std::shared_ptr<Exchange>& ex, int status, const std::string& message, const char* outcome);
    void sendFaultError(const std::shared_ptr<Exchange>& ex, int status);
    void sendLater(const std::shared_ptr<Exchange>& ex, int delayMs, int status, const std::string& contentType,
                   QByteArray body);
    /// Sends a non-streamed Ollama-native reply (/api/chat, /api/generate) after delayMs.
    void sendNativeFinal(const std::shared_ptr<Exchange>& ex, int delayMs, std::function<QByteArray()> body);
    void record(const std::shared_ptr<Exchange>& ex, int status, const char* outcome);
    void markLoaded(const std::string& model);
    void park(const std::shared_ptr<http::HttpResponder>& res, std::shared_ptr<void> keepAlive);
    int firstTokenDelay(const FaultProfile& fault) const;
    /// Runs `fn` on the server's scheduler after `delayMs` (0 = next turn), unless the server is gone.
    void after(int delayMs, std::function<void()> fn);
    qint64 elapsedMs(TimePoint since) const;
    int tokenIntervalMs() const;

    MockOptions m_options;
    std::unique_ptr<http::HttpServer> m_http;
    SeededRandom m_rng;  ///< server thread only
    SteadyClock m_steadyClock;
    const Clock* m_clock;
    Scheduler* m_scheduler;  ///< the injected one, or a QtScheduler child of this server

    mutable std::mutex m_mutex;  ///< guards the members below
    FaultProfile m_fault;
    MockStats m_stats;
    std::vector<std::string> m_models;
    std::map<std::string, std::int64_t> m_loadedAt;  ///< model -> last use (ms since epoch), for /api/ps

    /// Requests deliberately left unanswered (hang, endless stall), kept alive until the client goes.
    /// Server thread only.
    std::map<http::HttpResponder*, std::shared_ptr<void>> m_parked;
};

}  // namespace aigw::mock
