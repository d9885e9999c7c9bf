// Parsing a cluster's config, the three readers side by side on the same input (the config_scale
// generator's kubectl-shaped List at 491 to 4,208 objects): yaml-cpp (what the loader used first),
// libyaml's events (YamlTree::parseEvents, two threads on a large List) and the block scanner
// (YamlTree::parseBlock), then the whole load (loadString: parse, typed objects, validation).
// Each figure is the median of ROUNDS runs, wall and CPU time of the process; the load average is
// printed because the machine may be shared.
//
//   build/bench/yaml_bench [ROUNDS]
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/yaml_tree.h"
#include "config_scale_gen.h"

namespace {

double now(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Figure {
    double wall = 0, cpu = 0;
};

Figure median(int rounds, const std::function<void()>& run) {
    std::vector<double> wall, cpu;
    for (int i = 0; i < rounds; ++i) {
        const double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        run();
        wall.push_back(now(CLOCK_MONOTONIC) - w0);
        cpu.push_back(now(CLOCK_PROCESS_CPUTIME_ID) - c0);
    }
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

std::string loadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace aigw::config;
    const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    std::printf("yaml_bench: median of %d runs, wall / CPU ms; load average %s at the start\n", rounds, loadAverage().c_str());
    std::printf("%-8s %-5s | %-15s | %-15s | %-15s | %-15s\n", "objects", "MiB", "yaml-cpp", "libyaml events", "block scanner",
                "loadString");
    for (const int routes : {23, 47, 95, 190, 200}) {
        aigw::bench::ScaleSpec spec;
        spec.routes = routes;
        const std::string text = aigw::bench::generateClusterYaml(spec);
        // The readers must agree before their times mean anything.
        const auto events = YamlTree::parseEvents(text);
        const auto block = YamlTree::parseBlock(text);
        if (!events || !block || events->bytes() == 0 || block->document(0).child("items").size() !=
                                                               events->document(0).child("items").size()) {
            std::fprintf(stderr, "yaml_bench: the readers disagree on %d routes\n", routes);
            return 1;
        }
        const Figure cpp = median(rounds, [&] { YAML::LoadAll(text); });
        const Figure ev = median(rounds, [&] { YamlTree::parseEvents(text); });
        const Figure bl = median(rounds, [&] { YamlTree::parseBlock(text); });
        const Figure all = median(rounds, [&] { loadString(text, "cluster.yaml"); });
        std::printf("%-8zu %-5.1f | %6.1f / %6.1f | %6.1f / %6.1f | %6.1f / %6.1f | %6.1f / %6.1f\n",
                    aigw::bench::documentCount(spec), static_cast<double>(text.size()) / (1 << 20), cpp.wall, cpp.cpu, ev.wall,
                    ev.cpu, bl.wall, bl.cpu, all.wall, all.cpu);
    }
    std::printf("yaml_bench: load average %s at the end\n", loadAverage().c_str());
    return 0;
}
