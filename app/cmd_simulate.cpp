// `aigw-sim simulate`: the routing core in virtual time against simulated model servers.
// Parsing, simulation and formatting live in core/sim; this only wires files, output and exit codes.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "config/builtin.h"
#include "config/loader.h"
#include "sim/options.h"
#include "sim/simulator.h"

namespace aigw::app {

int runSimulate(const Args& args) {
    auto parsed = sim::parseArgs(args);
    if (!parsed) {
        std::fprintf(stderr, "aigw-sim simulate: %s\n\n%s", parsed.error().message.c_str(), sim::usage());
        return 2;
    }
    const sim::SimOptions& options = parsed.value();
    if (options.help) {
        std::fputs(sim::usage(), stdout);
        return 0;
    }
    config::LoadResult loaded =
        options.configFiles.empty() ? config::loadBuiltinScenario() : config::loadFiles(options.configFiles);
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors)
            std::fprintf(stderr, "%s\n", e.toString().c_str());
        std::fprintf(stderr, "aigw-sim simulate: the configuration has %zu error(s); see `aigw-sim check`\n",
                     loaded.errors.size());
        return 2;
    }
    auto report = sim::simulate(std::make_shared<const config::Config>(std::move(loaded.config)), options);
    if (!report) {
        std::fprintf(stderr, "aigw-sim simulate: %s\n", report.error().message.c_str());
        return 2;
    }
    const std::string out = options.json ? sim::toJson(report.value()) : sim::toTable(report.value());
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
}

}  // namespace aigw::app
