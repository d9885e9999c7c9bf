#pragma once
// Errors are values: parsing, validation and network faults return them instead of throwing.

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace aigw {

/// Where something is in the user's input. Every field is optional (0 / empty = unknown).
struct SourceLocation {
    std::string file;  ///< file name as the user gave it (or "<builtin>")
    int line = 0;      ///< 1-based
    int column = 0;    ///< 1-based
    std::string path;  ///< YAML path, e.g. "spec.rules[0].backendRefs[1].weight"
};

/// One error: location plus a message. Formats as `file:line:col: path: message`.
struct Error {
    SourceLocation where;
    std::string message;
    /// A reference to an object that does not exist (an AIServiceBackend or Backend). A cluster
    /// accepts such an apply; the controller then marks the referring AIGatewayRoute NotAccepted.
    bool reference = false;

    std::string toString() const;
};

/// A value or an error. Small on purpose: `ok()`, `value()`, `error()`.
template <typename T>
class Result {
public:
    Result(T value) : m_v(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    Result(Error error) : m_v(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return std::holds_alternative<T>(m_v); }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<T>(m_v); }
    const T& value() const& { return std::get<T>(m_v); }
    T&& value() && { return std::get<T>(std::move(m_v)); }
    const Error& error() const { return std::get<Error>(m_v); }

private:
    std::variant<T, Error> m_v;
};

}  // namespace aigw
