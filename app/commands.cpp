#include "commands.h"

namespace aigw::app {

// Each mode is defined in its own cmd_*.cpp.

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
    };
    return table;
}

int runDefault(const Args& args) {
    (void)args;
    return 0;
}

}  // namespace aigw::app
