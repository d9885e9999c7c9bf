#include "commands.h"

namespace aigw::app {

// Each mode is defined in its own cmd_*.cpp.

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"check", "validate manifests and explain what the real gateway will do", runCheck},
        {"export", "write the manifests as kubectl-applyable YAML", runExport},
        {"gui", "the desktop app: topology, servers, load, charts, tutorial (default with a display)", runGui},
        {"screenshots", "render the main window in each state under load to PNGs (--out DIR)", runScreenshots},
        {"simulate", "run N requests through the routing core in virtual time (no sockets)", runSimulate},
        {"headless", "gateway + model servers + admin API without a window (also --headless)", runHeadless},
    };
    return table;
}

int runDefault(const Args& args) {
    if (!args.empty() && args[0] == "--headless")
        return runHeadless(Args(args.begin() + 1, args.end()));
    (void)args;
    return runCheck({});
}

}  // namespace aigw::app
