// Conversions between Values and the raw ABI representation; trap codes to exceptions.
#include <cstring>

#include "instance/instance_impl.hpp"
#include "runtime/exceptions.hpp"

namespace wisp::detail {

wisp_raw_t to_raw(const Value& v) {
  wisp_raw_t r;
  std::memset(&r, 0, sizeof r);
  switch (v.type()) {
    case ValType::i32:
      r.i32 = static_cast<uint32_t>(v.bits());
      break;
    case ValType::i64:
      r.i64 = v.bits();
      break;
    case ValType::f32:
      r.i32 = static_cast<uint32_t>(v.bits());
      break;
    case ValType::f64:
      r.i64 = v.bits();
      break;
    case ValType::externref:
      r.externref = v.as_externref();
      break;
    case ValType::funcref: {
      FuncRef f = v.as_funcref();
      r.funcref.func_type = f.type_id;
      r.funcref.func = f.code;
      r.funcref.module_instance = f.instance;
      break;
    }
    case ValType::v128: {
      V128 x = v.as_v128();
      std::memcpy(&r.v128, x.bytes, 16);
      break;
    }
  }
  return r;
}

wisp_raw_t load_global(const void* p, ValType t) {
  wisp_raw_t r;
  std::memset(&r, 0, sizeof r);
  switch (t) {
    case ValType::i32:
    case ValType::f32:
      std::memcpy(&r.i32, p, 4);
      break;
    case ValType::i64:
    case ValType::f64:
      std::memcpy(&r.i64, p, 8);
      break;
    case ValType::externref:
      std::memcpy(&r.externref, p, sizeof(void*));
      break;
    case ValType::funcref:
      std::memcpy(&r.funcref, p, sizeof(wasm_rt_funcref_t));
      break;
    case ValType::v128:
      std::memcpy(&r.v128, p, 16);
      break;
  }
  return r;
}

void store_global(void* p, ValType t, const wisp_raw_t& r) {
  switch (t) {
    case ValType::i32:
    case ValType::f32:
      std::memcpy(p, &r.i32, 4);
      break;
    case ValType::i64:
    case ValType::f64:
      std::memcpy(p, &r.i64, 8);
      break;
    case ValType::externref:
      std::memcpy(p, &r.externref, sizeof(void*));
      break;
    case ValType::funcref:
      std::memcpy(p, &r.funcref, sizeof(wasm_rt_funcref_t));
      break;
    case ValType::v128:
      std::memcpy(p, &r.v128, 16);
      break;
  }
}

Value from_raw(const wisp_raw_t& r, ValType t) {
  switch (t) {
    case ValType::i32:
      return Value::i32(static_cast<int32_t>(r.i32));
    case ValType::i64:
      return Value::i64(static_cast<int64_t>(r.i64));
    case ValType::f32:
      return Value::f32_bits(r.i32);
    case ValType::f64:
      return Value::f64_bits(r.i64);
    case ValType::externref:
      return Value::externref(r.externref);
    case ValType::funcref:
      return Value::funcref(
          FuncRef{r.funcref.func_type, r.funcref.func, r.funcref.module_instance});
    case ValType::v128: {
      V128 x;
      std::memcpy(x.bytes, &r.v128, 16);
      return Value::v128(x);
    }
  }
  return Value();
}

void throw_trap(rt::TrapCode code) {
  if (code == rt::kWasiExitCode) throw WasiExit(rt::exit_code());
  if (rt::trap_kind(code) == TrapKind::uncaught_exception && rt::exception_tag() != 0) {
    // The guest's exception, still this thread's active one: its tag and values.
    const auto* data = static_cast<const uint8_t*>(rt::exception_data());
    std::vector<uint8_t> raw(data, data + rt::exception_size());
    // Its exnref values (counted references, valid only within the call) become null: the
    // host's values have no exnref, and one may throw this exception into a later call.
    const uint64_t refs = rt::exception_refs();
    for (size_t i = 0; i < 64 && (i + 1) * sizeof(wisp_raw_t) <= raw.size(); ++i)
      if ((refs >> i) & 1u) std::memset(raw.data() + i * sizeof(wisp_raw_t), 0, sizeof(wisp_raw_t));
    throw Exception(rt::exception_tag(), std::move(raw));
  }
  throw Trap(rt::trap_kind(code), rt::trap_message());
}

}  // namespace wisp::detail
