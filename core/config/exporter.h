#pragma once
// YAML export: the Config back to kubectl-applyable multi-document YAML.
//
// Each document starts from the YAML it was read from (so fields the simulator does not model
// survive), then the typed fields are laid over it: a typed value that differs from the raw one
// wins, an unset optional removes the field (defaults stay implicit), and a raw value equal to the
// typed one keeps its original spelling ("90s" stays "90s"). Typed objects without a document
// (added after loading) are written after the read ones, in kind order. Output is deterministic:
// same Config, same bytes. No comments are written.

#include <string>

#include "config/model.h"

namespace aigw::config {

struct ExportOptions {
    /// API version for AIGatewayRoute and AIServiceBackend: "v1beta1" (default, AI Gateway v0.6+)
    /// or "v1alpha1" (AI Gateway <= v0.5). Any other value keeps each document's own version;
    /// callers taking user input check it with isSupportedApiVersion() first.
    std::string apiVersion = "v1beta1";
    /// Drop the simulator-only `aigw-sim/...` annotations (SimSettings) and the simulator's own
    /// documents (apiVersion aigw-sim.dev/..., e.g. a Scenario).
    bool stripSim = false;
    /// Keep what the API server added to objects read from a cluster (`status`, `metadata.uid`,
    /// `resourceVersion`, ...: server_fields). By default they are dropped, as a user applies
    /// objects without them.
    bool keepServerFields = false;
};

/// True for "v1alpha1" and "v1beta1".
bool isSupportedApiVersion(const std::string& version);

std::string exportYaml(const Config& config, const ExportOptions& options);

/// The YAML of one typed object (the `index`-th of `kind`), as exportYaml would write it; empty
/// if there is no such object. Used for the doctor's fix snippets.
std::string exportObject(const Config& config, Kind kind, std::size_t index, const ExportOptions& options = {});

/// Document `d`'s YAML with the `index`-th typed object of `d.kind` in `config` laid over it, as
/// exportYaml writes it; `d` may belong to another Config (save-back lays an edited object over the
/// document it was read from). Unmodelled kinds come back as read. Undefined when `config` has no
/// such object.
YAML::Node exportDocumentNode(const Config& config, const Document& d, std::size_t index, const ExportOptions& options);

/// The `index`-th typed object of `kind`, written as a new document (no raw YAML under it), as
/// exportYaml writes an object added after loading. Undefined for kinds it cannot write.
YAML::Node exportNewObjectNode(const Config& config, Kind kind, std::size_t index, const ExportOptions& options);

/// One YAML node as the exporter writes it (used for fix snippets and tests).
std::string emitNode(const YAML::Node& node);

}  // namespace aigw::config
