// `aigw-sim scenario run FILE... [--config FILE...] [--live] [--seed S] [--json] [--junit FILE]` and
// `aigw-sim scenario list DIR...`: scenario files (docs/scenarios.md) run in virtual time or on the
// live gateway, judged against their expectations. Exit 0 when every expectation held, 1 when one
// failed, 2 on invalid input.
#include <cstdio>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "scenario/run.h"
#include "scenario/scenario.h"
#include "scenario_live.h"

namespace aigw::app {

namespace {

const char* kUsage =
    "usage: aigw-sim scenario run FILE... [--config FILE...] [--live] [--seed S] [--json] [--junit FILE]\n"
    "       aigw-sim scenario list DIR...\n"
    "\n"
    "Scenario files (docs/scenarios.md) hold a config, client load, a timeline of actions and\n"
    "expectations over time windows.\n"
    "\n"
    "run:\n"
    "  FILE...         scenario files, run one after the other\n"
    "  --config FILE   replace each scenario's own config with these manifests (repeatable; also\n"
    "                  --config A.yaml B.yaml ...): run the shipped lessons against your manifests\n"
    "  --live          the real gateway, real model servers and real HTTP load, in wall time\n"
    "                  (default: virtual time, the routing core against simulated servers)\n"
    "  --seed S        replaces the scenarios' seed (virtual time)\n"
    "  --json          one JSON object per scenario (a JSON array) instead of tables\n"
    "  --junit FILE    also write JUnit XML (one testsuite per scenario, one testcase per expectation)\n"
    "list:\n"
    "  DIR...          prints each scenario file's title, steps, expectations and duration\n"
    "\n"
    "Exit status: 0 every expectation held, 1 at least one failed, 2 invalid input.\n";

int usageError(const std::string& message) {
    std::fprintf(stderr, "aigw-sim scenario: %s\n\n%s", message.c_str(), kUsage);
    return 2;
}

void printErrors(const std::vector<Error>& errors) {
    for (const auto& e : errors)
        std::fprintf(stderr, "%s\n", e.toString().c_str());
}

int runList(const Args& args) {
    if (args.empty())
        return usageError("list needs a directory");
    int status = 0;
    for (const auto& dir : args) {
        const auto files = scenario::scenarioFilesIn(dir);
        if (files.empty()) {
            std::fprintf(stderr, "aigw-sim scenario list: no scenario files in '%s'\n", dir.c_str());
            status = 2;
            continue;
        }
        for (const auto& f : files) {
            const auto loaded = scenario::loadScenarioFile(f);
            if (!loaded.ok()) {
                printErrors(loaded.errors);
                status = 2;
                continue;
            }
            const auto& s = *loaded.scenario;
            std::printf("%s\n  %s\n  %zu step(s), %zu expectation(s), %s\n", f.c_str(), s.title.c_str(), s.steps.size(),
                        s.expectations().size(), scenario::formatDuration(s.duration).c_str());
        }
    }
    return status;
}

int runRun(const Args& args) {
    std::vector<std::string> files, configFiles;
    bool live = false, json = false, inConfig = false;
    std::optional<std::uint64_t> seed;
    std::string junit;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&](const char* name) -> std::optional<std::string> {
            if (i + 1 >= args.size())
                return std::nullopt;
            (void)name;
            return args[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (a == "--live") {
            live = true;
            inConfig = false;
        } else if (a == "--json") {
            json = true;
            inConfig = false;
        } else if (a == "--config") {
            auto v = value("--config");
            if (!v)
                return usageError("--config needs a file");
            configFiles.push_back(*v);
            inConfig = true;
        } else if (a == "--seed") {
            auto v = value("--seed");
            try {
                std::size_t used = 0;
                if (!v)
                    throw std::invalid_argument("missing");
                seed = std::stoull(*v, &used);
                if (used != v->size() || v->front() == '-')
                    throw std::invalid_argument("trailing");
            } catch (const std::exception&) {
                return usageError("--seed needs a non-negative whole number");
            }
            inConfig = false;
        } else if (a == "--junit") {
            auto v = value("--junit");
            if (!v)
                return usageError("--junit needs a file name");
            junit = *v;
            inConfig = false;
        } else if (a.rfind("-", 0) == 0 && a != "-") {
            return usageError("unknown option '" + a + "'");
        } else if (inConfig) {
            configFiles.push_back(a);  // --config A.yaml B.yaml ...: until the next option
        } else {
            files.push_back(a);
        }
    }
    if (files.empty())
        return usageError("run needs at least one scenario file");

    std::vector<scenario::Scenario> scenarios;
    bool invalid = false;
    for (const auto& f : files) {
        auto loaded = scenario::loadScenarioFile(f);
        if (!loaded.ok()) {
            printErrors(loaded.errors);
            invalid = true;
            continue;
        }
        scenarios.push_back(std::move(*loaded.scenario));
    }
    if (invalid)
        return 2;

    scenario::RunOptions options;
    options.configFiles = configFiles;
    options.seed = seed;
    std::vector<scenario::RunResult> results;
    for (const auto& s : scenarios) {
        Result<scenario::RunResult> r = [&]() -> Result<scenario::RunResult> {
            if (!live)
                return scenario::runVirtual(s, options);
            config::LoadResult cfg = scenario::loadScenarioConfig(s, configFiles);
            if (!cfg.onlyReferenceErrors()) {
                Error e;
                e.where.file = s.file;
                e.message = "the config has errors; see `aigw-sim check`";
                for (const auto& x : cfg.errors)
                    e.message += "\n  " + x.toString();
                return e;
            }
            auto res = runScenarioLive(s, cfg.config, options);
            if (res)
                res.value().configLabel = scenario::configLabel(s, configFiles);
            return res;
        }();
        if (!r) {
            std::fprintf(stderr, "%s: %s\n", s.file.c_str(), r.error().toString().c_str());
            return 2;
        }
        results.push_back(std::move(r.value()));
        if (!json) {
            const std::string table = scenario::toTable(results.back());
            std::fwrite(table.data(), 1, table.size(), stdout);
            if (&s != &scenarios.back())
                std::fputs("\n", stdout);
        }
    }
    if (json) {
        nlohmann::ordered_json all = nlohmann::ordered_json::array();
        for (const auto& r : results)
            all.push_back(scenario::toJson(r));
        const std::string out = all.dump(2) + "\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
    }
    if (!junit.empty()) {
        std::ofstream out(junit, std::ios::binary | std::ios::trunc);
        out << scenario::toJUnit(results);
        if (!out) {
            std::fprintf(stderr, "aigw-sim scenario: cannot write '%s'\n", junit.c_str());
            return 2;
        }
    }
    std::size_t failedRuns = 0;
    for (const auto& r : results)
        failedRuns += r.passed() ? 0 : 1;
    if (results.size() > 1 && !json)
        std::printf("\n%zu scenario(s): %zu passed, %zu failed\n", results.size(), results.size() - failedRuns, failedRuns);
    return failedRuns ? 1 : 0;
}

}  // namespace

int runScenario(const Args& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::fputs(kUsage, args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "run")
        return runRun(Args(args.begin() + 1, args.end()));
    if (args[0] == "list")
        return runList(Args(args.begin() + 1, args.end()));
    return usageError("unknown subcommand '" + args[0] + "' (run or list)");
}

}  // namespace aigw::app
