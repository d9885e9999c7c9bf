#include "scenario/scenario.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/builtin.h"
#include "config/exporter.h"
#include "config/loader.h"
#include "config/tutorial_policy.h"
#include "routing/engine.h"

namespace aigw::scenario {

namespace fs = std::filesystem;

const char* nameOf(Action::Verb verb) {
    switch (verb) {
    case Action::Verb::Stop: return "stop";
    case Action::Verb::Start: return "start";
    case Action::Verb::Delete: return "delete";
    case Action::Verb::Reapply: return "reapply";
    case Action::Verb::Fault: return "fault";
    case Action::Verb::ClearFault: return "clearFault";
    case Action::Verb::Edit: return "edit";
    case Action::Verb::Policy: return "policy";
    case Action::Verb::Config: return "config";
    case Action::Verb::DnsRefresh: return "dnsRefresh";
    }
    return "?";
}

Result<Duration> parseDuration(const std::string& text) {
    if (auto d = config::parseDuration(text))
        return *d;
    Error e;
    e.message = "'" + text + "' is not a duration (e.g. 500ms, 10s, 1m30s)";
    return e;
}

std::string formatDuration(Duration d) {
    const auto msTotal = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    if (msTotal == 0)
        return "0s";
    if (msTotal % 60000 == 0)
        return fmt::format("{}m", msTotal / 60000);
    if (msTotal % 1000 == 0)
        return fmt::format("{}s", msTotal / 1000);
    if (msTotal >= 1000)
        return fmt::format("{}s", static_cast<double>(msTotal) / 1000.0);
    return fmt::format("{}ms", msTotal);
}

namespace {

std::string compact(const nlohmann::json& j) { return j.dump(); }

}  // namespace

std::string Action::describe() const {
    std::string out = formatDuration(at) + " " + nameOf(verb);
    switch (verb) {
    case Verb::Stop:
    case Verb::Start:
    case Verb::Delete:
    case Verb::Reapply:
    case Verb::ClearFault: out += " " + server; break;
    case Verb::Fault: out += " " + server + " " + compact(fault); break;
    case Verb::Edit:
        out += fmt::format(" {} rule {} {}", route, rule, backendRef);
        if (weight)
            out += fmt::format(" weight={}", *weight);
        if (priority)
            out += fmt::format(" priority={}", *priority);
        if (modelNameOverride)
            out += " modelNameOverride=" + (modelNameOverride->empty() ? std::string("(none)") : *modelNameOverride);
        break;
    case Verb::Policy: out += " " + policy + " " + compact(set); break;
    case Verb::Config: {
        std::vector<std::string> parts;
        if (config.builtin)
            parts.push_back("builtin");
        for (const auto& f : config.files)
            parts.push_back(f);
        if (!config.manifests.empty())
            parts.push_back("inline manifests");
        if (!config.policy.empty())
            parts.push_back("policy " + config.policy);
        for (const auto& p : parts)
            out += " " + p;
        break;
    }
    case Verb::DnsRefresh: out += " " + formatDuration(duration); break;
    }
    return out;
}

std::string Expectation::expectedText() const {
    auto range = [](const Bound& b, auto fmtValue) {
        if (b.min && b.max)
            return *b.min == *b.max ? "= " + fmtValue(*b.min) : fmtValue(*b.min) + ".." + fmtValue(*b.max);
        if (b.min)
            return ">= " + fmtValue(*b.min);
        if (b.max)
            return "<= " + fmtValue(*b.max);
        return std::string("any");
    };
    auto count = [](double v) { return fmt::format("{}", static_cast<std::int64_t>(std::llround(v))); };
    auto pct = [](double v) { return fmt::format("{}%", v); };
    switch (check) {
    case Check::Requests:
    case Check::Failed:
    case Check::Ejections: return range(bound, count);
    case Check::FailedPercent: return range(bound, pct);
    case Check::Status: return fmt::format("{} x{}", status, range(bound, count));
    case Check::Share: return fmt::format("{}% +-{}", percent, within);
    case Check::LatencyP99: return range(bound, [](double v) { return formatDuration(ms(static_cast<std::int64_t>(v))); });
    case Check::ReturnsTo: return "by +" + formatDuration(returnWithin);
    }
    return {};
}

std::vector<Action> Scenario::timeline() const {
    std::vector<Action> out;
    for (const auto& s : steps)
        out.insert(out.end(), s.actions.begin(), s.actions.end());
    std::stable_sort(out.begin(), out.end(), [](const Action& a, const Action& b) { return a.at < b.at; });
    return out;
}

std::vector<Expectation> Scenario::expectations() const {
    std::vector<Expectation> out;
    for (const auto& s : steps)
        out.insert(out.end(), s.expectations.begin(), s.expectations.end());
    return out;
}

Duration Scenario::stepEnd(std::size_t i) const { return i + 1 < steps.size() ? steps[i + 1].at : duration; }

// ---- loading ----

namespace {

/// Reads typed values from a YAML tree, collecting `file:line:col: path: message` errors.
class Reader {
public:
    Reader(std::string file, std::vector<Error>& errors) : m_file(std::move(file)), m_errors(errors) {}

    SourceLocation at(const YAML::Node& n, const std::string& path) const {
        SourceLocation w;
        w.file = m_file;
        const auto m = n.Mark();
        if (m.line >= 0) {
            w.line = m.line + 1;
            w.column = m.column + 1;
        }
        w.path = path;
        return w;
    }
    void error(const YAML::Node& n, const std::string& path, std::string message) {
        Error e;
        e.where = at(n, path);
        e.message = std::move(message);
        m_errors.push_back(std::move(e));
    }

    /// Flags keys of a map that are not in `known`.
    bool keys(const YAML::Node& n, const std::string& path, std::initializer_list<const char*> known) {
        if (!n.IsMap()) {
            error(n, path, "expected a map");
            return false;
        }
        for (const auto& kv : n) {
            const std::string k = kv.first.Scalar();
            if (std::none_of(known.begin(), known.end(), [&](const char* s) { return k == s; })) {
                std::string list;
                for (const char* s : known)
                    list += (list.empty() ? "" : ", ") + std::string(s);
                error(kv.first, join(path, k), "unknown field '" + k + "' (expected one of: " + list + ")");
            }
        }
        return true;
    }

    static std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

    std::optional<std::string> str(const YAML::Node& n, const std::string& path) {
        if (!n.IsScalar()) {
            error(n, path, "expected a string");
            return std::nullopt;
        }
        return n.Scalar();
    }
    std::optional<double> number(const YAML::Node& n, const std::string& path, double min, double max) {
        if (!n.IsScalar()) {
            error(n, path, "expected a number");
            return std::nullopt;
        }
        try {
            std::size_t used = 0;
            const double v = std::stod(n.Scalar(), &used);
            if (used != n.Scalar().size() || !std::isfinite(v))
                throw std::invalid_argument("x");
            if (v < min || v > max) {
                error(n, path, fmt::format("{} is out of range ({} to {})", n.Scalar(), min, max));
                return std::nullopt;
            }
            return v;
        } catch (const std::exception&) {
            error(n, path, "'" + n.Scalar() + "' is not a number");
            return std::nullopt;
        }
    }
    std::optional<std::int64_t> integer(const YAML::Node& n, const std::string& path, std::int64_t min, std::int64_t max) {
        auto v = number(n, path, static_cast<double>(min), static_cast<double>(max));
        if (!v)
            return std::nullopt;
        if (*v != std::floor(*v)) {
            error(n, path, "'" + n.Scalar() + "' is not a whole number");
            return std::nullopt;
        }
        return static_cast<std::int64_t>(*v);
    }
    std::optional<bool> boolean(const YAML::Node& n, const std::string& path) {
        if (n.IsScalar()) {
            const auto& s = n.Scalar();
            if (s == "true")
                return true;
            if (s == "false")
                return false;
        }
        error(n, path, "expected true or false");
        return std::nullopt;
    }
    std::optional<Duration> duration(const YAML::Node& n, const std::string& path) {
        auto s = str(n, path);
        if (!s)
            return std::nullopt;
        auto d = parseDuration(*s);
        if (!d) {
            error(n, path, d.error().message);
            return std::nullopt;
        }
        return d.value();
    }

    const std::string& file() const { return m_file; }

private:
    std::string m_file;
    std::vector<Error>& m_errors;
};

/// YAML scalar/sequence/map -> JSON (numbers and booleans typed as YAML 1.2 core would).
nlohmann::json toJson(const YAML::Node& n) {
    if (n.IsNull())
        return nullptr;
    if (n.IsScalar()) {
        const std::string& s = n.Scalar();
        if (n.Tag() == "!")  // quoted: a string whatever it looks like
            return s;
        if (s == "true")
            return true;
        if (s == "false")
            return false;
        if (s == "null" || s == "~")
            return nullptr;
        try {
            std::size_t used = 0;
            const long long i = std::stoll(s, &used);
            if (used == s.size())
                return i;
            const double d = std::stod(s, &used);
            if (used == s.size())
                return d;
        } catch (const std::exception&) {
        }
        return s;
    }
    if (n.IsSequence()) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& e : n)
            a.push_back(toJson(e));
        return a;
    }
    nlohmann::json o = nlohmann::json::object();
    for (const auto& kv : n)
        o[kv.first.Scalar()] = toJson(kv.second);
    return o;
}

/// Fault-profile keys: the mock server's (common/fault_profile.h) plus "blackhole".
struct FaultKey {
    const char* name;
    enum Type { Int, Rate, Bool } type;
    bool virtualToo;  ///< the virtual-time servers play it
};
constexpr FaultKey kFaultKeys[] = {
    {"errorStatus", FaultKey::Int, true},      {"errorRate", FaultKey::Rate, true},
    {"retryAfterSeconds", FaultKey::Int, true}, {"errorPlainText", FaultKey::Bool, false},
    {"latencyMs", FaultKey::Int, true},        {"latencyJitterMs", FaultKey::Int, true},
    {"hang", FaultKey::Bool, true},            {"firstTokenDelayMs", FaultKey::Int, true},
    {"cutAfterTokens", FaultKey::Int, true},   {"stallAfterTokens", FaultKey::Int, false},
    {"stallMs", FaultKey::Int, false},         {"malformedAfterTokens", FaultKey::Int, false},
    {"omitDone", FaultKey::Bool, false},       {"resetBeforeHeaders", FaultKey::Bool, true},
    {"blackhole", FaultKey::Bool, true},
};

class ScenarioParser {
public:
    ScenarioParser(Reader& r, Scenario& s) : r(r), s(s) {}

    void parse(const YAML::Node& root) {
        if (!r.keys(root, "", {"apiVersion", "kind", "metadata", "spec"}))
            return;
        const auto api = root["apiVersion"];
        if (!api)
            r.error(root, "apiVersion", std::string("missing apiVersion (expected ") + kApiVersion + ")");
        else if (api.IsScalar() && api.Scalar() != kApiVersion)
            r.error(api, "apiVersion", "apiVersion '" + api.Scalar() + "' is not " + kApiVersion);
        const auto kind = root["kind"];
        if (!kind)
            r.error(root, "kind", "missing kind (expected Scenario)");
        else if (kind.IsScalar() && kind.Scalar() != kKind)
            r.error(kind, "kind", "kind '" + kind.Scalar() + "' is not Scenario");
        if (const auto meta = root["metadata"]; meta && r.keys(meta, "metadata", {"name", "annotations", "labels"})) {
            if (meta["name"])
                if (auto v = r.str(meta["name"], "metadata.name"))
                    s.name = *v;
        }
        const auto spec = root["spec"];
        if (!spec) {
            r.error(root, "spec", "missing spec");
            return;
        }
        if (!r.keys(spec, "spec", {"title", "summary", "config", "settings", "duration", "load", "steps"}))
            return;
        if (spec["title"])
            s.title = r.str(spec["title"], "spec.title").value_or("");
        else
            r.error(spec, "spec.title", "missing title");
        if (spec["summary"])
            s.summary = r.str(spec["summary"], "spec.summary").value_or("");
        if (spec["config"])
            configSource(spec["config"], "spec.config", s.config);
        if (spec["settings"])
            settings(spec["settings"], "spec.settings");
        if (spec["duration"]) {
            if (auto d = r.duration(spec["duration"], "spec.duration")) {
                if (*d <= Duration::zero())
                    r.error(spec["duration"], "spec.duration", "duration must be positive");
                else
                    s.duration = *d;
            }
        }
        if (const auto load = spec["load"]) {
            if (!load.IsSequence())
                r.error(load, "spec.load", "expected a list of load streams");
            else
                for (std::size_t i = 0; i < load.size(); ++i)
                    loadStream(load[i], fmt::format("spec.load[{}]", i));
        }
        const auto steps = spec["steps"];
        if (!steps || !steps.IsSequence() || steps.size() == 0) {
            r.error(steps ? steps : spec, "spec.steps", "expected a non-empty list of steps");
            return;
        }
        for (std::size_t i = 0; i < steps.size(); ++i)
            step(steps[i], fmt::format("spec.steps[{}]", i));
        finish(steps);
    }

private:
    void configSource(const YAML::Node& n, const std::string& path, ConfigSource& c) {
        if (!r.keys(n, path, {"builtin", "files", "manifests", "policy", "pinned"}))
            return;
        if (n["pinned"])
            c.pinned = r.boolean(n["pinned"], path + ".pinned").value_or(false);
        if (n["builtin"])
            c.builtin = r.boolean(n["builtin"], path + ".builtin").value_or(false);
        if (const auto f = n["files"]) {
            if (f.IsScalar())
                c.files.push_back(f.Scalar());
            else if (!f.IsSequence())
                r.error(f, path + ".files", "expected a list of file paths");
            else
                for (std::size_t i = 0; i < f.size(); ++i)
                    if (auto v = r.str(f[i], fmt::format("{}.files[{}]", path, i)))
                        c.files.push_back(*v);
        }
        if (const auto m = n["manifests"]) {
            if (auto v = r.str(m, path + ".manifests")) {
                c.manifests = *v;
                // A block scalar's text starts on the line after its indicator.
                c.manifestsLine = m.Mark().line + 1 + ((m.Tag() == "!" && v->find('\n') != std::string::npos) ? 1 : 0);
            }
        }
        if (const auto p = n["policy"]) {
            if (auto v = r.str(p, path + ".policy")) {
                if (*v != "as-written" && *v != "corrected")
                    r.error(p, path + ".policy", "policy must be as-written or corrected");
                else
                    c.policy = *v;
            }
        }
        if (c.empty())
            r.error(n, path, "a config needs builtin: true, files or manifests");
    }

    void settings(const YAML::Node& n, const std::string& path) {
        if (!r.keys(n, path, {"seed", "dnsRefresh", "latency", "servers"}))
            return;
        if (n["seed"])
            if (auto v = r.integer(n["seed"], path + ".seed", 0, 9007199254740991LL))
                s.settings.seed = static_cast<std::uint64_t>(*v);
        if (n["dnsRefresh"])
            s.settings.dnsRefresh = r.duration(n["dnsRefresh"], path + ".dnsRefresh");
        if (n["latency"])
            if (auto d = r.duration(n["latency"], path + ".latency"))
                s.settings.latency = *d;
        if (const auto servers = n["servers"]) {
            if (!servers.IsMap()) {
                r.error(servers, path + ".servers", "expected a map of server name to settings");
                return;
            }
            for (const auto& kv : servers) {
                const std::string name = kv.first.Scalar();
                const std::string p = path + ".servers." + name;
                if (!r.keys(kv.second, p, {"latency", "mode", "url"}))
                    continue;
                if (kv.second["latency"])
                    if (auto d = r.duration(kv.second["latency"], p + ".latency"))
                        s.settings.serverLatency[name] = *d;
                if (kv.second["mode"]) {
                    const auto mode = r.str(kv.second["mode"], p + ".mode");
                    if (mode && *mode != "mock" && *mode != "ollama" && *mode != "external")
                        r.error(kv.second["mode"], p + ".mode", "mode must be mock, ollama or external");
                    else if (mode)
                        s.settings.serverMode[name] = *mode;
                }
                if (kv.second["url"])
                    if (auto url = r.str(kv.second["url"], p + ".url"))
                        s.settings.serverUrl[name] = *url;
                if (s.settings.serverMode.count(name) && s.settings.serverMode[name] == "external" && !s.settings.serverUrl.count(name))
                    r.error(kv.second, p + ".url", "an external server needs its url");
            }
        }
    }

    void loadStream(const YAML::Node& n, const std::string& path) {
        if (!r.keys(n, path, {"model", "rate", "concurrency", "streamShare", "promptBytes", "maxTokens", "from", "to"}))
            return;
        LoadStream l;
        l.where = r.at(n, path);
        if (n["model"])
            l.model = r.str(n["model"], path + ".model").value_or("");
        else
            r.error(n, path + ".model", "missing model (the virtual model the clients ask for)");
        if (n["rate"])
            l.rate = r.number(n["rate"], path + ".rate", 0.001, 100000).value_or(l.rate);
        if (n["concurrency"])
            l.concurrency = static_cast<int>(r.integer(n["concurrency"], path + ".concurrency", 1, 100000).value_or(l.concurrency));
        if (n["streamShare"])
            l.streamShare = r.number(n["streamShare"], path + ".streamShare", 0, 1).value_or(0);
        if (n["promptBytes"])
            l.promptBytes = static_cast<int>(r.integer(n["promptBytes"], path + ".promptBytes", 1, 64 * 1024 * 1024).value_or(l.promptBytes));
        if (n["maxTokens"])
            l.maxTokens = static_cast<int>(r.integer(n["maxTokens"], path + ".maxTokens", 1, 100000).value_or(l.maxTokens));
        if (n["from"])
            l.from = r.duration(n["from"], path + ".from").value_or(Duration::zero());
        if (n["to"])
            l.to = r.duration(n["to"], path + ".to");
        if (l.to && *l.to <= l.from)
            r.error(n["to"], path + ".to", "to must be after from");
        s.load.push_back(std::move(l));
    }

    void step(const YAML::Node& n, const std::string& path) {
        if (!r.keys(n, path, {"at", "title", "text", "actions", "expect"}))
            return;
        Step st;
        st.where = r.at(n, path);
        if (n["at"])
            st.at = r.duration(n["at"], path + ".at").value_or(Duration::zero());
        else
            r.error(n, path + ".at", "missing at (the step's time, e.g. 10s)");
        if (n["title"])
            st.title = r.str(n["title"], path + ".title").value_or("");
        else
            r.error(n, path + ".title", "missing title");
        if (n["text"])
            st.text = r.str(n["text"], path + ".text").value_or("");
        if (const auto a = n["actions"]) {
            if (!a.IsSequence())
                r.error(a, path + ".actions", "expected a list of actions");
            else
                for (std::size_t i = 0; i < a.size(); ++i)
                    action(a[i], fmt::format("{}.actions[{}]", path, i), st);
        }
        if (const auto e = n["expect"]) {
            if (!e.IsSequence())
                r.error(e, path + ".expect", "expected a list of expectations");
            else
                for (std::size_t i = 0; i < e.size(); ++i)
                    expectation(e[i], fmt::format("{}.expect[{}]", path, i), st);
        }
        s.steps.push_back(std::move(st));
        m_stepNodes.push_back(n);
    }

    void action(const YAML::Node& n, const std::string& path, Step& st) {
        if (!n.IsMap()) {
            r.error(n, path, "expected an action such as {stop: qwen-primary}");
            return;
        }
        static const std::pair<const char*, Action::Verb> verbs[] = {
            {"stop", Action::Verb::Stop},       {"start", Action::Verb::Start},   {"delete", Action::Verb::Delete},
            {"reapply", Action::Verb::Reapply}, {"fault", Action::Verb::Fault},   {"clearFault", Action::Verb::ClearFault},
            {"edit", Action::Verb::Edit},       {"policy", Action::Verb::Policy}, {"config", Action::Verb::Config},
            {"dnsRefresh", Action::Verb::DnsRefresh},
        };
        Action a;
        a.at = st.at;
        a.where = r.at(n, path);
        std::optional<std::string> verbKey;
        for (const auto& kv : n) {
            const std::string k = kv.first.Scalar();
            if (k == "at")
                continue;
            const auto* v = std::find_if(std::begin(verbs), std::end(verbs), [&](const auto& p) { return k == p.first; });
            if (v == std::end(verbs)) {
                r.error(kv.first, Reader::join(path, k),
                        "unknown action '" + k + "' (expected stop, start, delete, reapply, fault, clearFault, edit, policy, config or dnsRefresh)");
                return;
            }
            if (verbKey) {
                r.error(kv.first, Reader::join(path, k), "one action per list item ('" + *verbKey + "' and '" + k + "')");
                return;
            }
            verbKey = k;
            a.verb = v->second;
        }
        if (!verbKey) {
            r.error(n, path, "an action needs a verb (stop, start, delete, reapply, fault, clearFault, edit, policy, config, dnsRefresh)");
            return;
        }
        if (n["at"]) {
            if (auto at = r.duration(n["at"], path + ".at")) {
                if (*at < st.at)
                    r.error(n["at"], path + ".at", "an action cannot happen before its step (" + formatDuration(st.at) + ")");
                a.at = *at;
            }
        }
        const std::string p = Reader::join(path, *verbKey);
        const YAML::Node body = n[*verbKey];
        switch (a.verb) {
        case Action::Verb::Stop:
        case Action::Verb::Start:
        case Action::Verb::Delete:
        case Action::Verb::Reapply:
        case Action::Verb::ClearFault:
            if (auto v = r.str(body, p); v && !v->empty())
                a.server = *v;
            else if (v)
                r.error(body, p, "expected a server name");
            break;
        case Action::Verb::Fault: fault(body, p, a); break;
        case Action::Verb::Edit: edit(body, p, a); break;
        case Action::Verb::Policy:
            if (r.keys(body, p, {"name", "set"})) {
                if (body["name"])
                    a.policy = r.str(body["name"], p + ".name").value_or("");
                else
                    r.error(body, p + ".name", "missing name (the BackendTrafficPolicy)");
                if (!body["set"] || !body["set"].IsMap() || body["set"].size() == 0)
                    r.error(body["set"] ? body["set"] : body, p + ".set", "expected a map of spec paths to values");
                else
                    a.set = toJson(body["set"]);
            }
            break;
        case Action::Verb::Config: configSource(body, p, a.config); break;
        case Action::Verb::DnsRefresh:
            if (auto d = r.duration(body, p))
                a.duration = *d;
            break;
        }
        st.actions.push_back(std::move(a));
    }

    void fault(const YAML::Node& n, const std::string& path, Action& a) {
        if (!n.IsMap()) {
            r.error(n, path, "expected {server: NAME, errorStatus: 503, ...}");
            return;
        }
        a.fault = nlohmann::json::object();
        for (const auto& kv : n) {
            const std::string k = kv.first.Scalar();
            const std::string p = Reader::join(path, k);
            if (k == "server") {
                a.server = r.str(kv.second, p).value_or("");
                continue;
            }
            const auto* key = std::find_if(std::begin(kFaultKeys), std::end(kFaultKeys), [&](const FaultKey& f) { return k == f.name; });
            if (key == std::end(kFaultKeys)) {
                std::string list = "server";
                for (const auto& f : kFaultKeys)
                    list += std::string(", ") + f.name;
                r.error(kv.first, p, "unknown fault key '" + k + "' (expected " + list + ")");
                continue;
            }
            switch (key->type) {
            case FaultKey::Int:
                if (auto v = r.integer(kv.second, p, 0, 3600000))
                    a.fault[k] = *v;
                break;
            case FaultKey::Rate:
                if (auto v = r.number(kv.second, p, 0, 1))
                    a.fault[k] = *v;
                break;
            case FaultKey::Bool:
                if (auto v = r.boolean(kv.second, p))
                    a.fault[k] = *v;
                break;
            }
        }
        if (a.server.empty())
            r.error(n, path + ".server", "missing server");
        if (a.fault.contains("errorStatus")) {
            const auto st = a.fault["errorStatus"].get<std::int64_t>();
            if (st != 0 && (st < 400 || st > 599))
                r.error(n["errorStatus"], path + ".errorStatus", "errorStatus must be 400-599 (0: none)");
        }
        if (a.fault.empty())
            r.error(n, path, "a fault needs at least one fault key (use clearFault to clear one)");
    }

    void edit(const YAML::Node& n, const std::string& path, Action& a) {
        if (!r.keys(n, path, {"route", "rule", "backendRef", "weight", "priority", "modelNameOverride"}))
            return;
        if (n["route"])
            a.route = r.str(n["route"], path + ".route").value_or("");
        else
            r.error(n, path + ".route", "missing route (the AIGatewayRoute name)");
        if (n["rule"])
            a.rule = static_cast<int>(r.integer(n["rule"], path + ".rule", 0, 10000).value_or(0));
        if (n["backendRef"])
            a.backendRef = r.str(n["backendRef"], path + ".backendRef").value_or("");
        else
            r.error(n, path + ".backendRef", "missing backendRef (the AIServiceBackend name, or the index)");
        if (n["weight"])
            a.weight = r.integer(n["weight"], path + ".weight", 0, 1000000);
        if (n["priority"])
            a.priority = r.integer(n["priority"], path + ".priority", 0, 1000000);
        if (n["modelNameOverride"])
            a.modelNameOverride = n["modelNameOverride"].IsNull() ? std::string() : r.str(n["modelNameOverride"], path + ".modelNameOverride").value_or("");
        if (!a.weight && !a.priority && !a.modelNameOverride)
            r.error(n, path, "an edit sets weight, priority or modelNameOverride");
    }

    void expectation(const YAML::Node& n, const std::string& path, Step& st) {
        if (!n.IsMap()) {
            r.error(n, path, "expected an expectation such as {failed: {max: 0}}");
            return;
        }
        static const std::pair<const char*, Expectation::Check> checks[] = {
            {"requests", Expectation::Check::Requests}, {"failed", Expectation::Check::Failed},
            {"failedPercent", Expectation::Check::FailedPercent}, {"status", Expectation::Check::Status},
            {"share", Expectation::Check::Share}, {"latencyP99", Expectation::Check::LatencyP99},
            {"ejections", Expectation::Check::Ejections}, {"returnsTo", Expectation::Check::ReturnsTo},
        };
        Expectation e;
        e.where = r.at(n, path);
        std::optional<std::string> checkKey;
        for (const auto& kv : n) {
            const std::string k = kv.first.Scalar();
            if (k == "name" || k == "from" || k == "to" || k == "model")
                continue;
            const auto* c = std::find_if(std::begin(checks), std::end(checks), [&](const auto& p) { return k == p.first; });
            if (c == std::end(checks)) {
                r.error(kv.first, Reader::join(path, k),
                        "unknown field '" + k + "' (expected name, from, to, model and one of requests, failed, failedPercent, "
                        "status, share, latencyP99, ejections, returnsTo)");
                return;
            }
            if (checkKey) {
                r.error(kv.first, Reader::join(path, k), "one check per expectation ('" + *checkKey + "' and '" + k + "')");
                return;
            }
            checkKey = k;
            e.check = c->second;
        }
        if (!checkKey) {
            r.error(n, path, "an expectation needs a check (requests, failed, failedPercent, status, share, latencyP99, ejections, returnsTo)");
            return;
        }
        if (n["name"])
            e.name = r.str(n["name"], path + ".name").value_or("");
        if (n["model"])
            e.model = r.str(n["model"], path + ".model").value_or("");
        e.from = st.at;
        if (n["from"])
            e.from = r.duration(n["from"], path + ".from").value_or(st.at);
        if (n["to"])
            e.to = r.duration(n["to"], path + ".to");
        m_explicitTo.push_back(n["to"].IsDefined());
        const std::string p = Reader::join(path, *checkKey);
        const YAML::Node b = n[*checkKey];
        auto bounds = [&](bool percent) {
            const double hi = percent ? 100 : 1e12;
            if (b["min"])
                e.bound.min = r.number(b["min"], p + ".min", 0, hi);
            if (b["max"])
                e.bound.max = r.number(b["max"], p + ".max", 0, hi);
            if (!e.bound.min && !e.bound.max)
                r.error(b, p, "expected min and/or max");
            else if (e.bound.min && e.bound.max && *e.bound.min > *e.bound.max)
                r.error(b, p, "min is above max");
        };
        switch (e.check) {
        case Expectation::Check::Requests:
        case Expectation::Check::Failed:
            if (r.keys(b, p, {"min", "max"}))
                bounds(false);
            break;
        case Expectation::Check::FailedPercent:
            if (r.keys(b, p, {"min", "max"}))
                bounds(true);
            break;
        case Expectation::Check::Status:
            if (r.keys(b, p, {"code", "min", "max"})) {
                if (b["code"])
                    e.status = static_cast<int>(r.integer(b["code"], p + ".code", 100, 599).value_or(0));
                else
                    r.error(b, p + ".code", "missing code (an HTTP status)");
                bounds(false);
            }
            break;
        case Expectation::Check::Share:
            if (r.keys(b, p, {"backend", "percent", "within"})) {
                if (b["backend"])
                    e.backend = r.str(b["backend"], p + ".backend").value_or("");
                else
                    r.error(b, p + ".backend", "missing backend (an AIServiceBackend name)");
                if (b["percent"])
                    e.percent = r.number(b["percent"], p + ".percent", 0, 100).value_or(0);
                else
                    r.error(b, p + ".percent", "missing percent");
                if (b["within"])
                    e.within = r.number(b["within"], p + ".within", 0, 100).value_or(0);
                else
                    r.error(b, p + ".within", "missing within (tolerance in percentage points)");
            }
            break;
        case Expectation::Check::LatencyP99:
            if (r.keys(b, p, {"min", "max"})) {
                // Durations, kept in milliseconds in the bound.
                for (const char* k : {"min", "max"})
                    if (b[k])
                        if (auto d = r.duration(b[k], p + "." + k))
                            (std::string(k) == "min" ? e.bound.min : e.bound.max) = toMs(*d);
                if (!b["min"] && !b["max"])
                    r.error(b, p, "expected min and/or max (durations)");
                else if (e.bound.min && e.bound.max && *e.bound.min > *e.bound.max)
                    r.error(b, p, "min is above max");
            }
            break;
        case Expectation::Check::Ejections:
            if (r.keys(b, p, {"backend", "server", "min", "max"})) {
                if (b["backend"])
                    e.backend = r.str(b["backend"], p + ".backend").value_or("");
                if (b["server"])
                    e.server = r.str(b["server"], p + ".server").value_or("");
                bounds(false);
            }
            break;
        case Expectation::Check::ReturnsTo:
            if (r.keys(b, p, {"backend", "within"})) {
                if (b["backend"])
                    e.backend = r.str(b["backend"], p + ".backend").value_or("");
                else
                    r.error(b, p + ".backend", "missing backend (an AIServiceBackend name)");
                if (b["within"])
                    e.returnWithin = r.duration(b["within"], p + ".within").value_or(Duration::zero());
                else
                    r.error(b, p + ".within", "missing within (a duration)");
            }
            break;
        }
        if (e.name.empty())
            e.name = std::string(*checkKey) + " " + e.expectedText() + (e.backend.empty() ? "" : " " + e.backend);
        st.expectations.push_back(std::move(e));
    }

    /// Orders steps, fills default windows, checks times against the duration.
    void finish(const YAML::Node& steps) {
        for (std::size_t i = 1; i < s.steps.size(); ++i)
            if (s.steps[i].at < s.steps[i - 1].at)
                r.error(steps[i]["at"] ? steps[i]["at"] : steps[i], fmt::format("spec.steps[{}].at", i),
                        "steps must be in time order (" + formatDuration(s.steps[i].at) + " is before the previous step's " +
                            formatDuration(s.steps[i - 1].at) + ")");
        std::size_t k = 0;
        for (std::size_t i = 0; i < s.steps.size(); ++i) {
            auto& st = s.steps[i];
            if (st.at > s.duration)
                r.error(m_stepNodes[i]["at"], fmt::format("spec.steps[{}].at", i),
                        "the step is after the scenario's duration (" + formatDuration(s.duration) + ")");
            for (auto& e : st.expectations) {
                e.step = i;
                if (!m_explicitTo[k++])
                    e.to = std::max(s.stepEnd(i), e.from);
                if (e.to && *e.to <= e.from)
                    r.error(m_stepNodes[i], fmt::format("spec.steps[{}].expect", i),
                            "expectation '" + e.name + "': its window ends before it starts");
            }
        }
    }

    Reader& r;
    Scenario& s;
    std::vector<YAML::Node> m_stepNodes;
    std::vector<bool> m_explicitTo;
};

}  // namespace

ScenarioLoad loadScenarioText(const std::string& text, const std::string& fileName, const std::string& directory) {
    ScenarioLoad out;
    Reader reader(fileName, out.errors);
    Scenario s;
    s.file = fileName;
    s.directory = directory;
    try {
        const auto docs = YAML::LoadAll(text);
        if (docs.empty() || docs[0].IsNull()) {
            Error e;
            e.where.file = fileName;
            e.where.line = 1;
            e.where.column = 1;
            e.message = "empty file: expected a Scenario document";
            out.errors.push_back(e);
            return out;
        }
        if (docs.size() > 1)
            reader.error(docs[1], "", "one Scenario per file (found a second document)");
        ScenarioParser parser(reader, s);
        parser.parse(docs[0]);
    } catch (const YAML::Exception& ex) {
        Error e;
        e.where.file = fileName;
        e.where.line = ex.mark.line >= 0 ? ex.mark.line + 1 : 0;
        e.where.column = ex.mark.column >= 0 ? ex.mark.column + 1 : 0;
        e.message = "malformed YAML: " + ex.msg;
        out.errors.push_back(e);
        return out;
    }
    if (out.errors.empty())
        out.scenario = std::move(s);
    return out;
}

ScenarioLoad loadScenarioFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ScenarioLoad out;
        Error e;
        e.where.file = path;
        e.message = "cannot read the scenario file";
        out.errors.push_back(e);
        return out;
    }
    std::ostringstream text;
    text << in.rdbuf();
    const fs::path p(path);
    return loadScenarioText(text.str(), path, p.has_parent_path() ? p.parent_path().string() : ".");
}

config::LoadResult loadConfigSource(const ConfigSource& source, const std::string& directory, const std::string& scenarioFile) {
    config::LoadResult out;
    std::vector<config::Source> sources;
    if (source.builtin) {
        config::LoadResult builtin = config::loadBuiltinScenario();
        if (source.files.empty() && source.manifests.empty())
            out = std::move(builtin);
        else
            sources.push_back({"<builtin>", config::builtinScenarioYaml()});
    }
    for (const auto& f : source.files) {
        const fs::path p = fs::path(f).is_absolute() || directory.empty() ? fs::path(f) : fs::path(directory) / f;
        std::ifstream in(p, std::ios::binary);
        if (!in) {
            Error e;
            e.where.file = scenarioFile;
            e.message = "cannot read config file '" + p.string() + "'";
            out.errors.push_back(e);
            continue;
        }
        std::ostringstream text;
        text << in.rdbuf();
        sources.push_back({p.lexically_normal().string(), text.str()});
    }
    if (!source.manifests.empty()) {
        // Blank lines first, so that errors point at the lines of the scenario file.
        sources.push_back({scenarioFile, std::string(static_cast<std::size_t>(std::max(0, source.manifestsLine - 1)), '\n') +
                                             source.manifests});
    }
    if (!out.errors.empty())
        return out;
    if (!sources.empty())
        out = config::loadSources(sources);
    if (source.policy == "as-written")
        out.config = config::withTutorialPolicy(std::move(out.config));
    else if (source.policy == "corrected")
        out.config = config::withAttemptsPerPriority(std::move(out.config), 1);
    return out;
}

config::LoadResult loadScenarioConfig(const Scenario& s, const std::vector<std::string>& overrideFiles) {
    config::LoadResult out = !overrideFiles.empty() && !s.config.pinned ? config::loadFiles(overrideFiles)
                             : s.config.empty()     ? config::loadBuiltinScenario()
                                                    : loadConfigSource(s.config, s.directory, s.file);
    // Server modes: the annotations the supervisor reads, on every Backend of that server.
    for (auto& b : out.config.backends) {
        const std::string server = routing::serverNameFor(out.config, b);
        if (auto m = s.settings.serverMode.find(server); m != s.settings.serverMode.end())
            b.meta.annotations[config::SimSettings::kMode] = m->second;
        if (auto u = s.settings.serverUrl.find(server); u != s.settings.serverUrl.end())
            b.meta.annotations[config::SimSettings::kUrl] = u->second;
    }
    return out;
}

std::string configLabel(const Scenario& s, const std::vector<std::string>& overrideFiles) {
    if (overrideFiles.empty())
        return "scenario's own";
    if (s.config.pinned)
        return "scenario's own (pinned; --config not applied)";
    std::string out;
    for (const auto& f : overrideFiles)
        out += (out.empty() ? "" : ", ") + f;
    return out;
}

// ---- edits ----

namespace {

Error editError(const Action& a, std::string message) {
    Error e;
    e.where = a.where;
    e.message = std::move(message);
    return e;
}

/// Sets `value` at a dotted path ("retry.numAttemptsPerPriority") below `node`; null removes it.
bool setPath(YAML::Node node, const std::string& path, const nlohmann::json& value, std::string& why) {
    std::vector<std::string> parts;
    std::stringstream ss(path);
    for (std::string part; std::getline(ss, part, '.');)
        parts.push_back(part);
    if (parts.empty() || std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) {
        why = "'" + path + "' is not a dotted path";
        return false;
    }
    std::vector<YAML::Node> chain{node};
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        YAML::Node next = chain.back()[parts[i]];
        if (!next.IsDefined() || next.IsNull()) {
            if (value.is_null())
                return true;  // removing something that is not there
            chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
            next = chain.back()[parts[i]];
        } else if (!next.IsMap()) {
            why = "'" + parts[i] + "' in '" + path + "' is not a map";
            return false;
        }
        chain.push_back(next);
    }
    YAML::Node parent = chain.back();
    if (value.is_null()) {
        parent.remove(parts.back());
        return true;
    }
    std::function<YAML::Node(const nlohmann::json&)> toYaml = [&](const nlohmann::json& j) -> YAML::Node {
        if (j.is_object()) {
            YAML::Node m(YAML::NodeType::Map);
            for (const auto& [k, v] : j.items())
                m[k] = toYaml(v);
            return m;
        }
        if (j.is_array()) {
            YAML::Node a(YAML::NodeType::Sequence);
            for (const auto& v : j)
                a.push_back(toYaml(v));
            return a;
        }
        if (j.is_string())
            return YAML::Node(j.get<std::string>());
        return YAML::Node(j.dump());
    };
    parent[parts.back()] = toYaml(value);
    return true;
}

}  // namespace

Result<config::Config> applyEdit(const config::Config& cfg, const Action& a) {
    if (a.verb == Action::Verb::Edit) {
        config::Config c = cfg;
        const auto slash = a.route.find('/');
        const std::string ns = slash == std::string::npos ? "" : a.route.substr(0, slash);
        const std::string name = slash == std::string::npos ? a.route : a.route.substr(slash + 1);
        auto it = std::find_if(c.routes.begin(), c.routes.end(), [&](const config::AIGatewayRoute& r) {
            return r.meta.name == name && (ns.empty() || r.meta.effectiveNamespace() == ns);
        });
        if (it == c.routes.end())
            return editError(a, "edit: no AIGatewayRoute '" + a.route + "'");
        if (a.rule < 0 || static_cast<std::size_t>(a.rule) >= it->rules.size())
            return editError(a, fmt::format("edit: route '{}' has no rule {} (it has {})", a.route, a.rule, it->rules.size()));
        auto& refs = it->rules[static_cast<std::size_t>(a.rule)].backendRefs;
        config::BackendRefSpec* ref = nullptr;
        for (auto& r : refs)
            if (r.name == a.backendRef)
                ref = &r;
        if (!ref && !a.backendRef.empty() && std::all_of(a.backendRef.begin(), a.backendRef.end(), ::isdigit)) {
            const auto i = static_cast<std::size_t>(std::stoul(a.backendRef));
            if (i < refs.size())
                ref = &refs[i];
        }
        if (!ref) {
            std::string names;
            for (const auto& r : refs)
                names += (names.empty() ? "" : ", ") + r.name;
            return editError(a, fmt::format("edit: rule {} of route '{}' has no backendRef '{}' (it has {})", a.rule, a.route,
                                            a.backendRef, names));
        }
        if (a.weight)
            ref->weight = a.weight;
        if (a.priority)
            ref->priority = a.priority;
        if (a.modelNameOverride) {
            if (a.modelNameOverride->empty())
                ref->modelNameOverride.reset();
            else
                ref->modelNameOverride = a.modelNameOverride;
        }
        return c;
    }
    if (a.verb == Action::Verb::Policy) {
        const auto found = std::find_if(cfg.trafficPolicies.begin(), cfg.trafficPolicies.end(),
                                        [&](const config::BackendTrafficPolicy& p) { return p.meta.name == a.policy; });
        if (found == cfg.trafficPolicies.end())
            return editError(a, "policy: no BackendTrafficPolicy '" + a.policy + "'");
        // The typed policy is the truth (edits and fixes change it, not the YAML read): export it,
        // set the paths on its spec, and read the whole config back.
        config::ExportOptions options;
        options.apiVersion = "";  // keep each document's own version
        const std::string text = config::exportYaml(cfg, options);
        std::vector<YAML::Node> docs;
        try {
            docs = YAML::LoadAll(text);
        } catch (const YAML::Exception& ex) {
            return editError(a, std::string("policy: cannot re-read the config: ") + ex.what());
        }
        bool edited = false;
        for (auto& d : docs) {
            if (!d.IsMap() || !d["kind"] || d["kind"].Scalar() != "BackendTrafficPolicy" || !d["metadata"] ||
                !d["metadata"]["name"] || d["metadata"]["name"].Scalar() != a.policy)
                continue;
            YAML::Node spec = d["spec"];
            for (const auto& [path, value] : a.set.items()) {
                std::string why;
                if (!setPath(spec, path, value, why))
                    return editError(a, "policy " + a.policy + ": " + why);
            }
            edited = true;
        }
        if (!edited)
            return editError(a, "policy: no BackendTrafficPolicy '" + a.policy + "' in the exported config");
        std::string out;
        for (const auto& d : docs)
            out += "---\n" + config::emitNode(d) + "\n";
        config::LoadResult loaded = config::loadString(out, "policy edit (" + a.describe() + ")");
        std::vector<Error> real;
        for (const auto& e : loaded.errors)
            if (!e.reference)
                real.push_back(e);
        if (!real.empty())
            return editError(a, "policy " + a.policy + ": the edited policy is invalid: " + real.front().message +
                                    (real.front().where.path.empty() ? "" : " (" + real.front().where.path + ")"));
        return std::move(loaded.config);
    }
    return editError(a, std::string(nameOf(a.verb)) + " is not a config edit");
}

// ---- writing ----

namespace {

/// Multi-line text as a literal block (without its final newline, which the block's clip chomping
/// adds back on reading, so that writing what was read is stable); one line as a plain string.
void emitText(YAML::Emitter& y, std::string text) {
    if (text.find('\n') == std::string::npos) {
        y << text;
        return;
    }
    if (text.back() == '\n')
        text.pop_back();
    y << YAML::Literal << text;
}

void emitSource(YAML::Emitter& y, const ConfigSource& c) {
    y << YAML::BeginMap;
    if (c.builtin)
        y << YAML::Key << "builtin" << YAML::Value << true;
    if (!c.files.empty()) {
        y << YAML::Key << "files" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const auto& f : c.files)
            y << f;
        y << YAML::EndSeq;
    }
    if (!c.manifests.empty())
        {
        y << YAML::Key << "manifests" << YAML::Value;
        emitText(y, c.manifests);
    }
    if (!c.policy.empty())
        y << YAML::Key << "policy" << YAML::Value << c.policy;
    if (c.pinned)
        y << YAML::Key << "pinned" << YAML::Value << true;
    y << YAML::EndMap;
}

void emitJson(YAML::Emitter& y, const nlohmann::json& j) {
    if (j.is_object()) {
        y << YAML::BeginMap;
        for (const auto& [k, v] : j.items()) {
            y << YAML::Key << k << YAML::Value;
            emitJson(y, v);
        }
        y << YAML::EndMap;
    } else if (j.is_array()) {
        y << YAML::Flow << YAML::BeginSeq;
        for (const auto& v : j)
            emitJson(y, v);
        y << YAML::EndSeq;
    } else if (j.is_string()) {
        y << YAML::DoubleQuoted << j.get<std::string>();
    } else if (j.is_null()) {
        y << YAML::Null;
    } else {
        y << j.dump();
    }
}

void emitBound(YAML::Emitter& y, const Bound& b) {
    if (b.min)
        y << YAML::Key << "min" << YAML::Value << *b.min;
    if (b.max)
        y << YAML::Key << "max" << YAML::Value << *b.max;
}

}  // namespace

std::string toYaml(const Scenario& s) {
    YAML::Emitter y;
    y << YAML::BeginMap;
    y << YAML::Key << "apiVersion" << YAML::Value << kApiVersion;
    y << YAML::Key << "kind" << YAML::Value << kKind;
    y << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value
      << (s.name.empty() ? std::string("recorded") : s.name) << YAML::EndMap;
    y << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "title" << YAML::Value << s.title;
    if (!s.summary.empty())
        {
        y << YAML::Key << "summary" << YAML::Value;
        emitText(y, s.summary);
    }
    if (!s.config.empty()) {
        y << YAML::Key << "config" << YAML::Value;
        emitSource(y, s.config);
    }
    y << YAML::Key << "settings" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "seed" << YAML::Value << s.settings.seed;
    if (s.settings.dnsRefresh)
        y << YAML::Key << "dnsRefresh" << YAML::Value << formatDuration(*s.settings.dnsRefresh);
    y << YAML::Key << "latency" << YAML::Value << formatDuration(s.settings.latency);
    if (!s.settings.serverLatency.empty() || !s.settings.serverMode.empty()) {
        y << YAML::Key << "servers" << YAML::Value << YAML::BeginMap;
        std::set<std::string> names;
        for (const auto& [name, d] : s.settings.serverLatency)
            names.insert(name);
        for (const auto& [name, m] : s.settings.serverMode)
            names.insert(name);
        for (const auto& name : names) {
            y << YAML::Key << name << YAML::Value << YAML::Flow << YAML::BeginMap;
            if (auto d = s.settings.serverLatency.find(name); d != s.settings.serverLatency.end())
                y << YAML::Key << "latency" << YAML::Value << formatDuration(d->second);
            if (auto m = s.settings.serverMode.find(name); m != s.settings.serverMode.end())
                y << YAML::Key << "mode" << YAML::Value << m->second;
            if (auto u = s.settings.serverUrl.find(name); u != s.settings.serverUrl.end())
                y << YAML::Key << "url" << YAML::Value << u->second;
            y << YAML::EndMap;
        }
        y << YAML::EndMap;
    }
    y << YAML::EndMap;
    y << YAML::Key << "duration" << YAML::Value << formatDuration(s.duration);
    if (!s.load.empty()) {
        y << YAML::Key << "load" << YAML::Value << YAML::BeginSeq;
        for (const auto& l : s.load) {
            y << YAML::BeginMap << YAML::Key << "model" << YAML::Value << l.model << YAML::Key << "rate" << YAML::Value << l.rate
              << YAML::Key << "concurrency" << YAML::Value << l.concurrency;
            if (l.streamShare > 0)
                y << YAML::Key << "streamShare" << YAML::Value << l.streamShare;
            y << YAML::Key << "promptBytes" << YAML::Value << l.promptBytes << YAML::Key << "maxTokens" << YAML::Value << l.maxTokens;
            y << YAML::Key << "from" << YAML::Value << formatDuration(l.from);
            if (l.to)
                y << YAML::Key << "to" << YAML::Value << formatDuration(*l.to);
            y << YAML::EndMap;
        }
        y << YAML::EndSeq;
    }
    y << YAML::Key << "steps" << YAML::Value << YAML::BeginSeq;
    for (const auto& st : s.steps) {
        y << YAML::BeginMap << YAML::Key << "at" << YAML::Value << formatDuration(st.at);
        y << YAML::Key << "title" << YAML::Value << st.title;
        if (!st.text.empty())
            {
            y << YAML::Key << "text" << YAML::Value;
            emitText(y, st.text);
        }
        if (!st.actions.empty()) {
            y << YAML::Key << "actions" << YAML::Value << YAML::BeginSeq;
            for (const auto& a : st.actions) {
                y << YAML::BeginMap;
                if (a.at != st.at)
                    y << YAML::Key << "at" << YAML::Value << formatDuration(a.at);
                y << YAML::Key << nameOf(a.verb) << YAML::Value;
                switch (a.verb) {
                case Action::Verb::Stop:
                case Action::Verb::Start:
                case Action::Verb::Delete:
                case Action::Verb::Reapply:
                case Action::Verb::ClearFault: y << a.server; break;
                case Action::Verb::Fault: {
                    nlohmann::json f = a.fault;
                    y << YAML::Flow << YAML::BeginMap << YAML::Key << "server" << YAML::Value << a.server;
                    for (const auto& [k, v] : f.items()) {
                        y << YAML::Key << k << YAML::Value;
                        emitJson(y, v);
                    }
                    y << YAML::EndMap;
                    break;
                }
                case Action::Verb::Edit:
                    y << YAML::Flow << YAML::BeginMap << YAML::Key << "route" << YAML::Value << a.route << YAML::Key << "rule"
                      << YAML::Value << a.rule << YAML::Key << "backendRef" << YAML::Value << a.backendRef;
                    if (a.weight)
                        y << YAML::Key << "weight" << YAML::Value << *a.weight;
                    if (a.priority)
                        y << YAML::Key << "priority" << YAML::Value << *a.priority;
                    if (a.modelNameOverride)
                        y << YAML::Key << "modelNameOverride" << YAML::Value << YAML::DoubleQuoted << *a.modelNameOverride;
                    y << YAML::EndMap;
                    break;
                case Action::Verb::Policy:
                    y << YAML::BeginMap << YAML::Key << "name" << YAML::Value << a.policy << YAML::Key << "set" << YAML::Value;
                    emitJson(y, a.set);
                    y << YAML::EndMap;
                    break;
                case Action::Verb::Config: emitSource(y, a.config); break;
                case Action::Verb::DnsRefresh: y << formatDuration(a.duration); break;
                }
                y << YAML::EndMap;
            }
            y << YAML::EndSeq;
        }
        if (!st.expectations.empty()) {
            y << YAML::Key << "expect" << YAML::Value << YAML::BeginSeq;
            for (const auto& e : st.expectations) {
                y << YAML::BeginMap << YAML::Key << "name" << YAML::Value << e.name;
                y << YAML::Key << "from" << YAML::Value << formatDuration(e.from);
                if (e.to)
                    y << YAML::Key << "to" << YAML::Value << formatDuration(*e.to);
                if (!e.model.empty())
                    y << YAML::Key << "model" << YAML::Value << e.model;
                switch (e.check) {
                case Expectation::Check::Requests: y << YAML::Key << "requests"; break;
                case Expectation::Check::Failed: y << YAML::Key << "failed"; break;
                case Expectation::Check::FailedPercent: y << YAML::Key << "failedPercent"; break;
                case Expectation::Check::Status: y << YAML::Key << "status"; break;
                case Expectation::Check::Share: y << YAML::Key << "share"; break;
                case Expectation::Check::LatencyP99: y << YAML::Key << "latencyP99"; break;
                case Expectation::Check::Ejections: y << YAML::Key << "ejections"; break;
                case Expectation::Check::ReturnsTo: y << YAML::Key << "returnsTo"; break;
                }
                y << YAML::Value << YAML::Flow << YAML::BeginMap;
                switch (e.check) {
                case Expectation::Check::Status: y << YAML::Key << "code" << YAML::Value << e.status; [[fallthrough]];
                case Expectation::Check::Requests:
                case Expectation::Check::Failed:
                case Expectation::Check::FailedPercent: emitBound(y, e.bound); break;
                case Expectation::Check::Share:
                    y << YAML::Key << "backend" << YAML::Value << e.backend << YAML::Key << "percent" << YAML::Value << e.percent
                      << YAML::Key << "within" << YAML::Value << e.within;
                    break;
                case Expectation::Check::LatencyP99:
                    if (e.bound.min)
                        y << YAML::Key << "min" << YAML::Value << formatDuration(ms(static_cast<std::int64_t>(*e.bound.min)));
                    if (e.bound.max)
                        y << YAML::Key << "max" << YAML::Value << formatDuration(ms(static_cast<std::int64_t>(*e.bound.max)));
                    break;
                case Expectation::Check::Ejections:
                    if (!e.backend.empty())
                        y << YAML::Key << "backend" << YAML::Value << e.backend;
                    if (!e.server.empty())
                        y << YAML::Key << "server" << YAML::Value << e.server;
                    emitBound(y, e.bound);
                    break;
                case Expectation::Check::ReturnsTo:
                    y << YAML::Key << "backend" << YAML::Value << e.backend << YAML::Key << "within" << YAML::Value
                      << formatDuration(e.returnWithin);
                    break;
                }
                y << YAML::EndMap << YAML::EndMap;
            }
            y << YAML::EndSeq;
        }
        y << YAML::EndMap;
    }
    y << YAML::EndSeq;
    y << YAML::EndMap << YAML::EndMap;
    return std::string(y.c_str()) + "\n";
}

std::vector<std::string> scenarioFilesIn(const std::string& directory) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(directory, ec)) {
        if (!entry.is_regular_file(ec))
            continue;
        const auto ext = entry.path().extension().string();
        if (ext != ".yaml" && ext != ".yml")
            continue;
        // A quick look for the kind, without a full parse: lessons folders may hold other YAML.
        std::ifstream in(entry.path());
        std::string line;
        bool isScenario = false;
        for (int i = 0; i < 40 && std::getline(in, line); ++i)
            if (line.rfind("kind:", 0) == 0 && line.find(kKind) != std::string::npos)
                isScenario = true;
        if (isScenario)
            out.push_back(entry.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace aigw::scenario
