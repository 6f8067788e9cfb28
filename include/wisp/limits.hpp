// Resource limits applied to every instance of a template.
#pragma once

#include <cstdint>

namespace wisp {

struct Limits {
  // Largest linear memory, in 64 KiB pages (65536 = 4 GiB). Memory declared larger is clamped;
  // an initial size above it fails instantiation with Trap(resource_limit).
  uint32_t max_memory_pages = 65536;
  // Largest table, in elements.
  uint32_t max_table_elements = 10'000'000;
};

}  // namespace wisp
