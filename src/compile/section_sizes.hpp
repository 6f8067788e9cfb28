// A module's section sizes read straight from its bytes (for Module::section_sizes() when the
// module was not decoded: a tier-1 cache hit, a precompiled file).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "wisp/module.hpp"

namespace wisp::detail {

// Section sizes from the binary (ids in order; custom sections by name), up to the first
// malformed section header.
std::vector<SectionSize> read_section_sizes(std::span<const uint8_t> bytes);

}  // namespace wisp::detail
