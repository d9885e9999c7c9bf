// libFuzzer: the YAML loader -> validate -> doctor -> export chain, checked against the properties
// in config_properties.h (a violation aborts, so libFuzzer keeps the input).
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "config_properties.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (const auto bad = aigw::config::fuzz::checkChain(text)) {
        std::fprintf(stderr, "config property violated: %s\n", bad->c_str());
        std::abort();
    }
    return 0;
}
