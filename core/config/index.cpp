#include "config/index.h"

namespace aigw::config {

const std::string& ConfigIndex::lookupKey(const std::string& ns, const std::string& name) {
    // Lookups run per reference (thousands per config): one buffer per thread, no allocation each.
    thread_local std::string buffer;
    buffer.assign(ns);
    buffer += '/';
    buffer += name;
    return buffer;
}

ConfigIndex::ConfigIndex(const Config& config) : m_config(config) {
    m_serviceBackends.reserve(config.serviceBackends.size());
    m_backends.reserve(config.backends.size());
    for (std::size_t i = 0; i < config.documents.size(); ++i) {
        const Document& d = config.documents[i];
        if (i == 0 || d.where.file != config.documents[i - 1].where.file)  // thousands of documents, a few files
            m_fileRank.try_emplace(d.where.file, i);
        m_documentsByKind[static_cast<int>(d.kind)].push_back(i);
        if (d.kind == Kind::Gateway)
            m_gateways.insert(key(d.meta.effectiveNamespace(), d.meta.name));
        else if (d.kind == Kind::Other && d.kindName == "HTTPRoute")
            m_httpRoutes.insert(key(d.meta.effectiveNamespace(), d.meta.name));
    }
    for (const auto& r : config.routes)
        m_httpRoutes.insert(key(r.meta.effectiveNamespace(), r.meta.name));
    for (std::size_t i = 0; i < config.serviceBackends.size(); ++i)
        m_serviceBackends.emplace(key(config.serviceBackends[i].meta.effectiveNamespace(), config.serviceBackends[i].meta.name), i);
    for (std::size_t i = 0; i < config.backends.size(); ++i)
        m_backends.emplace(key(config.backends[i].meta.effectiveNamespace(), config.backends[i].meta.name), i);
    for (std::size_t i = 0; i < config.inferenceServices.size(); ++i) {
        m_inferenceByHost.emplace(config.inferenceServices[i].predictorHostname(), i);
        m_inferenceByHost.emplace(config.inferenceServices[i].predictorServiceHostname(), i);
    }
}

const Document* ConfigIndex::document(Kind kind, std::size_t index) const {
    const auto it = m_documentsByKind.find(static_cast<int>(kind));
    if (it == m_documentsByKind.end() || index >= it->second.size())
        return nullptr;
    return &m_config.documents[it->second[index]];
}

SourceLocation ConfigIndex::locate(Kind kind, std::size_t index, const std::string& path) const {
    if (const Document* d = document(kind, index))
        return d->locate(path);
    SourceLocation loc;
    loc.path = path;
    return loc;
}

const AIServiceBackend* ConfigIndex::serviceBackend(const std::string& name, const std::string& ns) const {
    const auto it = m_serviceBackends.find(lookupKey(ns, name));
    return it == m_serviceBackends.end() ? nullptr : &m_config.serviceBackends[it->second];
}

const Backend* ConfigIndex::backend(const std::string& name, const std::string& ns) const {
    const auto it = m_backends.find(lookupKey(ns, name));
    return it == m_backends.end() ? nullptr : &m_config.backends[it->second];
}

const InferenceService* ConfigIndex::inferenceServiceByHostname(const std::string& hostname) const {
    if (m_inferenceByHost.empty())
        return nullptr;
    std::string h = hostname;
    if (!h.empty() && h.back() == '.')
        h.pop_back();
    const auto it = m_inferenceByHost.find(h);
    return it == m_inferenceByHost.end() ? nullptr : &m_config.inferenceServices[it->second];
}

bool ConfigIndex::hasGateway(const std::string& name, const std::string& ns) const {
    return m_gateways.count(lookupKey(ns, name)) != 0;
}

bool ConfigIndex::hasHttpRoute(const std::string& name, const std::string& ns) const {
    return m_httpRoutes.count(lookupKey(ns, name)) != 0;
}

std::size_t ConfigIndex::fileRank(const std::string& file) const {
    const auto it = m_fileRank.find(file);
    return it == m_fileRank.end() ? m_config.documents.size() : it->second;
}

}  // namespace aigw::config
