// Extracts a module's interface and facts from wabt IR and raw bytes into ModuleImpl.
#pragma once

#include <cstdint>
#include <span>

#include "compile/module_impl.hpp"

namespace wabt {
struct Module;
}

namespace wisp::detail {

// Fills imports, exports, features, sections, start, data segments, memory0_import.
void extract_module_info(const wabt::Module& ir, std::span<const uint8_t> bytes, ModuleImpl& out);

// Section sizes from the binary (ids in order; custom sections by name).
std::vector<SectionSize> read_section_sizes(std::span<const uint8_t> bytes);

}  // namespace wisp::detail
