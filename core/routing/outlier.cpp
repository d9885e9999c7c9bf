#include "routing/outlier.h"

#include <algorithm>

namespace aigw::routing {

OutlierConfig OutlierConfig::fromPassive(const config::PassiveHealthCheck& p) {
    OutlierConfig c;
    c.split = p.effectiveSplit();
    c.interval = std::max(p.effectiveInterval(), ms(1));  // a zero interval would sweep forever
    c.consecutive5xx = p.effectiveConsecutive5xx();
    c.consecutiveGatewayFailure = p.consecutiveGatewayErrors.value_or(0);
    c.consecutiveLocalOriginFailure = p.effectiveConsecutiveLocalOriginFailures();
    c.baseEjectionTime = p.effectiveBaseEjectionTime();
    c.maxEjectionPercent = std::clamp<std::int64_t>(p.effectiveMaxEjectionPercent(), 0, 100);
    c.alwaysEjectOne = p.effectiveAlwaysEjectOne();
    return c;
}

const char* nameOf(EjectionType t) {
    switch (t) {
    case EjectionType::Consecutive5xx: return "consecutive_5xx";
    case EjectionType::ConsecutiveGatewayFailure: return "consecutive_gateway_failure";
    case EjectionType::ConsecutiveLocalOriginFailure: return "consecutive_local_origin_failure";
    }
    return "?";
}

namespace {

void putHttpResponseCode(HostMonitor& m, const OutlierConfig& c, int status, std::vector<EjectionType>& fired) {
    if (status >= 500 && status < 600) {
        if (status == 502 || status == 503 || status == 504) {
            if (++m.consecutiveGatewayFailure == c.consecutiveGatewayFailure && c.consecutiveGatewayFailure > 0)
                fired.push_back(EjectionType::ConsecutiveGatewayFailure);
        } else {
            m.consecutiveGatewayFailure = 0;
        }
        if (++m.consecutive5xx == c.consecutive5xx && c.consecutive5xx > 0)
            fired.push_back(EjectionType::Consecutive5xx);
    } else {
        m.consecutive5xx = 0;
        m.consecutiveGatewayFailure = 0;
    }
}

}  // namespace

std::vector<EjectionType> recordResult(HostMonitor& m, const OutlierConfig& c, OutlierSignal signal, int status) {
    std::vector<EjectionType> fired;
    if (!c.split) {
        switch (signal) {
        case OutlierSignal::HttpStatus: putHttpResponseCode(m, c, status, fired); break;
        case OutlierSignal::ConnectFailed: putHttpResponseCode(m, c, 503, fired); break;
        case OutlierSignal::Timeout: putHttpResponseCode(m, c, 504, fired); break;
        }
        return fired;
    }
    switch (signal) {
    case OutlierSignal::HttpStatus:
        m.consecutiveLocalOriginFailure = 0;  // the connection worked
        putHttpResponseCode(m, c, status, fired);
        break;
    case OutlierSignal::ConnectFailed:
    case OutlierSignal::Timeout:
        if (++m.consecutiveLocalOriginFailure == c.consecutiveLocalOriginFailure && c.consecutiveLocalOriginFailure > 0)
            fired.push_back(EjectionType::ConsecutiveLocalOriginFailure);
        break;
    }
    return fired;
}

void resetCounterFor(HostMonitor& m, EjectionType type) {
    switch (type) {
    case EjectionType::Consecutive5xx: m.consecutive5xx = 0; break;
    case EjectionType::ConsecutiveGatewayFailure: m.consecutiveGatewayFailure = 0; break;
    case EjectionType::ConsecutiveLocalOriginFailure: m.consecutiveLocalOriginFailure = 0; break;
    }
}

bool ejectionAllowed(const OutlierConfig& c, std::size_t activeEjections, std::size_t totalHosts) {
    if (totalHosts == 0)
        return false;
    // Envoy computes this as a double: 1 of 2 hosts is 50%, which maxEjectionPercent 10 refuses.
    const double percent = 100.0 * static_cast<double>(activeEjections + 1) / static_cast<double>(totalHosts);
    return percent <= static_cast<double>(c.maxEjectionPercent) || (c.alwaysEjectOne && activeEjections == 0);
}

Duration ejectionDuration(const HostMonitor& m, const OutlierConfig& c) {
    return std::min(c.baseEjectionTime * m.ejectionBackoff, c.maxEjectionTime);
}

TimePoint eject(HostMonitor& m, const OutlierConfig& c, TimePoint now) {
    m.ejected = true;
    ++m.numEjections;
    m.lastEjection = now;
    if (c.baseEjectionTime * m.ejectionBackoff < c.maxEjectionTime + c.baseEjectionTime)
        ++m.ejectionBackoff;
    return now + ejectionDuration(m, c);
}

bool sweepHost(HostMonitor& m, const OutlierConfig& c, TimePoint now) {
    if (!m.ejected) {
        const bool unejectedSinceLastEjection =
            m.lastUnejection && (!m.lastEjection || *m.lastUnejection >= *m.lastEjection);
        if (unejectedSinceLastEjection && m.ejectionBackoff > 0)
            --m.ejectionBackoff;
        return false;
    }
    if (m.lastEjection && ejectionDuration(m, c) <= now - *m.lastEjection) {
        m.ejected = false;
        m.resetCounters();  // so a host just back is not re-ejected on its old near-threshold count
        m.lastUnejection = now;
        return true;
    }
    return false;
}

TimePoint nextSweep(TimePoint epoch, Duration interval, TimePoint now) {
    if (interval <= Duration::zero())
        return now;
    if (now < epoch)
        return epoch + interval;
    const auto k = (now - epoch) / interval + 1;
    return epoch + interval * k;
}

}  // namespace aigw::routing
