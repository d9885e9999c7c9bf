// libFuzzer: the scenario file loader. A scenario that loads must serialize (toYaml, the GUI's
// Record) to text that loads back without errors and serializes identically.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "scenario/scenario.h"

using namespace aigw::scenario;

namespace {
[[noreturn]] void fail(const std::string& what, const std::string& detail) {
    std::fprintf(stderr, "scenario property violated: %s\n%s\n", what.c_str(), detail.c_str());
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    // A directory that does not exist: `config.files` never reads anything from the machine.
    const ScenarioLoad load = loadScenarioText(text, "fuzz.yaml", "/nonexistent-aigw-fuzz");
    if (!load.ok())
        return 0;
    const std::string yaml = toYaml(*load.scenario);
    const ScenarioLoad back = loadScenarioText(yaml, "record.yaml", "/nonexistent-aigw-fuzz");
    if (!back.ok())
        fail("toYaml of a loaded scenario does not load back: " + back.errors.front().toString(), yaml);
    const std::string again = toYaml(*back.scenario);
    if (again != yaml)
        fail("toYaml does not serialize identically once loaded back", yaml + "\n--- then:\n" + again);
    return 0;
}
