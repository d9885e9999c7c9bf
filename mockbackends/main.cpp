// aigw-mock-backend: a stand-in Ollama server for the simulator (see mock_server.h).
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

#include "common/mock_contract.h"
#include "aigw_version.h"

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "mockbackends/mock_server.h"

namespace {

int g_signalFds[2] = {-1, -1};

void onSignal(int) {
    const char c = 1;
    [[maybe_unused]] auto n = ::write(g_signalFds[0], &c, 1);  // async-signal-safe hand-off to the event loop
}

int usageError(const QString& message) {
    std::fprintf(stderr, "aigw-mock-backend: %s\nTry 'aigw-mock-backend --help'.\n", qPrintable(message));
    return 2;
}

// "HOST:PORT", "[v6]:PORT" or ":PORT" (host defaults to 127.0.0.1).
bool splitHostPort(const QString& text, QString& host, quint16& port) {
    const int colon = text.lastIndexOf(':');
    if (colon < 0) return false;
    host = text.left(colon);
    if (host.startsWith('[') && host.endsWith(']')) host = host.mid(1, host.size() - 2);
    if (host.isEmpty()) host = "127.0.0.1";
    bool ok = false;
    const uint p = text.mid(colon + 1).toUInt(&ok);
    if (!ok || p > 65535) return false;
    port = static_cast<quint16>(p);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("aigw-mock-backend");
    // The project's version and, built from git, the commit (cmake/AigwVersion.cmake).
    QCoreApplication::setApplicationVersion(sizeof(AIGW_GIT_COMMIT) > 1 ? AIGW_VERSION " (git " AIGW_GIT_COMMIT ")" : AIGW_VERSION);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Mock Ollama model server for aigw-sim: OpenAI-compatible /v1/chat/completions, /v1/completions,\n"
        "/v1/embeddings, /v1/responses, /v1/models and Ollama's /api/chat, /api/generate, /api/embed, /api/tags, /api/show,\n"
        "/api/pull, /api/version, /api/ps. Generated text is deterministic and names the server and model.\n"
        "Prints 'READY http://HOST:PORT' on stdout once listening; exits with status 3 when it cannot listen.\n\n"
        "Simulator-only control endpoints on the same port: GET/POST/DELETE /_mock/fault (JSON fault\n"
        "profile), GET/DELETE /_mock/stats.\n\n"
        "Fault profile JSON keys: errorStatus, errorRate, retryAfterSeconds, errorPlainText, latencyMs,\n"
        "latencyJitterMs, hang,\n"
        "firstTokenDelayMs, cutAfterTokens, stallAfterTokens, stallMs, malformedAfterTokens, omitDone,\n"
        "resetBeforeHeaders.");
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption listen("listen", "Address to listen on (port 0 = any free port).", "HOST:PORT", "127.0.0.1:11434");
    const QCommandLineOption name("name", "Server name used in generated text and stats.", "NAME", "mock");
    const QCommandLineOption model("model", "A model this server serves (repeatable).", "NAME");
    const QCommandLineOption seed("seed", "Seed for text, error-rate draws and jitter.", "N", "0");
    const QCommandLineOption tps("tokens-per-second", "Streaming pace; 0 = as fast as possible.", "X", "200");
    const QCommandLineOption firstToken("first-token-ms", "Delay before the first token.", "MS", "20");
    const QCommandLineOption noPull("no-pull", "Refuse /api/pull of models not already served.");
    const QCommandLineOption dims("embedding-dimensions", "Default embedding size.", "N", "384");
    const QCommandLineOption logLevel("log-level", "trace, debug, info, warn, error.", "LEVEL", "warn");
    const QCommandLineOption exitWithParent("exit-with-parent", "Exit when the parent process goes away.");
    const QCommandLineOption allowRemote("allow-remote", "Answer requests whatever their Host header names (default: only the\n"
                                         "listen address, localhost, 127.0.0.1 and [::1], against DNS rebinding).");
    const QCommandLineOption allowedHost("allowed-host", "Also answer to this Host name (NAME or NAME:PORT; repeatable).", "HOST");
    const QCommandLineOption ignoreSigterm("ignore-sigterm", "Test aid: ignore SIGTERM (a server that does not stop when asked).");
    const QCommandLineOption fault("fault", "Initial fault profile as JSON (other fault flags override its keys).", "JSON");
    const QCommandLineOption errorStatus("error-status", "Fault: answer with this HTTP status (400, 429, 500, 503...).", "CODE");
    const QCommandLineOption errorRate("error-rate", "Fault: fraction of requests that get --error-status.", "R");
    const QCommandLineOption retryAfter("retry-after", "Fault: Retry-After seconds on error responses.", "S");
    const QCommandLineOption errorText("error-plain-text", "Fault: error bodies as text/plain, not JSON.");
    const QCommandLineOption latency("latency-ms", "Fault: added latency.", "MS");
    const QCommandLineOption jitter("jitter-ms", "Fault: added uniform jitter [0, MS].", "MS");
    const QCommandLineOption hang("hang", "Fault: accept requests and never answer.");
    const QCommandLineOption slowFirst("slow-first-token-ms", "Fault: first-token delay override.", "MS");
    const QCommandLineOption cutAfter("cut-after", "Fault: close the stream after N tokens.", "N");
    const QCommandLineOption stallAfter("stall-after", "Fault: stall the stream after N tokens.", "N");
    const QCommandLineOption stallMs("stall-ms", "Fault: stall length (0 = forever).", "MS");
    const QCommandLineOption malformedAfter("malformed-after", "Fault: send a malformed chunk after N tokens.", "N");
    const QCommandLineOption omitDone("omit-done", "Fault: end streams without data: [DONE].");
    const QCommandLineOption resetBefore("reset-before-headers", "Fault: reset the connection on every request.");
    parser.addOptions({listen, name, model, seed, tps, firstToken, noPull, dims, logLevel, exitWithParent, allowRemote, allowedHost,
                       ignoreSigterm, fault, errorStatus,
                       errorRate, retryAfter, errorText, latency, jitter, hang, slowFirst, cutAfter, stallAfter, stallMs, malformedAfter,
                       omitDone, resetBefore});
    if (!parser.parse(app.arguments())) return usageError(parser.errorText());
    if (parser.isSet("help")) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    if (parser.isSet("version")) {
        std::printf("aigw-mock-backend %s\n", qPrintable(QCoreApplication::applicationVersion()));
        return 0;
    }
    if (!parser.positionalArguments().isEmpty()) {
        return usageError("unexpected argument '" + parser.positionalArguments().first() + "'");
    }
    aigw::log::setLevel(parser.value(logLevel).toStdString());

    aigw::mock::MockOptions options;
    options.name = parser.value(name).toStdString();
    for (const QString& m : parser.values(model)) options.models.push_back(m.toStdString());
    bool ok = false;
    options.seed = parser.value(seed).toULongLong(&ok);
    if (!ok) return usageError("--seed must be a non-negative integer");
    options.tokensPerSecond = parser.value(tps).toDouble(&ok);
    if (!ok || options.tokensPerSecond < 0) return usageError("--tokens-per-second must be a number >= 0");
    options.firstTokenMs = parser.value(firstToken).toInt(&ok);
    if (!ok || options.firstTokenMs < 0) return usageError("--first-token-ms must be an integer >= 0");
    options.embeddingDimensions = parser.value(dims).toInt(&ok);
    if (!ok || options.embeddingDimensions < 1 || options.embeddingDimensions > 65536) {
        return usageError("--embedding-dimensions must be between 1 and 65536");
    }
    options.allowPull = !parser.isSet(noPull);
    options.access.allowAnyHost = parser.isSet(allowRemote);
    for (const QString& h : parser.values(allowedHost)) options.access.allowedHosts.push_back(h.toStdString());

    // Fault flags become one JSON object so validation has a single path (and the same messages).
    nlohmann::json faultJson = nlohmann::json::object();
    if (parser.isSet(fault)) {
        faultJson = nlohmann::json::parse(parser.value(fault).toStdString(), nullptr, false);
        if (faultJson.is_discarded() || !faultJson.is_object()) return usageError("--fault must be a JSON object");
    }
    const auto intFlag = [&](const QCommandLineOption& o, const char* key) -> bool {
        if (!parser.isSet(o)) return true;
        bool good = false;
        const long long v = parser.value(o).toLongLong(&good);
        if (!good) return false;
        faultJson[key] = v;
        return true;
    };
    if (!intFlag(errorStatus, "errorStatus") || !intFlag(retryAfter, "retryAfterSeconds") || !intFlag(latency, "latencyMs") ||
        !intFlag(jitter, "latencyJitterMs") || !intFlag(slowFirst, "firstTokenDelayMs") || !intFlag(cutAfter, "cutAfterTokens") ||
        !intFlag(stallAfter, "stallAfterTokens") || !intFlag(stallMs, "stallMs") || !intFlag(malformedAfter, "malformedAfterTokens")) {
        return usageError("fault flags take integer values");
    }
    if (parser.isSet(errorRate)) {
        const double r = parser.value(errorRate).toDouble(&ok);
        if (!ok) return usageError("--error-rate must be a number between 0 and 1");
        faultJson["errorRate"] = r;
    }
    if (parser.isSet(hang)) faultJson["hang"] = true;
    if (parser.isSet(errorText)) faultJson["errorPlainText"] = true;
    if (parser.isSet(omitDone)) faultJson["omitDone"] = true;
    if (parser.isSet(resetBefore)) faultJson["resetBeforeHeaders"] = true;
    auto parsedFault = aigw::parseFaultProfile(faultJson);
    if (!parsedFault) return usageError("invalid fault: " + QString::fromStdString(parsedFault.error().toString()));
    options.fault = parsedFault.value();

    QString host;
    quint16 port = 0;
    if (!splitHostPort(parser.value(listen), host, port)) return usageError("--listen must be HOST:PORT, got '" + parser.value(listen) + "'");
    if (options.models.empty()) {
        std::fprintf(stderr, "aigw-mock-backend: warning: no --model given; every inference request will get 404\n");
    }

    aigw::mock::MockServer server(options);
    auto bound = server.listen(host, port);
    if (!bound) {
        std::fprintf(stderr, "aigw-mock-backend: %s\n", bound.error().message.c_str());
        return aigw::kMockExitCannotListen;
    }

    // SIGINT/SIGTERM drain, as a terminating pod's queue-proxy does: new connections are refused at
    // once, requests in flight are still answered, then the event loop ends (stdout flushed). A
    // second signal ends it at once; the supervisor sends SIGKILL if draining takes too long.
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFds) == 0) {
        auto* notifier = new QSocketNotifier(g_signalFds[1], QSocketNotifier::Read, &app);
        auto* drain = new QTimer(&app);
        drain->setInterval(20);
        QObject::connect(drain, &QTimer::timeout, &app, [&server] {
            if (server.activeRequests() == 0)
                QCoreApplication::quit();
        });
        QObject::connect(notifier, &QSocketNotifier::activated, &app, [&server, drain] {
            char c = 0;
            [[maybe_unused]] auto n = ::read(g_signalFds[1], &c, 1);
            if (drain->isActive() || server.activeRequests() == 0) {
                QCoreApplication::quit();
                return;
            }
            server.stopListening();
            drain->start();
        });
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, parser.isSet(ignoreSigterm) ? SIG_IGN : onSignal);
    }
    if (parser.isSet(exitWithParent)) {
        // Polling getppid() works whichever thread of the parent started us (PR_SET_PDEATHSIG does not).
        const pid_t parent = ::getppid();
        auto* timer = new QTimer(&app);
        QObject::connect(timer, &QTimer::timeout, &app, [parent] {
            if (::getppid() != parent) QCoreApplication::quit();
        });
        timer->start(250);
    }

    std::printf("READY %s\n", qPrintable(server.url()));
    std::fflush(stdout);
    aigw::log::get("mock")->info("{} serving {} model(s) on {}", options.name, options.models.size(), server.url().toStdString());
    return app.exec();
}
