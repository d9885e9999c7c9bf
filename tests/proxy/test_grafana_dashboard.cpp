// docs/grafana/aigw-sim-dashboard.json against what the gateway exports: every PromQL expression
// may only name metrics (and labels) of proxy::metricFamilies(), the registry /stats/prometheus
// renders its HELP and TYPE lines from (test_prometheus_export checks the live endpoint against the
// same registry and with promtool). Grafana itself cannot run here, so the structure an import
// needs is checked too: the datasource variable every panel uses, unique ids, a 24-column grid
// without overlaps, unique refIds, variables that exist.
#include <QtTest>

#include <array>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy/metrics.h"

using Json = nlohmann::json;
using aigw::proxy::MetricFamilyInfo;

namespace {

QString dashboardPath() {
    return qEnvironmentVariable("AIGW_SOURCE_DIR", QStringLiteral(AIGW_TEST_SOURCE_DIR)) + "/docs/grafana/aigw-sim-dashboard.json";
}

/// Sample name (`x`, `x_bucket`, ...) -> its family, from the registry.
std::map<std::string, const MetricFamilyInfo*> exportedSamples() {
    std::map<std::string, const MetricFamilyInfo*> out;
    for (const auto& f : aigw::proxy::metricFamilies())
        for (const auto& s : aigw::proxy::sampleNames(f))
            out[s] = &f;
    return out;
}

std::set<std::string> labelsOf(const MetricFamilyInfo& f, const std::string& sample) {
    std::set<std::string> out;
    std::stringstream ss{std::string(f.labels)};
    for (std::string l; std::getline(ss, l, ',');)
        out.insert(l);
    if (sample.size() > 7 && sample.ends_with("_bucket"))
        out.insert("le");
    return out;
}

/// What one PromQL expression refers to, read by a small lexer (enough for the dashboard's
/// queries; anything it does not know is an error, so a typo cannot slip through as "unknown").
struct ExprRefs {
    std::vector<std::string> metrics;
    std::map<std::string, std::set<std::string>> matcherLabels;  ///< metric -> labels in its {...}
    std::set<std::string> groupingLabels;                        ///< by (...) / without (...)
    std::set<std::string> variables;                             ///< $name, ${name}
    std::string error;
};

bool identStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool identChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }

ExprRefs parsePromQl(const std::string& e) {
    static const std::set<std::string> kFunctions = {"sum",   "avg",   "min",      "max",  "count", "topk",
                                                     "rate",  "irate", "increase", "histogram_quantile",
                                                     "clamp_min", "abs", "vector", "sort_desc"};
    static const std::set<std::string> kGrouping = {"by", "without", "on", "ignoring", "group_left", "group_right"};
    static const std::set<std::string> kKeywords = {"and", "or", "unless", "bool", "offset"};
    ExprRefs r;
    std::size_t i = 0;
    int depth = 0;
    auto skipSpace = [&] {
        while (i < e.size() && std::isspace(static_cast<unsigned char>(e[i])))
            ++i;
    };
    auto ident = [&] {
        const std::size_t start = i;
        while (i < e.size() && identChar(e[i]))
            ++i;
        return e.substr(start, i - start);
    };
    auto variable = [&]() -> bool {  // at '$'
        ++i;
        std::string name;
        if (i < e.size() && e[i] == '{') {
            const auto end = e.find('}', i);
            if (end == std::string::npos)
                return false;
            name = e.substr(i + 1, end - i - 1);
            i = end + 1;
        } else {
            name = ident();
        }
        if (name.empty())
            return false;
        r.variables.insert(name);
        return true;
    };
    auto quoted = [&]() -> std::optional<std::string> {  // at a quote
        const char q = e[i++];
        std::string v;
        while (i < e.size() && e[i] != q) {
            if (e[i] == '\\' && i + 1 < e.size())
                ++i;
            if (e[i] == '$') {  // a variable inside a matcher value
                const std::size_t save = i;
                if (!variable())
                    return std::nullopt;
                v += e.substr(save, i - save);
                continue;
            }
            v += e[i++];
        }
        if (i >= e.size())
            return std::nullopt;
        ++i;
        return v;
    };
    while (i < e.size()) {
        skipSpace();
        if (i >= e.size())
            break;
        const char c = e[i];
        if (identStart(c)) {
            const std::string word = ident();
            skipSpace();
            const bool call = i < e.size() && e[i] == '(';
            if (kGrouping.count(word)) {
                if (!call)
                    return r.error = "`" + word + "` without a label list", r;
                ++i;
                for (;;) {
                    skipSpace();
                    if (i < e.size() && e[i] == ')') {
                        ++i;
                        break;
                    }
                    const std::string l = ident();
                    if (l.empty())
                        return r.error = "bad label list after `" + word + "`", r;
                    r.groupingLabels.insert(l);
                    skipSpace();
                    if (i < e.size() && e[i] == ',')
                        ++i;
                }
            } else if (call) {
                if (!kFunctions.count(word))
                    return r.error = "unknown function `" + word + "`", r;
            } else if (kFunctions.count(word)) {  // an aggregation written `sum by (l) (...)`
                const std::size_t save = i;
                const std::string next = ident();
                i = save;
                if (next != "by" && next != "without")
                    return r.error = "`" + word + "` is a function, not a metric", r;
            } else if (kKeywords.count(word)) {
                // binary operator or modifier
            } else {
                r.metrics.push_back(word);
                auto& labels = r.matcherLabels[word];
                if (i < e.size() && e[i] == '{') {
                    ++i;
                    for (;;) {
                        skipSpace();
                        if (i < e.size() && e[i] == '}') {
                            ++i;
                            break;
                        }
                        const std::string l = ident();
                        skipSpace();
                        const std::size_t opStart = i;
                        while (i < e.size() && (e[i] == '=' || e[i] == '!' || e[i] == '~'))
                            ++i;
                        const std::string op = e.substr(opStart, i - opStart);
                        skipSpace();
                        if (l.empty() || (op != "=" && op != "!=" && op != "=~" && op != "!~") || i >= e.size() ||
                            (e[i] != '"' && e[i] != '\''))
                            return r.error = "bad label matcher in `" + word + "{...}`", r;
                        if (!quoted())
                            return r.error = "unterminated string", r;
                        labels.insert(l);
                        skipSpace();
                        if (i < e.size() && e[i] == ',')
                            ++i;
                    }
                }
            }
        } else if (c == '"' || c == '\'') {
            if (!quoted())
                return r.error = "unterminated string", r;
        } else if (c == '[') {  // range or subquery: durations and variables only
            const auto end = e.find(']', i);
            if (end == std::string::npos)
                return r.error = "unterminated [", r;
            const std::string inside = e.substr(i + 1, end - i - 1);
            if (inside.starts_with("$")) {
                ++i;
                if (!variable() || e[i] != ']')
                    return r.error = "bad range `" + inside + "`", r;
            }
            i = end + 1;
        } else if (c == '$') {
            if (!variable())
                return r.error = "bad variable", r;
        } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
            while (i < e.size() && (std::isalnum(static_cast<unsigned char>(e[i])) || e[i] == '.'))
                ++i;
        } else if (c == '(') {
            ++depth;
            ++i;
        } else if (c == ')') {
            if (--depth < 0)
                return r.error = "unbalanced )", r;
            ++i;
        } else if (std::string_view("+-*/%^=!<>,").find(c) != std::string_view::npos) {
            ++i;
        } else {
            return r.error = std::string("unexpected character `") + c + "`", r;
        }
    }
    if (depth != 0)
        r.error = "unbalanced (";
    return r;
}

/// `{{label}}` names in a legend format.
std::set<std::string> legendLabels(const std::string& legend) {
    std::set<std::string> out;
    for (std::size_t p = legend.find("{{"); p != std::string::npos; p = legend.find("{{", p + 2)) {
        const auto end = legend.find("}}", p);
        if (end == std::string::npos)
            break;
        std::string l = legend.substr(p + 2, end - p - 2);
        std::erase_if(l, [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
        out.insert(l);
    }
    return out;
}

}  // namespace

class TestGrafanaDashboard : public QObject {
    Q_OBJECT
private:
    Json m_dashboard;
    std::vector<const Json*> m_panels;  ///< every panel, rows' nested ones too

private slots:
    void initTestCase();
    void lexer_data();
    void lexer();
    void importable();
    void gridAndIds();
    void queriesUseExportedMetrics();
    void coversTheIssuePanels();
};

void TestGrafanaDashboard::initTestCase() {
    std::ifstream in(dashboardPath().toStdString());
    QVERIFY2(in, qPrintable("cannot open " + dashboardPath()));
    m_dashboard = Json::parse(in, nullptr, false);
    QVERIFY2(m_dashboard.is_object(), "the dashboard is not a JSON object");
    QVERIFY(m_dashboard["panels"].is_array());
    for (const auto& p : m_dashboard["panels"]) {
        m_panels.push_back(&p);
        if (p.contains("panels"))
            for (const auto& nested : p["panels"])
                m_panels.push_back(&nested);
    }
}

// The lexer first, so that a pass below means something: it must reject what it does not know.
void TestGrafanaDashboard::lexer_data() {
    QTest::addColumn<QString>("expr");
    QTest::addColumn<QString>("metrics");  // comma-separated, "" when none
    QTest::addColumn<QString>("grouping");
    QTest::addColumn<bool>("ok");
    QTest::newRow("by before") << "sum by (le, route) (rate(a_bucket{route=~\"$route\"}[$__rate_interval]))" << "a_bucket"
                               << "le,route" << true;
    QTest::newRow("by after, ratio") << "sum(rate(x_count{e!=\"\"}[5m])) by (m) / sum(rate(x_count[5m])) by (m)"
                                     << "x_count,x_count" << "m" << true;
    QTest::newRow("quantile number") << "histogram_quantile(0.95, sum by (le) (rate(h_bucket[1m])))" << "h_bucket" << "le" << true;
    QTest::newRow("bare metric") << "envoy_cluster_upstream_rq_retry" << "envoy_cluster_upstream_rq_retry" << "" << true;
    QTest::newRow("unknown function") << "summ(rate(x[1m]))" << "" << "" << false;
    QTest::newRow("unbalanced") << "sum(rate(x[1m])" << "" << "" << false;
    QTest::newRow("bad matcher") << "x{route==\"a\"}" << "" << "" << false;
    QTest::newRow("unterminated string") << "x{route=\"a}" << "" << "" << false;
}

void TestGrafanaDashboard::lexer() {
    QFETCH(QString, expr);
    QFETCH(QString, metrics);
    QFETCH(QString, grouping);
    QFETCH(bool, ok);
    const ExprRefs r = parsePromQl(expr.toStdString());
    QCOMPARE(r.error.empty(), ok);
    if (!ok)
        return;
    QStringList m, g;
    for (const auto& x : r.metrics)
        m << QString::fromStdString(x);
    for (const auto& x : r.groupingLabels)
        g << QString::fromStdString(x);
    QCOMPARE(m.join(','), metrics);
    QCOMPARE(g.join(','), grouping);
}

void TestGrafanaDashboard::importable() {
    const Json& d = m_dashboard;
    QVERIFY(d["title"].is_string() && !d["title"].get<std::string>().empty());
    QVERIFY(d["uid"].is_string() && !d["uid"].get<std::string>().empty());
    QVERIFY(d["uid"].get<std::string>().size() <= 40);  // Grafana's limit
    QVERIFY(d["schemaVersion"].is_number_integer());
    QVERIFY(d["schemaVersion"].get<int>() >= 36);  // panel-level datasource objects {type, uid}
    // No `id` (Grafana assigns it on import) and no __inputs left to fill: the datasource is a variable.
    QVERIFY(!d.contains("id") || d["id"].is_null());
    const Json& vars = d["templating"]["list"];
    QVERIFY(vars.is_array());
    std::set<std::string> names = {"__rate_interval", "__interval", "__range"};  // Grafana's own
    bool datasourceVar = false;
    for (const auto& v : vars) {
        names.insert(v["name"].get<std::string>());
        if (v["type"] == "datasource") {
            QCOMPARE(QString::fromStdString(v["query"].get<std::string>()), QString("prometheus"));
            QCOMPARE(QString::fromStdString(v["name"].get<std::string>()), QString("datasource"));
            datasourceVar = true;
        }
    }
    QVERIFY2(datasourceVar, "no datasource variable: the dashboard would not import as is");
    // Every panel, target and query variable uses that variable, and every $name used exists.
    auto checkDs = [](const Json& ds, const std::string& where) {
        QVERIFY2(ds.is_object() && ds["type"] == "prometheus" && ds["uid"] == "${datasource}", where.c_str());
    };
    for (const auto& v : vars)
        if (v["type"] == "query")
            checkDs(v["datasource"], "variable " + v["name"].get<std::string>());
    for (const Json* p : m_panels) {
        const std::string title = (*p)["title"].get<std::string>();
        if ((*p)["type"] == "row")
            continue;
        checkDs((*p)["datasource"], title);
        QVERIFY2((*p)["targets"].is_array() && !(*p)["targets"].empty(), title.c_str());
        for (const auto& t : (*p)["targets"]) {
            checkDs(t["datasource"], title);
            const ExprRefs r = parsePromQl(t["expr"].get<std::string>());
            for (const auto& v : r.variables)
                QVERIFY2(names.count(v), (title + ": undefined variable $" + v).c_str());
        }
    }
}

void TestGrafanaDashboard::gridAndIds() {
    static const std::set<std::string> kTypes = {"row", "timeseries", "stat", "bargauge", "table", "heatmap", "text"};
    std::set<int> ids;
    std::vector<std::array<int, 4>> boxes;
    for (const Json* p : m_panels) {
        const std::string title = (*p).value("title", "");
        QVERIFY2(!title.empty(), "a panel without a title");
        QVERIFY2(kTypes.count((*p)["type"].get<std::string>()), title.c_str());
        QVERIFY2(ids.insert((*p)["id"].get<int>()).second, ("duplicate panel id: " + title).c_str());
        const Json& g = (*p)["gridPos"];
        const int x = g["x"], y = g["y"], w = g["w"], h = g["h"];
        QVERIFY2(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 24, ("grid: " + title).c_str());
        for (const auto& b : boxes)
            QVERIFY2(x >= b[0] + b[2] || b[0] >= x + w || y >= b[1] + b[3] || b[1] >= y + h, ("overlap: " + title).c_str());
        boxes.push_back({x, y, w, h});
        if ((*p)["type"] == "row")
            continue;
        std::set<std::string> refIds;
        for (const auto& t : (*p)["targets"])
            QVERIFY2(refIds.insert(t["refId"].get<std::string>()).second, ("duplicate refId: " + title).c_str());
    }
}

void TestGrafanaDashboard::queriesUseExportedMetrics() {
    const auto exported = exportedSamples();
    QVERIFY(!exported.empty());
    std::vector<std::pair<std::string, std::string>> queries;  // (where, expr) with legend checks below
    for (const Json* p : m_panels) {
        if ((*p)["type"] == "row")
            continue;
        for (const auto& t : (*p)["targets"]) {
            const std::string where = (*p)["title"].get<std::string>() + " / " + t["refId"].get<std::string>();
            const std::string expr = t["expr"].get<std::string>();
            const ExprRefs r = parsePromQl(expr);
            QVERIFY2(r.error.empty(), (where + ": " + r.error + " in " + expr).c_str());
            QVERIFY2(!r.metrics.empty(), (where + ": no metric in " + expr).c_str());
            std::set<std::string> available;  // labels of every metric the expression reads
            for (const auto& m : r.metrics) {
                const auto it = exported.find(m);
                QVERIFY2(it != exported.end(), (where + ": `" + m + "` is not exported by /stats/prometheus").c_str());
                const auto labels = labelsOf(*it->second, m);
                available.insert(labels.begin(), labels.end());
                for (const auto& l : r.matcherLabels.at(m))
                    QVERIFY2(labels.count(l), (where + ": `" + m + "` has no label `" + l + "`").c_str());
            }
            for (const auto& l : r.groupingLabels)
                QVERIFY2(available.count(l), (where + ": grouping by `" + l + "`, which no metric here has").c_str());
            // A legend can only show labels the result keeps: the grouping ones when there are.
            const auto& shown = r.groupingLabels.empty() ? available : r.groupingLabels;
            for (const auto& l : legendLabels(t.value("legendFormat", "")))
                QVERIFY2(shown.count(l), (where + ": legend shows `" + l + "`, which the result has not").c_str());
        }
    }
    for (const auto& v : m_dashboard["templating"]["list"]) {
        if (v["type"] != "query")
            continue;
        // label_values(metric, label)
        const std::string q = v["query"].is_object() ? v["query"]["query"].get<std::string>() : v["query"].get<std::string>();
        QVERIFY2(q.starts_with("label_values(") && q.ends_with(")"), q.c_str());
        const std::string args = q.substr(13, q.size() - 14);
        const auto comma = args.find(',');
        QVERIFY2(comma != std::string::npos, q.c_str());
        std::string metric = args.substr(0, comma), label = args.substr(comma + 1);
        std::erase_if(metric, [](char c) { return c == ' '; });
        std::erase_if(label, [](char c) { return c == ' '; });
        const auto it = exported.find(metric);
        QVERIFY2(it != exported.end(), q.c_str());
        QVERIFY2(labelsOf(*it->second, metric).count(label), q.c_str());
    }
}

void TestGrafanaDashboard::coversTheIssuePanels() {
    // Issue 14: split per backend, fallbacks, TTFT from the histogram, errors, token usage.
    std::set<std::string> referenced;
    for (const Json* p : m_panels)
        if ((*p)["type"] != "row")
            for (const auto& t : (*p)["targets"])
                for (const auto& m : parsePromQl(t["expr"].get<std::string>()).metrics)
                    referenced.insert(m);
    for (const char* needed :
         {"aigw_backend_attempt_outcomes_total", "aigw_route_fallbacks_total", "gen_ai_server_time_to_first_token_seconds_bucket",
          "aigw_route_responses_total", "gen_ai_client_token_usage_sum"})
        QVERIFY2(referenced.count(needed), needed);
}

QTEST_GUILESS_MAIN(TestGrafanaDashboard)
#include "test_grafana_dashboard.moc"
