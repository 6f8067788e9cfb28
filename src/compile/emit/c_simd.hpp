// The C text of WebAssembly's SIMD operators (v128), appended to the prelude of the modules that
// use SIMD (see c_simd.cpp).
#pragma once

namespace wisp::detail::emit {

// `typedef wisp_v128_t v128;`, then one static inline C function per SIMD and relaxed-SIMD
// operator, named after it (`i8x16.add_sat_s` is wisp_i8x16_add_sat_s). Needs the prelude's
// types and scalar helpers before it.
extern const char* const kSimdHelpers;
// The rest (c_simd_float_mem.cpp): shuffles, floating point, conversions, memory accesses and
// relaxed SIMD; appended after kSimdHelpers.
extern const char* const kSimdFloatMemHelpers;

}  // namespace wisp::detail::emit
