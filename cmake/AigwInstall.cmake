# The install layout (GNUInstallDirs), shared by the install rules (packaging/CMakeLists.txt) and the
# code that finds the installed parts from the executable's own location
# (core/common/install_layout.cpp), so the two cannot disagree:
#   ${CMAKE_INSTALL_BINDIR}        aigw-sim (and a link to aigw-mock-backend)
#   ${AIGW_INSTALL_PKGLIBDIR}      aigw-mock-backend, which aigw-sim starts
#   ${AIGW_INSTALL_PKGDATADIR}     samples/ (the tutorial's manifests) and samples/scenarios/ (the lessons)
include(GNUInstallDirs)
# The desktop entry's and the AppStream component's id (reverse DNS of aigw-sim.dev); the icon has
# this name too, and the desktop app declares it as its desktop file name (Wayland's app id).
set(AIGW_APP_ID "dev.aigw_sim.AigwSim")
set(AIGW_INSTALL_PKGLIBDIR "lib/aigw-sim" CACHE STRING "aigw-mock-backend's folder, relative to the install prefix")
set(AIGW_INSTALL_PKGDATADIR "${CMAKE_INSTALL_DATADIR}/aigw-sim" CACHE STRING
    "samples and lessons folder, relative to the install prefix")
foreach(dir IN ITEMS CMAKE_INSTALL_BINDIR AIGW_INSTALL_PKGLIBDIR AIGW_INSTALL_PKGDATADIR)
  if(IS_ABSOLUTE "${${dir}}")
    message(FATAL_ERROR "${dir} must be relative to the install prefix (the executables find their parts "
                        "relative to their own location), got ${${dir}}")
  endif()
endforeach()
# What core/common/install_layout.cpp is compiled with ("../lib/aigw-sim", "../share/aigw-sim").
file(RELATIVE_PATH AIGW_BIN_TO_PKGLIBDIR /prefix/${CMAKE_INSTALL_BINDIR} /prefix/${AIGW_INSTALL_PKGLIBDIR})
file(RELATIVE_PATH AIGW_BIN_TO_PKGDATADIR /prefix/${CMAKE_INSTALL_BINDIR} /prefix/${AIGW_INSTALL_PKGDATADIR})
