#include "scenario_live.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "proxy/gateway_service.h"
#include "routing/engine.h"
#include "scenario/live_player.h"
#include "sim/virtual_gateway.h"

namespace aigw::app {

namespace {

constexpr int kListenBoundMs = 20000;
/// Mock servers answer within a second or two; the bound covers a loaded machine.
constexpr int kServersBoundMs = 60000;
constexpr int kStopBoundMs = 15000;

/// Runs `loop` until a connected slot quits it (once `done()` holds) or `ms` passed. Returns done().
template <typename Done>
bool runUntil(QEventLoop& loop, int ms, Done done) {
    if (done())
        return true;
    QTimer bound;
    bound.setSingleShot(true);
    QObject::connect(&bound, &QTimer::timeout, &loop, &QEventLoop::quit);
    bound.start(ms);
    loop.exec();
    return done();
}

std::string at(const scenario::LivePlayer& p) {
    return fmt::format("{:6.1f}s", std::chrono::duration<double>(p.position()).count());
}

/// "" while some server is still coming up; else "ok", or why one cannot serve.
std::string serversState(const proxy::GatewayService& service) {
    const auto servers = service.servers();
    if (servers.empty())
        return {};
    for (const auto& s : servers)
        if (s.state == proxy::ServerState::Failed)
            return fmt::format("model server {} did not start: {}", s.name.toStdString(), s.error.toStdString());
    for (const auto& s : servers)
        if (s.state != proxy::ServerState::Ready)
            return {};
    return "ok";
}

std::string notReady(const proxy::GatewayService& service) {
    std::string out;
    for (const auto& s : service.servers())
        if (s.state != proxy::ServerState::Ready)
            out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", s.name.toStdString(), proxy::nameOf(s.state));
    return out.empty() ? "none listed" : out;
}

}  // namespace

Result<scenario::RunResult> runScenarioLive(const scenario::Scenario& scn, const config::Config& config,
                                            const scenario::RunOptions& options) {
    // The input errors a virtual run reports, found before a minute of wall time is spent.
    if (auto e = scenario::checkScenario(scn, config, /*virtualTime=*/false))
        return *e;

    std::unique_ptr<QCoreApplication> ownApp;
    if (!QCoreApplication::instance()) {
        // As --headless: Qt's plain Unix event dispatcher costs less per socket event than glib's.
        if (qEnvironmentVariableIsEmpty("QT_NO_GLIB"))
            qputenv("QT_NO_GLIB", "1");
        static int argc = 1;
        static char name[] = "aigw-sim";
        static char* argv[] = {name, nullptr};
        ownApp = std::make_unique<QCoreApplication>(argc, argv);
    }

    proxy::GatewayService::Options o;
    o.proxyPort = 0;
    o.adminPort = 0;
    if (scn.settings.dnsRefresh)
        o.dnsRefreshDelay = std::chrono::duration_cast<std::chrono::milliseconds>(*scn.settings.dnsRefresh);
    // The virtual servers' "time to a complete response" as the mock servers' time to the first
    // token, the whole answer at once; the seed drives their error-rate draws and jitter.
    const auto seed = options.seed.value_or(scn.settings.seed);
    const auto latencyMs = std::chrono::duration_cast<std::chrono::milliseconds>(scn.settings.latency).count();
    o.mockBackendArgs = {QStringLiteral("--seed"), QString::number(seed), QStringLiteral("--first-token-ms"),
                         QString::number(latencyMs), QStringLiteral("--tokens-per-second"), QStringLiteral("0")};

    QEventLoop loop;
    proxy::GatewayService service;
    QString proxyUrl, failure;
    // Each wait below has its own connections, gone once it is over: a later signal must not end
    // the next wait.
    auto readyConn = QObject::connect(&service, &proxy::GatewayService::ready, &loop, [&](const QString& p, const QString&) {
        proxyUrl = p;
        loop.quit();
    });
    auto failedConn = QObject::connect(&service, &proxy::GatewayService::failed, &loop, [&](const QString& e) {
        failure = e;
        loop.quit();
    });
    service.start(config, o);
    if (!runUntil(loop, kListenBoundMs, [&] { return !proxyUrl.isEmpty() || !failure.isEmpty(); }))
        return Error{{}, fmt::format("the gateway did not start within {} s", kListenBoundMs / 1000)};
    if (!failure.isEmpty())
        return Error{{}, "the gateway did not start: " + failure.toStdString()};
    QObject::disconnect(readyConn);
    QObject::disconnect(failedConn);

    // An ollama server pulls its model first: the bound counts from the last pull progress, so a
    // long download that moves along is waited for, a stuck one is not.
    std::string servers;
    QTimer bound;
    bound.setSingleShot(true);
    QObject::connect(&bound, &QTimer::timeout, &loop, &QEventLoop::quit);
    std::map<QString, int> pulled;  ///< last tenth of progress printed, per server
    auto serversConn = QObject::connect(&service, &proxy::GatewayService::serversChanged, &loop, [&] {
        servers = serversState(service);
        if (!servers.empty()) {
            loop.quit();
            return;
        }
        for (const auto& s : service.servers()) {
            if (s.state != proxy::ServerState::Pulling)
                continue;
            const int tenth = static_cast<int>(s.pullProgress * 10);
            if (pulled.count(s.name) && pulled[s.name] == tenth)
                continue;
            pulled[s.name] = tenth;
            bound.start(kServersBoundMs);
            std::fprintf(stderr, "aigw-sim: %s: pulling its model, %d%%\n", qPrintable(s.name), tenth * 10);
        }
    });
    servers = serversState(service);
    if (servers.empty()) {
        bound.start(kServersBoundMs);
        loop.exec();
    }
    const bool up = !servers.empty();
    bound.stop();  // the same loop runs the scenario next: a late bound would end it
    QObject::disconnect(serversConn);
    if (!up) {
        const std::string waiting = notReady(service);
        service.stop();
        return Error{{}, fmt::format("model servers not ready after {} s (without pull progress): {}", kServersBoundMs / 1000,
                                     waiting)};
    }
    if (servers != "ok") {
        service.stop();
        return Error{{}, servers};
    }

    std::fprintf(stderr, "aigw-sim: %s: live on %s, %zu model server(s) ready; this takes %s of wall time\n",
                 scn.file.empty() ? scn.name.c_str() : scn.file.c_str(), qPrintable(proxyUrl), service.servers().size(),
                 scenario::formatDuration(scn.duration).c_str());

    std::optional<scenario::RunResult> result;
    std::string refused;
    {
        scenario::LivePlayer player(&service);
        player.setScenario(scn, config);
        player.setDrainsService(true);
        player.setKeepRecords(options.keepRecords);
        player.setObserver(options.observer);
        player.setConfigLabel(scenario::configLabel(scn, options.configFiles));
        const auto steps = scn.steps.size();
        QObject::connect(&player, &scenario::LivePlayer::stepReached, &loop, [&](int i) {
            std::fprintf(stderr, "aigw-sim: %s step %d/%zu: %s\n", at(player).c_str(), i + 1, steps,
                         scn.steps[static_cast<std::size_t>(i)].title.c_str());
        });
        QObject::connect(&player, &scenario::LivePlayer::actionApplied, &loop,
                         [&](const QString& what, const QString& error) {
                             if (!player.position().count() && what == QLatin1String("play") && !error.isEmpty()) {
                                 refused = error.toStdString();
                                 loop.quit();
                                 return;
                             }
                             if (error.isEmpty())
                                 std::fprintf(stderr, "aigw-sim: %s   %s\n", at(player).c_str(), qPrintable(what));
                             else
                                 std::fprintf(stderr, "aigw-sim: %s   %s: FAILED: %s\n", at(player).c_str(), qPrintable(what),
                                              qPrintable(error));
                         });
        QObject::connect(&player, &scenario::LivePlayer::finished, &loop, [&](const scenario::RunResult& r) {
            result = r;
            loop.quit();
        });
        player.play();
        // The player ends by itself: the duration, then each window's requests (bounded by the
        // route timeout).
        if (!result && refused.empty())
            loop.exec();
    }

    bool stopped = false;
    QObject::connect(&service, &proxy::GatewayService::stopped, &loop, [&] {
        stopped = true;
        loop.quit();
    });
    service.stop();
    runUntil(loop, kStopBoundMs, [&] { return stopped; });
    if (!result)
        return Error{{}, "the live run could not begin: " + (refused.empty() ? std::string("no result") : refused)};
    if (!scn.settings.serverLatency.empty())
        result->notes.push_back("settings.servers latencies play in virtual time only: live, every mock server answers "
                                "after settings.latency");
    result->seed = seed;
    return *result;
}

}  // namespace aigw::app
