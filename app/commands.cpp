#include "commands.h"

namespace aigw::app {

// Each mode is defined in its own cmd_*.cpp.

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"simulate", "run N requests through the routing core in virtual time (no sockets)", runSimulate},
    };
    return table;
}

int runDefault(const Args& args) {
    (void)args;
    return 0;
}

}  // namespace aigw::app
