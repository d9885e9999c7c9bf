#pragma once
// Lookups over one Config by namespace and name, built once in one pass.
//
// Validation, the doctor, route status, the engine's snapshot and server planning follow every
// reference of the config (parentRefs, backendRefs, backendRef, targetRefs). With the linear
// Config::find*() each of those lookups walks a whole vector, so a cluster-sized config (thousands
// of objects) took time growing with its square. They use this index instead.
//
// The index keeps positions into the Config it was built from and returns pointers into it: it is
// valid while that Config's document list and typed vectors keep their objects (fields may change,
// names and membership may not). Build a new one after adding, removing or renaming objects.
// Where a name is defined twice (a validation error), the first definition wins, as with find*().

#include <cstddef>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/model.h"

namespace aigw::config {

class ConfigIndex {
public:
    explicit ConfigIndex(const Config& config);

    /// As Config::documentFor: the document behind the `index`-th typed object of `kind`.
    const Document* document(Kind kind, std::size_t index) const;
    /// As Config::locate.
    SourceLocation locate(Kind kind, std::size_t index, const std::string& path) const;

    const AIServiceBackend* serviceBackend(const std::string& name, const std::string& ns) const;
    const Backend* backend(const std::string& name, const std::string& ns) const;
    /// As Config::findInferenceServiceByHostname (predictor or predictor service hostname).
    const InferenceService* inferenceServiceByHostname(const std::string& hostname) const;
    /// A Gateway document `ns/name`.
    bool hasGateway(const std::string& name, const std::string& ns) const;
    /// An HTTPRoute `ns/name`: an HTTPRoute document or an AIGatewayRoute (the controller generates
    /// an HTTPRoute of the same name for each).
    bool hasHttpRoute(const std::string& name, const std::string& ns) const;
    /// Position of the first document read from `file` (errors sort by it); documents.size() if none.
    std::size_t fileRank(const std::string& file) const;

private:
    static std::string key(const std::string& ns, const std::string& name) { return ns + '/' + name; }
    /// key() in a per-thread buffer, valid until the next call on this thread.
    static const std::string& lookupKey(const std::string& ns, const std::string& name);

    const Config& m_config;
    std::unordered_map<int, std::vector<std::size_t>> m_documentsByKind;  ///< Kind -> document positions
    std::unordered_map<std::string, std::size_t> m_serviceBackends;
    std::unordered_map<std::string, std::size_t> m_backends;
    std::unordered_map<std::string, std::size_t> m_inferenceByHost;
    std::unordered_set<std::string> m_gateways;
    std::unordered_set<std::string> m_httpRoutes;
    std::unordered_map<std::string, std::size_t> m_fileRank;
};

}  // namespace aigw::config
