// MockServer in-process: endpoint shapes, 404 wording, determinism, streaming pace, faults, stats.
#include <QtTest>

#include <set>

#include "mock_test_util.h"
#include "mockbackends/mock_server.h"
#include "mockbackends/text_gen.h"

using namespace aigw;
using namespace aigw::mock;
using namespace aigw::mock::testing;
using nlohmann::json;


namespace {

const std::string kModel = "qwen2.5:1.5b";

std::string chatBody(const std::string& model, const std::string& prompt, const json& extra = json::object()) {
    json b{{"model", model}, {"messages", json::array({json{{"role", "user"}, {"content", prompt}}})}};
    b.update(extra);
    return b.dump();
}

std::unique_ptr<MockServer> startServer(MockOptions o = {}) {
    if (o.models.empty()) o.models = {kModel, "llama3.2:3b"};
    if (o.name == "mock") o.name = "qwen-primary";
    auto s = std::make_unique<MockServer>(o);
    auto port = s->listen("127.0.0.1", 0);
    if (!port) qFatal("listen failed: %s", port.error().message.c_str());
    return s;
}

/// A mock server on a hand-stepped clock: nothing it delays (first token, pace, latency, stalls)
/// happens until the test moves time, so its timing is checked exactly and never depends on load.
struct SteppedServer {
    ManualClock clock;
    SimScheduler timers{clock};
    std::unique_ptr<MockServer> server;

    explicit SteppedServer(MockOptions o) {
        o.clock = &clock;
        o.scheduler = &timers;
        server = startServer(std::move(o));
    }
    ~SteppedServer() { server.reset(); }  // before the clock and timers it uses
    MockServer* operator->() const { return server.get(); }
    /// Waits (event loop running) until a request reached the server and it set a timer.
    bool waitTimer() { return QTest::qWaitFor([&] { return timers.pending() > 0; }, kHungMs); }
    /// Moves time on by `d`, running every timer that falls due (0: the ones due now).
    void advance(Duration d) { timers.runUntil(clock.now() + d); }
    /// Steps 1 ms at a time until no timer is pending; returns the elapsed ms, or -1 past `limitMs`.
    qint64 runToIdle(qint64 limitMs) {
        const TimePoint from = clock.now();
        for (qint64 t = 0; t <= limitMs; ++t) {
            advance(ms(t == 0 ? 0 : 1));
            if (timers.pending() == 0) return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - from).count();
        }
        return -1;
    }
};

MockOptions fast() {
    MockOptions o;
    o.firstTokenMs = 0;
    o.tokensPerSecond = 0;
    return o;
}

}  // namespace

class TestMockServer : public QObject {
    Q_OBJECT
private slots:
    void chatCompletionShape() {
        auto s = startServer(fast());
        http::HttpClient c;
        const Reply r = call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "What is a gateway?"));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.headers.value("content-type"), std::string("application/json"));
        const json j = r.json();
        QVERIFY(std::string(j["id"]).rfind("chatcmpl-", 0) == 0);
        QCOMPARE(j["object"], "chat.completion");
        QVERIFY(j["created"].is_number_integer());
        QCOMPARE(j["model"], kModel);
        QCOMPARE(j["system_fingerprint"], "fp_ollama");
        QCOMPARE(j["choices"].size(), std::size_t(1));
        QCOMPARE(j["choices"][0]["index"], 0);
        QCOMPARE(j["choices"][0]["message"]["role"], "assistant");
        QCOMPARE(j["choices"][0]["finish_reason"], "stop");
        const std::string content = j["choices"][0]["message"]["content"];
        QVERIFY2(content.find("qwen-primary") != std::string::npos, content.c_str());
        QVERIFY(content.find(kModel) != std::string::npos);
        QVERIFY(content.find("What is a gateway?") != std::string::npos);
        const auto& u = j["usage"];
        QVERIFY(u["prompt_tokens"].get<int>() > 0);
        QVERIFY(u["completion_tokens"].get<int>() >= 12);
        QCOMPARE(u["total_tokens"].get<int>(), u["prompt_tokens"].get<int>() + u["completion_tokens"].get<int>());
    }

    void responsesShape() {
        auto s = startServer(fast());
        http::HttpClient c;
        const json input = json::array({json{{"role", "user"}, {"content", json::array({json{{"type", "input_text"}, {"text", "What is a gateway?"}}})}}});
        const Reply r = call(c, s->port(), "POST", "/v1/responses", json{{"model", kModel}, {"input", input}, {"instructions", "Be brief."}}.dump());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.headers.value("content-type"), std::string("application/json"));
        const json j = r.json();
        QVERIFY(std::string(j["id"]).rfind("resp_", 0) == 0);
        QCOMPARE(j["object"], "response");
        QCOMPARE(j["status"], "completed");
        QCOMPARE(j["model"], kModel);
        QCOMPARE(j["instructions"], "Be brief.");
        QCOMPARE(j["output"].size(), std::size_t(1));
        QCOMPARE(j["output"][0]["type"], "message");
        QCOMPARE(j["output"][0]["role"], "assistant");
        QCOMPARE(j["output"][0]["content"][0]["type"], "output_text");
        const std::string text = j["output"][0]["content"][0]["text"];
        QVERIFY2(text.find("What is a gateway?") != std::string::npos, text.c_str());
        const auto& u = j["usage"];
        QVERIFY(u["input_tokens"].get<int>() > 0);
        QCOMPARE(u["total_tokens"].get<int>(), u["input_tokens"].get<int>() + u["output_tokens"].get<int>());
        // Streamed: event/data pairs with increasing sequence numbers, deltas adding up to the text.
        const Reply st = call(c, s->port(), "POST", "/v1/responses", json{{"model", kModel}, {"input", input}, {"stream", true}}.dump());
        QCOMPARE(st.status, 200);
        QCOMPARE(st.headers.value("content-type"), std::string("text/event-stream"));
        std::string deltas;
        std::vector<std::string> types;
        int seq = -1;
        json completed;
        for (const QByteArray& block : st.body.split('\n')) {
            if (!block.startsWith("data: ")) continue;
            const json e = json::parse(block.mid(6).toStdString());
            QCOMPARE(e["sequence_number"].get<int>(), seq + 1);
            seq = e["sequence_number"];
            types.push_back(e["type"]);
            if (e["type"] == "response.output_text.delta") deltas += e["delta"].get<std::string>();
            if (e["type"] == "response.completed") completed = e["response"];
        }
        QCOMPARE(types.front(), std::string("response.created"));
        QCOMPARE(types.back(), std::string("response.completed"));
        QVERIFY(!st.body.contains("[DONE]"));
        QCOMPARE(completed["output"][0]["content"][0]["text"].get<std::string>(), deltas);
        QVERIFY(completed["usage"]["output_tokens"].get<int>() > 0);
        // A bad input is OpenAI's 400.
        const Reply bad = call(c, s->port(), "POST", "/v1/responses", json{{"model", kModel}}.dump());
        QCOMPARE(bad.status, 400);
        QCOMPARE(bad.json()["error"]["message"], "Missing required parameter: 'input'.");
    }

    void unservedPathIsGins404() {
        auto s = startServer(fast());
        http::HttpClient c;
        const Reply r = call(c, s->port(), "POST", "/v1/images/generations", json{{"model", kModel}}.dump());
        QCOMPARE(r.status, 404);
        QCOMPARE(r.headers.value("content-type"), std::string("text/plain"));
        QCOMPARE(r.body, QByteArray("404 page not found"));
    }

    void faultErrorAsPlainText() {
        MockOptions o = fast();
        o.fault.errorStatus = 503;
        o.fault.errorPlainText = true;
        auto s = startServer(o);
        http::HttpClient c;
        const Reply r = call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "x"));
        QCOMPARE(r.status, 503);
        QCOMPARE(r.headers.value("content-type"), std::string("text/plain; charset=utf-8"));
        QCOMPARE(r.body, QByteArray("upstream unavailable: qwen-primary"));
        QVERIFY(o.fault.describe().find("text/plain") != std::string::npos);
    }

    void generatedTextIsDeterministicAndDependsOnModelAndPrompt() {
        auto s = startServer(fast());
        http::HttpClient c;
        auto content = [&](const std::string& model, const std::string& prompt) {
            return call(c, s->port(), "POST", "/v1/chat/completions", chatBody(model, prompt)).json()["choices"][0]["message"]["content"].get<std::string>();
        };
        QCOMPARE(content(kModel, "same"), content(kModel, "same"));
        QVERIFY(content(kModel, "same") != content("llama3.2:3b", "same"));
        // A second server with the same seed says the same thing.
        auto s2 = startServer(fast());
        QCOMPARE(call(c, s2->port(), "POST", "/v1/chat/completions", chatBody(kModel, "p")).json()["choices"][0]["message"]["content"],
                 content(kModel, "p"));
    }

    void maxTokensTruncatesWithLength() {
        auto s = startServer(fast());
        http::HttpClient c;
        const json j = call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "x", {{"max_tokens", 3}})).json();
        QCOMPARE(j["choices"][0]["finish_reason"], "length");
        QCOMPARE(j["usage"]["completion_tokens"], 3);
    }

    void completionsShape() {
        auto s = startServer(fast());
        http::HttpClient c;
        const Reply r = call(c, s->port(), "POST", "/v1/completions", json{{"model", kModel}, {"prompt", "Once upon"}}.dump());
        QCOMPARE(r.status, 200);
        const json j = r.json();
        QVERIFY(std::string(j["id"]).rfind("cmpl-", 0) == 0);
        QCOMPARE(j["object"], "text_completion");
        QCOMPARE(j["model"], kModel);
        QVERIFY(std::string(j["choices"][0]["text"]).find("qwen-primary") != std::string::npos);
        QCOMPARE(j["choices"][0]["finish_reason"], "stop");
        QCOMPARE(j["usage"]["total_tokens"].get<int>(), j["usage"]["prompt_tokens"].get<int>() + j["usage"]["completion_tokens"].get<int>());
    }

    void embeddingsShape() {
        auto s = startServer(fast());
        http::HttpClient c;
        const Reply r = call(c, s->port(), "POST", "/v1/embeddings",
                             json{{"model", kModel}, {"input", json::array({"hello", "world"})}, {"dimensions", 16}}.dump());
        QCOMPARE(r.status, 200);
        const json j = r.json();
        QCOMPARE(j["object"], "list");
        QCOMPARE(j["model"], kModel);
        QCOMPARE(j["data"].size(), std::size_t(2));
        QCOMPARE(j["data"][1]["index"], 1);
        QCOMPARE(j["data"][0]["object"], "embedding");
        QCOMPARE(j["data"][0]["embedding"].size(), std::size_t(16));
        double norm = 0;
        for (double x : j["data"][0]["embedding"]) norm += x * x;
        QVERIFY(std::abs(norm - 1.0) < 1e-4);
        QCOMPARE(j["usage"]["prompt_tokens"], j["usage"]["total_tokens"]);
        const Reply b64 = call(c, s->port(), "POST", "/v1/embeddings",
                               json{{"model", kModel}, {"input", "hi"}, {"dimensions", 4}, {"encoding_format", "base64"}}.dump());
        QCOMPARE(QByteArray::fromBase64(QByteArray::fromStdString(b64.json()["data"][0]["embedding"].get<std::string>())).size(), 16);
        QCOMPARE(call(c, s->port(), "POST", "/v1/embeddings", json{{"model", kModel}, {"input", json::array()}}.dump()).status, 400);
        QCOMPARE(call(c, s->port(), "POST", "/v1/embeddings", json{{"model", kModel}, {"input", "x"}, {"encoding_format", "hex"}}.dump()).status, 400);
    }

    void modelListsAndVersion() {
        auto s = startServer(fast());
        http::HttpClient c;
        const json models = call(c, s->port(), "GET", "/v1/models").json();
        QCOMPARE(models["object"], "list");
        QCOMPARE(models["data"].size(), std::size_t(2));
        QCOMPARE(models["data"][0]["id"], kModel);
        QCOMPARE(models["data"][0]["object"], "model");
        QCOMPARE(models["data"][0]["owned_by"], "library");
        const json one = call(c, s->port(), "GET", "/v1/models/" + kModel).json();
        QCOMPARE(one["id"], kModel);
        const Reply missing = call(c, s->port(), "GET", "/v1/models/nope");
        QCOMPARE(missing.status, 404);
        QCOMPARE(missing.json()["error"]["type"], "not_found_error");

        const json tags = call(c, s->port(), "GET", "/api/tags").json();
        QCOMPARE(tags["models"].size(), std::size_t(2));
        const json& t = tags["models"][0];
        QCOMPARE(t["name"], kModel);
        QCOMPARE(t["model"], kModel);
        QVERIFY(t["size"].get<std::int64_t>() > 0);
        QCOMPARE(std::string(t["digest"]).size(), std::size_t(64));
        QCOMPARE(t["details"]["format"], "gguf");
        QCOMPARE(t["details"]["family"], "qwen2");
        QCOMPARE(t["details"]["parameter_size"], "1.5B");
        QVERIFY(t.contains("modified_at"));

        QVERIFY(call(c, s->port(), "GET", "/api/version").json()["version"].is_string());
        const Reply root = call(c, s->port(), "GET", "/");
        QCOMPARE(root.body, QByteArray("Ollama is running"));
        const Reply unknown = call(c, s->port(), "GET", "/nope");
        QCOMPARE(unknown.status, 404);
        QCOMPARE(unknown.body, QByteArray("404 page not found"));

        // A server with no models lists null, as Ollama's Go encoder does.
        MockOptions empty = fast();
        empty.models = {};
        MockServer bare(empty);
        QVERIFY(bare.listen("127.0.0.1", 0).ok());
        QVERIFY(call(c, bare.port(), "GET", "/v1/models").json()["data"].is_null());
    }

    void showAndPs() {
        auto s = startServer(fast());
        http::HttpClient c;
        const Reply show = call(c, s->port(), "POST", "/api/show", json{{"model", kModel}}.dump());
        QCOMPARE(show.status, 200);
        const json j = show.json();
        for (const char* key : {"license", "modelfile", "parameters", "template", "details", "model_info", "capabilities"}) {
            QVERIFY2(j.contains(key), key);
        }
        QCOMPARE(j["model_info"]["general.architecture"], "qwen2");
        const Reply missing = call(c, s->port(), "POST", "/api/show", json{{"name", "nope"}}.dump());
        QCOMPARE(missing.status, 404);
        QCOMPARE(missing.json()["error"], "model 'nope' not found");

        QCOMPARE(call(c, s->port(), "GET", "/api/ps").json()["models"].size(), std::size_t(0));
        call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "load it"));
        const json ps = call(c, s->port(), "GET", "/api/ps").json();
        QCOMPARE(ps["models"].size(), std::size_t(1));
        QCOMPARE(ps["models"][0]["name"], kModel);
        QVERIFY(ps["models"][0].contains("expires_at"));
        QVERIFY(ps["models"][0].contains("size_vram"));
    }

    void nativeChatAndGenerate() {
        auto s = startServer(fast());
        http::HttpClient c;
        // Non-streaming.
        const Reply chat = call(c, s->port(), "POST", "/api/chat",
                                json{{"model", kModel}, {"stream", false}, {"messages", json::array({json{{"role", "user"}, {"content", "hi"}}})}}.dump());
        QCOMPARE(chat.status, 200);
        json j = chat.json();
        QCOMPARE(j["model"], kModel);
        QCOMPARE(j["message"]["role"], "assistant");
        QVERIFY(std::string(j["message"]["content"]).find("qwen-primary") != std::string::npos);
        QCOMPARE(j["done"], true);
        QCOMPARE(j["done_reason"], "stop");
        for (const char* key : {"created_at", "total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration"}) {
            QVERIFY2(j.contains(key), key);
        }
        // Streaming is the default on /api/chat: NDJSON lines, the last one done.
        StreamCapture cap;
        stream(c, s->port(), "/api/chat", json{{"model", kModel}, {"messages", json::array({json{{"role", "user"}, {"content", "hi"}}})}}.dump(), cap);
        QTRY_VERIFY_WITH_TIMEOUT(cap.finished(), kHungMs);
        QVERIFY(cap.completed);
        QCOMPARE(cap.head->headers.value("content-type"), std::string("application/x-ndjson"));
        const auto lines = cap.lines();
        QVERIFY(lines.size() > 3);
        std::string assembled;
        for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
            const json l = json::parse(lines[i]);
            QCOMPARE(l["done"], false);
            assembled += l["message"]["content"].get<std::string>();
        }
        const json last = json::parse(lines.back());
        QCOMPARE(last["done"], true);
        QCOMPARE(last["eval_count"].get<std::size_t>(), lines.size() - 1);
        QCOMPARE(assembled, j["message"]["content"].get<std::string>());

        const Reply gen = call(c, s->port(), "POST", "/api/generate", json{{"model", kModel}, {"prompt", "why"}, {"stream", false}}.dump());
        j = gen.json();
        QVERIFY(std::string(j["response"]).find(kModel) != std::string::npos);
        QCOMPARE(j["done"], true);
        QVERIFY(j["context"].is_array());
        StreamCapture g;
        stream(c, s->port(), "/api/generate", json{{"model", kModel}, {"prompt", "why"}}.dump(), g);
        QTRY_VERIFY_WITH_TIMEOUT(g.finished(), kHungMs);
        QVERIFY(json::parse(g.lines().front()).contains("response"));
        QCOMPARE(json::parse(g.lines().back())["done"], true);

        // Empty chat / prompt loads the model (done_reason "load").
        QCOMPARE(call(c, s->port(), "POST", "/api/generate", json{{"model", kModel}, {"stream", false}}.dump()).json()["done_reason"], "load");

        const Reply embed = call(c, s->port(), "POST", "/api/embed", json{{"model", kModel}, {"input", "x"}, {"dimensions", 8}}.dump());
        QCOMPARE(embed.json()["embeddings"][0].size(), std::size_t(8));
    }

    void unknownModelGetsOllamas404_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("openai");
        QTest::newRow("chat") << "/v1/chat/completions" << true;
        QTest::newRow("completions") << "/v1/completions" << true;
        QTest::newRow("embeddings") << "/v1/embeddings" << true;
        QTest::newRow("responses") << "/v1/responses" << true;
        QTest::newRow("api/chat") << "/api/chat" << false;
        QTest::newRow("api/generate") << "/api/generate" << false;
        QTest::newRow("api/embed") << "/api/embed" << false;
    }
    void unknownModelGetsOllamas404() {
        QFETCH(QString, path);
        QFETCH(bool, openai);
        auto s = startServer(fast());
        http::HttpClient c;
        const json body{{"model", "gpt-4o"}, {"messages", json::array({json{{"role", "user"}, {"content", "x"}}})}, {"prompt", "x"}, {"input", "x"}};
        const Reply r = call(c, s->port(), "POST", path.toStdString(), body.dump());
        QCOMPARE(r.status, 404);
        const std::string expected = "model \"gpt-4o\" not found, try pulling it first";
        const json j = r.json();
        if (openai) {
            QCOMPARE(j["error"]["message"], expected);
            QCOMPARE(j["error"]["type"], "not_found_error");
            QVERIFY(j["error"]["param"].is_null());
            QVERIFY(j["error"]["code"].is_null());
        } else {
            QCOMPARE(j, (json{{"error", expected}}));
        }
        QCOMPARE(s->stats().byModel.at("gpt-4o"), std::uint64_t(1));
        QCOMPARE(s->stats().recent.back().outcome, std::string("not_found"));
    }

    void badRequests() {
        auto s = startServer(fast());
        http::HttpClient c;
        Reply r = call(c, s->port(), "POST", "/v1/chat/completions", "{not json");
        QCOMPARE(r.status, 400);
        QCOMPARE(r.json()["error"]["type"], "invalid_request_error");
        r = call(c, s->port(), "POST", "/api/chat", "[1,2]");
        QCOMPARE(r.status, 400);
        QVERIFY(r.json()["error"].is_string());
        r = call(c, s->port(), "POST", "/v1/chat/completions", json{{"model", kModel}, {"messages", json::array()}}.dump());
        QCOMPARE(r.status, 400);
        QCOMPARE(r.json()["error"]["message"], "[] is too short - 'messages'");
        r = call(c, s->port(), "POST", "/v1/chat/completions", chatBody("", "x"));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.json()["error"]["message"], "model is required");
    }

    void streamingPaceAndUsageChunk() {
        MockOptions o;
        o.firstTokenMs = 150;
        o.tokensPerSecond = 50;  // 20 ms per token
        SteppedServer s(o);
        http::HttpClient c;
        StreamCapture cap;
        stream(c, s->port(), "/v1/chat/completions",
               chatBody(kModel, "pace", {{"stream", true}, {"max_tokens", 10}, {"stream_options", {{"include_usage", true}}}}), cap);
        QVERIFY(s.waitTimer());
        // Headers come with the first token, as from Ollama: nothing at 149 ms, both at 150 ms.
        s.advance(ms(149));
        QVERIFY(cap.body.isEmpty() && !cap.head);
        s.advance(ms(1));
        QTRY_COMPARE_WITH_TIMEOUT(cap.sseData().size(), std::size_t(1), kHungMs);
        QCOMPARE(cap.head->status, 200);
        QCOMPARE(cap.head->headers.value("content-type"), std::string("text/event-stream"));
        // Then one token every 20 ms: none a millisecond early. The tenth brings the final chunk,
        // the usage chunk and [DONE] with it.
        for (std::size_t tokens = 2; tokens <= 10; ++tokens) {
            s.advance(ms(19));
            QCOMPARE(cap.sseData().size(), tokens - 1);
            s.advance(ms(1));
            QTRY_COMPARE_WITH_TIMEOUT(cap.sseData().size(), tokens < 10 ? tokens : std::size_t(13), kHungMs);
        }
        QTRY_VERIFY_WITH_TIMEOUT(cap.finished(), kHungMs);
        QVERIFY(cap.completed);
        QCOMPARE(s.timers.pending(), std::size_t(0));
        const auto data = cap.sseData();
        QCOMPARE(data.size(), std::size_t(13));  // 10 tokens + final + usage + [DONE]
        std::string assembled;
        for (int i = 0; i < 10; ++i) {
            const json ch = json::parse(data[i]);
            QCOMPARE(ch["object"], "chat.completion.chunk");
            QCOMPARE(ch["model"], kModel);
            QVERIFY(ch["choices"][0]["finish_reason"].is_null());
            assembled += ch["choices"][0]["delta"]["content"].get<std::string>();
        }
        QVERIFY(assembled.find("qwen-primary") != std::string::npos);
        QCOMPARE(json::parse(data[10])["choices"][0]["finish_reason"], "length");
        const json usage = json::parse(data[11]);
        QCOMPARE(usage["choices"].size(), std::size_t(0));
        QCOMPARE(usage["usage"]["completion_tokens"], 10);
        QCOMPARE(data[12], std::string("[DONE]"));
        QVERIFY(cap.body.endsWith("data: [DONE]\n\n"));

        // Without include_usage there is no usage chunk.
        StreamCapture plain;
        stream(c, s->port(), "/v1/chat/completions", chatBody(kModel, "pace", {{"stream", true}, {"max_tokens", 2}}), plain);
        QVERIFY(s.waitTimer());
        QVERIFY(s.runToIdle(1000) >= 0);
        QTRY_VERIFY_WITH_TIMEOUT(plain.finished(), kHungMs);
        QCOMPARE(plain.sseData().size(), std::size_t(4));
        QVERIFY(!plain.body.contains("\"usage\""));
    }

    void completionsStreamWithUsage() {
        auto s = startServer(fast());
        http::HttpClient c;
        StreamCapture cap;
        stream(c, s->port(), "/v1/completions",
               json{{"model", kModel}, {"prompt", "p"}, {"stream", true}, {"max_tokens", 4}, {"stream_options", {{"include_usage", true}}}}.dump(), cap);
        QTRY_VERIFY_WITH_TIMEOUT(cap.finished(), kHungMs);
        const auto data = cap.sseData();
        QCOMPARE(data.size(), std::size_t(7));
        QCOMPARE(json::parse(data[0])["object"], "text_completion");
        QCOMPARE(json::parse(data[5])["usage"]["completion_tokens"], 4);
        QCOMPARE(data[6], std::string("[DONE]"));
    }

    void faultErrorStatuses_data() {
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("retryAfter");
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("code");
        QTest::newRow("500") << 500 << 0 << "api_error" << "";
        QTest::newRow("503 retry-after") << 503 << 3 << "api_error" << "";
        QTest::newRow("429 retry-after") << 429 << 1 << "requests" << "rate_limit_exceeded";
        QTest::newRow("400 context") << 400 << 0 << "invalid_request_error" << "context_length_exceeded";
    }
    void faultErrorStatuses() {
        QFETCH(int, status);
        QFETCH(int, retryAfter);
        QFETCH(QString, type);
        QFETCH(QString, code);
        MockOptions o = fast();
        o.fault.errorStatus = status;
        o.fault.retryAfterSeconds = retryAfter;
        auto s = startServer(o);
        http::HttpClient c;
        const Reply r = call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "x"));
        QCOMPARE(r.status, status);
        QCOMPARE(r.headers.has("retry-after"), retryAfter > 0);
        if (retryAfter > 0) QCOMPARE(r.headers.value("retry-after"), std::to_string(retryAfter));
        const json e = r.json()["error"];
        QCOMPARE(QString::fromStdString(e["type"]), type);
        if (code.isEmpty()) QVERIFY(e["code"].is_null());
        else QCOMPARE(QString::fromStdString(e["code"]), code);
        if (status == 400) {
            QCOMPARE(e["param"], "messages");
            QVERIFY(std::string(e["message"]).find("maximum context length") != std::string::npos);
        }
        // Native API: Ollama's {"error": "..."} shape.
        const Reply n = call(c, s->port(), "POST", "/api/chat", chatBody(kModel, "x", {{"stream", false}}));
        QCOMPARE(n.status, status);
        QVERIFY(n.json()["error"].is_string());
        // Metadata endpoints are not affected.
        QCOMPARE(call(c, s->port(), "GET", "/api/tags").status, 200);
        QCOMPARE(s->stats().recent.back().outcome, std::string("fault:error"));
    }

    void faultErrorRateIsSeededAndProportional() {
        auto countErrors = [](std::uint64_t seed) {
            MockOptions o = fast();
            o.seed = seed;
            o.fault.errorStatus = 503;
            o.fault.errorRate = 0.3;
            auto s = startServer(o);
            http::HttpClient c;
            int errors = 0;
            for (int i = 0; i < 200; ++i) {
                if (call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "x")).status == 503) ++errors;
            }
            return errors;
        };
        const int a = countErrors(7);
        QVERIFY2(a >= 35 && a <= 85, qPrintable(QString::number(a)));  // 60 expected; 3+ sigma band
        QCOMPARE(countErrors(7), a);
    }

    void faultLatencyWithJitter() {
        MockOptions o = fast();
        o.fault.latencyMs = 150;
        o.fault.latencyJitterMs = 50;
        SteppedServer s(o);
        http::HttpClient c;
        std::set<qint64> delays;
        for (int i = 0; i < 5; ++i) {
            std::optional<http::FetchOutcome> out;
            http::ClientRequest r;
            r.method = "POST";
            r.port = s->port();
            r.target = "/v1/chat/completions";
            r.headers.set("content-type", "application/json");
            r.body = QByteArray::fromStdString(chatBody(kModel, "x"));
            c.fetch(std::move(r), [&](http::FetchOutcome outcome) { out = std::move(outcome); });
            QVERIFY(s.waitTimer());
            // The answer goes out between 150 and 200 ms (latency plus a jitter draw), not before.
            const qint64 at = s.runToIdle(1000);
            QVERIFY2(at >= 150 && at <= 200, qPrintable(QString::number(at)));
            delays.insert(at);
            QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), kHungMs);
            QCOMPARE(std::get<http::FullResponse>(*out).head.status, 200);
        }
        QVERIFY2(delays.size() > 1, "the jitter never varied");
    }

    void faultHangNeverAnswers() {
        MockOptions o = fast();
        o.fault.hang = true;
        auto s = startServer(o);
        http::HttpClient c;
        http::ClientRequest opts;
        opts.tryTimeoutMs = 300;
        const Reply r = call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "x"), opts);
        QVERIFY(r.error);
        QCOMPARE(http::failureKindName(r.error->kind), http::failureKindName(http::FailureKind::PerTryTimeout));
        QCOMPARE(s->stats().recent.back().outcome, std::string("fault:hang"));
        // Metadata still answers while inference hangs.
        QCOMPARE(call(c, s->port(), "GET", "/api/version").status, 200);
    }

    void faultSlowFirstTokenDelaysHeaders() {
        MockOptions o = fast();
        o.fault.firstTokenDelayMs = 300;
        SteppedServer s(o);
        http::HttpClient c;
        StreamCapture cap;
        stream(c, s->port(), "/v1/chat/completions", chatBody(kModel, "x", {{"stream", true}}), cap);
        QVERIFY(s.waitTimer());
        s.advance(ms(299));
        QVERIFY(!cap.head && cap.body.isEmpty());
        s.advance(ms(1));
        QVERIFY(s.runToIdle(0) == 0);  // everything else follows at once (tokens at full speed)
        QTRY_VERIFY_WITH_TIMEOUT(cap.finished(), kHungMs);
        QVERIFY(cap.completed);
        QCOMPARE(cap.head->status, 200);
        // An idle timeout shorter than the first token ends it before headers (the server's time
        // stands still: its headers never come).
        StreamCapture idle;
        http::ClientRequest opts;
        opts.idleTimeoutMs = 100;
        stream(c, s->port(), "/v1/chat/completions", chatBody(kModel, "x", {{"stream", true}}), idle, opts);
        QTRY_VERIFY_WITH_TIMEOUT(idle.finished(), kHungMs);
        QCOMPARE(http::failureKindName(idle.error->kind), http::failureKindName(http::FailureKind::IdleTimeout));
        QVERIFY(!idle.error->headersReceived);
    }

    void faultCutAfterTokens() {
        MockOptions o = fast();
        o.fault.cutAfterTokens = 3;
        auto s = startServer(o);
        http::HttpClient c;
        StreamCapture cap;
        stream(c, s->port(), "/v1/chat/completions", chatBody(kModel, "x", {{"stream", true}}), cap);
        QTRY_VERIFY_WITH_TIMEOUT(cap.finished(), kHungMs);
        QVERIFY(cap.error);
        QCOMPARE(http::failureKindName(cap.error->kind), http::failureKindName(http::FailureKind::ResetAfterHeaders));
        QCOMPARE(cap.sseData().size(), std::size_t(3));
        QVERIFY(!cap.body.contains("[DONE]"));
        QCOMPARE(s->stats().recent.back().outcome, std::string("fault:cut"));
        // Non-streaming requests are unaffected by stream faults.
        QCOMPARE(call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "x")).status, 200);
    }

    void faultStallForeverAndForAWhile() {
        MockOptions o = fast();
        o.fault.stallAfterTokens = 2;
        auto s = startServer(o);
        http::HttpClient c;
        StreamCapture cap;
        http::ClientRequest opts;
        opts.idleTimeoutMs = 1000;  // well above how long the first two tokens take to come
        stream(c, s->port(), "/v1/chat/completions", chatBody(kModel, "x", {{"stream", true}}), cap, opts);
        QTRY_VERIFY_WITH_TIMEOUT(cap.finished(), kHungMs);
        QCOMPARE(http::failureKindName(cap.error->kind), http::failureKindName(http::FailureKind::IdleTimeout));
        QVERIFY(cap.error->headersReceived);
        QCOMPARE(cap.sseData().size(), std::size_t(2));
        QCOMPARE(s->stats().recent.back().outcome, std::string("fault:stall"));

        // With stallMs, the stream stops after two tokens for exactly that long, then goes on.
        FaultProfile f = s->fault();
        f.stallMs = 250;
        SteppedServer stepped(MockOptions{fast()});
        stepped->setFault(f);
        StreamCapture resumed;
        stream(c, stepped->port(), "/v1/chat/completions", chatBody(kModel, "x", {{"stream", true}}), resumed);
        QVERIFY(stepped.waitTimer());
        stepped.advance(ms(0));
        QTRY_COMPARE_WITH_TIMEOUT(resumed.sseData().size(), std::size_t(2), kHungMs);
        stepped.advance(ms(249));
        QCOMPARE(resumed.sseData().size(), std::size_t(2));
        QVERIFY(!resumed.finished());
        stepped.advance(ms(1));
        QTRY_VERIFY_WITH_TIMEOUT(resumed.finished(), kHungMs);
        QVERIFY(resumed.completed);
        QVERIFY(resumed.body.endsWith("data: [DONE]\n\n"));
        QVERIFY(resumed.sseData().size() > 3);
    }

    void faultMalformedChunkAndMissingDone() {
        MockOptions o = fast();
        o.fault.malformedAfterTokens = 1;
        o.fault.omitDone = true;
        auto s = startServer(o);
        http::HttpClient c;
        StreamCapture cap;
        stream(c, s->port(), "/v1/chat/completions", chatBody(kModel, "x", {{"stream", true}, {"max_tokens", 4}}), cap);
        QTRY_VERIFY_WITH_TIMEOUT(cap.finished(), kHungMs);
        QVERIFY(cap.completed);  // the stream itself ends cleanly
        const auto data = cap.sseData();
        int bad = 0;
        for (const auto& d : data) {
            if (json::parse(d, nullptr, false).is_discarded()) ++bad;
        }
        QCOMPARE(bad, 1);
        QVERIFY(json::parse(data[1], nullptr, false).is_discarded());  // right after the first token
        QVERIFY(!cap.body.contains("[DONE]"));
        QCOMPARE(data.size(), std::size_t(6));  // 4 tokens + malformed + final
        // NDJSON: the done line is what goes missing.
        StreamCapture nd;
        stream(c, s->port(), "/api/chat", chatBody(kModel, "x", {{"options", {{"num_predict", 3}}}}), nd);
        QTRY_VERIFY_WITH_TIMEOUT(nd.finished(), kHungMs);
        QVERIFY(!nd.body.contains("\"done\":true"));
    }

    void faultResetBeforeHeaders() {
        MockOptions o = fast();
        o.fault.resetBeforeHeaders = true;
        auto s = startServer(o);
        http::HttpClient c;
        const Reply r = call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "x"));
        QVERIFY(r.error);
        QCOMPARE(http::failureKindName(r.error->kind), http::failureKindName(http::FailureKind::ResetBeforeHeaders));
        QCOMPARE(s->stats().recent.back().outcome, std::string("fault:reset"));
    }

    void liveFaultChangeInProcessAndOverHttp() {
        auto s = startServer(fast());
        http::HttpClient c;
        QCOMPARE(call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "x")).status, 200);
        FaultProfile f;
        f.errorStatus = 503;
        s->setFault(f);
        QCOMPARE(call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "x")).status, 503);
        s->clearFault();
        QCOMPARE(call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "x")).status, 200);

        Reply set = call(c, s->port(), "POST", "/_mock/fault", R"({"errorStatus":429,"retryAfterSeconds":2})");
        QCOMPARE(set.status, 200);
        QCOMPARE(set.json()["description"], "429 (Retry-After 2)");
        QCOMPARE(s->fault().errorStatus, 429);
        QCOMPARE(call(c, s->port(), "GET", "/_mock/fault").json()["errorStatus"], 429);
        QCOMPARE(call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "x")).status, 429);
        QCOMPARE(call(c, s->port(), "DELETE", "/_mock/fault").status, 200);
        QVERIFY(s->fault().isNone());
        QCOMPARE(call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "x")).status, 200);

        const Reply bad = call(c, s->port(), "POST", "/_mock/fault", R"({"errorStatus":"x"})");
        QCOMPARE(bad.status, 400);
        QCOMPARE(bad.json()["error"], "errorStatus: must be an integer");
        QCOMPARE(call(c, s->port(), "POST", "/_mock/fault", "nope").status, 400);
        QVERIFY(s->fault().isNone());
    }

    void statsCountRequestedModels() {
        auto s = startServer(fast());
        http::HttpClient c;
        std::vector<RequestRecord> seen;
        connect(s.get(), &MockServer::requestRecorded, this, [&](const RequestRecord& r) { seen.push_back(r); });
        call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "a"));
        call(c, s->port(), "POST", "/v1/chat/completions", chatBody(kModel, "b"));
        call(c, s->port(), "POST", "/api/generate", json{{"model", "llama3.2:3b"}, {"prompt", "c"}, {"stream", false}}.dump());
        call(c, s->port(), "GET", "/api/tags");  // not inference: not counted
        const MockStats st = s->stats();
        QCOMPARE(st.requests, std::uint64_t(3));
        QCOMPARE(st.byModel.at(kModel), std::uint64_t(2));
        QCOMPARE(st.byModel.at("llama3.2:3b"), std::uint64_t(1));
        QCOMPARE(st.recent.size(), std::size_t(3));
        QCOMPARE(st.recent[2].endpoint, std::string("/api/generate"));
        QCOMPARE(st.recent[2].status, 200);
        QCOMPARE(seen.size(), std::size_t(3));
        const json viaHttp = call(c, s->port(), "GET", "/_mock/stats").json();
        QCOMPARE(viaHttp["byModel"][kModel], 2);
        QCOMPARE(viaHttp["name"], "qwen-primary");
        QCOMPARE(call(c, s->port(), "DELETE", "/_mock/stats").status, 200);
        QCOMPARE(s->stats().requests, std::uint64_t(0));
    }

    void clientDisconnectIsRecorded() {
        MockOptions o;
        o.firstTokenMs = 0;
        o.tokensPerSecond = 20;
        auto s = startServer(o);
        http::HttpClient c;
        http::ClientRequest r;
        r.method = "POST";
        r.port = s->port();
        r.target = "/v1/chat/completions";
        r.body = QByteArray::fromStdString(chatBody(kModel, "x", {{"stream", true}}));
        bool gotData = false;
        http::RequestHandle h = c.send(r, {.onData = [&](const QByteArray&) { gotData = true; }});
        QTRY_VERIFY_WITH_TIMEOUT(gotData, kHungMs);
        h.cancel();
        QTRY_COMPARE_WITH_TIMEOUT(s->stats().recent.size(), std::size_t(1), kHungMs);
        QCOMPARE(s->stats().recent[0].outcome, std::string("client_gone"));
    }

    void pullStreamsProgressThenServesTheModel() {
        MockOptions o = fast();
        o.pullStepMs = 5;
        auto s = startServer(o);
        http::HttpClient c;
        QVERIFY(!s->servesModel("phi3:mini"));
        StreamCapture cap;
        stream(c, s->port(), "/api/pull", json{{"model", "phi3:mini"}}.dump(), cap);
        QTRY_VERIFY_WITH_TIMEOUT(cap.finished(), kHungMs);
        const auto lines = cap.lines();
        QCOMPARE(json::parse(lines.front())["status"], "pulling manifest");
        QCOMPARE(json::parse(lines.back())["status"], "success");
        bool sawProgress = false;
        for (const auto& l : lines) {
            const json j = json::parse(l);
            if (j.contains("completed")) {
                sawProgress = true;
                QVERIFY(j["completed"].get<std::int64_t>() <= j["total"].get<std::int64_t>());
            }
        }
        QVERIFY(sawProgress);
        QVERIFY(s->servesModel("phi3:mini"));
        QCOMPARE(call(c, s->port(), "POST", "/v1/chat/completions", chatBody("phi3:mini", "x")).status, 200);

        o.allowPull = false;
        auto strict = startServer(o);
        const Reply r = call(c, strict->port(), "POST", "/api/pull", json{{"model", "nope"}, {"stream", false}}.dump());
        QCOMPARE(r.status, 500);
        QCOMPARE(r.json()["error"], "pull model manifest: file does not exist");
    }

    void faultProfileJson() {
        FaultProfile f;
        f.errorStatus = 503;
        f.errorRate = 0.25;
        f.retryAfterSeconds = 4;
        f.errorPlainText = true;
        f.latencyMs = 10;
        f.latencyJitterMs = 5;
        f.firstTokenDelayMs = 0;
        f.cutAfterTokens = 7;
        f.stallAfterTokens = 1;
        f.stallMs = 100;
        f.malformedAfterTokens = 2;
        f.omitDone = true;
        f.hang = true;
        f.resetBeforeHeaders = true;
        const json j = f;
        QCOMPARE(j.get<FaultProfile>(), f);
        QCOMPARE(json(FaultProfile{}), json::object());
        QVERIFY(FaultProfile{}.isNone());
        QCOMPARE(FaultProfile{}.describe(), std::string("none"));
        QVERIFY(f.describe().find("cut after 7 tokens") != std::string::npos);
    }

    void faultProfileErrors_data() {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown key") << R"({"errorStatuss":500})" << "errorStatuss: unknown fault field";
        QTest::newRow("wrong type") << R"({"hang":1})" << "hang: must be true or false";
        QTest::newRow("status range") << R"({"errorStatus":200})" << "errorStatus: must be 0 (off) or an HTTP error status 400-599, got 200";
        QTest::newRow("rate range") << R"({"errorRate":1.5})" << "errorRate: must be between 0 and 1, got 1.5";
        QTest::newRow("negative") << R"({"cutAfterTokens":-1})" << "cutAfterTokens: must be between 0 and 1000000, got -1";
        QTest::newRow("not object") << "[]" << "fault profile must be a JSON object";
        QTest::newRow("not json") << "{" << "fault profile is not valid JSON";
    }
    void faultProfileErrors() {
        QFETCH(QString, input);
        QFETCH(QString, message);
        const auto r = parseFaultProfile(input.toStdString());
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.error().toString()).startsWith(message), r.error().toString().c_str());
        const json j = json::parse(input.toStdString(), nullptr, false);
        if (!j.is_discarded()) QVERIFY_THROWS_EXCEPTION(json::exception, j.get<FaultProfile>());
    }

    void textGenerationHelpers() {
        const Generation a = generateReply("s", "m", "prompt", 1, std::nullopt);
        QCOMPARE(a.text(), generateReply("s", "m", "prompt", 1, std::nullopt).text());
        QVERIFY(a.text() != generateReply("s", "m", "prompt", 2, std::nullopt).text());
        QVERIFY(a.tokens.size() >= 12 && a.tokens.size() <= 80);
        QCOMPARE(generateReply("s", "m", "prompt", 1, 0).tokens.size(), std::size_t(0));
        QCOMPARE(estimateTokens(""), 0);
        QCOMPARE(estimateTokens("abcd"), 1);
        QCOMPARE(estimateTokens("abcde"), 2);
        // Long multi-byte prompts are quoted without splitting a character.
        const std::string text = generateReply("s", "m", std::string(30, 'a') + "ééééééééééééééééééééé", 1, std::nullopt).text();
        QVERIFY(QString::fromUtf8(text.c_str()).toUtf8().toStdString() == text);
        QVERIFY(stableHash({"ab", "c"}) != stableHash({"a", "bc"}));
    }
};

QTEST_GUILESS_MAIN(TestMockServer)
#include "test_mock_server.moc"
