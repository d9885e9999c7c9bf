#pragma once
// HTTP header list shared by the server and the client: ordered, duplicates allowed, names compared
// case-insensitively (RFC 9110), values kept byte for byte so responses pass through unchanged.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aigw::http {

/// Case-insensitive ASCII comparison of two header names.
bool headerNameEquals(std::string_view a, std::string_view b);

class Headers {
public:
    using Entry = std::pair<std::string, std::string>;

    Headers() = default;
    Headers(std::initializer_list<Entry> entries);

    /// Appends a field (keeps any existing field of the same name).
    void add(std::string name, std::string value);
    /// The same, built in place from views (no temporary strings to move): for parsers and copies.
    /// Returns the stored name (valid until the list changes), which a parser may fold in place.
    std::string& append(std::string_view name, std::string_view value);
    /// Replaces every field named `name` with one field (appended when absent).
    void set(std::string_view name, std::string value);
    /// Removes every field named `name`; returns how many were removed.
    int remove(std::string_view name);
    /// Removes every field whose name `pred` accepts, in one pass.
    template <class Pred>
    void removeIf(Pred pred) {
        std::erase_if(m_entries, [&](const Entry& e) { return pred(std::string_view(e.first)); });
    }

    /// First value of `name`, if present.
    std::optional<std::string> get(std::string_view name) const;
    /// First value of `name` without a copy (valid until the list changes), or null.
    const std::string* find(std::string_view name) const;
    /// First value of `name`, or `fallback`.
    std::string value(std::string_view name, std::string_view fallback = {}) const;
    bool has(std::string_view name) const;
    /// All values of `name`, in order.
    std::vector<std::string> getAll(std::string_view name) const;

    const std::vector<Entry>& entries() const { return m_entries; }
    bool empty() const { return m_entries.empty(); }
    std::size_t size() const { return m_entries.size(); }
    void clear() { m_entries.clear(); }
    /// Room for `n` fields without reallocating (a request or response has a handful; growing the
    /// vector one field at a time cost three or four allocations per header block).
    void reserve(std::size_t n) { m_entries.reserve(n); }

private:
    std::vector<Entry> m_entries;
};

/// The standard reason phrase for `status` ("OK", "Not Found", ...); "Unknown" for unlisted codes.
const char* reasonPhrase(int status);

}  // namespace aigw::http
