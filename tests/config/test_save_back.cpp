// Save-back (config/save_back.h): edits written into the user's files in place, asserted on the
// unified diff (config/text_diff.h) of each file; and the `--set` edits (config/config_edit.h).
#include <QTest>

#include "config/config_edit.h"
#include "config/doctor.h"
#include "config/save_back.h"
#include "config/text_diff.h"
#include "config_test_util.h"

using namespace aigw::config;
using namespace aigw::config::test;

namespace {

std::vector<Source> readSources(const std::vector<std::string>& paths) {
    std::vector<Source> out;
    for (const auto& p : paths)
        out.push_back(Source{p, readFile(p)});
    return out;
}

Config loadOk(const std::vector<Source>& sources) {
    const LoadResult r = loadSources(sources);
    for (const auto& e : r.errors)
        if (e.message.rfind("malformed", 0) == 0)
            qFatal("%s", e.toString().c_str());
    return r.config;
}

/// The changed lines of a unified diff (without the ---/+++ headers): "-old" and "+new".
std::vector<std::string> changedLines(const std::string& diff) {
    std::vector<std::string> out;
    std::istringstream in(diff);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("--- ", 0) == 0 || line.rfind("+++ ", 0) == 0)
            continue;
        if (!line.empty() && (line[0] == '-' || line[0] == '+'))
            out.push_back(line);
    }
    return out;
}

std::string joinNotes(const SaveBackResult& r) {
    std::string out;
    for (const auto& n : r.notes)
        out += n + "\n";
    return out;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

BackendRefSpec& ref(Config& c, const std::string& route, std::size_t rule, const std::string& name) {
    for (auto& r : c.routes)
        if (r.meta.name == route)
            for (auto& b : r.rules.at(rule).backendRefs)
                if (b.name == name)
                    return b;
    qFatal("no backendRef %s in %s", name.c_str(), route.c_str());
}

/// Saves `edited` into `sources`, checks the result reads back as `edited` (typed objects), returns it.
SaveBackResult saveChecked(const std::vector<Source>& sources, const Config& edited, const SaveBackOptions& options = {}) {
    SaveBackResult r = saveBack(sources, edited, options);
    if (!r.ok())
        return r;
    std::vector<Source> after;
    for (const auto& f : r.files)
        after.push_back(Source{f.fileName, f.after});
    const Config again = loadOk(after);
    const std::string diff = modelDifference(again, edited).substr(0, 40);
    if (again.routes != edited.routes || again.trafficPolicies != edited.trafficPolicies ||
        again.backends != edited.backends || again.serviceBackends != edited.serviceBackends ||
        again.clientPolicies != edited.clientPolicies)
        qFatal("saved files read back differently: %s", diff.c_str());
    return r;
}

const std::string kCommented = "save_back/commented.yaml";

}  // namespace

class TestSaveBack : public QObject {
    Q_OBJECT
private slots:
    // ---- the unified diff ----

    void diffMatchesDiffU() {
        // Expected output from GNU diff -u (headers aside) on the same texts.
        const std::string a = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n";
        const std::string b = "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\nl\nm\nn\n";
        QCOMPARE(unifiedDiff(a, b, "x", "y"), std::string("--- x\n+++ y\n"
                                                           "@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
                                                           "@@ -11,3 +11,4 @@\n k\n l\n m\n+n\n"));
        // Changes at most 6 lines apart share one hunk.
        const std::string c = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
        const std::string d = "1\nX\n3\n4\n5\n6\n7\n8\nY\n10\n";
        QCOMPARE(unifiedDiff(c, d, "c", "d"),
                 std::string("--- c\n+++ d\n@@ -1,10 +1,10 @@\n 1\n-2\n+X\n 3\n 4\n 5\n 6\n 7\n 8\n-9\n+Y\n 10\n"));
        QCOMPARE(unifiedDiff("x\n", "x\ny", "p", "p"), std::string("--- p\n+++ p\n@@ -1 +1,2 @@\n x\n+y\n\\ No newline at end of file\n"));
        QCOMPARE(unifiedDiff("", "new\n", "/dev/null", "n"), std::string("--- /dev/null\n+++ n\n@@ -0,0 +1 @@\n+new\n"));
        QCOMPARE(unifiedDiff("same\n", "same\n", "a", "b"), std::string());
    }

    // ---- no edit: byte for byte ----

    void noEditKeepsEveryByte_data() {
        QTest::addColumn<std::vector<std::string>>("paths");
        QTest::newRow("tutorial samples") << allSamplePaths();
        for (const auto& [name, paths] : officialSets())
            QTest::newRow(name) << paths;
        QTest::newRow("commented") << std::vector<std::string>{dataPath(kCommented)};
    }
    void noEditKeepsEveryByte() {
        QFETCH(std::vector<std::string>, paths);
        const auto sources = readSources(paths);
        const SaveBackResult r = saveBack(sources, loadOk(sources));
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        QVERIFY(!r.changed());
        QVERIFY(r.notes.empty());
        QCOMPARE(r.files.size(), sources.size());
        for (std::size_t i = 0; i < sources.size(); ++i)
            QCOMPARE(r.files[i].after, sources[i].text);
        QCOMPARE(r.diff(), std::string());
    }

    // ---- a weight: one changed line ----

    void weightEditIsOneLine() {
        const auto sources = readSources({samplePath("model-virtualization.yaml")});
        Config edited = loadOk(sources);
        ref(edited, "envoy-ai-gateway-virtualization", 0, "envoy-ai-gateway-qwen-secondary").weight = 5;
        const SaveBackResult r = saveChecked(sources, edited);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        const std::string name = samplePath("model-virtualization.yaml");
        QCOMPARE(r.diff(), "--- " + name + "\n+++ " + name +
                               "\n@@ -20,7 +20,7 @@\n"
                               "           weight: 50\n"
                               "         - name: envoy-ai-gateway-qwen-secondary\n"
                               "           modelNameOverride: qwen2.5:0.5b\n"
                               "-          weight: 30\n"
                               "+          weight: 5\n"
                               "         - name: envoy-ai-gateway-qwen-tertiary\n"
                               "           modelNameOverride: qwen2.5:0.5b\n"
                               "           weight: 20\n");
    }

    void officialExampleWithCommentsWeightEdit() {
        const auto sources = readSources({dataPath("official/traffic_splitting_fallback.yaml")});
        Config edited = loadOk(sources);
        ref(edited, "traffic-splitting-fallback", 0, "backend-b").weight = 25;
        const SaveBackResult r = saveChecked(sources, edited);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        QCOMPARE(joined(changedLines(r.diff())), std::string("-          weight: 50\n+          weight: 25\n"));
        // The license header and the EnvoyProxy's comment are still there.
        QVERIFY(r.files[0].after.rfind("# Copyright Envoy AI Gateway Authors\n", 0) == 0);
        QVERIFY(r.files[0].after.find("          # Clear the default memory/cpu requirements for local tests.\n") != std::string::npos);
    }

    void commentAndQuotesKept() {
        const auto sources = readSources({dataPath(kCommented)});
        Config edited = loadOk(sources);
        ref(edited, "chat", 0, "primary").weight = 60;                       // trailing comment
        ref(edited, "chat", 0, "primary").modelNameOverride = "qwen2.5:3b";  // single quotes
        ref(edited, "chat", 0, "secondary").modelNameOverride = "qwen2.5:7b";  // double quotes
        const SaveBackResult r = saveChecked(sources, edited);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        QCOMPARE(joined(changedLines(r.diff())),
                 std::string("-      modelNameOverride: 'qwen2.5:1.5b'   # single-quoted on purpose\n"
                             "-      weight: 70 # most of the traffic\n"
                             "+      modelNameOverride: 'qwen2.5:3b'   # single-quoted on purpose\n"
                             "+      weight: 60 # most of the traffic\n"
                             "-      modelNameOverride: \"qwen2.5:0.5b\"\n"
                             "+      modelNameOverride: \"qwen2.5:7b\"\n"));
    }

    // ---- inserted keys ----

    void priorityInsertedAtTheRightIndentation() {
        const auto sources = readSources({samplePath("model-virtualization.yaml")});
        Config edited = loadOk(sources);
        ref(edited, "envoy-ai-gateway-virtualization", 0, "envoy-ai-gateway-qwen-tertiary").priority = 1;
        const SaveBackResult r = saveChecked(sources, edited);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        // After the ref's last key (weight), at its keys' column.
        const std::string d = r.diff();
        QCOMPARE(joined(changedLines(d)), std::string("+          priority: 1\n"));
        QVERIFY2(d.find("           weight: 20\n+          priority: 1\n") != std::string::npos, d.c_str());
    }

    void compactListsAndBlankLinesKept() {
        // The fallback ref sits after a blank line and a comment; a priority for "secondary" goes
        // right after its weight, above them.
        const auto sources = readSources({dataPath(kCommented)});
        Config edited = loadOk(sources);
        ref(edited, "chat", 0, "secondary").priority = 0;
        ref(edited, "chat", 0, "fallback").weight = 1;
        const SaveBackResult r = saveChecked(sources, edited);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        const std::string d = r.diff();
        QCOMPARE(joined(changedLines(d)), std::string("+      priority: 0\n+      weight: 1\n"));
        QVERIFY2(d.find("       weight: 30\n+      priority: 0\n \n     # the fallback") != std::string::npos, d.c_str());
        QVERIFY2(d.find("       priority: 1\n+      weight: 1\n") != std::string::npos, d.c_str());
    }

    void removedKeyDeletesItsLine() {
        const auto sources = readSources({dataPath(kCommented)});
        Config edited = loadOk(sources);
        ref(edited, "chat", 0, "secondary").modelNameOverride.reset();
        const SaveBackResult r = saveChecked(sources, edited);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        QCOMPARE(joined(changedLines(r.diff())), std::string("-      modelNameOverride: \"qwen2.5:0.5b\"\n"));
    }

    void flowListRewrittenOnItsLine() {
        const auto sources = readSources({dataPath(kCommented)});
        Config edited = loadOk(sources);
        auto& retry = *edited.trafficPolicies.at(0).retry;
        retry.httpStatusCodes = {500, 503};
        retry.triggers.push_back("reset");
        const SaveBackResult r = saveChecked(sources, edited);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        QCOMPARE(joined(changedLines(r.diff())),
                 std::string("-      httpStatusCodes: [503]\n"
                             "-      triggers: [connect-failure, retriable-status-codes]\n"
                             "+      httpStatusCodes: [500, 503]\n"
                             "+      triggers: [connect-failure, retriable-status-codes, reset]\n"));
    }

    void blockListItemAppended() {
        const auto sources = readSources({samplePath("provider-fallback.yaml")});
        Config edited = loadOk(sources);
        edited.trafficPolicies.at(0).retry->triggers.push_back("reset");
        const SaveBackResult r = saveChecked(sources, edited);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        const std::string d = r.diff();
        QCOMPARE(joined(changedLines(d)), std::string("+        - reset\n"));
        QVERIFY2(d.find("         - retriable-status-codes\n+        - reset\n") != std::string::npos, d.c_str());
    }

    // ---- the doctor's fixes ----

    void doctorFixAddsOneLine() {
        const auto sources = readSources({samplePath("provider-fallback.yaml")});
        Config edited = loadOk(sources);
        bool fixed = false;
        for (const auto& f : diagnose(edited))
            if (f.id == finding_id::kRetryStaysOnPriority0)
                fixed = applyFix(edited, f);
        QVERIFY(fixed);
        const SaveBackResult r = saveChecked(sources, edited);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        const std::string d = r.diff();
        // After the retry block's last key, at its keys' column.
        QCOMPARE(joined(changedLines(d)), std::string("+    numAttemptsPerPriority: 1\n"));
        QVERIFY2(d.find("         - retriable-status-codes\n+    numAttemptsPerPriority: 1\n") != std::string::npos, d.c_str());
    }

    void everyDoctorFixReadsBack_data() {
        QTest::addColumn<std::vector<std::string>>("paths");
        QTest::newRow("tutorial samples") << allSamplePaths();
        for (const auto& [name, paths] : officialSets())
            QTest::newRow(name) << paths;
        QTest::newRow("commented") << std::vector<std::string>{dataPath(kCommented)};
    }
    void everyDoctorFixReadsBack() {
        QFETCH(std::vector<std::string>, paths);
        const auto sources = readSources(paths);
        const Config edited = applyAllFixes(loadOk(sources));
        SaveBackOptions options;
        options.newObjectsFile = paths.front();
        const SaveBackResult r = saveChecked(sources, edited, options);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        // Only inserted or changed lines of what the fixes touch: no comment line is removed.
        for (const auto& l : changedLines(r.diff()))
            QVERIFY2(!(l[0] == '-' && l.find('#') != std::string::npos), l.c_str());
    }

    // ---- objects added and removed ----

    void newObjectGoesToTheNamedFile() {
        const auto sources = readSources({samplePath("model-virtualization.yaml")});
        Config edited = loadOk(sources);
        BackendTrafficPolicy p;
        p.meta.name = "new-policy";
        p.meta.ns = "default";
        ObjectRef target;
        target.group = "gateway.networking.k8s.io";
        target.kind = "HTTPRoute";
        target.name = "envoy-ai-gateway-virtualization";
        p.targetRefs.push_back(target);
        p.retry.emplace();
        p.retry->numAttemptsPerPriority = 1;
        edited.trafficPolicies.push_back(p);

        const SaveBackResult refused = saveBack(sources, edited);
        QVERIFY(!refused.ok());
        QVERIFY2(joinErrors(refused.errors).find("BackendTrafficPolicy default/new-policy") != std::string::npos,
                 joinErrors(refused.errors).c_str());
        QCOMPARE(refused.files.size(), std::size_t(0));

        SaveBackOptions options;
        options.newObjectsFile = "/tmp/policies.yaml";
        options.newObjectsText = "# policies\n";
        const SaveBackResult r = saveChecked(sources, edited, options);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        QCOMPARE(r.files.size(), std::size_t(2));
        QVERIFY(!r.files[0].changed());  // the route's file is untouched
        QCOMPARE(r.files[1].after, std::string("# policies\n---\n") + exportObject(edited, Kind::BackendTrafficPolicy, 0, {}));
    }

    void deletedObjectLosesItsDocument() {
        const auto sources = readSources({samplePath("provider-fallback.yaml")});
        Config edited = loadOk(sources);
        edited.backends.erase(edited.backends.begin() + 1);  // envoy-ai-gateway-qwen-secondary-fb
        const SaveBackResult r = saveChecked(sources, edited);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        const auto lines = changedLines(r.diff());
        QCOMPARE(lines.size(), std::size_t(11));  // `---` and the document's 10 lines
        for (const auto& l : lines)
            QCOMPARE(l[0], '-');
        QVERIFY(r.files[0].after.find("qwen-secondary-predictor") == std::string::npos);
    }

    void listItemEdited() {
        // kubectl get -o yaml: objects as items of a kind: List.
        const std::string text = "apiVersion: v1\nkind: List\nitems:\n"
                                 "- apiVersion: aigateway.envoyproxy.io/v1beta1\n  kind: AIGatewayRoute\n"
                                 "  metadata:\n    name: r\n    namespace: default\n"
                                 "  spec:\n    rules:\n    - backendRefs:\n      - name: a\n        weight: 3\n"
                                 "metadata:\n  resourceVersion: \"\"\n";
        const std::vector<Source> sources{{"list.yaml", text}};
        Config edited = loadOk(sources);
        edited.routes.at(0).rules.at(0).backendRefs.at(0).weight = 4;
        const SaveBackResult r = saveChecked(sources, edited);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());  // patched in place, not rewritten
        QCOMPARE(joined(changedLines(r.diff())), std::string("-        weight: 3\n+        weight: 4\n"));
    }

    // ---- what cannot be patched ----

    void malformedFileIsAnError() {
        const std::vector<Source> good = readSources({samplePath("model-virtualization.yaml")});
        Config edited = loadOk(good);
        ref(edited, "envoy-ai-gateway-virtualization", 0, "envoy-ai-gateway-qwen-secondary").weight = 5;
        std::vector<Source> bad = good;
        bad[0].text += "  - [unclosed\n";
        const SaveBackResult r = saveBack(bad, edited);
        QVERIFY(!r.ok());
        QVERIFY2(joinErrors(r.errors).find("malformed YAML") != std::string::npos, joinErrors(r.errors).c_str());
        QVERIFY(!r.changed());
    }

    void flowDocumentIsRewrittenWithANote() {
        const std::string text = "# one route, in flow style\n"
                                 "{apiVersion: aigateway.envoyproxy.io/v1beta1, kind: AIGatewayRoute, metadata: {name: r},\n"
                                 " spec: {rules: [{backendRefs: [{name: a, weight: 3}]}]}}\n";
        const std::vector<Source> sources{{"flow.yaml", text}};
        Config edited = loadOk(sources);
        edited.routes.at(0).rules.at(0).backendRefs.at(0).weight = 4;
        const SaveBackResult r = saveChecked(sources, edited);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QCOMPARE(r.notes.size(), std::size_t(1));
        QVERIFY2(r.notes[0].find("AIGatewayRoute default/r rewritten whole") != std::string::npos, r.notes[0].c_str());
        QVERIFY(r.files[0].after.rfind("# one route, in flow style\n", 0) == 0);
    }

    // ---- --set ----

    void setEdits_data() {
        QTest::addColumn<QString>("expr");
        QTest::addColumn<QString>("result");  // the description, or "error: <part of the message>"
        QTest::newRow("weight by name")
            << "route/envoy-ai-gateway-virtualization:rules[0].backendRefs[envoy-ai-gateway-qwen-secondary].weight=5"
            << "AIGatewayRoute default/envoy-ai-gateway-virtualization rules[0].backendRefs[envoy-ai-gateway-qwen-secondary].weight: 30 -> 5";
        QTest::newRow("priority by index, namespace")
            << "AIGatewayRoute/default/envoy-ai-gateway-virtualization:rules[0].backendRefs[2].priority=1"
            << "AIGatewayRoute default/envoy-ai-gateway-virtualization rules[0].backendRefs[2].priority: (unset) -> 1";
        QTest::newRow("unset override")
            << "route/envoy-ai-gateway-virtualization:rules[0].backendRefs[0].modelNameOverride="
            << "AIGatewayRoute default/envoy-ai-gateway-virtualization rules[0].backendRefs[0].modelNameOverride: qwen2.5:1.5b -> (unset)";
        QTest::newRow("policy duration") << "policy/envoy-ai-gateway-fallback-policy:retry.perRetry.timeout=5s"
                                         << "BackendTrafficPolicy default/envoy-ai-gateway-fallback-policy retry.perRetry.timeout: 30s -> 5s";
        QTest::newRow("negative weight") << "route/envoy-ai-gateway-virtualization:rules[0].backendRefs[0].weight=-1"
                                         << "error: is not an integer from 0 up";
        QTest::newRow("not a number") << "route/envoy-ai-gateway-virtualization:rules[0].backendRefs[0].weight=ten"
                                      << "error: 'ten' is not an integer";
        QTest::newRow("unknown route") << "route/nope:rules[0].backendRefs[0].weight=1" << "error: no AIGatewayRoute named 'nope'";
        QTest::newRow("rule out of range") << "route/envoy-ai-gateway-virtualization:rules[3].backendRefs[0].weight=1"
                                           << "error: has no rules[3]";
        QTest::newRow("unknown ref") << "route/envoy-ai-gateway-virtualization:rules[0].backendRefs[x].weight=1"
                                     << "error: has no backendRef named 'x'";
        QTest::newRow("unknown field") << "route/envoy-ai-gateway-virtualization:rules[0].backendRefs[0].colour=1"
                                       << "error: unknown route field";
        QTest::newRow("bad duration") << "policy/envoy-ai-gateway-fallback-policy:retry.perRetry.timeout=5 seconds"
                                      << "error: is not a duration";
        QTest::newRow("syntax") << "weight=5" << "error: is not KIND/[NAMESPACE/]NAME:FIELD=VALUE";
        QTest::newRow("unknown kind") << "gateway/x:y=1" << "error: unknown kind 'gateway'";
    }
    void setEdits() {
        QFETCH(QString, expr);
        QFETCH(QString, result);
        Config c = loadOk(readSources(allSamplePaths()));
        const Config before = c;
        const auto r = applySet(c, expr.toStdString());
        if (result.startsWith("error: ")) {
            QVERIFY(!r.ok());
            QVERIFY2(QString::fromStdString(r.error().message).contains(result.mid(7)), r.error().message.c_str());
            QVERIFY(c.routes == before.routes && c.trafficPolicies == before.trafficPolicies);
        } else {
            QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
            QCOMPARE(QString::fromStdString(r.value()), result);
        }
    }

    void setThenSaveIsOneLine() {
        const auto sources = readSources(allSamplePaths());
        Config edited = loadOk(sources);
        QVERIFY(applySet(edited, "route/envoy-ai-gateway-virtualization:rules[0].backendRefs[1].weight=5").ok());
        const SaveBackResult r = saveChecked(sources, edited);
        QVERIFY2(r.ok(), joinErrors(r.errors).c_str());
        QVERIFY2(r.notes.empty(), joinNotes(r).c_str());
        std::size_t changedFiles = 0;
        for (const auto& f : r.files)
            changedFiles += f.changed() ? 1 : 0;
        QCOMPARE(changedFiles, std::size_t(1));
        QCOMPARE(joined(changedLines(r.diff())), std::string("-          weight: 30\n+          weight: 5\n"));
    }
};

QTEST_GUILESS_MAIN(TestSaveBack)
#include "test_save_back.moc"
