#pragma once
// Properties of the config chain (load -> validate -> doctor -> export) that hold for any input.
// Shared by the libFuzzer target (fuzz/fuzz_config.cpp) and the seeded QtTest fuzz test
// (tests/config/test_config_fuzz.cpp), so both check the same thing.

#include <optional>
#include <string>

#include "config/doctor.h"
#include "config/exporter.h"
#include "config/loader.h"
#include "config/validate.h"

namespace aigw::config::fuzz {

/// What a run of the chain did, for the seeded test's coverage checks.
struct ChainStats {
    bool loaded = false;     ///< loaded without errors
    std::size_t findings = 0;
    std::size_t fixesApplied = 0;
};

namespace detail {
/// The export of `config` must load back and export identically; `back` gets what it loaded.
inline std::optional<std::string> exportRoundTrips(const Config& config, const char* what, LoadResult* back = nullptr) {
    const std::string out = exportYaml(config, {});
    LoadResult loaded = loadString(out, "export.yaml");
    const std::string again = exportYaml(loaded.config, {});
    if (again != out)
        return std::string(what) + ": the export does not export identically once loaded back\n--- export:\n" + out +
               "--- export of it:\n" + again;
    if (back)
        *back = std::move(loaded);
    return std::nullopt;
}
}  // namespace detail

/// Runs the whole chain on `text`; returns the first property that does not hold, with the detail.
///  1. A document that loads without errors validates (validate() finds nothing either).
///  2. What exports loads back and exports identically (so does a config the loader reported errors on).
///  3. A config that loaded without errors still loads without errors from its own export.
///  4. Every finding formats to text, and its fix applies to a copy without harm; the config with
///     every fix applied (applyAllFixes, the doctor's "fix all") round-trips like any export.
/// (One round trip for all the fixes, not one per fix: that kept the instrumented builds' runs
/// several times longer for little more coverage.)
inline std::optional<std::string> checkChain(const std::string& text, ChainStats* stats = nullptr) {
    const LoadResult r = loadString(text, "fuzz.yaml");
    if (r.ok()) {
        if (const auto errors = validate(r.config); !errors.empty())
            return "loaded without errors, yet validate() reports: " + errors.front().toString();
    }
    LoadResult back;
    if (auto bad = detail::exportRoundTrips(r.config, "loaded config", &back))
        return bad;
    if (r.ok() && !back.ok())
        return "loaded without errors, but its export does not: " + back.errors.front().toString();
    ChainStats s;
    s.loaded = r.ok();
    for (const auto& f : diagnose(r.config)) {
        ++s.findings;
        if (formatFinding(f).empty())
            return "a finding formats to nothing";
        Config copy = r.config;
        s.fixesApplied += applyFix(copy, f);
    }
    if (s.fixesApplied > 0) {
        if (auto bad = detail::exportRoundTrips(applyAllFixes(r.config), "config with every doctor fix applied"))
            return bad;
    }
    if (stats)
        *stats = s;
    return std::nullopt;
}

}  // namespace aigw::config::fuzz
