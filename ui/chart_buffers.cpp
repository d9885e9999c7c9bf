#include "chart_buffers.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace aigw::ui {

const char* nameOf(MarkerKind kind) {
    switch (kind) {
    case MarkerKind::ServerStopped: return "stopped";
    case MarkerKind::ServerStarted: return "started";
    case MarkerKind::ServerDeleted: return "deleted";
    case MarkerKind::Fault: return "fault";
    case MarkerKind::FaultCleared: return "fault cleared";
    case MarkerKind::Ejected: return "ejected";
    case MarkerKind::Unejected: return "un-ejected";
    case MarkerKind::ConfigEdit: return "config edit";
    }
    return "?";
}

ChartBuffers::ChartBuffers() = default;

void ChartBuffers::clear() {
    m_bins.clear();
    m_requests.clear();
    m_markers.clear();
    m_latest = 0;
}

int ChartBuffers::laneFor(const std::string& backend) {
    auto it = m_laneIndex.find(backend);
    if (it != m_laneIndex.end())
        return it->second;
    if (static_cast<int>(m_lanes.size()) >= kMaxLanes)
        return kMaxLanes - 1;
    const int lane = static_cast<int>(m_lanes.size());
    m_lanes.push_back(backend);
    m_laneIndex.emplace(backend, lane);
    return lane;
}

int ChartBuffers::laneOf(const std::string& backend) const {
    const auto it = m_laneIndex.find(backend);
    return it == m_laneIndex.end() ? -1 : it->second;
}

int ChartBuffers::modelFor(const std::string& model) {
    auto it = m_modelIndex.find(model);
    if (it != m_modelIndex.end())
        return it->second;
    if (m_models.size() >= 1024)  // model names come from clients: cap them too
        return 1023;
    const int idx = static_cast<int>(m_models.size());
    m_models.push_back(model);
    m_modelIndex.emplace(model, idx);
    return idx;
}

ChartBuffers::Bin& ChartBuffers::binFor(std::int64_t sec) {
    // Records arrive roughly in order; search back from the newest bin.
    for (std::size_t i = m_bins.size(); i-- > 0;) {
        Bin& b = m_bins.at(i);
        if (b.sec == sec)
            return b;
        if (b.sec < sec)
            break;
        if (m_bins.size() - i > 8)
            break;
    }
    if (!m_bins.empty() && sec < m_bins.back().sec) {
        // Too late for its own bin (more than 8 bins back): count it in the newest one.
        return m_bins.at(m_bins.size() - 1);
    }
    // Fill gaps with empty bins so the throughput chart shows idle seconds as zero.
    if (!m_bins.empty()) {
        const std::int64_t gap = std::min<std::int64_t>(sec - m_bins.back().sec - 1, kMaxBins);
        for (std::int64_t k = 0; k < gap; ++k)
            m_bins.push(Bin{sec - gap + k, {}});
    }
    m_bins.push(Bin{sec, {}});
    return m_bins.at(m_bins.size() - 1);
}

void ChartBuffers::addRequest(const RequestPoint& r) {
    const int model = modelFor(r.model);
    int finalLane = -1;
    if (!r.attempts.empty())
        finalLane = laneFor(r.attempts.back().backend);
    TimelineRequest tr;
    tr.t = r.t;
    tr.ok = r.ok;
    tr.attemptCount = static_cast<std::uint8_t>(std::min<std::size_t>(r.attempts.size(), 255));
    for (std::size_t i = 0; i < r.attempts.size() && i < TimelineRequest::kMaxAttempts; ++i) {
        tr.attempts[i].offsetMs = static_cast<float>((r.attempts[i].t - r.t) * 1000.0);
        tr.attempts[i].lane = static_cast<std::uint16_t>(laneFor(r.attempts[i].backend));
        tr.attempts[i].ok = r.attempts[i].ok;
    }
    m_requests.push(tr);
    const double end = r.t + r.latencyMs / 1000.0;
    m_latest = std::max(m_latest, end);
    if (finalLane < 0)
        return;  // rejected before any attempt (404 no route): nothing to split
    Bin& bin = binFor(static_cast<std::int64_t>(std::floor(end)));
    for (auto& c : bin.cells)
        if (c.model == model && c.lane == finalLane) {
            (r.ok ? c.ok : c.err) += 1;
            return;
        }
    Cell c;
    c.model = static_cast<std::uint16_t>(model);
    c.lane = static_cast<std::uint16_t>(finalLane);
    (r.ok ? c.ok : c.err) = 1;
    bin.cells.push_back(c);
}

void ChartBuffers::addMarker(double t, const std::string& backend, MarkerKind kind, const std::string& text) {
    Marker m;
    m.t = t;
    m.lane = backend.empty() ? -1 : laneFor(backend);
    m.kind = kind;
    m.text = text;
    m_markers.push(std::move(m));
    m_latest = std::max(m_latest, t);
}

std::vector<std::uint64_t> ChartBuffers::split(const std::string& model, double windowSec, double now) const {
    std::vector<std::uint64_t> out(m_lanes.size(), 0);
    int modelIdx = -1;
    if (!model.empty()) {
        auto it = m_modelIndex.find(model);
        if (it == m_modelIndex.end())
            return out;
        modelIdx = it->second;
    }
    forEachCellInWindow(windowSec, now, [&](const Cell& c) {
        if ((modelIdx < 0 || c.model == modelIdx) && c.lane < out.size())
            out[c.lane] += c.ok;
    });
    return out;
}

std::int64_t ChartBuffers::firstOpenSecond(double now) {
    return static_cast<std::int64_t>(std::floor(now - kBinSettleSeconds));
}

std::uint64_t ChartBuffers::failures(const std::string& model, double windowSec, double now) const {
    const auto it = m_modelIndex.find(model);
    if (it == m_modelIndex.end())
        return 0;
    std::uint64_t n = 0;
    forEachCellInWindow(windowSec, now, [&](const Cell& c) {
        if (c.model == it->second)
            n += c.err;
    });
    return n;
}

ChartBuffers::Throughput ChartBuffers::throughput(double windowSec, double now, int maxPoints,
                                                   const std::vector<int>* only) const {
    Throughput t;
    // Output series of each lane: itself, or (with `only`) its place in `only`, the rest in the last.
    std::vector<int> seriesOf(m_lanes.size(), 0);
    std::size_t lanes = m_lanes.size();
    if (only) {
        lanes = only->size() + 1;
        std::fill(seriesOf.begin(), seriesOf.end(), static_cast<int>(only->size()));
        for (std::size_t i = 0; i < only->size(); ++i)
            if ((*only)[i] >= 0 && static_cast<std::size_t>((*only)[i]) < seriesOf.size())
                seriesOf[static_cast<std::size_t>((*only)[i])] = static_cast<int>(i);
    } else {
        for (std::size_t l = 0; l < seriesOf.size(); ++l)
            seriesOf[l] = static_cast<int>(l);
    }
    const std::int64_t nowSec = firstOpenSecond(now) - 1;  // the newest complete bin
    const auto secs = static_cast<std::int64_t>(std::max(1.0, std::ceil(windowSec)));
    const std::int64_t first = nowSec - secs + 1;
    // Dense per-second arrays over the window, then average groups of `step` seconds.
    std::vector<std::vector<double>> ok(lanes, std::vector<double>(static_cast<std::size_t>(secs), 0));
    std::vector<double> all(static_cast<std::size_t>(secs), 0), err(static_cast<std::size_t>(secs), 0);
    for (std::size_t i = m_bins.size(); i-- > 0;) {
        const Bin& b = m_bins.at(i);
        if (b.sec < first)
            break;
        if (b.sec > nowSec)
            continue;
        const auto k = static_cast<std::size_t>(b.sec - first);
        for (const auto& c : b.cells) {
            if (c.lane < seriesOf.size())
                ok[static_cast<std::size_t>(seriesOf[c.lane])][k] += c.ok + c.err;
            all[k] += c.ok + c.err;
            err[k] += c.err;
        }
    }
    const std::int64_t step = std::max<std::int64_t>(1, (secs + maxPoints - 1) / std::max(1, maxPoints));
    t.perLane.assign(lanes, {});
    for (std::int64_t s = 0; s < secs; s += step) {
        const std::int64_t e = std::min(secs, s + step);
        const double n = static_cast<double>(e - s);
        t.times.push_back(static_cast<double>(first + e));  // a rate is plotted at the end of its interval
        double a = 0, er = 0;
        for (std::int64_t k = s; k < e; ++k) {
            a += all[static_cast<std::size_t>(k)];
            er += err[static_cast<std::size_t>(k)];
        }
        t.errorRatePct.push_back(a > 0 ? 100.0 * er / a : 0.0);
        for (std::size_t l = 0; l < lanes; ++l) {
            double v = 0;
            for (std::int64_t k = s; k < e; ++k)
                v += ok[l][static_cast<std::size_t>(k)];
            t.perLane[l].push_back(v / n);
        }
    }
    return t;
}

std::string ChartBuffers::csv(double windowSec, double now) const {
    std::ostringstream out;
    out << "time_s,model,backend,ok,errors\n";
    const double from = now - windowSec;
    for (std::size_t i = 0; i < m_bins.size(); ++i) {
        const Bin& b = m_bins.at(i);
        if (static_cast<double>(b.sec) + 1.0 <= from || static_cast<double>(b.sec) > now)
            continue;
        for (const auto& c : b.cells)
            out << b.sec << ',' << m_models[c.model] << ',' << m_lanes[c.lane] << ',' << c.ok << ',' << c.err << '\n';
    }
    return out.str();
}

}  // namespace aigw::ui
