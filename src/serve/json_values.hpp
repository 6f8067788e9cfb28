// Wasm values to and from JSON for function routes: arguments from a JSON array or a query's
// comma-separated list, results as a JSON array. i64 values travel as JSON integers (exact);
// floats as numbers, with "nan", "inf" and "-inf" as strings.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "wisp/value.hpp"

namespace wisp::serve {

// A request whose arguments do not fit the export's signature (answered with 400).
class BadArguments : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Converts each argument to its parameter's type; throws BadArguments naming the argument.
std::vector<Value> values_from_json(const nlohmann::json& args, const std::vector<ValType>& params);
// "1,2,3" (empty: no arguments) as JSON numbers or strings, then values_from_json.
std::vector<Value> values_from_list(std::string_view list, const std::vector<ValType>& params);
nlohmann::json values_to_json(const std::vector<Value>& values);

}  // namespace wisp::serve
