#pragma once
// Randomness is injected (as Envoy's RandomGenerator). Production seeds from the OS and logs the
// seed so a run can be replayed; tests and the simulator pass a fixed seed.

#include <cstdint>

namespace aigw {

class Random {
public:
    virtual ~Random() = default;
    /// Uniformly distributed 64-bit value.
    virtual std::uint64_t next() = 0;
    /// Uniform in [0, 1).
    double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /// Uniform in [0, bound) for bound > 0; 0 when bound == 0.
    std::uint64_t below(std::uint64_t bound);
};

/// xoshiro256** seeded through splitmix64: fast, good quality, identical on every platform.
class SeededRandom final : public Random {
public:
    explicit SeededRandom(std::uint64_t seed);
    std::uint64_t next() override;
    std::uint64_t seed() const { return m_seed; }
    /// A seed from the OS entropy source, for production runs (log it).
    static std::uint64_t osSeed();

private:
    std::uint64_t m_seed;
    std::uint64_t m_s[4];
};

}  // namespace aigw
