// Instance: dynamic and typed calls, exports, globals, interrupt handles.
#include "wisp/instance.hpp"

#include "instance/instance_impl.hpp"
#include "runtime/watchdog.hpp"
#include "wisp/runtime_stats.hpp"

namespace wisp {

namespace detail {

void* InstanceImpl::export_storage(uint32_t index) const {
  const wisp_export_desc_t& e = desc->exports[index];
  if (e.kind == WISP_EXPORT_FUNC) return reinterpret_cast<void*>(e.fn);
  return e.get(vm);
}

wasm_rt_memory_t* InstanceImpl::memory0() const {
  const ModuleImpl& m = mod();
  if (m.memory0_import) return static_cast<wasm_rt_memory_t*>(bindings[*m.memory0_import].ptr);
  return defined_memory(0);
}

wasm_rt_memory_t* InstanceImpl::defined_memory(uint32_t defined) const {
  if (defined >= desc->num_memories) return nullptr;
  char* base = static_cast<char*>(vm);
  if (desc->memory_ptr_offsets[defined] != static_cast<size_t>(-1)) {
    // A shared memory, reached through a pointer: its own storage or a bound memory.
    auto* p = *reinterpret_cast<wasm_rt_memory_t**>(base + desc->memory_ptr_offsets[defined]);
    if (p) return p;
  }
  return reinterpret_cast<wasm_rt_memory_t*>(base + desc->memory_offsets[defined]);
}

wasm_rt_memory_t* InstanceImpl::memory_at(uint32_t index) const {
  if (index == 0) return memory0();
  const ModuleImpl& m = mod();
  uint32_t seen = 0;  // imported memories come first, in import order
  for (size_t i = 0; i < m.imports.size(); ++i) {
    if (m.imports[i].type.kind != ExternKind::memory) continue;
    if (seen++ == index) return static_cast<wasm_rt_memory_t*>(bindings[i].ptr);
  }
  return defined_memory(index - seen);
}

uint32_t InstanceImpl::export_of_kind(std::string_view name, ExternKind kind) const {
  const ModuleImpl& m = mod();
  auto it = m.export_index.find(name);
  if (it == m.export_index.end()) throw Error("no export named \"" + std::string(name) + "\"");
  ExternKind actual = m.exports[it->second].type.kind;
  if (actual != kind) {
    throw Error("export \"" + std::string(name) + "\" is a " + extern_kind_name(actual) +
                ", not a " + extern_kind_name(kind));
  }
  return it->second;
}

void guarded_call(InstanceImpl* inst, GuardedThunk thunk, void* ctx) {
  bool armed = false;
  if (__builtin_expect(inst->call_timeout_ns > 0, 0)) {
    armed = rt::watchdog_arm(
        inst->interrupt.get(), rt::next_call_id(),
        std::chrono::steady_clock::now() + std::chrono::nanoseconds(inst->call_timeout_ns));
  }
  rt::TrapCode code = rt::run_guarded(thunk, ctx, inst->interrupt.get());
  if (armed) rt::watchdog_disarm();
  if (__builtin_expect(code != rt::kNoTrap, 0)) {
    code = inst->classify_trap(code);
    inst->trapped = true;
    inst->last_trap = code;
    throw_trap(code);
  }
}

void bind_typed(InstanceImpl* inst, std::string_view name, const FuncType& expected,
                void (**code)(), void** vmctx) {
  uint32_t idx = inst->export_of_kind(name, ExternKind::func);
  const FuncType& actual = inst->mod().exports[idx].type.func;
  if (!(actual == expected)) {
    throw LinkError("function \"" + std::string(name) + "\" has type " + actual.to_string() +
                    ", not " + expected.to_string());
  }
  *code = inst->desc->exports[idx].fn;
  *vmctx = inst->vm;
}

}  // namespace detail

namespace {

struct DynamicCall {
  const wisp_export_desc_t* e;
  void* vm;
  const wisp_raw_t* args;
  wisp_raw_t* results;
};

void run_dynamic(void* p) {
  auto* c = static_cast<DynamicCall*>(p);
  c->e->trampoline(c->e->fn, c->vm, c->args, c->results);
}

}  // namespace

std::vector<Value> Instance::call(std::string_view name, std::span<const Value> args) {
  if (!impl_) throw Error("call on an empty Instance");
  uint32_t idx = impl_->export_of_kind(name, ExternKind::func);
  std::vector<Value> out(impl_->mod().exports[idx].type.func.results.size());
  call(name, args, out);
  return out;
}

void Instance::call(std::string_view name, std::span<const Value> args, std::span<Value> results) {
  if (!impl_) throw Error("call on an empty Instance");
  uint32_t idx = impl_->export_of_kind(name, ExternKind::func);
  const FuncType& ft = impl_->mod().exports[idx].type.func;
  if (results.size() != ft.results.size()) {
    throw Error("\"" + std::string(name) + "\" returns " + std::to_string(ft.results.size()) +
                " results, the caller provided room for " + std::to_string(results.size()));
  }
  if (args.size() != ft.params.size()) {
    throw Error("\"" + std::string(name) + "\" takes " + std::to_string(ft.params.size()) +
                " arguments " + ft.to_string() + ", got " + std::to_string(args.size()));
  }
  constexpr size_t kInline = 16;
  wisp_raw_t inline_args[kInline], inline_results[kInline];
  std::vector<wisp_raw_t> heap_args, heap_results;
  wisp_raw_t* raw_args = inline_args;
  wisp_raw_t* raw_results = inline_results;
  if (args.size() > kInline) raw_args = (heap_args.resize(args.size()), heap_args.data());
  if (ft.results.size() > kInline)
    raw_results = (heap_results.resize(ft.results.size()), heap_results.data());
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].type() != ft.params[i]) {
      throw Error("argument " + std::to_string(i + 1) + " of \"" + std::string(name) +
                  "\": expected " + val_type_name(ft.params[i]) + ", got " +
                  val_type_name(args[i].type()));
    }
    raw_args[i] = detail::to_raw(args[i]);
  }
  DynamicCall c{&impl_->desc->exports[idx], impl_->vm, raw_args, raw_results};
  detail::guarded_call(impl_.get(), run_dynamic, &c);
  for (size_t i = 0; i < ft.results.size(); ++i)
    results[i] = detail::from_raw(raw_results[i], ft.results[i]);
}

Memory Instance::memory(std::string_view name) const {
  if (!impl_) throw Error("memory of an empty Instance");
  if (name.empty()) {
    wasm_rt_memory_t* m = impl_->memory0();
    if (!m) throw Error("the module has no memory");
    return Memory(impl_, m);
  }
  uint32_t idx = impl_->export_of_kind(name, ExternKind::memory);
  return Memory(impl_, impl_->export_storage(idx));
}

Value Instance::global_get(std::string_view name) const {
  uint32_t idx = impl_->export_of_kind(name, ExternKind::global);
  ValType t = impl_->mod().exports[idx].type.global.type;
  wisp_raw_t r = detail::load_global(impl_->export_storage(idx), t);
  return detail::from_raw(r, t);
}

void Instance::global_set(std::string_view name, const Value& v) {
  uint32_t idx = impl_->export_of_kind(name, ExternKind::global);
  const GlobalType& g = impl_->mod().exports[idx].type.global;
  if (!g.mut) throw Error("global \"" + std::string(name) + "\" is immutable");
  if (v.type() != g.type) {
    throw Error("global \"" + std::string(name) + "\" has type " + val_type_name(g.type) +
                ", not " + val_type_name(v.type()));
  }
  detail::store_global(impl_->export_storage(idx), g.type, detail::to_raw(v));
}

std::optional<Extern> Instance::get_export(std::string_view name) const {
  const auto& m = impl_->mod();
  auto it = m.export_index.find(name);
  if (it == m.export_index.end()) return std::nullopt;
  return Extern{m.exports[it->second].type.kind, impl_, it->second};
}

const Module& Instance::module() const {
  return impl_->module;
}
Tier Instance::tier() const {
  return impl_->code->tier;
}
bool Instance::trapped() const {
  return impl_->trapped;
}
InterruptHandle Instance::interrupt_handle() const {
  return InterruptHandle(std::shared_ptr<void>(impl_->interrupt, impl_->interrupt.get()));
}

bool InterruptHandle::interrupt() const {
  return interrupt_call(current_call());
}

uint64_t InterruptHandle::current_call() const {
  auto* s = static_cast<rt::InterruptState*>(state_.get());
  return s->running_call.load(std::memory_order_acquire);
}

bool InterruptHandle::interrupt_call(uint64_t call_id) const {
  return rt::request_interrupt(*static_cast<rt::InterruptState*>(state_.get()), call_id);
}

}  // namespace wisp

namespace wisp {

void Instance::reset() {
  if (!impl_) throw Error("reset on an empty Instance");
  detail::reset_instance(*impl_);
}

void Instance::set_call_timeout(std::chrono::nanoseconds timeout) {
  if (!impl_) throw Error("set_call_timeout on an empty Instance");
  impl_->call_timeout_ns = timeout.count() > 0 ? timeout.count() : 0;
}

bool Instance::resettable() const {
  return impl_ && impl_->tmpl && impl_->tmpl->snapshot_possible && impl_->bound_memories.empty();
}

Instance::Usage Instance::usage() const {
  Usage u;
  if (!impl_) return u;
  u.resets = impl_->resets;
  u.resets_without_scan = impl_->resets_without_scan;
  // Tracked: every memory with pages is armed as its last reset left it (empty ones need none).
  bool any_tracked = false, all_tracked = impl_->memory_mapped;
  for (size_t i = 0; all_tracked && i < impl_->memory_slots.size(); ++i) {
    if (impl_->snapshot->memories[i].pages == 0) continue;
    any_tracked = true;
    all_tracked = rt::slot_armed_intact(impl_->memory_slots[i]);
  }
  u.write_tracked = any_tracked && all_tracked;
  bool any_memory = false;
  for (uint32_t i = 0; const wasm_rt_memory_t* mem = impl_->memory_at(i); ++i) {  // all memories
    if (!mem->data) continue;
    any_memory = true;
    uint64_t bytes = mem->pages == 65536 ? (1ull << 32) : mem->size;
    snap::MemoryUsage m = snap::memory_usage(mem->data, bytes);
    u.memory_bytes += m.memory_bytes;
    u.resident_pages += m.resident_pages;
    if (u.written_pages != static_cast<uint64_t>(-1))
      u.written_pages = m.written_pages == static_cast<uint64_t>(-1)
                            ? m.written_pages
                            : u.written_pages + m.written_pages;
  }
  u.from_snapshot = any_memory && impl_->memory_mapped;
  return u;
}

RuntimeStats runtime_stats() {
  rt::SlotStats s = rt::slot_stats();
  RuntimeStats r;
  r.slots_reserved = s.reserved;
  r.slots_in_use = s.in_use;
  r.slots_cached = s.cached_images;
  r.address_space_limit = s.address_space_limit;
  r.committed_bytes = s.committed_bytes;
  r.memory_budget = rt::memory_budget();
  r.images = snap::MemoryImage::live_images();
  r.image_bytes = snap::MemoryImage::live_bytes();
  return r;
}

void set_memory_budget(uint64_t bytes) {
  rt::set_memory_budget(bytes);
}

void set_slot_address_space_limit(uint64_t bytes) {
  rt::set_slot_address_space_limit(bytes);
}

}  // namespace wisp
