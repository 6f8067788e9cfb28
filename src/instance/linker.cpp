// Linker: definitions by (module, name), import resolution and type checking into Templates.
#include "wisp/linker.hpp"

#include <map>

#include "instance/instance_impl.hpp"
#include "runtime/func_types.hpp"

namespace wisp {

struct Linker::Impl {
  struct Definition {
    std::shared_ptr<detail::HostFuncDef> host;
    Extern ext;
    Tag tag;        // a host tag (define_tag)
    Global global;  // a host global (define_global)
  };
  std::map<std::pair<std::string, std::string>, Definition> defs;
  bool allow_shadowing = false;

  void add(const std::string& module, const std::string& name, Definition d) {
    auto key = std::make_pair(module, name);
    if (!allow_shadowing && defs.count(key)) {
      throw LinkError("\"" + module + "\" \"" + name + "\" is already defined");
    }
    defs[key] = std::move(d);
  }
};

namespace {

std::string describe(const ImportDesc& imp) {
  return "import \"" + imp.module + "\" \"" + imp.name + "\"";
}

bool limits_match(const Limits32& want, uint32_t actual_min, std::optional<uint32_t> actual_max) {
  if (actual_min < want.min) return false;
  if (want.max) {
    if (!actual_max || *actual_max > *want.max) return false;
  }
  return true;
}

// The type an export has now (memories and tables: current size as the minimum).
ExternType current_type(const detail::InstanceImpl& owner, uint32_t index) {
  ExternType t = owner.mod().exports[index].type;
  void* p = owner.export_storage(index);
  if (t.kind == ExternKind::memory) {
    auto* m = static_cast<wasm_rt_memory_t*>(p);
    t.memory.limits.min = m->pages;
  } else if (t.kind == ExternKind::table) {
    t.table.limits.min = t.table.elem == ValType::funcref
                             ? static_cast<wasm_rt_funcref_table_t*>(p)->size
                             : static_cast<wasm_rt_externref_table_t*>(p)->size;
  }
  return t;
}

void check_compatible(const ImportDesc& imp, const ExternType& actual) {
  const ExternType& want = imp.type;
  bool ok = want.kind == actual.kind;
  if (ok) {
    switch (want.kind) {
      case ExternKind::func:
        ok = want.func == actual.func;
        break;
      case ExternKind::memory:
        ok = want.memory.is64 == actual.memory.is64 && want.memory.shared == actual.memory.shared &&
             limits_match(want.memory.limits, actual.memory.limits.min, actual.memory.limits.max);
        break;
      case ExternKind::table:
        ok = want.table.elem == actual.table.elem &&
             limits_match(want.table.limits, actual.table.limits.min, actual.table.limits.max);
        break;
      case ExternKind::global:
        ok = want.global.type == actual.global.type && want.global.mut == actual.global.mut;
        break;
      case ExternKind::tag:
        ok = want.func == actual.func;
        break;
    }
  }
  if (!ok) {
    throw LinkError(describe(imp) + ": incompatible import type: the module expects " +
                    want.to_string() + ", the definition is " + actual.to_string());
  }
}

}  // namespace

Linker::Linker() : impl_(std::make_shared<Impl>()) {}
Linker::~Linker() = default;
Linker::Linker(const Linker& o) : impl_(std::make_shared<Impl>(*o.impl_)) {}
Linker& Linker::operator=(const Linker& o) {
  if (this != &o) impl_ = std::make_shared<Impl>(*o.impl_);
  return *this;
}

void Linker::allow_shadowing(bool allow) {
  impl_->allow_shadowing = allow;
}

void Linker::define_func(const std::string& module, const std::string& name, FuncType type,
                         HostFunction fn) {
  auto def = std::make_shared<detail::HostFuncDef>();
  def->type_id = rt::register_func_type(type);
  def->type = std::move(type);
  def->fn = std::move(fn);
  impl_->add(module, name, Impl::Definition{def, {}, {}, {}});
}

void Linker::define_tag(const std::string& module, const std::string& name, const Tag& tag) {
  if (!tag.valid()) throw LinkError("defining \"" + module + "\" \"" + name + "\": empty tag");
  Impl::Definition d;
  d.tag = tag;
  impl_->add(module, name, std::move(d));
}

void Linker::define_global(const std::string& module, const std::string& name,
                           const Global& global) {
  if (!global.valid())
    throw LinkError("defining \"" + module + "\" \"" + name + "\": empty global");
  Impl::Definition d;
  d.global = global;
  impl_->add(module, name, std::move(d));
}

void Linker::define(const std::string& module, const std::string& name, const Extern& ext) {
  if (!ext.owner) throw LinkError("defining \"" + module + "\" \"" + name + "\": empty export");
  impl_->add(module, name, Impl::Definition{nullptr, ext, {}, {}});
}

void Linker::define_instance(const std::string& module, const Instance& instance) {
  const auto& exports = instance.module().exports();
  for (uint32_t i = 0; i < exports.size(); ++i) {
    define(module, exports[i].name, Extern{exports[i].type.kind, instance.impl(), i});
  }
}

Template Linker::instantiate_template(const Module& module, TemplateOptions options) const {
  auto tmpl = std::make_shared<detail::TemplateImpl>(module);
  tmpl->options = options;
  for (const ImportDesc& imp : module.imports()) {
    auto it = impl_->defs.find({imp.module, imp.name});
    if (it == impl_->defs.end()) {
      throw LinkError(describe(imp) +
                      ": unknown import (nothing defined under that name; the module expects " +
                      imp.type.to_string() + ")");
    }
    const Impl::Definition& d = it->second;
    detail::ResolvedImport r;
    r.kind = imp.type.kind;
    if (d.host) {
      ExternType actual;
      actual.kind = ExternKind::func;
      actual.func = d.host->type;
      check_compatible(imp, actual);
      r.host = d.host;
    } else if (d.global.valid()) {
      ExternType actual;
      actual.kind = ExternKind::global;
      actual.global.type = d.global.type();
      actual.global.mut = d.global.is_mutable();
      check_compatible(imp, actual);
      r.global = d.global.state();
      r.ptr = r.global->storage;
    } else if (d.tag.valid()) {
      ExternType actual;
      actual.kind = ExternKind::tag;
      actual.func.params = d.tag.params();
      check_compatible(imp, actual);
      r.tag = d.tag.state();
      r.ptr = &r.tag->id;
    } else {
      const detail::InstanceImpl& owner = *d.ext.owner;
      check_compatible(imp, current_type(owner, d.ext.export_index));
      r.owner = d.ext.owner;
      if (r.kind == ExternKind::func) {
        r.code = owner.desc->exports[d.ext.export_index].fn;
        r.vmctx = owner.vm;
      } else {
        r.ptr = owner.export_storage(d.ext.export_index);
      }
    }
    tmpl->imports.push_back(std::move(r));
  }
  tmpl->decide_snapshot();
  return Template(tmpl);
}

Instance Linker::instantiate(const Module& module, TemplateOptions options) const {
  // One instance: a snapshot would cost more than it saves, unless it is reset later.
  if (options.snapshot.mode == SnapshotMode::eager && !options.snapshot.persist)
    options.snapshot.mode = SnapshotMode::lazy;
  return instantiate_template(module, std::move(options)).instantiate();
}

Instance Template::instantiate() const {
  return Instance(detail::instantiate_from(impl_));
}
const Module& Template::module() const {
  return impl_->module;
}
const TemplateOptions& Template::options() const {
  return impl_->options;
}

SnapshotInfo Template::snapshot_info() const {
  SnapshotInfo info;
  info.available = impl_->snapshot_possible;
  info.unavailable_reason = impl_->snapshot_unavailable_reason;
  info.start_runs_per_instance = impl_->start_pending;
  if (!info.available) return info;
  auto code = impl_->module.impl()->code_for(impl_->options.tier);
  code->ensure_initialized();
  std::shared_ptr<snap::Snapshot> s = detail::ensure_snapshot(impl_, code);
  info.captured = true;
  info.from_cache = s->from_cache;
  info.persisted_path = s->persisted_path;
  info.not_persisted_reason = s->not_persisted_reason;
  info.memories = static_cast<uint32_t>(s->memories.size());
  for (const snap::MemorySnapshot& m : s->memories) {
    info.memory_pages += m.pages;
    info.image_bytes += m.image->size();
    info.image_stored_bytes += m.image->stored_bytes();
  }
  return info;
}

}  // namespace wisp
