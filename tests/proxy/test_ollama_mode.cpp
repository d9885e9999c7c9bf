// Server mode `ollama` (annotation aigw-sim/mode: ollama): the supervisor spawns `ollama serve` from
// PATH with OLLAMA_HOST on a free port, waits for /api/version, pulls each model through /api/pull
// with streamed progress, then routes to it. No real Ollama is installed here, so PATH gets a
// stand-in `ollama` script that runs aigw-mock-backend (which speaks Ollama's native API, pull
// included) on $OLLAMA_HOST. The script is the only fake: the supervisor code path is the real one.
#include <QtTest>

#include <memory>

#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "http/http_client.h"
#include "proxy/gateway_service.h"
#include "start_service.h"
#include "qtest_names.h"

AIGW_QTEST_NAMES(aigw::proxy::ServerMode)
AIGW_QTEST_NAMES(aigw::proxy::ServerState)

using namespace aigw;
using Json = nlohmann::json;
using testing::kHungMs;

namespace {

#ifndef Q_MOC_RUN
std::string ollamaYaml(const std::string& models) {
    return R"(apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: local-route, namespace: default}
spec:
  rules:
    - matches:
        - headers: [{type: Exact, name: x-ai-eg-model, value: local-model}]
      backendRefs:
        - name: local
          modelNameOverride: qwen2.5:0.5b
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: local, namespace: default}
spec:
  schema: {name: OpenAI}
  backendRef: {name: local, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: local
  namespace: default
  annotations:
    aigw-sim/mode: ollama
    aigw-sim/server: local-ollama
    aigw-sim/models: ")" + models + R"("
spec:
  endpoints:
    - fqdn: {hostname: local-ollama.default.svc.cluster.local, port: 11434}
)";
}
#endif

}  // namespace

class TestOllamaMode : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_bin;
    QByteArray m_savedPath;
    std::unique_ptr<proxy::GatewayService> m_service;
    std::unique_ptr<http::HttpClient> m_client;
    QUrl m_proxy;

    /// Writes `ollama` into a fresh PATH directory with the given shell body.
    void installFakeOllama(const QString& body) {
        QFile f(m_bin.filePath(QStringLiteral("ollama")));
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(("#!/bin/sh\n" + body + "\n").toUtf8());
        f.close();
        QVERIFY(f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    }

    /// Starts the gateway on port 0 and waits for ready (received queued on this thread).
    bool start(const std::string& models) {
        auto loaded = config::loadString(ollamaYaml(models), "ollama.yaml");
        for (const auto& e : loaded.errors)
            qWarning("%s", e.toString().c_str());
        if (!loaded.errors.empty())
            return false;
        m_service = std::make_unique<proxy::GatewayService>();
        m_client = std::make_unique<http::HttpClient>();
        testing::ServiceUrls urls;
        if (!testing::startService(*m_service, loaded.config, {}, &urls))
            return false;
        m_proxy = urls.proxy;
        return true;
    }

    /// Waits until the one server reaches `want` or Failed; returns its last info.
    proxy::ServerInfo waitState(proxy::ServerState want, int timeoutMs = kHungMs) {
        proxy::ServerInfo last;
        (void)QTest::qWaitFor(
            [&] {
                const auto servers = m_service->servers();
                if (servers.size() != 1)
                    return false;
                last = servers.front();
                return last.state == want || last.state == proxy::ServerState::Failed;
            },
            timeoutMs);
        return last;
    }

    /// The server's state changes, in order, from the service's event stream.
    QList<proxy::ServerState> drainStates() {
        std::vector<proxy::ServiceEvent> events;
        m_service->drain(nullptr, nullptr, &events);
        QList<proxy::ServerState> out;
        for (const auto& e : events)
            if (e.kind == proxy::ServiceEvent::Kind::ServerStateChanged)
                out << e.state;
        return out;
    }

private slots:
    void initTestCase() {
        QVERIFY(m_bin.isValid());
        m_savedPath = qgetenv("PATH");
        // Only the stand-in directory and the system directories the script needs (sh, exec).
        qputenv("PATH", (m_bin.path() + QStringLiteral(":/usr/bin:/bin")).toLocal8Bit());
    }
    void cleanupTestCase() { qputenv("PATH", m_savedPath); }
    void cleanup() {
        m_client.reset();
        m_service.reset();
        QFile::remove(m_bin.filePath(QStringLiteral("ollama")));
    }

    // The stand-ins take --allow-remote: real Ollama on loopback answers the Host names the gateway
    // rewrites to (Backend hostnames; it allows *.local, so *.svc.cluster.local), which the mock's
    // own Host check would refuse.
    void pullsThenServes() {
        installFakeOllama(QStringLiteral(
            "[ \"$1\" = serve ] || { echo \"fake ollama: only serve\" >&2; exit 2; }\n"
            "echo \"fake ollama serve on $OLLAMA_HOST\"\n"
            "exec '%1' --listen \"$OLLAMA_HOST\" --name fake-ollama --first-token-ms 0 --tokens-per-second 0 --allow-remote")
                              .arg(QStringLiteral(AIGW_MOCK_BACKEND)));
        QVERIFY(start("qwen2.5:0.5b,qwen2.5:1.5b"));
        const auto info = waitState(proxy::ServerState::Ready);
        QVERIFY2(info.state == proxy::ServerState::Ready, qPrintable(info.error));
        QCOMPARE(info.mode, proxy::ServerMode::Ollama);
        QCOMPARE(info.name, QStringLiteral("local-ollama"));
        QCOMPARE(info.pullProgress, 1.0);
        QVERIFY(info.port > 0);
        // Starting -> Pulling -> Ready, as the Models panel shows it.
        const auto states = drainStates();
        const auto pulling = states.indexOf(proxy::ServerState::Pulling);
        QVERIFY2(pulling >= 0, "never reported Pulling");
        QVERIFY(states.indexOf(proxy::ServerState::Starting) < pulling);
        QVERIFY(states.lastIndexOf(proxy::ServerState::Ready) > pulling);
        // The child's own output and each pull progress line are in the server's log.
        const QString log = m_service->serverLog(QStringLiteral("local-ollama")).join('\n');
        QVERIFY2(log.contains(QStringLiteral("fake ollama serve on 127.0.0.1:%1").arg(info.port)), qPrintable(log));
        QVERIFY2(log.contains(QStringLiteral("pull qwen2.5:0.5b: {\"status\":\"pulling manifest\"}")), qPrintable(log));
        QVERIFY(log.contains(QStringLiteral("pull qwen2.5:1.5b:")));
        QVERIFY(log.contains(QStringLiteral("\"completed\"")));

        // The pulled model answers through the gateway.
        http::ClientRequest rq;
        rq.method = "POST";
        rq.host = m_proxy.host().toStdString();
        rq.port = static_cast<quint16>(m_proxy.port());
        rq.target = "/v1/chat/completions";
        rq.headers.add("content-type", "application/json");
        rq.body = R"({"model":"local-model","messages":[{"role":"user","content":"hi"}]})";
        int status = 0;
        QByteArray body;
        bool done = false;
        m_client->fetch(rq, [&](http::FetchOutcome o) {
            if (auto* r = std::get_if<http::FullResponse>(&o)) {
                status = r->head.status;
                body = r->body;
            }
            done = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(done, 30000);
        QCOMPARE(status, 200);
        const auto j = Json::parse(body.toStdString(), nullptr, false);
        QCOMPARE(QString::fromStdString(j.value("model", std::string())), QStringLiteral("qwen2.5:0.5b"));
    }

    void notInstalled() {
        QVERIFY(start("qwen2.5:0.5b"));
        const auto info = waitState(proxy::ServerState::Ready);
        QCOMPARE(info.state, proxy::ServerState::Failed);
        QVERIFY2(info.error.contains(QStringLiteral("ollama is not installed")), qPrintable(info.error));
    }

    void pullRefused() {
        // A registry that does not have the model: Ollama streams {"error": ...} after the manifest.
        installFakeOllama(
            QStringLiteral("exec '%1' --listen \"$OLLAMA_HOST\" --no-pull --allow-remote").arg(QStringLiteral(AIGW_MOCK_BACKEND)));
        QVERIFY(start("no-such-model:7b"));
        const auto info = waitState(proxy::ServerState::Ready);
        QCOMPARE(info.state, proxy::ServerState::Failed);
        QVERIFY2(info.error.contains(QStringLiteral("pulling no-such-model:7b failed: pull model manifest: file does not exist")),
                 qPrintable(info.error));
    }

    void serveExits() {
        installFakeOllama(QStringLiteral("echo 'Error: listen tcp: address already in use' >&2\nexit 1"));
        QVERIFY(start("qwen2.5:0.5b"));
        const auto info = waitState(proxy::ServerState::Ready);
        QCOMPARE(info.state, proxy::ServerState::Failed);
        QVERIFY2(info.error.contains(QStringLiteral("ollama serve exited with code 1: Error: listen tcp: address already in use")),
                 qPrintable(info.error));
        const QString log = m_service->serverLog(QStringLiteral("local-ollama")).join('\n');
        QVERIFY2(log.contains(QStringLiteral("address already in use")), qPrintable(log));
    }
};

QTEST_GUILESS_MAIN(TestOllamaMode)
#include "test_ollama_mode.moc"
