// Spec-script values: wast2json JSON values <-> wisp::Value, expected-result matching.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "wisp/value.hpp"

namespace wisp::spectest {

// The externref that a script's `ref.extern N` stands for (never null, distinct for each N).
void* extern_host_ref(uint64_t n);

// Parses an argument ({"type": "i32", "value": "42"}, "ref.null", "ref.extern N").
// Throws std::runtime_error for values it cannot represent.
Value parse_value(const nlohmann::json& v);

// Whether `actual` satisfies the expectation `expected` (nan:canonical, nan:arithmetic, bits,
// ref.null, ref.extern N, any non-null ref).
bool value_matches(const nlohmann::json& expected, const Value& actual);

// "i32:42", "f32:nan:canonical", "externref:3", "funcref:null"
std::string describe_expected(const nlohmann::json& expected);
std::string describe_value(const Value& v);

}  // namespace wisp::spectest
