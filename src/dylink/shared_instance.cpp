// SharedInstance: one main instance and the side modules (dylink.0) loaded into its memory and
// table: memory and table bases, GOT entries, data relocations and constructors, and rebuilding
// from the main instance's snapshot after a trap.
#include <algorithm>
#include <cstring>
#include <exception>
#include <optional>
#include <string>

#include "instance/instance_impl.hpp"
#include "wisp/dylink.hpp"

namespace wisp {

namespace {

std::string prefix(const std::string& name) {
  return "side module \"" + name + "\": ";
}

uint64_t align_up(uint64_t v, uint32_t p2) {
  const uint64_t a = uint64_t{1} << p2;
  return (v + a - 1) & ~(a - 1);
}

// Sets an immutable host global before any instance reads it (the loader knows a base only
// once the module is linked and its memory allocated).
void set_base(const Global& g, uint32_t v) {
  std::memcpy(g.state()->storage, &v, sizeof v);
}

// The export `name` of `inst` if it has one of `kind`.
std::optional<Extern> export_of(const Instance& inst, const std::string& name, ExternKind kind) {
  std::optional<Extern> e = inst.get_export(name);
  if (e && e->kind == kind) return e;
  return std::nullopt;
}

// Throws LinkError if the main module lacks what the loader needs from it.
void check_main(const Module& main, const SharedInstanceOptions& o) {
  auto need = [&](const std::string& name, ExternKind kind) {
    std::optional<ExportDesc> e = main.find_export(name);
    if (!e || e->type.kind != kind) {
      throw LinkError("the main module exports no " + std::string(extern_kind_name(kind)) + " \"" +
                      name + "\" (dynamic linking needs its memory, table and allocator)");
    }
    return *e;
  };
  need(o.memory_export, ExternKind::memory);
  if (need(o.table_export, ExternKind::table).type.table.elem != ValType::funcref)
    throw LinkError("the main module's table \"" + o.table_export + "\" does not hold funcrefs");
  FuncType malloc_type{{ValType::i32}, {ValType::i32}};
  if (!(need(o.malloc_export, ExternKind::func).type.func == malloc_type))
    throw LinkError("the main module's \"" + o.malloc_export + "\" is not (i32) -> i32");
}

Template main_template(const Module& main, const SharedInstanceOptions& o) {
  check_main(main, o);
  return o.host.instantiate_template(main, o.main_options);
}

Instance checked_instance(const Template& main, const SharedInstanceOptions& o) {
  check_main(main.module(), o);
  return main.instantiate();
}

struct GotEntry {
  std::string symbol;
  bool func = false;
  Global global;
  bool resolved = false;
};

}  // namespace

SharedInstance::SharedInstance(Engine& engine, const Module& main, SharedInstanceOptions options)
    : engine_(engine),
      options_(std::move(options)),
      main_tmpl_(main_template(main, options_)),
      main_(main_tmpl_.instantiate()) {}

SharedInstance::SharedInstance(Engine& engine, const Template& main, SharedInstanceOptions options)
    : engine_(engine),
      options_(std::move(options)),
      main_tmpl_(main),
      main_(checked_instance(main_tmpl_, options_)) {}

SharedInstance::~SharedInstance() {
  sides_.clear();  // before the main instance: their teardown clears their table elements
}

const SharedInstance::SideModule* SharedInstance::side(std::string_view name) const {
  for (const auto& s : sides_)
    if (s->name == name) return s.get();
  return nullptr;
}

std::vector<std::string> SharedInstance::side_names() const {
  std::vector<std::string> out;
  for (const auto& s : sides_) out.push_back(s->name);
  return out;
}

const SharedInstance::SideModule& SharedInstance::load_side_module(std::span<const uint8_t> bytes,
                                                                   const std::string& name) {
  if (side(name)) throw LinkError(prefix(name) + "a side module of that name is loaded already");
  DylinkInfo info;
  try {
    info = read_dylink_info(bytes);
  } catch (const CompileError& e) {
    throw CompileError(prefix(name) + "malformed dylink.0 section: " + e.what(), e.offset());
  } catch (const LinkError& e) {
    throw LinkError(prefix(name) + e.what());
  }
  return load(engine_.compile(bytes), info, name);
}

const SharedInstance::SideModule& SharedInstance::load_side_module(const Module& module,
                                                                   const DylinkInfo& info,
                                                                   const std::string& name) {
  if (side(name)) throw LinkError(prefix(name) + "a side module of that name is loaded already");
  return load(module, info, name);
}

const SharedInstance::SideModule& SharedInstance::load_side_module_file(
    const std::filesystem::path& path) {
  std::vector<uint8_t> bytes = read_file_bytes(path);
  return load_side_module(bytes, path.stem().string());
}

uint32_t SharedInstance::function_slot(const Extern& func) {
  auto key = std::make_pair(static_cast<const void*>(func.owner.get()), func.export_index);
  if (auto it = func_slots_.find(key); it != func_slots_.end()) return it->second;
  Table table = main_.table(options_.table_export);
  std::optional<uint32_t> slot = table.grow(1);
  if (!slot) throw Trap(TrapKind::resource_limit, "the main table cannot grow by 1 element");
  table.set(*slot, func);
  ++table_slots_;
  func_slots_[key] = *slot;
  return *slot;
}

const SharedInstance::SideModule& SharedInstance::load(const Module& module, const DylinkInfo& info,
                                                       const std::string& name) {
  const std::string p = prefix(name);
  for (const std::string& n : info.needed) {
    if (!side(n)) throw LinkError(p + "needs side module \"" + n + "\", which is not loaded");
  }
  if (info.memory_align > 16 || info.table_align > 16) {
    throw LinkError(p + "alignment past 64 KiB (memory 2^" + std::to_string(info.memory_align) +
                    ", table 2^" + std::to_string(info.table_align) + ")");
  }

  // Link first (nothing changes in the main instance until every import resolves).
  Linker linker = options_.host;
  linker.allow_shadowing(true);
  Global memory_base(ValType::i32, false, Value::i32(0));
  Global table_base(ValType::i32, false, Value::i32(0));
  std::vector<GotEntry> got;
  auto from_main_or_sides = [&](const std::string& sym, ExternKind kind) -> std::optional<Extern> {
    if (auto e = export_of(main_, sym, kind)) return e;
    for (const auto& s : sides_)
      if (auto e = export_of(s->instance, sym, kind)) return e;
    return std::nullopt;
  };
  auto main_export = [&](const std::string& export_name, const std::string& what) {
    std::optional<Extern> e = main_.get_export(export_name);
    if (!e) throw LinkError(p + "imports env." + what + ", which the main module does not export");
    return *e;
  };
  for (const ImportDesc& imp : module.imports()) {
    if (imp.module == "env") {
      if (imp.name == "memory") {
        linker.define("env", imp.name, main_export(options_.memory_export, imp.name));
      } else if (imp.name == "__indirect_function_table") {
        linker.define("env", imp.name, main_export(options_.table_export, imp.name));
      } else if (imp.name == "__stack_pointer") {
        linker.define("env", imp.name, main_export(options_.stack_pointer_export, imp.name));
      } else if (imp.name == "__memory_base") {
        linker.define_global("env", imp.name, memory_base);
      } else if (imp.name == "__table_base") {
        linker.define_global("env", imp.name, table_base);
      } else if (auto e = from_main_or_sides(imp.name, imp.type.kind)) {
        linker.define("env", imp.name, *e);
      }  // else: options_.host must define it (instantiate_template names it if not)
    } else if (imp.module == "GOT.mem" || imp.module == "GOT.func") {
      if (imp.type.kind != ExternKind::global || imp.type.global.type != ValType::i32 ||
          !imp.type.global.mut) {
        throw LinkError(p + "import \"" + imp.module + "\" \"" + imp.name +
                        "\" must be a mutable i32 global, not " + imp.type.to_string());
      }
      GotEntry g{imp.name, imp.module == "GOT.func", Global(ValType::i32, true, Value::i32(0))};
      const ExternKind kind = g.func ? ExternKind::func : ExternKind::global;
      if (!from_main_or_sides(imp.name, kind)) {
        std::optional<ExportDesc> own = module.find_export(imp.name);
        if (!own || own->type.kind != kind) {
          throw LinkError(p + "cannot resolve " + imp.module + "." + imp.name + ": neither the " +
                          "main module, a loaded side module nor this one exports a " +
                          extern_kind_name(kind) + " of that name");
        }
      }
      linker.define_global(imp.module, imp.name, g.global);
      got.push_back(std::move(g));
    }
  }
  std::optional<Template> tmpl;
  try {
    TemplateOptions opts;
    opts.tier = options_.side_tier;
    opts.snapshot.mode = SnapshotMode::off;
    tmpl = linker.instantiate_template(module, opts);
  } catch (const LinkError& e) {
    throw LinkError(p + e.what());
  }

  // Table slots, then the memory region (the allocator is guest code).
  Table table = main_.table(options_.table_export);
  const uint32_t old_size = table.size();
  const uint64_t tbase = align_up(old_size, info.table_align);
  const uint64_t tgrow = tbase - old_size + info.table_size;
  if (tgrow > UINT32_MAX || !table.grow(static_cast<uint32_t>(tgrow))) {
    throw Trap(TrapKind::resource_limit,
               p + "the main table cannot grow by " + std::to_string(tgrow) + " elements");
  }
  uint64_t mbase = 0;
  try {
    if (info.memory_size > 0) {
      const uint64_t request = uint64_t{info.memory_size} + (uint64_t{1} << info.memory_align) - 1;
      if (request > INT32_MAX)
        throw LinkError(p + "needs " + std::to_string(info.memory_size) + " bytes of memory");
      auto malloc_fn = main_.func<int32_t(int32_t)>(options_.malloc_export);
      const uint32_t ptr = static_cast<uint32_t>(malloc_fn(static_cast<int32_t>(request)));
      if (ptr == 0) {
        throw Trap(TrapKind::resource_limit, p + "the main module's allocator returned 0 for " +
                                                 std::to_string(request) + " bytes");
      }
      mbase = align_up(ptr, info.memory_align);
      std::span<uint8_t> region =
          main_.memory(options_.memory_export).span(mbase, info.memory_size);
      std::memset(region.data(), 0, region.size());
    }
  } catch (const Trap&) {
    if (main_.trapped()) rebuild_after_failure();  // the allocator itself trapped
    throw;
  }
  set_base(memory_base, static_cast<uint32_t>(mbase));
  set_base(table_base, static_cast<uint32_t>(tbase));

  // Instantiate (data and element segments at the bases; the start function, if any, applies
  // the data relocations a first time), fill the GOT, relocate, run the constructors.
  std::unique_ptr<SideModule> side(new SideModule{
      name, module, info, Instance(), static_cast<uint32_t>(mbase), static_cast<uint32_t>(tbase)});
  try {
    side->instance = tmpl->instantiate();
    for (GotEntry& g : got) {
      const ExternKind kind = g.func ? ExternKind::func : ExternKind::global;
      std::optional<Extern> e = from_main_or_sides(g.symbol, kind);
      uint32_t value = 0;
      if (!e) {
        e = export_of(side->instance, g.symbol, kind);
        if (!e) throw LinkError(p + "no export \"" + g.symbol + "\" of that kind");
        if (!g.func) value = side->memory_base;
      } else if (!g.func && e->owner != main_.impl()) {
        for (const auto& s : sides_)
          if (s->instance.impl() == e->owner) value = s->memory_base;
      }
      if (g.func) {
        value = function_slot(*e);
      } else {
        Value v = detail::from_raw(
            detail::load_global(e->owner->export_storage(e->export_index), ValType::i32),
            ValType::i32);
        value += static_cast<uint32_t>(v.as_i32());
      }
      g.global.set(Value::i32(static_cast<int32_t>(value)));
    }
    if (module.find_export("__wasm_apply_data_relocs"))
      side->instance.call("__wasm_apply_data_relocs");
    if (module.find_export("__wasm_call_ctors")) side->instance.call("__wasm_call_ctors");
  } catch (const Trap& e) {
    side.reset();
    rebuild_after_failure();  // the main memory may hold anything now
    throw Trap(e.kind(), p + e.what() + " (the instance was rebuilt without it)");
  } catch (const Error& e) {
    side.reset();
    rebuild_after_failure();
    throw LinkError(p + e.what());
  }
  table_slots_ += static_cast<uint32_t>(tgrow);
  memory_bytes_ += info.memory_size;
  sides_.push_back(std::move(side));
  return *sides_.back();
}

void SharedInstance::rebuild(const std::vector<std::string>& drop) {
  struct Again {
    std::string name;
    Module module;
    DylinkInfo info;
  };
  std::vector<Again> again;
  for (const auto& s : sides_) {
    if (std::find(drop.begin(), drop.end(), s->name) == drop.end())
      again.push_back(Again{s->name, s->module, s->info});
  }
  func_slots_.clear();
  sides_.clear();  // their teardown clears their elements in the main table
  if (main_.resettable()) {
    main_.reset();
  } else {
    main_ = main_tmpl_.instantiate();
  }
  table_slots_ = 0;
  memory_bytes_ = 0;
  ++rebuilds_;
  std::exception_ptr first;
  for (const Again& a : again) {
    try {
      load(a.module, a.info, a.name);
    } catch (const Error&) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

void SharedInstance::rebuild_after_failure() {
  try {
    rebuild();
  } catch (const Error&) {
    // A side module that loaded before failed again: it is left out; the caller reports the
    // failure it was handling.
  }
}

}  // namespace wisp
