// Properties of the config chain on any input: truncated and byte-mutated samples and official
// examples go through load, validate, diagnose, applyFix and export, and each run must satisfy
// fuzz/config_properties.h (what loads without errors validates; every export, before and after a
// doctor fix, loads back and exports identically). libFuzzer checks the same properties
// (fuzz/fuzz_config.cpp); this is the seeded, bounded, repeatable part of it.
#include <QTest>

#include <random>
#include <sstream>

#include "base_scenario.h"
#include "config/doctor.h"
#include "config/exporter.h"
#include "config/loader.h"
#include "config/validate.h"
#include "config_properties.h"
#include "config_test_util.h"

using namespace aigw;
using namespace aigw::config;
using namespace aigw::config::test;

namespace {

/// What the runs covered: a mutation budget that never loads cleanly or never reaches a doctor
/// fix would check the properties on nothing.
struct Coverage {
    std::size_t runs = 0;
    std::size_t loaded = 0;
    std::size_t fixesApplied = 0;
};

/// Checks the chain's properties on `text`; the failure names the property and the input.
std::optional<std::string> check(const std::string& text, Coverage& coverage) {
    fuzz::ChainStats stats;
    if (auto bad = fuzz::checkChain(text, &stats))
        return *bad + "\n--- input (" + std::to_string(text.size()) + " bytes):\n" + text.substr(0, 2000);
    ++coverage.runs;
    coverage.loaded += stats.loaded;
    coverage.fixesApplied += stats.fixesApplied;
    return std::nullopt;
}

std::vector<std::string> corpus() {
    std::vector<std::string> out = {kBase};
    for (const auto& f : sampleFiles())
        out.push_back(readFile(samplePath(f)));
    for (const auto& [name, files] : officialSets())
        for (const auto& f : files)
            out.push_back(readFile(f));
    return out;
}

}  // namespace

class TestConfigFuzz : public QObject {
    Q_OBJECT

private slots:
    void truncated() {
        std::mt19937 rng(20261124);
        Coverage c;
        for (const auto& text : corpus()) {
            for (int i = 0; i < 40; ++i) {
                const std::size_t cut = std::uniform_int_distribution<std::size_t>(0, text.size())(rng);
                if (auto bad = check(text.substr(0, cut), c))
                    QFAIL(bad->c_str());
            }
        }
        // Cuts at a document boundary load cleanly, and the tutorial's policy has doctor fixes.
        QVERIFY(c.loaded > 0);
        QVERIFY(c.fixesApplied > 0);
    }

    void mutated() {
        std::mt19937 rng(7);
        const std::string interesting = ":-[]{}|>&*!%@`'\"#?,\n\t 0123456789aZ~";
        Coverage c;
        for (const auto& text : corpus()) {
            for (int i = 0; i < 60; ++i) {
                std::string m = text;
                const int edits = std::uniform_int_distribution<int>(1, 8)(rng);
                for (int e = 0; e < edits && !m.empty(); ++e) {
                    const std::size_t pos = std::uniform_int_distribution<std::size_t>(0, m.size() - 1)(rng);
                    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
                    case 0: m[pos] = interesting[rng() % interesting.size()]; break;
                    case 1: m.insert(pos, 1, interesting[rng() % interesting.size()]); break;
                    case 2: m.erase(pos, 1); break;
                    default: m[pos] = static_cast<char>(rng() & 0xff); break;  // any byte, invalid UTF-8 too
                    }
                }
                if (auto bad = check(m, c))
                    QFAIL(bad->c_str());
            }
        }
        QVERIFY(c.loaded > 0);
    }

    void lineShuffles() {
        // Whole lines duplicated or dropped: indentation and structure errors rather than bytes.
        std::mt19937 rng(99);
        Coverage c;
        for (const auto& text : corpus()) {
            std::vector<std::string> lines;
            std::istringstream in(text);
            for (std::string l; std::getline(in, l);)
                lines.push_back(l);
            for (int i = 0; i < 20 && !lines.empty(); ++i) {
                auto copy = lines;
                const std::size_t a = rng() % copy.size();
                if (rng() % 2)
                    copy.erase(copy.begin() + static_cast<long>(a));
                else
                    copy.insert(copy.begin() + static_cast<long>(a), copy[rng() % copy.size()]);
                std::string joined;
                for (const auto& l : copy)
                    joined += l + "\n";
                if (auto bad = check(joined, c))
                    QFAIL(bad->c_str());
            }
        }
        QVERIFY(c.loaded > 0);
    }

    void hostileInputs_data() {
        QTest::addColumn<QByteArray>("input");
        QTest::newRow("deep flow") << QByteArray(5000, '[');
        QTest::newRow("deep block") << QByteArray("a:\n") + QByteArray(2000, ' ') + "b: 1\n";
        QTest::newRow("alias loop") << QByteArray("a: &x [*x]\n");
        QTest::newRow("many aliases") << QByteArray("a: &a [1]\nb: [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n");
        QByteArray laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
        for (int i = 1; i < 10; ++i)
            laughs += QByteArray("a") + QByteArray::number(i) + ": &a" + QByteArray::number(i) + " [" +
                      QByteArray("*a") + QByteArray::number(i - 1) + ", *a" + QByteArray::number(i - 1) + ", *a" +
                      QByteArray::number(i - 1) + ", *a" + QByteArray::number(i - 1) + ", *a" + QByteArray::number(i - 1) +
                      ", *a" + QByteArray::number(i - 1) + ", *a" + QByteArray::number(i - 1) + ", *a" +
                      QByteArray::number(i - 1) + ", *a" + QByteArray::number(i - 1) + ", *a" + QByteArray::number(i - 1) + "]\n";
        QTest::newRow("billion laughs") << laughs;
        QTest::newRow("nul bytes") << QByteArray("kind: Backend\0\0\nspec: x\n", 24);
        QTest::newRow("complex key") << QByteArray("? [a, b]\n: c\nkind: Backend\napiVersion: gateway.envoyproxy.io/v1alpha1\n");
        QTest::newRow("spec is a list")
            << QByteArray("apiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIGatewayRoute\nmetadata: {name: r}\nspec: [1]\n");
        QTest::newRow("metadata scalar") << QByteArray("apiVersion: v1\nkind: Secret\nmetadata: 3\n");
        QTest::newRow("huge integer")
            << QByteArray("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata: {name: p}\n"
                          "spec:\n  retry:\n    numRetries: 99999999999999999999999\n");
        QTest::newRow("endpoint list of scalars")
            << QByteArray("apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: {name: b}\nspec:\n  endpoints: [1, 2]\n");
        QTest::newRow("tags") << QByteArray("--- !!map\napiVersion: !!str v1\nkind: !custom Secret\nmetadata: {name: s}\n");
    }
    void hostileInputs() {
        QFETCH(QByteArray, input);
        Coverage c;
        if (auto bad = check(input.toStdString(), c))
            QFAIL(bad->c_str());
    }

    void recursiveAliasIsAnError() {
        const LoadResult r = loadString("a: &x [*x]\n", "loop.yaml");
        QCOMPARE(r.errors.size(), std::size_t(1));
        QCOMPARE(r.errors[0].toString(),
                 std::string("loop.yaml:1:1: malformed YAML: an alias refers to a node that contains it (recursive structure)"));
        QVERIFY(r.config.documents.empty());
    }
};

QTEST_GUILESS_MAIN(TestConfigFuzz)
#include "test_config_fuzz.moc"
