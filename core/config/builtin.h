#pragma once
// The built-in default scenario: the tutorial's manifests (samples/) with the corrected fallback
// policy instead of the tutorial's, compiled into the binary from the sample files at build time.

#include <string>

#include "config/loader.h"
#include "config/model.h"

namespace aigw::config {

/// File name prefix of the built-in scenario's locations ("<builtin>/gateway-setup.yaml").
inline constexpr const char* kBuiltinPrefix = "<builtin>/";

/// The built-in scenario, loaded and validated (namespace `default`).
Config builtinScenario();
/// The same, with the loader's errors (none, a test checks it).
LoadResult loadBuiltinScenario();
/// The built-in scenario as one multi-document YAML text (what `builtinScenario()` loads).
std::string builtinScenarioYaml();

}  // namespace aigw::config
