// YamlTree::parseBlock, the scanner that reads kubectl-shaped YAML without libyaml: whatever it
// accepts, it must read as yaml-cpp does (nodes, scalars, tags, marks), on the samples, the official
// examples, a cluster-sized input, corner cases and thousands of seeded mutations of them; what it
// cannot read it leaves to libyaml (null).

#include <QTest>

#include <random>

#include "config_scale_gen.h"
#include "config_test_util.h"

using namespace aigw::config;
using namespace aigw::config::test;

namespace {

/// "" when parseBlock leaves `text` alone or reads it as yaml-cpp does; else the difference.
std::string blockDifference(const std::string& text, bool* accepted = nullptr) {
    const auto block = YamlTree::parseBlock(text);
    if (accepted)
        *accepted = block != nullptr;
    if (!block)
        return {};
    std::vector<YAML::Node> docs;
    try {
        docs = YAML::LoadAll(text);
    } catch (const YAML::Exception& e) {
        return "accepted what yaml-cpp rejects (" + e.msg + "):\n" + text;
    }
    const auto slow = YamlTree::fromYamlCpp(docs);
    if (block->documentCount() != slow->documentCount())
        return std::to_string(block->documentCount()) + " documents, yaml-cpp " + std::to_string(slow->documentCount()) +
               ":\n" + text;
    for (std::size_t d = 0; d < block->documentCount(); ++d)
        if (auto diff = treeDifference(block->document(d), slow->document(d), "doc" + std::to_string(d)); !diff.empty())
            return diff + "\nin:\n" + text;
    return {};
}

std::string clusterYaml(bool asList, bool serverFields) {
    aigw::bench::ScaleSpec spec;
    spec.routes = 6;
    spec.backendsPerRoute = 3;
    spec.namespaces = 2;
    spec.asList = asList;
    spec.serverFields = serverFields;
    return aigw::bench::generateClusterYaml(spec);
}

/// Block YAML in the subset, each construct the scanner reads.
const std::vector<std::string>& cornerCases() {
    static const std::vector<std::string> texts = {
        "a: 1\nb: two words\nc:\nd: ~\ne: null\nf: 'it''s'\ng: \"q\\\"uote\\\\ \\n\\t/\"\nh: {}\ni: []\n",
        "list:\n- a\n-\n- b: c\n  d: e\n- - x\n  - y\n-\n  nested: z\nafter: 1\n",
        "m:\n  - one\n  - two\nn:\n- three\n",
        "lit: |\n  line one\n\n    indented\n  last\n\nstrip: |-\n  no break\nnext: x\n",
        "tail: |\n  a\n\n\n",
        "# head comment\n\nk: v # trailing\n  # indented comment\nl:   spaced   \nurl: http://x:80/a#b\nkey with spaces  : v\n",
        "---\na: 1\n---\nb: 2\n",
        "emptyAtEnd:\n",
        "x:\n  y:\n---\nz: 1\n",
        "seq:\n- |\n  block in a sequence\n- 'q'\n- \"d\"\n- {}\n- []\n",
        "-1: minus\n-k: v\n:x: colon\n",
        "status:\n  conditions:\n  - lastTransitionTime: \"2026-11-03T00:00:02Z\"\n    message: Address assigned\n    status: \"True\"\n",
    };
    return texts;
}

std::string mutate(const std::string& text, std::mt19937& rng) {
    static const std::vector<std::string> tokens = {":",  ": ", " #", "#",  "- ", "-",   "\n", "  ", " ",    "|",   "|-",
                                                    "'",  "\"", "{}", "[]", "{a", "---\n", "~", "\\n", "\\\"", "a: b", "\t"};
    std::string out = text;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !out.empty(); ++e) {
        const std::size_t at = rng() % out.size();
        switch (rng() % 4) {
        case 0: out.insert(at, tokens[rng() % tokens.size()]); break;
        case 1: out.erase(at, 1 + rng() % 4); break;
        case 2: {  // indent or unindent a line
            const std::size_t start = out.rfind('\n', at) == std::string::npos ? 0 : out.rfind('\n', at) + 1;
            if (rng() % 2)
                out.insert(start, "  ");
            else if (out.compare(start, 2, "  ") == 0)
                out.erase(start, 2);
            break;
        }
        default: {  // duplicate a line
            const std::size_t start = out.rfind('\n', at) == std::string::npos ? 0 : out.rfind('\n', at) + 1;
            const std::size_t end = out.find('\n', at);
            if (end != std::string::npos)
                out.insert(end + 1, out.substr(start, end + 1 - start));
        }
        }
    }
    return out;
}

}  // namespace

class TestYamlBlock : public QObject {
    Q_OBJECT

private slots:
    void readsKubectlOutputAsYamlCpp() {
        // What kubectl prints (a List, server fields, last-applied annotations as literal blocks) and
        // the multi-document form: all read by the scanner, all as yaml-cpp reads them.
        for (const bool asList : {true, false})
            for (const bool serverFields : {true, false}) {
                bool accepted = false;
                const std::string text = clusterYaml(asList, serverFields);
                const std::string diff = blockDifference(text, &accepted);
                QVERIFY2(diff.empty(), diff.c_str());
                QVERIFY2(accepted, asList ? "the List was not read" : "the documents were not read");
            }
        for (const auto& text : cornerCases()) {
            bool accepted = false;
            const std::string diff = blockDifference(text, &accepted);
            QVERIFY2(diff.empty(), diff.c_str());
            QVERIFY2(accepted, ("left to libyaml:\n" + text).c_str());
        }
    }

    void samplesAndExamplesReadAsYamlCpp() {
        std::size_t accepted = 0, total = 0;
        std::vector<std::string> paths = allSamplePaths();
        for (const auto& set : officialSets())
            paths.insert(paths.end(), set.second.begin(), set.second.end());
        for (const auto& path : paths) {
            bool ok = false;
            const std::string diff = blockDifference(readFile(path), &ok);
            QVERIFY2(diff.empty(), (path + ": " + diff).c_str());
            accepted += ok;
            ++total;
        }
        qInfo("parseBlock read %zu of %zu sample and example files (the rest: libyaml)", accepted, total);
    }

    void leavesTheRestToLibyaml() {
        for (const std::string text :
             {"a: &x 1\nb: *x\n", "a: !!str 1\n", "a: >\n  folded\n", "a: |+\n  keep\n", "a: |2\n    x\n", "a: {b: c}\n",
              "a: [b]\n", "a: one\n  two\n", "a: \"multi\n  line\"\n", "\"q\": 1\n", "a:\tb\n", "a: b\r\n", "a: caf\xc3\xa9\n",
              "a: b", "---\n---\na: 1\n", "%YAML 1.2\n---\na: 1\n", "a: 1\n...\n", "a: b: c\n", "- a\nb: c\n", "? a\n: b\n",
              "a: \"\\x41\"\n", "a: |\n\n  late\n", "", "# only a comment\n"})
            QVERIFY2(!YamlTree::parseBlock(text), ("read by the scanner: " + text).c_str());
    }

    // Mutations of everything above: whatever the scanner accepts, yaml-cpp reads the same way
    // (and accepts). Seeded, so a failure reproduces; the accepted share shows the test bites.
    void mutationsReadAsYamlCppOrAreLeftAlone() {
        std::vector<std::string> bases = cornerCases();
        for (const auto& path : allSamplePaths())
            bases.push_back(readFile(path));
        bases.push_back(clusterYaml(true, true).substr(0, 6000));
        std::mt19937 rng(20261201);
        std::size_t accepted = 0, total = 0;
        for (const auto& base : bases)
            for (int i = 0; i < 400; ++i) {
                const std::string text = mutate(base, rng);
                bool ok = false;
                const std::string diff = blockDifference(text, &ok);
                QVERIFY2(diff.empty(), diff.c_str());
                accepted += ok;
                ++total;
            }
        qInfo("parseBlock accepted %zu of %zu mutations", accepted, total);
        QVERIFY(accepted > total / 10);
    }
};

QTEST_GUILESS_MAIN(TestYamlBlock)
#include "test_yaml_block.moc"
