// The shipped lessons (samples/scenarios/*.yaml, listed when the test runs, so a new lesson is
// covered without touching this file): each loads and every expectation holds in virtual time, with
// its own seed and with other seeds (the margins are real, not one lucky draw). A lesson run against
// a config that breaks it fails, with a table naming the failed expectation; the CLI's JUnit output is
// well-formed; `scenario list` prints every title and step count; a bad scenario file gives
// file:line:col errors and exit 2. The editor schema (scenario.schema.json) accepts every lesson and
// rejects what the loader rejects, checked by a small validator of the JSON Schema keywords it uses.
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "config_test_util.h"
#include "scenario/run.h"
#include "scenario/scenario.h"

using aigw::config::test::runAigwSim;
using namespace aigw::scenario;

namespace {

QString lessonsDir() { return QStringLiteral(AIGW_LESSONS_DIR); }

QString lessonPath(const char* name) { return lessonsDir() + QLatin1Char('/') + QLatin1String(name); }

/// Every lesson file, as `scenario list` and the app find them.
QStringList lessonFiles() {
    QStringList out;
    for (const QString& name : QDir(lessonsDir()).entryList({QStringLiteral("*.yaml"), QStringLiteral("*.yml")}, QDir::Files, QDir::Name))
        out << lessonsDir() + QLatin1Char('/') + name;
    return out;
}

/// The tutorial's files with its fallback policy as written (no provider-fallback-corrected.yaml).
QStringList asWrittenConfig() {
    QStringList out;
    for (const char* f : {"gateway-setup.yaml", "primary-model.yaml", "secondary-model.yaml", "tertiary-model.yaml",
                          "model-virtualization.yaml", "provider-fallback.yaml"})
        out << QStringLiteral(AIGW_SAMPLES_DIR "/") + QLatin1String(f);
    return out;
}

std::vector<std::string> toStd(const QStringList& list) {
    std::vector<std::string> out;
    for (const auto& s : list)
        out.push_back(s.toStdString());
    return out;
}

std::string joinErrors(const std::vector<aigw::Error>& errors) {
    std::string out;
    for (const auto& e : errors)
        out += e.toString() + "\n";
    return out;
}

/// The names of the expectations that did not pass (or were never evaluated).
QStringList failedNames(const RunResult& r) {
    QStringList out;
    for (const auto& e : r.expectations)
        if (!e.evaluated || !e.pass)
            out << QString::fromStdString(e.expectation.name);
    return out;
}

/// YAML as JSON with the scalar types a YAML 1.2 core schema reader gives (quoted scalars stay strings).
nlohmann::json yamlToJson(const YAML::Node& n) {
    switch (n.Type()) {
    case YAML::NodeType::Map: {
        auto out = nlohmann::json::object();
        for (const auto& kv : n)
            out[kv.first.Scalar()] = yamlToJson(kv.second);
        return out;
    }
    case YAML::NodeType::Sequence: {
        auto out = nlohmann::json::array();
        for (const auto& v : n)
            out.push_back(yamlToJson(v));
        return out;
    }
    case YAML::NodeType::Scalar: {
        const std::string& v = n.Scalar();
        if (n.Tag() == "!")
            return v;
        if (v == "true" || v == "false")
            return v == "true";
        if (v == "null" || v == "~")
            return nullptr;
        if (std::regex_match(v, std::regex("-?[0-9]+")))
            return std::stoll(v);
        if (std::regex_match(v, std::regex("-?[0-9]*\\.[0-9]+([eE][-+]?[0-9]+)?")))
            return std::stod(v);
        return v;
    }
    default: return nullptr;
    }
}

/// The JSON Schema keywords scenario.schema.json uses (draft 2020-12 semantics), nothing more: enough
/// to keep the editor schema and the loader in step without a schema library.
class SchemaCheck {
public:
    explicit SchemaCheck(nlohmann::json schema) : m_root(std::move(schema)) {}
    std::vector<std::string> errors(const nlohmann::json& doc) const {
        std::vector<std::string> out;
        check(m_root, doc, "", out);
        return out;
    }

private:
    static bool isType(const nlohmann::json& v, const std::string& t) {
        if (t == "object") return v.is_object();
        if (t == "array") return v.is_array();
        if (t == "string") return v.is_string();
        if (t == "integer") return v.is_number_integer();
        if (t == "number") return v.is_number();
        if (t == "boolean") return v.is_boolean();
        if (t == "null") return v.is_null();
        return false;
    }
    bool valid(const nlohmann::json& s, const nlohmann::json& v) const {
        std::vector<std::string> e;
        check(s, v, "", e);
        return e.empty();
    }
    void check(const nlohmann::json& s, const nlohmann::json& v, const std::string& path, std::vector<std::string>& out) const {
        auto fail = [&](const std::string& what) { out.push_back((path.empty() ? "/" : path) + ": " + what); };
        if (s.contains("$ref")) {
            const std::string ref = s["$ref"];
            check(m_root["$defs"][ref.substr(ref.rfind('/') + 1)], v, path, out);
        }
        if (s.contains("type")) {
            const auto& t = s["type"];
            const bool ok = t.is_string() ? isType(v, t) : std::any_of(t.begin(), t.end(), [&](const auto& x) { return isType(v, x); });
            if (!ok)
                return fail("not of type " + t.dump());
        }
        if (s.contains("const") && v != s["const"])
            fail("not " + s["const"].dump());
        if (s.contains("enum") && std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end())
            fail("not one of " + s["enum"].dump());
        if (v.is_string()) {
            const std::string text = v;
            if (s.contains("pattern") && !std::regex_search(text, std::regex(s["pattern"].get<std::string>())))
                fail("'" + text + "' does not match " + s["pattern"].get<std::string>());
            if (s.contains("minLength") && text.size() < s["minLength"].get<std::size_t>())
                fail("too short");
        }
        if (v.is_number()) {
            const double x = v;
            if (s.contains("minimum") && x < s["minimum"].get<double>())
                fail("below the minimum");
            if (s.contains("maximum") && x > s["maximum"].get<double>())
                fail("above the maximum");
            if (s.contains("exclusiveMinimum") && x <= s["exclusiveMinimum"].get<double>())
                fail("not above the exclusive minimum");
        }
        if (v.is_array()) {
            if (s.contains("minItems") && v.size() < s["minItems"].get<std::size_t>())
                fail("too few items");
            if (s.contains("items"))
                for (std::size_t i = 0; i < v.size(); ++i)
                    check(s["items"], v[i], path + "/" + std::to_string(i), out);
        }
        if (v.is_object()) {
            if (s.contains("minProperties") && v.size() < s["minProperties"].get<std::size_t>())
                fail("too few properties");
            if (s.contains("maxProperties") && v.size() > s["maxProperties"].get<std::size_t>())
                fail("too many properties");
            if (s.contains("required"))
                for (const auto& k : s["required"])
                    if (!v.contains(k.get<std::string>()))
                        fail("missing " + k.get<std::string>());
            for (const auto& [k, x] : v.items()) {
                if (s.contains("propertyNames"))
                    check(s["propertyNames"], k, path + "/" + k, out);
                if (s.contains("properties") && s["properties"].contains(k))
                    check(s["properties"][k], x, path + "/" + k, out);
                else if (s.contains("additionalProperties")) {
                    const auto& extra = s["additionalProperties"];
                    if (extra.is_boolean() && !extra.get<bool>())
                        fail("unknown property " + k);
                    else if (extra.is_object())
                        check(extra, x, path + "/" + k, out);
                }
            }
        }
        if (s.contains("if")) {
            const char* branch = valid(s["if"], v) ? "then" : "else";
            if (s.contains(branch))
                check(s[branch], v, path, out);
        }
        if (s.contains("anyOf") && std::none_of(s["anyOf"].begin(), s["anyOf"].end(), [&](const auto& x) { return valid(x, v); }))
            fail("matches none of anyOf");
        if (s.contains("oneOf")) {
            const auto n = std::count_if(s["oneOf"].begin(), s["oneOf"].end(), [&](const auto& x) { return valid(x, v); });
            if (n != 1)
                fail("matches " + std::to_string(n) + " of oneOf (expected exactly 1)");
        }
    }

    nlohmann::json m_root;
};

SchemaCheck loadSchema() {
    std::ifstream in(std::string(AIGW_LESSONS_DIR) + "/scenario.schema.json");
    return SchemaCheck(nlohmann::json::parse(in));
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v)
        out += s + "\n";
    return out;
}

}  // namespace

class TestLessons : public QObject {
    Q_OBJECT
private slots:
    void shipsTheIssueLessons();
    void lessonHolds_data();
    void lessonHolds();
    void correctedFailsAgainstAsWrittenPolicy();
    void cliTableAndExitCodes();
    void junitIsWellFormed();
    void listPrintsTitlesAndStepCounts();
    void badFileGivesLocation_data();
    void badFileGivesLocation();
    void schemaAcceptsEveryLesson();
    void schemaRejectsWhatTheLoaderRejects_data();
    void schemaRejectsWhatTheLoaderRejects();
};

void TestLessons::shipsTheIssueLessons() {
    // The lessons issue 11 asks for; more may be added freely.
    for (const char* name : {"ticket1-split.yaml", "ticket1-weight-edit.yaml", "ticket2-as-written-pod-down.yaml",
                             "ticket2-as-written-delete.yaml", "ticket2-corrected.yaml", "passive-health-never-ejects.yaml",
                             "stream-no-failover.yaml", "body-limit-413.yaml", "timeouts.yaml"})
        QVERIFY2(QFile::exists(lessonPath(name)), name);
    QVERIFY(lessonFiles().size() >= 9);
}

void TestLessons::lessonHolds_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("seed");  // 0: the lesson's own
    for (const QString& f : lessonFiles())
        for (int seed : {0, 2, 3, 17})
            QTest::newRow(qPrintable(QFileInfo(f).fileName() + QStringLiteral(" seed ") +
                                     (seed ? QString::number(seed) : QStringLiteral("own"))))
                << f << seed;
}

void TestLessons::lessonHolds() {
    QFETCH(QString, file);
    QFETCH(int, seed);
    const ScenarioLoad load = loadScenarioFile(file.toStdString());
    QVERIFY2(load.ok(), joinErrors(load.errors).c_str());
    const Scenario& s = *load.scenario;

    // A lesson teaches: a title, a summary, text on every step, load, and expectations to check.
    QVERIFY(!s.title.empty());
    QVERIFY(!s.summary.empty());
    QVERIFY(!s.load.empty());
    QVERIFY(!s.expectations().empty());
    for (const auto& st : s.steps) {
        QVERIFY2(!st.title.empty(), ("a step at " + formatDuration(st.at) + " has no title").c_str());
        QVERIFY2(!st.text.empty(), ("step '" + st.title + "' has no teaching text").c_str());
    }

    RunOptions options;
    if (seed)
        options.seed = static_cast<std::uint64_t>(seed);
    const auto run = runVirtual(s, options);
    QVERIFY2(run.ok(), run.ok() ? "" : run.error().toString().c_str());
    const RunResult& r = run.value();
    QVERIFY(r.requests > 0);
    QCOMPARE(r.expectations.size(), s.expectations().size());
    QVERIFY2(failedNames(r).isEmpty(), toTable(r).c_str());
    QVERIFY(r.passed());
}

void TestLessons::correctedFailsAgainstAsWrittenPolicy() {
    const ScenarioLoad load = loadScenarioFile(lessonPath("ticket2-corrected.yaml").toStdString());
    QVERIFY2(load.ok(), joinErrors(load.errors).c_str());

    RunOptions options;
    options.configFiles = toStd(asWrittenConfig());
    const auto run = runVirtual(*load.scenario, options);
    QVERIFY2(run.ok(), run.ok() ? "" : run.error().toString().c_str());
    const RunResult& r = run.value();
    QVERIFY(!r.passed());
    QVERIFY(r.failed > 0);
    const QStringList failed = failedNames(r);
    // Retries that stay on priority 0 give clients 503s, and without a health check nothing is ejected.
    QVERIFY2(failed.contains(QStringLiteral("no client sees an error")), qPrintable(failed.join(", ")));
    QVERIFY2(failed.contains(QStringLiteral("the primary is ejected once")), qPrintable(failed.join(", ")));
    // What does not depend on the policy still holds: the primary answers before it goes down.
    QVERIFY2(r.expectations.front().pass, toTable(r).c_str());
}

void TestLessons::cliTableAndExitCodes() {
    const QString lesson = lessonPath("ticket2-corrected.yaml");
    const auto own = runAigwSim({QStringLiteral("scenario"), QStringLiteral("run"), lesson});
    QVERIFY2(own.code == 0, qPrintable(own.out + own.err));

    const auto broken = runAigwSim(QStringList{QStringLiteral("scenario"), QStringLiteral("run"), lesson, QStringLiteral("--config")} +
                                   asWrittenConfig());
    QVERIFY2(broken.code == 1, qPrintable(QString::number(broken.code) + "\n" + broken.out + broken.err));
    // A readable table: the failed expectation by name on a FAIL row, the others PASS.
    bool failRow = false;
    for (const QString& line : broken.out.split(QLatin1Char('\n')))
        if (line.contains(QStringLiteral("no client sees an error")) && line.contains(QStringLiteral("FAIL")))
            failRow = true;
    QVERIFY2(failRow, qPrintable(broken.out));
    QVERIFY2(broken.out.contains(QStringLiteral("PASS")), qPrintable(broken.out));
}

void TestLessons::junitIsWellFormed() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString xmlPath = tmp.filePath(QStringLiteral("out.xml"));
    // Against the as-written policy: the as-written lesson holds, the corrected one fails.
    const QStringList lessons = {lessonPath("ticket2-as-written-pod-down.yaml"), lessonPath("ticket2-corrected.yaml")};
    const auto run = runAigwSim(QStringList{QStringLiteral("scenario"), QStringLiteral("run")} + lessons +
                                QStringList{QStringLiteral("--config")} + asWrittenConfig() +
                                QStringList{QStringLiteral("--junit"), xmlPath});
    QVERIFY2(run.code == 1, qPrintable(QString::number(run.code) + "\n" + run.out + run.err));

    std::map<std::string, std::size_t> expectationsOf;
    for (const QString& f : lessons) {
        const ScenarioLoad load = loadScenarioFile(f.toStdString());
        QVERIFY(load.ok());
        expectationsOf[load.scenario->title] = load.scenario->expectations().size();
    }

    QFile file(xmlPath);
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(xmlPath));
    QXmlStreamReader xml(&file);
    struct Suite {
        QString name;
        int testsAttr = -1, failuresAttr = -1, cases = 0, failures = 0;
    };
    std::vector<Suite> suites;
    bool inCase = false;
    int casesWithoutName = 0;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement()) {
            const auto a = xml.attributes();
            if (xml.name() == QLatin1String("testsuite")) {
                Suite s;
                s.name = a.value(QLatin1String("name")).toString();
                if (a.hasAttribute(QLatin1String("tests")))
                    s.testsAttr = a.value(QLatin1String("tests")).toInt();
                if (a.hasAttribute(QLatin1String("failures")))
                    s.failuresAttr = a.value(QLatin1String("failures")).toInt();
                suites.push_back(s);
            } else if (xml.name() == QLatin1String("testcase")) {
                QVERIFY2(!suites.empty(), "a testcase outside a testsuite");
                QVERIFY2(!inCase, "nested testcase");
                inCase = true;
                ++suites.back().cases;
                if (a.value(QLatin1String("name")).isEmpty())
                    ++casesWithoutName;
            } else if (xml.name() == QLatin1String("failure")) {
                QVERIFY2(inCase, "a failure outside a testcase");
                ++suites.back().failures;
            }
        } else if (xml.isEndElement() && xml.name() == QLatin1String("testcase")) {
            inCase = false;
        }
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QCOMPARE(casesWithoutName, 0);
    QCOMPARE(suites.size(), std::size_t(2));  // one per scenario file
    int failingSuites = 0;
    for (const auto& s : suites) {
        if (s.testsAttr >= 0)
            QCOMPARE(s.testsAttr, s.cases);
        if (s.failuresAttr >= 0)
            QCOMPARE(s.failuresAttr, s.failures);
        QVERIFY(s.cases > 0);
        failingSuites += s.failures > 0;
    }
    QCOMPARE(failingSuites, 1);
    // One testcase per expectation: the totals match the two files'.
    std::size_t expected = 0, cases = 0;
    for (const auto& [title, n] : expectationsOf)
        expected += n;
    for (const auto& s : suites)
        cases += static_cast<std::size_t>(s.cases);
    QCOMPARE(cases, expected);
}

void TestLessons::listPrintsTitlesAndStepCounts() {
    const auto run = runAigwSim({QStringLiteral("scenario"), QStringLiteral("list"), lessonsDir()});
    QVERIFY2(run.code == 0, qPrintable(run.out + run.err));
    // One block per file: its path, its title, then "N step(s), M expectation(s), duration".
    const QStringList lines = run.out.split(QLatin1Char('\n'));
    for (const QString& f : lessonFiles()) {
        const ScenarioLoad load = loadScenarioFile(f.toStdString());
        QVERIFY(load.ok());
        const QString title = QString::fromStdString(load.scenario->title);
        const QRegularExpression steps(QStringLiteral("^\\s*%1 step").arg(load.scenario->steps.size()));
        const auto at = std::find_if(lines.begin(), lines.end(), [&](const QString& l) { return l.contains(title); });
        QVERIFY2(at != lines.end(), qPrintable(QStringLiteral("'%1' not in:\n%2").arg(title, run.out)));
        QVERIFY2(at + 1 != lines.end() && steps.match(*(at + 1)).hasMatch(),
                 qPrintable(QStringLiteral("no step count %1 after '%2' in:\n%3")
                                .arg(load.scenario->steps.size())
                                .arg(title, run.out)));
    }
}

void TestLessons::badFileGivesLocation_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("words");  // part of the message

    const QString head = QStringLiteral(
        "apiVersion: aigw-sim.dev/v1alpha1\n"   // 1
        "kind: Scenario\n"                      // 2
        "spec:\n"                               // 3
        "  title: bad\n"                        // 4
        "  load:\n"                             // 5
        "    - model: qwen-with-fallback\n"     // 6
        "  steps:\n");                          // 7
    // The step's lines start at 8: "    - at: ...", "      title: t", then actions or expect.
    QTest::newRow("duration") << head + QStringLiteral("    - at: 10 seconds\n      title: t\n") << 8 << 11
                              << QStringLiteral("duration");
    QTest::newRow("unknown verb") << head + QStringLiteral("    - at: 1s\n      title: t\n      actions:\n"
                                                           "        - restart: qwen-primary\n")
                                  << 11 << 11 << QStringLiteral("restart");
    QTest::newRow("two checks") << head + QStringLiteral("    - at: 1s\n      title: t\n      expect:\n"
                                                         "        - failed: {max: 0}\n          requests: {min: 1}\n")
                                << 12 << 11 << QStringLiteral("one check");
    QTest::newRow("share without within")
        << head + QStringLiteral("    - at: 1s\n      title: t\n      expect:\n        - share: {backend: b, percent: 50}\n")
        << 11 << 18 << QStringLiteral("within");
    QTest::newRow("step without title") << head + QStringLiteral("    - at: 1s\n") << 8 << 7 << QStringLiteral("title");
    QTest::newRow("apiVersion") << QStringLiteral("apiVersion: v1\nkind: Scenario\nspec: {title: t, steps: [{at: 0s, title: t}]}\n") << 1
                                << 13 << QStringLiteral("aigw-sim.dev/v1alpha1");
    QTest::newRow("malformed YAML") << head + QStringLiteral("    - at: [1s\n") << 9 << 1 << QStringLiteral("YAML");
}

void TestLessons::badFileGivesLocation() {
    QFETCH(QString, text);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, words);
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString path = tmp.filePath(QStringLiteral("bad.yaml"));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(text.toUtf8());
    }
    const ScenarioLoad load = loadScenarioFile(path.toStdString());
    QVERIFY(!load.ok());
    QVERIFY(!load.errors.empty());
    const auto& e = load.errors.front();
    const std::string all = joinErrors(load.errors);
    QVERIFY2(e.where.line == line && e.where.column == column, all.c_str());
    QVERIFY2(QString::fromStdString(e.message).contains(words, Qt::CaseInsensitive), all.c_str());

    const auto run = runAigwSim({QStringLiteral("scenario"), QStringLiteral("run"), path});
    QVERIFY2(run.code == 2, qPrintable(QString::number(run.code) + "\n" + run.out + run.err));
    const QString where = QStringLiteral("%1:%2:%3: ").arg(path).arg(line).arg(column);
    QVERIFY2(run.err.contains(where), qPrintable(where + " not in:\n" + run.err));
}

void TestLessons::schemaAcceptsEveryLesson() {
    const SchemaCheck schema = loadSchema();
    for (const QString& f : lessonFiles()) {
        const auto errors = schema.errors(yamlToJson(YAML::LoadFile(f.toStdString())));
        QVERIFY2(errors.empty(), qPrintable(f + QStringLiteral(":\n") + QString::fromStdString(joined(errors))));
    }
}

void TestLessons::schemaRejectsWhatTheLoaderRejects_data() {
    QTest::addColumn<QString>("step");  // one step, spliced into an otherwise valid scenario
    QTest::addColumn<bool>("valid");
    QTest::newRow("valid") << QStringLiteral("{at: 1s, title: t, actions: [{stop: qwen-primary}], expect: [{failed: {max: 0}}]}") << true;
    QTest::newRow("every check") << QStringLiteral(
        "{at: 1s, title: t, expect: [{requests: {min: 1}}, {failedPercent: {max: 5}}, {status: {code: 503, max: 0}},"
        " {share: {backend: b, percent: 50, within: 5}}, {latencyP99: {max: 2s}}, {ejections: {max: 0}},"
        " {returnsTo: {backend: b, within: 10s}, from: 1s, to: 5s, model: m, name: n}]}") << true;
    QTest::newRow("every verb") << QStringLiteral(
        "{at: 1s, title: t, actions: [{start: s}, {delete: s}, {reapply: s, at: 2s}, {clearFault: s},"
        " {fault: {server: s, errorStatus: 503, errorRate: 0.5, blackhole: true}},"
        " {edit: {route: r, rule: 0, backendRef: b, weight: 80}}, {policy: {name: p, set: {retry.numRetries: 1}}},"
        " {config: {builtin: true, policy: corrected}}, {dnsRefresh: 10s}]}") << true;
    QTest::newRow("no title") << QStringLiteral("{at: 1s}") << false;
    QTest::newRow("external server without url")
        << QStringLiteral("{at: 1s, title: t}\n  settings: {servers: {qwen-primary: {mode: external}}}") << false;
    QTest::newRow("external server with url")
        << QStringLiteral("{at: 1s, title: t}\n  settings: {servers: {qwen-primary: {mode: external, url: 'http://h:1'}}}") << true;
    QTest::newRow("bad duration") << QStringLiteral("{at: 10 seconds, title: t}") << false;
    QTest::newRow("unknown key") << QStringLiteral("{at: 1s, title: t, note: x}") << false;
    QTest::newRow("unknown verb") << QStringLiteral("{at: 1s, title: t, actions: [{restart: s}]}") << false;
    QTest::newRow("two verbs") << QStringLiteral("{at: 1s, title: t, actions: [{stop: s, start: s}]}") << false;
    QTest::newRow("unknown fault key") << QStringLiteral("{at: 1s, title: t, actions: [{fault: {server: s, slow: true}}]}") << false;
    QTest::newRow("fault without key") << QStringLiteral("{at: 1s, title: t, actions: [{fault: {server: s}}]}") << false;
    QTest::newRow("edit without change") << QStringLiteral("{at: 1s, title: t, actions: [{edit: {route: r, backendRef: b}}]}") << false;
    QTest::newRow("policy without set") << QStringLiteral("{at: 1s, title: t, actions: [{policy: {name: p}}]}") << false;
    QTest::newRow("config policy only") << QStringLiteral("{at: 1s, title: t, actions: [{config: {policy: as-written}}]}") << false;
    QTest::newRow("two checks") << QStringLiteral("{at: 1s, title: t, expect: [{failed: {max: 0}, requests: {min: 1}}]}") << false;
    QTest::newRow("no check") << QStringLiteral("{at: 1s, title: t, expect: [{name: n}]}") << false;
    QTest::newRow("share without within") << QStringLiteral("{at: 1s, title: t, expect: [{share: {backend: b, percent: 5}}]}") << false;
    QTest::newRow("bound without min or max") << QStringLiteral("{at: 1s, title: t, expect: [{failed: {}}]}") << false;
    QTest::newRow("status without code") << QStringLiteral("{at: 1s, title: t, expect: [{status: {max: 0}}]}") << false;
}

void TestLessons::schemaRejectsWhatTheLoaderRejects() {
    QFETCH(QString, step);
    QFETCH(bool, valid);
    const std::string text = "apiVersion: aigw-sim.dev/v1alpha1\nkind: Scenario\nspec:\n  title: t\n"
                             "  load: [{model: m}]\n  steps:\n    - " + step.toStdString() + "\n";
    const ScenarioLoad load = loadScenarioText(text, "inline.yaml", ".");
    QVERIFY2(load.ok() == valid, (text + joinErrors(load.errors)).c_str());
    const auto errors = loadSchema().errors(yamlToJson(YAML::Load(text)));
    QVERIFY2(errors.empty() == valid, (text + joined(errors)).c_str());
}

QTEST_GUILESS_MAIN(TestLessons)
#include "test_lessons.moc"
