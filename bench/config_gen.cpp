// config_gen: writes a cluster-sized configuration as `kubectl get ... -A -o yaml` prints it
// (bench/config_scale_gen.h), for bench/config_scale.sh and for trying the simulator at scale.
//   config_gen [--routes N] [--backends-per-route N] [--namespaces N] [--documents] [--no-server-fields]
//              [-o FILE]
// Prints the number of objects on standard error.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "config_scale_gen.h"

int main(int argc, char** argv) {
    aigw::bench::ScaleSpec spec;
    std::string output;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto number = [&](int& target) {
            if (i + 1 >= argc || std::atoi(argv[i + 1]) <= 0) {
                std::fprintf(stderr, "config_gen: %s needs a positive number\n", a.c_str());
                std::exit(2);
            }
            target = std::atoi(argv[++i]);
        };
        if (a == "--routes") {
            number(spec.routes);
        } else if (a == "--backends-per-route") {
            number(spec.backendsPerRoute);
        } else if (a == "--namespaces") {
            number(spec.namespaces);
        } else if (a == "--documents") {
            spec.asList = false;
        } else if (a == "--no-server-fields") {
            spec.serverFields = false;
        } else if (a == "-o" && i + 1 < argc) {
            output = argv[++i];
        } else {
            std::fprintf(stderr,
                         "usage: config_gen [--routes N] [--backends-per-route N] [--namespaces N] [--documents]\n"
                         "                  [--no-server-fields] [-o FILE]\n");
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    const std::string yaml = aigw::bench::generateClusterYaml(spec);
    if (output.empty()) {
        std::fwrite(yaml.data(), 1, yaml.size(), stdout);
    } else {
        std::ofstream out(output, std::ios::binary | std::ios::trunc);
        out << yaml;
        if (!out) {
            std::fprintf(stderr, "config_gen: cannot write '%s'\n", output.c_str());
            return 1;
        }
    }
    std::fprintf(stderr, "%zu objects\n", aigw::bench::documentCount(spec));
    return 0;
}
