// One peephole of the C emitter on its own output: clang (before it had saturating
// conversions) guards each C cast from float to a signed int with a range test, so a cast
// `(int)x` arrives as
//     block (result i32)  x f32.abs  f32.const 2^31  f32.lt
//       if  x i32.trunc_f32_s  br 1  end
//       i32.const -2^31
//     end
// which is exactly what x86's cvttss2si does in one instruction (NaN and out of range give
// the "integer indefinite" -2^31). The emitter has written that block as six lines of C when its
// end label is placed; fuse_guarded_trunc() turns them into one call of the prelude's
// wisp_cvtt_* (c_prelude.cpp), for the four signed forms (i32/i64 from f32/f64).
#pragma once

#include <string>

namespace wisp::detail::emit {

// If `body` ends with such a block, rewrites its tail to "<slot> = wisp_cvtt_...(<x>);" and the
// block's end label, and returns true; else leaves it as it is.
bool fuse_guarded_trunc(std::string& body);

}  // namespace wisp::detail::emit
