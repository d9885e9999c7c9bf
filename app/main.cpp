// Composition root: picks the command-line mode and hands over. No logic lives here.
#include <cstdio>
#include <string>

#include "aigw_version.h"
#include "commands.h"

int main(int argc, char** argv) {
    using namespace aigw::app;
    Args args(argv + 1, argv + argc);
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
        std::printf("usage: aigw-sim [MODE] [OPTIONS] [FILE...]\n       aigw-sim --version\n\nmodes:\n");
        for (const auto& c : commands())
            std::printf("  %-10s %s\n", c.name, c.summary);
        std::printf("\nWithout a mode, aigw-sim runs the desktop app (headless without a display) on the\n"
                    "YAML FILEs given, else on its built-in default scenario.\n"
                    "Run `aigw-sim MODE --help` for a mode's options.\n");
        return 0;
    }
    if (!args.empty() && (args[0] == "--version" || args[0] == "-V")) {
        // The project's version and, built from git, the commit (cmake/AigwVersion.cmake).
        std::printf("aigw-sim %s%s%s%s\n", AIGW_VERSION, sizeof(AIGW_GIT_COMMIT) > 1 ? " (git " : "", AIGW_GIT_COMMIT,
                    sizeof(AIGW_GIT_COMMIT) > 1 ? ")" : "");
        return 0;
    }
    if (!args.empty() && args[0].rfind("-", 0) != 0) {
        for (const auto& c : commands())
            if (args[0] == c.name)
                return c.run(Args(args.begin() + 1, args.end()));
        // `aigw-sim my-gateway.yaml ...`: files without a mode go to the default mode.
        if (looksLikeFile(args[0]))
            return runDefault(args);
        std::fprintf(stderr, "aigw-sim: unknown mode '%s' (see aigw-sim --help)\n", args[0].c_str());
        return 2;
    }
    return runDefault(args);
}
