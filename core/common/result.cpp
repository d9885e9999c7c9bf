#include "common/result.h"

#include <fmt/format.h>

namespace aigw {

std::string Error::toString() const {
    std::string out;
    if (!where.file.empty()) {
        out += where.file;
        if (where.line > 0) {
            out += fmt::format(":{}", where.line);
            if (where.column > 0)
                out += fmt::format(":{}", where.column);
        }
        out += ": ";
    }
    if (!where.path.empty())
        out += where.path + ": ";
    out += message;
    return out;
}

}  // namespace aigw
