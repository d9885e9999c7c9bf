// UI benchmark: the main window up, the embedded gateway and its mock servers, the load generator
// driving RATE requests/s (default 1,000) for SECONDS (default 60) through the gateway. Reports the
// largest event-loop stall on the GUI thread (a 10 ms timer measures the gap between its ticks),
// resident memory at start / peak / end, the chart frames drawn and the requests that completed.
// usage: ui_bench [SECONDS] [RATE]   (needs a display: xvfb-run -a, or QT_QPA_PLATFORM=offscreen)
#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <cstdlib>

#include "chart_feed.h"
#include "charts.h"
#include "charts_panel.h"
#include "config/builtin.h"
#include "docks.h"
#include "gateway_bridge.h"
#include "gui_session.h"
#include "loadgen/load_generator.h"
#include "main_window.h"
#include "request_log_model.h"

namespace {
long rssKb() {
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLong();
    return 0;
}
}  // namespace

int main(int argc, char** argv) {
    const int seconds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 60;
    const double rate = argc > 2 ? std::max(1.0, std::atof(argv[2])) : 1000.0;
    QApplication app(argc, argv);
    QTemporaryDir tmp;
    aigw::ui::GuiSession::Options o;
    o.gateway.proxyPort = 0;
    o.gateway.adminPort = 0;
    o.settingsPath = tmp.filePath(QStringLiteral("settings.ini"));
    aigw::ui::GuiSession session(aigw::config::builtinScenario(), o);
    auto* w = session.window();
    w->setInteractive(false);
    w->resize(1920, 1080);
    w->show();
    session.start();
    if (!session.waitReady(20000) || !session.waitServersReady(30000)) {
        std::fprintf(stderr, "ui_bench: gateway or servers not ready: %s\n", qPrintable(session.error()));
        return 1;
    }
    const long rssStart = rssKb();
    long rssPeak = rssStart;
    qint64 maxGapMs = 0;
    QElapsedTimer tick;
    tick.start();
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        maxGapMs = std::max(maxGapMs, tick.restart());
        rssPeak = std::max(rssPeak, rssKb());
    });
    auto* load = w->loadPanel();
    load->setModel(QStringLiteral("virtual-qwen-model"));
    load->setRate(rate);
    load->setConcurrency(512);
    const quint64 framesBefore = w->chartFeed()->frames();
    probe.start(10);
    tick.restart();
    load->startLoad();
    aigw::ui::pump(seconds * 1000);
    load->stopLoad();
    aigw::ui::pump(1000);
    probe.stop();
    const auto s = w->loadGenerator()->stats();
    const quint64 frames = w->chartFeed()->frames() - framesBefore;
    std::printf("ui_bench: %d s at %.0f req/s target, window shown (1920x1080)\n", seconds, rate);
    std::printf("  requests: sent %llu, ok %llu, errors %llu (%.0f req/s achieved), p50 %.1f ms, p99 %.1f ms\n",
                static_cast<unsigned long long>(s.sent), static_cast<unsigned long long>(s.ok),
                static_cast<unsigned long long>(s.errors), static_cast<double>(s.ok + s.errors) / seconds, s.p50Ms, s.p99Ms);
    std::printf("  records drained by the UI: %llu; request log rows %d (cap %zu); timeline requests %zu (cap %zu)\n",
                static_cast<unsigned long long>(w->bridge()->recordsSeen()), w->requestLogModel()->rowCount(),
                w->requestLogModel()->capacity(), w->chartFeed()->buffers().requestCount(),
                aigw::ui::ChartBuffers::kMaxRequests);
    std::printf("  chart frames: %llu (%.1f/s)\n", static_cast<unsigned long long>(frames),
                static_cast<double>(frames) / (seconds + 1));
    std::printf("  max event-loop stall: %lld ms (10 ms probe)\n", static_cast<long long>(maxGapMs));
    std::printf("  RSS: start %ld MiB, peak %ld MiB, end %ld MiB\n", rssStart / 1024, rssPeak / 1024, rssKb() / 1024);
    return 0;
}
