// Spec-script values: wast2json JSON values <-> wisp::Value, expected-result matching.
#include "spectest/spec_values.hpp"

#include <cinttypes>
#include <cstdio>
#include <stdexcept>

namespace wisp::spectest {
namespace {

ValType parse_type(const std::string& t) {
  if (t == "i32") return ValType::i32;
  if (t == "i64") return ValType::i64;
  if (t == "f32") return ValType::f32;
  if (t == "f64") return ValType::f64;
  if (t == "externref") return ValType::externref;
  if (t == "funcref") return ValType::funcref;
  if (t == "v128") return ValType::v128;
  throw std::runtime_error("unsupported value type '" + t + "'");
}

bool has_value(const nlohmann::json& v) {
  return v.contains("value") && v["value"].is_string();
}

uint64_t parse_u64(const std::string& s) {
  size_t used = 0;
  uint64_t x = std::stoull(s, &used, 10);
  if (used != s.size()) throw std::runtime_error("bad number '" + s + "'");
  return x;
}

std::string fmt_float(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

std::string hex(uint64_t bits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, bits);
  return buf;
}

// A v128's lanes as wast2json writes them: "lane_type" (i8, i16, i32, i64, f32, f64) and "value",
// an array of the lanes' bit patterns as decimal strings (or "nan:canonical" / "nan:arithmetic"
// for float lanes of expected results).
unsigned lane_bits(const nlohmann::json& v) {
  const std::string t = v.value("lane_type", "");
  if (t == "i8") return 8;
  if (t == "i16") return 16;
  if (t == "i32" || t == "f32") return 32;
  if (t == "i64" || t == "f64") return 64;
  throw std::runtime_error("bad v128 lane type '" + t + "'");
}

const nlohmann::json& v128_lanes(const nlohmann::json& v) {
  const nlohmann::json& lanes = v.at("value");
  if (!lanes.is_array() || lanes.size() * lane_bits(v) != 128)
    throw std::runtime_error("bad v128 value");
  return lanes;
}

bool float_lane_matches(unsigned bits, uint64_t b, const std::string& s) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  const uint64_t quiet = bits == 32 ? 0x7fc00000u : 0x7ff8000000000000ull;
  if (s == "nan:canonical") return (b & (sign - 1)) == quiet;
  if (s == "nan:arithmetic") return (b & quiet) == quiet;
  return b == parse_u64(s);
}

}  // namespace

void* extern_host_ref(uint64_t n) {
  // Offset by one so that ref.extern 0 is not the null reference.
  return reinterpret_cast<void*>(static_cast<uintptr_t>(n) + 1);
}

Value parse_value(const nlohmann::json& v) {
  ValType t = parse_type(v.at("type").get<std::string>());
  if (t == ValType::v128) {
    const unsigned bits = lane_bits(v);
    const nlohmann::json& lanes = v128_lanes(v);
    V128 x;
    for (unsigned i = 0; i < lanes.size(); ++i) {
      const std::string s = lanes[i].get<std::string>();
      if (s.starts_with("nan:")) {
        x.set_lane(bits, i, bits == 32 ? 0x7fc00000u : 0x7ff8000000000000ull);
      } else {
        x.set_lane(bits, i, parse_u64(s));
      }
    }
    return Value::v128(x);
  }
  if (!has_value(v)) throw std::runtime_error("argument without a value");
  const std::string s = v["value"].get<std::string>();
  switch (t) {
    case ValType::i32:
      return Value::i32(static_cast<int32_t>(static_cast<uint32_t>(parse_u64(s))));
    case ValType::i64:
      return Value::i64(static_cast<int64_t>(parse_u64(s)));
    case ValType::f32:
      if (s.starts_with("nan:")) return Value::f32_bits(0x7fc00000u);
      return Value::f32_bits(static_cast<uint32_t>(parse_u64(s)));
    case ValType::f64:
      if (s.starts_with("nan:")) return Value::f64_bits(0x7ff8000000000000ull);
      return Value::f64_bits(parse_u64(s));
    case ValType::externref:
      if (s == "null") return Value::null_of(ValType::externref);
      return Value::externref(extern_host_ref(parse_u64(s)));
    case ValType::funcref:
      if (s == "null") return Value::null_of(ValType::funcref);
      throw std::runtime_error("funcref arguments other than null are not representable");
    case ValType::v128:
      break;
  }
  throw std::runtime_error("unreachable value type");
}

bool value_matches(const nlohmann::json& expected, const Value& actual) {
  ValType t = parse_type(expected.at("type").get<std::string>());
  if (actual.type() != t) return false;
  if (t == ValType::v128) {
    const unsigned bits = lane_bits(expected);
    const nlohmann::json& lanes = v128_lanes(expected);
    const bool is_float = expected.value("lane_type", "")[0] == 'f';
    const V128 x = actual.as_v128();
    for (unsigned i = 0; i < lanes.size(); ++i) {
      const std::string s = lanes[i].get<std::string>();
      const uint64_t b = x.lane(bits, i);
      if (is_float ? !float_lane_matches(bits, b, s) : b != parse_u64(s)) return false;
    }
    return true;
  }
  const bool any = !has_value(expected);
  const std::string s = any ? std::string() : expected["value"].get<std::string>();
  switch (t) {
    case ValType::i32:
    case ValType::i64:
      return any || actual.bits() == parse_value(expected).bits();
    case ValType::f32: {
      uint32_t b = static_cast<uint32_t>(actual.bits());
      if (s == "nan:canonical") return (b & 0x7fffffffu) == 0x7fc00000u;
      if (s == "nan:arithmetic") return (b & 0x7fc00000u) == 0x7fc00000u;
      return any || b == static_cast<uint32_t>(parse_u64(s));
    }
    case ValType::f64: {
      uint64_t b = actual.bits();
      if (s == "nan:canonical") return (b & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
      if (s == "nan:arithmetic") return (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
      return any || b == parse_u64(s);
    }
    case ValType::externref:
      if (any) return actual.as_externref() != nullptr;
      if (s == "null") return actual.as_externref() == nullptr;
      return actual.as_externref() == extern_host_ref(parse_u64(s));
    case ValType::funcref:
      if (any) return !actual.as_funcref().is_null();
      if (s == "null") return actual.as_funcref().is_null();
      return false;
    case ValType::v128:
      break;
  }
  return false;
}

std::string describe_expected(const nlohmann::json& expected) {
  std::string t = expected.value("type", "?");
  if (t == "v128" && expected.contains("value") && expected["value"].is_array()) {
    std::string s = "v128:" + expected.value("lane_type", "?") + "x";
    s += std::to_string(expected["value"].size());
    for (const nlohmann::json& lane : expected["value"])
      s += " " + (lane.is_string() ? lane.get<std::string>() : std::string("?"));
    return s;
  }
  if (!has_value(expected)) return t + ":<any non-null>";
  std::string s = expected["value"].get<std::string>();
  if (s.starts_with("nan:") || s == "null" || t == "externref" || t == "funcref")
    return t + ":" + s;
  try {
    return describe_value(parse_value(expected));
  } catch (const std::exception&) {
    return t + ":" + s;
  }
}

std::string describe_value(const Value& v) {
  switch (v.type()) {
    case ValType::i32:
      return "i32:" + std::to_string(v.as_i32()) + " (" + hex(static_cast<uint32_t>(v.bits())) +
             ")";
    case ValType::i64:
      return "i64:" + std::to_string(v.as_i64()) + " (" + hex(v.bits()) + ")";
    case ValType::f32:
      return "f32:" + fmt_float(v.as_f32()) + " (" + hex(static_cast<uint32_t>(v.bits())) + ")";
    case ValType::f64:
      return "f64:" + fmt_float(v.as_f64()) + " (" + hex(v.bits()) + ")";
    case ValType::externref: {
      void* p = v.as_externref();
      if (p == nullptr) return "externref:null";
      return "externref:" + std::to_string(reinterpret_cast<uintptr_t>(p) - 1);
    }
    case ValType::funcref:
      return v.as_funcref().is_null() ? "funcref:null" : "funcref:<func>";
    case ValType::v128:
      return v.to_string();
  }
  return "?";
}

}  // namespace wisp::spectest
