// Values and types: construction, bit-exact floats, equality, and their printed forms.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "wisp/wisp.hpp"

namespace wisp {
namespace {

TEST(ValueTest, NumbersRoundTrip) {
  EXPECT_EQ(Value::i32(-1).as_i32(), -1);
  EXPECT_EQ(Value::i32(-1).type(), ValType::i32);
  EXPECT_EQ(Value::i64(INT64_MIN).as_i64(), INT64_MIN);
  EXPECT_EQ(Value::f32(1.5f).as_f32(), 1.5f);
  EXPECT_EQ(Value::f64(-0.25).as_f64(), -0.25);
  EXPECT_EQ(Value().type(), ValType::i32);
  EXPECT_EQ(Value().as_i32(), 0);
}

TEST(ValueTest, EqualityIsByTypeAndBits) {
  EXPECT_EQ(Value::i32(5), Value::i32(5));
  EXPECT_NE(Value::i32(5), Value::i64(5));
  EXPECT_NE(Value::f32(0.0f), Value::f32(-0.0f));
  EXPECT_EQ(Value::f64_bits(0x7ff8000000000001ull), Value::f64_bits(0x7ff8000000000001ull));
  EXPECT_NE(Value::f64_bits(0x7ff8000000000001ull), Value::f64_bits(0x7ff8000000000002ull));
  EXPECT_EQ(Value::f32_bits(0x7fa00000u).bits(), 0x7fa00000u);  // signalling NaN kept
  EXPECT_TRUE(std::isnan(Value::f32_bits(0x7fa00000u).as_f32()));
}

TEST(ValueTest, References) {
  int x = 0;
  EXPECT_EQ(Value::externref(&x).as_externref(), &x);
  EXPECT_FALSE(Value::externref(&x).is_null_ref());
  EXPECT_TRUE(Value::null_of(ValType::externref).is_null_ref());
  EXPECT_EQ(Value::null_of(ValType::externref).type(), ValType::externref);
  EXPECT_TRUE(Value::null_of(ValType::funcref).is_null_ref());
  EXPECT_TRUE(Value::null_of(ValType::funcref).as_funcref().is_null());
  EXPECT_EQ(Value::null_of(ValType::funcref), Value::null_of(ValType::funcref));
  EXPECT_NE(Value::null_of(ValType::funcref), Value::null_of(ValType::externref));
}

TEST(ValueTest, Strings) {
  EXPECT_EQ(Value::i32(42).to_string(), "i32:42");
  EXPECT_EQ(Value::i64(-7).to_string(), "i64:-7");
  EXPECT_EQ(Value::f64(1.5).to_string(), "f64:1.5");
  EXPECT_EQ(Value::null_of(ValType::externref).to_string(), "externref:null");
  EXPECT_STREQ(val_type_name(ValType::f32), "f32");
  EXPECT_STREQ(val_type_name(ValType::funcref), "funcref");
  EXPECT_EQ((FuncType{{ValType::i32, ValType::i64}, {ValType::f32}}).to_string(),
            "(i32, i64) -> (f32)");
  EXPECT_EQ(FuncType{}.to_string(), "() -> ()");
}

TEST(ValueTest, ErrorHierarchy) {
  CompileError ce("bad section", 17);
  EXPECT_EQ(ce.offset(), 17u);
  EXPECT_EQ(ce.message(), "bad section");
  EXPECT_NE(std::string(ce.what()).find("bad section"), std::string::npos);
  EXPECT_EQ(CompileError("x").offset(), CompileError::npos);
  WasiExit exit(3);
  EXPECT_EQ(exit.code(), 3);
  const Error* errors[] = {&ce, &exit};
  for (const Error* e : errors) EXPECT_NE(e->what(), nullptr);
}

}  // namespace
}  // namespace wisp
