#include "load_generator.h"

#include <QElapsedTimer>
#include <QMetaObject>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "http/http_client.h"

namespace aigw::loadgen {

namespace {
/// Milliseconds on one process-wide monotonic clock (for the completions-per-second figure).
std::int64_t nowMs() {
    static const QElapsedTimer clock = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return clock.elapsed();
}
}  // namespace

std::optional<std::vector<ModelShare>> parseModelMix(const std::string& text, std::string* error) {
    auto fail = [error](std::string why) -> std::optional<std::vector<ModelShare>> {
        if (error)
            *error = std::move(why);
        return std::nullopt;
    };
    std::vector<ModelShare> mix;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ',' || std::isspace(static_cast<unsigned char>(text[i]))) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < text.size() && text[end] != ',' && !std::isspace(static_cast<unsigned char>(text[end])))
            ++end;
        const std::string entry = text.substr(i, end - i);
        i = end;
        ModelShare share;
        const auto eq = entry.rfind('=');
        share.model = entry.substr(0, eq);
        if (eq != std::string::npos) {
            const std::string w = entry.substr(eq + 1);
            char* stop = nullptr;
            share.weight = std::strtod(w.c_str(), &stop);
            if (w.empty() || *stop != '\0' || !std::isfinite(share.weight) || share.weight <= 0)
                return fail("'" + entry + "': the share after '=' must be a number greater than 0");
        }
        if (share.model.empty())
            return fail("'" + entry + "': no model name before '='");
        for (const auto& m : mix)
            if (m.model == share.model)
                return fail("'" + share.model + "' is named twice");
        mix.push_back(std::move(share));
    }
    if (mix.empty())
        return fail("no model in the mix (write e.g. model-a=3, model-b=1)");
    return mix;
}

std::vector<ModelShare> equalMix(const std::vector<std::string>& models) {
    std::vector<ModelShare> mix;
    for (const auto& m : models)
        mix.push_back({m, 1.0});
    return mix;
}

MixPicker::MixPicker(std::vector<ModelShare> mix) : m_mix(std::move(mix)), m_current(m_mix.size(), 0.0) {
    for (const auto& m : m_mix)
        m_total += m.weight;
}

std::size_t MixPicker::next() {
    if (m_mix.size() < 2)
        return 0;
    std::size_t best = 0;
    for (std::size_t i = 0; i < m_mix.size(); ++i) {
        m_current[i] += m_mix[i].weight;
        if (m_current[i] > m_current[best])
            best = i;
    }
    m_current[best] -= m_total;
    return best;
}

/// Lives on the generator's thread: a 5 ms pacing timer, a token bucket for the rate, an HttpClient.
class LoadWorker : public QObject {
public:
    explicit LoadWorker(LoadGenerator* owner) : m_owner(owner) {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(5);
        connect(&m_timer, &QTimer::timeout, this, [this] { tick(); });
    }

    void begin(const LoadOptions& options) {
        m_options = options;
        m_options.concurrency = std::max(1, m_options.concurrency);
        m_options.maxTokens = std::max(1, m_options.maxTokens);
        if (!m_client)
            m_client = std::make_unique<http::HttpClient>();
        // One body per model, made once: a mix of a hundred models costs no JSON per request.
        if (m_options.mix.empty())
            m_options.mix = {{m_options.model, 1.0}};
        m_bodies.clear();
        for (const auto& share : m_options.mix) {
            nlohmann::json body = {{"model", share.model},
                                   {"messages", nlohmann::json::array({{{"role", "user"}, {"content", m_options.prompt}}})},
                                   {"max_tokens", m_options.maxTokens}};
            if (m_options.stream)
                body["stream"] = true;
            m_bodies.push_back(QByteArray::fromStdString(body.dump()));
        }
        m_picker = MixPicker(m_options.mix);
        // The first request goes at once (as a scenario's virtual arrivals start at the stream's `from`),
        // the next ones at the rate.
        m_credit = 1.0;
        m_clock.start();
        m_last = 0;
        m_timer.start();
    }

    /// stop()'s queued call: a tick that read the flag before stop() has sent by now, and no
    /// later one sends.
    void end() {
        m_timer.stop();
        m_owner->m_stopSeen.store(true, std::memory_order_release);
    }
    /// Stops and destroys the HttpClient (in-flight requests cancelled, no callbacks).
    void dropClient() {
        m_timer.stop();
        m_client.reset();
    }

private:
    void tick() {
        // stop() reaches this thread queued; the flag stops sends at once, so that none leaves after
        // stop() returned (a scenario's pause counts on it).
        if (!m_owner->m_sending.load(std::memory_order_acquire))
            return;
        const qint64 now = m_clock.nsecsElapsed();
        const double dt = static_cast<double>(now - m_last) / 1e9;
        m_last = now;
        if (m_options.ratePerSecond > 0) {
            // Credit is capped at one tick's worth plus one, so a stall does not end in a burst.
            m_credit = std::min(m_credit + dt * m_options.ratePerSecond, m_options.ratePerSecond * 0.005 + 1.0);
        } else {
            m_credit = m_options.concurrency;
        }
        while (m_credit >= 1.0 && m_inFlight < m_options.concurrency && m_owner->m_sending.load(std::memory_order_acquire)) {
            m_credit -= 1.0;
            sendOne();
        }
        if (m_inFlight >= m_options.concurrency)
            m_credit = std::min(m_credit, 1.0);
    }

    void sendOne() {
        http::ClientRequest req;
        req.method = "POST";
        req.host = m_options.host;
        req.port = m_options.port;
        req.target = "/v1/chat/completions";
        req.headers.add("content-type", "application/json");
        const std::size_t pick = m_picker.next();
        req.body = m_bodies[pick];
        req.tryTimeoutMs = m_options.timeoutMs;
        struct State {
            QElapsedTimer started;
            double ttft = -1;
            int status = 0;
            std::string backend;
        };
        auto st = std::make_shared<State>();
        st->started.start();
        ++m_inFlight;
        m_owner->markSent(m_inFlight, m_options.mix[pick].model);
        http::ResponseCallbacks cb;
        cb.onHeaders = [st](const http::ResponseHead& head) {
            st->status = head.status;
            st->backend = head.headers.value("x-aigw-backend");
        };
        cb.onData = [st](const QByteArray&) {
            if (st->ttft < 0)
                st->ttft = static_cast<double>(st->started.nsecsElapsed()) / 1e6;
        };
        cb.onComplete = [this, st] {
            --m_inFlight;
            m_owner->record(st->status, static_cast<double>(st->started.nsecsElapsed()) / 1e6,
                            m_options.stream ? st->ttft : -1, st->backend, {});
            m_owner->markInFlight(m_inFlight);
        };
        cb.onError = [this, st](const http::ClientError& e) {
            --m_inFlight;
            m_owner->record(e.headersReceived ? e.status : 0, static_cast<double>(st->started.nsecsElapsed()) / 1e6, -1,
                            st->backend, std::string(http::nameOf(e.kind)) + ": " + e.message);
            m_owner->markInFlight(m_inFlight);
        };
        m_client->send(std::move(req), std::move(cb));
    }

    LoadGenerator* m_owner;
    LoadOptions m_options;
    std::unique_ptr<http::HttpClient> m_client;
    std::vector<QByteArray> m_bodies;  ///< one per model of the mix
    MixPicker m_picker{std::vector<ModelShare>{}};
    QTimer m_timer{this};
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    double m_credit = 0;
    int m_inFlight = 0;
};

LoadGenerator::LoadGenerator(QObject* parent) : QObject(parent), m_thread(std::make_unique<QThread>()) {
    m_thread->setObjectName(QStringLiteral("loadgen"));
    m_worker = new LoadWorker(this);
    m_worker->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();
}

LoadGenerator::~LoadGenerator() {
    // The HttpClient goes first, on the worker's thread while its event loop still runs: it hands
    // its connections to deleteLater, which a finishing thread no longer runs once it is deleting
    // the worker (LeakSanitizer found every connection of a run leaked at exit). The worker itself is
    // then deleted on its own thread.
    QMetaObject::invokeMethod(m_worker, [w = m_worker] { w->dropClient(); }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
}

void LoadGenerator::start(const LoadOptions& options) {
    {
        std::lock_guard lock(m_mutex);
        m_stats = LoadStats{};
        m_latencies.clear();
        m_ttfts.clear();
        m_latencyNext = m_ttftNext = 0;
        m_completionTimesMs.clear();
        m_running = true;
    }
    m_stopSeen.store(false, std::memory_order_release);
    m_sending.store(true, std::memory_order_release);
    QMetaObject::invokeMethod(m_worker, [w = m_worker, options] { w->begin(options); }, Qt::QueuedConnection);
    emit runningChanged(true);
}

void LoadGenerator::stop() {
    {
        std::lock_guard lock(m_mutex);
        if (!m_running)
            return;
        m_running = false;
    }
    m_sending.store(false, std::memory_order_release);
    QMetaObject::invokeMethod(m_worker, [w = m_worker] { w->end(); }, Qt::QueuedConnection);
    emit runningChanged(false);
}

bool LoadGenerator::isIdle() const {
    if (!m_stopSeen.load(std::memory_order_acquire))
        return false;
    std::lock_guard lock(m_mutex);
    return m_stats.inFlight == 0;
}

bool LoadGenerator::isRunning() const {
    std::lock_guard lock(m_mutex);
    return m_running;
}

void LoadGenerator::markSent(int inFlight, const std::string& model) {
    std::lock_guard lock(m_mutex);
    ++m_stats.sent;
    m_stats.inFlight = inFlight;
    if (m_stats.byModel.size() < kMaxModels || m_stats.byModel.count(model))
        ++m_stats.byModel[model];
}

void LoadGenerator::markInFlight(int inFlight) {
    std::lock_guard lock(m_mutex);
    m_stats.inFlight = inFlight;
}

void LoadGenerator::record(int status, double latencyMs, double ttftMs, const std::string& backend,
                           const std::string& error) {
    std::lock_guard lock(m_mutex);
    if (status >= 200 && status < 400 && error.empty())
        ++m_stats.ok;
    else {
        ++m_stats.errors;
        if (!error.empty())
            m_stats.lastError = error;
        else
            m_stats.lastError = "HTTP " + std::to_string(status);
    }
    ++m_stats.byStatus[status];
    if (!backend.empty() && m_stats.byBackend.size() < 256)
        ++m_stats.byBackend[backend];
    if (m_latencies.size() < kLatencyWindow)
        m_latencies.push_back(latencyMs);
    else
        m_latencies[m_latencyNext++ % kLatencyWindow] = latencyMs;
    if (ttftMs >= 0) {
        if (m_ttfts.size() < kLatencyWindow)
            m_ttfts.push_back(ttftMs);
        else
            m_ttfts[m_ttftNext++ % kLatencyWindow] = ttftMs;
    }
    m_completionTimesMs.push_back(nowMs());
    if (m_completionTimesMs.size() > 20000)  // bounded whatever the rate
        m_completionTimesMs.erase(m_completionTimesMs.begin(), m_completionTimesMs.begin() + 10000);
}

namespace {
double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}
}  // namespace

LoadStats LoadGenerator::stats() const {
    std::vector<double> lat, ttft;
    LoadStats s;
    std::int64_t recent = 0;
    {
        std::lock_guard lock(m_mutex);
        s = m_stats;
        lat = m_latencies;
        ttft = m_ttfts;
        const std::int64_t now = nowMs();
        for (auto it = m_completionTimesMs.rbegin(); it != m_completionTimesMs.rend() && now - *it < 1000; ++it)
            ++recent;
    }
    s.p50Ms = percentile(lat, 0.50);
    s.p99Ms = percentile(std::move(lat), 0.99);
    s.ttftP50Ms = percentile(std::move(ttft), 0.50);
    s.achievedPerSecond = static_cast<double>(recent);
    return s;
}

}  // namespace aigw::loadgen
