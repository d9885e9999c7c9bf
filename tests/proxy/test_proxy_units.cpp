// Pure pieces of the proxy: body rewrite (only "model" changes), local reply texts, metrics format.
#include <QtTest>

#include <nlohmann/json.hpp>

#include "proxy/local_reply.h"
#include "proxy/metrics.h"
#include "proxy/request_body.h"

using namespace aigw::proxy;

class TestProxyUnits : public QObject {
    Q_OBJECT
private slots:
    void rewriteKeepsEveryOtherByte_data();
    void rewriteKeepsEveryOtherByte();

    void parseErrors_data();
    void parseErrors();

    void streamFlags();

    void localReplies();

    void prometheusFormat();
};

#ifndef Q_MOC_RUN  // moc mis-tokenises some raw strings; it only needs the declarations above
void TestProxyUnits::rewriteKeepsEveryOtherByte_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("simple") << QByteArray(R"({"model":"virtual","messages":[]})")
                            << QByteArray(R"({"model":"qwen2.5:1.5b","messages":[]})");
    QTest::newRow("spacing and order kept")
        << QByteArray("{ \"messages\" : [ {\"role\":\"user\",\"content\":\"model\"} ],\n  \"model\" :  \"virtual\" , \"x\":1.50}")
        << QByteArray("{ \"messages\" : [ {\"role\":\"user\",\"content\":\"model\"} ],\n  \"model\" :  \"qwen2.5:1.5b\" , \"x\":1.50}");
    QTest::newRow("nested model untouched")
        << QByteArray(R"({"meta":{"model":"inner"},"model":"virtual"})")
        << QByteArray(R"({"meta":{"model":"inner"},"model":"qwen2.5:1.5b"})");
    QTest::newRow("escaped key") << QByteArray(R"({"mod\u0065l":"virtual"})")
                                 << QByteArray(R"({"mod\u0065l":"qwen2.5:1.5b"})");
    QTest::newRow("escapes in value") << QByteArray(R"({"model":"a\"b\\","z":"\u00e9"})")
                                      << QByteArray(R"({"model":"qwen2.5:1.5b","z":"\u00e9"})");
}

void TestProxyUnits::rewriteKeepsEveryOtherByte() {
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, expected);
    auto parsed = parseRequestBody(body);
    QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.error().message.c_str());
    QCOMPARE(withModel(body, parsed.value(), "qwen2.5:1.5b"), expected);
}

void TestProxyUnits::parseErrors_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("needle");
    QTest::newRow("truncated") << QByteArray(R"({"model":)") << "syntax error";
    QTest::newRow("empty") << QByteArray() << "syntax error";
    QTest::newRow("array") << QByteArray("[1]") << "must be a JSON object";
    QTest::newRow("model number") << QByteArray(R"({"model":3})") << "\"model\" must be a string";
    QTest::newRow("stream string") << QByteArray(R"({"model":"m","stream":"yes"})") << "\"stream\" must be a boolean";
}

void TestProxyUnits::parseErrors() {
    QFETCH(QByteArray, body);
    QFETCH(QString, needle);
    auto parsed = parseRequestBody(body);
    QVERIFY(!parsed.ok());
    QVERIFY2(QString::fromStdString(parsed.error().message).contains(needle), parsed.error().message.c_str());
}

void TestProxyUnits::streamFlags() {
    auto p = parseRequestBody(R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})");
    QVERIFY(p.ok());
    QVERIFY(p.value().stream);
    QVERIFY(p.value().includeUsage);
    QCOMPARE(p.value().model, std::string("m"));
}

void TestProxyUnits::localReplies() {
    QCOMPARE(unsupportedPath("/v2/x").body, QByteArray("unsupported path: /v2/x"));
    QCOMPARE(unsupportedPath("/v2/x").status, 404);
    const auto bad = malformedRequest("/v1/chat/completions", "boom");
    QCOMPARE(bad.status, 400);
    QCOMPARE(bad.body, QByteArray(R"({"type":"error","error":{"type":"BadRequest","code":"400","message":"malformed request: failed to parse JSON for /v1/chat/completions: boom"}})"));
    QCOMPARE(noRoute().body, QByteArray(kNoRouteText));
    QCOMPARE(payloadTooLarge().status, 413);
    aigw::http::Headers h{{"content-type", "text/plain"}};
    QByteArray body("backend timeout\n");
    QVERIFY(wrapNonJsonError(503, h, body));
    const auto j = nlohmann::json::parse(body.toStdString());
    QCOMPARE(QString::fromStdString(j["error"]["message"]), QString("backend timeout"));
    QCOMPARE(QString::fromStdString(j["error"]["type"]), QString("OpenAIBackendError"));
    QCOMPARE(QString::fromStdString(j["error"]["code"]), QString("503"));
    QByteArray jsonBody(R"({"error":{"message":"model not found"}})");
    QVERIFY(!wrapNonJsonError(404, h, jsonBody));
}

void TestProxyUnits::prometheusFormat() {
    Metrics m;
    RequestMetrics r;
    r.route = "default/r";
    r.operation = "chat";
    r.provider = "openai";
    r.originalModel = "virtual";
    r.requestModel = "qwen";
    r.responseModel = "qwen";
    r.finalBackend = "default/b";
    r.status = 200;
    r.success = true;
    r.stream = true;
    r.attempts = 2;
    r.durationSeconds = 0.5;
    r.ttftSeconds = 0.1;
    r.inputTokens = 10;
    r.outputTokens = 5;
    m.recordRequest(r);
    const std::string text = m.render();
    for (const char* needle :
         {"aigw_route_requests_total{route=\"default/r\"} 1", "aigw_route_retries_total{route=\"default/r\"} 1",
          "gen_ai_client_token_usage_count{gen_ai_operation_name=\"chat\"",
          "gen_ai_token_type=\"output\"", "gen_ai_server_request_duration_bucket",
          "gen_ai_server_time_to_first_token_sum", "gen_ai_server_time_per_output_token_count"})
        QVERIFY2(text.find(needle) != std::string::npos, needle);
}

#endif

QTEST_GUILESS_MAIN(TestProxyUnits)
#include "test_proxy_units.moc"
