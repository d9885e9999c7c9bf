// `aigw-sim edit FILE... --set EXPR...` and `aigw-sim apply-fix FILE...`: edits and the doctor's fixes
// written back into the user's files in place (config/save_back.h), with the unified diff printed.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "commands.h"
#include "config/config_edit.h"
#include "config/doctor.h"
#include "config/loader.h"
#include "config/save_back.h"

namespace aigw::app {
namespace {

void printEditHelp() {
    std::printf(
        "usage: aigw-sim edit FILE... --set EXPR [--set EXPR...] [--dry-run]\n\n"
        "Changes fields of the objects in FILE... and writes them back into those files in place: only\n"
        "the changed values (or inserted keys) change; comments, key order, quoting and the other\n"
        "documents stay byte for byte. Prints the change as a unified diff (diff -u) on standard output.\n\n"
        "%s\n"
        "  --dry-run        print the diff, write nothing\n\n"
        "Example: aigw-sim edit samples/model-virtualization.yaml \\\n"
        "           --set 'route/envoy-ai-gateway-virtualization:rules[0].backendRefs[1].weight=5'\n\n"
        "Exit status: 0 written (or nothing to change, or --dry-run), 1 an error (nothing is written),\n"
        "2 bad arguments.\n",
        config::setSyntaxHelp());
}

void printApplyFixHelp() {
    std::printf(
        "usage: aigw-sim apply-fix FILE... [--only ID] [--new-objects FILE] [--dry-run]\n\n"
        "Applies the config doctor's mechanical fixes (see aigw-sim check) for its errors and warnings and\n"
        "writes them back into FILE... in place: only the lines the fixes change are touched; comments,\n"
        "key order, quoting and the other documents stay byte for byte. Prints the change as a unified\n"
        "diff on standard output and each fix applied on standard error.\n\n"
        "  --only ID           only the fixes of finding ID (e.g. retry-stays-on-priority-0); repeatable\n"
        "  --new-objects FILE  where a fix that adds an object (a BackendTrafficPolicy, a\n"
        "                      ClientTrafficPolicy) writes it, appended as a new document (one of FILE...\n"
        "                      or another file); without it such fixes are an error\n"
        "  --dry-run           print the diff, write nothing\n\n"
        "Exit status: 0 written (or nothing to fix, or --dry-run), 1 an error (nothing is written),\n"
        "2 bad arguments.\n");
}

std::optional<std::string> readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Common {
    std::vector<std::string> files;
    bool dryRun = false;
    std::string newObjects;
};

/// Loads FILE..., runs `change` on the config, saves back, prints the diff, writes.
template <typename Change>
int saveEdits(const char* mode, const Common& c, Change change) {
    if (c.files.empty()) {
        std::fprintf(stderr, "aigw-sim %s: name the files to edit (see aigw-sim %s --help)\n", mode, mode);
        return 2;
    }
    std::vector<config::Source> sources;
    for (const auto& f : c.files) {
        if (f == "-") {
            std::fprintf(stderr, "aigw-sim %s: cannot write back to standard input; give the files\n", mode);
            return 2;
        }
        const auto text = readText(f);
        if (!text) {
            std::fprintf(stderr, "aigw-sim %s: cannot read '%s'\n", mode, f.c_str());
            return 1;
        }
        sources.push_back(config::Source{f, *text});
    }
    // A file of a set refers to objects in the others (missing references are expected when editing
    // one file): only malformed YAML stops the save (saveBack reports it); other validation errors
    // are the user's to see with `check`.
    const config::LoadResult loaded = config::loadSources(sources);
    if (!loaded.onlyReferenceErrors())
        std::fprintf(stderr, "note: %zu validation error(s) in these files alone (see aigw-sim check); saved anyway\n",
                     loaded.errors.size());
    config::Config edited = loaded.config;
    if (const int rc = change(edited); rc != 0)
        return rc;

    config::SaveBackOptions options;
    if (!c.newObjects.empty()) {
        options.newObjectsFile = c.newObjects;
        bool isSource = false;
        for (const auto& s : sources)
            isSource = isSource || s.fileName == c.newObjects;
        std::error_code ec;
        if (!isSource && std::filesystem::exists(c.newObjects, ec)) {
            const auto text = readText(c.newObjects);
            if (!text) {
                std::fprintf(stderr, "aigw-sim %s: cannot read '%s'\n", mode, c.newObjects.c_str());
                return 1;
            }
            options.newObjectsText = *text;
        }
    }
    const config::SaveBackResult result = config::saveBack(sources, edited, options);
    for (const auto& n : result.notes)
        std::fprintf(stderr, "note: %s\n", n.c_str());
    if (!result.ok()) {
        for (const auto& e : result.errors)
            std::fprintf(stderr, "%s\n", e.toString().c_str());
        std::fprintf(stderr, "aigw-sim %s: nothing written\n", mode);
        return 1;
    }
    const std::string diff = result.diff();
    std::fwrite(diff.data(), 1, diff.size(), stdout);
    std::fflush(stdout);
    if (!result.changed()) {
        std::fprintf(stderr, "aigw-sim %s: nothing to change\n", mode);
        return 0;
    }
    if (c.dryRun) {
        std::fprintf(stderr, "aigw-sim %s: --dry-run: nothing written\n", mode);
        return 0;
    }
    const auto errors = config::writeChanges(result);
    if (!errors.empty()) {
        for (const auto& e : errors)
            std::fprintf(stderr, "%s\n", e.toString().c_str());
        std::fprintf(stderr, "aigw-sim %s: nothing written\n", mode);
        return 1;
    }
    for (const auto& f : result.files)
        if (f.changed())
            std::fprintf(stderr, "wrote %s\n", f.fileName.c_str());
    return 0;
}

/// Shared options; returns 0 to go on, else the exit code (help printed: -1 -> 0).
int parseCommon(const char* mode, const Args& args, Common& c, std::vector<std::pair<std::string, std::string>>& valued,
                const std::vector<std::string>& valueOptions, void (*help)()) {
    bool optionsDone = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (optionsDone || a.empty() || a[0] != '-') {
            c.files.push_back(a);
            continue;
        }
        if (a == "--") {
            optionsDone = true;
        } else if (a == "--help" || a == "-h") {
            help();
            return -1;
        } else if (a == "--dry-run" || a == "-n") {
            c.dryRun = true;
        } else if (a == "-") {
            c.files.push_back(a);
        } else {
            const auto eq = a.find('=');
            const std::string name = a.substr(0, eq);
            if (std::find(valueOptions.begin(), valueOptions.end(), name) == valueOptions.end()) {
                std::fprintf(stderr, "aigw-sim %s: unknown option '%s' (see aigw-sim %s --help)\n", mode, a.c_str(), mode);
                return 2;
            }
            std::string value;
            if (eq != std::string::npos) {
                value = a.substr(eq + 1);
            } else if (i + 1 < args.size()) {
                value = args[++i];
            } else {
                std::fprintf(stderr, "aigw-sim %s: %s needs a value\n", mode, name.c_str());
                return 2;
            }
            valued.emplace_back(name, value);
        }
    }
    return 0;
}

}  // namespace

int runEdit(const Args& args) {
    Common c;
    std::vector<std::pair<std::string, std::string>> valued;
    if (const int rc = parseCommon("edit", args, c, valued, {"--set"}, printEditHelp); rc != 0)
        return rc < 0 ? 0 : rc;
    if (valued.empty()) {
        std::fprintf(stderr, "aigw-sim edit: nothing to change: give --set EXPR (see aigw-sim edit --help)\n");
        return 2;
    }
    return saveEdits("edit", c, [&valued](config::Config& edited) {
        for (const auto& [name, expr] : valued) {
            const auto r = config::applySet(edited, expr);
            if (!r) {
                std::fprintf(stderr, "aigw-sim edit: --set '%s': %s\naigw-sim edit: nothing written\n", expr.c_str(),
                             r.error().message.c_str());
                return 1;
            }
            std::fprintf(stderr, "set %s\n", r.value().c_str());
        }
        return 0;
    });
}

int runApplyFix(const Args& args) {
    Common c;
    std::vector<std::pair<std::string, std::string>> valued;
    if (const int rc = parseCommon("apply-fix", args, c, valued, {"--only", "--new-objects"}, printApplyFixHelp); rc != 0)
        return rc < 0 ? 0 : rc;
    std::vector<std::string> only;
    for (const auto& [name, value] : valued) {
        if (name == "--new-objects")
            c.newObjects = value;
        else
            only.push_back(value);
    }
    return saveEdits("apply-fix", c, [&only](config::Config& edited) {
        std::vector<std::string> applied;
        if (only.empty()) {
            edited = config::applyAllFixes(edited, &applied);
        } else {
            // As applyAllFixes, for the named findings only (a fix can change other findings).
            for (int pass = 0; pass < 64; ++pass) {
                bool fixed = false;
                for (const auto& f : config::diagnose(edited)) {
                    if (std::find(only.begin(), only.end(), f.id) == only.end())
                        continue;
                    config::Config probe = edited;
                    if (config::applyFix(probe, f)) {
                        edited = std::move(probe);
                        applied.push_back(f.title);
                        fixed = true;
                        break;
                    }
                }
                if (!fixed)
                    break;
            }
        }
        for (const auto& t : applied)
            std::fprintf(stderr, "fixed: %s\n", t.c_str());
        return 0;
    });
}

}  // namespace aigw::app
