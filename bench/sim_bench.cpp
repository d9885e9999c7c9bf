// Benchmark: 1,000,000 simulated requests through the routing core in virtual time.
// Prints wall time, simulated requests per second and the weighted split error.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "config/loader.h"
#include "sim/simulator.h"

using namespace aigw;

namespace {

std::shared_ptr<const config::Config> load(bool withFallback) {
    std::vector<std::string> files = {"gateway-setup.yaml", "primary-model.yaml", "secondary-model.yaml",
                                      "tertiary-model.yaml", "model-virtualization.yaml"};
    if (withFallback) {
        files.push_back("provider-fallback.yaml");
        files.push_back("provider-fallback-corrected.yaml");
    }
    for (auto& f : files)
        f = std::string(AIGW_BENCH_SOURCE_DIR) + "/samples/" + f;
    auto r = config::loadFiles(files);
    if (!r.ok()) {
        for (const auto& e : r.errors)
            std::fprintf(stderr, "%s\n", e.toString().c_str());
        return nullptr;
    }
    return std::make_shared<const config::Config>(std::move(r.config));
}

int run(const char* title, std::shared_ptr<const config::Config> cfg, std::vector<std::string> args) {
    auto parsed = sim::parseArgs(args);
    if (!parsed) {
        std::fprintf(stderr, "%s\n", parsed.error().message.c_str());
        return 1;
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto report = sim::simulate(cfg, parsed.value());
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!report) {
        std::fprintf(stderr, "%s\n", report.error().message.c_str());
        return 1;
    }
    const auto& r = report.value();
    std::printf("%s\n", title);
    std::printf("  requests %llu in %.2f s wall (%.0f simulated requests/s), %.0f s virtual; attempts %llu, "
                "succeeded %llu, failed %llu, ejections %llu\n",
                static_cast<unsigned long long>(r.requests), wall, static_cast<double>(r.requests) / wall,
                toMs(r.virtualDuration) / 1000.0, static_cast<unsigned long long>(r.counters.upstream_rq_attempts),
                static_cast<unsigned long long>(r.succeeded), static_cast<unsigned long long>(r.failed),
                static_cast<unsigned long long>(r.counters.outlier_ejections_enforced_total));
    for (const auto& [backend, n] : r.byBackend)
        std::printf("  %-40s %9llu  %6.3f%%\n", backend.c_str(), static_cast<unsigned long long>(n),
                    100.0 * static_cast<double>(n) / static_cast<double>(r.requests));
    return 0;
}

double splitError(std::shared_ptr<const config::Config> cfg, std::uint64_t seed, std::uint64_t n) {
    sim::SimOptions o;
    o.model = "virtual-qwen-model";
    o.requests = n;
    o.rate = 100;
    o.seed = seed;
    const auto r = sim::simulate(cfg, o).value();
    const std::pair<const char*, double> want[] = {{"envoy-ai-gateway-qwen-primary", 50.0},
                                                   {"envoy-ai-gateway-qwen-secondary", 30.0},
                                                   {"envoy-ai-gateway-qwen-tertiary", 20.0}};
    double worst = 0;
    for (const auto& [b, share] : want) {
        auto it = r.byBackend.find(b);
        const double got = it == r.byBackend.end() ? 0.0 : 100.0 * static_cast<double>(it->second) / static_cast<double>(n);
        worst = std::max(worst, std::abs(got - share));
    }
    return worst;
}

}  // namespace

int main() {
    auto t1 = load(false);
    auto t2 = load(true);
    if (!t1 || !t2)
        return 1;
    double worst = 0;
    for (std::uint64_t seed = 1; seed <= 20; ++seed)
        worst = std::max(worst, splitError(t1, seed, 10000));
    std::printf("Ticket 1 split over 10,000 requests, seeds 1..20: worst error %.3f percentage points (50/30/20)\n\n", worst);
    int rc = run("Ticket 1 (50/30/20), 1,000,000 requests at 1000 rps:", t1,
                 {"--model", "virtual-qwen-model", "--requests", "1000000", "--rate", "1000", "--seed", "1"});
    rc |= run("Ticket 2 corrected, 1,000,000 requests at 1000 rps, qwen-primary stopped 100s..500s:", t2,
              {"--model", "qwen-with-fallback", "--requests", "1000000", "--rate", "1000", "--seed", "1", "--event",
               "100s:qwen-primary:stop", "--event", "500s:qwen-primary:start"});
    return rc;
}
