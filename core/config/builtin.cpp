#include "config/builtin.h"

#include "common/log.h"
#include "config/builtin_data.h"

namespace aigw::config {

LoadResult loadBuiltinScenario() {
    std::vector<Source> sources;
    for (std::size_t i = 0; i < builtin_data::kFileCount; ++i)
        sources.push_back(Source{std::string(kBuiltinPrefix) + builtin_data::kFiles[i].name, builtin_data::kFiles[i].text});
    return loadSources(sources);
}

Config builtinScenario() {
    LoadResult r = loadBuiltinScenario();
    for (const auto& e : r.errors)
        aigw::log::get("config")->error("built-in scenario: {}", e.toString());
    return std::move(r.config);
}

std::string builtinScenarioYaml() {
    std::string out;
    for (std::size_t i = 0; i < builtin_data::kFileCount; ++i) {
        if (!out.empty())
            out += "---\n";
        out += builtin_data::kFiles[i].text;
        if (!out.empty() && out.back() != '\n')
            out += '\n';
    }
    return out;
}

}  // namespace aigw::config
