// `aigw-sim --headless`: the data plane without a window. Prints one READY line when both
// listeners are bound; SIGINT/SIGTERM drain in-flight requests and stop the child servers.
#include <QCoreApplication>
#include <QSocketNotifier>

#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include "commands.h"
#include "config/builtin.h"
#include "config/loader.h"
#include "proxy/gateway_service.h"

namespace aigw::app {
namespace {

int g_signalFds[2] = {-1, -1};

void onSignal(int sig) {
    const char c = static_cast<char>(sig);
    [[maybe_unused]] auto n = ::write(g_signalFds[1], &c, 1);
}

const char* kUsage =
    "usage: aigw-sim --headless [FILE...] [--config FILE...] [--listen HOST:PORT] [--admin HOST:PORT]\n"
    "                           [--allow-remote] [--allowed-host HOST]... [--admin-token TOKEN]\n"
    "                           [--cors-origin ORIGIN]... [--no-debug-headers] [--no-servers]\n"
    "                           [--dns-refresh DURATION] [--busy-poll-us N] [--recent-requests N]\n"
    "\n"
    "Runs the gateway (OpenAI-compatible proxy), its model servers and the admin API without a window.\n"
    "  FILE...              YAML manifests (several files; - reads standard input; a kind: List as\n"
    "                       kubectl get -o yaml prints it); default: the built-in scenario\n"
    "  --config FILE...     the same, as an option\n"
    "  --listen HOST:PORT   proxy address (default 127.0.0.1:8080; port 0 picks a free port)\n"
    "  --admin HOST:PORT    admin API address (default 127.0.0.1:9901)\n"
    "  --allow-remote       allow binding a non-loopback address, and answer requests whatever their\n"
    "                       Host header names (default: only the listen address, localhost, 127.0.0.1, [::1])\n"
    "  --allowed-host HOST  also answer to this name (HOST or HOST:PORT; repeatable), e.g. a LAN name\n"
    "  --admin-token TOKEN  every admin request needs 'Authorization: Bearer TOKEN' (generated and\n"
    "                       printed when --admin binds a non-loopback address without one)\n"
    "  --cors-origin ORIGIN let a browser app at ORIGIN (e.g. http://localhost:5173) call the proxy\n"
    "                       (repeatable); other cross-origin requests get 403\n"
    "  --no-debug-headers   omit the simulator's x-aigw-backend / x-aigw-attempts response headers\n"
    "  --no-servers         do not spawn model servers (start them later through the admin API)\n"
    "  --dns-refresh DURATION  how long a deleted server's name keeps resolving before the gateway's\n"
    "                       DNS refresh removes it (default 30s, Envoy Gateway's; a BackendTrafficPolicy\n"
    "                       dns.dnsRefreshRate wins for its routes; 0s: at once)\n"
    "  --busy-poll-us N     before the proxy's thread sleeps, it polls its sockets N microseconds\n"
    "                       without sleeping while at most one request is in flight (default 50;\n"
    "                       0 turns it off): lower latency for CPU time\n"
    "  --recent-requests N  how many of the newest request records GET /requests keeps, each with\n"
    "                       the first 16 KiB of its bodies (default 256; 0 keeps none)\n"
    "When ready it prints: READY proxy=http://HOST:PORT admin=http://HOST:PORT\n";

/// A whole decimal number from 0 to `max` (no sign, no unit), else nothing.
std::optional<std::uint64_t> parseCount(const std::string& text, std::uint64_t max) {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n > max)
        return std::nullopt;
    return n;
}

bool parseHostPort(const std::string& text, QString& host, quint16& port, std::string& error) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) {
        error = "expected HOST:PORT, got '" + text + "'";
        return false;
    }
    std::string h = text.substr(0, colon);
    const std::string p = text.substr(colon + 1);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']')
        h = h.substr(1, h.size() - 2);
    if (h.empty() || p.empty() || p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5 ||
        std::stoul(p) > 65535) {
        error = "expected HOST:PORT with a port 0-65535, got '" + text + "'";
        return false;
    }
    host = QString::fromStdString(h);
    port = static_cast<quint16>(std::stoul(p));
    return true;
}

}  // namespace

int runHeadless(const Args& args) {
    proxy::GatewayService::Options options;
    options.drainRecords = false;  // no desktop app reads them (see recordsAvailable below)
    std::vector<std::string> files;
    QString adminHost = QStringLiteral("127.0.0.1");
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto needValue = [&](const char* what) -> const std::string* {
            if (i + 1 >= args.size()) {
                std::fprintf(stderr, "aigw-sim: %s needs %s\n", a.c_str(), what);
                return nullptr;
            }
            return &args[++i];
        };
        std::string error;
        if (a == "--help" || a == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        } else if (a == "--headless") {
            continue;
        } else if (a == "--config") {
            const std::string* v = needValue("a file");
            if (!v)
                return 2;
            files.push_back(*v);
            while (i + 1 < args.size() && args[i + 1].rfind("-", 0) != 0)
                files.push_back(args[++i]);
        } else if (a == "--listen") {
            const std::string* v = needValue("HOST:PORT");
            if (!v || !parseHostPort(*v, options.listenHost, options.proxyPort, error)) {
                if (!error.empty())
                    std::fprintf(stderr, "aigw-sim: --listen: %s\n", error.c_str());
                return 2;
            }
        } else if (a == "--admin") {
            const std::string* v = needValue("HOST:PORT");
            if (!v || !parseHostPort(*v, adminHost, options.adminPort, error)) {
                if (!error.empty())
                    std::fprintf(stderr, "aigw-sim: --admin: %s\n", error.c_str());
                return 2;
            }
        } else if (a == "--allow-remote") {
            options.allowRemote = true;
        } else if (a == "--allowed-host" || a == "--cors-origin" || a == "--admin-token") {
            const std::string* v = needValue(a == "--allowed-host" ? "a host name" : a == "--cors-origin" ? "an origin" : "a token");
            if (!v || v->empty()) {
                if (v)
                    std::fprintf(stderr, "aigw-sim: %s needs a non-empty value\n", a.c_str());
                return 2;
            }
            if (a == "--allowed-host")
                options.allowedHosts << QString::fromStdString(*v);
            else if (a == "--cors-origin")
                options.corsOrigins << QString::fromStdString(*v);
            else
                options.adminToken = QString::fromStdString(*v);
        } else if (a == "--no-debug-headers") {
            options.debugHeaders = false;
        } else if (a == "--no-servers") {
            options.startServers = false;
        } else if (a == "--dns-refresh") {
            const std::string* v = needValue("a duration (e.g. 30s, 500ms, 0s)");
            if (!v)
                return 2;
            const auto d = config::parseDuration(*v);
            if (!d) {
                std::fprintf(stderr, "aigw-sim: --dns-refresh: bad duration '%s' (e.g. 30s, 500ms, 0s)\n", v->c_str());
                return 2;
            }
            options.dnsRefreshDelay = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
        } else if (a == "--busy-poll-us") {
            const std::string* v = needValue("microseconds (0 to 10000)");
            if (!v)
                return 2;
            const auto us = parseCount(*v, 10000);
            if (!us) {
                std::fprintf(stderr, "aigw-sim: --busy-poll-us: expected microseconds from 0 to 10000, got '%s'\n", v->c_str());
                return 2;
            }
            options.busyPoll = std::chrono::microseconds(*us);
        } else if (a == "--recent-requests") {
            const std::string* v = needValue("a number of records (0 to 1000000)");
            if (!v)
                return 2;
            const auto n = parseCount(*v, 1'000'000);
            if (!n) {
                std::fprintf(stderr, "aigw-sim: --recent-requests: expected a number of records from 0 to 1000000, got '%s'\n",
                             v->c_str());
                return 2;
            }
            options.recentRequests = *n;
        } else if (a == "-" || (!a.empty() && a[0] != '-')) {
            files.push_back(a);  // positional files, as check and export take them
        } else {
            std::fprintf(stderr, "aigw-sim: unknown option '%s'\n\n%s", a.c_str(), kUsage);
            return 2;
        }
    }
    options.adminHost = adminHost;

    config::LoadResult loaded;
    if (files.empty())
        loaded.config = config::builtinScenario();
    else
        loaded = config::loadFiles(files);
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors)
            std::fprintf(stderr, "%s\n", e.toString().c_str());
        if (!loaded.onlyReferenceErrors()) {
            std::fprintf(stderr, "aigw-sim: the configuration has %zu error(s); not starting\n", loaded.errors.size());
            return 1;
        }
        // As on a cluster: the apply succeeds and the routes naming a missing object are NotAccepted.
        std::fprintf(stderr, "aigw-sim: starting anyway, as a cluster would: the AIGatewayRoutes above are not accepted and "
                             "not served\n");
    }

    // Qt's plain Unix event dispatcher: without a GUI there is nothing glib must integrate with, and
    // it costs less per socket event on the proxy's hot path (bench/proxy_bench.sh).
    if (qEnvironmentVariableIsEmpty("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    int argc = 1;
    char name[] = "aigw-sim";
    char* argv[] = {name, nullptr};
    QCoreApplication app(argc, argv);

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFds) != 0) {
        std::perror("aigw-sim: socketpair");
        return 1;
    }
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);

    proxy::GatewayService service;
    int exitCode = 0;
    QSocketNotifier notifier(g_signalFds[0], QSocketNotifier::Read);
    bool stopping = false;
    QObject::connect(&notifier, &QSocketNotifier::activated, &app, [&] {
        char c = 0;
        [[maybe_unused]] auto n = ::read(g_signalFds[0], &c, 1);
        if (stopping) {
            std::fprintf(stderr, "aigw-sim: second signal, exiting now\n");
            QCoreApplication::exit(130);
            return;
        }
        stopping = true;
        std::fprintf(stderr, "aigw-sim: draining in-flight requests and stopping servers\n");
        service.stop();
    });
    const bool tokenGiven = !options.adminToken.isEmpty();
    QObject::connect(&service, &proxy::GatewayService::ready, &app, [&service, tokenGiven](const QString& proxyUrl, const QString& adminUrl) {
        if (const QString token = service.adminToken(); !token.isEmpty() && !tokenGiven)
            std::printf("ADMIN_TOKEN %s (admin requests need 'Authorization: Bearer %s')\n", qPrintable(token), qPrintable(token));
        std::printf("READY proxy=%s admin=%s\n", qPrintable(proxyUrl), qPrintable(adminUrl));
        std::fflush(stdout);
    });
    QObject::connect(&service, &proxy::GatewayService::failed, &app, [&](const QString& error) {
        std::fprintf(stderr, "aigw-sim: %s\n", qPrintable(error));
        exitCode = 1;
        QCoreApplication::exit(1);
    });
    QObject::connect(&service, &proxy::GatewayService::stopped, &app, [] { QCoreApplication::exit(0); });
    // The drain buffers feed the desktop app; headless has none: request records stay in the ring
    // for GET /requests only (options.drainRecords), and the host and service events are emptied as
    // they fill.
    QObject::connect(&service, &proxy::GatewayService::recordsAvailable, &app,
                     [&service] { service.drain(nullptr, nullptr, nullptr); });

    service.start(loaded.config, options);
    const int rc = app.exec();
    return exitCode ? exitCode : rc;
}

}  // namespace aigw::app
