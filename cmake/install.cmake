# Installing wisp (`cmake --install BUILD --prefix P`, `make install PREFIX=P`): the `wisp`
# command, the public headers, the libraries (libwisp.a: the runtime, wisp::wisp; libwisp_serve.a:
# the HTTP server, wisp::serve), a CMake package (find_package(wisp)) and wisp.pc for pkg-config.
# Nothing installed points into the build tree: tier 0 finds libtcc1.a in the tcc package's
# directory and tier 1 the C compiler on PATH, as in the build tree.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(wisp_core PROPERTIES OUTPUT_NAME wisp EXPORT_NAME wisp)
set_target_properties(wisp_serve PROPERTIES EXPORT_NAME serve)
add_library(wisp::wisp ALIAS wisp_core)
add_library(wisp::serve ALIAS wisp_serve)

# Two components, two Debian packages (cmake/package.cmake): `runtime` (the command) and `dev`.
install(TARGETS wisp RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT runtime)
install(TARGETS wisp_core wisp_serve EXPORT wispTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT dev
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(DIRECTORY "${CMAKE_SOURCE_DIR}/include/wisp" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        COMPONENT dev)
# The standard WebAssembly C API and wisp's C additions (their code is in libwisp.a).
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

# pkg-config: the static library and what it links (libtcc and libwabt are static in Debian;
# libstdc++ for programs in C, which the C API serves).
# The prefix is found from the .pc file's own place, so `--prefix` at install time holds.
file(RELATIVE_PATH WISP_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file("${CMAKE_SOURCE_DIR}/cmake/wisp.pc.in" "${CMAKE_BINARY_DIR}/wisp.pc" @ONLY)
install(FILES "${CMAKE_BINARY_DIR}/wisp.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
        COMPONENT dev)

include("${CMAKE_SOURCE_DIR}/cmake/package.cmake")
