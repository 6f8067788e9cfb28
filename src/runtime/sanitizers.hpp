// Which sanitizer this translation unit is built with, for GCC and clang alike: WISP_ASAN
// (AddressSanitizer) and WISP_TSAN (ThreadSanitizer) are 1 or 0. GCC defines __SANITIZE_ADDRESS__
// and __SANITIZE_THREAD__; clang 14 defines neither and answers __has_feature instead.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define WISP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WISP_ASAN 1
#endif
#endif
#ifndef WISP_ASAN
#define WISP_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__)
#define WISP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WISP_TSAN 1
#endif
#endif
#ifndef WISP_TSAN
#define WISP_TSAN 0
#endif
