// Where each data segment's bytes lie inside a module binary (so cached metadata can point at
// them instead of carrying a copy).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace wisp::detail {

struct ByteRange {
  size_t offset = 0;
  size_t size = 0;
};

// The payload of every data segment (active and passive, in section order), or nullopt if the
// data section cannot be walked (malformed bytes, or an offset that is not a constant
// expression).
std::optional<std::vector<ByteRange>> data_segment_payloads(std::span<const uint8_t> bytes);

}  // namespace wisp::detail
