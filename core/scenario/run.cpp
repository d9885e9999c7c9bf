#include "scenario/run.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "sim/virtual_gateway.h"

namespace aigw::scenario {

// ---- evaluation ----

void Evaluator::add(const routing::RequestRecord& r) {
    Observed o;
    o.start = r.start - m_origin;
    o.latency = r.latency;
    o.model = r.virtualModel;
    o.backend = r.finalBackend;
    o.status = r.finalStatus;
    o.stream = r.stream;
    o.attempts = r.attempts.size();
    // A stream whose headers (200) reached the client and that then ended early: the client got
    // a truncated answer although the status says success.
    if (o.status > 0 && o.status < 400 && !r.attempts.empty()) {
        const auto f = r.attempts.back().failure;
        o.cut = f != routing::UpstreamFailure::None && f != routing::UpstreamFailure::Status;
    }
    m_requests.push_back(std::move(o));
}

void Evaluator::add(const routing::HostEvent& e) {
    m_hosts.push_back(ObservedHost{e.at - m_origin, e.type, e.backend, e.server, e.backendNamespace});
}

void Evaluator::clear() {
    m_requests.clear();
    m_hosts.clear();
}

namespace {

std::string windowText(Duration from, Duration to) { return formatDuration(from) + ".." + formatDuration(to); }

std::string secondsText(Duration d) { return fmt::format("{:.3f}s", toMs(d) / 1000.0); }

}  // namespace

ExpectationResult Evaluator::evaluate(const Expectation& e, Duration end) const {
    ExpectationResult out;
    out.expectation = e;
    out.evaluated = true;
    const Duration to = e.to.value_or(end);
    out.window = windowText(e.from, to);
    if (e.check == Expectation::Check::Ejections) {
        std::uint64_t n = 0;
        for (const auto& h : m_hosts)
            if (h.type == routing::HostEvent::Type::Ejected && h.at >= e.from && h.at < to &&
                (e.backend.empty() || h.backend == e.backend) && (e.server.empty() || h.server == e.server))
                ++n;
        out.measured = fmt::format("{} ejection(s)", n);
        out.pass = e.bound.holds(static_cast<double>(n));
        return out;
    }
    // A backend that answered nothing in the whole run is most likely a misspelt name: say which did.
    std::string hint;
    if (!e.backend.empty() && std::none_of(m_requests.begin(), m_requests.end(), [&](const Observed& o) { return o.backend == e.backend; })) {
        std::set<std::string> seen;
        for (const auto& o : m_requests)
            if (!o.backend.empty())
                seen.insert(o.backend);
        for (const auto& b : seen)
            hint += (hint.empty() ? "" : ", ") + b;
        hint = " ('" + e.backend + "' answered nothing in the run; answered by: " + (hint.empty() ? "none" : hint) + ")";
    }
    std::vector<const Observed*> in;
    for (const auto& r : m_requests)
        if (r.start >= e.from && r.start < to && (e.model.empty() || r.model == e.model))
            in.push_back(&r);
    out.requests = in.size();
    const auto n = static_cast<double>(in.size());
    auto count = [&](auto pred) {
        return static_cast<std::uint64_t>(std::count_if(in.begin(), in.end(), [&](const Observed* o) { return pred(*o); }));
    };
    auto noRequests = [&] {
        out.measured = "no requests in the window";
        out.pass = false;
        return out;
    };
    switch (e.check) {
    case Expectation::Check::Requests:
        out.measured = fmt::format("{}", in.size());
        out.pass = e.bound.holds(n);
        break;
    case Expectation::Check::Failed: {
        const auto failed = count([](const Observed& o) { return o.failed(); });
        out.measured = fmt::format("{} of {}", failed, in.size());
        out.pass = e.bound.holds(static_cast<double>(failed));
        break;
    }
    case Expectation::Check::FailedPercent: {
        if (in.empty())
            return noRequests();
        const auto failed = count([](const Observed& o) { return o.failed(); });
        const double pct = 100.0 * static_cast<double>(failed) / n;
        out.measured = fmt::format("{:.1f}% ({} of {})", pct, failed, in.size());
        out.pass = e.bound.holds(pct);
        break;
    }
    case Expectation::Check::Status: {
        const auto k = count([&](const Observed& o) { return o.status == e.status; });
        out.measured = fmt::format("{} x{} of {}", e.status, k, in.size());
        out.pass = e.bound.holds(static_cast<double>(k));
        break;
    }
    case Expectation::Check::Share: {
        if (in.empty())
            return noRequests();
        const auto k = count([&](const Observed& o) { return o.backend == e.backend && !o.failed(); });
        const double pct = 100.0 * static_cast<double>(k) / n;
        out.measured = fmt::format("{:.1f}% ({} of {})", pct, k, in.size());
        out.pass = std::abs(pct - e.percent) <= e.within + 1e-9;
        break;
    }
    case Expectation::Check::LatencyP99: {
        if (in.empty())
            return noRequests();
        std::vector<Duration> lat;
        lat.reserve(in.size());
        for (const auto* o : in)
            lat.push_back(o->latency);
        const auto k = static_cast<std::size_t>(std::ceil(0.99 * n)) - 1;
        const auto idx = std::min(k, lat.size() - 1);
        std::nth_element(lat.begin(), lat.begin() + static_cast<std::ptrdiff_t>(idx), lat.end());
        out.measured = "p99 " + secondsText(lat[idx]);
        out.pass = e.bound.holds(toMs(lat[idx]));
        break;
    }
    case Expectation::Check::ReturnsTo: {
        std::optional<Duration> first;
        for (const auto* o : in)
            if (o->backend == e.backend && !o->failed() && (!first || o->start < *first))
                first = o->start;
        if (!first) {
            out.measured = "never (in the window)";
            out.pass = false;
        } else {
            out.measured = "after " + secondsText(*first - e.from);
            out.pass = *first - e.from <= e.returnWithin;
        }
        break;
    }
    case Expectation::Check::Ejections: break;  // handled above
    }
    out.measured += hint;
    return out;
}

bool RunResult::passed() const {
    return std::all_of(expectations.begin(), expectations.end(), [](const ExpectationResult& r) { return r.evaluated && r.pass; });
}

void summarize(const Scenario& scenario, const Evaluator& evaluator, Duration end, RunResult& result) {
    result.file = scenario.file;
    result.title = scenario.title;
    result.duration = scenario.duration;
    result.requests = evaluator.requests().size();
    result.failed = 0;
    result.byBackend.clear();
    result.byStatus.clear();
    for (const auto& o : evaluator.requests()) {
        if (o.failed())
            ++result.failed;
        if (!o.backend.empty() && !o.failed())
            ++result.byBackend[o.backend];
        ++result.byStatus[o.status];
    }
    result.hostEvents = evaluator.hostEvents();
    result.expectations.clear();
    for (const auto& e : scenario.expectations())
        result.expectations.push_back(evaluator.evaluate(e, end));
}

// ---- virtual time ----

namespace {

Error runError(const SourceLocation& where, std::string message) {
    Error e;
    e.where = where;
    e.message = std::move(message);
    return e;
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

/// Fault-profile JSON (as written in a scenario) -> what the virtual servers play.
sim::VirtualFault virtualFault(const nlohmann::json& f) {
    sim::VirtualFault v;
    auto integer = [&](const char* k) { return f.contains(k) ? f[k].get<std::int64_t>() : 0; };
    auto flag = [&](const char* k) { return f.contains(k) && f[k].get<bool>(); };
    v.status = static_cast<int>(integer("errorStatus"));
    if (f.contains("errorRate"))
        v.rate = f["errorRate"].get<double>();
    v.extraLatency = ms(integer("latencyMs"));
    v.jitter = ms(integer("latencyJitterMs"));
    v.hang = flag("hang");
    v.blackHole = flag("blackhole");
    v.resetBeforeHeaders = flag("resetBeforeHeaders");
    if (f.contains("firstTokenDelayMs"))
        v.firstToken = ms(f["firstTokenDelayMs"].get<std::int64_t>());
    if (f.contains("cutAfterTokens"))
        v.cutAfterTokens = static_cast<int>(f["cutAfterTokens"].get<std::int64_t>());
    return v;
}

constexpr const char* kLiveOnlyFaultKeys[] = {"errorPlainText", "stallAfterTokens", "stallMs", "malformedAfterTokens", "omitDone"};

/// Feeds records to the evaluator (and the caller's observer / record list).
class Collector final : public routing::RecordSink {
public:
    Collector(Evaluator& evaluator, const RunOptions& options, RunResult& result)
        : m_evaluator(evaluator), m_options(options), m_result(result) {}
    void onRequest(const routing::RequestRecord& r) override {
        m_evaluator.add(r);
        if (m_options.keepRecords)
            m_result.records.push_back(r);
        if (m_options.observer)
            m_options.observer->onRequest(r);
    }
    void onHostEvent(const routing::HostEvent& e) override {
        m_evaluator.add(e);
        if (m_options.observer)
            m_options.observer->onHostEvent(e);
    }

private:
    Evaluator& m_evaluator;
    const RunOptions& m_options;
    RunResult& m_result;
};

}  // namespace

std::optional<Error> checkScenario(const Scenario& s, const config::Config& config, bool virtualTime) {
    using V = Action::Verb;
    auto probe = [](const config::Config& c) {
        return std::make_unique<sim::VirtualGateway>(std::make_shared<const config::Config>(c), 1, nullptr);
    };
    {
        auto gw = probe(config);
        for (const auto& l : s.load)
            if (!gw->engine().route(l.model, {}).matched) {
                auto models = gw->engine().models();
                std::sort(models.begin(), models.end());
                models.erase(std::unique(models.begin(), models.end()), models.end());
                return runError(l.where, "unknown model '" + l.model + "': no route matches it (configured models: " +
                                             (models.empty() ? std::string("none") : joined(models)) + ")");
            }
    }
    config::Config current = config;
    std::vector<std::string> servers = probe(current)->engine().servers();
    std::set<std::string> everyServer(servers.begin(), servers.end());
    for (const auto& a : s.timeline()) {
        switch (a.verb) {
        case V::Stop:
        case V::Start:
        case V::Delete:
        case V::Reapply:
        case V::Fault:
        case V::ClearFault:
            if (std::find(servers.begin(), servers.end(), a.server) == servers.end())
                return runError(a.where, "unknown server '" + a.server + "' (servers: " + joined(servers) + ")");
            if (virtualTime && a.verb == V::Fault)
                for (const char* k : kLiveOnlyFaultKeys)
                    if (a.fault.contains(k))
                        return runError(a.where, std::string("fault key '") + k +
                                                     "' is played only by the live mock servers: run with --live");
            break;
        case V::Edit:
        case V::Policy: {
            auto edited = applyEdit(current, a);
            if (!edited)
                return edited.error();
            current = std::move(edited).value();
            break;
        }
        case V::Config: {
            auto c = loadConfigSource(a.config, s.directory, s.file);
            if (!c.onlyReferenceErrors())
                return runError(a.where, "config: the config swapped in has errors: " + c.errors.front().toString());
            current = std::move(c.config);
            servers = probe(current)->engine().servers();
            everyServer.insert(servers.begin(), servers.end());
            break;
        }
        case V::DnsRefresh: break;
        }
    }
    const std::string serverList = joined(std::vector<std::string>(everyServer.begin(), everyServer.end()));
    auto knownServer = [&](const std::string& name) -> std::optional<Error> {
        if (everyServer.count(name))
            return std::nullopt;
        return runError({s.file, 0, 0, "spec.settings.servers." + name}, "unknown server '" + name + "' (servers: " + serverList + ")");
    };
    for (const auto& [name, latency] : s.settings.serverLatency)
        if (auto e = knownServer(name))
            return e;
    for (const auto& [name, mode] : s.settings.serverMode)
        if (auto e = knownServer(name))
            return e;
    return std::nullopt;
}

Result<RunResult> runVirtual(const Scenario& scenario, const RunOptions& options) {
    RunResult result;
    result.mode = "virtual";
    result.seed = options.seed.value_or(scenario.settings.seed);
    result.configLabel = configLabel(scenario, options.configFiles);
    config::LoadResult loaded = loadScenarioConfig(scenario, options.configFiles);
    if (!loaded.onlyReferenceErrors()) {
        std::string text;
        for (const auto& e : loaded.errors)
            text += "\n  " + e.toString();
        return runError(scenario.steps.empty() ? SourceLocation{scenario.file, 0, 0, ""} : SourceLocation{scenario.file, 0, 0, "spec.config"},
                        fmt::format("the config has {} error(s); see `aigw-sim check`:{}", loaded.errors.size(), text));
    }
    for (const auto& e : loaded.errors)
        result.notes.push_back("config: " + e.toString() + " (the route is not accepted, as a cluster would do)");

    if (auto e = checkScenario(scenario, loaded.config, /*virtualTime=*/true))
        return *e;
    // Configs swapped in by the timeline, read before the run.
    std::map<const Action*, std::shared_ptr<const config::Config>> swaps;
    const std::vector<Action> timeline = scenario.timeline();
    for (const auto& a : timeline) {
        if (a.verb != Action::Verb::Config)
            continue;
        config::LoadResult c = loadConfigSource(a.config, scenario.directory, scenario.file);  // checked above
        swaps[&a] = std::make_shared<const config::Config>(std::move(c.config));
    }

    Evaluator evaluator;
    Collector collector(evaluator, options, result);
    sim::VirtualGateway gw(std::make_shared<const config::Config>(std::move(loaded.config)), result.seed, &collector);
    if (scenario.settings.dnsRefresh)
        gw.engine().setDnsRefreshDelay(*scenario.settings.dnsRefresh);

    for (const auto& name : gw.engine().servers())
        gw.server(name).latency = scenario.settings.latency;
    for (const auto& [name, latency] : scenario.settings.serverLatency)
        gw.server(name).latency = latency;

    std::optional<Error> failure;  // an edit that names what does not exist ends the run as an input error
    for (const auto& a : timeline) {
        const Action* key = &a;
        gw.at(a.at, [&gw, &failure, &swaps, &scenario, key] {
            const Action& act = *key;
            switch (act.verb) {
            case Action::Verb::Stop: gw.stop(act.server); break;
            case Action::Verb::Start:
            case Action::Verb::Reapply: gw.start(act.server); break;
            case Action::Verb::Delete: gw.remove(act.server); break;
            case Action::Verb::Fault: gw.server(act.server).fault = virtualFault(act.fault); break;
            case Action::Verb::ClearFault: gw.server(act.server).fault = {}; break;
            case Action::Verb::Edit:
            case Action::Verb::Policy: {
                auto edited = applyEdit(*gw.engine().config(), act);
                if (!edited) {
                    if (!failure)
                        failure = edited.error();
                    return;
                }
                gw.setConfig(std::make_shared<const config::Config>(std::move(edited.value())));
                break;
            }
            case Action::Verb::Config: {
                gw.setConfig(swaps.at(key));
                for (const auto& name : gw.engine().servers())
                    if (!scenario.settings.serverLatency.count(name))
                        gw.server(name).latency = scenario.settings.latency;
                break;
            }
            case Action::Verb::DnsRefresh: gw.engine().setDnsRefreshDelay(act.duration); break;
            }
        });
    }
    for (const auto& l : scenario.load) {
        sim::VirtualStream v;
        v.model = l.model;
        v.rate = l.rate;
        v.from = l.from;
        v.to = std::min(l.to.value_or(scenario.duration), scenario.duration);
        v.concurrency = l.concurrency;
        v.streamShare = l.streamShare;
        // {"model":"...","messages":[{"role":"user","content":"..."}],"max_tokens":N,"stream":...}
        v.bodyBytes = l.promptBytes + static_cast<std::int64_t>(l.model.size()) + 90;
        v.maxTokens = l.maxTokens;
        gw.addStream(v);
    }
    gw.run();
    if (failure)
        return *failure;
    for (const auto& p : gw.engine().problems())
        result.notes.push_back("config problem: " + p.toString());
    summarize(scenario, evaluator, scenario.duration, result);
    return result;
}

// ---- output ----

std::string toTable(const RunResult& r) {
    std::ostringstream o;
    o << fmt::format("scenario {}: {}\n", r.file, r.title);
    o << fmt::format("mode {}  seed {}  config: {}  duration {}\n\n", r.mode, r.seed, r.configLabel, formatDuration(r.duration));
    // Columns as wide as their longest cell, so long names never push the others out of line.
    std::size_t wWindow = 6, wName = 11, wExpected = 8, wMeasured = 8;
    for (const auto& x : r.expectations) {
        wWindow = std::max(wWindow, x.window.size());
        wName = std::max(wName, x.expectation.name.size());
        wExpected = std::max(wExpected, x.expectation.expectedText().size());
        wMeasured = std::max(wMeasured, x.measured.size());
    }
    const auto row = [&](const std::string& step, const std::string& window, const std::string& name, const std::string& expected,
                         const std::string& measured, const std::string& verdict) {
        return fmt::format("{:<5} {:<{}} {:<{}} {:<{}} {:<{}} {}\n", step, window, wWindow, name, wName, expected, wExpected,
                           measured, wMeasured, verdict);
    };
    o << row("step", "window", "expectation", "expected", "measured", "result");
    std::size_t held = 0;
    for (const auto& x : r.expectations) {
        const char* verdict = !x.evaluated ? "PENDING" : x.pass ? "PASS" : "FAIL";
        held += x.evaluated && x.pass ? 1 : 0;
        o << row(std::to_string(x.expectation.step + 1), x.window, x.expectation.name, x.expectation.expectedText(), x.measured, verdict);
    }
    std::string byBackend, byStatus;
    for (const auto& [k, v] : r.byBackend)
        byBackend += fmt::format("{}{}={}", byBackend.empty() ? "" : ", ", k, v);
    for (const auto& [k, v] : r.byStatus)
        byStatus += fmt::format("{}{}={}", byStatus.empty() ? "" : ", ", k == 0 ? std::string("no response") : std::to_string(k), v);
    o << fmt::format("\nrequests {}  failed {}\nanswered by: {}\nstatus: {}\n", r.requests, r.failed,
                     byBackend.empty() ? "none" : byBackend, byStatus.empty() ? "none" : byStatus);
    std::uint64_t ejections = 0;
    for (const auto& h : r.hostEvents)
        ejections += h.type == routing::HostEvent::Type::Ejected ? 1 : 0;
    if (ejections)
        o << fmt::format("outlier ejections: {}\n", ejections);
    for (const auto& n : r.notes)
        o << "note: " << n << "\n";
    o << fmt::format("{}: {} of {} expectation(s) held\n", r.passed() ? "PASS" : "FAIL", held, r.expectations.size());
    return o.str();
}

nlohmann::ordered_json toJson(const RunResult& r) {
    using J = nlohmann::ordered_json;
    J j;
    j["file"] = r.file;
    j["title"] = r.title;
    j["mode"] = r.mode;
    j["seed"] = r.seed;
    j["config"] = r.configLabel;
    j["duration_ms"] = toMs(r.duration);
    j["passed"] = r.passed();
    j["requests"] = r.requests;
    j["failed"] = r.failed;
    j["by_backend"] = J::object();
    for (const auto& [k, v] : r.byBackend)
        j["by_backend"][k] = v;
    j["by_status"] = J::object();
    for (const auto& [k, v] : r.byStatus)
        j["by_status"][std::to_string(k)] = v;
    j["expectations"] = J::array();
    for (const auto& x : r.expectations)
        j["expectations"].push_back({{"step", x.expectation.step + 1},
                                     {"name", x.expectation.name},
                                     {"window", x.window},
                                     {"expected", x.expectation.expectedText()},
                                     {"measured", x.measured},
                                     {"requests", x.requests},
                                     {"evaluated", x.evaluated},
                                     {"pass", x.pass}});
    j["host_events"] = J::array();
    for (const auto& h : r.hostEvents)
        j["host_events"].push_back({{"at_ms", toMs(h.at)}, {"event", routing::nameOf(h.type)}, {"backend", h.backend}, {"server", h.server}});
    j["notes"] = r.notes;
    return j;
}

namespace {

std::string xml(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default:
            // XML 1.0 has no place for other control characters.
            if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
                out += ' ';
            else
                out += c;
        }
    }
    return out;
}

}  // namespace

std::string toJUnit(const std::vector<RunResult>& runs) {
    std::size_t tests = 0, failures = 0;
    for (const auto& r : runs)
        for (const auto& x : r.expectations) {
            ++tests;
            failures += x.evaluated && x.pass ? 0 : 1;
        }
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    o << fmt::format("<testsuites name=\"aigw-sim scenarios\" tests=\"{}\" failures=\"{}\">\n", tests, failures);
    for (const auto& r : runs) {
        std::size_t f = 0;
        for (const auto& x : r.expectations)
            f += x.evaluated && x.pass ? 0 : 1;
        o << fmt::format("  <testsuite name=\"{}\" file=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n", xml(r.title), xml(r.file),
                         r.expectations.size(), f);
        o << fmt::format("    <properties><property name=\"mode\" value=\"{}\"/><property name=\"seed\" value=\"{}\"/>"
                         "<property name=\"config\" value=\"{}\"/></properties>\n",
                         xml(r.mode), r.seed, xml(r.configLabel));
        for (const auto& x : r.expectations) {
            const std::string name = fmt::format("step {} {}: {}", x.expectation.step + 1, x.window, x.expectation.name);
            o << fmt::format("    <testcase classname=\"{}\" name=\"{}\"", xml(r.file), xml(name));
            if (x.evaluated && x.pass) {
                o << "/>\n";
                continue;
            }
            const std::string message = x.evaluated ? fmt::format("expected {}, measured {}", x.expectation.expectedText(), x.measured)
                                                    : std::string("not evaluated: the run ended before the window closed");
            o << fmt::format(">\n      <failure message=\"{}\" type=\"expectation\">{}</failure>\n    </testcase>\n", xml(message),
                             xml(message + (x.expectation.where.line > 0 ? " (" + x.expectation.where.file + ":" +
                                                                                std::to_string(x.expectation.where.line) + ")"
                                                                          : std::string())));
        }
        o << "  </testsuite>\n";
    }
    o << "</testsuites>\n";
    return o.str();
}

}  // namespace aigw::scenario
