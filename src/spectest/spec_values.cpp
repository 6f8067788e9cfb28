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

}  // namespace

void* extern_host_ref(uint64_t n) {
  // Offset by one so that ref.extern 0 is not the null reference.
  return reinterpret_cast<void*>(static_cast<uintptr_t>(n) + 1);
}

Value parse_value(const nlohmann::json& v) {
  ValType t = parse_type(v.at("type").get<std::string>());
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
  }
  throw std::runtime_error("unreachable value type");
}

bool value_matches(const nlohmann::json& expected, const Value& actual) {
  ValType t = parse_type(expected.at("type").get<std::string>());
  if (actual.type() != t) return false;
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
  }
  return false;
}

std::string describe_expected(const nlohmann::json& expected) {
  std::string t = expected.value("type", "?");
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
  }
  return "?";
}

}  // namespace wisp::spectest
