#include "common/random.h"

#include <random>

namespace aigw {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

std::uint64_t Random::below(std::uint64_t bound) {
    if (bound == 0)
        return 0;
    // Lemire's nearly-divisionless method with rejection: unbiased.
    for (;;) {
        const unsigned __int128 m = static_cast<unsigned __int128>(next()) * bound;
        const auto low = static_cast<std::uint64_t>(m);
        if (low >= bound || low >= (-bound) % bound)
            return static_cast<std::uint64_t>(m >> 64);
    }
}

SeededRandom::SeededRandom(std::uint64_t seed) : m_seed(seed) {
    std::uint64_t x = seed;
    for (auto& s : m_s)
        s = splitmix64(x);
}

std::uint64_t SeededRandom::next() {
    const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
    const std::uint64_t t = m_s[1] << 17;
    m_s[2] ^= m_s[0];
    m_s[3] ^= m_s[1];
    m_s[1] ^= m_s[2];
    m_s[0] ^= m_s[3];
    m_s[2] ^= t;
    m_s[3] = rotl(m_s[3], 45);
    return result;
}

std::uint64_t SeededRandom::osSeed() {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace aigw
