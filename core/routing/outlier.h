#pragma once
// Envoy's outlier detection (source/common/upstream/outlier_detection_impl.cc) as configured by a
// BackendTrafficPolicy healthCheck.passive: per-host consecutive-error monitors, the ejection check
// against maxEjectionPercent over every host of the cluster, and the interval sweep that brings
// hosts back. Functions take `now`; the engine owns the timer and the events.

#include <cstdint>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "config/model.h"

namespace aigw::routing {

struct OutlierConfig {
    bool split = false;                        ///< splitExternalLocalOriginErrors
    Duration interval = secs(3);
    std::int64_t consecutive5xx = 5;           ///< 0 never fires
    std::int64_t consecutiveGatewayFailure = 0;  ///< 0: not configured (EG enforces it only when set)
    std::int64_t consecutiveLocalOriginFailure = 5;  ///< only with split
    Duration baseEjectionTime = secs(30);
    Duration maxEjectionTime = secs(300);      ///< Envoy default; EG does not expose it
    std::int64_t maxEjectionPercent = 10;
    bool alwaysEjectOne = false;
    static OutlierConfig fromPassive(const config::PassiveHealthCheck& p);
};

/// What the data plane tells the detector about one attempt (Envoy's Outlier::Result + code).
enum class OutlierSignal {
    HttpStatus,          ///< a response with `status` (external origin)
    ConnectFailed,       ///< LocalOriginConnectFailed: refused, unresolvable, reset by the upstream
    Timeout,             ///< LocalOriginTimeout: connect, per-try or request timeout (code 504)
};

enum class EjectionType { Consecutive5xx, ConsecutiveGatewayFailure, ConsecutiveLocalOriginFailure };
const char* nameOf(EjectionType t);

struct HostMonitor {
    int consecutive5xx = 0;
    int consecutiveGatewayFailure = 0;
    int consecutiveLocalOriginFailure = 0;
    bool ejected = false;
    std::optional<TimePoint> lastEjection;
    std::optional<TimePoint> lastUnejection;
    int numEjections = 0;
    int ejectionBackoff = 0;  ///< multiplier of baseEjectionTime; +1 per ejection, -1 per healthy sweep
    void resetCounters() { consecutive5xx = consecutiveGatewayFailure = consecutiveLocalOriginFailure = 0; }
};

/// Records one result. Returns the thresholds that were reached by it, in Envoy's order (gateway
/// failure before 5xx); a threshold fires when its counter becomes exactly equal to it.
/// Non-split: a connect failure counts as a 503, a timeout as a 504. Split: both are local-origin
/// failures, and a response resets the local-origin counter.
std::vector<EjectionType> recordResult(HostMonitor& m, const OutlierConfig& c, OutlierSignal signal, int status);

/// Envoy's onConsecutiveErrorWorker: resets the counter of `type` (so the next threshold needs as
/// many new errors). Call before ejectionAllowed/eject; skip both when the host is already ejected.
void resetCounterFor(HostMonitor& m, EjectionType type);

/// ejectHost's check: 100 x (active + 1) / hosts <= maxEjectionPercent (hosts across every priority
/// of the cluster), or alwaysEjectOne while nothing is ejected.
bool ejectionAllowed(const OutlierConfig& c, std::size_t activeEjections, std::size_t totalHosts);

/// Ejects: marks the host, counts the ejection, grows the backoff (capped so that base x backoff
/// stays within max + base). Returns the earliest un-ejection time.
TimePoint eject(HostMonitor& m, const OutlierConfig& c, TimePoint now);

/// How long an ejection with the current backoff lasts: min(base x backoff, maxEjectionTime).
Duration ejectionDuration(const HostMonitor& m, const OutlierConfig& c);

/// The interval sweep for one host (checkHostForUneject). An ejected host whose time is up is
/// un-ejected with its counters reset (returns true). A healthy host that was un-ejected and not
/// ejected since has its backoff decreased by one.
bool sweepHost(HostMonitor& m, const OutlierConfig& c, TimePoint now);

/// The first interval tick strictly after `now`, ticks being epoch + k x interval (k >= 1).
TimePoint nextSweep(TimePoint epoch, Duration interval, TimePoint now);

}  // namespace aigw::routing
