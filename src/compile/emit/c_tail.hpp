// The tail of the C emitter's output (translation unit 0): glue, segments, instantiation,
// exports and the module descriptor (see c_tail.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "compile/emit/c_names.hpp"

namespace wisp::detail::emit {

std::string tail(const ModuleShape& shape, std::span<const uint8_t> bytes);

// A constant expression as C (in the instantiation function, where `I` is the instance).
std::string const_expr(const ModuleShape& shape, const front::ConstExpr& e,
                       std::span<const uint8_t> bytes);

}  // namespace wisp::detail::emit
