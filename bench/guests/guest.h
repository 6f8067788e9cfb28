// Export naming shared by the wasm guests and their native baselines (native adds a prefix).
#pragma once

#include <stdint.h>

#if defined(WISP_NATIVE) && defined(RESIZE_SIMD)
#define GUEST_EXPORT(name) native_simd_##name
#elif defined(WISP_NATIVE)
#define GUEST_EXPORT(name) native_##name
#else
#define GUEST_EXPORT(name) name
#endif
