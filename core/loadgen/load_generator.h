#pragma once
// Load generator: sends real OpenAI-style chat completions through the gateway, like any client,
// at a target rate with a concurrency cap, optionally streaming. It runs on its own QThread (owned
// here through a unique_ptr that quits and joins on destruction), so the GUI thread never touches a
// socket; stats() copies a mutex-guarded snapshot.

#include <QObject>

#include <cstdint>
#include <map>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

class QThread;

namespace aigw::loadgen {

/// One virtual model of a traffic mix and its relative share.
struct ModelShare {
    std::string model;
    double weight = 1;
    bool operator==(const ModelShare&) const = default;
};

/// Reads a mix as typed in the load generator: "model-a=3, model-b, model-c=0.5" (commas, spaces
/// or new lines between entries; a missing weight is 1). None, with the reason in `error`, for an
/// empty list, a weight that is not a number > 0, or a model named twice.
std::optional<std::vector<ModelShare>> parseModelMix(const std::string& text, std::string* error);
/// Every model of `models` with the same share.
std::vector<ModelShare> equalMix(const std::vector<std::string>& models);

/// Picks the models of a mix in proportion to their weights, deterministically: a smooth
/// weighted round-robin (nginx's), so any run of requests is as close to the shares as whole
/// requests allow and models are interleaved, not sent in blocks.
class MixPicker {
public:
    explicit MixPicker(std::vector<ModelShare> mix);
    /// Index into the mix of the next request's model (0 for an empty mix).
    std::size_t next();

private:
    std::vector<ModelShare> m_mix;
    std::vector<double> m_current;
    double m_total = 0;
};

struct LoadOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::string model = "virtual-qwen-model";
    /// When not empty, each request names one of these models in proportion to the weights (a
    /// real gateway serves many models at once) and `model` is not used.
    std::vector<ModelShare> mix;
    double ratePerSecond = 20;  ///< target request rate; <= 0 sends as fast as concurrency allows
    int concurrency = 16;       ///< most requests in flight at once (>= 1)
    bool stream = false;
    std::string prompt = "Hi";
    int maxTokens = 30;
    int timeoutMs = 60000;  ///< client-side limit for one request
};

struct LoadStats {
    std::uint64_t sent = 0;
    std::uint64_t ok = 0;      ///< status 2xx and a complete body
    std::uint64_t errors = 0;  ///< status >= 400 or a transport error (refused, reset, timeout...)
    int inFlight = 0;
    double p50Ms = 0;  ///< over the last kLatencyWindow completed requests
    double p99Ms = 0;
    double ttftP50Ms = 0;  ///< streaming only: time to the first body bytes
    double achievedPerSecond = 0;  ///< completions per second over the last second or so
    std::map<int, std::uint64_t> byStatus;  ///< 0 = transport error
    std::map<std::string, std::uint64_t> byBackend;  ///< from the x-aigw-backend debug header
    std::map<std::string, std::uint64_t> byModel;    ///< requests sent per model (a mix; at most kMaxModels)
    std::string lastError;
};

class LoadWorker;

class LoadGenerator : public QObject {
    Q_OBJECT
public:
    static constexpr std::size_t kLatencyWindow = 4096;
    static constexpr std::size_t kMaxModels = 4096;

    explicit LoadGenerator(QObject* parent = nullptr);
    ~LoadGenerator() override;

    /// Starts (or restarts with new options) and resets the counters. Invalid options are clamped:
    /// concurrency < 1 becomes 1, maxTokens < 1 becomes 1.
    void start(const LoadOptions& options);
    /// Stops sending; requests in flight complete and are counted.
    void stop();
    bool isRunning() const;
    LoadStats stats() const;
    /// True once a stop() has reached the worker (no send can leave after that) and every request
    /// it sent has completed: the gateway has seen, or will never see, all of them.
    bool isIdle() const;

signals:
    void runningChanged(bool running);

private:
    friend class LoadWorker;
    void record(int status, double latencyMs, double ttftMs, const std::string& backend, const std::string& error);
    void markSent(int inFlight, const std::string& model);
    void markInFlight(int inFlight);

    std::unique_ptr<QThread> m_thread;
    LoadWorker* m_worker = nullptr;
    mutable std::mutex m_mutex;
    LoadStats m_stats;
    std::vector<double> m_latencies;  ///< ring of the last kLatencyWindow
    std::vector<double> m_ttfts;
    std::size_t m_latencyNext = 0;
    std::size_t m_ttftNext = 0;
    std::vector<std::int64_t> m_completionTimesMs;  ///< for achievedPerSecond (bounded)
    bool m_running = false;
    std::atomic<bool> m_sending{false};  ///< read by the worker before every send
    std::atomic<bool> m_stopSeen{true};  ///< set by the worker when it handles stop()'s end()
};

}  // namespace aigw::loadgen
