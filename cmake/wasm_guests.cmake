# wisp_add_wasm_guest(NAME SOURCE src.c [REACTOR] [EXPORTS a b ...] [OUTPUT_DIR dir] [TARGET t]
#                     [HEADERS h ...])
# Builds a C guest with clang --target=wasm32-wasi (wasi-libc) into ${OUTPUT_DIR}/NAME.wasm and
# adds a target NAME_wasm. Reactors (-mexec-model=reactor) export the listed functions. With
# TARGET (wasm32, wasm64) the guest is freestanding: no libc, no entry point, the exports only.
# HEADERS: the project's headers that src.c includes (rebuilt when they change).
set(WISP_WASI_SYSROOT "/usr" CACHE PATH "wasi-libc sysroot (Debian: /usr)")
function(wisp_add_wasm_guest name)
  cmake_parse_arguments(G "REACTOR" "SOURCE;OUTPUT_DIR;OPT;TARGET" "EXPORTS;FLAGS;HEADERS" ${ARGN})
  if(NOT G_OUTPUT_DIR)
    set(G_OUTPUT_DIR "${CMAKE_BINARY_DIR}/guests")
  endif()
  if(NOT G_OPT)
    set(G_OPT -O2)
  endif()
  set(out "${G_OUTPUT_DIR}/${name}.wasm")
  if(G_TARGET)
    set(flags --target=${G_TARGET} -nostdlib -Wl,--no-entry ${G_OPT} ${G_FLAGS})
  else()
    set(flags --target=wasm32-wasi ${G_OPT} ${G_FLAGS})
  endif()
  if(G_REACTOR AND NOT G_TARGET)
    list(APPEND flags -mexec-model=reactor)
  endif()
  foreach(e IN LISTS G_EXPORTS)
    list(APPEND flags "-Wl,--export=${e}")
  endforeach()
  get_filename_component(src "${G_SOURCE}" ABSOLUTE)
  add_custom_command(OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${G_OUTPUT_DIR}"
    COMMAND ${WASM_CLANG} ${flags} -o "${out}" "${src}"
    DEPENDS "${src}" ${G_HEADERS}
    COMMENT "wasm guest ${name}.wasm"
    VERBATIM)
  add_custom_target(${name}_wasm ALL DEPENDS "${out}")
endfunction()

# wisp_add_wat(NAME SOURCE x.wat [OUTPUT_DIR dir]): wat2wasm into ${OUTPUT_DIR}/NAME.wasm.
function(wisp_add_wat name)
  cmake_parse_arguments(W "" "SOURCE;OUTPUT_DIR" "" ${ARGN})
  if(NOT W_OUTPUT_DIR)
    set(W_OUTPUT_DIR "${CMAKE_BINARY_DIR}/guests")
  endif()
  set(out "${W_OUTPUT_DIR}/${name}.wasm")
  get_filename_component(src "${W_SOURCE}" ABSOLUTE)
  add_custom_command(OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${W_OUTPUT_DIR}"
    COMMAND ${WAT2WASM} --enable-all -o "${out}" "${src}"
    DEPENDS "${src}" VERBATIM)
  add_custom_target(${name}_wasm ALL DEPENDS "${out}")
endfunction()

# wisp_add_wasm_side_module(NAME SOURCE src.c [OUTPUT_DIR dir] [FLAGS ...] [DEPENDS files...]):
# a dynamic-linking side module (the tool conventions' dylink.0, include/wisp/dylink.hpp),
# freestanding, into ${OUTPUT_DIR}/NAME.wasm, and a target NAME_wasm. clang 14 emits
# position-independent WebAssembly only for the emscripten triple (any other one falls back to
# the static relocation model), so the object is compiled for wasm32-unknown-emscripten with
# -fPIC, then linked by wasm-ld --experimental-pic -shared.
find_program(WASM_LD NAMES wasm-ld wasm-ld-14)
function(wisp_add_wasm_side_module name)
  cmake_parse_arguments(S "" "SOURCE;OUTPUT_DIR" "FLAGS;DEPENDS" ${ARGN})
  if(NOT S_OUTPUT_DIR)
    set(S_OUTPUT_DIR "${CMAKE_BINARY_DIR}/guests")
  endif()
  if(NOT WASM_LD)
    message(FATAL_ERROR "wasm-ld is needed for the side module ${name}")
  endif()
  set(out "${S_OUTPUT_DIR}/${name}.wasm")
  set(obj "${CMAKE_CURRENT_BINARY_DIR}/${name}.side.o")
  get_filename_component(src "${S_SOURCE}" ABSOLUTE)
  add_custom_command(OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${S_OUTPUT_DIR}"
    COMMAND ${WASM_CLANG} --target=wasm32-unknown-emscripten -fPIC -nostdlib -O2 -mbulk-memory
            -mmutable-globals ${S_FLAGS} -c -o "${obj}" "${src}"
    COMMAND ${WASM_LD} --experimental-pic -shared -o "${out}" "${obj}"
    DEPENDS "${src}" ${S_DEPENDS}
    COMMENT "wasm side module ${name}.wasm"
    VERBATIM)
  add_custom_target(${name}_wasm ALL DEPENDS "${out}")
endfunction()
