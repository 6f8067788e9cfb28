// The process-wide function-type registry: equal signatures get equal ids (call_indirect checks).
#pragma once

#include <cstdint>

#include "runtime/wisp_abi.h"
#include "wisp/value.hpp"

namespace wisp::rt {

uint32_t register_func_type(uint32_t params, uint32_t results, const wasm_rt_type_t* types);
uint32_t register_func_type(const FuncType& type);
wasm_rt_type_t to_rt_type(ValType t);
// The signature registered under `id` (an empty type for an unknown id).
FuncType func_type_of(uint32_t id);

}  // namespace wisp::rt
