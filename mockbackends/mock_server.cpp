#include "mockbackends/mock_server.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QLocale>
#include <QPointer>
#include <QTimer>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "common/qt_scheduler.h"
#include "mockbackends/text_gen.h"

namespace aigw::mock {

using http::Headers;
using http::HttpRequest;
using http::HttpResponder;
using ojson = nlohmann::ordered_json;

namespace {

constexpr const char* kOllamaVersion = "0.6.2";
constexpr std::size_t kRecentLimit = 1000;
constexpr std::int64_t kKeepAliveMs = 5 * 60 * 1000;  // Ollama keeps a model loaded 5 minutes

QByteArray dump(const ojson& j, bool newline = false) {
    std::string s = j.dump();
    if (newline) s += '\n';  // Go's json.Encoder ends each value with a newline
    return QByteArray::fromStdString(s);
}

std::string rfc3339(std::int64_t msSinceEpoch) {
    return QDateTime::fromMSecsSinceEpoch(msSinceEpoch, Qt::UTC).toString(Qt::ISODateWithMs).toStdString();
}

std::string httpDate() {
    return QLocale::c()
        .toString(QDateTime::currentDateTimeUtc(), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"))
        .toStdString();
}

Headers headersFor(const std::string& contentType) {
    return Headers{{"content-type", contentType}, {"date", httpDate()}};
}

std::string digestOf(const std::string& model) {
    return QCryptographicHash::hash(QByteArray::fromStdString("aigw-mock/" + model), QCryptographicHash::Sha256)
        .toHex()
        .toStdString();
}

// "qwen2.5:1.5b" -> base "qwen2.5", tag "1.5b"; "hf.co/user/m" -> namespace "user".
std::string baseName(const std::string& model) {
    std::string s = model.substr(0, model.find(':'));
    if (auto slash = s.rfind('/'); slash != std::string::npos) s = s.substr(slash + 1);
    return s;
}

std::string namespaceOf(const std::string& model) {
    const std::string s = model.substr(0, model.find(':'));
    const auto last = s.rfind('/');
    if (last == std::string::npos) return "library";
    const auto prev = s.rfind('/', last - 1);
    return s.substr(prev == std::string::npos ? 0 : prev + 1, last - (prev == std::string::npos ? 0 : prev + 1));
}

std::string family(const std::string& model) {
    std::string b = baseName(model);
    if (auto dot = b.find('.'); dot != std::string::npos) b = b.substr(0, dot);  // qwen2.5 -> qwen2, as Ollama
    if (auto dash = b.find('-'); dash != std::string::npos) b = b.substr(0, dash);
    return b.empty() ? "llama" : b;
}

double parameterBillions(const std::string& model) {
    const auto colon = model.find(':');
    if (colon != std::string::npos) {
        std::string tag = model.substr(colon + 1);
        if (!tag.empty() && (tag.back() == 'b' || tag.back() == 'B')) {
            try {
                std::size_t used = 0;
                const double v = std::stod(tag.substr(0, tag.size() - 1), &used);
                if (used == tag.size() - 1 && v > 0) return v;
            } catch (const std::exception&) {
                // Not a size tag ("latest", "q4_0b"...): fall through to the default.
            }
        }
    }
    return 7.0;
}

std::int64_t modelSize(const std::string& model) {
    return static_cast<std::int64_t>(parameterBillions(model) * 0.62e9);  // ~Q4_K_M bytes per parameter
}

std::string parameterSizeText(const std::string& model) {
    const double b = parameterBillions(model);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%gB", b);
    return buf;
}

ojson details(const std::string& model) {
    return ojson{{"parent_model", ""},
                 {"format", "gguf"},
                 {"family", family(model)},
                 {"families", ojson::array({family(model)})},
                 {"parameter_size", parameterSizeText(model)},
                 {"quantization_level", "Q4_K_M"}};
}

// Text of an OpenAI message content: a string, or the text parts of an array.
std::string contentText(const nlohmann::json& content) {
    if (content.is_string()) return content.get<std::string>();
    std::string out;
    if (content.is_array()) {
        for (const auto& part : content) {
            if (part.is_object() && part.value("type", "") == "text" && part.contains("text") && part["text"].is_string()) {
                if (!out.empty()) out += '\n';
                out += part["text"].get<std::string>();
            }
        }
    }
    return out;
}

std::optional<int> intField(const nlohmann::json& obj, const char* key) {
    if (obj.is_object() && obj.contains(key) && obj[key].is_number_integer()) return obj[key].get<int>();
    return std::nullopt;
}

}  // namespace

struct MockServer::Exchange {
    enum class Kind { Chat, Completion, Embeddings, Responses, NativeChat, NativeGenerate, NativeEmbed };
    std::shared_ptr<HttpRequest> req;
    std::shared_ptr<HttpResponder> res;
    Kind kind = Kind::Chat;
    bool openai = true;  ///< OpenAI error shape and newline-terminated JSON
    nlohmann::json body;
    std::string model;
    bool stream = false;
    FaultProfile fault;  ///< snapshot when the request arrived
    bool recorded = false;
    TimePoint started;
};

struct MockServer::StreamJob {
    std::shared_ptr<Exchange> ex;
    std::string contentType;
    int tokens = 0;
    std::function<QByteArray(int)> tokenEvent;
    QByteArray prelude;         ///< sent with the response headers, before the first token
    QByteArray finalEvents;     ///< after the last token
    std::function<QByteArray()> doneEvent;  ///< "data: [DONE]" or the NDJSON done line (built when sent,
                                            ///< so durations are real); dropped by omitDone
    QByteArray malformedEvent;  ///< what the malformed-chunk fault sends
    int next = 0;
    bool malformedSent = false;
    bool stallDone = false;
    qint64 lastDueMs = 0;  ///< since `started`
    TimePoint started;
};

// ---------------------------------------------------------------------------------------------

MockServer::MockServer(MockOptions options, QObject* parent)
    : QObject(parent), m_options(std::move(options)), m_rng(m_options.seed),
      m_clock(m_options.clock ? m_options.clock : &m_steadyClock),
      m_scheduler(m_options.scheduler ? m_options.scheduler : new QtScheduler(this)), m_fault(m_options.fault),
      m_models(m_options.models) {
    m_http = std::make_unique<http::HttpServer>(
        [this](std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) { handle(std::move(req), std::move(res)); },
        http::ServerOptions{.maxBodyBytes = 64 * 1024 * 1024});
    m_http->setAccessPolicy(m_options.access);
}

MockServer::~MockServer() { close(); }

Result<quint16> MockServer::listen(const QString& host, quint16 port) { return m_http->listen(host, port); }

void MockServer::close() {
    m_http->close();  // responders turn into no-ops first, so dropping them below sends nothing
    m_parked.clear();
}

void MockServer::stopListening() { m_http->stopListening(); }

int MockServer::activeRequests() const { return m_http->activeRequests(); }

void MockServer::park(const std::shared_ptr<HttpResponder>& res, std::shared_ptr<void> keepAlive) {
    HttpResponder* raw = res.get();
    m_parked[raw] = std::move(keepAlive);
    // Replaces the exchange's own disconnect callback, so record "client_gone" is not overwritten:
    // the outcome (fault:hang / ok-so-far) was recorded already.
    res->onClientDisconnected([this, raw] {
        // Deferred: erasing now would destroy the responder inside its own callback.
        QTimer::singleShot(0, this, [this, raw] { m_parked.erase(raw); });
    });
}

void MockServer::after(int delayMs, std::function<void()> fn) {
    // An injected scheduler may outlive this server: a timer due after it is gone does nothing.
    m_scheduler->schedule(ms(std::max(0, delayMs)), [self = QPointer<MockServer>(this), fn = std::move(fn)] {
        if (self) fn();
    });
}

qint64 MockServer::elapsedMs(TimePoint since) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(m_clock->now() - since).count();
}

quint16 MockServer::port() const { return m_http->port(); }
QString MockServer::url() const { return m_http->url(); }

void MockServer::setFault(const FaultProfile& fault) {
    std::lock_guard lock(m_mutex);
    m_fault = fault;
    log::get("mock")->info("{}: fault set to {}", m_options.name, fault.describe());
}

FaultProfile MockServer::fault() const {
    std::lock_guard lock(m_mutex);
    return m_fault;
}

MockStats MockServer::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

void MockServer::resetStats() {
    std::lock_guard lock(m_mutex);
    m_stats = {};
}

std::vector<std::string> MockServer::models() const {
    std::lock_guard lock(m_mutex);
    return m_models;
}

void MockServer::addModel(const std::string& model) {
    std::lock_guard lock(m_mutex);
    if (std::find(m_models.begin(), m_models.end(), model) == m_models.end()) m_models.push_back(model);
}

bool MockServer::servesModel(const std::string& model) const {
    std::lock_guard lock(m_mutex);
    return std::find(m_models.begin(), m_models.end(), model) != m_models.end();
}

void MockServer::markLoaded(const std::string& model) {
    std::lock_guard lock(m_mutex);
    m_loadedAt[model] = QDateTime::currentMSecsSinceEpoch();
}

int MockServer::firstTokenDelay(const FaultProfile& fault) const {
    return fault.firstTokenDelayMs ? *fault.firstTokenDelayMs : m_options.firstTokenMs;
}

int MockServer::tokenIntervalMs() const {
    return m_options.tokensPerSecond > 0 ? static_cast<int>(1000.0 / m_options.tokensPerSecond) : 0;
}

// ---------------------------------------------------------------------------------------------
// Routing

void MockServer::handle(std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
    const std::string& p = req->path;
    const std::string& m = req->method;
    const bool get = m == "GET" || m == "HEAD";
    if (p.rfind("/_mock/", 0) == 0) {
        // A web page must not set faults (a cross-origin "simple" POST needs no preflight).
        if (const auto origin = req->headers.get("origin"); origin && !http::sameOrigin(*origin, req->headers.value("host"))) {
            http::sendForbidden(*req, *res, "the mock's control endpoints do not answer cross-origin requests");
            return;
        }
        return serveControl(std::move(req), std::move(res));
    }
    if (get && p == "/") {
        res->send(200, headersFor("text/plain; charset=utf-8"), "Ollama is running");
        return;
    }
    if (get && p == "/api/version") {
        res->send(200, headersFor("application/json; charset=utf-8"), dump(ojson{{"version", kOllamaVersion}}));
        return;
    }
    if (get && p == "/api/tags") {
        ojson list = ojson::array();
        const std::string modified = rfc3339(QDateTime::currentMSecsSinceEpoch() - 3600 * 1000);
        for (const auto& name : models()) {
            list.push_back(ojson{{"name", name}, {"model", name}, {"modified_at", modified}, {"size", modelSize(name)},
                                 {"digest", digestOf(name)}, {"details", details(name)}});
        }
        res->send(200, headersFor("application/json; charset=utf-8"), dump(ojson{{"models", list}}));
        return;
    }
    if (get && p == "/api/ps") {
        ojson list = ojson::array();
        std::map<std::string, std::int64_t> loaded;
        {
            std::lock_guard lock(m_mutex);
            loaded = m_loadedAt;
        }
        const auto now = QDateTime::currentMSecsSinceEpoch();
        for (const auto& [name, at] : loaded) {
            if (now - at > kKeepAliveMs) continue;
            list.push_back(ojson{{"name", name}, {"model", name}, {"size", modelSize(name)}, {"digest", digestOf(name)},
                                 {"details", details(name)}, {"expires_at", rfc3339(at + kKeepAliveMs)},
                                 {"size_vram", modelSize(name)}});
        }
        res->send(200, headersFor("application/json; charset=utf-8"), dump(ojson{{"models", list}}));
        return;
    }
    if (m == "POST" && p == "/api/show") {
        const auto body = nlohmann::json::parse(req->body.toStdString(), nullptr, false);
        std::string name;
        if (body.is_object()) name = body.value("model", body.value("name", std::string()));
        if (name.empty()) {
            res->send(400, headersFor("application/json; charset=utf-8"), dump(ojson{{"error", "model is required"}}));
            return;
        }
        if (!servesModel(name)) {
            res->send(404, headersFor("application/json; charset=utf-8"),
                      dump(ojson{{"error", "model '" + name + "' not found"}}));
            return;
        }
        const std::string fam = family(name);
        ojson info{{"general.architecture", fam},
                   {"general.parameter_count", static_cast<std::int64_t>(parameterBillions(name) * 1e9)},
                   {fam + ".context_length", 32768},
                   {fam + ".embedding_length", m_options.embeddingDimensions}};
        res->send(200, headersFor("application/json; charset=utf-8"),
                  dump(ojson{{"license", "Simulated model served by aigw-mock-backend; no weights involved."},
                             {"modelfile", "# Modelfile generated by \"ollama show\"\nFROM " + name + "\n"},
                             {"parameters", "stop                           \"<|im_end|>\""},
                             {"template", "{{ .Prompt }}"},
                             {"details", details(name)},
                             {"model_info", info},
                             {"capabilities", ojson::array({"completion"})},
                             {"modified_at", rfc3339(QDateTime::currentMSecsSinceEpoch() - 3600 * 1000)}}));
        return;
    }
    if (m == "POST" && p == "/api/pull") return servePull(std::move(req), std::move(res));
    if (get && p == "/v1/models") {
        ojson data = nullptr;  // Ollama (Go) encodes an empty list as null
        const auto created = QDateTime::currentSecsSinceEpoch() - 3600;
        for (const auto& name : models()) {
            if (data.is_null()) data = ojson::array();
            data.push_back(ojson{{"id", name}, {"object", "model"}, {"created", created}, {"owned_by", namespaceOf(name)}});
        }
        res->send(200, headersFor("application/json"), dump(ojson{{"object", "list"}, {"data", data}}, true));
        return;
    }
    if (get && p.rfind("/v1/models/", 0) == 0) {
        const std::string name = QByteArray::fromPercentEncoding(QByteArray::fromStdString(p.substr(11))).toStdString();
        if (!servesModel(name)) {
            res->send(404, headersFor("application/json"),
                      dump(ojson{{"error", {{"message", "model '" + name + "' not found"}, {"type", "not_found_error"},
                                            {"param", nullptr}, {"code", nullptr}}}},
                           true));
            return;
        }
        res->send(200, headersFor("application/json"),
                  dump(ojson{{"id", name}, {"object", "model"}, {"created", QDateTime::currentSecsSinceEpoch() - 3600},
                             {"owned_by", namespaceOf(name)}},
                       true));
        return;
    }
    using K = Exchange::Kind;
    static const std::map<std::string, std::pair<K, bool>> inference = {
        {"/v1/chat/completions", {K::Chat, true}},   {"/v1/completions", {K::Completion, true}},
        {"/v1/embeddings", {K::Embeddings, true}},   {"/v1/responses", {K::Responses, true}},
        {"/api/chat", {K::NativeChat, false}},
        {"/api/generate", {K::NativeGenerate, false}}, {"/api/embed", {K::NativeEmbed, false}},
    };
    if (m == "POST") {
        if (auto it = inference.find(p); it != inference.end()) {
            auto ex = std::make_shared<Exchange>();
            ex->started = m_clock->now();
            ex->req = std::move(req);
            ex->res = std::move(res);
            ex->kind = it->second.first;
            ex->openai = it->second.second;
            return handleInference(ex);
        }
    }
    res->send(404, headersFor("text/plain"), "404 page not found");  // gin's default
}

// ---------------------------------------------------------------------------------------------
// Inference

void MockServer::record(const std::shared_ptr<Exchange>& ex, int status, const char* outcome) {
    if (ex->recorded) return;
    ex->recorded = true;
    RequestRecord r{ex->req->path, ex->model, ex->stream, status, outcome};
    {
        std::lock_guard lock(m_mutex);
        m_stats.recent.push_back(r);
        if (m_stats.recent.size() > kRecentLimit) m_stats.recent.erase(m_stats.recent.begin());
    }
    emit requestRecorded(r);
}

void MockServer::sendError(const std::shared_ptr<Exchange>& ex, int status, const std::string& message, const char* outcome) {
    record(ex, status, outcome);
    if (ex->openai) {
        const char* type = status == 400 ? "invalid_request_error" : status == 404 ? "not_found_error" : "api_error";
        ex->res->send(status, headersFor("application/json"),
                      dump(ojson{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}}, true));
    } else {
        ex->res->send(status, headersFor("application/json; charset=utf-8"), dump(ojson{{"error", message}}));
    }
}

void MockServer::sendFaultError(const std::shared_ptr<Exchange>& ex, int status) {
    record(ex, status, "fault:error");
    if (ex->fault.errorPlainText) {
        // What a proxy or load balancer in front of the model server answers: text, not JSON.
        Headers h = headersFor("text/plain; charset=utf-8");
        if (ex->fault.retryAfterSeconds > 0) h.add("retry-after", std::to_string(ex->fault.retryAfterSeconds));
        const std::string text = status == 503 ? "upstream unavailable: " + m_options.name
                                               : "simulated failure on " + m_options.name + " (HTTP " + std::to_string(status) + ")";
        ex->res->send(status, std::move(h), QByteArray::fromStdString(text));
        return;
    }
    Headers h = headersFor(ex->openai ? "application/json" : "application/json; charset=utf-8");
    if (ex->fault.retryAfterSeconds > 0) h.add("retry-after", std::to_string(ex->fault.retryAfterSeconds));
    std::string message;
    ojson openaiError;
    if (status == 400) {
        const int limit = 32768;
        const int asked = limit + 1 + estimateTokens(ex->req->body.toStdString());
        message = "This model's maximum context length is " + std::to_string(limit) +
                  " tokens. However, your messages resulted in " + std::to_string(asked) +
                  " tokens. Please reduce the length of the messages.";
        openaiError = {{"message", message}, {"type", "invalid_request_error"}, {"param", "messages"},
                       {"code", "context_length_exceeded"}};
    } else if (status == 429) {
        message = "Rate limit reached for requests on " + m_options.name + ". Please try again later.";
        openaiError = {{"message", message}, {"type", "requests"}, {"param", nullptr}, {"code", "rate_limit_exceeded"}};
    } else {
        if (status == 503) message = "server busy, please try again.  maximum pending requests exceeded";
        else if (status == 500) message = "llama runner process has terminated: exit status 2";
        else message = "simulated failure on " + m_options.name + " (HTTP " + std::to_string(status) + ")";
        openaiError = {{"message", message}, {"type", "api_error"}, {"param", nullptr}, {"code", nullptr}};
    }
    if (ex->openai) ex->res->send(status, std::move(h), dump(ojson{{"error", openaiError}}, true));
    else ex->res->send(status, std::move(h), dump(ojson{{"error", message}}));
}

void MockServer::handleInference(const std::shared_ptr<Exchange>& ex) {
    // Parse first: counting needs the model. Parser exceptions stop here, at the I/O boundary.
    std::string parseError;
    try {
        ex->body = nlohmann::json::parse(ex->req->body.begin(), ex->req->body.end());
    } catch (const nlohmann::json::parse_error& e) {
        parseError = e.what();
        if (auto pos = parseError.find("] "); pos != std::string::npos) parseError = parseError.substr(pos + 2);
    }
    if (parseError.empty() && !ex->body.is_object()) parseError = "request body must be a JSON object";
    if (parseError.empty()) {
        if (ex->body.contains("model") && ex->body["model"].is_string()) ex->model = ex->body["model"].get<std::string>();
        const bool defaultStream = ex->kind == Exchange::Kind::NativeChat || ex->kind == Exchange::Kind::NativeGenerate;
        ex->stream = ex->body.contains("stream") && ex->body["stream"].is_boolean() ? ex->body["stream"].get<bool>() : defaultStream;
        if (ex->kind == Exchange::Kind::Embeddings || ex->kind == Exchange::Kind::NativeEmbed) ex->stream = false;
    }
    {
        std::lock_guard lock(m_mutex);
        ++m_stats.requests;
        ++m_stats.byModel[ex->model];
        ex->fault = m_fault;
    }
    if (!parseError.empty()) {
        sendError(ex, 400, "invalid request body: " + parseError, "bad_request");
        return;
    }

    std::weak_ptr<Exchange> weak = ex;
    ex->res->onClientDisconnected([this, weak] {
        if (auto e = weak.lock()) record(e, 0, "client_gone");
    });

    const FaultProfile& f = ex->fault;
    if (f.resetBeforeHeaders) {
        record(ex, 0, "fault:reset");
        ex->res->abort(http::AbortMode::Reset);
        return;
    }
    if (f.hang) {
        record(ex, 0, "fault:hang");
        park(ex->res, ex);  // the connection stays open and unanswered until the client gives up
        return;
    }
    int delay = f.latencyMs;
    if (f.latencyJitterMs > 0) delay += static_cast<int>(m_rng.below(static_cast<std::uint64_t>(f.latencyJitterMs) + 1));
    if (delay > 0) {
        after(delay, [this, ex] { afterLatency(ex); });
    } else {
        afterLatency(ex);
    }
}

void MockServer::afterLatency(const std::shared_ptr<Exchange>& ex) {
    if (!ex->res->isOpen()) return;
    const FaultProfile& f = ex->fault;
    if (f.errorStatus != 0 && (f.errorRate >= 1.0 || m_rng.uniform01() < f.errorRate)) {
        sendFaultError(ex, f.errorStatus);
        return;
    }
    if (ex->model.empty()) {
        sendError(ex, 400, "model is required", "bad_request");
        return;
    }
    if (!servesModel(ex->model)) {
        // Ollama's exact words (server/routes.go); the tutorial's retry-on-404 depends on this status.
        sendError(ex, 404, "model \"" + ex->model + "\" not found, try pulling it first", "not_found");
        return;
    }
    markLoaded(ex->model);
    switch (ex->kind) {
    case Exchange::Kind::Chat: return serveChat(ex);
    case Exchange::Kind::Completion: return serveCompletion(ex);
    case Exchange::Kind::Embeddings: return serveEmbeddings(ex);
    case Exchange::Kind::Responses: return serveResponses(ex);
    case Exchange::Kind::NativeChat: return serveNativeChat(ex);
    case Exchange::Kind::NativeGenerate: return serveNativeGenerate(ex);
    case Exchange::Kind::NativeEmbed: return serveNativeEmbed(ex);
    }
}

void MockServer::sendLater(const std::shared_ptr<Exchange>& ex, int delayMs, int status, const std::string& contentType,
                           QByteArray body) {
    auto send = [this, ex, status, contentType, body = std::move(body)] {
        if (!ex->res->isOpen()) return;
        record(ex, status, "ok");
        ex->res->send(status, headersFor(contentType), body);
    };
    if (delayMs <= 0) send();
    else after(delayMs, std::move(send));
}

void MockServer::sendNativeFinal(const std::shared_ptr<Exchange>& ex, int delayMs, std::function<QByteArray()> body) {
    // The body is built when the timer fires, so durations in it (total_duration) are measured.
    after(delayMs, [this, ex, body = std::move(body)] {
        if (!ex->res->isOpen()) return;
        record(ex, 200, "ok");
        ex->res->send(200, headersFor("application/json; charset=utf-8"), body());
    });
}

namespace {

struct ChatInput {
    std::string prompt;  ///< the last user message
    int promptTokens = 0;
    std::string error;
};

ChatInput readMessages(const nlohmann::json& messages) {
    ChatInput in;
    if (!messages.is_array()) {
        in.error = "[] is too short - 'messages'";
        return in;
    }
    for (const auto& m : messages) {
        if (!m.is_object()) {
            in.error = "invalid message format";
            return in;
        }
        const std::string text = m.contains("content") ? contentText(m["content"]) : std::string();
        in.promptTokens += estimateTokens(text) + 4;  // role markers of the chat template
        if (m.value("role", "") == "user") in.prompt = text;
    }
    in.promptTokens += 3;
    return in;
}

std::uint64_t requestSeed(std::uint64_t serverSeed, std::optional<int> seed) {
    return seed ? serverSeed ^ (static_cast<std::uint64_t>(*seed) * 0x9E3779B97F4A7C15ull) : serverSeed;
}

}  // namespace

void MockServer::serveChat(const std::shared_ptr<Exchange>& ex) {
    const auto& b = ex->body;
    if (!b.contains("messages") || !b["messages"].is_array() || b["messages"].empty()) {
        sendError(ex, 400, "[] is too short - 'messages'", "bad_request");
        return;
    }
    ChatInput in = readMessages(b["messages"]);
    if (!in.error.empty()) {
        sendError(ex, 400, in.error, "bad_request");
        return;
    }
    std::optional<int> maxTokens = intField(b, "max_tokens");
    if (!maxTokens) maxTokens = intField(b, "max_completion_tokens");
    const Generation g = generateReply(m_options.name, ex->model, in.prompt, requestSeed(m_options.seed, intField(b, "seed")), maxTokens);
    const int n = static_cast<int>(g.tokens.size());
    const ojson usage{{"prompt_tokens", in.promptTokens}, {"completion_tokens", n}, {"total_tokens", in.promptTokens + n}};
    const std::string id = "chatcmpl-" + std::to_string(m_rng.below(999));
    const auto created = QDateTime::currentSecsSinceEpoch();
    const int ttft = firstTokenDelay(ex->fault);

    if (!ex->stream) {
        ojson body{{"id", id},
                   {"object", "chat.completion"},
                   {"created", created},
                   {"model", ex->model},
                   {"system_fingerprint", "fp_ollama"},
                   {"choices", ojson::array({ojson{{"index", 0},
                                                   {"message", {{"role", "assistant"}, {"content", g.text()}}},
                                                   {"finish_reason", g.finishReason}}})},
                   {"usage", usage}};
        sendLater(ex, ttft + std::max(0, n - 1) * tokenIntervalMs(), 200, "application/json", dump(body, true));
        return;
    }
    const bool includeUsage = b.contains("stream_options") && b["stream_options"].is_object() &&
                              b["stream_options"].value("include_usage", false);
    auto chunk = [id, created, model = ex->model](const std::string& content, const ojson& finish) {
        return ojson{{"id", id},
                     {"object", "chat.completion.chunk"},
                     {"created", created},
                     {"model", model},
                     {"system_fingerprint", "fp_ollama"},
                     {"choices", ojson::array({ojson{{"index", 0},
                                                     {"delta", {{"role", "assistant"}, {"content", content}}},
                                                     {"finish_reason", finish}}})}};
    };
    auto job = std::make_shared<StreamJob>();
    job->ex = ex;
    job->contentType = "text/event-stream";
    job->tokens = n;
    job->tokenEvent = [chunk, tokens = g.tokens](int i) { return "data: " + dump(chunk(tokens[i], nullptr)) + "\n\n"; };
    job->finalEvents = "data: " + dump(chunk("", g.finishReason)) + "\n\n";
    if (includeUsage) {
        ojson u = chunk("", nullptr);
        u["choices"] = ojson::array();
        u["usage"] = usage;
        job->finalEvents += "data: " + dump(u) + "\n\n";
    }
    job->doneEvent = [] { return QByteArray("data: [DONE]\n\n"); };
    job->malformedEvent = "data: {\"id\":\"" + QByteArray::fromStdString(id) + "\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\n\n";
    runStream(job);
}

void MockServer::serveCompletion(const std::shared_ptr<Exchange>& ex) {
    const auto& b = ex->body;
    std::string prompt;
    if (b.contains("prompt")) {
        if (b["prompt"].is_string()) prompt = b["prompt"].get<std::string>();
        else if (b["prompt"].is_array() && !b["prompt"].empty() && b["prompt"][0].is_string()) prompt = b["prompt"][0].get<std::string>();
        else if (!b["prompt"].is_null()) {
            sendError(ex, 400, "json: cannot unmarshal prompt into Go struct field CompletionRequest.prompt of type string", "bad_request");
            return;
        }
    }
    const Generation g = generateReply(m_options.name, ex->model, prompt, requestSeed(m_options.seed, intField(b, "seed")),
                                       intField(b, "max_tokens"));
    const int n = static_cast<int>(g.tokens.size());
    const int promptTokens = estimateTokens(prompt) + 1;
    const ojson usage{{"prompt_tokens", promptTokens}, {"completion_tokens", n}, {"total_tokens", promptTokens + n}};
    const std::string id = "cmpl-" + std::to_string(m_rng.below(999));
    const auto created = QDateTime::currentSecsSinceEpoch();
    const int ttft = firstTokenDelay(ex->fault);
    if (!ex->stream) {
        ojson body{{"id", id},
                   {"object", "text_completion"},
                   {"created", created},
                   {"model", ex->model},
                   {"system_fingerprint", "fp_ollama"},
                   {"choices", ojson::array({ojson{{"text", g.text()}, {"index", 0}, {"finish_reason", g.finishReason}}})},
                   {"usage", usage}};
        sendLater(ex, ttft + std::max(0, n - 1) * tokenIntervalMs(), 200, "application/json", dump(body, true));
        return;
    }
    const bool includeUsage = b.contains("stream_options") && b["stream_options"].is_object() &&
                              b["stream_options"].value("include_usage", false);
    auto chunk = [id, created, model = ex->model, includeUsage](const std::string& text, const ojson& finish) {
        ojson c{{"id", id},
                {"object", "text_completion"},
                {"created", created},
                {"choices", ojson::array({ojson{{"text", text}, {"index", 0}, {"finish_reason", finish}}})},
                {"model", model},
                {"system_fingerprint", "fp_ollama"}};
        // Ollama puts a zero usage object on every chunk when include_usage is set.
        if (includeUsage) c["usage"] = {{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}};
        return c;
    };
    auto job = std::make_shared<StreamJob>();
    job->ex = ex;
    job->contentType = "text/event-stream";
    job->tokens = n;
    job->tokenEvent = [chunk, tokens = g.tokens](int i) { return "data: " + dump(chunk(tokens[i], nullptr)) + "\n\n"; };
    job->finalEvents = "data: " + dump(chunk("", g.finishReason)) + "\n\n";
    if (includeUsage) {
        ojson u = chunk("", nullptr);
        u["choices"] = ojson::array();
        u["usage"] = usage;
        job->finalEvents += "data: " + dump(u) + "\n\n";
    }
    job->doneEvent = [] { return QByteArray("data: [DONE]\n\n"); };
    job->malformedEvent = "data: {\"id\":\"" + QByteArray::fromStdString(id) + "\",\"object\":\"text_completion\",\"choices\":[{\"text\n\n";
    runStream(job);
}

namespace {

/// The prompt of a Responses API `input`: a string, or the text of the last user message among its
/// items (content a string or input_text parts); tokens counted over every item and `instructions`.
ChatInput readResponsesInput(const nlohmann::json& body) {
    ChatInput in;
    const nlohmann::json input = body.contains("input") ? body["input"] : nlohmann::json();
    if (input.is_string()) {
        in.prompt = input.get<std::string>();
        in.promptTokens = estimateTokens(in.prompt) + 4;
    } else if (input.is_array() && !input.empty()) {
        for (const auto& item : input) {
            if (!item.is_object()) {
                in.error = "Invalid type for 'input': expected an array of input items.";
                return in;
            }
            std::string text;
            if (item.contains("content")) {
                const auto& c = item["content"];
                if (c.is_string()) text = c.get<std::string>();
                else if (c.is_array())
                    for (const auto& part : c)
                        if (part.is_object() && part.contains("text") && part["text"].is_string()) {
                            if (!text.empty()) text += '\n';
                            text += part["text"].get<std::string>();
                        }
            }
            in.promptTokens += estimateTokens(text) + 4;
            if (item.value("role", "") == "user") in.prompt = text;
        }
    } else {
        in.error = "Missing required parameter: 'input'.";
        return in;
    }
    if (body.contains("instructions") && body["instructions"].is_string())
        in.promptTokens += estimateTokens(body["instructions"].get<std::string>()) + 4;
    in.promptTokens += 3;
    return in;
}

}  // namespace

void MockServer::serveResponses(const std::shared_ptr<Exchange>& ex) {
    const auto& b = ex->body;
    const ChatInput in = readResponsesInput(b);
    if (!in.error.empty()) {
        sendError(ex, 400, in.error, "bad_request");
        return;
    }
    const Generation g =
        generateReply(m_options.name, ex->model, in.prompt, requestSeed(m_options.seed, intField(b, "seed")), intField(b, "max_output_tokens"));
    const int n = static_cast<int>(g.tokens.size());
    const ojson usage{{"input_tokens", in.promptTokens},
                      {"input_tokens_details", {{"cached_tokens", 0}}},
                      {"output_tokens", n},
                      {"output_tokens_details", {{"reasoning_tokens", 0}}},
                      {"total_tokens", in.promptTokens + n}};
    const std::string suffix = std::to_string(m_rng.below(999999));
    const std::string id = "resp_" + suffix;
    const std::string itemId = "msg_" + suffix;
    const auto created = QDateTime::currentSecsSinceEpoch();
    const bool truncated = g.finishReason == "length";
    // The response object (OpenAI Responses API); `output` and `usage` filled in once complete.
    auto response = [id, created, model = ex->model, instructions = b.value("instructions", nlohmann::json()),
                     maxOut = b.value("max_output_tokens", nlohmann::json())](const char* status) {
        return ojson{{"id", id},
                     {"object", "response"},
                     {"created_at", created},
                     {"status", status},
                     {"error", nullptr},
                     {"incomplete_details", nullptr},
                     {"instructions", instructions},
                     {"max_output_tokens", maxOut},
                     {"model", model},
                     {"output", ojson::array()},
                     {"parallel_tool_calls", true},
                     {"previous_response_id", nullptr},
                     {"temperature", 1.0},
                     {"text", {{"format", {{"type", "text"}}}}},
                     {"tool_choice", "auto"},
                     {"tools", ojson::array()},
                     {"top_p", 1.0},
                     {"truncation", "disabled"},
                     {"usage", nullptr}};
    };
    auto message = [itemId](const char* status, const std::string& text) {
        return ojson{{"type", "message"},
                     {"id", itemId},
                     {"status", status},
                     {"role", "assistant"},
                     {"content", ojson::array({ojson{{"type", "output_text"}, {"text", text}, {"annotations", ojson::array()}}})}};
    };
    auto finished = [response, message, usage, truncated](const std::string& text) {
        ojson r = response(truncated ? "incomplete" : "completed");
        if (truncated) r["incomplete_details"] = {{"reason", "max_output_tokens"}};
        r["output"] = ojson::array({message(truncated ? "incomplete" : "completed", text)});
        r["usage"] = usage;
        return r;
    };
    const int ttft = firstTokenDelay(ex->fault);
    if (!ex->stream) {
        sendLater(ex, ttft + std::max(0, n - 1) * tokenIntervalMs(), 200, "application/json", dump(finished(g.text()), true));
        return;
    }
    // SSE with `event:` lines; sequence_number counts every event. No [DONE]: the stream ends with
    // response.completed (response.incomplete when max_output_tokens cut it).
    auto event = [](const std::string& type, int seq, ojson payload) {
        ojson e{{"type", type}, {"sequence_number", seq}};
        for (auto& [k, v] : payload.items()) e[k] = v;
        return QByteArray::fromStdString("event: " + type + "\ndata: ") + dump(e) + "\n\n";
    };
    auto job = std::make_shared<StreamJob>();
    job->ex = ex;
    job->contentType = "text/event-stream";
    job->tokens = n;
    ojson emptyItem = message("in_progress", "");
    emptyItem["content"] = ojson::array();
    job->prelude = event("response.created", 0, {{"response", response("in_progress")}}) +
                   event("response.in_progress", 1, {{"response", response("in_progress")}}) +
                   event("response.output_item.added", 2, {{"output_index", 0}, {"item", emptyItem}}) +
                   event("response.content_part.added", 3,
                         {{"item_id", itemId}, {"output_index", 0}, {"content_index", 0},
                          {"part", {{"type", "output_text"}, {"text", ""}, {"annotations", ojson::array()}}}});
    job->tokenEvent = [event, itemId, tokens = g.tokens](int i) {
        return event("response.output_text.delta", 4 + i,
                     {{"item_id", itemId}, {"output_index", 0}, {"content_index", 0}, {"delta", tokens[i]}});
    };
    const std::string text = g.text();
    job->finalEvents = event("response.output_text.done", 4 + n,
                             {{"item_id", itemId}, {"output_index", 0}, {"content_index", 0}, {"text", text}}) +
                       event("response.content_part.done", 5 + n,
                             {{"item_id", itemId}, {"output_index", 0}, {"content_index", 0},
                              {"part", {{"type", "output_text"}, {"text", text}, {"annotations", ojson::array()}}}}) +
                       event("response.output_item.done", 6 + n,
                             {{"output_index", 0}, {"item", message(truncated ? "incomplete" : "completed", text)}});
    job->doneEvent = [event, finished, text, n, truncated] {
        return event(truncated ? "response.incomplete" : "response.completed", 7 + n, {{"response", finished(text)}});
    };
    job->malformedEvent = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\n\n";
    runStream(job);
}

namespace {
// Embedding inputs: a string or an array of strings (token arrays are not supported, as in Ollama).
std::optional<std::vector<std::string>> embeddingInputs(const nlohmann::json& input) {
    if (input.is_string()) return std::vector<std::string>{input.get<std::string>()};
    if (input.is_array() && !input.empty()) {
        std::vector<std::string> out;
        for (const auto& v : input) {
            if (!v.is_string()) return std::nullopt;
            out.push_back(v.get<std::string>());
        }
        return out;
    }
    return std::nullopt;
}
}  // namespace

void MockServer::serveEmbeddings(const std::shared_ptr<Exchange>& ex) {
    const auto& b = ex->body;
    const auto inputs = embeddingInputs(b.contains("input") ? b["input"] : nlohmann::json());
    if (!inputs) {
        sendError(ex, 400, "invalid input", "bad_request");
        return;
    }
    const std::string format = b.value("encoding_format", "");
    if (!format.empty() && format != "float" && format != "base64") {
        sendError(ex, 400, "Invalid value for 'encoding_format' = " + format + ". Supported values: ['float', 'base64'].", "bad_request");
        return;
    }
    const int dims = intField(b, "dimensions").value_or(m_options.embeddingDimensions);
    ojson data = ojson::array();
    int tokens = 0;
    for (std::size_t i = 0; i < inputs->size(); ++i) {
        const auto v = embed(ex->model, (*inputs)[i], dims);
        tokens += estimateTokens((*inputs)[i]);
        ojson e{{"object", "embedding"}};
        if (format == "base64") {
            e["embedding"] = QByteArray(reinterpret_cast<const char*>(v.data()), static_cast<qsizetype>(v.size() * sizeof(float)))
                                 .toBase64()
                                 .toStdString();
        } else {
            e["embedding"] = v;
        }
        e["index"] = i;
        data.push_back(std::move(e));
    }
    ojson body{{"object", "list"}, {"data", data}, {"model", ex->model}, {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
    sendLater(ex, firstTokenDelay(ex->fault), 200, "application/json", dump(body, true));
}

void MockServer::serveNativeEmbed(const std::shared_ptr<Exchange>& ex) {
    const auto& b = ex->body;
    const auto inputs = embeddingInputs(b.contains("input") ? b["input"] : nlohmann::json());
    if (!inputs) {
        sendError(ex, 400, "invalid input type", "bad_request");
        return;
    }
    const int dims = intField(b, "dimensions").value_or(m_options.embeddingDimensions);
    ojson list = ojson::array();
    int tokens = 0;
    for (const auto& in : *inputs) {
        list.push_back(embed(ex->model, in, dims));
        tokens += estimateTokens(in);
    }
    const int delay = firstTokenDelay(ex->fault);
    ojson body{{"model", ex->model}, {"embeddings", list}, {"total_duration", std::int64_t(delay) * 1000000 + 2000000},
               {"load_duration", 1000000}, {"prompt_eval_count", tokens}};
    sendLater(ex, delay, 200, "application/json; charset=utf-8", dump(body));
}

void MockServer::serveNativeChat(const std::shared_ptr<Exchange>& ex) {
    const auto& b = ex->body;
    const std::string created = rfc3339(QDateTime::currentMSecsSinceEpoch());
    if (!b.contains("messages") || !b["messages"].is_array() || b["messages"].empty()) {
        // Ollama answers an empty chat by loading the model.
        sendLater(ex, 0, 200, "application/json; charset=utf-8",
                  dump(ojson{{"model", ex->model}, {"created_at", created}, {"message", {{"role", "assistant"}, {"content", ""}}},
                             {"done_reason", "load"}, {"done", true}}) + (ex->stream ? "\n" : ""));
        return;
    }
    ChatInput in = readMessages(b["messages"]);
    if (!in.error.empty()) {
        sendError(ex, 400, in.error, "bad_request");
        return;
    }
    const nlohmann::json options = b.contains("options") && b["options"].is_object() ? b["options"] : nlohmann::json::object();
    const Generation g = generateReply(m_options.name, ex->model, in.prompt, requestSeed(m_options.seed, intField(options, "seed")),
                                       intField(options, "num_predict"));
    const int n = static_cast<int>(g.tokens.size());
    const int ttft = firstTokenDelay(ex->fault);
    const int interval = tokenIntervalMs();
    auto finalLine = [ex, g, n, ttft, interval, promptTokens = in.promptTokens, clock = m_clock](const std::string& content) {
        const std::int64_t evalNs = std::int64_t(std::max(1, n) * std::max(1, interval)) * 1000000;
        return ojson{{"model", ex->model},
                     {"created_at", rfc3339(QDateTime::currentMSecsSinceEpoch())},
                     {"message", {{"role", "assistant"}, {"content", content}}},
                     {"done_reason", g.finishReason},
                     {"done", true},
                     {"total_duration", std::chrono::duration_cast<std::chrono::nanoseconds>(clock->now() - ex->started).count()},
                     {"load_duration", 2000000},
                     {"prompt_eval_count", promptTokens},
                     {"prompt_eval_duration", std::int64_t(ttft) * 1000000},
                     {"eval_count", n},
                     {"eval_duration", evalNs}};
    };
    if (!ex->stream) {
        sendNativeFinal(ex, ttft + std::max(0, n - 1) * interval, [finalLine, text = g.text()] { return dump(finalLine(text)); });
        return;
    }
    auto job = std::make_shared<StreamJob>();
    job->ex = ex;
    job->contentType = "application/x-ndjson";
    job->tokens = n;
    job->tokenEvent = [model = ex->model, tokens = g.tokens](int i) {
        return dump(ojson{{"model", model},
                          {"created_at", rfc3339(QDateTime::currentMSecsSinceEpoch())},
                          {"message", {{"role", "assistant"}, {"content", tokens[i]}}},
                          {"done", false}},
                    true);
    };
    job->doneEvent = [finalLine] { return dump(finalLine(""), true); };
    job->malformedEvent = "{\"model\":\"" + QByteArray::fromStdString(ex->model) + "\",\"message\":{\"content\n";
    runStream(job);
}

void MockServer::serveNativeGenerate(const std::shared_ptr<Exchange>& ex) {
    const auto& b = ex->body;
    const std::string prompt = b.contains("prompt") && b["prompt"].is_string() ? b["prompt"].get<std::string>() : std::string();
    if (prompt.empty()) {
        sendLater(ex, 0, 200, "application/json; charset=utf-8",
                  dump(ojson{{"model", ex->model}, {"created_at", rfc3339(QDateTime::currentMSecsSinceEpoch())},
                             {"response", ""}, {"done", true}, {"done_reason", "load"}}) + (ex->stream ? "\n" : ""));
        return;
    }
    const nlohmann::json options = b.contains("options") && b["options"].is_object() ? b["options"] : nlohmann::json::object();
    const Generation g = generateReply(m_options.name, ex->model, prompt, requestSeed(m_options.seed, intField(options, "seed")),
                                       intField(options, "num_predict"));
    const int n = static_cast<int>(g.tokens.size());
    const int promptTokens = estimateTokens(prompt) + 1;
    const int ttft = firstTokenDelay(ex->fault);
    const int interval = tokenIntervalMs();
    auto finalLine = [ex, g, n, ttft, interval, promptTokens, clock = m_clock](const std::string& response) {
        ojson context = ojson::array();
        SeededRandom ids(stableHash({ex->model, g.text()}));
        for (int i = 0; i < promptTokens + n && i < 4096; ++i) context.push_back(ids.below(151000));
        return ojson{{"model", ex->model},
                     {"created_at", rfc3339(QDateTime::currentMSecsSinceEpoch())},
                     {"response", response},
                     {"done", true},
                     {"done_reason", g.finishReason},
                     {"context", context},
                     {"total_duration", std::chrono::duration_cast<std::chrono::nanoseconds>(clock->now() - ex->started).count()},
                     {"load_duration", 2000000},
                     {"prompt_eval_count", promptTokens},
                     {"prompt_eval_duration", std::int64_t(ttft) * 1000000},
                     {"eval_count", n},
                     {"eval_duration", std::int64_t(std::max(1, n) * std::max(1, interval)) * 1000000}};
    };
    if (!ex->stream) {
        sendNativeFinal(ex, ttft + std::max(0, n - 1) * interval, [finalLine, text = g.text()] { return dump(finalLine(text)); });
        return;
    }
    auto job = std::make_shared<StreamJob>();
    job->ex = ex;
    job->contentType = "application/x-ndjson";
    job->tokens = n;
    job->tokenEvent = [model = ex->model, tokens = g.tokens](int i) {
        return dump(ojson{{"model", model},
                          {"created_at", rfc3339(QDateTime::currentMSecsSinceEpoch())},
                          {"response", tokens[i]},
                          {"done", false}},
                    true);
    };
    job->doneEvent = [finalLine] { return dump(finalLine(""), true); };
    job->malformedEvent = "{\"model\":\"" + QByteArray::fromStdString(ex->model) + "\",\"response\n";
    runStream(job);
}

// ---------------------------------------------------------------------------------------------
// Streaming: headers go out with the first event (as from Ollama), then one event per token at
// the configured pace, then the final events and the done marker. Faults hook in between tokens.

void MockServer::runStream(const std::shared_ptr<StreamJob>& job) {
    job->started = m_clock->now();
    job->lastDueMs = firstTokenDelay(job->ex->fault);
    after(static_cast<int>(job->lastDueMs), [this, job] { streamStep(job); });
}

void MockServer::streamStep(const std::shared_ptr<StreamJob>& job) {
    Exchange& ex = *job->ex;
    if (!ex.res->isOpen()) return;
    const FaultProfile& f = ex.fault;
    const int interval = tokenIntervalMs();
    if (!ex.res->headersSent()) {
        Headers h = headersFor(job->contentType);
        if (job->contentType == "text/event-stream") h.add("cache-control", "no-cache");
        ex.res->startStream(200, std::move(h));
        if (!job->prelude.isEmpty()) ex.res->writeChunk(job->prelude);
    }
    while (true) {
        const int i = job->next;
        const int at = std::min(i, job->tokens);  // faults set beyond the reply's length fire at its end
        if (f.cutAfterTokens && at == std::min(*f.cutAfterTokens, job->tokens)) {
            record(job->ex, 200, "fault:cut");
            ex.res->abort(http::AbortMode::Close);
            return;
        }
        if (f.malformedAfterTokens && !job->malformedSent && at == std::min(*f.malformedAfterTokens, job->tokens)) {
            job->malformedSent = true;
            ex.res->writeChunk(job->malformedEvent);
        }
        if (f.stallAfterTokens && !job->stallDone && at == std::min(*f.stallAfterTokens, job->tokens)) {
            job->stallDone = true;
            if (f.stallMs <= 0) {
                record(job->ex, 200, "fault:stall");
                park(ex.res, job);  // never resumes; the client's idle timeout has to end it
                return;
            }
            job->lastDueMs = elapsedMs(job->started) + f.stallMs;
            after(f.stallMs, [this, job] { streamStep(job); });
            return;
        }
        if (i >= job->tokens) break;
        ex.res->writeChunk(job->tokenEvent(i));
        job->next = i + 1;
        if (interval > 0 && job->next < job->tokens) {
            job->lastDueMs += interval;
            const qint64 wait = std::max<qint64>(0, job->lastDueMs - elapsedMs(job->started));
            after(static_cast<int>(wait), [this, job] { streamStep(job); });
            return;
        }
    }
    record(job->ex, 200, "ok");
    if (!job->finalEvents.isEmpty()) ex.res->writeChunk(job->finalEvents);
    if (!f.omitDone && job->doneEvent) ex.res->writeChunk(job->doneEvent());
    ex.res->finish();
}

// ---------------------------------------------------------------------------------------------
// /api/pull: NDJSON progress as Ollama streams it, then the model is served.

void MockServer::servePull(std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
    const auto body = nlohmann::json::parse(req->body.toStdString(), nullptr, false);
    std::string name;
    bool stream = true;
    if (body.is_object()) {
        name = body.value("model", body.value("name", std::string()));
        if (body.contains("stream") && body["stream"].is_boolean()) stream = body["stream"].get<bool>();
    }
    if (name.empty()) {
        res->send(400, headersFor("application/json; charset=utf-8"), dump(ojson{{"error", "model is required"}}));
        return;
    }
    const bool known = servesModel(name);
    if (!known && !m_options.allowPull) {
        const std::string err = "pull model manifest: file does not exist";
        if (!stream) {
            res->send(500, headersFor("application/json; charset=utf-8"), dump(ojson{{"error", err}}));
        } else {
            res->startStream(200, headersFor("application/x-ndjson"));
            res->writeChunk(dump(ojson{{"status", "pulling manifest"}}, true));
            res->writeChunk(dump(ojson{{"error", err}}, true));
            res->finish();
        }
        return;
    }
    const std::string digest = digestOf(name);
    const std::int64_t total = modelSize(name);
    std::vector<QByteArray> lines;
    lines.push_back(dump(ojson{{"status", "pulling manifest"}}, true));
    const int steps = known ? 1 : 5;  // an already present model "downloads" at once
    for (int s = 0; s <= steps; ++s) {
        ojson line{{"status", "pulling " + digest.substr(0, 12)}, {"digest", "sha256:" + digest}, {"total", total}};
        if (s > 0) line["completed"] = total * s / steps;
        lines.push_back(dump(line, true));
    }
    lines.push_back(dump(ojson{{"status", "verifying sha256 digest"}}, true));
    lines.push_back(dump(ojson{{"status", "writing manifest"}}, true));
    lines.push_back(dump(ojson{{"status", "success"}}, true));
    const int stepMs = m_options.pullStepMs;
    if (!stream) {
        after(stepMs * static_cast<int>(lines.size()), [this, res, name] {
            if (!res->isOpen()) return;
            addModel(name);
            res->send(200, headersFor("application/json; charset=utf-8"), dump(ojson{{"status", "success"}}));
        });
        return;
    }
    res->startStream(200, headersFor("application/x-ndjson"));
    auto shared = std::make_shared<std::vector<QByteArray>>(std::move(lines));
    for (std::size_t i = 0; i < shared->size(); ++i) {
        after(stepMs * static_cast<int>(i), [this, res, shared, i, name] {
            if (!res->isOpen()) return;
            if (i + 1 == shared->size()) addModel(name);  // served before "success" is seen
            res->writeChunk((*shared)[i]);
            if (i + 1 == shared->size()) res->finish();
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Simulator-only control endpoints.

void MockServer::serveControl(std::shared_ptr<HttpRequest> req, std::shared_ptr<HttpResponder> res) {
    const auto json = [&](int status, const nlohmann::json& j) { res->send(status, headersFor("application/json"), QByteArray::fromStdString(j.dump())); };
    if (req->path == "/_mock/fault") {
        if (req->method == "GET") return json(200, nlohmann::json(fault()));
        if (req->method == "DELETE") {
            clearFault();
            return json(200, nlohmann::json{{"fault", nlohmann::json::object()}, {"description", "none"}});
        }
        if (req->method == "POST" || req->method == "PUT") {
            auto parsed = parseFaultProfile(req->body.toStdString());
            if (!parsed) return json(400, nlohmann::json{{"error", parsed.error().toString()}});
            setFault(parsed.value());
            return json(200, nlohmann::json{{"fault", parsed.value()}, {"description", parsed.value().describe()}});
        }
        return json(405, nlohmann::json{{"error", "use GET, POST or DELETE"}});
    }
    if (req->path == "/_mock/stats") {
        if (req->method == "DELETE") {
            resetStats();
            return json(200, nlohmann::json{{"requests", 0}});
        }
        if (req->method == "GET") {
            const MockStats s = stats();
            nlohmann::json recent = nlohmann::json::array();
            for (const auto& r : s.recent) {
                recent.push_back({{"endpoint", r.endpoint}, {"model", r.model}, {"stream", r.stream}, {"status", r.status},
                                  {"outcome", r.outcome}});
            }
            return json(200, nlohmann::json{{"name", m_options.name}, {"models", models()}, {"requests", s.requests},
                                             {"byModel", s.byModel}, {"recent", recent}, {"fault", fault()}});
        }
        return json(405, nlohmann::json{{"error", "use GET or DELETE"}});
    }
    json(404, nlohmann::json{{"error", "unknown control endpoint " + req->path}});
}

}  // namespace aigw::mock
