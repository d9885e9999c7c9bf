#include "http/headers.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <tuple>

namespace aigw::http {

namespace {
constexpr std::array<unsigned char, 256> makeLowerTable() {
    std::array<unsigned char, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return t;
}
constexpr std::array<unsigned char, 256> kLower = makeLowerTable();

std::uint64_t load64(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
std::uint32_t load32(const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
/// a and b (n bytes each) are byte for byte equal: word loads, the tail as one overlapping load.
/// Inlined where libc's memcmp was a call and a dispatch for names of a dozen bytes.
bool sameBytes(const char* a, const char* b, std::size_t n) {
    if (n >= 8) {
        for (std::size_t i = 0; i + 8 <= n; i += 8)
            if (load64(a + i) != load64(b + i)) return false;
        return n % 8 == 0 || load64(a + n - 8) == load64(b + n - 8);
    }
    if (n >= 4) return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
    for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return false;
    return true;
}
}  // namespace

bool headerNameEquals(std::string_view a, std::string_view b) {
    // Every header of every proxied message is compared here a few times. Parsed names are lower
    // case (as Envoy's codec stores them) and so are the names looked up: the equal bytes of a
    // match are checked a word at a time, and only a name that differs goes byte by byte, with a
    // table lookup to fold case.
    if (a.size() != b.size()) return false;
    if (sameBytes(a.data(), b.data(), a.size())) return true;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto x = static_cast<unsigned char>(a[i]);
        const auto y = static_cast<unsigned char>(b[i]);
        if (x != y && kLower[x] != kLower[y]) return false;
    }
    return true;
}

Headers::Headers(std::initializer_list<Entry> entries) : m_entries(entries) {}

void Headers::add(std::string name, std::string value) { m_entries.emplace_back(std::move(name), std::move(value)); }

std::string& Headers::append(std::string_view name, std::string_view value) {
    return m_entries.emplace_back(std::piecewise_construct, std::forward_as_tuple(name), std::forward_as_tuple(value)).first;
}

void Headers::set(std::string_view name, std::string value) {
    bool replaced = false;
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        if (headerNameEquals(it->first, name)) {
            if (!replaced) {
                it->second = std::move(value);
                replaced = true;
                ++it;
            } else {
                it = m_entries.erase(it);
            }
        } else {
            ++it;
        }
    }
    if (!replaced) m_entries.emplace_back(std::string(name), std::move(value));
}

int Headers::remove(std::string_view name) {
    return static_cast<int>(std::erase_if(m_entries, [&](const Entry& e) { return headerNameEquals(e.first, name); }));
}

std::optional<std::string> Headers::get(std::string_view name) const {
    for (const auto& [n, v] : m_entries) {
        if (headerNameEquals(n, name)) return v;
    }
    return std::nullopt;
}

const std::string* Headers::find(std::string_view name) const {
    for (const auto& [n, v] : m_entries) {
        if (headerNameEquals(n, name)) return &v;
    }
    return nullptr;
}

std::string Headers::value(std::string_view name, std::string_view fallback) const {
    for (const auto& [n, v] : m_entries) {
        if (headerNameEquals(n, name)) return v;
    }
    return std::string(fallback);
}

bool Headers::has(std::string_view name) const {
    for (const auto& e : m_entries) {
        if (headerNameEquals(e.first, name)) return true;
    }
    return false;
}

std::vector<std::string> Headers::getAll(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : m_entries) {
        if (headerNameEquals(n, name)) out.push_back(v);
    }
    return out;
}

const char* reasonPhrase(int status) {
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}

}  // namespace aigw::http
