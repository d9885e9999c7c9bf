#include "commands.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>

namespace aigw::app {

// Each mode is defined in its own cmd_*.cpp.

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"simulate", "run N requests through the routing core in virtual time (no sockets)", runSimulate},
        {"scenario", "run scenario files (config, load, timeline, expectations) and judge them; list lessons", runScenario},
        {"check", "validate manifests and explain what the real gateway will do", runCheck},
        {"export", "write the manifests as kubectl-applyable YAML", runExport},
        {"edit", "change weights, priorities, overrides, policy fields in the files in place (prints the diff)", runEdit},
        {"apply-fix", "apply the doctor's fixes to the files in place (prints the diff)", runApplyFix},
        {"gui", "the desktop app: topology, servers, load, charts, tutorial (default with a display)", runGui},
        {"screenshots", "render the main window in each state under load to PNGs (--out DIR)", runScreenshots},
        {"headless", "gateway + model servers + admin API without a window (also --headless)", runHeadless},
    };
    return table;
}

bool looksLikeFile(const std::string& arg) {
    const auto endsWith = [&](std::string_view suffix) {
        return arg.size() > suffix.size() && arg.compare(arg.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    std::error_code ec;
    return endsWith(".yaml") || endsWith(".yml") || std::filesystem::is_regular_file(arg, ec);
}

int runDefault(const Args& args) {
    if (!args.empty() && args[0] == "--headless")
        return runHeadless(Args(args.begin() + 1, args.end()));
    // The desktop app needs a display; without one the same scenario runs headless.
    const bool display = std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY") || std::getenv("QT_QPA_PLATFORM");
    if (display)
        return runGui(args);
    std::fprintf(stderr, "aigw-sim: no display (DISPLAY, WAYLAND_DISPLAY and QT_QPA_PLATFORM are unset): "
                         "running the gateway headless; see `aigw-sim --help`\n");
    return runHeadless(args);
}

}  // namespace aigw::app
