// Instantiation: bind imports, run the generated instantiate, apply data segments, give the
// instance its host state, run start.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "compile/build_id.hpp"
#include "compile/module_impl.hpp"
#include "compile/native_code.hpp"
#include "instance/instance_impl.hpp"
#include "runtime/memory.hpp"
#include "runtime/memory_backing.hpp"
#include "snapshot/persist.hpp"
#include "wisp/instance.hpp"

namespace wisp::detail {

namespace {

void invoke_host_function(void* self, const wisp_raw_t* args, wisp_raw_t* results) {
  auto* hb = static_cast<HostBinding*>(self);
  const FuncType& ft = hb->def->type;
  std::vector<Value> params;
  params.reserve(ft.params.size());
  for (size_t i = 0; i < ft.params.size(); ++i) params.push_back(from_raw(args[i], ft.params[i]));
  std::vector<Value> out;
  out.reserve(ft.results.size());
  for (ValType t : ft.results) out.push_back(Value::null_of(t));
  Caller caller(hb->instance);
  hb->def->fn(caller, params, out);
  for (size_t i = 0; i < ft.results.size(); ++i) {
    if (out[i].type() != ft.results[i]) {
      throw Error(std::string("host function returned ") + val_type_name(out[i].type()) +
                  " for result " + std::to_string(i) + ", expected " +
                  val_type_name(ft.results[i]));
    }
    results[i] = to_raw(out[i]);
  }
}

void run_generated_instantiate(void* ctx) {
  auto* inst = static_cast<InstanceImpl*>(ctx);
  inst->desc->instantiate(inst->vm, inst->bindings.data());
}

struct StartCall {
  InstanceImpl* inst;
  uint32_t export_index;
};

void run_start(void* ctx) {
  auto* s = static_cast<StartCall*>(ctx);
  const wisp_export_desc_t& e = s->inst->desc->exports[s->export_index];
  e.trampoline(e.fn, s->inst->vm, nullptr, nullptr);
}

// A data segment's offset, evaluated with i32 (or, memory64, i64) wrap-around; an imported
// global's value is read as i32 (i64).
uint64_t evaluate_offset(const InstanceImpl& inst, const DataSegmentInit& seg) {
  const uint64_t mask = seg.is64 ? ~uint64_t{0} : 0xffffffffu;
  std::vector<uint64_t> stack;
  for (const OffsetOp& op : seg.offset_ops) {
    if (op.kind == OffsetOp::constant) {
      stack.push_back(op.value & mask);
      continue;
    }
    if (op.kind == OffsetOp::global) {
      const void* p = inst.bindings[op.value].ptr;
      stack.push_back(seg.is64 ? *static_cast<const uint64_t*>(p)
                               : *static_cast<const uint32_t*>(p));
      continue;
    }
    const uint64_t b = stack.back();
    stack.pop_back();
    uint64_t& a = stack.back();
    a = (op.kind == OffsetOp::add ? a + b : op.kind == OffsetOp::sub ? a - b : a * b) & mask;
  }
  return stack.back();  // validated: exactly one value
}

// Whether `mem` is a shared memory `inst` is bound to (another instance's, held apart).
bool memory_bound(const InstanceImpl& inst, const wasm_rt_memory_t* mem) {
  return std::any_of(inst.bound_memories.begin(), inst.bound_memories.end(),
                     [&](const auto& hold) { return hold && &hold->mem == mem; });
}

void apply_data_segments(InstanceImpl& inst) {
  const ModuleImpl& m = inst.mod();
  for (const DataSegmentInit& seg : m.data_segments) {
    wasm_rt_memory_t* mem = inst.memory_at(seg.memory_index);
    // A bound shared memory holds live state, initialised by the instance that created it.
    if (memory_bound(inst, mem)) continue;
    const uint64_t offset = evaluate_offset(inst, seg);
    uint64_t size = mem ? mem->size : 0;
    if (mem && mem->pages == 65536) size = 1ull << 32;
    if (offset > size || seg.bytes.size() > size - offset) {
      inst.trapped = true;
      throw Trap(TrapKind::out_of_bounds, "data segment does not fit in memory (offset " +
                                              std::to_string(offset) + ", " +
                                              std::to_string(seg.bytes.size()) + " bytes)");
    }
    if (!seg.bytes.empty()) std::memcpy(mem->data + offset, seg.bytes.data(), seg.bytes.size());
  }
}

// Funcrefs of a dying instance left in tables it imported would dangle: clear them, so a later
// call through them traps (uninitialized element) instead of running freed code.
void scrub_imported_tables(InstanceImpl& inst) {
  const ModuleImpl& m = inst.mod();
  const char* lo = static_cast<const char*>(inst.vm) - WISP_VM_HEADER;
  const char* hi = static_cast<const char*>(inst.vm) + inst.desc->instance_size;
  for (size_t i = 0; i < m.imports.size(); ++i) {
    const ImportDesc& imp = m.imports[i];
    if (imp.type.kind != ExternKind::table || imp.type.table.elem != ValType::funcref) continue;
    auto* table = static_cast<wasm_rt_funcref_table_t*>(inst.bindings[i].ptr);
    if (!table) continue;
    for (uint32_t e = 0; e < table->size; ++e) {
      const char* owner = static_cast<const char*>(table->data[e].module_instance);
      if (owner >= lo && owner < hi) table->data[e] = wasm_rt_funcref_null_value;
    }
  }
}

// After a failed instantiation: owners of imported tables keep the instance alive (its funcrefs
// may already be in their tables), as the spec's store would.
void retain_by_table_owners(const std::shared_ptr<InstanceImpl>& inst) {
  inst->retained_by_owner = true;
  std::vector<InstanceImpl*> owners;
  for (const ResolvedImport& r : inst->tmpl->imports) {
    if (r.kind != ExternKind::table || !r.owner) continue;
    owners.push_back(r.owner.get());
    std::lock_guard lock(r.owner->retained_mutex);
    r.owner->retained.push_back(inst);
  }
  // No reference cycle: the retained instance drops its strong references to the owners that
  // keep it (they outlive it by construction: its code is reachable only through their tables)
  // and to its template (which holds them too). Other dependencies stay strong.
  if (owners.empty()) return;
  std::erase_if(inst->deps, [&](const std::shared_ptr<InstanceImpl>& d) {
    return std::find(owners.begin(), owners.end(), d.get()) != owners.end();
  });
  inst->tmpl.reset();
}

}  // namespace

InstanceImpl::~InstanceImpl() {
  if (vm) {
    if (instantiated && desc && !retained_by_owner) scrub_imported_tables(*this);
    unlock_own_memories(*this);  // madvise refuses locked pages
    if (snapshot) {
      snap::release_memories(*snapshot, vm, memory_slots,
                             tmpl ? tmpl->reset_options() : snap::ResetOptions{});
      memory_mapped = false;
    }
    if (instantiated && desc) desc->free_instance(vm);
    std::free(static_cast<char*>(vm) - WISP_VM_HEADER);
  }
}

namespace {

// An instance struct with its imports bound, not yet instantiated.
std::shared_ptr<InstanceImpl> new_instance(const std::shared_ptr<TemplateImpl>& tmpl,
                                           const std::shared_ptr<CodeObject>& code) {
  auto inst = std::make_shared<InstanceImpl>(tmpl->module);
  inst->tmpl = tmpl;
  inst->call_timeout_ns = tmpl->options.limits.call_timeout.count();
  uint64_t fuel = tmpl->options.limits.fuel;
  inst->initial_fuel = fuel == 0 || fuel > INT64_MAX ? INT64_MAX : static_cast<int64_t>(fuel);
  inst->code = code;
  inst->desc = code->desc;
  void* block = std::calloc(1, WISP_VM_HEADER + inst->desc->instance_size);
  if (!block) throw Trap(TrapKind::resource_limit, "out of memory allocating an instance");
  inst->vm = static_cast<char*>(block) + WISP_VM_HEADER;

  inst->bindings.resize(std::max<size_t>(tmpl->imports.size(), 1));
  *static_cast<wisp_binding_t**>(block) = inst->bindings.data();
  for (size_t i = 0; i < tmpl->imports.size(); ++i) {
    const ResolvedImport& r = tmpl->imports[i];
    wisp_binding_t& b = inst->bindings[i];
    if (r.owner) inst->deps.push_back(r.owner);
    if (r.global) inst->host_globals.push_back(r.global);
    if (r.kind == ExternKind::func && r.host) {
      auto hb = std::make_unique<HostBinding>();
      hb->target = rt::HostTarget{invoke_host_function, hb.get()};
      hb->def = r.host;
      hb->instance = inst.get();
      b.host = &hb->target;
      inst->host_bindings.push_back(std::move(hb));
    } else {
      b.code = r.code;
      b.instance = r.vmctx;
      b.ptr = r.ptr;
    }
  }
  return inst;
}

// Checks `bound` against the module of `inst` and binds it: the instance keeps the holds, and
// each bound memory's pointer in the struct is set (the generated instantiate and snapshot
// apply leave a set pointer alone). The pointers are what bound_pointers returns.
std::vector<wasm_rt_memory_t*> bound_pointers(const InstanceImpl& inst,
                                              const BoundMemories& bound) {
  std::vector<wasm_rt_memory_t*> out(bound.size(), nullptr);
  if (bound.size() > inst.desc->num_memories)
    throw Error("instantiate: more bound memories than the module defines");
  for (size_t i = 0; i < bound.size(); ++i) {
    if (!bound[i]) continue;
    if (inst.desc->memory_ptr_offsets[i] == static_cast<size_t>(-1))
      throw Error("instantiate: only a shared memory can be bound (own memory " +
                  std::to_string(i) + " is not shared)");
    out[i] = &bound[i]->mem;
  }
  return out;
}

void bind_memories(InstanceImpl& inst, const BoundMemories& bound) {
  std::vector<wasm_rt_memory_t*> ptrs = bound_pointers(inst, bound);
  inst.bound_memories = bound;
  for (size_t i = 0; i < ptrs.size(); ++i) {
    if (ptrs[i])
      *reinterpret_cast<wasm_rt_memory_t**>(static_cast<char*>(inst.vm) +
                                            inst.desc->memory_ptr_offsets[i]) = ptrs[i];
  }
}

// Gives `inst` a new host state from its template's factory (TemplateOptions::host_state).
void make_host_state(const std::shared_ptr<InstanceImpl>& inst) {
  if (!inst->tmpl || !inst->tmpl->options.host_state) return;
  Instance handle(inst);
  inst->tmpl->options.host_state(handle);
}

void run_start_function(const std::shared_ptr<InstanceImpl>& inst) {
  const auto& start = inst->mod().start_export;
  if (!start) return;
  StartCall call{inst.get(), *start};
  rt::TrapCode code = rt::run_guarded(run_start, &call, inst->interrupt.get());
  if (code != rt::kNoTrap) {
    code = inst->classify_trap(code);
    inst->trapped = true;
    inst->last_trap = code;
    retain_by_table_owners(inst);
    throw_trap(code);
  }
}

// Instantiation the long way: generated instantiate (globals, tables, element segments), data
// segments, then (if `run_start`) the start function.
std::shared_ptr<InstanceImpl> instantiate_scratch(const std::shared_ptr<TemplateImpl>& tmpl,
                                                  const std::shared_ptr<CodeObject>& code,
                                                  bool run_start_now,
                                                  const BoundMemories& bound = {}) {
  auto inst = new_instance(tmpl, code);
  bind_memories(*inst, bound);  // the generated instantiate then leaves them alone
  rt::AllocLimitsScope limits(&tmpl->options.limits);
  rt::TrapCode trap = rt::run_guarded(run_generated_instantiate, inst.get(), inst->interrupt.get());
  inst->instantiated = true;
  // The start function and the init export run on the instance's fuel. (So do its functions
  // that element segments put into imported tables before a failure: they stay callable.)
  inst->refill_fuel();
  if (trap != rt::kNoTrap) {
    inst->trapped = true;
    retain_by_table_owners(inst);
    throw_trap(trap);
  }
  try {
    apply_data_segments(*inst);
  } catch (const Trap&) {
    retain_by_table_owners(inst);
    throw;
  }
  try {
    make_host_state(inst);
  } catch (...) {
    retain_by_table_owners(inst);
    throw;
  }
  if (run_start_now) run_start_function(inst);
  return inst;
}

void run_init_export(const std::shared_ptr<InstanceImpl>& inst) {
  const std::string& name = inst->tmpl->options.snapshot.init_export;
  if (name.empty()) return;
  Instance handle(inst);
  uint32_t idx = inst->export_of_kind(name, ExternKind::func);
  if (!inst->mod().exports[idx].type.func.params.empty())
    throw Error("init export \"" + name + "\" must take no parameters");
  handle.call(name);
}

// The instance as a new instance of its template is: from scratch, init export run, start
// function run unless it runs per instance after the snapshot state.
std::shared_ptr<InstanceImpl> initial_instance(const std::shared_ptr<TemplateImpl>& tmpl,
                                               const std::shared_ptr<CodeObject>& code) {
  auto inst = instantiate_scratch(tmpl, code, !tmpl->start_pending);
  run_init_export(inst);
  inst->refill_fuel();  // what instantiation used is given back (and the snapshot holds it)
  return inst;
}

// The reference baseline for persisted snapshots: generated instantiate only.
std::shared_ptr<InstanceImpl> baseline_instance(const std::shared_ptr<TemplateImpl>& tmpl,
                                                const std::shared_ptr<CodeObject>& code) {
  auto inst = new_instance(tmpl, code);
  rt::AllocLimitsScope limits(&tmpl->options.limits);
  rt::TrapCode trap = rt::run_guarded(run_generated_instantiate, inst.get(), inst->interrupt.get());
  inst->instantiated = true;
  if (trap != rt::kNoTrap) throw_trap(trap);
  return inst;
}

std::string persisted_path(const TemplateImpl& tmpl, const CodeObject& code) {
  const ModuleImpl& m = *tmpl.module.impl();
  if (!tmpl.options.snapshot.persist || m.cache_dir.empty()) return {};
  std::string key = sha256_hex(
      {m.hash, kWispVersion, kCodegenId, "snapshot-v2", tmpl.options.snapshot.init_export,
       std::to_string(code.desc->instance_size), m.consume_fuel ? "fuel" : "nofuel"});
  return m.cache_dir + "/snapshots/" + key + ".snap";
}

// A persisted snapshot of this template, if one was written by an earlier run (a damaged one
// is removed and captured again).
std::shared_ptr<snap::Snapshot> load_persisted(const std::shared_ptr<TemplateImpl>& tmpl,
                                               const std::shared_ptr<CodeObject>& code) {
  std::string path = persisted_path(*tmpl, *code);
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return nullptr;
  auto base = baseline_instance(tmpl, code);
  try {
    return snap::read_snapshot(path, code, snap::Baseline{base->vm});
  } catch (const Error&) {
    std::filesystem::remove(path, ec);
    return nullptr;
  }
}

void persist_captured(const std::shared_ptr<TemplateImpl>& tmpl,
                      const std::shared_ptr<CodeObject>& code, snap::Snapshot& s) {
  std::string path = persisted_path(*tmpl, *code);
  if (path.empty()) return;
  auto base = baseline_instance(tmpl, code);
  std::string why;
  if (!snap::references_match(s, snap::Baseline{base->vm}, &why)) {
    s.not_persisted_reason = why;
    return;
  }
  if (snap::write_snapshot(s, path, &why)) {
    s.persisted_path = path;
  } else {
    s.not_persisted_reason = why;
  }
}

// Captures the state of `inst` as the template's snapshot (and persists it if asked).
std::shared_ptr<snap::Snapshot> capture_from(const std::shared_ptr<TemplateImpl>& tmpl,
                                             const std::shared_ptr<CodeObject>& code,
                                             const InstanceImpl& inst) {
  std::shared_ptr<snap::Snapshot> s = snap::capture(code, inst.vm);
  persist_captured(tmpl, code, *s);
  return s;
}

std::shared_ptr<snap::Snapshot> install_snapshot(TemplateImpl& tmpl,
                                                 std::shared_ptr<snap::Snapshot> s) {
  s->start_pending = tmpl.start_pending;
  // A module that uses threads: its memories (the shared ones among them; the module's types
  // do not say which past linking) are copied into each instance, never mapped copy-on-write.
  const std::vector<std::string>& features = tmpl.module.impl()->features;
  const bool threads = std::find(features.begin(), features.end(), "threads") != features.end();
  for (snap::MemorySnapshot& m : s->memories) m.copied = threads;
  std::lock_guard lock(tmpl.snapshot_mutex);
  if (tmpl.snapshot && tmpl.snapshot->code == s->code) return tmpl.snapshot;
  tmpl.snapshot = std::move(s);
  return tmpl.snapshot;
}

}  // namespace

std::shared_ptr<snap::Snapshot> TemplateImpl::current_snapshot(
    const std::shared_ptr<CodeObject>& code) {
  std::lock_guard lock(snapshot_mutex);
  if (snapshot && snapshot->code == code) return snapshot;
  return nullptr;
}

std::shared_ptr<snap::Snapshot> ensure_snapshot(const std::shared_ptr<TemplateImpl>& tmpl,
                                                const std::shared_ptr<CodeObject>& code) {
  if (!tmpl->snapshot_possible) return nullptr;
  if (auto s = tmpl->current_snapshot(code)) return s;
  if (auto s = load_persisted(tmpl, code)) return install_snapshot(*tmpl, std::move(s));
  auto proto = initial_instance(tmpl, code);
  return install_snapshot(*tmpl, capture_from(tmpl, code, *proto));
}

std::shared_ptr<InstanceImpl> instantiate_from(const std::shared_ptr<TemplateImpl>& tmpl,
                                               const BoundMemories& bound) {
  std::shared_ptr<CodeObject> code = tmpl->module.impl()->code_for(tmpl->options.tier);
  code->ensure_initialized();
  const bool binds = std::any_of(bound.begin(), bound.end(), [](const auto& b) { return !!b; });
  if (!tmpl->snapshot_possible || tmpl->options.snapshot.mode != SnapshotMode::eager) {
    // Without a snapshot the init export runs on a bound memory too, as the start function
    // does (and as both do in every instance of a module that imports its shared memory).
    auto inst = instantiate_scratch(tmpl, code, true, bound);
    run_init_export(inst);
    inst->refill_fuel();
    return inst;
  }
  std::shared_ptr<snap::Snapshot> s = tmpl->current_snapshot(code);
  if (!s && tmpl->options.snapshot.persist) {
    if (auto loaded = load_persisted(tmpl, code)) s = install_snapshot(*tmpl, std::move(loaded));
  }
  // An instance with bound memories is never captured: the snapshot comes from one of its own.
  if (!s && binds) s = ensure_snapshot(tmpl, code);
  if (!s) {
    // The first instance: built from scratch; its state is the snapshot.
    auto inst = initial_instance(tmpl, code);
    inst->snapshot = install_snapshot(*tmpl, capture_from(tmpl, code, *inst));
    // The init export ran with the capture's host state: this instance starts afresh, as every
    // later one will. (Without an init export no guest code has called the host yet.)
    if (!tmpl->options.snapshot.init_export.empty()) make_host_state(inst);
    if (tmpl->start_pending) run_start_function(inst);
    inst->refill_fuel();
    return inst;
  }
  auto inst = new_instance(tmpl, code);
  std::vector<wasm_rt_memory_t*> to = bound_pointers(*inst, bound);
  inst->bound_memories = bound;
  inst->instantiated = true;  // from here the struct is always safe to tear down
  inst->snapshot = s;         // before apply: teardown releases the memories it set up
  snap::apply(*s, inst->vm, inst->memory_slots, to);
  inst->memory_mapped = true;
  inst->refill_fuel();  // a persisted snapshot may come from a template with other Limits
  make_host_state(inst);
  if (s->start_pending) run_start_function(inst);
  inst->refill_fuel();
  return inst;
}

SharedMemoryHold::~SharedMemoryHold() {
  rt::free_memory(&mem);
}

BoundMemories detach_shared_memories(InstanceImpl& inst) {
  if (!inst.instantiated || !inst.desc) throw Error("detach: the instance is not instantiated");
  if (inst.memory_locked)
    throw Error("detach: the instance's memories are locked (Instance::lock_memory)");
  BoundMemories out(inst.desc->num_memories);
  bool any = false;
  for (uint32_t i = 0; i < inst.desc->num_memories; ++i) {
    const size_t ptr_at = inst.desc->memory_ptr_offsets[i];
    if (ptr_at == static_cast<size_t>(-1)) continue;  // not shared
    if (i < inst.bound_memories.size() && inst.bound_memories[i]) {
      out[i] = inst.bound_memories[i];  // already shared
      any = true;
      continue;
    }
    auto** ptr = reinterpret_cast<wasm_rt_memory_t**>(static_cast<char*>(inst.vm) + ptr_at);
    auto* own = reinterpret_cast<wasm_rt_memory_t*>(static_cast<char*>(inst.vm) +
                                                    inst.desc->memory_offsets[i]);
    if (*ptr != own || own->data == nullptr) continue;
    // A backing (a contexts view) is registered under the memory's address: it cannot move.
    if (rt::memory_backing(own))
      throw Error("detach: shared memory " + std::to_string(i) + " has a backing of its own");
    if (i < inst.memory_slots.size() && inst.memory_slots[i].base != nullptr) {
      // From a snapshot: a shared memory's slot is plain memory (copied, never mapped), which
      // rt::free_memory can give back like any other.
      if (!inst.snapshot->memories[i].copied)
        throw Error("detach: shared memory " + std::to_string(i) + " maps its snapshot image");
      inst.memory_slots[i] = rt::Slot{};
    }
    auto hold = std::make_shared<SharedMemoryHold>();
    hold->mem = *own;
    own->data = nullptr;
    own->pages = 0;
    own->size = 0;
    *ptr = &hold->mem;
    out[i] = std::move(hold);
    any = true;
  }
  if (!any) return {};
  inst.bound_memories = out;
  return out;
}

void reset_instance(InstanceImpl& inst) {
  if (!inst.tmpl) throw Error("reset: this instance failed to instantiate");
  if (!inst.bound_memories.empty())
    throw Error(
        "reset is not available for this instance: its shared memory is shared with other "
        "instances (the threads strategy), not its own to restore");
  if (!inst.tmpl->snapshot_possible)
    throw Error("reset is not available for this instance: " +
                inst.tmpl->snapshot_unavailable_reason);
  if (!inst.snapshot) inst.snapshot = ensure_snapshot(inst.tmpl, inst.code);
  const snap::Snapshot& s = *inst.snapshot;
  inst.trapped = true;  // until the reset completes
  const bool relock = inst.memory_locked;
  unlock_own_memories(inst);  // madvise refuses locked pages; locked again below
  if (!inst.memory_mapped) {
    snap::adopt_memories(s, inst.vm, inst.memory_slots,
                         inst.tmpl->reset_options().keep_grown_bytes);
    inst.memory_mapped = true;
  }
  if (snap::restore(s, inst.vm, inst.memory_slots, inst.tmpl->reset_options()))
    ++inst.resets_without_scan;
  if (inst.tmpl->verify_reset) snap::verify(s, inst.vm);
  if (relock) lock_own_memories(inst);
  make_host_state(inst.shared_from_this());  // a throw leaves the instance marked trapped
  inst.trapped = false;
  inst.last_trap = rt::kNoTrap;
  ++inst.resets;
  inst.refill_fuel();
  if (s.start_pending) {
    run_start_function(inst.shared_from_this());
    inst.refill_fuel();
  }
}

void TemplateImpl::decide_snapshot() {
  const SnapshotOptions& o = options.snapshot;
  const char* env = std::getenv("WISP_VERIFY_RESET");
  verify_reset = o.verify_reset || (env && std::string(env) == "1");
  if (o.mode == SnapshotMode::off) {
    snapshot_unavailable_reason = "snapshots are off for this template";
    return;
  }
  // exnref globals and tables hold counted references to exceptions (runtime/exnref_objects.cpp),
  // which a snapshot's byte copy of the instance would duplicate without counting.
  if (!module.impl()->exnref_storage.empty()) {
    snapshot_unavailable_reason = module.impl()->exnref_storage;
    return;
  }
  const auto& imps = module.imports();
  bool imports_functions = false;
  for (const ImportDesc& imp : imps) {
    std::string what = "\"" + imp.module + "\" \"" + imp.name + "\"";
    switch (imp.type.kind) {
      case ExternKind::func:
        imports_functions = true;
        break;
      case ExternKind::memory:
        snapshot_unavailable_reason = "the module imports memory " + what;
        return;
      case ExternKind::table:
        snapshot_unavailable_reason = "the module imports table " + what;
        return;
      case ExternKind::global:
        if (imp.type.global.mut) {
          snapshot_unavailable_reason = "the module imports mutable global " + what;
          return;
        }
        break;
      case ExternKind::tag:  // its id is the exporter's, the same for every instance
        break;
      default:
        snapshot_unavailable_reason = "the module imports " + what + " of an unsupported kind";
        return;
    }
  }
  // Threads: a module that defines its shared memory snapshots, its memories copied rather
  // than mapped (install_snapshot); one that imports it was refused above (the memory's state
  // lives outside the instance, written by other threads).
  snapshot_possible = true;
  start_pending =
      module.impl()->start_export.has_value() && imports_functions && o.init_export.empty();
}

}  // namespace wisp::detail
