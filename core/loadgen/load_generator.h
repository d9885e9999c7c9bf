#pragma once
// Load generator: sends real OpenAI-style chat completions through the gateway, like any client,
// at a target rate with a concurrency cap, optionally streaming. It runs on its own QThread (owned
// here through a unique_ptr that quits and joins on destruction), so the GUI thread never touches a
// socket; stats() copies a mutex-guarded snapshot.

#include <QObject>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

class QThread;

namespace aigw::loadgen {

struct LoadOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::string model = "virtual-qwen-model";
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
    std::string lastError;
};

class LoadWorker;

class LoadGenerator : public QObject {
    Q_OBJECT
public:
    static constexpr std::size_t kLatencyWindow = 4096;

    explicit LoadGenerator(QObject* parent = nullptr);
    ~LoadGenerator() override;

    /// Starts (or restarts with new options) and resets the counters. Invalid options are clamped:
    /// concurrency < 1 becomes 1, maxTokens < 1 becomes 1.
    void start(const LoadOptions& options);
    /// Stops sending; requests in flight complete and are counted.
    void stop();
    bool isRunning() const;
    LoadStats stats() const;

signals:
    void runningChanged(bool running);

private:
    friend class LoadWorker;
    void record(int status, double latencyMs, double ttftMs, const std::string& backend, const std::string& error);
    void markSent(int inFlight);
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
};

}  // namespace aigw::loadgen
