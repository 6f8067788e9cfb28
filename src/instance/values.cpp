// Value, FuncType and ExternType printing and comparison.
#include <cstdio>

#include "wisp/module.hpp"
#include "wisp/value.hpp"

namespace wisp {

const char* val_type_name(ValType t) {
  switch (t) {
    case ValType::i32:
      return "i32";
    case ValType::i64:
      return "i64";
    case ValType::f32:
      return "f32";
    case ValType::f64:
      return "f64";
    case ValType::funcref:
      return "funcref";
    case ValType::externref:
      return "externref";
    case ValType::v128:
      return "v128";
  }
  return "?";
}

const char* extern_kind_name(ExternKind k) {
  switch (k) {
    case ExternKind::func:
      return "func";
    case ExternKind::table:
      return "table";
    case ExternKind::memory:
      return "memory";
    case ExternKind::global:
      return "global";
    case ExternKind::tag:
      return "tag";
  }
  return "?";
}

const char* tier_name(Tier t) {
  switch (t) {
    case Tier::tier0:
      return "tier0";
    case Tier::tier1:
      return "tier1";
    case Tier::automatic:
      return "auto";
  }
  return "?";
}

std::string FuncType::to_string() const {
  std::string s = "(";
  for (size_t i = 0; i < params.size(); ++i)
    s += (i ? ", " : "") + std::string(val_type_name(params[i]));
  s += ") -> (";
  for (size_t i = 0; i < results.size(); ++i)
    s += (i ? ", " : "") + std::string(val_type_name(results[i]));
  return s + ")";
}

namespace {
std::string limits_string(const Limits32& l) {
  return std::to_string(l.min) + ".." + (l.max ? std::to_string(*l.max) : "");
}
}  // namespace

std::string ExternType::to_string() const {
  switch (kind) {
    case ExternKind::func:
      return "func " + func.to_string();
    case ExternKind::table:
      return "table " + limits_string(table.limits) + " " + val_type_name(table.elem);
    case ExternKind::memory:
      return std::string("memory ") + (memory.is64 ? "i64 " : "") + limits_string(memory.limits) +
             (memory.shared ? " shared" : "");
    case ExternKind::global:
      return std::string("global ") + (global.mut ? "mut " : "") + val_type_name(global.type);
    case ExternKind::tag: {
      std::string s = "tag (";
      for (size_t i = 0; i < func.params.size(); ++i)
        s += (i ? ", " : "") + std::string(val_type_name(func.params[i]));
      return s + ")";
    }
  }
  return "?";
}

Value Value::null_of(ValType t) {
  switch (t) {
    case ValType::funcref:
      return funcref(FuncRef{});
    case ValType::externref:
      return externref(nullptr);
    case ValType::v128:
      return v128(V128{});
    default: {
      Value v(t);
      v.bits_ = 0;
      return v;
    }
  }
}

bool Value::is_null_ref() const {
  if (type_ == ValType::externref) return ref_ == nullptr;
  if (type_ == ValType::funcref) return func_.is_null();
  return false;
}

bool Value::operator==(const Value& o) const {
  if (type_ != o.type_) return false;
  switch (type_) {
    case ValType::externref:
      return ref_ == o.ref_;
    case ValType::funcref:
      return func_ == o.func_;
    case ValType::v128:
      return v128_ == o.v128_;
    case ValType::i32:
    case ValType::f32:
      return static_cast<uint32_t>(bits_) == static_cast<uint32_t>(o.bits_);
    default:
      return bits_ == o.bits_;
  }
}

std::string Value::to_string() const {
  char buf[64];
  switch (type_) {
    case ValType::i32:
      std::snprintf(buf, sizeof buf, "i32:%d", as_i32());
      break;
    case ValType::i64:
      std::snprintf(buf, sizeof buf, "i64:%lld", static_cast<long long>(as_i64()));
      break;
    case ValType::f32:
      std::snprintf(buf, sizeof buf, "f32:%.9g", static_cast<double>(as_f32()));
      break;
    case ValType::f64:
      std::snprintf(buf, sizeof buf, "f64:%.17g", as_f64());
      break;
    case ValType::externref:
      if (ref_ == nullptr) return "externref:null";
      std::snprintf(buf, sizeof buf, "externref:%p", ref_);
      break;
    case ValType::funcref:
      if (func_.is_null()) return "funcref:null";
      std::snprintf(buf, sizeof buf, "funcref:%p", reinterpret_cast<void*>(func_.code));
      break;
    case ValType::v128: {
      std::string s = "v128:i32x4";
      for (unsigned i = 0; i < 4; ++i) {
        std::snprintf(buf, sizeof buf, " 0x%08x", static_cast<unsigned>(v128_.lane(32, i)));
        s += buf;
      }
      return s;
    }
  }
  return buf;
}

}  // namespace wisp
