# Instrumented builds. Both are off by default, so ./scripts/build.sh and CI build as before.
#
# AIGW_SANITIZE: AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer on every
#   target; -fno-sanitize-recover makes the first UBSan report abort, so a report fails its test.
#   ./scripts/test.sh --sanitize builds it in build-asan and runs the unit and integration suites.
# AIGW_FUZZ: libFuzzer targets (fuzz/), built with clang: every library gets coverage
#   instrumentation plus ASan/UBSan, the fuzz executables link libFuzzer's main. ./scripts/fuzz.sh.
option(AIGW_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(AIGW_FUZZ "Build the libFuzzer targets in fuzz/ (needs clang)" OFF)

set(_aigw_san_flags -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
if(AIGW_SANITIZE OR AIGW_FUZZ)
  add_compile_options(${_aigw_san_flags})
  add_link_options(-fsanitize=address,undefined)
endif()
if(AIGW_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "AIGW_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# aigw_add_fuzzer(NAME <name> SOURCES <files...> LIBS <libs...>): one libFuzzer executable.
function(aigw_add_fuzzer)
  cmake_parse_arguments(F "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_executable(${F_NAME} ${F_SOURCES})
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  aigw_set_warnings(${F_NAME})
endfunction()
