#pragma once
// Time is injected (as Envoy's TimeSource): production reads the steady clock, tests and the
// virtual-time simulator use ManualClock, so every decision is reproducible.

#include <chrono>
#include <cstdint>

namespace aigw {

using Duration = std::chrono::nanoseconds;
/// Monotonic time since an arbitrary epoch (process start for SteadyClock, 0 for ManualClock).
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

inline constexpr Duration ms(std::int64_t v) { return std::chrono::milliseconds(v); }
inline constexpr Duration secs(std::int64_t v) { return std::chrono::seconds(v); }
inline double toMs(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

/// The real monotonic clock.
class SteadyClock final : public Clock {
public:
    TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

/// A clock that moves only when told to. Starts at the epoch.
class ManualClock final : public Clock {
public:
    TimePoint now() const override { return m_now; }
    void set(TimePoint t) { m_now = t; }
    void advance(Duration d) { m_now += d; }

private:
    TimePoint m_now{};
};

}  // namespace aigw
