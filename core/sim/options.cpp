#include "sim/options.h"

#include <charconv>
#include <cmath>

#include "config/model.h"

namespace aigw::sim {

namespace {

Error argError(const std::string& message) {
    Error e;
    e.message = message;
    return e;
}

bool parseUnsigned(const std::string& s, std::uint64_t& out) {
    if (s.empty())
        return false;
    const auto* end = s.data() + s.size();
    auto [p, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && p == end;
}

}  // namespace

const char* usage() {
    return "usage: aigw-sim simulate [FILE... | --config FILE...] --model NAME --requests N [--rate RPS] [--seed S]\n"
           "                         [--stream-share F] [--dns-refresh DURATION] [--event AT:SERVER:ACTION]... [--json]\n"
           "\n"
           "Runs N requests for model NAME through the routing core in virtual time against simulated\n"
           "model servers. Without --config, the built-in scenario (the tutorial's Tickets 1 and 2).\n"
           "  --config FILE...  YAML manifests; - reads standard input, and a kind: List (kubectl get -o yaml)\n"
           "                is read item by item\n"
           "  --rate RPS    requests per virtual second, evenly spaced (default 10)\n"
           "  --seed S      random seed (default 1); the same seed gives the same output\n"
           "  --stream-share F  share of requests sent with \"stream\": true, 0 to 1 (default 0): their headers\n"
           "                reach the client at the first token, after which no per-try timeout applies\n"
           "  --dns-refresh DURATION  how long a deleted server's name keeps resolving (default 30s, Envoy\n"
           "                Gateway's DNS refresh; a BackendTrafficPolicy dns.dnsRefreshRate wins; 0s: at once)\n"
           "  --event       AT is a duration (10s, 1500ms, 1m30s) from the start; SERVER a model server\n"
           "                (InferenceService name, e.g. qwen-primary, else the Backend name); ACTION one of\n"
           "                stop (refuses new connections; in-flight responses finish), start, delete (the\n"
           "                name stops resolving at the next DNS refresh; until then connects time out),\n"
           "                reapply (after delete: the name resolves again at the next refresh), fault=503,\n"
           "                fault=429, fault=hang, fault=blackhole (connects time out), fault=none, latency=MS\n"
           "  --json        one JSON object instead of tables\n";
}

Result<Duration> parseTime(const std::string& text) {
    if (auto d = config::parseDuration(text))
        return *d;
    return argError("bad time '" + text + "': expected a duration such as 10s, 1500ms or 1m30s");
}

Result<ServerEvent> parseEvent(const std::string& text) {
    const auto first = text.find(':');
    const auto last = text.rfind(':');
    if (first == std::string::npos || first == last)
        return argError("bad --event '" + text + "': expected AT:SERVER:ACTION, e.g. 10s:qwen-primary:stop");
    ServerEvent e;
    e.text = text;
    auto at = parseTime(text.substr(0, first));
    if (!at)
        return argError("bad --event '" + text + "': " + at.error().message);
    e.at = at.value();
    e.server = text.substr(first + 1, last - first - 1);
    if (e.server.empty())
        return argError("bad --event '" + text + "': empty server name");
    const std::string action = text.substr(last + 1);
    if (action == "stop") {
        e.action = ServerEvent::Action::Stop;
    } else if (action == "start") {
        e.action = ServerEvent::Action::Start;
    } else if (action == "delete") {
        e.action = ServerEvent::Action::Delete;
    } else if (action == "reapply") {
        e.action = ServerEvent::Action::Reapply;
    } else if (action.rfind("fault=", 0) == 0) {
        e.action = ServerEvent::Action::Fault;
        const std::string v = action.substr(6);
        std::uint64_t code = 0;
        if (v == "none")
            e.faultStatus = 0;
        else if (v == "hang")
            e.faultStatus = ServerEvent::kHang;
        else if (v == "blackhole")
            e.faultStatus = ServerEvent::kBlackHole;
        else if (parseUnsigned(v, code) && code >= 400 && code <= 599)
            e.faultStatus = static_cast<int>(code);
        else
            return argError("bad --event '" + text + "': fault must be an HTTP status 400-599, hang, blackhole or none");
    } else if (action.rfind("latency=", 0) == 0) {
        e.action = ServerEvent::Action::Latency;
        std::uint64_t msValue = 0;
        if (!parseUnsigned(action.substr(8), msValue) || msValue > 3600 * 1000)
            return argError("bad --event '" + text + "': latency must be whole milliseconds, e.g. latency=250");
        e.latency = ms(static_cast<std::int64_t>(msValue));
    } else {
        return argError("bad --event '" + text + "': unknown action '" + action +
                        "' (stop, start, delete, reapply, fault=503, fault=429, fault=hang, fault=blackhole, fault=none, latency=MS)");
    }
    return e;
}

Result<SimOptions> parseArgs(const std::vector<std::string>& args) {
    SimOptions o;
    bool haveModel = false, haveRequests = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&](const char* what) -> std::optional<std::string> {
            if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)
                return std::nullopt;
            (void)what;
            return args[++i];
        };
        if (a == "--help" || a == "-h") {
            o.help = true;
        } else if (a == "--json") {
            o.json = true;
        } else if (a == "--config") {
            bool any = false;
            while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
                o.configFiles.push_back(args[++i]);
                any = true;
            }
            if (!any)
                return argError("--config needs at least one FILE");
        } else if (a == "--model") {
            auto v = value("NAME");
            if (!v || v->empty())
                return argError("--model needs a NAME");
            o.model = *v;
            haveModel = true;
        } else if (a == "--requests") {
            auto v = value("N");
            std::uint64_t n = 0;
            if (!v || !parseUnsigned(*v, n) || n == 0)
                return argError("--requests needs a positive whole number, got '" + v.value_or("") + "'");
            o.requests = n;
            haveRequests = true;
        } else if (a == "--rate") {
            auto v = value("RPS");
            double r = 0;
            bool ok = false;
            if (v) {
                const auto* end = v->data() + v->size();
                auto [p, ec] = std::from_chars(v->data(), end, r);
                ok = ec == std::errc() && p == end && std::isfinite(r) && r > 0 && r <= 1e9;
            }
            if (!ok)
                return argError("--rate needs a positive number of requests per second, got '" + v.value_or("") + "'");
            o.rate = r;
        } else if (a == "--seed") {
            auto v = value("S");
            std::uint64_t s = 0;
            if (!v || !parseUnsigned(*v, s))
                return argError("--seed needs a whole number, got '" + v.value_or("") + "'");
            o.seed = s;
        } else if (a == "--stream-share") {
            auto v = value("F");
            double f = -1;
            bool ok = false;
            if (v) {
                const auto* end = v->data() + v->size();
                auto [p, ec] = std::from_chars(v->data(), end, f);
                ok = ec == std::errc() && p == end && f >= 0 && f <= 1;
            }
            if (!ok)
                return argError("--stream-share needs a number from 0 to 1, got '" + v.value_or("") + "'");
            o.streamShare = f;
        } else if (a == "--dns-refresh") {
            auto v = value("DURATION");
            if (!v)
                return argError("--dns-refresh needs a duration, e.g. 30s or 0s");
            auto d = parseTime(*v);
            if (!d)
                return argError("--dns-refresh: " + d.error().message);
            o.dnsRefresh = d.value();
        } else if (a == "--event") {
            auto v = value("AT:SERVER:ACTION");
            if (!v)
                return argError("--event needs AT:SERVER:ACTION, e.g. 10s:qwen-primary:stop");
            auto e = parseEvent(*v);
            if (!e)
                return e.error();
            o.events.push_back(std::move(e).value());
        } else if (a == "-" || (!a.empty() && a[0] != '-')) {
            o.configFiles.push_back(a);  // FILE..., as the other modes take them
        } else {
            return argError("unknown argument '" + a + "'");
        }
    }
    if (o.help)
        return o;
    if (!haveModel)
        return argError("--model NAME is required");
    if (!haveRequests)
        return argError("--requests N is required");
    return o;
}

}  // namespace aigw::sim
