// Pure pieces of the proxy: body rewrite (only "model" changes), local reply texts, metrics format.
#include <QtTest>

#include <random>

#include <nlohmann/json.hpp>

#include "proxy/endpoints.h"
#include "proxy/latency_window.h"
#include "proxy/local_reply.h"
#include "proxy/metrics.h"
#include "proxy/request_body.h"

#include "body_reference.h"
#include "http/http_client.h"
#include "proxy/gateway_service.h"
#include "qtest_names.h"
#include "routing/engine.h"
#include "routing/outlier.h"
#include "routing/records.h"

AIGW_QTEST_NAMES(aigw::proxy::ServerState)
AIGW_QTEST_NAMES(aigw::routing::UpstreamFailure)

// The enums' names are nameOf(), never a free toString() that QtTest would find by argument-dependent
// lookup and delete[] (a failing QCOMPARE of two ServerState values aborted test_ui_gateway).
namespace adl_probe {
template <typename T>
concept FreeToString = requires(T v) { toString(v); };  // only ADL can find one from here
static_assert(!FreeToString<aigw::proxy::ServerState> && !FreeToString<aigw::proxy::ServerMode>);
static_assert(!FreeToString<aigw::routing::UpstreamFailure> && !FreeToString<aigw::routing::HostEvent::Type>);
static_assert(!FreeToString<aigw::routing::RetryStatus> && !FreeToString<aigw::routing::EjectionType>);
static_assert(!FreeToString<aigw::http::FailureKind>);
}  // namespace adl_probe

using namespace aigw::proxy;

class TestProxyUnits : public QObject {
    Q_OBJECT
private slots:
    void qtestPrintsEnumNames() {
        // What a failing QCOMPARE prints: a copy QtTest may free, holding the name.
        std::unique_ptr<char[]> state(QTest::toString(ServerState::Ready));
        QCOMPARE(QByteArray(state.get()), QByteArray("ready"));
        std::unique_ptr<char[]> failure(QTest::toString(aigw::routing::UpstreamFailure::ConnectFailure));
        QCOMPARE(QByteArray(failure.get()), QByteArray(aigw::routing::nameOf(aigw::routing::UpstreamFailure::ConnectFailure)));
    }
    void rewriteKeepsEveryOtherByte_data();
    void rewriteKeepsEveryOtherByte();

    void rewriteEscapesTheModel_data();
    void rewriteEscapesTheModel();

    void parseErrors_data();
    void parseErrors();

    void streamFlags();

    void bodyFields_data();
    void bodyFields();
    void parseAgreesWithDocumentParse();
    void rewriteAgreesWithDocumentParse();

    void modelAndUsage_data();
    void modelAndUsage();

    void localReplies();

    void endpointTable_data();
    void endpointTable();
    void requestBodies_data();
    void requestBodies();
    void multipartModelRewrite();
    void errorWrapping_data();
    void errorWrapping();

    void prometheusFormat();

    void latencyBuckets();
    void latencyWindowPercentiles();
    void latencyWindowSlides();
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

void TestProxyUnits::rewriteEscapesTheModel_data() {
    QTest::addColumn<QByteArray>("model");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("plain") << QByteArray("llama3.2:1b") << QByteArray(R"({"model":"llama3.2:1b"})");
    QTest::newRow("quote and backslash") << QByteArray(R"(a"b\c)") << QByteArray(R"({"model":"a\"b\\c"})");
    QTest::newRow("control") << QByteArray("a\tb") << QByteArray(R"({"model":"a\tb"})");
    QTest::newRow("utf-8 kept") << QByteArray("mod\xc3\xa8le") << QByteArray("{\"model\":\"mod\xc3\xa8le\"}");
    // A modelNameOverride from YAML can hold any bytes; invalid UTF-8 must not throw.
    QTest::newRow("invalid utf-8 replaced") << QByteArray("bad\xff") << QByteArray("{\"model\":\"bad\xef\xbf\xbd\"}");
}

void TestProxyUnits::rewriteEscapesTheModel() {
    QFETCH(QByteArray, model);
    QFETCH(QByteArray, expected);
    const QByteArray body(R"({"model":"virtual"})");
    auto parsed = parseRequestBody(body);
    QVERIFY(parsed.ok());
    QCOMPARE(withModel(body, parsed.value(), model.toStdString()), expected);
}

void TestProxyUnits::parseErrors_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("needle");
    QTest::newRow("truncated") << QByteArray(R"({"model":)") << "syntax error";
    QTest::newRow("empty") << QByteArray() << "syntax error";
    QTest::newRow("array") << QByteArray("[1]") << "must be a JSON object";
    QTest::newRow("model number") << QByteArray(R"({"model":3})") << "\"model\" must be a string";
    QTest::newRow("stream string") << QByteArray(R"({"model":"m","stream":"yes"})") << "\"stream\" must be a boolean";
    QTest::newRow("model object") << QByteArray(R"({"model":{"a":1}})") << "\"model\" must be a string, got object";
    // Used to escape as an uncaught out_of_range exception (not a parse_error) from the DOM parse.
    QTest::newRow("number overflow") << QByteArray(R"({"model":"m","x":1e500})") << "number overflow";
    QTest::newRow("trailing garbage") << QByteArray(R"({"model":"m"} x)") << "syntax error";
    // Found by fuzz_request_body: nlohmann stopped at the NUL and read `m`, while withModel rewrote `x`.
    QTest::newRow("NUL, then another object") << QByteArray("{\"model\":\"m\"}\0{\"model\":\"x\"}", 27)
                                             << "invalid character '\\x00' at byte 14";
    QTest::newRow("NUL in a string") << QByteArray("{\"model\":\"m\0\"}", 14) << "syntax error";
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

namespace {
using reference::documentReference;
using reference::Fields;

Fields scanned(const QByteArray& body) {
    Fields f;
    auto p = parseRequestBody(body);
    if (!p.ok()) {
        f.error = p.error().message;
        return f;
    }
    f.ok = true;
    f.model = p.value().model;
    f.stream = p.value().stream;
    f.includeUsage = p.value().includeUsage;
    return f;
}
}  // namespace

void TestProxyUnits::bodyFields_data() {
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("model");
    QTest::addColumn<bool>("stream");
    QTest::addColumn<bool>("includeUsage");
    QTest::newRow("plain") << QByteArray(R"({"model":"m","messages":[]})") << "m" << false << false;
    QTest::newRow("duplicate model: last wins") << QByteArray(R"({"model":3,"model":"b"})") << "b" << false << false;
    QTest::newRow("model null is absent") << QByteArray(R"({"model":"a","model":null})") << "" << false << false;
    QTest::newRow("nested model ignored") << QByteArray(R"({"x":{"model":"inner"},"model":"outer"})") << "outer" << false << false;
    QTest::newRow("stream null is false") << QByteArray(R"({"model":"m","stream":true,"stream":null})") << "m" << false << false;
    QTest::newRow("include_usage") << QByteArray(R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})")
                                   << "m" << true << true;
    QTest::newRow("include_usage not boolean") << QByteArray(R"({"model":"m","stream_options":{"include_usage":1}})")
                                               << "m" << false << false;
    QTest::newRow("later stream_options replaces")
        << QByteArray(R"({"model":"m","stream_options":{"include_usage":true},"stream_options":{}})") << "m" << false << false;
    QTest::newRow("stream_options not object")
        << QByteArray(R"({"model":"m","stream_options":{"include_usage":true},"stream_options":[1]})") << "m" << false << false;
    QTest::newRow("include_usage nested deeper")
        << QByteArray(R"({"model":"m","stream_options":{"x":{"include_usage":true}}})") << "m" << false << false;
    QTest::newRow("escaped key") << QByteArray(R"({"mod\u0065l":"e"})") << "e" << false << false;
}

void TestProxyUnits::bodyFields() {
    QFETCH(QByteArray, body);
    QFETCH(QString, model);
    QFETCH(bool, stream);
    QFETCH(bool, includeUsage);
    auto p = parseRequestBody(body);
    QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
    QCOMPARE(QString::fromStdString(p.value().model), model);
    QCOMPARE(p.value().stream, stream);
    QCOMPARE(p.value().includeUsage, includeUsage);
    const auto ref = documentReference(body);
    QVERIFY(ref.ok);
    QCOMPARE(ref.model, model.toStdString());
}

void TestProxyUnits::parseAgreesWithDocumentParse() {
    // Seeded mutations of realistic bodies: the fast pass with its nlohmann fallback must give the
    // same fields, or the same error text, as a full document parse followed by lookups.
    const QByteArray seeds[] = {
        R"({"model":"virtual","messages":[{"role":"user","content":"hi \"there\""}],"stream":true,"stream_options":{"include_usage":true},"max_tokens":8})",
        R"({"stream":false,"model":"a","model":"b","temperature":0.5,"n":1,"stop":null,"meta":{"model":"x","stream":"no"}})",
        R"([{"model":"m"}])",
        R"({"model":"m","stream_options":{"include_usage":false,"include_usage":true},"x":[1,2,{"y":null}],"z":-1.5e3})",
        // Escapes, non-ASCII, numbers of every shape: what the fast pass hands to nlohmann and what it keeps.
        "{\"model\":\"a\\\"b\\\\c\\/d\\n\",\"messages\":[{\"content\":\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\\t\"}],\"t\":0.25,\"n\":-0,\"big\":123456789012345678901234,\"e\":1E+2}",
        "{\"stream\":true,\"model\":\"m\",\"deep\":" + QByteArray(70, '[') + QByteArray(70, ']') + "}",
    };
    const char alphabet[] = "{}[]\":,0123456789 truefalsnmodelstreamx\\u.eE-+\x01\xc3\xa9\xff";
    std::mt19937 rng(20261124);
    int compared = 0, accepted = 0;
    for (const auto& seed : seeds) {
        for (int i = 0; i < 400; ++i) {
            QByteArray body = seed;
            const int edits = 1 + static_cast<int>(rng() % 3);
            for (int e = 0; e < edits && !body.isEmpty(); ++e) {
                const auto at = static_cast<qsizetype>(rng() % static_cast<unsigned>(body.size()));
                switch (rng() % 3) {
                case 0: body[at] = alphabet[rng() % (sizeof alphabet - 1)]; break;
                case 1: body.remove(at, 1); break;
                case 2: body.truncate(at); break;
                }
            }
            const auto want = documentReference(body);
            const auto got = scanned(body);
            QVERIFY2(got.ok == want.ok && got.error == want.error && got.model == want.model &&
                         got.stream == want.stream && got.includeUsage == want.includeUsage,
                     qPrintable(QStringLiteral("body %1: scanner ok=%2 '%3' model=%4 stream=%5 usage=%6, document ok=%7 '%8' model=%9 stream=%10 usage=%11")
                                    .arg(QString::fromUtf8(body))
                                    .arg(got.ok).arg(QString::fromStdString(got.error)).arg(QString::fromStdString(got.model))
                                    .arg(got.stream).arg(got.includeUsage)
                                    .arg(want.ok).arg(QString::fromStdString(want.error)).arg(QString::fromStdString(want.model))
                                    .arg(want.stream).arg(want.includeUsage)));
            ++compared;
            accepted += want.ok ? 1 : 0;
        }
    }
    QCOMPARE(compared, 2400);
    // Both sides of the comparison were exercised: bodies that parse and bodies that do not.
    QVERIFY2(accepted > 100 && compared - accepted > 100, qPrintable(QString::number(accepted)));
}

void TestProxyUnits::rewriteAgreesWithDocumentParse() {
    // The fast pass records the `model` value's span itself (locateModel runs only after the
    // nlohmann fallback): on seeded mutations, the rewritten body must be the document with only
    // the last top-level `model` replaced, and the span must hold the model's JSON string.
    const QByteArray seeds[] = {
        R"({"model":"virtual","messages":[{"role":"user","content":"model"}],"stream":true,"max_tokens":8})",
        R"({ "model" : "a" , "x" : {"model":"inner","y":["model"]}, "model" :"b\"c\\" })",
        R"({"model":"m","model":null,"model":"last","stream_options":{"model":"no"}})",
        "{\n\t\"messages\": [],\n\t\"model\":\t\"tab\\tbed\"\r\n}",
        // Handed to nlohmann: an escaped key and non-ASCII text.
        R"({"mod\u0065l":"e","y":[1,2.5,-3],"model":"f","z":"\u00e9"})",
        "{\"model\":\"caf\xc3\xa9\",\"model\":\"z\"}",
    };
    const char alphabet[] = "{}[]\":, 0123456789nulmodel\\t\n\xc3\xa9";
    std::mt19937 rng(20261202);
    int rewritten = 0;
    for (const auto& seed : seeds) {
        for (int i = 0; i < 300; ++i) {
            QByteArray body = seed;
            const int edits = i == 0 ? 0 : 1 + static_cast<int>(rng() % 2);
            for (int e = 0; e < edits && !body.isEmpty(); ++e) {
                const auto at = static_cast<qsizetype>(rng() % static_cast<unsigned>(body.size()));
                switch (rng() % 3) {
                case 0: body[at] = alphabet[rng() % (sizeof alphabet - 1)]; break;
                case 1: body.remove(at, 1); break;
                case 2: body.insert(at, alphabet[rng() % (sizeof alphabet - 1)]); break;
                }
            }
            const auto p = parseRequestBody(body);
            if (!p.ok() || p.value().model.empty())
                continue;
            const ParsedBody& parsed = p.value();
            const QByteArray span = body.mid(parsed.valueBegin, parsed.valueEnd - parsed.valueBegin);
            const auto spanValue = nlohmann::json::parse(span.constData(), span.constData() + span.size(), nullptr, false);
            QVERIFY2(spanValue.is_string() && spanValue.get<std::string>() == parsed.model, body.constData());
            auto want = nlohmann::json::parse(body.constData(), body.constData() + body.size());
            want["model"] = "swapped";
            const QByteArray out = withModel(body, parsed, "swapped");
            QCOMPARE(nlohmann::json::parse(out.constData(), out.constData() + out.size(), nullptr, false), want);
            ++rewritten;
        }
    }
    QVERIFY2(rewritten > 400, qPrintable(QString::number(rewritten)));
}

void TestProxyUnits::modelAndUsage_data() {
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QString>("model");
    QTest::addColumn<qint64>("prompt");
    QTest::addColumn<qint64>("completion");
    QTest::newRow("chat completion")
        << QByteArray(R"({"id":"1","model":"qwen:1b","choices":[{"message":{"content":"the model said"}}],"usage":{"prompt_tokens":9,"completion_tokens":8,"total_tokens":17}})")
        << "qwen:1b" << qint64(9) << qint64(8);
    QTest::newRow("details objects and spacing")
        << QByteArray("{\"model\" : \"m\", \"usage\" :\n {\"prompt_tokens_details\":{\"cached_tokens\":3},\"prompt_tokens\":4,\"completion_tokens\":2}}")
        << "m" << qint64(4) << qint64(2);
    QTest::newRow("usage null (stream chunk)") << QByteArray(R"({"model":"m","choices":[{"delta":{"content":"{"}}],"usage":null})")
                                               << "m" << qint64(-1) << qint64(-1);
    QTest::newRow("no usage") << QByteArray(R"({"model":"m"})") << "m" << qint64(-1) << qint64(-1);
    QTest::newRow("usage not integers") << QByteArray(R"({"usage":{"prompt_tokens":"9","completion_tokens":1.5}})")
                                        << "" << qint64(-1) << qint64(-1);
    QTest::newRow("nested prompt_tokens ignored") << QByteArray(R"({"usage":{"x":{"prompt_tokens":7},"completion_tokens":1}})")
                                                  << "" << qint64(-1) << qint64(1);
    QTest::newRow("braces inside strings") << QByteArray(R"({"usage":{"note":"a}b{\"","prompt_tokens":3, "completion_tokens" : -0}})")
                                           << "" << qint64(3) << qint64(0);
    QTest::newRow("empty usage") << QByteArray(R"({"usage":{}})") << "" << qint64(-1) << qint64(-1);
    QTest::newRow("missing comma") << QByteArray(R"({"usage":{"prompt_tokens":3 "completion_tokens":4}})")
                                   << "" << qint64(-1) << qint64(-1);
    QTest::newRow("responses usage") << QByteArray(R"({"type":"response.completed","response":{"model":"m","usage":{"input_tokens":12,"input_tokens_details":{"cached_tokens":0},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":19}}})")
                                     << "m" << qint64(12) << qint64(7);
    QTest::newRow("truncated usage") << QByteArray(R"({"model":"m","usage":{"prompt_tokens":9,"completion_tok)")
                                     << "m" << qint64(-1) << qint64(-1);
}

void TestProxyUnits::modelAndUsage() {
    QFETCH(QByteArray, data);
    QFETCH(QString, model);
    QFETCH(qint64, prompt);
    QFETCH(qint64, completion);
    std::string gotModel;
    TokenUsage usage;
    readModelAndUsage(data.constData(), data.size(), gotModel, usage);
    QCOMPARE(QString::fromStdString(gotModel), model);
    QCOMPARE(qint64(usage.promptTokens), prompt);
    QCOMPARE(qint64(usage.completionTokens), completion);
}

void TestProxyUnits::localReplies() {
    QCOMPARE(unsupportedPath("/v2/x").body, QByteArray("unsupported path: /v2/x"));
    QCOMPARE(unsupportedPath("/v2/x").status, 404);
    const auto bad = malformedRequest("/v1/chat/completions", "boom");
    QCOMPARE(bad.status, 400);
    QCOMPARE(bad.body, QByteArray(R"({"type":"error","error":{"type":"BadRequest","code":"400","message":"malformed request: failed to parse JSON for /v1/chat/completions: boom"}})"));
    QCOMPARE(noRoute().body, QByteArray(kNoRouteText));
    QCOMPARE(payloadTooLarge().status, 413);
}

void TestProxyUnits::endpointTable_data() {
    // cmd/extproc/mainlib/main.go with the default prefixes; operations from internal/metrics/genai.go.
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("operation");  // "-": not served (404 unsupported path); "": model list
    QTest::addColumn<int>("format");
    const int json = int(BodyFormat::Json), multipart = int(BodyFormat::Multipart), none = int(BodyFormat::None);
    QTest::newRow("chat") << "/v1/chat/completions" << "chat" << json;
    QTest::newRow("completions") << "/v1/completions" << "completion" << json;
    QTest::newRow("embeddings") << "/v1/embeddings" << "embeddings" << json;
    QTest::newRow("responses") << "/v1/responses" << "responses" << json;
    QTest::newRow("responses input_tokens") << "/v1/responses/input_tokens" << "responses_input_tokens" << json;
    QTest::newRow("speech") << "/v1/audio/speech" << "speech" << json;
    QTest::newRow("transcriptions") << "/v1/audio/transcriptions" << "transcription" << multipart;
    QTest::newRow("translations") << "/v1/audio/translations" << "translation" << multipart;
    QTest::newRow("images") << "/v1/images/generations" << "image_generation" << json;
    QTest::newRow("models") << "/v1/models" << "" << none;
    QTest::newRow("tokenize") << "/tokenize" << "tokenize" << json;
    QTest::newRow("rerank") << "/cohere/v2/rerank" << "rerank" << json;
    QTest::newRow("anthropic models") << "/anthropic/v1/models" << "" << none;
    QTest::newRow("messages") << "/anthropic/v1/messages" << "messages" << json;
    QTest::newRow("count_tokens") << "/anthropic/v1/messages/count_tokens" << "count_tokens" << json;
    // Exact match only: no prefix, trailing slash, case folding, or unprefixed cohere/anthropic paths.
    QTest::newRow("trailing slash") << "/v1/chat/completions/" << "-" << 0;
    QTest::newRow("sub-path") << "/v1/models/qwen" << "-" << 0;
    QTest::newRow("case") << "/V1/chat/completions" << "-" << 0;
    QTest::newRow("rerank without prefix") << "/v2/rerank" << "-" << 0;
    QTest::newRow("messages without prefix") << "/v1/messages" << "-" << 0;
    QTest::newRow("root") << "/" << "-" << 0;
}

void TestProxyUnits::endpointTable() {
    QFETCH(QString, path);
    QFETCH(QString, operation);
    QFETCH(int, format);
    const Endpoint* e = findEndpoint(path.toStdString());
    if (operation == "-") {
        QVERIFY(!e);
        return;
    }
    QVERIFY(e);
    QCOMPARE(QString::fromUtf8(e->operation.data(), qsizetype(e->operation.size())), operation);
    QCOMPARE(int(e->body), format);
    QCOMPARE(e->modelList != ModelList::None, format == int(BodyFormat::None));
    QCOMPARE(endpoints().size(), std::size_t(15));
}

void TestProxyUnits::requestBodies_data() {
    // internal/endpointspec/endpointspec.go ParseBody / ParseMultipartBody, and the processor's
    // choice between them by content-type (processor_impl.go ProcessRequestBody).
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");       // 0: parsed
    QTest::addColumn<QString>("expected"); // the model when parsed, else the error message
    const QByteArray form = "--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper\r\n"
                            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\nRIFF\r\n--b--\r\n";
    QTest::newRow("responses") << "/v1/responses" << "application/json" << QByteArray(R"({"model":"m","input":"x"})") << 0 << "m";
    QTest::newRow("no content-type is JSON") << "/v1/chat/completions" << "" << QByteArray(R"({"model":"m"})") << 0 << "m";
    QTest::newRow("rerank names its own path") << "/cohere/v2/rerank" << "application/json" << QByteArray("{") << 400
                                               << "malformed request: failed to parse JSON for /v2/rerank: ";
    QTest::newRow("messages names its own path") << "/anthropic/v1/messages" << "application/json" << QByteArray("[") << 400
                                                 << "malformed request: failed to parse JSON for /v1/messages: ";
    QTest::newRow("messages needs a model") << "/anthropic/v1/messages" << "application/json" << QByteArray(R"({"messages":[]})")
                                            << 400 << "invalid request body: model field is required";
    QTest::newRow("chat without model routes (404 later)") << "/v1/chat/completions" << "application/json"
                                                           << QByteArray(R"({"messages":[]})") << 0 << "";
    QTest::newRow("speech parse error fails the ext_proc") << "/v1/audio/speech" << "application/json" << QByteArray("{") << 500 << "";
    QTest::newRow("multipart on a JSON endpoint") << "/v1/chat/completions" << "multipart/form-data; boundary=b" << form << 400
                                                  << "malformed request: multipart body not supported for this endpoint";
    QTest::newRow("JSON on transcriptions") << "/v1/audio/transcriptions" << "application/json" << QByteArray(R"({"model":"m"})")
                                            << 400 << "malformed request: expected multipart/form-data content type for /v1/audio/transcriptions";
    QTest::newRow("transcription form") << "/v1/audio/transcriptions" << "Multipart/Form-Data; boundary=\"b\"" << form << 0 << "whisper";
    QTest::newRow("translation form") << "/v1/audio/translations" << "multipart/form-data; charset=utf-8; boundary=b" << form << 0 << "whisper";
    QTest::newRow("no boundary") << "/v1/audio/translations" << "multipart/form-data" << form << 400
                                 << "malformed request: failed to parse multipart form data: missing boundary";
    QTest::newRow("no file") << "/v1/audio/transcriptions" << "multipart/form-data; boundary=b"
                             << QByteArray("--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nw\r\n--b--\r\n") << 400
                             << "malformed request: missing required field 'file'";
    QTest::newRow("no model") << "/v1/audio/transcriptions" << "multipart/form-data; boundary=b"
                              << QByteArray("--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nw\r\n--b--\r\n") << 400
                              << "malformed request: missing required field 'model'";
}

void TestProxyUnits::requestBodies() {
    QFETCH(QString, path);
    QFETCH(QString, contentType);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, expected);
    const Endpoint* e = findEndpoint(path.toStdString());
    QVERIFY(e);
    const auto got = readRequestBody(*e, contentType.toStdString(), body);
    if (status == 0) {
        const auto* parsed = std::get_if<ParsedBody>(&got);
        QVERIFY2(parsed, parsed ? "" : std::get<LocalReply>(got).body.constData());
        QCOMPARE(QString::fromStdString(parsed->model), expected);
        return;
    }
    const auto* reply = std::get_if<LocalReply>(&got);
    QVERIFY(reply);
    QCOMPARE(reply->status, status);
    if (status == 500) {
        QVERIFY(reply->body.isEmpty());
        return;
    }
    const auto j = nlohmann::json::parse(reply->body.toStdString());
    QCOMPARE(QString::fromStdString(j["error"]["type"]), QString("BadRequest"));
    QVERIFY2(QString::fromStdString(j["error"]["message"]).startsWith(expected), reply->body.constData());
}

void TestProxyUnits::multipartModelRewrite() {
    const QByteArray form = "preamble\r\n--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nvirtual\r\n"
                            "--b\r\nContent-Disposition: form-data; name=\"stream\"\r\n\r\nTrue\r\n"
                            "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nbytes\r\n--b--\r\n";
    const auto parsed = parseMultipartBody(form, "multipart/form-data; boundary=b");
    QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.error().message.c_str());
    QCOMPARE(parsed.value().model, std::string("virtual"));
    QVERIFY(parsed.value().stream);
    QCOMPARE(withModel(form, parsed.value(), "whisper-1"), QByteArray(form).replace("\r\n\r\nvirtual\r\n", "\r\n\r\nwhisper-1\r\n"));
}

void TestProxyUnits::errorWrapping_data() {
    // openai_openai.go convertErrorOpenAIToOpenAIError: by content-type (strings.Contains
    // "application/json"), never by whether the body parses; message is the raw body.
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("expected");  // empty: unchanged
    QTest::newRow("text/plain 503") << 503 << "text/plain" << QByteArray("backend timeout")
                                    << QByteArray(R"({"type":"error","error":{"type":"OpenAIBackendError","code":"503","message":"backend timeout"}})");
    QTest::newRow("raw body kept, newline too") << 502 << "text/plain; charset=utf-8" << QByteArray("bad gateway\n")
                                                << QByteArray(R"({"type":"error","error":{"type":"OpenAIBackendError","code":"502","message":"bad gateway\n"}})");
    QTest::newRow("JSON body labelled text is wrapped") << 500 << "text/plain" << QByteArray(R"({"error":"x"})")
                                                        << QByteArray(R"({"type":"error","error":{"type":"OpenAIBackendError","code":"500","message":"{\"error\":\"x\"}"}})");
    QTest::newRow("no content-type is wrapped") << 404 << "" << QByteArray("404 page not found")
                                                << QByteArray(R"({"type":"error","error":{"type":"OpenAIBackendError","code":"404","message":"404 page not found"}})");
    QTest::newRow("empty body: message omitted") << 503 << "text/plain" << QByteArray()
                                                 << QByteArray(R"({"type":"error","error":{"type":"OpenAIBackendError","code":"503"}})");
    QTest::newRow("invalid UTF-8 replaced, no throw") << 500 << "application/octet-stream" << QByteArray("a\xff")
                                                      << QByteArray("{\"type\":\"error\",\"error\":{\"type\":\"OpenAIBackendError\",\"code\":\"500\",\"message\":\"a\xef\xbf\xbd\"}}");
    QTest::newRow("3xx is non-2xx") << 302 << "text/html" << QByteArray("moved")
                                    << QByteArray(R"({"type":"error","error":{"type":"OpenAIBackendError","code":"302","message":"moved"}})");
    QTest::newRow("JSON error unchanged") << 404 << "application/json" << QByteArray(R"({"error":{"message":"model not found"}})") << QByteArray();
    QTest::newRow("non-JSON labelled JSON unchanged") << 503 << "application/json; charset=utf-8" << QByteArray("oops") << QByteArray();
    QTest::newRow("2xx never") << 200 << "text/plain" << QByteArray("fine") << QByteArray();
    QTest::newRow("case-sensitive like Go") << 503 << "Application/JSON" << QByteArray("x")
                                            << QByteArray(R"({"type":"error","error":{"type":"OpenAIBackendError","code":"503","message":"x"}})");
}

void TestProxyUnits::errorWrapping() {
    QFETCH(int, status);
    QFETCH(QString, contentType);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, expected);
    aigw::http::Headers h{{"content-length", std::to_string(body.size())}};
    if (!contentType.isEmpty())
        h.add("content-type", contentType.toStdString());
    const QByteArray original = body;
    const bool wrapped = wrapNonJsonError(status, h, body);
    QCOMPARE(wrapped, !expected.isEmpty());
    if (!wrapped) {
        QCOMPARE(body, original);
        QCOMPARE(h.value("content-type"), contentType.toStdString());
        return;
    }
    QCOMPARE(body, expected);
    QCOMPARE(h.value("content-type"), std::string("application/json"));
    QVERIFY(!h.has("content-length"));  // set again for the new body when it is sent
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
          "gen_ai_token_type=\"output\"", "gen_ai_server_request_duration_seconds_bucket",
          "gen_ai_server_time_to_first_token_seconds_sum", "gen_ai_server_time_per_output_token_seconds_count",
          "otel_scope_name=\"envoyproxy/ai-gateway\",otel_scope_schema_url=\"\",otel_scope_version=\"\"", "target_info{"})
        QVERIFY2(text.find(needle) != std::string::npos, needle);
    // Only observed series are exposed: no error series before a failure.
    QVERIFY(text.find("error_type") == std::string::npos);

    // The same attribute set again (its series is found, not rebuilt), a failure, and another
    // response model whose value needs escaping.
    m.recordRequest(r);
    RequestMetrics failed = r;
    failed.success = false;
    failed.status = 503;
    m.recordRequest(failed);
    RequestMetrics other = r;
    const std::string quoted = "q\"x";
    other.responseModel = quoted;
    m.recordRequest(other);
    AttemptMetrics a;
    a.route = "default/r";
    a.backend = "default/b";
    a.outcome = "status_503";
    m.recordAttempt(a);
    m.recordAttempt(a);
    m.recordEjection("default/r", "default/b");
    const std::string after = m.render();
    // Label keys sorted, the OTel scope labels last (as the AI Gateway's exporter writes them).
    const std::string base = R"(gen_ai_operation_name="chat",gen_ai_original_model="virtual",gen_ai_provider_name="openai",gen_ai_request_model="qwen",)";
    const std::string scope = R"(,otel_scope_name="envoyproxy/ai-gateway",otel_scope_schema_url="",otel_scope_version=""})";
    for (const std::string& needle : std::vector<std::string>{
             "aigw_route_requests_total{route=\"default/r\"} 4", "aigw_route_responses_total{route=\"default/r\",status=\"503\"} 1",
          "gen_ai_server_request_duration_seconds_count{" + base + R"(gen_ai_response_model="qwen")" + scope + " 2",
          R"(gen_ai_server_request_duration_seconds_count{error_type="_OTHER",)" + base + R"(gen_ai_response_model="qwen")" + scope + " 1",
          "gen_ai_server_request_duration_seconds_count{" + base + R"(gen_ai_response_model="q\"x")" + scope + " 1",
          R"(aigw_backend_attempt_outcomes_total{route="default/r",backend="default/b",outcome="status_503"} 2)",
          R"(aigw_backend_ejections_total{route="default/r",backend="default/b"} 1)"})
        QVERIFY2(after.find(needle) != std::string::npos, needle.c_str());
}

void TestProxyUnits::latencyBuckets() {
    // Every latency lies within 1/16 of its bucket's value (8 buckets per doubling), and buckets
    // grow with the latency.
    int last = -1;
    for (double ms = 0.001; ms < 3.6e6; ms *= 1.01) {
        const int b = LatencyWindow::bucketOf(ms);
        QVERIFY2(b >= last, qPrintable(QString::number(ms)));
        last = b;
        const double v = LatencyWindow::valueOf(b);
        QVERIFY2(std::abs(v - ms) <= ms / 16.0 + 1e-12, qPrintable(QStringLiteral("%1 ms -> %2").arg(ms).arg(v)));
    }
    QCOMPARE(LatencyWindow::bucketOf(0.0), 0);
    QCOMPARE(LatencyWindow::bucketOf(-1.0), 0);
    QCOMPARE(LatencyWindow::bucketOf(std::nan("")), 0);
    QCOMPARE(LatencyWindow::valueOf(0), 0.0);
    QCOMPARE(LatencyWindow::bucketOf(1e300), LatencyWindow::kBuckets - 1);
}

void TestProxyUnits::latencyWindowPercentiles() {
    LatencyWindow w;
    QCOMPARE(w.summary().count, std::uint64_t(0));
    // 1,000 requests over 5 s: latencies 1..1000 ms, every tenth a 503.
    std::vector<double> lat;
    for (int i = 0; i < 1000; ++i) {
        lat.push_back(1000.0 - i);
        w.add(1000 + i * 5, 1000.0 - i, i % 10 == 0 ? 503 : 200);
    }
    const auto s = w.summary();
    QCOMPARE(s.count, std::uint64_t(1000));
    QCOMPARE(s.errors, std::uint64_t(100));
    QCOMPARE(s.firstMs, std::int64_t(1000));
    QCOMPARE(s.lastMs, std::int64_t(1000 + 999 * 5));
    std::sort(lat.begin(), lat.end());
    const double p50 = lat[static_cast<std::size_t>(0.50 * 999)];
    const double p99 = lat[static_cast<std::size_t>(0.99 * 999)];
    QVERIFY2(std::abs(s.p50Ms - p50) <= p50 / 16.0, qPrintable(QString::number(s.p50Ms)));
    QVERIFY2(std::abs(s.p99Ms - p99) <= p99 / 16.0, qPrintable(QString::number(s.p99Ms)));
    QVERIFY(s.p50Ms < s.p99Ms);
}

void TestProxyUnits::latencyWindowSlides() {
    // Only the last 10 s count: a burst 20 s ago is gone, an older stray sample is dropped.
    LatencyWindow w;
    for (int i = 0; i < 50; ++i)
        w.add(i * 10, 500.0, 503);
    for (int i = 0; i < 20; ++i)
        w.add(20'000 + i * 100, 2.0, 200);
    w.add(5'000, 900.0, 500);  // older than the window now
    auto s = w.summary();
    QCOMPARE(s.count, std::uint64_t(20));
    QCOMPARE(s.errors, std::uint64_t(0));
    QCOMPARE(s.firstMs, std::int64_t(20'000));
    QCOMPARE(s.lastMs, std::int64_t(21'900));
    QVERIFY2(std::abs(s.p99Ms - 2.0) <= 2.0 / 16.0, qPrintable(QString::number(s.p99Ms)));
    // A slot reused 10 s later starts empty.
    w.add(31'950, 40.0, 200);
    s = w.summary();
    QCOMPARE(s.count, std::uint64_t(1));
    QCOMPARE(s.firstMs, std::int64_t(31'950));
    // Within the window, a request stamped a little earlier than the latest still counts.
    w.add(31'900, 40.0, 502);
    s = w.summary();
    QCOMPARE(s.count, std::uint64_t(2));
    QCOMPARE(s.errors, std::uint64_t(1));
    QCOMPARE(s.firstMs, std::int64_t(31'900));
}

#endif

QTEST_GUILESS_MAIN(TestProxyUnits)
#include "test_proxy_units.moc"
