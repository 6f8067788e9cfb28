// WebAssembly value types, function types and dynamically typed values.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace wisp {

enum class ValType : uint8_t { i32, i64, f32, f64, funcref, externref, v128 };

const char* val_type_name(ValType t);

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;

  bool operator==(const FuncType&) const = default;
  // "(i32, i64) -> (f32)"
  std::string to_string() const;
};

// A reference to a function as the runtime represents it (opaque to callers).
struct FuncRef {
  uint32_t type_id = 0;  // runtime function-type registry index
  void (*code)() = nullptr;
  void* instance = nullptr;
  bool is_null() const { return code == nullptr; }
  bool operator==(const FuncRef&) const = default;
};

// A v128 value (SIMD): 16 bytes, lane 0 first (little-endian, as in linear memory).
struct V128 {
  uint8_t bytes[16] = {};

  static V128 from_halves(uint64_t lo, uint64_t hi) {
    V128 v;
    std::memcpy(v.bytes, &lo, 8);
    std::memcpy(v.bytes + 8, &hi, 8);
    return v;
  }
  uint64_t lo() const {
    uint64_t x;
    std::memcpy(&x, bytes, 8);
    return x;
  }
  uint64_t hi() const {
    uint64_t x;
    std::memcpy(&x, bytes + 8, 8);
    return x;
  }
  // Lane `i` of width `bits` (8, 16, 32 or 64), zero-extended; float lanes as their bits.
  uint64_t lane(unsigned bits, unsigned i) const {
    uint64_t x = 0;
    std::memcpy(&x, bytes + i * (bits / 8), bits / 8);
    return x;
  }
  void set_lane(unsigned bits, unsigned i, uint64_t x) {
    std::memcpy(bytes + i * (bits / 8), &x, bits / 8);
  }
  bool operator==(const V128&) const = default;
};

// A dynamically typed WebAssembly value. Floats are kept as bits so NaN payloads survive.
class Value {
 public:
  Value() : type_(ValType::i32) { bits_ = 0; }
  static Value i32(int32_t v) {
    Value x(ValType::i32);
    x.bits_ = static_cast<uint32_t>(v);
    return x;
  }
  static Value i64(int64_t v) {
    Value x(ValType::i64);
    x.bits_ = static_cast<uint64_t>(v);
    return x;
  }
  static Value f32(float v) {
    uint32_t b;
    std::memcpy(&b, &v, 4);
    return f32_bits(b);
  }
  static Value f64(double v) {
    uint64_t b;
    std::memcpy(&b, &v, 8);
    return f64_bits(b);
  }
  static Value f32_bits(uint32_t b) {
    Value x(ValType::f32);
    x.bits_ = b;
    return x;
  }
  static Value f64_bits(uint64_t b) {
    Value x(ValType::f64);
    x.bits_ = b;
    return x;
  }
  static Value externref(void* p) {
    Value x(ValType::externref);
    x.ref_ = p;
    return x;
  }
  static Value funcref(FuncRef f) {
    Value x(ValType::funcref);
    x.func_ = f;
    return x;
  }
  static Value v128(const V128& v) {
    Value x(ValType::v128);
    x.v128_ = v;
    return x;
  }
  static Value null_of(ValType t);

  ValType type() const { return type_; }
  int32_t as_i32() const { return static_cast<int32_t>(static_cast<uint32_t>(bits_)); }
  int64_t as_i64() const { return static_cast<int64_t>(bits_); }
  float as_f32() const {
    float f;
    uint32_t b = static_cast<uint32_t>(bits_);
    std::memcpy(&f, &b, 4);
    return f;
  }
  double as_f64() const {
    double d;
    std::memcpy(&d, &bits_, 8);
    return d;
  }
  uint64_t bits() const { return bits_; }  // raw bits of a number (f32: low 32 bits; v128: low 64)
  void* as_externref() const { return ref_; }
  FuncRef as_funcref() const { return func_; }
  V128 as_v128() const { return v128_; }
  bool is_null_ref() const;

  // Same type and same bits (NaNs compare by payload).
  bool operator==(const Value& o) const;
  // "i32:42", "f64:1.5", "externref:null", "v128:i32x4 1 2 3 4" (the spec's lane syntax)
  std::string to_string() const;

 private:
  explicit Value(ValType t) : type_(t) { bits_ = 0; }
  ValType type_;
  union {
    uint64_t bits_;
    void* ref_;
    FuncRef func_;
    V128 v128_;
  };
};

// Maps C++ argument/result types to value types for typed functions and host functions.
template <typename T>
struct ValTypeOf;
template <>
struct ValTypeOf<int32_t> {
  static constexpr ValType value = ValType::i32;
};
template <>
struct ValTypeOf<uint32_t> {
  static constexpr ValType value = ValType::i32;
};
template <>
struct ValTypeOf<int64_t> {
  static constexpr ValType value = ValType::i64;
};
template <>
struct ValTypeOf<uint64_t> {
  static constexpr ValType value = ValType::i64;
};
template <>
struct ValTypeOf<float> {
  static constexpr ValType value = ValType::f32;
};
template <>
struct ValTypeOf<double> {
  static constexpr ValType value = ValType::f64;
};

}  // namespace wisp
