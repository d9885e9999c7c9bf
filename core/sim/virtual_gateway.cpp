#include "sim/virtual_gateway.h"

#include <algorithm>
#include <cmath>

namespace aigw::sim {

using routing::Action;
using routing::AttemptOutcome;
using routing::Decision;
using routing::UpstreamFailure;

VirtualGateway::VirtualGateway(std::shared_ptr<const config::Config> config, std::uint64_t seed, routing::RecordSink* sink)
    : m_sink(sink),
      m_scheduler(m_clock),
      m_routingRandom(seed),
      m_serverRandom(seed ^ 0x5eed5eed5eed5eedULL),
      m_bufferLimit(config::gatewayBufferLimitBytes(*config)),
      m_engine(routing::makeEngine(std::move(config), m_clock, m_routingRandom, m_scheduler, this)) {
    for (const auto& name : m_engine->servers())
        server(name);
}

VirtualGateway::~VirtualGateway() = default;

void VirtualGateway::at(Duration t, std::function<void()> fn) {
    m_scheduler.schedule(t - now().time_since_epoch(), std::move(fn));
}

void VirtualGateway::addStream(const VirtualStream& stream) {
    const std::size_t index = m_streams.size();
    m_streams.push_back(StreamState{stream, 0, 0, 0, 0});
    if (stream.rate > 0 && stream.from < stream.to)
        at(stream.from, [this, index] { arrive(index); });
}

void VirtualGateway::run() { m_scheduler.runAll(); }

ServerState& VirtualGateway::server(const std::string& name) {
    auto [it, inserted] = m_servers.try_emplace(name);
    if (inserted)
        it->second.latency = kDefaultLatency;
    return it->second;
}

void VirtualGateway::stop(const std::string& name) {
    // New connections are refused; responses in flight still complete, as KServe's queue-proxy
    // drains in-flight requests when a predictor pod terminates.
    server(name).up = false;
}

void VirtualGateway::start(const std::string& name) {
    ServerState& s = server(name);
    s.up = true;
    if (s.deleted) {
        // The InferenceService is back: its pod serves at once, its name resolves again at the
        // next DNS refresh.
        s.deleted = false;
        m_engine->setNameResolves(name, true, now());
    }
}

void VirtualGateway::remove(const std::string& name) {
    server(name).deleted = true;
    m_engine->setNameResolves(name, false, now());
}

void VirtualGateway::setConfig(std::shared_ptr<const config::Config> config) {
    m_bufferLimit = config::gatewayBufferLimitBytes(*config);
    m_engine->setConfig(std::move(config));
    for (const auto& name : m_engine->servers())
        server(name);
}

void VirtualGateway::onRequest(const routing::RequestRecord& r) {
    if (m_sink)
        m_sink->onRequest(r);
}

void VirtualGateway::onHostEvent(const routing::HostEvent& e) {
    if (m_sink)
        m_sink->onHostEvent(e);
}

void VirtualGateway::arrive(std::size_t index) {
    StreamState& st = m_streams[index];
    const std::uint64_t i = st.arrived++;
    if (st.inFlight >= st.spec.concurrency)
        ++st.waiting;
    else
        begin(index);
    const bool more = st.spec.count == 0 || st.arrived < st.spec.count;
    if (more) {
        // Evenly spaced arrivals, computed from the index so rounding never accumulates.
        const auto next = st.spec.from + Duration(static_cast<std::int64_t>(std::llround(static_cast<double>(i + 1) * 1e9 / st.spec.rate)));
        if (next < st.spec.to)
            at(next, [this, index] { arrive(index); });
    }
}

void VirtualGateway::begin(std::size_t index) {
    StreamState& st = m_streams[index];
    // Streamed requests spread evenly: request i streams when floor((i+1)s) > floor(i s).
    const std::uint64_t i = st.started++;
    const double share = st.spec.streamShare;
    const bool stream = std::floor(static_cast<double>(i + 1) * share) > std::floor(static_cast<double>(i) * share);
    if (st.spec.bodyBytes > m_bufferLimit) {
        // Envoy's buffer filter answers before routing: a local 413, no upstream attempt.
        routing::RequestRecord r;
        r.id = (1ULL << 62) + m_localId++;
        r.start = now();
        r.finalStatus = 413;  // the body was not read: no model, as in the live proxy's record
        r.localReply = true;
        r.stream = stream;
        r.error = "Payload Too Large";
        onRequest(r);
        return;
    }
    const std::uint64_t id = m_nextId++;
    Flight& f = m_flights[id];
    f.stream = index;
    f.stream_ = stream;
    f.request = m_engine->start(st.spec.model, {}, now());
    ++st.inFlight;
    handle(id, f.request->nextAttempt(now()));
}

void VirtualGateway::finished(std::size_t index) {
    StreamState& st = m_streams[index];
    --st.inFlight;
    if (st.waiting > 0 && st.inFlight < st.spec.concurrency) {
        --st.waiting;  // the oldest held-back arrival starts now
        begin(index);
    }
}

void VirtualGateway::handle(std::uint64_t id, const Decision& d) {
    auto it = m_flights.find(id);
    if (it == m_flights.end())
        return;
    Flight& f = it->second;
    switch (d.action) {
    case Action::Attempt: attempt(id, f, d.target); return;
    case Action::Backoff:
        m_scheduler.schedule(d.wait, [this, id] {
            auto fit = m_flights.find(id);
            if (fit != m_flights.end())
                handle(id, fit->second.request->nextAttempt(now()));
        });
        return;
    case Action::Respond: {
        const std::size_t stream = f.stream;
        m_flights.erase(it);
        finished(stream);
        return;
    }
    }
}

/// One attempt, with the timers of reference 3.5: the connect (bounded by the connect timeout),
/// then the per-try timeout from the moment the request was sent until response headers, then
/// (a stream whose headers reached the client) only the route deadline.
void VirtualGateway::attempt(std::uint64_t id, Flight& f, const routing::AttemptTarget& t) {
    const ServerState& s = server(t.server);
    const VirtualFault& fault = s.fault;
    const TimePoint start = now();
    AttemptOutcome o;
    Duration after{};
    if (s.deleted || fault.blackHole) {
        // Dropped packets: the connect neither succeeds nor is refused (a deleted server's name
        // still resolves to its old address until the DNS refresh).
        o = AttemptOutcome::failed(UpstreamFailure::ConnectTimeout);
        after = t.connectBudget(start);
    } else if (!s.up) {
        o = AttemptOutcome::failed(UpstreamFailure::ConnectFailure);
        after = std::min(kConnectRefusedAfter, t.untilDeadline(start));
        if (after < kConnectRefusedAfter)
            o = AttemptOutcome::failed(UpstreamFailure::RequestTimeout);
    } else if (fault.resetBeforeHeaders) {
        o = AttemptOutcome::failed(UpstreamFailure::ResetBeforeHeaders);
        after = std::min(kConnectRefusedAfter, t.untilDeadline(start));
        if (after < kConnectRefusedAfter)
            o = AttemptOutcome::failed(UpstreamFailure::RequestTimeout);
    } else {
        // Connected at once; the request is sent now, so the per-try timer starts now.
        const bool stream = f.stream_;
        Duration headersAt = Duration::max();  // hang: never
        Duration completeAt = Duration::max();
        std::optional<Duration> cutAt;
        int status = 200;
        // Draws only for the faults that need them, so a plain run's draws stay the same.
        Duration delay = fault.extraLatency;
        if (fault.jitter > Duration::zero())
            delay += Duration(static_cast<std::int64_t>(static_cast<double>(fault.jitter.count()) * m_serverRandom.uniform01()));
        const bool erring = fault.status > 0 && (fault.rate >= 1.0 || m_serverRandom.uniform01() < fault.rate);
        if (erring) {
            status = fault.status;
            headersAt = completeAt = kFaultAfter + delay;
        } else if (!fault.hang) {
            // +-20% jitter from the servers' own generator, so latency draws never shift routing draws.
            const double factor = 0.8 + 0.4 * m_serverRandom.uniform01();
            Duration base = Duration(static_cast<std::int64_t>(static_cast<double>(s.latency.count()) * factor));
            const Duration firstToken = fault.firstToken.value_or(kFirstToken);
            if (fault.firstToken)
                base = std::max(base - kFirstToken, Duration::zero()) + firstToken;
            completeAt = base + delay;
            headersAt = stream ? std::min(firstToken + delay, completeAt) : completeAt;
            if (stream && fault.cutAfterTokens) {
                const int tokens = std::max(1, m_streams[f.stream].spec.maxTokens);
                if (*fault.cutAfterTokens < tokens) {
                    const double share = static_cast<double>(*fault.cutAfterTokens) / tokens;
                    cutAt = headersAt + Duration(static_cast<std::int64_t>(static_cast<double>((completeAt - headersAt).count()) * share));
                }
            }
        }
        Duration limit = t.headersBudget(start);
        UpstreamFailure why = UpstreamFailure::PerTryTimeout;
        if (t.streamIdleTimeout && *t.streamIdleTimeout < limit) {
            limit = *t.streamIdleTimeout;  // nothing arrives before the headers
            why = UpstreamFailure::StreamIdleTimeout;
        }
        if (headersAt > limit) {
            o = AttemptOutcome::failed(why);
            after = limit;
        } else if (stream && status == 200) {
            // Headers went to the client: the per-try timeout no longer applies; the deadline does.
            const Duration left = t.untilDeadline(start);
            if (cutAt && *cutAt <= left) {
                o = AttemptOutcome::failed(UpstreamFailure::ResetAfterHeaders);
                o.status = 200;
                o.headersSent = true;
                after = *cutAt;
            } else if (completeAt > left) {
                o = AttemptOutcome::failed(UpstreamFailure::RequestTimeout);
                o.status = 200;
                o.headersSent = true;
                after = left;
            } else {
                o = AttemptOutcome::ok(200);
                o.headersSent = true;
                after = completeAt;
            }
        } else {
            o = AttemptOutcome::httpStatus(status);
            after = completeAt;
        }
    }
    m_scheduler.schedule(after, [this, id, o] { complete(id, o); });
}

void VirtualGateway::complete(std::uint64_t id, const AttemptOutcome& o) {
    auto it = m_flights.find(id);
    if (it == m_flights.end())
        return;
    handle(id, it->second.request->onAttemptResult(o, now()));
}

}  // namespace aigw::sim
