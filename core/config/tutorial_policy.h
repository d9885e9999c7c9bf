#pragma once
// The tutorial's fallback policy, as written and as fixed (used by the lessons' `policy:` setting,
// the desktop app's tutorial steps and the screenshots).

#include <cstdint>
#include <optional>

#include "config/model.h"

namespace aigw::config {

/// Sets or clears `numAttemptsPerPriority` on every BackendTrafficPolicy retry and drops the passive
/// health check (the tutorial has none): std::nullopt is the tutorial's policy as written (retries
/// stay on priority 0), 1 is the fix.
Config withAttemptsPerPriority(Config config, std::optional<std::int64_t> value);

/// The tutorial's fallback policy exactly as written (provider-fallback.yaml's BackendTrafficPolicy:
/// targets the Gateway, retries without numAttemptsPerPriority, no health check) in place of every
/// BackendTrafficPolicy of `config`. The doctor's locations point into provider-fallback.yaml.
Config withTutorialPolicy(Config config);

}  // namespace aigw::config
