// The scenario file format and the virtual-time runner: parsing, errors with file:line:col, the
// YAML writer's round trip, edits, the evaluator's checks, and runs on the built-in config.
#include <QtTest>

#include "config/builtin.h"
#include "config/exporter.h"
#include "config/loader.h"
#include "scenario/run.h"
#include "scenario/scenario.h"

using namespace aigw;
using namespace aigw::scenario;

namespace {

const char* kGood = R"(apiVersion: aigw-sim.dev/v1alpha1
kind: Scenario
metadata: {name: fallback}
spec:
  title: Primary down, corrected policy
  summary: The *secondary* answers.
  config: {builtin: true}
  settings: {seed: 7, dnsRefresh: 5s, latency: 100ms, servers: {qwen-secondary: {latency: 300ms}, qwen-tertiary: {mode: ollama}}}
  duration: 60s
  load:
    - {model: qwen-with-fallback, rate: 20, streamShare: 0.25, to: 55s}
  steps:
    - at: 0s
      title: normal
      expect:
        - share: {backend: envoy-ai-gateway-qwen-primary-fb, percent: 100, within: 0}
    - at: 10s
      title: primary stops
      text: |
        Stopped.
      actions:
        - stop: qwen-primary
        - at: 12s
          fault: {server: qwen-tertiary, errorStatus: 503, errorRate: 0.5}
      expect:
        - name: nobody sees an error
          failed: {max: 0}
        - ejections: {server: qwen-primary, min: 1}
    - at: 20s
      title: primary back
      actions:
        - start: qwen-primary
      expect:
        - returnsTo: {backend: envoy-ai-gateway-qwen-primary-fb, within: 35s}
          to: 60s
        - latencyP99: {max: 2s}
)";

Scenario load(const std::string& text) {
    auto r = loadScenarioText(text, "t.yaml", ".");
    if (!r.ok()) {
        for (const auto& e : r.errors)
            qWarning("%s", e.toString().c_str());
        return {};
    }
    return *r.scenario;
}

/// The first error of loading `text` as a formatted string.
std::string firstError(const std::string& text) {
    auto r = loadScenarioText(text, "bad.yaml", ".");
    return r.errors.empty() ? std::string("(no error)") : r.errors.front().toString();
}

std::string withStep(const std::string& step) {
    return std::string("apiVersion: aigw-sim.dev/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec:\n  title: x\n"
                       "  duration: 30s\n  steps:\n") + step;
}

}  // namespace

class TestScenarioFile : public QObject {
    Q_OBJECT
private slots:
    void parsesEveryPart() {
        const Scenario s = load(kGood);
        QCOMPARE(QString::fromStdString(s.name), QStringLiteral("fallback"));
        QCOMPARE(s.settings.seed, 7u);
        QCOMPARE(*s.settings.dnsRefresh, secs(5));
        QCOMPARE(s.settings.serverLatency.at("qwen-secondary"), ms(300));
        QCOMPARE(QString::fromStdString(s.settings.serverMode.at("qwen-tertiary")), QStringLiteral("ollama"));
        // The mode reaches the live gateway as the server's Backend annotation.
        const auto cfg = loadScenarioConfig(s, {});
        int annotated = 0;
        for (const auto& b : cfg.config.backends)
            if (b.meta.annotations.count(config::SimSettings::kMode))
                ++annotated;
        QVERIFY(annotated >= 1);
        QCOMPARE(s.duration, secs(60));
        QCOMPARE(s.load.size(), std::size_t(1));
        QCOMPARE(*s.load[0].to, secs(55));
        QCOMPARE(s.steps.size(), std::size_t(3));
        const auto timeline = s.timeline();
        QCOMPARE(timeline.size(), std::size_t(3));
        QCOMPARE(timeline[1].at, secs(12));  // an action's own time
        QCOMPARE(timeline[1].fault["errorRate"].get<double>(), 0.5);
        const auto ex = s.expectations();
        QCOMPARE(ex.size(), std::size_t(5));
        // Default windows: the step's time to the next step's; an explicit `to` wins.
        QCOMPARE(ex[1].from, secs(10));
        QCOMPARE(*ex[1].to, secs(20));
        QCOMPARE(*ex[3].to, secs(60));
        QCOMPARE(*ex[4].to, secs(60));
        QCOMPARE(QString::fromStdString(ex[1].name), QStringLiteral("nobody sees an error"));
        QCOMPARE(ex[2].step, std::size_t(1));
    }

    void errorsNameFileLineColumnAndPath_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("error");
        QTest::newRow("malformed yaml") << QString::fromStdString(withStep("    - at: [0s\n")) << "bad.yaml:9:1: malformed YAML";
        QTest::newRow("unknown action") << QString::fromStdString(withStep("    - at: 0s\n      title: a\n      actions:\n        - explode: x\n"))
                                        << "bad.yaml:11:11: spec.steps[0].actions[0].explode: unknown action 'explode'";
        QTest::newRow("bad duration") << QString::fromStdString(withStep("    - at: 10 seconds\n      title: a\n"))
                                      << "bad.yaml:8:11: spec.steps[0].at: '10 seconds' is not a duration";
        QTest::newRow("unknown fault key")
            << QString::fromStdString(withStep("    - at: 0s\n      title: a\n      actions:\n        - fault: {server: s, errrorStatus: 503}\n"))
            << "bad.yaml:11:30: spec.steps[0].actions[0].fault.errrorStatus: unknown fault key 'errrorStatus'";
        QTest::newRow("expectation without a check")
            << QString::fromStdString(withStep("    - at: 0s\n      title: a\n      expect:\n        - name: x\n"))
            << "bad.yaml:11:11: spec.steps[0].expect[0]: an expectation needs a check";
        QTest::newRow("two checks")
            << QString::fromStdString(withStep("    - at: 0s\n      title: a\n      expect:\n        - {failed: {max: 0}, requests: {min: 1}}\n"))
            << "spec.steps[0].expect[0].requests: one check per expectation";
        QTest::newRow("steps out of order")
            << QString::fromStdString(withStep("    - at: 10s\n      title: a\n    - at: 5s\n      title: b\n"))
            << "bad.yaml:10:11: spec.steps[1].at: steps must be in time order";
        QTest::newRow("step after the end") << QString::fromStdString(withStep("    - at: 50s\n      title: a\n"))
                                            << "spec.steps[0].at: the step is after the scenario's duration (30s)";
        QTest::newRow("wrong kind") << QStringLiteral("apiVersion: aigw-sim.dev/v1alpha1\nkind: Lesson\nspec: {title: x, steps: [{at: 0s, title: a}]}\n")
                                    << "bad.yaml:2:7: kind: kind 'Lesson' is not Scenario";
        QTest::newRow("percent out of range")
            << QString::fromStdString(withStep("    - at: 0s\n      title: a\n      expect:\n        - failedPercent: {max: 140}\n"))
            << "spec.steps[0].expect[0].failedPercent.max: 140 is out of range";
        QTest::newRow("no steps") << QStringLiteral("apiVersion: aigw-sim.dev/v1alpha1\nkind: Scenario\nspec: {title: x}\n")
                                  << "spec.steps: expected a non-empty list of steps";
        QTest::newRow("empty file") << QString() << "bad.yaml:1:1: empty file";
    }
    void errorsNameFileLineColumnAndPath() {
        QFETCH(QString, text);
        QFETCH(QString, error);
        const QString got = QString::fromStdString(firstError(text.toStdString()));
        QVERIFY2(got.contains(error), qPrintable(got));
    }

    void missingFileIsAnError() {
        const auto r = loadScenarioFile("/nonexistent/x.yaml");
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.errors.front().toString()).contains(QStringLiteral("cannot read")));
    }

    void writerRoundTrips() {
        const Scenario s = load(kGood);
        const std::string once = toYaml(s);
        const Scenario again = load(once);
        QCOMPARE(QString::fromStdString(toYaml(again)), QString::fromStdString(once));
        QCOMPARE(again.timeline().size(), s.timeline().size());
        for (std::size_t i = 0; i < s.timeline().size(); ++i)
            QCOMPARE(QString::fromStdString(again.timeline()[i].describe()), QString::fromStdString(s.timeline()[i].describe()));
        QCOMPARE(again.expectations().size(), s.expectations().size());
        for (std::size_t i = 0; i < s.expectations().size(); ++i) {
            QCOMPARE(again.expectations()[i].from, s.expectations()[i].from);
            QCOMPARE(again.expectations()[i].to, s.expectations()[i].to);
            QCOMPARE(QString::fromStdString(again.expectations()[i].expectedText()),
                     QString::fromStdString(s.expectations()[i].expectedText()));
        }
    }

    void editsChangeOneRefOrPolicyField() {
        const config::Config base = config::builtinScenario();
        Action edit;
        edit.verb = Action::Verb::Edit;
        edit.route = "envoy-ai-gateway-basic-route";
        edit.rule = 0;
        edit.backendRef = "envoy-ai-gateway-qwen-primary";
        edit.weight = 90;
        const auto routeIt = std::find_if(base.routes.begin(), base.routes.end(), [](const auto& r) {
            return !r.rules.empty() && !r.rules[0].backendRefs.empty() && r.rules[0].backendRefs[0].name == "envoy-ai-gateway-qwen-primary";
        });
        QVERIFY(routeIt != base.routes.end());
        edit.route = routeIt->meta.name;
        auto edited = applyEdit(base, edit);
        QVERIFY2(edited.ok(), edited.ok() ? "" : edited.error().message.c_str());
        const auto& ref = std::find_if(edited.value().routes.begin(), edited.value().routes.end(),
                                       [&](const auto& r) { return r.meta.name == edit.route; })->rules[0].backendRefs[0];
        QCOMPARE(ref.effectiveWeight(), std::int64_t(90));

        edit.backendRef = "nope";
        QVERIFY(!applyEdit(base, edit).ok());
        QVERIFY(QString::fromStdString(applyEdit(base, edit).error().message).contains(QStringLiteral("has no backendRef 'nope'")));

        Action policy;
        policy.verb = Action::Verb::Policy;
        QVERIFY(!base.trafficPolicies.empty());
        policy.policy = base.trafficPolicies.front().meta.name;
        policy.set = {{"retry.numAttemptsPerPriority", 2}, {"healthCheck", nullptr}};
        auto p = applyEdit(base, policy);
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().message.c_str());
        const auto& tp = p.value().trafficPolicies.front();
        QCOMPARE(tp.retry->numAttemptsPerPriority.value_or(0), std::int64_t(2));
        QVERIFY(!tp.passive.has_value());
        policy.policy = "missing";
        QVERIFY(!applyEdit(base, policy).ok());
    }

    void evaluatorChecks() {
        Evaluator ev;
        auto req = [&](int startMs, const char* backend, int status, int latencyMs, bool cut = false) {
            Observed o;
            o.start = ms(startMs);
            o.latency = ms(latencyMs);
            o.model = "m";
            o.backend = backend;
            o.status = status;
            o.cut = cut;
            ev.add(o);
        };
        for (int i = 0; i < 10; ++i)
            req(i * 100, i < 7 ? "a" : "b", 200, 100 + i);
        req(1000, "", 503, 20);
        req(1100, "a", 200, 900, true);
        req(1200, "", 503, 20);
        Expectation e;
        e.from = Duration::zero();
        e.to = ms(1000);
        e.check = Expectation::Check::Share;
        e.backend = "a";
        e.percent = 70;
        e.within = 0.5;
        QVERIFY(ev.evaluate(e, secs(2)).pass);
        e.percent = 60;
        QVERIFY(!ev.evaluate(e, secs(2)).pass);
        e.check = Expectation::Check::Failed;
        e.to.reset();
        e.bound = {std::nullopt, 2.0};
        QVERIFY(!ev.evaluate(e, secs(2)).pass);  // two 503s and a cut stream
        e.bound = {3.0, 3.0};
        QVERIFY(ev.evaluate(e, secs(2)).pass);
        e.check = Expectation::Check::Status;
        e.status = 503;
        e.bound = {2.0, std::nullopt};
        QVERIFY(ev.evaluate(e, secs(2)).pass);
        e.check = Expectation::Check::FailedPercent;
        e.bound = {std::nullopt, 20.0};
        QVERIFY(!ev.evaluate(e, secs(2)).pass);  // 3 of 13
        e.check = Expectation::Check::LatencyP99;
        e.bound = {std::nullopt, 500.0};
        QVERIFY(!ev.evaluate(e, secs(2)).pass);  // the cut stream's 900 ms
        e.check = Expectation::Check::ReturnsTo;
        e.from = ms(750);
        e.backend = "a";
        e.returnWithin = ms(300);
        QVERIFY(!ev.evaluate(e, secs(2)).pass);  // the next good answer by a is not before 1.1s... and that one was cut
        e.backend = "b";
        QVERIFY(ev.evaluate(e, secs(2)).pass);
        // An empty window has no percentage.
        e.check = Expectation::Check::FailedPercent;
        e.from = secs(5);
        QVERIFY(!ev.evaluate(e, secs(6)).pass);
        QCOMPARE(QString::fromStdString(ev.evaluate(e, secs(6)).measured), QStringLiteral("no requests in the window"));
    }

    void virtualRunIsDeterministicAndJudged() {
        const Scenario s = load(kGood);
        auto a = runVirtual(s);
        auto b = runVirtual(s);
        QVERIFY2(a.ok(), a.ok() ? "" : a.error().toString().c_str());
        QVERIFY(b.ok());
        QCOMPARE(QString::fromStdString(toTable(a.value())), QString::fromStdString(toTable(b.value())));
        QCOMPARE(a.value().requests, std::uint64_t(1100));  // 20/s over 55 s
        for (const auto& x : a.value().expectations)
            QVERIFY2(x.evaluated && x.pass, (x.expectation.name + ": " + x.measured).c_str());
        QVERIFY(a.value().passed());
        // Another seed: the same verdicts (nothing here depends on a lucky draw).
        RunOptions other;
        other.seed = 99;
        auto c = runVirtual(s, other);
        QVERIFY(c.ok());
        QVERIFY(c.value().passed());
    }

    void asWrittenPolicyFailsTheSameScenario() {
        std::string text = kGood;
        text.replace(text.find("config: {builtin: true}"), 23, "config: {builtin: true, policy: as-written}");
        auto r = runVirtual(load(text));
        QVERIFY(r.ok());
        QVERIFY(!r.value().passed());
        const auto& failedCheck = r.value().expectations[1];
        QCOMPARE(QString::fromStdString(failedCheck.expectation.name), QStringLiteral("nobody sees an error"));
        QVERIFY(!failedCheck.pass);
    }

    void inputErrorsOfARun() {
        std::string unknownServer = kGood;
        unknownServer.replace(unknownServer.find("stop: qwen-primary"), 18, "stop: qwen-nine");
        auto r = runVirtual(load(unknownServer));
        QVERIFY(!r.ok());
        QVERIFY2(QString::fromStdString(r.error().toString()).contains(QStringLiteral("unknown server 'qwen-nine'")),
                 r.error().toString().c_str());
        QVERIFY(QString::fromStdString(r.error().toString()).startsWith(QStringLiteral("t.yaml:")));

        std::string unknownModel = kGood;
        unknownModel.replace(unknownModel.find("model: qwen-with-fallback"), 25, "model: gpt-17");
        r = runVirtual(load(unknownModel));
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.error().message).contains(QStringLiteral("unknown model 'gpt-17'")));

        std::string liveOnly = kGood;
        liveOnly.replace(liveOnly.find("errorStatus: 503, errorRate: 0.5"), 32, "stallAfterTokens: 3");
        r = runVirtual(load(liveOnly));
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.error().message).contains(QStringLiteral("--live")));

        std::string badEdit = kGood;
        badEdit.replace(badEdit.find("start: qwen-primary"), 19, "edit: {route: nowhere, backendRef: x, weight: 3}");
        r = runVirtual(load(badEdit));
        QVERIFY(!r.ok());
        QVERIFY(QString::fromStdString(r.error().message).contains(QStringLiteral("no AIGatewayRoute 'nowhere'")));

        RunOptions missingConfig;
        missingConfig.configFiles = {"/nonexistent/ours.yaml"};
        r = runVirtual(load(kGood), missingConfig);
        QVERIFY(!r.ok());
    }

    void stripSimNeverExportsAScenario() {
        const std::string text = std::string(kGood) + "---\n" + config::builtinScenarioYaml();
        const config::LoadResult loaded = config::loadString(text, "mixed.yaml");
        config::ExportOptions keep;
        QVERIFY(QString::fromStdString(config::exportYaml(loaded.config, keep)).contains(QStringLiteral("kind: Scenario")));
        config::ExportOptions strip;
        strip.stripSim = true;
        const QString stripped = QString::fromStdString(config::exportYaml(loaded.config, strip));
        QVERIFY(!stripped.contains(QStringLiteral("kind: Scenario")));
        QVERIFY(!stripped.contains(QStringLiteral("aigw-sim.dev")));
        QVERIFY(stripped.contains(QStringLiteral("kind: AIGatewayRoute")));
    }

    void bodyOverTheLimitIs413() {
        std::string text = kGood;
        // The built-in config's ClientTrafficPolicy raises the limit to 50Mi (gateway-setup.yaml).
        text.replace(text.find("streamShare: 0.25"), 17, "promptBytes: 60000000");
        auto r = runVirtual(load(text));
        QVERIFY(r.ok());
        QCOMPARE(r.value().byStatus.at(413), r.value().requests);
    }
};

QTEST_APPLESS_MAIN(TestScenarioFile)
#include "test_scenario_file.moc"
