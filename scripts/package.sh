#!/usr/bin/env bash
# Builds the Debian package aigw-sim_<version>_amd64.deb in build-package/ (or the folder given):
# installs what is missing (build dependencies, and dpkg-dev, desktop-file-utils, appstream), builds
# the two executables and their man pages (RelWithDebInfo, stripped in the package), validates the
# desktop entry and the AppStream metainfo, and packs with CPack (Depends from dpkg-shlibdeps).
#   ./scripts/package.sh [OUT_DIR]      then: apt install ./build-package/aigw-sim_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build-package}")
./scripts/install-deps.sh --package
jobs=$(nproc 2>/dev/null || echo 2)

desktop-file-validate packaging/*.desktop
appstreamcli validate --no-net packaging/*.metainfo.xml

# Only what the package holds: not the tests nor the benchmarks (the install step would build them).
cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
  ${AIGW_CMAKE_ARGS:-} >/dev/null
cmake --build "$out" -j "$jobs" --target aigw-sim aigw-mock-backend aigw_man_pages
rm -f "$out"/aigw-sim_*.deb "$out"/package/aigw-sim_*.deb
(cd "$out" && cpack -G DEB -B "$out/package" >/dev/null)
deb=$(ls "$out"/package/aigw-sim_*.deb)
mv "$deb" "$out/"
deb="$out/$(basename "$deb")"
dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\|Installed-Size\):/\1:/p'
echo "aigw-sim: $deb"
