// UI benchmark: the main window up, the embedded gateway and its mock servers, the load generator
// driving RATE requests/s (default 1,000) for SECONDS (default 60) through the gateway. Reports the
// largest event-loop stall on the GUI thread (a 10 ms timer measures the gap between its ticks),
// resident memory at start / peak / end, the chart frames drawn and the requests that completed.
// usage: ui_bench [SECONDS] [RATE]   (needs a display: xvfb-run -a, or QT_QPA_PLATFORM=offscreen)
#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <cstdio>
#include <cstdlib>
#include <map>

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
/// Times every event the GUI thread delivers, by receiver class and event type (paint, timer,
/// queued call...): where the event loop's time goes, and what the longest single event was.
class TimedApplication : public QApplication {
public:
    using QApplication::QApplication;
    bool notify(QObject* receiver, QEvent* event) override {
        // Only the GUI thread's own events (the data plane and the load generator have their own
        // event loops, and this bookkeeping is not thread-safe), and only the outermost delivery.
        if (!m_on || m_depth > 0 || QThread::currentThread() != thread())
            return QApplication::notify(receiver, event);
        // Read before delivery: the event may delete its receiver (deleteLater) or itself.
        const QString key = QString::fromLatin1(receiver->metaObject()->className()) +
                            (receiver->objectName().isEmpty() ? QString() : QStringLiteral(" ") + receiver->objectName()) +
                            QLatin1Char('/') + QString::number(static_cast<int>(event->type()));
        ++m_depth;
        QElapsedTimer t;
        t.start();
        const bool r = QApplication::notify(receiver, event);
        const qint64 ns = t.nsecsElapsed();
        --m_depth;
        auto& slot = m_totals[key];
        slot.first += ns;
        slot.second = std::max(slot.second, ns);
        return r;
    }
    void setTiming(bool on) { m_on = on; }
    /// The `n` receivers/event types with the most time, as "class/type: total ms (max ms)".
    QStringList top(int n) const {
        std::vector<std::pair<QString, std::pair<qint64, qint64>>> v(m_totals.begin(), m_totals.end());
        std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
        QStringList out;
        for (int i = 0; i < n && i < static_cast<int>(v.size()); ++i)
            out << QStringLiteral("%1: %2 ms (longest %3 ms)")
                       .arg(v[static_cast<std::size_t>(i)].first)
                       .arg(v[static_cast<std::size_t>(i)].second.first / 1000000)
                       .arg(v[static_cast<std::size_t>(i)].second.second / 1000000);
        return out;
    }

private:
    bool m_on = false;
    int m_depth = 0;
    std::map<QString, std::pair<qint64, qint64>> m_totals;
};

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
    TimedApplication app(argc, argv);
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
    double maxGapAt = 0;
    int stallsOver100 = 0;
    QElapsedTimer tick;
    tick.start();
    QElapsedTimer sinceStart;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const qint64 gap = tick.restart();
        if (gap > 100)
            ++stallsOver100;
        if (gap > maxGapMs) {
            maxGapMs = gap;
            maxGapAt = static_cast<double>(sinceStart.elapsed()) / 1000.0;
        }
        rssPeak = std::max(rssPeak, rssKb());
    });
    auto* load = w->loadPanel();
    load->setModel(QStringLiteral("virtual-qwen-model"));
    load->setRate(rate);
    load->setConcurrency(512);
    const quint64 framesBefore = w->chartFeed()->frames();
    probe.start(10);
    app.setTiming(true);
    tick.restart();
    sinceStart.start();
    load->startLoad();
    aigw::ui::pump(seconds * 1000);
    load->stopLoad();
    aigw::ui::pump(1000);
    probe.stop();
    app.setTiming(false);
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
    std::printf("  max event-loop stall: %lld ms at %.1f s (10 ms probe); stalls over 100 ms: %d\n",
                static_cast<long long>(maxGapMs), maxGapAt, stallsOver100);
    std::printf("  GUI thread time by receiver/event type (QEvent::Type numbers):\n");
    for (const QString& line : app.top(6))
        std::printf("    %s\n", qPrintable(line));
    std::printf("  RSS: start %ld MiB, peak %ld MiB, end %ld MiB\n", rssStart / 1024, rssPeak / 1024, rssKb() / 1024);
    return 0;
}
