#pragma once
// Bounded, widget-free storage behind the three charts (PlotJuggler style: producers append, the
// charts read a decimated view once per frame). Everything is a ring buffer or a fixed-size
// per-second bin, so memory stays bounded at any request rate and run length:
//   - per-second bins (kMaxBins): per (virtual model, backend) successes and errors -> split and
//     throughput charts, CSV export;
//   - the last kMaxRequests requests with their attempts, in a compact fixed-size form -> timeline;
//   - the last kMaxMarkers events (server stop/start, faults, ejections, config edits).
// Times are seconds since the session started (double).

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ring_buffer.h"

namespace aigw::ui {

enum class MarkerKind : std::uint8_t {
    ServerStopped,
    ServerStarted,
    ServerDeleted,
    Fault,
    FaultCleared,
    Ejected,
    Unejected,
    ConfigEdit,
};
const char* nameOf(MarkerKind kind);

struct Marker {
    double t = 0;
    int lane = -1;  ///< -1: not tied to one backend (config edits)
    MarkerKind kind = MarkerKind::ConfigEdit;
    std::string text;
};

/// One request as the charts need it (the bridge converts routing records into this).
struct RequestPoint {
    struct Attempt {
        std::string backend;  ///< AIServiceBackend name
        double t = 0;         ///< start of the attempt
        double durationMs = 0;
        bool ok = false;
    };
    double t = 0;  ///< request start
    std::string model;  ///< virtual model
    std::vector<Attempt> attempts;
    bool ok = false;
    int status = 0;
    double latencyMs = 0;
};

/// Compact timeline entry: fixed size, no heap, so 150k of them are a few MB.
struct TimelineRequest {
    static constexpr int kMaxAttempts = 5;  ///< later attempts are counted, not drawn
    struct Attempt {
        float offsetMs = 0;  ///< from the request start
        std::uint16_t lane = 0;
        bool ok = false;
    };
    double t = 0;
    std::uint8_t attemptCount = 0;  ///< all attempts, may exceed kMaxAttempts
    bool ok = false;
    std::array<Attempt, kMaxAttempts> attempts{};
};

class ChartBuffers {
public:
    static constexpr std::size_t kMaxBins = 3600;         ///< one hour of one-second bins
    static constexpr std::size_t kMaxRequests = 150000;   ///< 2.5 min at 1,000 requests/s
    static constexpr std::size_t kMaxMarkers = 2000;
    /// A cluster's config has thousands of backends (200 routes x 10): each keeps a lane of its
    /// own, so any model's backends can be shown; further backends share the last lane.
    static constexpr int kMaxLanes = 8192;

    ChartBuffers();

    void addRequest(const RequestPoint& request);
    void addMarker(double t, const std::string& backend, MarkerKind kind, const std::string& text);
    void clear();

    /// Lane of a backend (created on first use, stable for the session).
    int laneFor(const std::string& backend);
    /// Lane of a backend, or -1 when it has none yet (unlike laneFor, creates nothing).
    int laneOf(const std::string& backend) const;
    const std::vector<std::string>& lanes() const { return m_lanes; }
    const std::vector<std::string>& models() const { return m_models; }
    double latestTime() const { return m_latest; }

    /// Successful final answers per lane for `model` (empty: all models) in (now - window, now].
    std::vector<std::uint64_t> split(const std::string& model, double windowSec, double now) const;
    /// Requests for `model` that ended in an error response in the same window (not in split()).
    std::uint64_t failures(const std::string& model, double windowSec, double now) const;
    struct Throughput {
        std::vector<double> times;                 ///< end of each point's interval (bin or group of bins), seconds
        std::vector<std::vector<double>> perLane;  ///< requests/s per lane, same length as times
        std::vector<double> errorRatePct;          ///< errors / all, percent
    };
    /// Bins are keyed by the second a response ended. The bin of the current second is still
    /// filling, and records of responses that ended in the last moments of a second reach the
    /// buffers only with the bridge's next drain (every 40 ms) plus one chart frame (40 ms): a bin
    /// counts as complete once its second has been over for kBinSettleSeconds.
    static constexpr double kBinSettleSeconds = 0.3;
    /// The first second whose bin may still grow at `now`; every earlier bin is complete.
    static std::int64_t firstOpenSecond(double now);
    /// Per-second throughput over the complete bins of the window (the bin still filling would be
    /// drawn as a dip at the right edge, so it is left out), reduced to at most `maxPoints` points
    /// by averaging. With `only`, perLane holds those lanes in that order plus one last entry for
    /// every other lane together (a chart of one model's backends at a thousand lanes).
    Throughput throughput(double windowSec, double now, int maxPoints, const std::vector<int>* only = nullptr) const;
    /// Calls `f` for each stored request whose start lies in [from, to].
    template <typename F>
    void forEachRequest(double from, double to, F&& f) const {
        for (std::size_t i = 0; i < m_requests.size(); ++i) {
            const auto& r = m_requests.at(i);
            if (r.t >= from && r.t <= to)
                f(r);
        }
    }
    template <typename F>
    void forEachMarker(double from, double to, F&& f) const {
        for (std::size_t i = 0; i < m_markers.size(); ++i) {
            const auto& m = m_markers.at(i);
            if (m.t >= from && m.t <= to)
                f(m);
        }
    }
    /// CSV of the per-second bins in the window: time_s,model,backend,ok,errors.
    std::string csv(double windowSec, double now) const;

    std::size_t binCount() const { return m_bins.size(); }
    std::size_t requestCount() const { return m_requests.size(); }
    std::size_t markerCount() const { return m_markers.size(); }

private:
    struct Cell {
        std::uint16_t model = 0;
        std::uint16_t lane = 0;
        std::uint32_t ok = 0;
        std::uint32_t err = 0;
    };
    struct Bin {
        std::int64_t sec = 0;
        std::vector<Cell> cells;
    };
    int modelFor(const std::string& model);
    Bin& binFor(std::int64_t sec);
    /// Calls fn(cell) for every cell of the bins that overlap (now - windowSec, now], newest first.
    template <typename Fn>
    void forEachCellInWindow(double windowSec, double now, Fn&& fn) const {
        const double from = now - windowSec;
        for (std::size_t i = m_bins.size(); i-- > 0;) {
            const Bin& b = m_bins.at(i);
            if (static_cast<double>(b.sec) + 1.0 <= from)
                break;
            if (static_cast<double>(b.sec) > now)
                continue;
            for (const Cell& c : b.cells)
                fn(c);
        }
    }

    std::vector<std::string> m_lanes;
    std::map<std::string, int> m_laneIndex;
    std::vector<std::string> m_models;
    std::map<std::string, int> m_modelIndex;
    RingBuffer<Bin> m_bins{kMaxBins};
    RingBuffer<TimelineRequest> m_requests{kMaxRequests};
    RingBuffer<Marker> m_markers{kMaxMarkers};
    double m_latest = 0;
};

}  // namespace aigw::ui
