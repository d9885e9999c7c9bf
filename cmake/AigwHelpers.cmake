# Shared CMake helpers: one place for warnings, one for test registration.

# aigw_set_warnings(<target>): the project's warning set, applied per target (clang, for the fuzz
# build, has no -Wshadow=local).
function(aigw_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> -Wnon-virtual-dtor -Wcast-align
    -Wno-missing-field-initializers)
  if(AIGW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# aigw_add_test(NAME <name> SOURCES <files...> LIBS <libs...> LABELS <labels...> [TIMEOUT <s>])
# Builds one QtTest executable and registers it with CTest. UI tests run offscreen.
function(aigw_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE Qt6::Test ${T_LIBS})
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests)  # qtest_names.h
  aigw_set_warnings(${T_NAME})
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  if(AIGW_SANITIZE)
    math(EXPR T_TIMEOUT "${T_TIMEOUT} * 3")  # ASan + UBSan in a Debug build run a few times slower
  endif()
  set_tests_properties(${T_NAME} PROPERTIES
    LABELS "${T_LABELS}"
    TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "QT_QPA_PLATFORM=offscreen;AIGW_BUILD_DIR=${CMAKE_BINARY_DIR};AIGW_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()
