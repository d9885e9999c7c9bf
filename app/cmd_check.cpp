// `aigw-sim check [FILE...]`: validation errors, then doctor findings, then the kinds the
// simulator keeps but does not simulate and the backends whose schema translation it does not
// simulate. Exit 1 on validation errors, 2 on bad arguments.
#include <cstdio>
#include <string>

#include "commands.h"
#include "config/builtin.h"
#include "config/doctor.h"
#include "config/loader.h"
#include "routing/engine.h"

namespace aigw::app {
namespace {

void printCheckHelp() {
    std::printf(
        "usage: aigw-sim check [FILE...] (or --config FILE...)\n\n"
        "Validates Envoy AI Gateway manifests against the CRDs and runs the config doctor, which\n"
        "explains what the real gateway will do and gives a YAML fix for each finding.\n"
        "Without FILE, checks the built-in default scenario. FILE - reads standard input\n"
        "(kubectl get aigatewayroutes,aiservicebackends,backends,backendtrafficpolicies -A -o yaml |\n"
        "aigw-sim check -); a kind: List is read item by item, and what the API server added (status,\n"
        "uid, resourceVersion, managedFields, ...) is ignored.\n\n"
        "Exit status: 0 no validation errors (findings do not change it), 1 validation errors,\n"
        "2 bad arguments.\n");
}

}  // namespace

int runCheck(const Args& args) {
    std::vector<std::string> files;
    bool optionsDone = false;
    for (const auto& a : args) {
        if (!optionsDone && (a == "--help" || a == "-h")) {
            printCheckHelp();
            return 0;
        }
        if (!optionsDone && a == "--") {
            optionsDone = true;
            continue;
        }
        if (!optionsDone && a == "--config")
            continue;  // `--config FILE...`, as the other modes take it: the files follow

        if (!optionsDone && a.size() > 1 && a[0] == '-') {
            std::fprintf(stderr, "aigw-sim check: unknown option '%s' (see aigw-sim check --help)\n", a.c_str());
            return 2;
        }
        files.push_back(a);
    }

    const config::LoadResult loaded = files.empty() ? config::loadBuiltinScenario() : config::loadFiles(files);
    if (files.empty())
        std::printf("Checking the built-in default scenario (the tutorial's manifests with the corrected fallback policy).\n\n");

    for (const auto& e : loaded.errors)
        std::printf("%s\n", e.toString().c_str());
    if (!loaded.errors.empty())
        std::printf("\n");

    const auto findings = config::diagnose(loaded.config);
    int warnings = 0;
    int infos = 0;
    int errorFindings = 0;
    for (const auto& f : findings) {
        std::printf("%s\n", config::formatFinding(f).c_str());
        (f.severity == config::Severity::Warning ? warnings : f.severity == config::Severity::Info ? infos : errorFindings)++;
    }

    const auto others = config::unsimulatedDocuments(loaded.config);
    if (!others.empty()) {
        std::printf("not simulated (kept and exported unchanged):\n");
        for (const auto* d : others)
            std::printf("  %s:%d: %s %s/%s\n", d->where.file.c_str(), d->where.line,
                        d->kindName.empty() ? "(no kind)" : d->kindName.c_str(), d->meta.effectiveNamespace().c_str(),
                        d->meta.name.c_str());
        std::printf("\n");
    }

    // The simulator forwards every request as the client sent it, only `model` replaced (OpenAI ->
    // OpenAI); the real gateway translates requests and responses to these schemas.
    bool translatedHeader = false;
    for (std::size_t i = 0; i < loaded.config.serviceBackends.size(); ++i) {
        const auto& b = loaded.config.serviceBackends[i];
        if (b.schemaName == "OpenAI")
            continue;
        if (!translatedHeader) {
            std::printf("schema translation not simulated (the simulator sends these backends the client's request\n"
                        "with only `model` replaced, as for OpenAI; the real gateway translates to the schema):\n");
            translatedHeader = true;
        }
        const auto where = loaded.config.locate(config::Kind::AIServiceBackend, i, "spec.schema.name");
        std::printf("  %s:%d: AIServiceBackend %s/%s: schema %s\n", where.file.c_str(), where.line,
                    b.meta.effectiveNamespace().c_str(), b.meta.name.c_str(),
                    b.schemaName.empty() ? "(none)" : b.schemaName.c_str());
    }
    if (translatedHeader)
        std::printf("\n");

    // Each AIGatewayRoute's status as the controller reports it: a route naming a missing
    // AIServiceBackend or Backend is not accepted as a whole (reference 3.5).
    const auto statuses = routing::routeStatuses(loaded.config);
    std::size_t accepted = 0;
    for (const auto& st : statuses)
        accepted += st.accepted ? 1 : 0;
    if (!statuses.empty()) {
        std::printf("AIGatewayRoutes: %zu Accepted, %zu NotAccepted\n", accepted, statuses.size() - accepted);
        for (const auto& st : statuses)
            if (!st.accepted)
                std::printf("  %s: NotAccepted (%s): not served; on a running gateway its last accepted version "
                            "keeps serving\n",
                            st.route.c_str(), st.reason.c_str());
        std::printf("\n");
    }

    std::printf("%zu documents: %zu errors, %d warnings, %d infos\n", loaded.config.documents.size(),
                loaded.errors.size() + static_cast<std::size_t>(errorFindings), warnings, infos);
    return loaded.errors.empty() && errorFindings == 0 ? 0 : 1;
}

}  // namespace aigw::app
