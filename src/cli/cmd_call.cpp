// `wisp call m.wasm NAME ARGS...`: calls an export with arguments parsed from its signature.
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "wisp/wisp.hpp"

namespace wisp::cli {
namespace {

struct CallOptions {
  std::string file;
  std::string name;
  std::vector<std::string> args;
  std::string tier = "auto";
};

// Parses an integer: decimal or 0x hex, optionally negative; must fit [lo, hi] (signed or
// unsigned range of the width, so 0xffffffff and -1 are the same i32).
int64_t parse_int(const std::string& s, int64_t lo, uint64_t hi, bool& ok) {
  std::string_view v = s;
  bool neg = !v.empty() && v[0] == '-';
  if (neg || (!v.empty() && v[0] == '+')) v.remove_prefix(1);
  int base = 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    v.remove_prefix(2);
    base = 16;
  }
  uint64_t mag = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), mag, base);
  ok = !v.empty() && ec == std::errc() && end == v.data() + v.size();
  if (!ok) return 0;
  if (neg) {
    ok = mag <= static_cast<uint64_t>(-(lo + 1)) + 1;
    return static_cast<int64_t>(0 - mag);
  }
  ok = mag <= hi;
  return static_cast<int64_t>(mag);
}

Value parse_arg(const std::string& s, ValType t);

// A v128 in the spec's lane syntax, one shell argument: "i32x4 1 2 3 4", "f32x4 1.5 -0 inf nan",
// "i8x16 0 1 ... 15" (integer lanes signed, unsigned or 0x hex; float lanes as strtod reads them).
Value parse_v128(const std::string& s) {
  std::vector<std::string> words;
  for (size_t at = 0; at < s.size();) {
    size_t end = s.find_first_of(" \t,", at);
    if (end == std::string::npos) end = s.size();
    if (end > at) words.push_back(s.substr(at, end - at));
    at = end + 1;
  }
  static const struct {
    const char* shape;
    unsigned bits;
    ValType lane;
  } kShapes[] = {{"i8x16", 8, ValType::i32},  {"i16x8", 16, ValType::i32},
                 {"i32x4", 32, ValType::i32}, {"i64x2", 64, ValType::i64},
                 {"f32x4", 32, ValType::f32}, {"f64x2", 64, ValType::f64}};
  for (const auto& k : kShapes) {
    if (words.empty() || words[0] != k.shape) continue;
    if (words.size() != 1 + 128 / k.bits) break;
    V128 x;
    for (unsigned i = 0; i < 128 / k.bits; ++i) {
      const std::string& w = words[i + 1];
      if (k.lane == ValType::i32 && k.bits < 32) {  // an 8- or 16-bit lane: its own range
        bool ok = false;
        const int64_t lo = -(int64_t{1} << (k.bits - 1)), hi = (int64_t{1} << k.bits) - 1;
        int64_t v = parse_int(w, lo, static_cast<uint64_t>(hi), ok);
        if (!ok) throw Error("v128 lane '" + w + "' is not a valid " + k.shape + " lane");
        x.set_lane(k.bits, i, static_cast<uint64_t>(v));
      } else {
        x.set_lane(k.bits, i, parse_arg(w, k.lane).bits());
      }
    }
    return Value::v128(x);
  }
  throw Error("argument '" + s +
              "' is not a valid v128 (the spec's lane syntax in one argument: \"i32x4 1 2 3 "
              "4\"; shapes i8x16, i16x8, i32x4, i64x2, f32x4, f64x2)");
}

Value parse_arg(const std::string& s, ValType t) {
  bool ok = false;
  switch (t) {
    case ValType::v128:
      return parse_v128(s);
    case ValType::i32: {
      int64_t x = parse_int(s, std::numeric_limits<int32_t>::min(), 0xffffffffull, ok);
      if (ok) return Value::i32(static_cast<int32_t>(static_cast<uint32_t>(x)));
      break;
    }
    case ValType::i64: {
      int64_t x = parse_int(s, std::numeric_limits<int64_t>::min(), ~0ull, ok);
      if (ok) return Value::i64(x);
      break;
    }
    case ValType::f32:
    case ValType::f64: {
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end == s.c_str() + s.size()) {
        if (t == ValType::f64) return Value::f64(d);
        return Value::f32(std::strtof(s.c_str(), nullptr));
      }
      break;
    }
    case ValType::externref:
    case ValType::funcref:
      if (s == "null") return Value::null_of(t);
      break;
  }
  throw Error(
      "argument '" + s + "' is not a valid " + val_type_name(t) +
      (t == ValType::externref || t == ValType::funcref ? " (only 'null' is accepted)" : ""));
}

std::string format_float(double d, bool single) {
  if (std::isnan(d)) return std::signbit(d) ? "-nan" : "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  auto r = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(d))
                  : std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

std::string format_result(const Value& v) {
  switch (v.type()) {
    case ValType::i32:
      return std::to_string(v.as_i32());
    case ValType::i64:
      return std::to_string(v.as_i64());
    case ValType::f32:
      return format_float(v.as_f32(), true);
    case ValType::f64:
      return format_float(v.as_f64(), false);
    case ValType::externref:
      return v.as_externref() ? "externref" : "null";
    case ValType::funcref:
      return v.as_funcref().is_null() ? "null" : "funcref";
    case ValType::v128: {  // the spec's lane syntax, as i32x4 in hex
      std::string s = "i32x4";
      char buf[16];
      for (unsigned i = 0; i < 4; ++i) {
        std::snprintf(buf, sizeof buf, " 0x%08x", static_cast<unsigned>(v.as_v128().lane(32, i)));
        s += buf;
      }
      return s;
    }
  }
  return "?";
}

int call(const CallOptions& o) {
  Tier tier = parse_tier(o.tier);
  EngineConfig engine_config = engine_config_for(tier);
  engine_config.tier1_cache_only = tier == Tier::automatic;  // as `wisp run` (background compile)
  Engine engine(engine_config);
  Module module = engine.compile_file(o.file);
  if (tier == Tier::automatic && !module.tier1_ready()) spawn_background_compile(o.file);
  std::optional<ExportDesc> exp = module.find_export(o.name);
  if (!exp) throw LinkError("module " + o.file + " has no export named '" + o.name + "'");
  if (exp->type.kind != ExternKind::func) {
    throw LinkError("export '" + o.name + "' is a " + extern_kind_name(exp->type.kind) +
                    ", not a function");
  }
  const FuncType& ft = exp->type.func;
  if (o.args.size() != ft.params.size()) {
    throw Error("'" + o.name + "' takes " + std::to_string(ft.params.size()) + " argument(s) " +
                ft.to_string() + ", got " + std::to_string(o.args.size()));
  }
  std::vector<Value> args;
  for (size_t i = 0; i < o.args.size(); ++i) args.push_back(parse_arg(o.args[i], ft.params[i]));
  TemplateOptions options;
  options.tier = tier;
  Instance instance = Linker().instantiate(module, options);
  // A WASI reactor expects `_initialize` (static constructors) before any other export.
  if (o.name != "_initialize") {
    auto init = module.find_export("_initialize");
    if (init && init->type.kind == ExternKind::func && init->type.func == FuncType{})
      instance.call("_initialize");
  }
  std::vector<Value> results = instance.call(o.name, args);
  for (const Value& v : results) std::printf("%s\n", format_result(v).c_str());
  return kOk;
}

}  // namespace

Value parse_value(const std::string& text, ValType type) {
  return parse_arg(text, type);
}
std::string format_value(const Value& v) {
  return format_result(v);
}

void add_call(CLI::App& app, Action& action) {
  auto o = std::make_shared<CallOptions>();
  CLI::App* sub = app.add_subcommand("call", "Call an exported function and print its results");
  sub->footer(
      "Arguments are parsed from the function's parameter types: i32/i64 in decimal or 0x hex\n"
      "(negative values allowed), f32/f64 as decimal, hex float, inf or nan, references as null.\n"
      "Put -- before arguments that look like options (-- -inf). Results are printed one per\n"
      "line as plain values (55, -1, 1.5, nan, null). Imports are not provided: a module that\n"
      "imports anything fails with a link error.");
  sub->add_option("module", o->file, "The .wasm file")->required();
  sub->add_option("function", o->name, "The exported function")->required();
  sub->add_option("args", o->args, "Arguments, one per parameter");
  sub->add_option("--tier", o->tier, "0 (libtcc), 1 (wait for cc -O2), auto (tier 1 if cached)")
      ->check(tier_validator());
  sub->callback([o, &action] { action = [o] { return call(*o); }; });
}

}  // namespace wisp::cli
