#include "routing/matching.h"

#include <algorithm>
#include <cctype>

namespace aigw::routing {

bool headerNameEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

namespace {

std::string lower(std::string s) {
    for (char& ch : s)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

}  // namespace

RouteTable RouteTable::build(const config::Config& config, std::vector<Error>& problems) {
    RouteTable t;
    for (std::size_t r = 0; r < config.routes.size(); ++r) {
        const auto& route = config.routes[r];
        for (std::size_t i = 0; i < route.rules.size(); ++i) {
            const auto& rule = route.rules[i];
            std::vector<config::RouteMatch> matches = rule.matches;
            if (matches.empty())
                matches.emplace_back();  // Gateway API: no match means "path prefix /", i.e. everything
            for (std::size_t m = 0; m < matches.size(); ++m) {
                MatchEntry e;
                e.routeIndex = static_cast<int>(r);
                e.ruleIndex = static_cast<int>(i);
                bool valid = true;
                for (std::size_t h = 0; h < matches[m].headers.size(); ++h) {
                    const auto& hm = matches[m].headers[h];
                    CompiledHeaderMatch c;
                    c.name = lower(hm.name);
                    c.type = hm.effectiveType();
                    c.value = hm.value;
                    if (c.type == config::HeaderMatchType::RegularExpression) {
                        try {
                            c.regex.emplace(hm.value, std::regex::ECMAScript | std::regex::optimize);
                        } catch (const std::regex_error& ex) {
                            SourceLocation where;
                            where.path = "AIGatewayRoute " + route.meta.name + ": spec.rules[" + std::to_string(i) +
                                         "].matches[" + std::to_string(m) + "].headers[" + std::to_string(h) + "].value";
                            problems.push_back(Error{where, "invalid regular expression '" + hm.value + "': " + ex.what() +
                                                                "; this match is left out"});
                            valid = false;
                            break;
                        }
                    } else {
                        ++e.exactCount;
                    }
                    e.headers.push_back(std::move(c));
                }
                if (valid)
                    t.m_inOrder.push_back(std::move(e));
            }
        }
        MatchEntry notFound;
        notFound.routeIndex = static_cast<int>(r);
        t.m_inOrder.push_back(std::move(notFound));
    }
    t.m_entries = t.m_inOrder;
    std::stable_sort(t.m_entries.begin(), t.m_entries.end(), [](const MatchEntry& a, const MatchEntry& b) {
        if (a.headers.size() != b.headers.size())
            return a.headers.size() > b.headers.size();
        return a.exactCount > b.exactCount;
    });
    return t;
}

const MatchEntry* RouteTable::match(std::string_view model, const Headers& headers) const {
    if (model.empty())
        return nullptr;
    auto lookup = [&](const std::string& name) -> std::optional<std::string_view> {
        if (name == kModelHeader)
            return model;  // the ext_proc overwrote any client value
        for (const auto& [n, v] : headers)
            if (headerNameEquals(n, name))
                return std::string_view(v);
        return std::nullopt;
    };
    for (const MatchEntry& e : m_entries) {
        bool all = true;
        for (const CompiledHeaderMatch& h : e.headers) {
            const auto v = lookup(h.name);
            if (!v) {
                all = false;
                break;
            }
            if (h.type == config::HeaderMatchType::Exact) {
                if (*v != h.value) {
                    all = false;
                    break;
                }
            } else if (!std::regex_match(v->begin(), v->end(), *h.regex)) {
                all = false;
                break;
            }
        }
        if (all)
            return &e;
    }
    return nullptr;
}

std::vector<std::string> RouteTable::models() const {
    std::vector<std::string> out;
    for (const MatchEntry& e : m_inOrder)
        for (const CompiledHeaderMatch& h : e.headers)
            if (h.name == kModelHeader && h.type == config::HeaderMatchType::Exact)
                out.push_back(h.value);
    return out;
}

}  // namespace aigw::routing
