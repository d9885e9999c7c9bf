#pragma once
// YAML import: one or several multi-document files into one Config.
//
// This is the I/O boundary of the config layer: yaml-cpp exceptions are caught here and turned into
// Errors with file:line:column and YAML path. Nothing thrown by the parser escapes, whatever the input.

#include <string>
#include <vector>

#include "common/result.h"
#include "config/model.h"

namespace aigw::config {

struct LoadResult {
    Config config;
    /// Malformed YAML, wrong types, and every validate() error, in input order.
    std::vector<Error> errors;
    bool ok() const { return errors.empty(); }
    /// Every error is a reference to a missing object (Error::reference): a cluster would accept the
    /// apply and leave the referring routes NotAccepted, so a running gateway applies it.
    bool onlyReferenceErrors() const {
        for (const auto& e : errors)
            if (!e.reference)
                return false;
        return true;
    }
};

/// One named piece of YAML text (a file's content, or an embedded sample).
struct Source {
    std::string fileName;  ///< used in error locations
    std::string text;
};

/// The file name standard input is read under (in error locations).
inline constexpr const char* kStdinName = "<stdin>";

/// Reads every file (documents in input order), builds the typed model, then validates it.
/// "-" reads standard input (once; a second "-" reads nothing more). A `kind: List` document
/// (`kubectl get -o yaml`) contributes its items, each at its own line; Lists may nest. An
/// unreadable file is an error, not an exception.
LoadResult loadFiles(const std::vector<std::string>& paths);
/// As loadFiles, for YAML already in memory; `fileName` names it in error locations.
LoadResult loadString(const std::string& yaml, const std::string& fileName);
/// As loadFiles, for several in-memory sources (used for the built-in scenario).
LoadResult loadSources(const std::vector<Source>& sources);

/// Kubernetes-style "not simulated" listing: documents of kinds the simulator does not model.
std::vector<const Document*> unsimulatedDocuments(const Config& config);

}  // namespace aigw::config
