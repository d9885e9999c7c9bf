// The request records of the live proxy: bodies, time to first byte, stream flag and token usage,
// as they reach GatewayService::drain() and the admin API's GET /requests. The gateway runs in
// front of a scripted upstream on this thread (an `external` Backend), so every byte it answers is
// known to the test. Ports are 0; every wait is bounded.
#include <QtTest>

#include <memory>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "http/http_client.h"
#include "http/http_server.h"
#include "proxy/gateway_service.h"
#include "start_service.h"
#include "routing/records.h"

using namespace aigw;
using Json = nlohmann::json;
using testing::kHungMs;

namespace {

#ifndef Q_MOC_RUN  // moc mis-tokenises multi-line raw strings; it only needs the class below
/// Route "rec-model" -> Backend "rec" (mode external, at `url`), override "rec:1b"; no retries.
std::string recordsYaml(const std::string& url) {
    return R"(apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: rec-route, namespace: default}
spec:
  rules:
    - matches:
        - headers: [{type: Exact, name: x-ai-eg-model, value: rec-model}]
      backendRefs:
        - name: rec
          modelNameOverride: rec:1b
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: rec, namespace: default}
spec:
  schema: {name: OpenAI}
  backendRef: {name: rec, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: rec
  namespace: default
  annotations:
    aigw-sim/mode: external
    aigw-sim/url: )" + url + R"(
spec:
  endpoints:
    - fqdn: {hostname: rec.default.svc.cluster.local, port: 80}
)";
}
#endif

const QByteArray kChatReply =
    R"({"id":"c1","object":"chat.completion","model":"rec:1b","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":5,"total_tokens":16}})";

QByteArray sseChunk(const std::string& content) {
    return QByteArray::fromStdString(R"(data: {"id":"s1","object":"chat.completion.chunk","model":"rec:1b","choices":[{"index":0,"delta":{"content":")" +
                                     content + "\"}}]}\n\n");
}
const QByteArray kSseUsage =
    R"(data: {"id":"s1","object":"chat.completion.chunk","model":"rec:1b","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}})"
    "\n\n";

struct Reply {
    int status = 0;
    QByteArray body;
    bool failed = false;
};

}  // namespace

class TestProxyRecords : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<http::HttpServer> m_upstream;
    std::unique_ptr<proxy::GatewayService> m_service;
    std::unique_ptr<http::HttpClient> m_client;
    quint16 m_proxyPort = 0;
    quint16 m_adminPort = 0;
    /// Set by the upstream for requests whose last message is "hold": the test drives that stream.
    std::shared_ptr<http::HttpResponder> m_held;
    /// Bodies the upstream received, in order.
    std::vector<QByteArray> m_received;

    void upstream(std::shared_ptr<http::HttpRequest> rq, std::shared_ptr<http::HttpResponder> rs);
    bool startGateway(const std::string& backendUrl, int recordBufferLimit = 20000,
                      std::optional<std::size_t> recentRequests = std::nullopt);
    /// Sends `n` chat requests, at most 16 at a time; returns how many got a 200.
    int sendMany(int n);
    Reply call(quint16 port, const std::string& method, const std::string& target, const QByteArray& body = {});
    /// Waits (bounded) for the next drained request record.
    std::optional<routing::RequestRecord> nextRecord(int timeoutMs = kHungMs);
    /// The newest record of GET /requests.
    Json lastAdminRecord();

private slots:
    void init();
    void cleanup();

    void nonStreamRecord();
    void streamWithIncludeUsage();
    void streamWithoutIncludeUsage();
    void streamRecordWaitsForTheEnd();
    void localReplies();
    void bodiesTruncatedAtTheLimit();
    void recentRecordsWrapInOrder();
    void recentRequestsIsConfigurable();
    void fullDrainBufferKeepsTheNewest();
};

#ifndef Q_MOC_RUN
void TestProxyRecords::upstream(std::shared_ptr<http::HttpRequest> rq, std::shared_ptr<http::HttpResponder> rs) {
    m_received.push_back(rq->body);
    const auto j = Json::parse(rq->body.constData(), rq->body.constData() + rq->body.size(), nullptr, false);
    const bool stream = j.is_object() && j.value("stream", false);
    const bool includeUsage = j.is_object() && j.contains("stream_options") && j["stream_options"].value("include_usage", false);
    std::string last;
    if (j.is_object() && j.contains("messages") && j["messages"].is_array() && !j["messages"].empty())
        last = j["messages"].back().value("content", "");
    if (!stream) {
        if (last == "big") {
            // A reply over the record limit, valid JSON, two-byte characters placed so that the cut
            // at the limit falls inside one.
            QByteArray big = R"({"model":"rec:1b","choices":[{"message":{"content":")";
            if ((routing::kRecordBodyLimit - static_cast<std::size_t>(big.size())) % 2 == 0)
                big += 'x';
            while (big.size() < static_cast<qsizetype>(routing::kRecordBodyLimit) + 5000)
                big += "\xc3\xa9";  // é
            big += R"("}}],"usage":{"prompt_tokens":4,"completion_tokens":2}})";
            rs->send(200, {{"content-type", "application/json"}}, big);
            return;
        }
        if (last == "exact") {
            QByteArray exact = R"({"model":"rec:1b","pad":")";
            exact += QByteArray(static_cast<qsizetype>(routing::kRecordBodyLimit) - exact.size() - 2, 'p');
            exact += "\"}";
            rs->send(200, {{"content-type", "application/json"}}, exact);
            return;
        }
        rs->send(200, {{"content-type", "application/json"}}, kChatReply);
        return;
    }
    rs->startStream(200, {{"content-type", "text/event-stream"}});
    rs->writeChunk(sseChunk("Hel"));
    if (last == "hold") {
        m_held = rs;  // the test writes the rest
        return;
    }
    rs->writeChunk(sseChunk("lo"));
    if (includeUsage)
        rs->writeChunk(kSseUsage);
    rs->writeChunk("data: [DONE]\n\n");
    rs->finish();
}

bool TestProxyRecords::startGateway(const std::string& backendUrl, int recordBufferLimit,
                                    std::optional<std::size_t> recentRequests) {
    auto loaded = config::loadString(recordsYaml(backendUrl), "records.yaml");
    for (const auto& e : loaded.errors)
        qWarning("%s", e.toString().c_str());
    if (!loaded.ok())
        return false;
    m_service = std::make_unique<proxy::GatewayService>();
    proxy::GatewayService::Options opts;
    opts.recordBufferLimit = recordBufferLimit;
    if (recentRequests)
        opts.recentRequests = *recentRequests;
    testing::ServiceUrls urls;
    if (!testing::startService(*m_service, loaded.config, opts, &urls))
        return false;
    m_proxyPort = static_cast<quint16>(urls.proxy.port());
    m_adminPort = static_cast<quint16>(urls.admin.port());
    return true;
}

Reply TestProxyRecords::call(quint16 port, const std::string& method, const std::string& target, const QByteArray& body) {
    http::ClientRequest rq;
    rq.method = method;
    rq.host = "127.0.0.1";
    rq.port = port;
    rq.target = target;
    if (!body.isEmpty())
        rq.headers.add("content-type", "application/json");
    rq.body = body;
    rq.tryTimeoutMs = 10000;
    Reply out;
    bool done = false;
    m_client->fetch(rq, [&](http::FetchOutcome o) {
        if (auto* r = std::get_if<http::FullResponse>(&o)) {
            out.status = r->head.status;
            out.body = r->body;
        } else {
            out.failed = true;
        }
        done = true;
    });
    (void)QTest::qWaitFor([&] { return done; }, kHungMs);
    if (!done)
        out.failed = true;
    return out;
}

std::optional<routing::RequestRecord> TestProxyRecords::nextRecord(int timeoutMs) {
    std::vector<routing::RequestRecord> records;
    (void)QTest::qWaitFor(
        [&] {
            m_service->drain(&records, nullptr, nullptr);
            return !records.empty();
        },
        timeoutMs);
    if (records.empty())
        return std::nullopt;
    if (records.size() > 1)
        qWarning("expected one record, got %zu", records.size());
    return records.back();
}

Json TestProxyRecords::lastAdminRecord() {
    const auto r = call(m_adminPort, "GET", "/requests?limit=1");
    if (r.status != 200)
        return {};
    const auto j = Json::parse(r.body.constData(), r.body.constData() + r.body.size(), nullptr, false);
    return j.is_array() && j.size() == 1 ? j[0] : Json();
}

void TestProxyRecords::init() {
    m_received.clear();
    m_held.reset();
    m_upstream = std::make_unique<http::HttpServer>(
        [this](std::shared_ptr<http::HttpRequest> rq, std::shared_ptr<http::HttpResponder> rs) {
            upstream(std::move(rq), std::move(rs));
        });
    QVERIFY(m_upstream->listen("127.0.0.1", 0).ok());
    m_client = std::make_unique<http::HttpClient>();
    QVERIFY(startGateway(m_upstream->url().toStdString()));
}

void TestProxyRecords::cleanup() {
    m_held.reset();
    m_client.reset();
    m_service.reset();
    m_upstream.reset();
}

void TestProxyRecords::nonStreamRecord() {
    const QByteArray body = R"({"model":"rec-model", "messages":[{"role":"user","content":"hello"}]})";
    const auto r = call(m_proxyPort, "POST", "/v1/chat/completions", body);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, kChatReply);
    const auto rec = nextRecord();
    QVERIFY(rec);
    QCOMPARE(rec->finalStatus, 200);
    QVERIFY(!rec->stream);
    // Upstream body: the client's bytes with only the model replaced (spacing kept), as the upstream got it.
    const std::string sent = R"({"model":"rec:1b", "messages":[{"role":"user","content":"hello"}]})";
    QCOMPARE(rec->upstreamBody, sent);
    QCOMPARE(m_received.size(), std::size_t(1));
    QCOMPARE(m_received[0].toStdString(), sent);
    QCOMPARE(rec->responseBody, kChatReply.toStdString());
    QVERIFY(!rec->upstreamBodyTruncated);
    QVERIFY(!rec->responseBodyTruncated);
    QCOMPARE(rec->promptTokens, std::optional<int>(11));
    QCOMPARE(rec->completionTokens, std::optional<int>(5));
    QVERIFY(rec->timeToFirstToken);
    QVERIFY(*rec->timeToFirstToken > aigw::Duration::zero());

    const Json j = lastAdminRecord();
    QCOMPARE(j.value("id", std::uint64_t(0)), rec->id);
    QCOMPARE(j["stream"], Json(false));
    QCOMPARE(j["prompt_tokens"], Json(11));
    QCOMPARE(j["completion_tokens"], Json(5));
    QVERIFY(j["ttft_ms"].is_number());
    QCOMPARE(j["upstream_body"].get<std::string>(), sent);
    QCOMPARE(j["response_body"].get<std::string>(), kChatReply.toStdString());
    QCOMPARE(j["upstream_body_truncated"], Json(false));
    QCOMPARE(j["response_body_truncated"], Json(false));
}

void TestProxyRecords::streamWithIncludeUsage() {
    const QByteArray body =
        R"({"model":"rec-model","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]})";
    const auto r = call(m_proxyPort, "POST", "/v1/chat/completions", body);
    QCOMPARE(r.status, 200);
    const QByteArray sse = sseChunk("Hel") + sseChunk("lo") + kSseUsage + "data: [DONE]\n\n";
    QCOMPARE(r.body, sse);
    const auto rec = nextRecord();
    QVERIFY(rec);
    QVERIFY(rec->stream);
    QCOMPARE(rec->responseBody, sse.toStdString());
    QCOMPARE(rec->promptTokens, std::optional<int>(9));
    QCOMPARE(rec->completionTokens, std::optional<int>(3));
    QVERIFY(rec->timeToFirstToken);
    QCOMPARE(QByteArray::fromStdString(rec->upstreamBody), QByteArray(body).replace("rec-model", "rec:1b"));

    const Json j = lastAdminRecord();
    QCOMPARE(j["stream"], Json(true));
    QCOMPARE(j["prompt_tokens"], Json(9));
    QCOMPARE(j["completion_tokens"], Json(3));
    QCOMPARE(j["response_body"].get<std::string>(), sse.toStdString());
}

void TestProxyRecords::streamWithoutIncludeUsage() {
    const QByteArray body = R"({"model":"rec-model","stream":true,"messages":[{"role":"user","content":"hi"}]})";
    const auto r = call(m_proxyPort, "POST", "/v1/chat/completions", body);
    QCOMPARE(r.status, 200);
    const auto rec = nextRecord();
    QVERIFY(rec);
    QVERIFY(rec->stream);
    QVERIFY(!rec->promptTokens);
    QVERIFY(!rec->completionTokens);
    QCOMPARE(rec->responseBody, (sseChunk("Hel") + sseChunk("lo") + "data: [DONE]\n\n").toStdString());
    const Json j = lastAdminRecord();
    QVERIFY(j["prompt_tokens"].is_null());
    QVERIFY(j["completion_tokens"].is_null());
}

void TestProxyRecords::streamRecordWaitsForTheEnd() {
    const QByteArray body =
        R"({"model":"rec-model","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hold"}]})";
    http::ClientRequest rq;
    rq.method = "POST";
    rq.host = "127.0.0.1";
    rq.port = m_proxyPort;
    rq.target = "/v1/chat/completions";
    rq.headers.add("content-type", "application/json");
    rq.body = body;
    QByteArray got;
    bool done = false, failed = false;
    std::optional<TimePoint> firstSeenAt;  // on the steady clock the data plane stamps records with
    http::ResponseCallbacks cb;
    cb.onData = [&](const QByteArray& d) {
        if (!firstSeenAt)
            firstSeenAt = SteadyClock().now();
        got += d;
    };
    cb.onComplete = [&] { done = true; };
    cb.onError = [&](const http::ClientError&) { failed = done = true; };
    m_client->send(rq, cb);
    QTRY_VERIFY_WITH_TIMEOUT(m_held && got == sseChunk("Hel"), kHungMs);
    // The engine decided long ago (headers went out); the record must wait for the body's end. A
    // whole request sent after that decision has its record drained: the stream's would be there too.
    const QByteArray barrierBody = R"({"model":"rec-model","messages":[{"role":"user","content":"barrier"}]})";
    QCOMPARE(call(m_proxyPort, "POST", "/v1/chat/completions", barrierBody).status, 200);
    std::vector<routing::RequestRecord> early;
    (void)QTest::qWaitFor(
        [&] {
            m_service->drain(&early, nullptr, nullptr);
            return std::any_of(early.begin(), early.end(), [](const auto& r) { return !r.stream; });
        },
        kHungMs);
    QCOMPARE(early.size(), std::size_t(1));
    QVERIFY2(!early[0].stream, "the record left before the stream ended");
    m_held->writeChunk(sseChunk("lo"));
    m_held->writeChunk(kSseUsage);
    m_held->writeChunk("data: [DONE]\n\n");
    m_held->finish();
    QTRY_VERIFY_WITH_TIMEOUT(done, kHungMs);
    QVERIFY(!failed);
    const auto rec = nextRecord();
    QVERIFY(rec);
    QCOMPARE(rec->finalStatus, 200);
    QCOMPARE(rec->responseBody, (sseChunk("Hel") + sseChunk("lo") + kSseUsage + "data: [DONE]\n\n").toStdString());
    QCOMPARE(rec->completionTokens, std::optional<int>(3));
    // First byte: the first chunk, which the client had before the rest was even written (an order
    // on one clock, not a duration).
    QVERIFY(rec->timeToFirstToken && firstSeenAt);
    QVERIFY2(rec->start + *rec->timeToFirstToken <= *firstSeenAt,
             qPrintable(QStringLiteral("first byte %1 ms after the client saw it")
                            .arg(toMs(rec->start + *rec->timeToFirstToken - *firstSeenAt))));

    // A client that leaves mid-stream: the 499 record carries what it got until then.
    m_held.reset();
    auto leaving = std::make_unique<http::HttpClient>();
    QByteArray partial;
    http::ResponseCallbacks cb2;
    cb2.onData = [&](const QByteArray& d) { partial += d; };
    auto handle = leaving->send(rq, cb2);
    QTRY_VERIFY_WITH_TIMEOUT(m_held && partial == sseChunk("Hel"), kHungMs);
    handle.cancel();
    const auto gone = nextRecord();
    QVERIFY(gone);
    QCOMPARE(gone->finalStatus, 499);
    QVERIFY(gone->stream);
    QCOMPARE(gone->responseBody, sseChunk("Hel").toStdString());
    QVERIFY(!gone->completionTokens);
}

void TestProxyRecords::localReplies() {
    // No route: the gateway's own 404, nothing went upstream.
    const auto r = call(m_proxyPort, "POST", "/v1/chat/completions", R"({"model":"nope","messages":[]})");
    QCOMPARE(r.status, 404);
    auto rec = nextRecord();
    QVERIFY(rec);
    QVERIFY(rec->localReply);
    QCOMPARE(rec->responseBody, r.body.toStdString());
    QVERIFY(!rec->responseBody.empty());
    QVERIFY(rec->upstreamBody.empty());
    QVERIFY(!rec->promptTokens);
    QVERIFY(!rec->timeToFirstToken);  // nothing was forwarded from an upstream
    QVERIFY(m_received.empty());

    // The only server refuses connections: 503, and the record keeps the body the attempt carried.
    const QString url = m_upstream->url();
    m_upstream.reset();
    m_service.reset();
    QVERIFY(startGateway(url.toStdString()));
    const auto r2 = call(m_proxyPort, "POST", "/v1/chat/completions", R"({"model":"rec-model","messages":[]})");
    QCOMPARE(r2.status, 503);
    rec = nextRecord();
    QVERIFY(rec);
    QCOMPARE(rec->finalStatus, 503);
    QVERIFY(rec->localReply);
    QCOMPARE(rec->responseBody, r2.body.toStdString());
    QVERIFY(QByteArray::fromStdString(rec->responseBody).contains("upstream connect error"));
    QCOMPARE(rec->upstreamBody, std::string(R"({"model":"rec:1b","messages":[]})"));
    const Json j = lastAdminRecord();
    QCOMPARE(j["response_body"].get<std::string>(), r2.body.toStdString());
    QVERIFY(j["ttft_ms"].is_null());
}

void TestProxyRecords::bodiesTruncatedAtTheLimit() {
    // A request body over the record limit (still under the 32 KiB buffer limit) and a reply over it.
    std::string filler(routing::kRecordBodyLimit + 100, 'a');
    const QByteArray body = QByteArray::fromStdString(R"({"model":"rec-model","padding":")" + filler +
                                                      R"(","messages":[{"role":"user","content":"big"}]})");
    const auto r = call(m_proxyPort, "POST", "/v1/chat/completions", body);
    QCOMPARE(r.status, 200);
    QVERIFY(r.body.size() > static_cast<qsizetype>(routing::kRecordBodyLimit));
    const auto rec = nextRecord();
    QVERIFY(rec);
    QCOMPARE(rec->upstreamBody.size(), routing::kRecordBodyLimit);
    QVERIFY(rec->upstreamBodyTruncated);
    QCOMPARE(QByteArray::fromStdString(rec->upstreamBody), m_received.back().left(routing::kRecordBodyLimit));
    QCOMPARE(rec->responseBody.size(), routing::kRecordBodyLimit);
    QVERIFY(rec->responseBodyTruncated);
    QCOMPARE(QByteArray::fromStdString(rec->responseBody), r.body.left(routing::kRecordBodyLimit));
    QCOMPARE(rec->promptTokens, std::optional<int>(4));  // read from the whole body, not the kept part

    // The admin JSON survives a cut inside a UTF-8 character (the reply is all two-byte "é").
    QVERIFY(static_cast<unsigned char>(rec->responseBody.back()) == 0xc3);
    const Json j = lastAdminRecord();
    QVERIFY2(j.is_object(), "GET /requests failed on a body cut inside a UTF-8 sequence");
    QCOMPARE(j["response_body_truncated"], Json(true));
    QCOMPARE(j["upstream_body_truncated"], Json(true));

    // A reply of exactly the limit is kept whole and not marked truncated.
    const auto r2 = call(m_proxyPort, "POST", "/v1/chat/completions", R"({"model":"rec-model","messages":[{"role":"user","content":"exact"}]})");
    QCOMPARE(r2.status, 200);
    QCOMPARE(r2.body.size(), static_cast<qsizetype>(routing::kRecordBodyLimit));
    const auto rec2 = nextRecord();
    QVERIFY(rec2);
    QCOMPARE(rec2->responseBody, r2.body.toStdString());
    QVERIFY(!rec2->responseBodyTruncated);
    QVERIFY(!rec2->upstreamBodyTruncated);
}
int TestProxyRecords::sendMany(int n) {
    m_client->setMaxConnectionsPerHost(16);
    // Shared with the callbacks: they may outlive this call if it gives up.
    auto counts = std::make_shared<std::pair<int, int>>(0, 0);  // done, ok
    for (int i = 0; i < n; ++i) {
        http::ClientRequest rq;
        rq.method = "POST";
        rq.host = "127.0.0.1";
        rq.port = m_proxyPort;
        rq.target = "/v1/chat/completions";
        rq.headers.add("content-type", "application/json");
        rq.body = QByteArray::fromStdString(R"({"model":"rec-model","messages":[{"role":"user","content":"n)" + std::to_string(i) + R"("}]})");
        m_client->fetch(rq, [counts](http::FetchOutcome o) {
            ++counts->first;
            if (auto* r = std::get_if<http::FullResponse>(&o); r && r->head.status == 200)
                ++counts->second;
        });
    }
    (void)QTest::qWaitFor([&] { return counts->first >= n; }, 120000);
    return counts->second;
}

void TestProxyRecords::recentRecordsWrapInOrder() {
    // More requests than GET /requests keeps (256 by default): the oldest drop out, order stays
    // oldest first.
    const std::size_t kept = proxy::GatewayService::Options{}.recentRequests;
    QCOMPARE(kept, std::size_t(256));
    const int kRequests = static_cast<int>(kept) + 10;
    QCOMPARE(sendMany(kRequests), kRequests);
    const auto all = call(m_adminPort, "GET", "/requests?limit=5000");
    QCOMPARE(all.status, 200);
    const auto j = Json::parse(all.body.constData(), all.body.constData() + all.body.size(), nullptr, false);
    QVERIFY(j.is_array());
    QCOMPARE(j.size(), kept);
    std::vector<std::uint64_t> ids;
    for (const auto& r : j)
        ids.push_back(r["id"].get<std::uint64_t>());
    // The same records, in the same (completion) order, as the drain buffer got them.
    std::vector<routing::RequestRecord> drained;
    m_service->drain(&drained, nullptr, nullptr);
    QCOMPARE(drained.size(), std::size_t(kRequests));
    std::vector<std::uint64_t> newest;
    for (std::size_t i = drained.size() - kept; i < drained.size(); ++i)
        newest.push_back(drained[i].id);
    QCOMPARE(ids, newest);
    QCOMPARE(std::set<std::uint64_t>(ids.begin(), ids.end()).size(), ids.size());
    const auto last3 = call(m_adminPort, "GET", "/requests?limit=3");
    const auto k = Json::parse(last3.body.constData(), last3.body.constData() + last3.body.size(), nullptr, false);
    QVERIFY(k.is_array() && k.size() == 3);
    for (std::size_t i = 0; i < 3; ++i)
        QCOMPARE(k[i]["id"].get<std::uint64_t>(), ids[kept - 3 + i]);
}

void TestProxyRecords::recentRequestsIsConfigurable() {
    // Options::recentRequests (--recent-requests) sets the ring's size; 0 keeps none, and the
    // records still reach drain().
    for (const std::size_t kept : {std::size_t(3), std::size_t(0)}) {
        m_service.reset();
        QVERIFY(startGateway(m_upstream->url().toStdString(), 20000, kept));
        QCOMPARE(sendMany(7), 7);
        std::vector<routing::RequestRecord> drained;
        m_service->drain(&drained, nullptr, nullptr);
        QCOMPARE(drained.size(), std::size_t(7));
        const auto all = call(m_adminPort, "GET", "/requests?limit=100");
        QCOMPARE(all.status, 200);
        const auto j = Json::parse(all.body.constData(), all.body.constData() + all.body.size(), nullptr, false);
        QVERIFY(j.is_array());
        QCOMPARE(j.size(), kept);
        for (std::size_t i = 0; i < kept; ++i)
            QCOMPARE(j[i]["id"].get<std::uint64_t>(), drained[drained.size() - kept + i].id);
    }
}

void TestProxyRecords::fullDrainBufferKeepsTheNewest() {
    // Nobody drains (as in headless mode): a full buffer drops its oldest half, keeps the newest.
    m_service.reset();
    QVERIFY(startGateway(m_upstream->url().toStdString(), 100));
    QCOMPARE(sendMany(250), 250);
    QTRY_COMPARE_WITH_TIMEOUT(m_service->stats().droppedRecords, std::uint64_t(150), kHungMs);
    std::vector<routing::RequestRecord> drained;
    m_service->drain(&drained, nullptr, nullptr);
    QCOMPARE(drained.size(), std::size_t(100));
    const auto recent = call(m_adminPort, "GET", "/requests?limit=100");
    const auto j = Json::parse(recent.body.constData(), recent.body.constData() + recent.body.size(), nullptr, false);
    QVERIFY(j.is_array() && j.size() == 100);
    for (std::size_t i = 0; i < 100; ++i) {
        QCOMPARE(drained[i].id, j[i]["id"].get<std::uint64_t>());
        QCOMPARE(drained[i].finalStatus, 200);
        QVERIFY(!drained[i].responseBody.empty());  // whole records, not moved-from shells
    }
}
#endif

QTEST_GUILESS_MAIN(TestProxyRecords)
#include "test_proxy_records.moc"
