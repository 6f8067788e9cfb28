// A module's metadata (interface, start, features, data segment placement) stored beside its
// cached tier-1 object, so a cache hit fills ModuleImpl without validating the module again.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "compile/module_impl.hpp"

namespace wisp::detail {

// The metadata file that goes with the cached object `so` ("KEY.so" -> "KEY.meta").
std::filesystem::path module_meta_path(const std::filesystem::path& so);

// The file's content for `m`: a header line with the SHA-256 of the rest, then the fields (the
// data segments as ranges of m's bytes).
std::string encode_module_meta(const ModuleImpl& m);

// Fills m's imports, exports, export_index, start, start_export, memory0_import, features and
// data_segments from `file`, all or nothing: false, leaving `m` as it was, if the digest does
// not match, the content is malformed or does not fit m's bytes.
bool decode_module_meta(std::string_view file, ModuleImpl& m);

// Best effort, atomically (a temporary file renamed into place).
void write_module_meta(const ModuleImpl& m, const std::filesystem::path& path);

// False if the file is missing or damaged (a damaged one is removed).
bool read_module_meta(const std::filesystem::path& path, ModuleImpl& m);

}  // namespace wisp::detail
