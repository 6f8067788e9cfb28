// A lenient scan of a binary for the proposals it needs, so that a refused module can be refused
// with every one of them named in one message. It reads what the decoder reads (section ids, type
// encodings, limits flags, import/export kinds, constant expressions, every operator of every
// function body) but checks nothing: it never throws, and it stops quietly at anything it cannot
// read (a malformed section or body ends the scan of that section or body, not of the module).
// Linear time in the module's size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "compile/front/module_decl.hpp"

namespace wisp::detail::front {

// How far a scan got (for tests and diagnostics): the parts (sections, function bodies) whose
// scan ended early at something malformed or unknown, and where the first one ended.
struct ScanReport {
  uint32_t stopped = 0;
  size_t first_stop = 0;  // byte offset
};

// The proposals (beyond WebAssembly 2.0) that `bytes` uses; component_model alone for a
// component binary; empty for bytes that are not a WebAssembly binary at all.
FeatureSet scan_features(std::span<const uint8_t> bytes, ScanReport* report = nullptr);

}  // namespace wisp::detail::front
