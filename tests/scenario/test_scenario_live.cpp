// The live player on a real GatewayService (real aigw-mock-backend children, real HTTP load, wall
// time): a short failover scenario is played to the end and judged window by window (one expectation
// is built to fail, to show that failures are reported); step, pause and resume freeze scenario time
// and the load; restart brings the servers back and clears the results; bad input is an error, not a
// hang. Every wait is on a signal or a condition.
#include <QObject>
#include <QTest>
#include <QUrl>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "../proxy/start_service.h"
#include "config/builtin.h"
#include "proxy/gateway_service.h"
#include "scenario/live_player.h"
#include "scenario/run.h"
#include "scenario/scenario.h"
#include "qtest_names.h"

AIGW_QTEST_NAMES(aigw::proxy::ServerState)

using namespace aigw;
using namespace aigw::scenario;
using proxy::ServerState;

namespace {

#ifndef Q_MOC_RUN  // moc mis-tokenises multi-line raw strings
/// 10 requests/s on qwen-with-fallback (built-in config: the corrected fallback policy); qwen-primary
/// stops at 2 s. Expectations: 0 [0,2s) no failure; 1 [0,1.8s) the primary answers (the stop cuts
/// the requests in flight at 2 s, which the retry sends to the secondary); 2 [2s,6s) no failure;
/// 3 [3s,6s) the secondary answers (the stop takes effect within a few ms of 2 s: a second of
/// margin); 4 [2s,6s) built to fail: "the primary answers" after it stopped.
const char* kFailover = R"(apiVersion: aigw-sim.dev/v1alpha1
kind: Scenario
metadata: {name: live-failover}
spec:
  title: Live failover
  config: {builtin: true}
  duration: 6s
  load:
    - model: qwen-with-fallback
      rate: 10
  steps:
    - at: 0s
      title: Normal operation
      expect:
        - failed: {max: 0}
        - share: {backend: envoy-ai-gateway-qwen-primary-fb, percent: 100, within: 0.5}
          to: 1800ms
    - at: 2s
      title: The primary stops
      actions:
        - stop: qwen-primary
      expect:
        - name: no client sees an error
          failed: {max: 0}
        - name: the secondary answers
          share: {backend: envoy-ai-gateway-qwen-secondary-fb, percent: 100, within: 0.5}
          from: 3s
        - name: built to fail
          share: {backend: envoy-ai-gateway-qwen-primary-fb, percent: 100, within: 0.5}
)";

/// Two 2-second windows at 10 requests/s (about 20 requests each), the primary stopped at 2 s.
const char* kSteps = R"(apiVersion: aigw-sim.dev/v1alpha1
kind: Scenario
metadata: {name: live-steps}
spec:
  title: Live steps
  config: {builtin: true}
  duration: 4s
  load:
    - model: qwen-with-fallback
      rate: 10
  steps:
    - at: 0s
      title: First
      expect:
        - requests: {min: 14, max: 26}
    - at: 2s
      title: Second
      actions:
        - stop: qwen-primary
      expect:
        - requests: {min: 14, max: 26}
        - failed: {max: 0}
)";

const char* kUnknownServer = R"(apiVersion: aigw-sim.dev/v1alpha1
kind: Scenario
metadata: {name: live-unknown-server}
spec:
  title: Unknown server
  config: {builtin: true}
  duration: 1s
  steps:
    - at: 0s
      title: Only step
      actions:
        - stop: no-such-server
)";
#endif

Scenario load(const char* text) {
    const auto loaded = loadScenarioText(text, "live-test.yaml", ".");
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors)
            qWarning("%s", e.toString().c_str());
        qFatal("the test scenario does not load");
    }
    return *loaded.scenario;
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

ServerState stateOf(const proxy::GatewayService& service, const QString& name) {
    for (const auto& s : service.servers())
        if (s.name == name)
            return s.state;
    return ServerState::Failed;
}

/// What a player said, collected through its signals.
struct Watch {
    std::vector<int> steps;
    std::vector<std::pair<QString, QString>> actions;
    std::vector<std::pair<int, ExpectationResult>> judged;
    std::vector<Duration> judgedAt;  ///< the player's position at each judgment
    std::optional<RunResult> finished;
    int finishedCount = 0;

    explicit Watch(LivePlayer& p) {
        QObject::connect(&p, &LivePlayer::stepReached, &p, [this](int i) { steps.push_back(i); });
        QObject::connect(&p, &LivePlayer::actionApplied, &p,
                         [this](const QString& what, const QString& error) { actions.emplace_back(what, error); });
        QObject::connect(&p, &LivePlayer::expectationEvaluated, &p, [this, &p](int i, const ExpectationResult& r) {
            judged.emplace_back(i, r);
            judgedAt.push_back(p.position());
        });
        QObject::connect(&p, &LivePlayer::finished, &p, [this](const RunResult& r) {
            finished = r;
            ++finishedCount;
        });
    }
};

}  // namespace

class TestScenarioLive : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void failoverIsJudgedWindowByWindow();
    void stepPauseResumeRestart();
    void unknownServerIsAnActionError();
    void playWithoutGatewayIsRefused();

private:
    std::unique_ptr<proxy::GatewayService> m_service;
    config::Config m_config;
};

void TestScenarioLive::initTestCase() {
    m_config = config::builtinScenario();
    m_service = std::make_unique<proxy::GatewayService>();
    QVERIFY(testing::startService(*m_service, m_config, {}, nullptr));
    QVERIFY(testing::waitServers(*m_service, ServerState::Ready));
}

void TestScenarioLive::cleanupTestCase() { m_service.reset(); }

void TestScenarioLive::init() {
    // Each test starts with every server up (a previous one may have stopped the primary).
    for (const auto& s : m_service->servers())
        if (s.state != ServerState::Ready)
            m_service->startServer(s.name);
    QVERIFY(testing::waitServers(*m_service, ServerState::Ready));
}

void TestScenarioLive::failoverIsJudgedWindowByWindow() {
    const Scenario s = load(kFailover);
    LivePlayer player(m_service.get());
    player.setScenario(s, m_config);
    player.setDrainsService(true);
    Watch w(player);
    QCOMPARE(player.state(), LivePlayer::State::Idle);
    QCOMPARE(player.results().size(), std::size_t(5));

    player.play();
    QCOMPARE(player.state(), LivePlayer::State::Playing);
    QTRY_VERIFY_WITH_TIMEOUT(w.finished.has_value(), 30000);
    QCOMPARE(w.finishedCount, 1);
    QCOMPARE(player.state(), LivePlayer::State::Finished);
    QCOMPARE(seconds(player.position()), 6.0);

    QCOMPARE(w.steps, (std::vector<int>{0, 1}));
    QCOMPARE(w.actions.size(), std::size_t(1));
    QVERIFY2(w.actions[0].first.contains(QLatin1String("stop qwen-primary")), qPrintable(w.actions[0].first));
    QVERIFY2(w.actions[0].second.isEmpty(), qPrintable(w.actions[0].second));
    QCOMPARE(stateOf(*m_service, QStringLiteral("qwen-primary")), ServerState::Stopped);

    // Each expectation was judged once; the first window's while the run went on (at 2 s plus the
    // time its last requests took, well before 6 s), not all at the end.
    QCOMPARE(w.judged.size(), std::size_t(5));
    for (std::size_t i = 0; i < w.judged.size(); ++i)
        if (w.judged[i].first == 0 || w.judged[i].first == 1)
            QVERIFY2(w.judgedAt[i] < secs(4), qPrintable(QString::number(seconds(w.judgedAt[i]))));

    const RunResult& r = *w.finished;
    QCOMPARE(r.mode, std::string("live"));
    QCOMPARE(r.expectations.size(), std::size_t(5));
    QString table = QString::fromStdString(toTable(r));
    for (std::size_t i = 0; i < r.expectations.size(); ++i) {
        const auto& e = r.expectations[i];
        QVERIFY2(e.evaluated, qPrintable(table));
        QCOMPARE(e.pass, i != 4);  // only the one built to fail fails
        QVERIFY2(e.requests > 0, qPrintable(table));
    }
    QVERIFY(!r.passed());
    QCOMPARE(r.expectations[4].expectation.name, std::string("built to fail"));
    // 10 requests/s for 6 s, every one answered without a failure.
    QVERIFY2(r.requests >= 45 && r.requests <= 70, qPrintable(table));
    QCOMPARE(r.failed, std::uint64_t(0));
    QVERIFY2(r.byBackend.count("envoy-ai-gateway-qwen-primary-fb") && r.byBackend.count("envoy-ai-gateway-qwen-secondary-fb"),
             qPrintable(table));
    // results() after the end is the same verdicts.
    const auto again = player.results();
    for (std::size_t i = 0; i < again.size(); ++i)
        QCOMPARE(again[i].pass, r.expectations[i].pass);
}

void TestScenarioLive::stepPauseResumeRestart() {
    const Scenario s = load(kSteps);
    LivePlayer player(m_service.get());
    player.setScenario(s, m_config);
    player.setDrainsService(true);
    Watch w(player);

    // From Idle, step() plays step 0 and pauses at it.
    player.step();
    QTRY_COMPARE_WITH_TIMEOUT(player.state(), LivePlayer::State::Paused, 30000);
    QCOMPARE(player.currentStep(), 0);
    QCOMPARE(w.steps, std::vector<int>{0});
    QVERIFY(player.position() < ms(500));

    // Play for a second, then pause: the clock and the load stop.
    player.play();
    QTRY_VERIFY_WITH_TIMEOUT(player.position() >= secs(1), 30000);
    player.pause();
    QCOMPARE(player.state(), LivePlayer::State::Paused);
    const Duration pausedAt = player.position();
    QVERIFY(pausedAt < secs(2));
    // Let real time pass doing something that takes it: restart an idle server (not the scenario's
    // route); nothing of the scenario moves meanwhile. The count is taken once the load generators
    // have seen the stop and every request they sent is answered: a request handed to the client
    // just before the pause can reach the gateway after it (the count was one higher, 1 run in 5
    // to 20 under load).
    m_service->stopServer(QStringLiteral("qwen-tertiary"));
    QVERIFY(testing::waitServers(*m_service, ServerState::Stopped, QStringLiteral("qwen-tertiary")));
    QTRY_VERIFY_WITH_TIMEOUT(player.loadIdle(), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(m_service->stats().inFlight, 0, 30000);
    // The gateway counts a request just after its response went out, so a client can hold the
    // answer before the count moved (one short, 1 run in ~100 under load). An admin request is
    // answered on the data plane's thread after whatever it was doing: once it is back, every answer
    // already sent is counted.
    {
        http::HttpClient client;
        const QUrl admin(m_service->adminUrl());
        QCOMPARE(testing::call(client, "127.0.0.1", static_cast<quint16>(admin.port()), "GET", "/ready").status, 200);
    }
    const auto sent = m_service->stats().totalRequests;
    m_service->startServer(QStringLiteral("qwen-tertiary"));
    QVERIFY(testing::waitServers(*m_service, ServerState::Ready, QStringLiteral("qwen-tertiary")));
    QCOMPARE(player.position(), pausedAt);
    QCOMPARE(m_service->stats().totalRequests, sent);
    QCOMPARE(player.currentStep(), 0);
    QVERIFY(w.actions.empty());

    // step() resumes up to step 1 (2 s): its action is applied, then it pauses there. The first
    // window closes and is judged even while paused.
    player.step();
    QTRY_COMPARE_WITH_TIMEOUT(player.currentStep(), 1, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(player.state(), LivePlayer::State::Paused, 30000);
    QVERIFY(player.position() >= secs(2) && player.position() < ms(2500));
    QCOMPARE(w.actions.size(), std::size_t(1));
    QTRY_COMPARE_WITH_TIMEOUT(w.judged.size(), std::size_t(1), 30000);
    QCOMPARE(w.judged[0].first, 0);
    // About 20 requests in [0, 2s): the pause added none and took no scenario time.
    QVERIFY2(w.judged[0].second.pass, w.judged[0].second.measured.c_str());
    QVERIFY(player.results()[0].evaluated);
    QVERIFY(testing::waitServers(*m_service, ServerState::Stopped, QStringLiteral("qwen-primary")));

    // Restart: time 0, no step, results cleared, the stopped server back up.
    player.restart();
    QCOMPARE(player.state(), LivePlayer::State::Idle);
    QCOMPARE(player.position(), Duration::zero());
    QCOMPARE(player.currentStep(), -1);
    for (const auto& e : player.results()) {
        QVERIFY(!e.evaluated);
        QCOMPARE(e.requests, std::uint64_t(0));
    }
    QVERIFY(testing::waitServers(*m_service, ServerState::Ready, QStringLiteral("qwen-primary")));

    // And it plays again from 0 to the end, with the first run's requests gone.
    Watch second(player);
    player.play();
    QTRY_VERIFY_WITH_TIMEOUT(second.finished.has_value(), 30000);
    const QString table = QString::fromStdString(toTable(*second.finished));
    QVERIFY2(second.finished->passed(), qPrintable(table));
    QVERIFY2(second.finished->requests >= 28 && second.finished->requests <= 50, qPrintable(table));
}

void TestScenarioLive::unknownServerIsAnActionError() {
    LivePlayer player(m_service.get());
    player.setScenario(load(kUnknownServer), m_config);
    player.setDrainsService(true);
    Watch w(player);
    player.play();
    QTRY_VERIFY_WITH_TIMEOUT(w.finished.has_value(), 30000);
    QCOMPARE(w.actions.size(), std::size_t(1));
    QVERIFY2(w.actions[0].second.contains(QLatin1String("no model server named 'no-such-server'")),
             qPrintable(w.actions[0].second));
    QVERIFY(w.finished->passed());  // no expectation
}

void TestScenarioLive::playWithoutGatewayIsRefused() {
    proxy::GatewayService idle;  // never started
    LivePlayer player(&idle);
    player.setScenario(load(kSteps), m_config);
    Watch w(player);
    player.play();
    QCOMPARE(player.state(), LivePlayer::State::Idle);
    QCOMPARE(w.actions.size(), std::size_t(1));
    QCOMPARE(w.actions[0].first, QStringLiteral("play"));
    QVERIFY(w.actions[0].second.contains(QLatin1String("not running")));
}

QTEST_GUILESS_MAIN(TestScenarioLive)
#include "test_scenario_live.moc"
