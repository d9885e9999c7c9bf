# Builds a man page from a hand-written roff template and the executable's own --help output, so the
# options it documents are the ones the executable takes (packaging/CMakeLists.txt runs it after
# each link). Script mode:
#   cmake -DEXE=path -DTEMPLATE=file.in -DOUTPUT=file.1 -DVERSION=x.y.z [-DMODES=ON] [-DGZIP=gzip] -P AigwManPage.cmake
# @VERSION@ in the template becomes VERSION; @HELP@ the output of `EXE --help`, and, with MODES=ON,
# one subsection per mode that `EXE --help` lists under "modes:", each with `EXE MODE --help`.
# With GZIP, OUTPUT.gz is written too (gzip -9n: no name or time stamp, the same bytes every build).

cmake_minimum_required(VERSION 3.25)  # script mode: the policies of the project (CMP0053: @VAR@ stays literal)

# roff_escape(<var> <text>): <text> as literal lines in a no-fill block.
function(roff_escape out text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  string(REGEX REPLACE "\n+$" "" text "${text}")
  set(${out} ".nf\n.RS 2\n${text}\n.RE\n.fi\n" PARENT_SCOPE)
endfunction()

function(help_of out)
  execute_process(COMMAND ${EXE} ${ARGN} --help OUTPUT_VARIABLE text RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR text STREQUAL "")
    message(FATAL_ERROR "${EXE} ${ARGN} --help failed (${rc}): ${err}")
  endif()
  # QCommandLineParser prints argv[0]: the build's path, not the installed command's name.
  get_filename_component(name "${EXE}" NAME)
  string(REPLACE "${EXE}" "${name}" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

help_of(help)
roff_escape(help_roff "${help}")
set(modes_roff "")
if(MODES)
  string(REGEX MATCH "\nmodes:\n(  [a-z]+[^\n]*\n)+" block "${help}")
  string(REGEX MATCHALL "\n  [a-z][a-z-]* " names "${block}")
  if(names STREQUAL "")
    message(FATAL_ERROR "${EXE} --help lists no modes")
  endif()
  foreach(name IN LISTS names)
    string(STRIP "${name}" name)
    help_of(mode_help ${name})
    roff_escape(mode_roff "${mode_help}")
    string(APPEND modes_roff ".SS ${name}\n${mode_roff}")
  endforeach()
endif()

file(READ "${TEMPLATE}" page)
string(REPLACE "@VERSION@" "${VERSION}" page "${page}")
string(REPLACE "@HELP@\n" "${help_roff}" page "${page}")
string(REPLACE "@MODES@\n" "${modes_roff}" page "${page}")
file(WRITE "${OUTPUT}.tmp" "${page}")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
if(GZIP)
  execute_process(COMMAND ${GZIP} -9nc "${OUTPUT}" OUTPUT_FILE "${OUTPUT}.gz" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${GZIP} ${OUTPUT} failed (${rc})")
  endif()
endif()
