// `aigw-sim export [FILE...] [--api-version v1beta1|v1alpha1] [-o FILE] [--strip-sim] [--keep-server-fields]`:
// deterministic, kubectl-applyable YAML. Only a configuration without errors is exported.
#include <cstdio>
#include <fstream>
#include <string>

#include "commands.h"
#include "config/builtin.h"
#include "config/exporter.h"
#include "config/loader.h"

namespace aigw::app {
namespace {

void printExportHelp() {
    std::printf(
        "usage: aigw-sim export [FILE... | --config FILE...] [--api-version v1beta1|v1alpha1] [-o FILE] [--strip-sim]\n"
        "                       [--keep-server-fields]\n\n"
        "Writes the manifests as deterministic, kubectl-applyable YAML (comments are not kept).\n"
        "Without FILE, exports the built-in default scenario. FILE - reads standard input; a kind: List\n"
        "(kubectl get -o yaml) is written as one document per object.\n\n"
        "  --api-version V  aigateway.envoyproxy.io version for AIGatewayRoute and AIServiceBackend:\n"
        "                   v1beta1 (default, AI Gateway v0.6+) or v1alpha1 (AI Gateway <= v0.5)\n"
        "  -o FILE          write to FILE instead of standard output\n"
        "  --strip-sim      drop the simulator-only aigw-sim/... annotations and documents (a Scenario)\n"
        "  --keep-server-fields  keep what the API server added to objects read from a cluster (status,\n"
        "                   metadata.uid, resourceVersion, generation, creationTimestamp, managedFields,\n"
        "                   the last-applied-configuration annotation); dropped by default\n\n"
        "Exit status: 0 exported, 1 the input has errors (nothing is written) or FILE cannot be\n"
        "written, 2 bad arguments.\n");
}

}  // namespace

int runExport(const Args& args) {
    std::vector<std::string> files;
    config::ExportOptions options;
    std::string output;
    bool optionsDone = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (optionsDone || a.empty() || a[0] != '-' || a == "-") {
            files.push_back(a);
            continue;
        }
        if (a == "--") {
            optionsDone = true;
        } else if (a == "--config") {
            // `--config FILE...`, as the other modes take it: the files follow.
        } else if (a == "--help" || a == "-h") {
            printExportHelp();
            return 0;
        } else if (a == "--strip-sim") {
            options.stripSim = true;
        } else if (a == "--keep-server-fields") {
            options.keepServerFields = true;
        } else if (a == "--api-version" || a.rfind("--api-version=", 0) == 0) {
            std::string v;
            if (a == "--api-version") {
                if (i + 1 >= args.size()) {
                    std::fprintf(stderr, "aigw-sim export: --api-version needs a value (v1beta1 or v1alpha1)\n");
                    return 2;
                }
                v = args[++i];
            } else {
                v = a.substr(std::string("--api-version=").size());
            }
            if (v.rfind("aigateway.envoyproxy.io/", 0) == 0)
                v = v.substr(std::string("aigateway.envoyproxy.io/").size());
            if (!config::isSupportedApiVersion(v)) {
                std::fprintf(stderr, "aigw-sim export: unsupported --api-version '%s' (use v1beta1 or v1alpha1)\n", v.c_str());
                return 2;
            }
            options.apiVersion = v;
        } else if (a == "-o" || a == "--output") {
            if (i + 1 >= args.size()) {
                std::fprintf(stderr, "aigw-sim export: %s needs a file name\n", a.c_str());
                return 2;
            }
            output = args[++i];
        } else {
            std::fprintf(stderr, "aigw-sim export: unknown option '%s' (see aigw-sim export --help)\n", a.c_str());
            return 2;
        }
    }

    const config::LoadResult loaded = files.empty() ? config::loadBuiltinScenario() : config::loadFiles(files);
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors)
            std::fprintf(stderr, "%s\n", e.toString().c_str());
        std::fprintf(stderr, "aigw-sim export: not exported: %zu error(s) (see aigw-sim check)\n", loaded.errors.size());
        return 1;
    }
    const std::string yaml = config::exportYaml(loaded.config, options);
    if (output.empty()) {
        std::fwrite(yaml.data(), 1, yaml.size(), stdout);
        return 0;
    }
    std::ofstream out(output, std::ios::binary | std::ios::trunc);
    out << yaml;
    out.close();
    if (!out) {
        std::fprintf(stderr, "aigw-sim export: cannot write '%s'\n", output.c_str());
        return 1;
    }
    return 0;
}

}  // namespace aigw::app
