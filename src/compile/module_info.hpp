// Extracts a module's interface and facts from wabt IR and raw bytes into ModuleImpl.
#pragma once

#include <cstdint>
#include <span>

#include "compile/module_impl.hpp"

namespace wabt {
struct Module;
}

namespace wisp::detail {

// Fills imports, exports, features, sections, start, data segments, memory0_import. Without
// function bodies in `ir` (read_trusted), the features are left for module_features to find.
void extract_module_info(const wabt::Module& ir, std::span<const uint8_t> bytes, ModuleImpl& out,
                         bool has_bodies = true);

// The post-MVP features `m` uses; scans its function bodies on first use if they were not read
// at compile time (a module loaded from the tier-1 cache). Thread-safe.
const std::vector<std::string>& module_features(ModuleImpl& m);

// Section sizes from the binary (ids in order; custom sections by name).
std::vector<SectionSize> read_section_sizes(std::span<const uint8_t> bytes);

}  // namespace wisp::detail
