#pragma once
// Where aigw-sim's parts are, found from the running executable's own location, so that an
// installed copy needs neither its build tree nor an environment variable:
//   installed (GNUInstallDirs, cmake/AigwInstall.cmake)  PREFIX/bin/aigw-sim
//                                                        PREFIX/lib/aigw-sim/aigw-mock-backend
//                                                        PREFIX/share/aigw-sim/samples/{*.yaml,scenarios/}
//   build tree                                           BUILD/app/aigw-sim, BUILD/mockbackends/aigw-mock-backend,
//                                                        BUILD/tests/UNIT/test_x (the samples stay in the sources)
// The installed layout is looked at first: an installed executable never picks a build tree's parts.
#include <filesystem>

namespace aigw::layout {

/// The directory of the running executable (/proc/self/exe, symlinks resolved); empty if unreadable.
std::filesystem::path executableDirectory();

/// aigw-mock-backend for an executable in `exeDir`: the installed layout's (exeDir/<bin-to-pkglib>/),
/// then the one beside it, then the build tree's (exeDir/../mockbackends, exeDir/../../mockbackends).
/// The first regular, executable file, canonical; empty when there is none.
std::filesystem::path findMockBackend(const std::filesystem::path& exeDir);

/// The installed samples folder (exeDir/<bin-to-pkgdata>/samples, its lessons in `scenarios/`),
/// canonical; empty when `exeDir` is not in an installed tree.
std::filesystem::path installedSamplesDirectory(const std::filesystem::path& exeDir);

/// The paths above relative to the executables' directory, as the install rules lay them out
/// ("../lib/aigw-sim", "../share/aigw-sim" for the default GNUInstallDirs).
const char* binToPkgLibDir();
const char* binToPkgDataDir();

}  // namespace aigw::layout
