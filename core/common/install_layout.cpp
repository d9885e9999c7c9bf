#include "common/install_layout.h"

#include <system_error>
#include <unistd.h>

// Set by cmake/AigwInstall.cmake from the install directories; the defaults are GNUInstallDirs'.
#ifndef AIGW_BIN_TO_PKGLIBDIR
#define AIGW_BIN_TO_PKGLIBDIR "../lib/aigw-sim"
#endif
#ifndef AIGW_BIN_TO_PKGDATADIR
#define AIGW_BIN_TO_PKGDATADIR "../share/aigw-sim"
#endif

namespace aigw::layout {
namespace fs = std::filesystem;

namespace {

bool isExecutableFile(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

fs::path canonicalOrNormal(const fs::path& p) {
    std::error_code ec;
    fs::path c = fs::canonical(p, ec);
    return ec ? p.lexically_normal() : c;
}

}  // namespace

const char* binToPkgLibDir() { return AIGW_BIN_TO_PKGLIBDIR; }
const char* binToPkgDataDir() { return AIGW_BIN_TO_PKGDATADIR; }

fs::path executableDirectory() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : canonicalOrNormal(exe).parent_path();
}

fs::path findMockBackend(const fs::path& exeDir) {
    if (exeDir.empty())
        return {};
    const char* name = "aigw-mock-backend";
    for (const fs::path& candidate : {exeDir / AIGW_BIN_TO_PKGLIBDIR / name, exeDir / name,
                                      exeDir / ".." / "mockbackends" / name, exeDir / ".." / ".." / "mockbackends" / name})
        if (isExecutableFile(candidate))
            return canonicalOrNormal(candidate);
    return {};
}

fs::path installedSamplesDirectory(const fs::path& exeDir) {
    if (exeDir.empty())
        return {};
    const fs::path dir = exeDir / AIGW_BIN_TO_PKGDATADIR / "samples";
    std::error_code ec;
    return fs::is_directory(dir, ec) ? canonicalOrNormal(dir) : fs::path();
}

}  // namespace aigw::layout
