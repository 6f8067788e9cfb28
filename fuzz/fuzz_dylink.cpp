// libFuzzer target: loading untrusted side modules (wisp::SharedInstance, src/dylink): the
// dylink.0 reader and the whole load (compile on tier 0, link with GOT entries and bases,
// instantiate, data relocations, constructors) into one main instance built once.
// Properties, besides no crash, leak or undefined behaviour:
//  - every refusal is a wisp::Error (CompileError, LinkError, Trap, or Error); anything else
//    escaping is a finding (libFuzzer reports the uncaught exception);
//  - read_dylink_info and load_side_module agree: what the reader refuses is never loaded;
//  - after each input (loaded and dropped again, or refused) the main instance still answers.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

#include "wisp/dylink.hpp"
#include "wisp/error.hpp"
#include "wisp/wisp.hpp"

namespace wisp::fuzz {
namespace {

// The main module: what the examples' plugins import (register_language, emit), an exported
// growable table, stack pointer and a bump allocator that refuses past 4 MiB.
constexpr const char* kMainWat = R"((module
  (memory (export "memory") 2 80)
  (table (export "__indirect_function_table") 1 funcref)
  (global (export "__stack_pointer") (mut i32) (i32.const 65536))
  (global $top (mut i32) (i32.const 131072))
  (func (export "malloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $top))
    (if (i32.gt_u (local.get $n) (i32.const 4194304)) (then (return (i32.const 0))))
    (global.set $top (i32.add (global.get $top) (i32.and (i32.add (local.get $n) (i32.const 15))
                                                         (i32.const -16))))
    (if (i32.gt_u (global.get $top) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 16)))))
    (local.get $p))
  (func (export "register_language") (param i32 i32 i32 i32) (result i32) (i32.const 0))
  (func (export "emit") (param i32 i32 i32))
  (func (export "ping") (result i32) (i32.const 42)))
)";

struct Fixture {
  Fixture() {
    EngineConfig config;
    config.enable_tier1 = false;  // tier 0 only: each input compiles in milliseconds
    engine = std::make_unique<Engine>(config);
    SharedInstanceOptions o;
    o.main_options.tier = Tier::tier0;
    o.main_options.limits.call_timeout = std::chrono::milliseconds(200);
    o.side_tier = Tier::tier0;
    shared = std::make_unique<SharedInstance>(*engine, engine->compile(wat_to_wasm(kMainWat)), o);
  }
  std::unique_ptr<Engine> engine;
  std::unique_ptr<SharedInstance> shared;
  uint64_t inputs = 0;
};

Fixture& fixture() {
  static Fixture* f = new Fixture();  // never destroyed: libFuzzer exits without unwinding
  return *f;
}

}  // namespace
}  // namespace wisp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wisp;
  fuzz::Fixture& f = fuzz::fixture();
  std::span<const uint8_t> bytes(data, size);
  bool readable = true;
  try {
    read_dylink_info(bytes);
  } catch (const Error&) {
    readable = false;
  }
  const std::string name = "side" + std::to_string(f.inputs++);
  bool loaded = false;
  try {
    f.shared->load_side_module(bytes, name);
    loaded = true;
  } catch (const Error&) {
    // refused: a wisp error, as it must be
  }
  if (loaded && !readable) std::abort();  // loaded what read_dylink_info refuses
  if (loaded) f.shared->rebuild({name});
  if (f.inputs % 64 == 0) f.shared->rebuild();  // refusals may leave allocator regions behind
  if (f.shared->main().call("ping").at(0).as_i32() != 42) std::abort();
  return 0;
}
