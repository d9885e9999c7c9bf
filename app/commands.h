#pragma once
// Command-line modes of aigw-sim. Each mode lives in its own cmd_*.cpp; main.cpp only dispatches.

#include <string>
#include <vector>

namespace aigw::app {

using Args = std::vector<std::string>;  ///< arguments after the mode name

struct Command {
    const char* name;     ///< first argument that selects it, e.g. "check"
    const char* summary;  ///< one line for --help
    int (*run)(const Args& args);
};

/// The modes built into this binary, in --help order.
const std::vector<Command>& commands();
/// `simulate`: N requests through the routing core in virtual time (cmd_simulate.cpp).
int runSimulate(const Args& args);

/// `scenario run|list`: scenario files in virtual time or live, judged (cmd_scenario.cpp).
int runScenario(const Args& args);

/// `--headless`: the data plane (proxy, model servers, admin API) without a window (cmd_headless.cpp).
int runHeadless(const Args& args);

/// `check [FILE...]`: validation errors and config doctor findings (cmd_check.cpp).
int runCheck(const Args& args);
/// `export [FILE...]`: deterministic, kubectl-applyable YAML (cmd_export.cpp).
int runExport(const Args& args);
/// `edit FILE... --set EXPR`: field edits saved back into the files in place (cmd_edit.cpp).
int runEdit(const Args& args);
/// `apply-fix FILE...`: the doctor's fixes saved back into the files in place (cmd_edit.cpp).
int runApplyFix(const Args& args);

/// `gui`: the desktop app with the gateway and model servers started (cmd_gui.cpp).
int runGui(const Args& args);
/// `screenshots --out DIR`: drives the window through both tickets under load, one PNG per view.
int runScreenshots(const Args& args);

/// Mode used when aigw-sim is started without a mode name.
int runDefault(const Args& args);
/// True when a first argument that names no mode is a manifest (`aigw-sim my-gateway.yaml`):
/// a .yaml/.yml name or an existing file.
bool looksLikeFile(const std::string& arg);

}  // namespace aigw::app
