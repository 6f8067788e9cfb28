// Dynamic linking (the WebAssembly tool conventions' DynamicLinking.md): side modules built with
// `clang --target=wasm32-unknown-emscripten -fPIC` and `wasm-ld --experimental-pic -shared`,
// each carrying a `dylink.0` custom section, loaded at run time into one main instance: into
// *its* linear memory (a region from the main module's allocator) and *its* function table
// (slots the loader adds), with their `__memory_base`, `__table_base` and GOT entries
// (`GOT.mem.*`, `GOT.func.*`) made by the loader and their data relocations and constructors run.
//
//   wisp::SharedInstance shared(engine, engine.compile_file("main.wasm"));
//   shared.load_side_module_file("c_plugin.so.wasm");           // name "c_plugin.so"
//   shared.main().call("highlight", {...});                     // may call into the plugins
//   // after a trap: shared.rebuild({"c_plugin.so"}) resets the main instance to its snapshot
//   // and loads the other side modules again.
//
// The main module is an ordinary module (not PIE) that exports its memory, its function table
// (`-Wl,--export-table -Wl,--growable-table`), `__stack_pointer` when side modules use the
// stack, an allocator (`malloc(size) -> ptr`) and what side modules import from it: functions
// (imported as `env.NAME`) and data symbols (exported globals holding addresses, for
// `GOT.mem.NAME`). Its instance is snapshotted: side modules are re-created after a reset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wisp/engine.hpp"
#include "wisp/instance.hpp"
#include "wisp/linker.hpp"
#include "wisp/template.hpp"

namespace wisp {

// What a side module's `dylink.0` section says (WASM_DYLINK_MEM_INFO, WASM_DYLINK_NEEDED).
struct DylinkInfo {
  uint32_t memory_size = 0;         // bytes of static data (data segments and bss) it needs
  uint32_t memory_align = 0;        // as a power of two
  uint32_t table_size = 0;          // table elements it needs
  uint32_t table_align = 0;         // as a power of two
  std::vector<std::string> needed;  // side modules it depends on (their names)
};

// Reads the `dylink.0` section of a module's bytes. Throws LinkError if it has none (or only
// the pre-LLVM-13 `dylink` section), CompileError (with the byte offset) if it is malformed.
DylinkInfo read_dylink_info(std::span<const uint8_t> bytes);

struct SharedInstanceOptions {
  // Host functions (and other definitions) for the main module's imports and the side modules'
  // imports that neither the main module nor an earlier side module exports.
  Linker host;
  // The main module's template (its snapshot is what rebuild() goes back to: keep it on).
  TemplateOptions main_options;
  // The side modules' tier (their instances are built from scratch: they import a memory).
  Tier side_tier = Tier::automatic;
  // Names of the main module's exports the loader uses.
  std::string memory_export = "memory";
  std::string table_export = "__indirect_function_table";
  std::string stack_pointer_export = "__stack_pointer";
  std::string malloc_export = "malloc";  // (i32 size) -> i32 pointer, 0 when out of memory
};

// One main instance and the side modules loaded into it. Single-owner, like Instance.
class SharedInstance {
 public:
  // Instantiates `main` (its template captures the snapshot). Throws what instantiation throws,
  // and LinkError if the main module lacks the memory, table or allocator export.
  SharedInstance(Engine& engine, const Module& main, SharedInstanceOptions options = {});
  // The same from a template of the main module made already (its imports resolved by the
  // caller's linker; options.host then serves the side modules only). SharedInstances of one
  // template share its snapshot: the main module's initialised memory is one image, mapped
  // copy-on-write into each, and the snapshot is captured once.
  SharedInstance(Engine& engine, const Template& main, SharedInstanceOptions options = {});
  ~SharedInstance();
  SharedInstance(const SharedInstance&) = delete;
  SharedInstance& operator=(const SharedInstance&) = delete;

  struct SideModule {
    std::string name;
    Module module;
    DylinkInfo info;
    Instance instance;         // its exports; it imports the main instance's memory and table
    uint32_t memory_base = 0;  // where its data lives in the main memory
    uint32_t table_base = 0;   // its first slot in the main table
  };

  // Loads a side module under `name` (unique): compiles it (once per name: a rebuild reuses
  // the code), allocates its memory region (aligned, zeroed) with the main module's allocator
  // and its table slots by growing the main table, links it (its `env` imports from the main
  // module's exports, then from earlier side modules', then from options.host), instantiates
  // it, resolves its GOT entries (the main module's exports, earlier side modules', its own)
  // and runs `__wasm_apply_data_relocs` and `__wasm_call_ctors`. Errors name the side module:
  // refusals found while linking (no dylink.0: LinkError; a malformed one: CompileError; a
  // needed module not loaded, an unresolvable import or GOT entry, an alignment past 64 KiB:
  // LinkError) change nothing; a table that cannot grow or an allocator returning 0 throws
  // Trap(resource_limit), leaving the slots or region taken so far unused; when guest code
  // traps (the allocator, the module's start function or constructors), the instance is
  // rebuilt without the module (see rebuild()) before the Trap is rethrown.
  const SideModule& load_side_module(std::span<const uint8_t> bytes, const std::string& name);
  // The same with a module compiled already (`info`: read_dylink_info of its bytes), for
  // loading one plugin into many instances without compiling it again.
  const SideModule& load_side_module(const Module& module, const DylinkInfo& info,
                                     const std::string& name);
  // The same from a file; the name is the file name without its last extension.
  const SideModule& load_side_module_file(const std::filesystem::path& path);

  // Resets the main instance to its snapshot (clearing its trapped state) and loads the side
  // modules again in their order, except those named in `drop`, which are forgotten. Side
  // module Instances from before are invalid afterwards (look them up again). If a side module
  // fails to load again, the others are still loaded and the first failure is rethrown.
  void rebuild(const std::vector<std::string>& drop = {});

  Instance& main() { return main_; }
  const SideModule* side(std::string_view name) const;
  std::vector<std::string> side_names() const;
  uint64_t rebuilds() const { return rebuilds_; }
  // Table slots and memory bytes the side modules hold now (regions as allocated).
  uint32_t side_table_slots() const { return table_slots_; }
  uint64_t side_memory_bytes() const { return memory_bytes_; }

 private:
  const SideModule& load(const Module& module, const DylinkInfo& info, const std::string& name);
  uint32_t function_slot(const Extern& func);
  void rebuild_after_failure();

  Engine& engine_;
  SharedInstanceOptions options_;
  Template main_tmpl_;
  Instance main_;
  std::vector<std::unique_ptr<SideModule>> sides_;
  std::map<std::pair<const void*, uint32_t>, uint32_t> func_slots_;  // GOT.func indices
  uint64_t rebuilds_ = 0;
  uint32_t table_slots_ = 0;
  uint64_t memory_bytes_ = 0;
};

}  // namespace wisp
