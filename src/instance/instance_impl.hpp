// Internals of templates and instances: resolved imports, bindings, the instance struct.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <typeindex>
#include <utility>
#include <vector>

#include "compile/module_impl.hpp"
#include "runtime/call_boundary.hpp"
#include "runtime/host_call.hpp"
#include "runtime/slots.hpp"
#include "runtime/wisp_abi.h"
#include "snapshot/snapshot.hpp"
#include "wisp/linker.hpp"
#include "wisp/template.hpp"

namespace wisp::detail {

struct HostFuncDef {
  FuncType type;
  HostFunction fn;
  uint32_t type_id = 0;
};

// How one import of a template is satisfied.
// A tag's identity and type (wisp::Tag); `id` is what modules importing the tag copy (its
// address is the import's binding).
struct TagState {
  uint32_t id = 0;
  std::vector<ValType> params;
};

// A host global (wisp::Global): its type and storage, which importers bind to.
struct HostGlobalState {
  ValType type = ValType::i32;
  bool mut = false;
  alignas(16) unsigned char storage[sizeof(wasm_rt_funcref_t) > 16 ? sizeof(wasm_rt_funcref_t)
                                                                   : 16] = {};
};

struct ResolvedImport {
  ExternKind kind = ExternKind::func;
  std::shared_ptr<HostFuncDef> host;      // host function
  std::shared_ptr<InstanceImpl> owner;    // exporting instance, kept alive by importers
  wasm_rt_function_ptr_t code = nullptr;  // wasm function of `owner`
  void* vmctx = nullptr;
  void* ptr = nullptr;            // memory, table, global or tag storage
  std::shared_ptr<TagState> tag;  // a host tag (Linker::define_tag), whose id `ptr` points to
  std::shared_ptr<HostGlobalState> global;  // a host global (Linker::define_global): `ptr`
};

struct TemplateImpl {
  Module module;
  TemplateOptions options;
  std::vector<ResolvedImport> imports;
  explicit TemplateImpl(Module m) : module(std::move(m)) {}

  // Snapshots: possible unless the module imports a memory, a table or a mutable global (their
  // state lives outside the instance). Computed once the imports are resolved.
  bool snapshot_possible = false;
  std::string snapshot_unavailable_reason;
  bool start_pending = false;  // the start function calls imports: it runs per instance
  bool verify_reset = false;   // options.snapshot.verify_reset or WISP_VERIFY_RESET=1
  std::mutex snapshot_mutex;
  std::shared_ptr<snap::Snapshot> snapshot;  // for the code it names; replaced on tier-up

  void decide_snapshot();
  std::shared_ptr<snap::Snapshot> current_snapshot(const std::shared_ptr<CodeObject>& code);
  snap::ResetOptions reset_options() const {
    return snap::ResetOptions{options.snapshot.keep_resident_pages, options.snapshot.track_writes,
                              options.snapshot.keep_grown_bytes};
  }
};

// A host import of one instance: what generated code reaches through wisp_binding_t::host.
struct HostBinding {
  rt::HostTarget target;
  std::shared_ptr<HostFuncDef> def;  // owned: the instance may outlive its template
  InstanceImpl* instance;
};

// A defined shared memory taken out of the instance that created it (detach_shared_memories),
// for further instances of the same template to use in place of their own (instantiate_from's
// `bound`): one memory, grown in place by any of them, counted once against the budget, and
// freed (its bytes refunded) when the last instance bound to it, or the last holder, goes.
struct SharedMemoryHold {
  wasm_rt_memory_t mem{};
  SharedMemoryHold() = default;
  SharedMemoryHold(const SharedMemoryHold&) = delete;
  SharedMemoryHold& operator=(const SharedMemoryHold&) = delete;
  ~SharedMemoryHold();
};
// Per defined memory of a module, in order: the shared memory an instance is bound to, or null
// (the instance makes its own). Empty: none bound.
using BoundMemories = std::vector<std::shared_ptr<SharedMemoryHold>>;

struct InstanceImpl : std::enable_shared_from_this<InstanceImpl> {
  explicit InstanceImpl(Module m) : module(std::move(m)) {}
  ~InstanceImpl();

  Module module;
  // Shared memories this instance uses in place of own ones (declared first: they outlive the
  // instance struct, freed in ~InstanceImpl's body). Such an instance cannot be reset.
  BoundMemories bound_memories;
  std::shared_ptr<TemplateImpl> tmpl;
  std::shared_ptr<CodeObject> code;
  const wisp_module_desc_t* desc = nullptr;
  void* vm = nullptr;  // the generated instance struct
  std::vector<wisp_binding_t> bindings;
  std::vector<std::unique_ptr<HostBinding>> host_bindings;
  std::vector<std::shared_ptr<InstanceImpl>> deps;
  std::vector<std::shared_ptr<HostGlobalState>> host_globals;  // imported host globals, kept
  std::shared_ptr<rt::InterruptState> interrupt = std::make_shared<rt::InterruptState>();
  bool trapped = false;
  bool instantiated = false;
  rt::TrapCode last_trap = rt::kNoTrap;  // why the last call failed (for discard reasons)
  int64_t call_timeout_ns = 0;           // 0 = no timeout
  int64_t initial_fuel = 0;              // fuel after instantiation and reset (Limits::fuel)
  // Snapshot state: the snapshot this instance resets to, and the slots of its memories while
  // they map the snapshot's images (memory_mapped: all of them); otherwise the memories are
  // plain ones (an instance built from scratch, until its first reset adopts them).
  std::shared_ptr<snap::Snapshot> snapshot;
  snap::MemorySlots memory_slots;
  bool memory_mapped = false;
  bool memory_locked = false;  // lock_memory(): own memories mlock'ed and pre-faulted
  uint64_t resets = 0, resets_without_scan = 0;  // Instance::usage()
  // Ends write tracking of the memories' slots (their whole images writable), for owners that
  // change page protections themselves (Contexts). The next reset may arm them again.
  void stop_write_tracking() {
    for (rt::Slot& slot : memory_slots) rt::slot_disarm(slot);
  }
  // Instances whose instantiation failed after their element segments wrote funcrefs into one
  // of this instance's tables: kept alive with it (the spec's store semantics).
  std::mutex retained_mutex;
  std::vector<std::shared_ptr<InstanceImpl>> retained;
  bool retained_by_owner = false;

  // Host state attached by the embedder (Instance::set_host_state), one entry per C++ type.
  std::vector<std::pair<std::type_index, std::shared_ptr<void>>> host_state;

  const ModuleImpl& mod() const { return *module.impl(); }
  // Storage of export `index` (memory/table/global), or its entry point (function).
  void* export_storage(uint32_t index) const;
  // The module's memory 0 (own or imported), or nullptr.
  wasm_rt_memory_t* memory0() const;
  wasm_rt_memory_t* memory_at(uint32_t index) const;  // by memory index (multi-memory)
  // The memory the code uses for own (defined) memory `defined` (0-based among the defined
  // ones): its storage in the struct, or the shared memory it is bound to. Null past the last.
  wasm_rt_memory_t* defined_memory(uint32_t defined) const;
  // Export index by name with kind check; throws wisp::Error.
  uint32_t export_of_kind(std::string_view name, ExternKind kind) const;
  // The fuel counter in the instance struct, or nullptr without fuel metering.
  int64_t* fuel() const {
    if (!desc || desc->fuel_offset == static_cast<size_t>(-1)) return nullptr;
    return reinterpret_cast<int64_t*>(static_cast<char*>(vm) + desc->fuel_offset);
  }
  void refill_fuel() {
    if (int64_t* f = fuel()) *f = initial_fuel;
  }
  // The trap a guarded call on this instance really ended with: an `unreachable` executed while
  // the fuel counter of this instance (or of an instance it imports functions from) is negative
  // is the fuel check's, so out_of_fuel.
  rt::TrapCode classify_trap(rt::TrapCode code) const;
};

// Throws the wisp error for a trap code from a guarded call.
[[noreturn]] void throw_trap(rt::TrapCode code);

// Raw ABI values <-> Values.
wisp_raw_t to_raw(const Value& v);
Value from_raw(const wisp_raw_t& r, ValType t);
// A global's storage (of type t) <-> a raw ABI value.
wisp_raw_t load_global(const void* storage, ValType t);
void store_global(void* storage, ValType t, const wisp_raw_t& r);

// Creates an instance from a template (segments applied, start function run), from its
// snapshot when it has one. With `bound` (BoundMemories), each defined memory bound there is
// not created: the instance uses that shared memory instead, and neither the snapshot's image
// nor an active data segment is written into it (its state is live); the start function runs
// as it would otherwise (wasm-ld's __wasm_init_memory sees the memory initialised and leaves
// it). Binding a memory that is not shared, or more than the module defines, throws Error.
std::shared_ptr<InstanceImpl> instantiate_from(const std::shared_ptr<TemplateImpl>& tmpl,
                                               const BoundMemories& bound = {});
// Moves every defined shared memory of `inst` (instantiated, not bound) into a hold that `inst`
// is bound to from then on, and returns them (null for memories that are not shared): what
// further instances are bound to. `inst` can no longer be reset.
BoundMemories detach_shared_memories(InstanceImpl& inst);
// Restores an instance's snapshot (capturing the template's snapshot first if needed).
void reset_instance(InstanceImpl& inst);
// Captures the template's snapshot for `code` if it has none yet; null if not possible.
// Instance::lock_memory: every own memory resident, private, writable and mlock'ed (throws
// wisp::Error); unlock: munlock (before pages are dropped: madvise refuses locked pages).
void lock_own_memories(InstanceImpl& inst);
void unlock_own_memories(InstanceImpl& inst);

std::shared_ptr<snap::Snapshot> ensure_snapshot(const std::shared_ptr<TemplateImpl>& tmpl,
                                                const std::shared_ptr<CodeObject>& code);

}  // namespace wisp::detail
