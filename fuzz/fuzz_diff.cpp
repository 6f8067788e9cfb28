// libFuzzer target: differential execution. binaryen turns the input into a random valid module
// (`wasm-opt -ttf`, WebAssembly 2.0 without reference types, with SIMD, `--denan` so that no NaN,
// whose bits the spec leaves open, reaches a scalar result; v128 lanes holding NaNs are compared as
// "a NaN", see canon(V128)), its interpreter runs every exported function
// in order with zero arguments (`wasm-opt --fuzz-exec-before`), and wisp runs the same calls on
// tier 0 and on tier 1 (cc -O2, built before the calls), each with its own instance, with the
// module's `fuzzing-support` logging imports defined (and, as binaryen does, the module's
// `hangLimitInitializer` called before each export).
// Properties, besides no crash, leak or undefined behaviour:
//  - wisp compiles every module binaryen makes, on both tiers;
//  - each tier's sequence of events (calls, logged values, results, traps) equals the
//    reference interpreter's, values compared bit for bit.
// A call that times out (5 s) or exhausts the stack on either side ends the comparison there.
// wasm-opt comes from WISP_WASM_OPT, else the one found at configure time. To study one module,
// WISP_FUZZ_DIFF_MODULE=file.wasm runs it instead of the one made from the input.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "wisp/wisp.hpp"

#ifndef WISP_WASM_OPT_PATH
#define WISP_WASM_OPT_PATH "wasm-opt"
#endif

extern char** environ;

namespace wisp::fuzz {
namespace {

namespace fs = std::filesystem;

const char* const kFeatures[] = {"--mvp-features",
                                 "--enable-sign-ext",
                                 "--enable-mutable-globals",
                                 "--enable-nontrapping-float-to-int",
                                 "--enable-bulk-memory",
                                 "--enable-multivalue",
                                 "--enable-simd"};

// Runs `args` (through `timeout`, so a stuck wasm-opt cannot stall the fuzzer) with stdout to
// `out` (or /dev/null) and stderr discarded; returns the exit status.
int run(std::vector<std::string> args, const fs::path& out) {
  args.insert(args.begin(), {"timeout", "-s", "KILL", "60"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.empty() ? "/dev/null" : out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  check(rc == 0, "cannot start timeout/wasm-opt");
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// One observable event, as text: "call NAME", "log ...", "result ...", "trap".
struct Event {
  enum Kind { call, log, result, trap, stop } kind;
  std::string text;
  std::vector<ValType> types;  // of a log or result (wisp's side)
};

std::string canon(ValType t, uint64_t bits) {
  char b[64];
  switch (t) {
    case ValType::i32:
      std::snprintf(b, sizeof b, "%" PRId32, static_cast<int32_t>(bits));
      break;
    case ValType::i64:
      std::snprintf(b, sizeof b, "%" PRId64, static_cast<int64_t>(bits));
      break;
    case ValType::f32:
      if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x7fffffu)) return "nan";
      std::snprintf(b, sizeof b, "f32:%08" PRIx32, static_cast<uint32_t>(bits));
      break;
    case ValType::f64:
      if ((bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (bits & 0xfffffffffffffull))
        return "nan";
      std::snprintf(b, sizeof b, "f64:%016" PRIx64, bits);
      break;
    default:
      return "?";
  }
  return b;
}

// A v128 as binaryen prints one, "i32x4 0x%08x 0x%08x 0x%08x 0x%08x" (lane 0 first), with NaN
// payloads and signs left out: --denan keeps NaNs out of scalar results but not out of v128
// lanes, and the spec lets engines choose those bits (which lanes hold a NaN it does not). A
// 32-bit lane with a float NaN's bits prints as "nan"; when the upper lane of a 64-bit half does
// (as the upper word of every f64 NaN does), the whole half does.
std::string canon(const V128& v) {
  uint32_t lanes[4];
  std::memcpy(lanes, v.bytes, 16);
  auto is_nan32 = [](uint32_t b) { return (b & 0x7f800000u) == 0x7f800000u && (b & 0x7fffffu); };
  std::string out = "i32x4";
  for (int half = 0; half < 2; ++half) {
    const uint32_t lo = lanes[2 * half], hi = lanes[2 * half + 1];
    const bool nan_half = is_nan32(hi);
    for (uint32_t lane : {lo, hi}) {
      char b[16];
      if (nan_half || is_nan32(lane))
        std::snprintf(b, sizeof b, " nan");
      else
        std::snprintf(b, sizeof b, " 0x%08" PRIx32, lane);
      out += b;
    }
  }
  return out;
}

// binaryen's text of a v128 ("i32x4" and four hexadecimal lanes), in canon(V128)'s form.
std::string canon_v128_text(const std::string& s) {
  unsigned lanes[4];
  if (std::sscanf(s.c_str(), "i32x4 %x %x %x %x", &lanes[0], &lanes[1], &lanes[2], &lanes[3]) != 4)
    return "?" + s;
  V128 v;
  for (int i = 0; i < 4; ++i) {
    const uint32_t lane = lanes[i];
    std::memcpy(v.bytes + 4 * i, &lane, 4);
  }
  return canon(v);
}

std::string canon(const Value& v) {
  switch (v.type()) {
    case ValType::v128:
      return canon(v.as_v128());
    case ValType::i32:
      return canon(ValType::i32, static_cast<uint32_t>(v.as_i32()));
    case ValType::i64:
      return canon(ValType::i64, static_cast<uint64_t>(v.as_i64()));
    case ValType::f32: {
      float f = v.as_f32();
      uint32_t b;
      std::memcpy(&b, &f, 4);
      return canon(ValType::f32, b);
    }
    case ValType::f64: {
      double d = v.as_f64();
      uint64_t b;
      std::memcpy(&b, &d, 8);
      return canon(ValType::f64, b);
    }
    default:
      return "?";
  }
}

// binaryen's text of one value, in wisp's canonical form for type `t`.
std::string canon_text(ValType t, std::string s) {
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (t == ValType::v128) return canon_v128_text(s);
  if (s.find("nan") != std::string::npos) return "nan";
  switch (t) {
    case ValType::i32:
    case ValType::i64:
      return canon(t, static_cast<uint64_t>(std::strtoll(s.c_str(), nullptr, 10)));
    case ValType::f32: {
      float f = std::strtof(s.c_str(), nullptr);
      uint32_t b;
      std::memcpy(&b, &f, 4);
      return canon(t, b);
    }
    case ValType::f64: {
      double d = std::strtod(s.c_str(), nullptr);
      uint64_t b;
      std::memcpy(&b, &d, 8);
      return canon(t, b);
    }
    default:
      return "?" + s;
  }
}

// binaryen's events, from its --fuzz-exec-before output.
std::vector<Event> reference_events(const std::string& text) {
  std::vector<Event> out;
  std::istringstream in(text);
  std::string line;
  const std::string calling = "[fuzz-exec] calling ", note = "[fuzz-exec] note result: ",
                    logging = "[LoggingExternalInterface logging ";
  while (std::getline(in, line)) {
    if (line.starts_with(calling)) {
      out.push_back({Event::call, line.substr(calling.size()), {}});
    } else if (line.starts_with(note)) {
      size_t arrow = line.find(" => ");
      out.push_back({Event::result, arrow == std::string::npos ? "" : line.substr(arrow + 4), {}});
    } else if (line.starts_with(logging)) {
      std::string v = line.substr(logging.size());
      if (!v.empty() && v.back() == ']') v.pop_back();
      out.push_back({Event::log, v, {}});
    } else if (line.starts_with("[trap ")) {
      out.push_back({Event::trap, line, {}});
    } else if (line.starts_with("[host limit") || line.starts_with("[exception")) {
      out.push_back({Event::stop, line, {}});
      break;
    }
  }
  return out;
}

// The reference's text of a result or log, in wisp's canonical form for wisp's types.
std::string reference_canon(const Event& ref, const Event& mine) {
  std::vector<std::string> parts;
  std::string s = ref.text;
  if (ref.kind == Event::log) {
    // log-i64 prints its low and high halves as two i32.
    if (mine.types.size() == 1 && mine.types[0] == ValType::i64) {
      size_t sp = s.find(' ');
      if (sp == std::string::npos) return "?" + s;
      uint64_t lo = static_cast<uint32_t>(std::strtol(s.substr(0, sp).c_str(), nullptr, 10));
      uint64_t hi = static_cast<uint32_t>(std::strtol(s.substr(sp + 1).c_str(), nullptr, 10));
      return canon(ValType::i64, lo | (hi << 32));
    }
    return mine.types.size() == 1 ? canon_text(mine.types[0], s) : "?" + s;
  }
  if (s.size() >= 2 && s.front() == '(' && s.back() == ')') s = s.substr(1, s.size() - 2);
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) parts.push_back(item);
  if (parts.size() != mine.types.size()) return "?" + ref.text;
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i ? " " : "") + canon_text(mine.types[i], parts[i]);
  return out;
}

struct Log {
  std::vector<Event>* events = nullptr;
};

Linker logging_linker(Log& log) {
  Linker l;
  for (ValType t : {ValType::i32, ValType::i64, ValType::f32, ValType::f64, ValType::v128}) {
    FuncType ft;
    ft.params = {t};
    l.define_func("fuzzing-support", std::string("log-") + val_type_name(t), ft,
                  [&log, t](Caller&, std::span<const Value> p, std::span<Value>) {
                    if (log.events) log.events->push_back({Event::log, canon(p[0]), {t}});
                  });
  }
  return l;
}

Value zero(ValType t) {
  switch (t) {
    case ValType::i64:
      return Value::i64(0);
    case ValType::f32:
      return Value::f32(0);
    case ValType::f64:
      return Value::f64(0);
    case ValType::v128:
      return Value::v128(V128{});
    default:
      return Value::i32(0);
  }
}

// wisp's events on `tier`; a Trap of a kind that ends the comparison adds a `stop` event.
std::vector<Event> wisp_events(const Module& m, Tier tier) {
  std::vector<Event> events;
  Log log;
  Linker linker = logging_linker(log);
  TemplateOptions o;
  o.tier = tier;
  o.limits.call_timeout = std::chrono::seconds(5);
  log.events = &events;
  Instance inst;
  try {
    inst = linker.instantiate(m, o);
  } catch (const Trap& t) {
    events.push_back({Event::trap, std::string("instantiation: ") + t.what(), {}});
    return events;
  }
  check(inst.tier() == tier,
        std::string("asked for ") + tier_name(tier) + ", got " + tier_name(inst.tier()));
  const bool hang_limit = m.find_export("hangLimitInitializer").has_value();
  for (const ExportDesc& e : m.exports()) {
    if (e.type.kind != ExternKind::func) continue;
    events.push_back({Event::call, e.name, {}});
    std::vector<Value> args;
    for (ValType t : e.type.func.params) args.push_back(zero(t));
    try {
      // binaryen's fuzz-exec resets the module's hang limit before each export it calls.
      if (hang_limit) inst.call("hangLimitInitializer");
      std::vector<Value> r = inst.call(e.name, args);
      Event ev{Event::result, "", e.type.func.results};
      for (size_t i = 0; i < r.size(); ++i) ev.text += (i ? " " : "") + canon(r[i]);
      if (!r.empty()) events.push_back(std::move(ev));
    } catch (const Trap& t) {
      if (t.kind() == TrapKind::timeout || t.kind() == TrapKind::stack_exhausted) {
        events.push_back({Event::stop, t.what(), {}});
        return events;
      }
      events.push_back({Event::trap, t.what(), {}});
    }
  }
  return events;
}

std::string describe(const std::vector<Event>& ev, size_t upto) {
  std::string s;
  for (size_t i = 0; i < ev.size() && i <= upto; ++i) {
    static const char* const kinds[] = {"call", "log", "result", "trap", "stop"};
    s += std::string("  ") + kinds[ev[i].kind] + " " + ev[i].text + "\n";
  }
  return s;
}

void compare(const std::vector<Event>& ref, const std::vector<Event>& mine, const char* tier) {
  for (size_t i = 0; i < ref.size() || i < mine.size(); ++i) {
    if (i < ref.size() && ref[i].kind == Event::stop) return;
    if (i < mine.size() && mine[i].kind == Event::stop) return;
    auto fail = [&](const std::string& what) {
      finding(std::string(tier) + " differs from binaryen's interpreter at event " +
              std::to_string(i) + ": " + what + "\nbinaryen:\n" + describe(ref, i) + "wisp:\n" +
              describe(mine, i));
    };
    if (i >= ref.size()) fail("wisp has more events");
    if (i >= mine.size()) fail("wisp has fewer events");
    const Event &r = ref[i], &m = mine[i];
    if (r.kind != m.kind) fail("a different kind of event");
    if (r.kind == Event::call && r.text != m.text) fail("a different export called");
    if (r.kind == Event::log || r.kind == Event::result) {
      std::string want = reference_canon(r, m);
      if (want != m.text) fail("'" + want + "' (binaryen) vs '" + m.text + "' (wisp)");
    }
  }
}

struct State {
  ScratchDir dir{"diff"};
  std::string wasm_opt;
  std::unique_ptr<Engine> engine;
  uint64_t inputs = 0, made = 0, compared = 0;

  State() {
    const char* w = std::getenv("WISP_WASM_OPT");
    wasm_opt = w && *w ? w : WISP_WASM_OPT_PATH;
    EngineConfig c;
    c.cache_dir = dir.path() / "cache";
    c.background_tier1 = false;
    engine = std::make_unique<Engine>(c);
  }
};

State& state() {
  static State* s = new State();  // lives as long as the process
  return *s;
}

}  // namespace
}  // namespace wisp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wisp;
  using namespace wisp::fuzz;
  State& s = state();
  if (size < 8) return 0;
  ++s.inputs;
  const fs::path seed = s.dir.path() / "seed", mod = s.dir.path() / "module.wasm",
                 out = s.dir.path() / "reference.txt";
  std::ofstream(seed, std::ios::binary)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  std::vector<std::string> ttf = {s.wasm_opt, "-ttf", seed.string(), "--denan", "-o", mod.string()};
  ttf.insert(ttf.end(), std::begin(kFeatures), std::end(kFeatures));
  if (const char* given = std::getenv("WISP_FUZZ_DIFF_MODULE"); given && *given) {
    fs::copy_file(given, mod, fs::copy_options::overwrite_existing);  // to study one module
  } else if (run(ttf, {}) != 0) {
    return 0;  // binaryen could not make a module of these bytes
  }
  std::vector<std::string> exec = {s.wasm_opt, mod.string(), "--fuzz-exec-before", "-q"};
  exec.insert(exec.end(), std::begin(kFeatures), std::end(kFeatures));
  if (run(exec, out) != 0) return 0;
  ++s.made;
  std::ifstream rf(out);
  std::vector<Event> ref = reference_events(std::string(std::istreambuf_iterator<char>(rf), {}));

  std::vector<uint8_t> bytes = read_file_bytes(mod);
  std::optional<Module> compiled;
  try {
    compiled = s.engine->compile(bytes);
  } catch (const CompileError& e) {
    finding(std::string("a module binaryen made is refused: ") + e.what());
  }
  const Module& m = *compiled;
  check(m.wait_tier1(), "tier 1 failed: " + m.tier1_error().value_or("no reason given"));
  compare(ref, wisp_events(m, Tier::tier0), "tier 0");
  compare(ref, wisp_events(m, Tier::tier1), "tier 1");
  ++s.compared;
  std::error_code ec;
  fs::remove_all(s.dir.path() / "cache", ec);  // every module is new: keep the disk use flat
  if (s.inputs % 50 == 0)
    std::fprintf(stderr,
                 "[fuzz_diff] %" PRIu64 " inputs, %" PRIu64 " modules made, %" PRIu64
                 " compared on both tiers\n",
                 s.inputs, s.made, s.compared);
  return 0;
}
