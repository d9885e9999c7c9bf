// Shared by the proxy tests: the one-backend "solo" config, and starting a GatewayService on ports 0 with a bounded wait until it is ready.
#pragma once

#include <QDebug>
#include <QObject>
#include <QString>
#include <QTest>
#include <QUrl>

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/model.h"
#include "http/http_client.h"
#include "proxy/gateway_service.h"

namespace aigw::testing {

/// Upper bound on a test's waits: only a hung test reaches it, so it is generous (a loaded machine
/// must never hit it); no test asserts how long a wait took.
inline constexpr int kHungMs = 30000;

#ifndef Q_MOC_RUN  // moc mis-tokenises multi-line raw strings
/// One route "solo-model" -> one Backend "solo" (a mock server, model `override`), no retry policy;
/// `ruleExtra` is YAML added to the rule, `extraDocs` documents added at the end.
inline std::string soloYaml(const std::string& ruleExtra = "", const std::string& extraDocs = "",
                            const std::string& override = "solo:1b") {
    return R"(apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: solo-route, namespace: default}
spec:
  rules:
    - matches:
        - headers: [{type: Exact, name: x-ai-eg-model, value: solo-model}]
      backendRefs:
        - name: solo
          modelNameOverride: )" + override + "\n" + ruleExtra + R"(
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: solo, namespace: default}
spec:
  schema: {name: OpenAI}
  backendRef: {name: solo, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: solo, namespace: default}
spec:
  endpoints:
    - fqdn: {hostname: solo.default.svc.cluster.local, port: 80}
)" + extraDocs;
}
#endif

struct ServiceUrls {
    QUrl proxy;
    QUrl admin;
};

/// Starts `service` with `cfg` on free loopback ports (opts' ports are overridden to 0) and waits up
/// to `timeoutMs` for ready or failed. The data plane emits both on its own thread; QSignalSpy::wait()
/// misses a signal that arrives before it starts waiting (a real flake under ctest -j), so they are
/// received queued on this thread and polled. Returns false (with a warning) when not ready.
/// One HTTP exchange of a test: `done` once the answer, or the client's error, arrived.
struct Reply {
    bool done = false;
    int status = 0;  ///< 0 when no answer came
    http::Headers headers;
    QByteArray body;
    std::optional<http::ClientError> error;
    nlohmann::json json() const {
        return nlohmann::json::parse(body.constData(), body.constData() + body.size(), nullptr, false);
    }
    std::string errorText() const { return error ? error->message : std::string(); }
};

/// Sends `rq` and returns at once: the test acts while it is in flight, then waits on `done`.
inline std::shared_ptr<Reply> send(http::HttpClient& client, http::ClientRequest rq) {
    auto out = std::make_shared<Reply>();
    client.fetch(std::move(rq), [out](http::FetchOutcome o) {
        if (auto* r = std::get_if<http::FullResponse>(&o)) {
            out->status = r->head.status;
            out->headers = r->head.headers;
            out->body = r->body;
        } else {
            out->error = std::get<http::ClientError>(o);
        }
        out->done = true;
    });
    return out;
}

/// Sends `rq` and runs the event loop until its answer arrives. The client's own try timeout
/// (rq.tryTimeoutMs, 15 s when unset) always ends the exchange; the wait is only a safety bound.
inline Reply fetch(http::HttpClient& client, http::ClientRequest rq) {
    if (rq.tryTimeoutMs <= 0)
        rq.tryTimeoutMs = 15000;
    const int bound = rq.tryTimeoutMs + 5000;
    auto out = send(client, std::move(rq));
    if (!QTest::qWaitFor([&] { return out->done; }, bound))
        out->error = http::ClientError{http::FailureKind::PerTryTimeout, "the test client gave up", false, 0};
    return *out;
}

/// One request to the proxy or the admin API, and its answer: every change carries a JSON content
/// type (the admin API wants it, bodiless too).
inline Reply call(http::HttpClient& client, const std::string& host, quint16 port, const std::string& method,
                  const std::string& target, const QByteArray& body = {}) {
    http::ClientRequest rq;
    rq.method = method;
    rq.host = host;
    rq.port = port;
    rq.target = target;
    if (!body.isEmpty() || method != "GET")
        rq.headers.add("content-type", "application/json");
    rq.body = body;
    rq.tryTimeoutMs = 15000;
    return fetch(client, std::move(rq));
}

/// Waits until every model server (or only `only`) is in state `want`.
inline bool waitServers(aigw::proxy::GatewayService& service, aigw::proxy::ServerState want, const QString& only = {},
                        int timeoutMs = kHungMs) {
    return QTest::qWaitFor(
        [&] {
            const auto servers = service.servers();
            if (servers.empty())
                return false;
            for (const auto& s : servers)
                if ((only.isEmpty() || s.name == only) && s.state != want)
                    return false;
            return true;
        },
        timeoutMs);
}

inline bool startService(aigw::proxy::GatewayService& service, const aigw::config::Config& cfg,
                         aigw::proxy::GatewayService::Options opts, ServiceUrls* urls, int timeoutMs = kHungMs) {
    opts.proxyPort = 0;
    opts.adminPort = 0;
    QString proxyUrl, adminUrl, error;
    QObject receiver;
    QObject::connect(&service, &aigw::proxy::GatewayService::ready, &receiver, [&](const QString& p, const QString& a) {
        proxyUrl = p;
        adminUrl = a;
    });
    QObject::connect(&service, &aigw::proxy::GatewayService::failed, &receiver, [&](const QString& e) { error = e; });
    service.start(cfg, opts);
    const bool answered = QTest::qWaitFor([&] { return !proxyUrl.isEmpty() || !error.isEmpty(); }, timeoutMs);
    if (!answered || proxyUrl.isEmpty()) {
        qWarning() << "gateway not ready:" << (error.isEmpty() ? QStringLiteral("timed out") : error);
        return false;
    }
    if (urls)
        *urls = {QUrl(proxyUrl), QUrl(adminUrl)};
    return true;
}

}  // namespace aigw::testing
