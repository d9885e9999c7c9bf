#pragma once
// The reference the request-body scanner (core/proxy/request_body) is checked against, by
// test_proxy_units (exact fields and error texts on seeded mutations) and by the libFuzzer target
// fuzz_request_body (fields and accept/reject on any input): what the router read from a body
// before the SAX scanner, a whole-document parse and then lookups. Go's encoding/json agrees: the
// last duplicate key wins, null is absent.

#include <QByteArray>

#include <nlohmann/json.hpp>

#include <string>

namespace aigw::proxy::reference {

struct Fields {
    bool ok = false;
    std::string model;
    bool stream = false;
    bool includeUsage = false;
    std::string error;
};

/// What the router read from a body before the SAX scanner: the whole document, then lookups.
inline Fields documentReference(const QByteArray& body) {
    Fields f;
    if (body.contains('\0')) {  // nlohmann would stop there (its end-of-input mark); the scanner rejects it
        f.error = "NUL byte";
        return f;
    }
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(body.constData(), body.constData() + body.size());
    } catch (const nlohmann::json::exception& e) {
        std::string what = e.what();
        if (auto p = what.find("] "); p != std::string::npos)
            what = what.substr(p + 2);
        f.error = what;
        return f;
    }
    if (!doc.is_object()) {
        f.error = "request body must be a JSON object, got " + std::string(doc.type_name());
        return f;
    }
    if (auto it = doc.find("model"); it != doc.end() && !it->is_null()) {
        if (!it->is_string()) {
            f.error = "field \"model\" must be a string, got " + std::string(it->type_name());
            return f;
        }
        f.model = it->get<std::string>();
    }
    if (auto it = doc.find("stream"); it != doc.end() && !it->is_null()) {
        if (!it->is_boolean()) {
            f.error = "field \"stream\" must be a boolean, got " + std::string(it->type_name());
            return f;
        }
        f.stream = it->get<bool>();
    }
    if (auto it = doc.find("stream_options"); it != doc.end() && it->is_object()) {
        auto u = it->find("include_usage");
        f.includeUsage = u != it->end() && u->is_boolean() && u->get<bool>();
    }
    f.ok = true;
    return f;
}

}  // namespace aigw::proxy::reference
