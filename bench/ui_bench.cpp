// UI benchmark: the main window up, the embedded gateway and its mock servers, the load generator
// driving RATE requests/s (default 1,000) for SECONDS (default 60) through the gateway. Reports the
// largest event-loop stall on the GUI thread (a 10 ms timer measures the gap between its ticks),
// resident memory at start / peak / end, the chart frames drawn and the requests that completed.
//
// With --routes N the window runs a cluster-sized config instead of the built-in one: N
// AIGatewayRoutes x 10 backends as kubectl prints them (bench/config_scale_gen.h), every Backend an
// external server answered by one in-process mock on its own thread (10 x N mock processes would
// measure process start-up, not the window), and the load is a mix over the first M virtual models
// (--models, default min(N, 100)) with equal shares. --screenshots DIR saves the window under that
// load (the charts on one model, the Topology and Model servers filters).
// usage: ui_bench [SECONDS] [RATE] [--routes N] [--models M] [--screenshots DIR]
//        (needs a display: xvfb-run -a, or QT_QPA_PLATFORM=offscreen)
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QLineEdit>
#include <QTabWidget>
#include <QTreeView>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chart_feed.h"
#include "charts.h"
#include "charts_panel.h"
#include "config/builtin.h"
#include "config/loader.h"
#include "config_scale_gen.h"
#include "docks.h"
#include "gateway_bridge.h"
#include "gui_session.h"
#include "loadgen/load_generator.h"
#include "main_window.h"
#include "mockbackends/mock_server.h"
#include "model_focus.h"
#include "request_log_model.h"
#include "topology_model.h"

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

/// One mock server answering every backend of the big config, on its own thread (so its work
/// does not count as the GUI thread's).
class SharedMock {
public:
    explicit SharedMock(std::vector<std::string> models) {
        m_thread.start();
        m_context.moveToThread(&m_thread);
        aigw::mock::MockOptions o;
        o.name = "ui-bench-mock";
        o.models = std::move(models);
        o.firstTokenMs = 5;
        // Made on its thread: its members are objects of that thread.
        QMetaObject::invokeMethod(
            &m_context,
            [this, &o] {
                m_server = new aigw::mock::MockServer(std::move(o));
                auto r = m_server->listen(QStringLiteral("127.0.0.1"), 0);
                m_port = r.ok() ? r.value() : 0;
            },
            Qt::BlockingQueuedConnection);
    }
    ~SharedMock() {
        QMetaObject::invokeMethod(&m_context, [s = m_server] { delete s; }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    quint16 port() const { return m_port; }

private:
    QThread m_thread;
    QObject m_context;  ///< lives on m_thread: the calls that make and delete the server run there
    aigw::mock::MockServer* m_server = nullptr;
    quint16 m_port = 0;
};

bool saveShot(QWidget* w, const QString& dir, const QString& name) {
    const QString path = QDir(dir).filePath(name);
    if (!w->grab().save(path, "PNG")) {
        std::fprintf(stderr, "ui_bench: could not write %s\n", qPrintable(path));
        return false;
    }
    std::printf("  screenshot %s\n", qPrintable(path));
    return true;
}

/// The big config under load: the charts on one model with the Topology's routes collapsed but
/// that one, then the filters and the timeline with every backend that has traffic (scrolling).
bool takeScreenshots(aigw::ui::MainWindow* w, const QString& dir) {
    QDir().mkpath(dir);
    const QString model = w->modelFocus()->model();
    w->tabs()->setCurrentWidget(w->chartsPanel());
    w->topologyDock()->raise();
    aigw::ui::pump(1500);
    bool ok = saveShot(w, dir, QStringLiteral("13-big-config-one-model.png"));
    auto* lanes = w->chartsPanel()->laneModeBox();
    lanes->setCurrentIndex(lanes->findData(static_cast<int>(aigw::ui::TimelineWidget::LaneMode::ModelAndActive)));
    w->topologyPanel()->setFilterText(QStringLiteral("llm-route-1-backend-3"));
    w->serversPanel()->setFilterText(model + QLatin1Char('-'));
    aigw::ui::pump(1500);
    ok = saveShot(w, dir, QStringLiteral("14-big-config-filters-all-lanes.png")) && ok;
    w->topologyPanel()->setFilterText({});
    w->serversPanel()->setFilterText({});
    lanes->setCurrentIndex(lanes->findData(static_cast<int>(aigw::ui::TimelineWidget::LaneMode::Model)));
    return ok;
}
}  // namespace

int main(int argc, char** argv) {
    int seconds = 60;
    double rate = 1000.0;
    int routes = 0;
    int models = -1;
    QString shots;
    int positional = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto number = [&]() {
            if (i + 1 >= argc || std::atoi(argv[i + 1]) <= 0) {
                std::fprintf(stderr, "ui_bench: %s needs a positive number\n", a.c_str());
                std::exit(2);
            }
            return std::atoi(argv[++i]);
        };
        if (a == "--routes") {
            routes = number();
        } else if (a == "--models") {
            models = number();
        } else if (a == "--screenshots" && i + 1 < argc) {
            shots = QString::fromLocal8Bit(argv[++i]);
        } else if (!a.empty() && a[0] != '-' && positional < 2 && std::atof(a.c_str()) > 0) {
            (positional++ == 0 ? seconds = std::max(1, std::atoi(a.c_str())) : (rate = std::max(1.0, std::atof(a.c_str())), 0));
        } else {
            std::fprintf(stderr, "usage: ui_bench [SECONDS] [RATE] [--routes N] [--models M] [--screenshots DIR]\n");
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    TimedApplication app(argc, argv);
    QTemporaryDir tmp;
    aigw::ui::GuiSession::Options o;
    o.gateway.proxyPort = 0;
    o.gateway.adminPort = 0;
    o.settingsPath = tmp.filePath(QStringLiteral("settings.ini"));
    aigw::config::Config config = aigw::config::builtinScenario();
    std::unique_ptr<SharedMock> mock;
    QStringList mix;
    if (routes > 0) {
        aigw::bench::ScaleSpec spec;
        spec.routes = routes;
        auto loaded = aigw::config::loadString(aigw::bench::generateClusterYaml(spec), "cluster.yaml");
        if (!loaded.ok()) {
            std::fprintf(stderr, "ui_bench: the generated config does not load: %s\n",
                         loaded.errors.front().toString().c_str());
            return 1;
        }
        config = std::move(loaded.config);
        std::vector<std::string> served;
        for (const auto& route : config.routes)
            for (const auto& rule : route.rules)
                for (const auto& ref : rule.backendRefs)
                    served.push_back(ref.modelNameOverride.value_or(""));
        mock = std::make_unique<SharedMock>(served);
        if (!mock->port()) {
            std::fprintf(stderr, "ui_bench: the mock server could not listen\n");
            return 1;
        }
        const std::string url = "http://127.0.0.1:" + std::to_string(mock->port());
        for (auto& b : config.backends) {
            b.meta.annotations[aigw::config::SimSettings::kMode] = "external";
            b.meta.annotations[aigw::config::SimSettings::kUrl] = url;
        }
        if (models < 0)
            models = std::min(routes, 100);
        for (const auto& route : config.routes)
            for (const auto& rule : route.rules)
                for (const auto& m : rule.matches)
                    for (const auto& h : m.headers)
                        if (mix.size() < models && !mix.contains(QString::fromStdString(h.value)))
                            mix << QString::fromStdString(h.value);
    }
    aigw::ui::GuiSession session(config, o);
    auto* w = session.window();
    w->setInteractive(false);
    w->resize(1920, 1080);
    w->show();
    session.start();
    if (!session.waitReady(60000) || !session.waitServersReady(60000)) {
        std::fprintf(stderr, "ui_bench: gateway or servers not ready: %s\n", qPrintable(session.error()));
        return 1;
    }
    const long rssStart = rssKb();
    long rssPeak = rssStart;
    qint64 maxGapMs = 0;
    double maxGapAt = 0;
    int stallsOver100 = 0;
    int stallsOver50 = 0;
    QElapsedTimer tick;
    tick.start();
    QElapsedTimer sinceStart;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const qint64 gap = tick.restart();
        if (gap > 100)
            ++stallsOver100;
        if (gap > 50)
            ++stallsOver50;
        if (gap > maxGapMs) {
            maxGapMs = gap;
            maxGapAt = static_cast<double>(sinceStart.elapsed()) / 1000.0;
        }
        rssPeak = std::max(rssPeak, rssKb());
    });
    auto* load = w->loadPanel();
    load->setRate(rate);
    load->setConcurrency(512);
    if (mix.isEmpty()) {
        load->setModel(QStringLiteral("virtual-qwen-model"));
    } else {
        load->setModel(mix.value(mix.size() / 2));  // the charts follow one model of the mix
        load->setMixMode(aigw::ui::LoadPanel::MixMode::List);
        load->setMixText(mix.join(QLatin1Char(',')));
    }
    std::vector<long> rssEvery10s;
    const quint64 framesBefore = w->chartFeed()->frames();
    probe.start(10);
    app.setTiming(true);
    tick.restart();
    sinceStart.start();
    load->startLoad();
    if (!load->runningOptions()) {
        std::fprintf(stderr, "ui_bench: the load did not start: %s\n", qPrintable(load->statusText()));
        return 1;
    }
    for (int s = 0; s < seconds; s += 10) {
        aigw::ui::pump(std::min(10, seconds - s) * 1000);
        rssEvery10s.push_back(rssKb());
    }
    probe.stop();
    app.setTiming(false);
    const auto s = w->loadGenerator()->stats();
    const quint64 frames = w->chartFeed()->frames() - framesBefore;
    const long rssEnd = rssKb();
    // Screenshots after the measurement (grabbing the window is not the window's own work), with
    // the load still on.
    const bool shotsOk = shots.isEmpty() || takeScreenshots(w, shots);
    load->stopLoad();
    std::printf("ui_bench: %d s at %.0f req/s target, window shown (1920x1080), %s\n", seconds, rate,
                routes > 0 ? qPrintable(QStringLiteral("%1 routes x 10 backends (%2 virtual models), load spread over %3 of them")
                                            .arg(routes)
                                            .arg(w->topologyModel()->virtualModels().size())
                                            .arg(mix.size()))
                           : "the built-in config, one virtual model");
    std::printf("  requests: sent %llu to %zu model(s), ok %llu, errors %llu (%.0f req/s achieved), p50 %.1f ms, p99 %.1f ms\n",
                static_cast<unsigned long long>(s.sent), s.byModel.size(), static_cast<unsigned long long>(s.ok),
                static_cast<unsigned long long>(s.errors), static_cast<double>(s.ok + s.errors) / seconds, s.p50Ms, s.p99Ms);
    std::printf("  records drained by the UI: %llu; request log rows %d (cap %zu); timeline requests %zu (cap %zu)\n",
                static_cast<unsigned long long>(w->bridge()->recordsSeen()), w->requestLogModel()->rowCount(),
                w->requestLogModel()->capacity(), w->chartFeed()->buffers().requestCount(),
                aigw::ui::ChartBuffers::kMaxRequests);
    std::printf("  chart frames: %llu (%.1f/s)\n", static_cast<unsigned long long>(frames),
                static_cast<double>(frames) / (seconds + 1));
    std::printf("  max event-loop stall: %lld ms at %.1f s (10 ms probe); stalls over 50 ms: %d, over 100 ms: %d\n",
                static_cast<long long>(maxGapMs), maxGapAt, stallsOver50, stallsOver100);
    std::printf("  GUI thread time by receiver/event type (QEvent::Type numbers):\n");
    for (const QString& line : app.top(6))
        std::printf("    %s\n", qPrintable(line));
    std::printf("  RSS: start %ld MiB, peak %ld MiB, end %ld MiB\n", rssStart / 1024, rssPeak / 1024, rssEnd / 1024);
    QStringList every;
    for (long kb : rssEvery10s)
        every << QString::number(kb / 1024);
    std::printf("  RSS every 10 s under load (MiB): %s\n", qPrintable(every.join(QLatin1Char(' '))));
    return shotsOk ? 0 : 1;
}
