# Debian packages (`make deb`: cpack -G DEB in the build dir): `wisp` (the command),
# `libwisp0.1` (the shared libraries, named after their SONAME as Debian's policy asks) and
# `libwisp-dev` (headers, static libraries, the .so links, CMake package, pkg-config files), with
# the Debian packages each needs. The command and the shared libraries need at run time: libc,
# tcc (tier 0 loads its libtcc1.a) and a C compiler (tier 1); the libraries also the C++ runtime
# and libcrypto/libssl. wasm-rt.h is built in (and libcrypto into the command).
set(CPACK_PACKAGE_NAME wisp)
set(CPACK_PACKAGE_VENDOR "wisp")
set(CPACK_PACKAGE_CONTACT "wisp maintainers <wisp@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "WebAssembly runtime and server that shares and reuses instances")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the command (static archives are left whole)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime lib dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)  # the -dev archives are large; xz takes a minute
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME wisp)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "libc6 (>= 2.36), tcc, gcc | clang")
set(WISP_LIB_PACKAGE "libwisp${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}")
set(CPACK_DEBIAN_LIB_PACKAGE_NAME "${WISP_LIB_PACKAGE}")
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_LIB_PACKAGE_DEPENDS
    "libc6 (>= 2.36), libstdc++6 (>= 12), libgcc-s1, libssl3 (>= 3.0), tcc, gcc | clang")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libwisp-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "wisp (= ${PROJECT_VERSION}), ${WISP_LIB_PACKAGE} (= ${PROJECT_VERSION}), wabt, libtcc-dev, libssl-dev, libboost-dev, nlohmann-json3-dev, libspdlog-dev")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "wisp: the command (run, call, serve, compile, inspect)")
set(CPACK_COMPONENT_LIB_DESCRIPTION "wisp: the runtime and the C API as shared libraries (libwisp, libwisp_serve)")
set(CPACK_COMPONENT_DEV_DESCRIPTION "wisp: C++ and C headers, static libraries, CMake package, pkg-config")
include(CPack)
