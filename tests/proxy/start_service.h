// Shared by the proxy tests: the one-backend "solo" config, and starting a GatewayService on ports 0 with a bounded wait until it is ready.
#pragma once

#include <QDebug>
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTest>
#include <QUrl>

#include <string>

#include "config/model.h"
#include "proxy/gateway_service.h"

namespace aigw::testing {

#ifndef Q_MOC_RUN  // moc mis-tokenises multi-line raw strings
/// One route "solo-model" -> one Backend "solo" (a mock server), no retry policy.
inline std::string soloYaml(const std::string& ruleExtra = "", const std::string& extraDocs = "") {
    return R"(apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: solo-route, namespace: default}
spec:
  rules:
    - matches:
        - headers: [{type: Exact, name: x-ai-eg-model, value: solo-model}]
      backendRefs:
        - name: solo
          modelNameOverride: solo:1b
)" + ruleExtra + R"(
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
inline bool startService(aigw::proxy::GatewayService& service, const aigw::config::Config& cfg,
                         aigw::proxy::GatewayService::Options opts, ServiceUrls* urls, int timeoutMs = 20000) {
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
    QElapsedTimer t;
    t.start();
    while (proxyUrl.isEmpty() && error.isEmpty() && t.elapsed() < timeoutMs)
        QTest::qWait(5);
    if (proxyUrl.isEmpty()) {
        qWarning() << "gateway not ready:" << (error.isEmpty() ? QStringLiteral("timed out") : error);
        return false;
    }
    if (urls)
        *urls = {QUrl(proxyUrl), QUrl(adminUrl)};
    return true;
}

}  // namespace aigw::testing
