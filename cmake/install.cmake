# Installing wisp (`cmake --install BUILD --prefix P`, `make install PREFIX=P`): the `wisp`
# command, the public headers, the libraries, a CMake package (find_package(wisp)) and pkg-config
# files. The libraries: the runtime with the C API (libwisp.so.0.1 and libwisp.a) and the HTTP
# server (libwisp_serve.so.0.1 and libwisp_serve.a), and the runtime-only libwisp_runtime.a.
# CMake targets: wisp::wisp and wisp::serve (shared), wisp::wisp_static, wisp::serve_static and
# wisp::runtime; pkg-config: wisp (shared), wisp-static and wisp-runtime.
# Nothing installed points into the build tree: tier 0 finds libtcc1.a in the tcc package's
# directory and tier 1 the C compiler on PATH, as in the build tree.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(wisp_core PROPERTIES OUTPUT_NAME wisp)
add_library(wisp::wisp_static ALIAS wisp_core)
add_library(wisp::serve_static ALIAS wisp_serve)
set(WISP_INSTALLED_LIBRARIES wisp_core wisp_serve)
# The runtime-only library (libwisp_runtime.a, wisp::runtime, pkg-config wisp-runtime): loads
# precompiled modules only; no libtcc, libwabt or compiler needed at run time.
set_target_properties(wisp_runtime PROPERTIES EXPORT_NAME runtime)
add_library(wisp::runtime ALIAS wisp_runtime)
list(APPEND WISP_INSTALLED_LIBRARIES wisp_runtime)
if(WISP_SHARED_LIBS)
  set_target_properties(wisp_core PROPERTIES EXPORT_NAME wisp_static)
  set_target_properties(wisp_serve PROPERTIES EXPORT_NAME serve_static)
  add_library(wisp::wisp ALIAS wisp_shared)
  add_library(wisp::serve ALIAS wisp_serve_shared)
  list(APPEND WISP_INSTALLED_LIBRARIES wisp_shared wisp_serve_shared)
else()  # sanitizer builds: the static libraries are wisp::wisp and wisp::serve
  set_target_properties(wisp_core PROPERTIES EXPORT_NAME wisp)
  set_target_properties(wisp_serve PROPERTIES EXPORT_NAME serve)
  add_library(wisp::wisp ALIAS wisp_core)
  add_library(wisp::serve ALIAS wisp_serve)
endif()

# Three components, three Debian packages (cmake/package.cmake): `runtime` (the command), `lib`
# (the shared libraries) and `dev` (headers, static libraries, the .so links, CMake, pkg-config).
install(TARGETS wisp RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT runtime)
install(TARGETS ${WISP_INSTALLED_LIBRARIES} EXPORT wispTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT dev
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT lib NAMELINK_COMPONENT dev
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(DIRECTORY "${CMAKE_SOURCE_DIR}/include/wisp" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        COMPONENT dev)
# The standard WebAssembly C API and wisp's C additions (their code is in libwisp).
install(FILES "${CMAKE_SOURCE_DIR}/include/wasm.h" "${CMAKE_SOURCE_DIR}/include/wisp.h"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT dev)

set(WISP_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/wisp")
install(EXPORT wispTargets NAMESPACE wisp:: DESTINATION "${WISP_CMAKE_DIR}" COMPONENT dev)
configure_package_config_file("${CMAKE_SOURCE_DIR}/cmake/wispConfig.cmake.in"
  "${CMAKE_BINARY_DIR}/wispConfig.cmake" INSTALL_DESTINATION "${WISP_CMAKE_DIR}")
write_basic_package_version_file("${CMAKE_BINARY_DIR}/wispConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/wispConfig.cmake" "${CMAKE_BINARY_DIR}/wispConfigVersion.cmake"
        DESTINATION "${WISP_CMAKE_DIR}" COMPONENT dev)

# pkg-config: wisp.pc links the shared library, wisp-static.pc the static one and what it needs
# (libtcc and libwabt are static in Debian; libstdc++ for programs in C, which the C API serves).
# The prefix is found from the .pc file's own place, so `--prefix` at install time holds.
file(RELATIVE_PATH WISP_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
set(WISP_PC_FILES wisp-static wisp-runtime)
if(WISP_SHARED_LIBS)
  list(APPEND WISP_PC_FILES wisp)
endif()
foreach(pc IN LISTS WISP_PC_FILES)
  configure_file("${CMAKE_SOURCE_DIR}/cmake/${pc}.pc.in" "${CMAKE_BINARY_DIR}/${pc}.pc" @ONLY)
  install(FILES "${CMAKE_BINARY_DIR}/${pc}.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
          COMPONENT dev)
endforeach()

include("${CMAKE_SOURCE_DIR}/cmake/package.cmake")
