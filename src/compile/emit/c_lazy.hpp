// Lazy tier 0's C: the base unit without the functions, and the head of a batch of functions
// compiled on first call (see c_lazy.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "compile/emit/c_names.hpp"

namespace wisp::detail::emit {

// The base unit: prelude and `tail_text` (emit::tail); the functions are not defined there.
std::string lazy_base(const ModuleShape& shape, const std::string& tail_text);

// The text before a batch's functions: helpers, types, and the prototypes of the batch's members
// (defined function indices), of what they call (`called`) and take the address of
// (`referenced`; both deduplicated here). Appends to `externals` the base unit's symbols the
// batch links against beyond the fixed ones and `wisp_stubs`: "w<f>", the stubs of functions of
// other batches it calls.
std::string lazy_batch_head(const ModuleShape& shape, std::span<const uint32_t> batch,
                            std::vector<uint32_t>& called, std::vector<uint32_t>& referenced,
                            std::vector<std::string>& externals);

}  // namespace wisp::detail::emit
