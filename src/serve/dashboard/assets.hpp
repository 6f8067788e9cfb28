// The dashboard's assets, built into libwisp_serve (src/CMakeLists.txt): the chart module
// (charts.c, compiled to wasm32) and the page's script (dashboard.js).
#pragma once

#include <cstddef>

namespace wisp::detail {

extern const unsigned char kChartsWasm[];
extern const size_t kChartsWasmSize;
extern const char* const kDashboardJs;

}  // namespace wisp::detail
