// Conversions between wasm values and JSON for function routes.
#include "serve/json_values.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace wisp::serve {

namespace {

[[noreturn]] void bad(size_t i, ValType t, const std::string& why) {
  throw BadArguments("argument " + std::to_string(i + 1) + " (" + val_type_name(t) + "): " + why);
}

// An integer from a JSON number or a decimal / 0x-hex string, within [lo, hi].
int64_t integer(const nlohmann::json& j, size_t i, ValType t, int64_t lo, uint64_t hi) {
  if (j.is_number_unsigned()) {
    uint64_t v = j.get<uint64_t>();
    if (v > hi) bad(i, t, "out of range");
    return static_cast<int64_t>(v);
  }
  if (j.is_number_integer()) {
    int64_t v = j.get<int64_t>();
    if (v < lo) bad(i, t, "out of range");
    return v;
  }
  if (!j.is_string()) bad(i, t, "expected an integer");
  const std::string& s = j.get_ref<const std::string&>();
  std::string_view d = s;
  bool neg = !d.empty() && d[0] == '-';
  if (neg) d.remove_prefix(1);
  int base = 10;
  if (d.size() > 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'X')) {
    base = 16;
    d.remove_prefix(2);
  }
  uint64_t mag = 0;
  auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), mag, base);
  if (d.empty() || ec != std::errc() || end != d.data() + d.size())
    bad(i, t, "'" + s + "' is not an integer");
  if (neg) {
    if (mag > uint64_t{1} << 63 || -static_cast<int64_t>(mag - 1) - 1 < lo)
      bad(i, t, "out of range");
    return -static_cast<int64_t>(mag - 1) - 1;
  }
  if (mag > hi) bad(i, t, "out of range");
  return static_cast<int64_t>(mag);
}

double floating(const nlohmann::json& j, size_t i, ValType t) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size()) return v;
  }
  bad(i, t, "expected a number");
}

nlohmann::json float_json(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

}  // namespace

std::vector<Value> values_from_json(const nlohmann::json& args,
                                    const std::vector<ValType>& params) {
  if (!args.is_array()) throw BadArguments("the arguments must be a JSON array");
  if (args.size() != params.size())
    throw BadArguments("expected " + std::to_string(params.size()) + " arguments, got " +
                       std::to_string(args.size()));
  std::vector<Value> out;
  out.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const nlohmann::json& a = args[i];
    switch (params[i]) {
      case ValType::i32:
        out.push_back(Value::i32(static_cast<int32_t>(static_cast<uint32_t>(
            integer(a, i, params[i], std::numeric_limits<int32_t>::min(), UINT32_MAX)))));
        break;
      case ValType::i64:
        out.push_back(
            Value::i64(integer(a, i, params[i], std::numeric_limits<int64_t>::min(), UINT64_MAX)));
        break;
      case ValType::f32: {
        double d = floating(a, i, params[i]);
        if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max())
          bad(i, params[i], "out of range");
        out.push_back(Value::f32(static_cast<float>(d)));
        break;
      }
      case ValType::f64:
        out.push_back(Value::f64(floating(a, i, params[i])));
        break;
      default:
        bad(i, params[i], "references cannot be passed over HTTP");
    }
  }
  return out;
}

std::vector<Value> values_from_list(std::string_view list, const std::vector<ValType>& params) {
  if (list.ends_with(',')) throw BadArguments("an argument is missing after the last ','");
  nlohmann::json args = nlohmann::json::array();
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string item(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    args.push_back(item);
  }
  return values_from_json(args, params);
}

nlohmann::json values_to_json(const std::vector<Value>& values) {
  nlohmann::json out = nlohmann::json::array();
  for (const Value& v : values) {
    switch (v.type()) {
      case ValType::i32:
        out.push_back(v.as_i32());
        break;
      case ValType::i64:
        out.push_back(v.as_i64());
        break;
      case ValType::f32:
        out.push_back(float_json(v.as_f32()));
        break;
      case ValType::f64:
        out.push_back(float_json(v.as_f64()));
        break;
      default:
        out.push_back(nullptr);  // a reference: opaque to HTTP clients
    }
  }
  return out;
}

}  // namespace wisp::serve
