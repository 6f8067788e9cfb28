// Lazy tier 0 (lazy_tier0.hpp). Every defined function has a machine-code stub (lazy_stubs.hpp);
// the base unit and the batches take its address as `wisp_stubs` plus an offset, and batches call
// it as `w<f>`. The first call of a stub lands, through
// rt::lazy_compile_entry, in LazyTier0Code::compile_function: under the module's lock it emits a
// batch (the function and its not yet compiled successors), compiles it into a TCCState of its
// own linked by name against the base unit's symbols (the runtime forwarders, type ids, segment
// initialisers, import shims) and the stubs of functions in other batches, and points each
// member's stub at its code.
#include "compile/lazy_tier0.hpp"

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

#include "compile/big_stack.hpp"
#include "compile/emit/c_module.hpp"
#include "compile/emit/c_names.hpp"
#include "compile/lazy_stubs.hpp"
#include "compile/tier0_tcc.hpp"
#include "runtime/lazy_code.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

static_assert(LazyStubs::kStubSize == emit::kLazyStubBytes, "the emitted C assumes the stub size");

class LazyTier0Code final : public CodeObject, public rt::LazyCompiler {
 public:
  LazyTier0Code(std::shared_ptr<const ModuleBytes> bytes, front::ModuleDecl decl,
                const LazyTier0Options& o)
      : bytes_(std::move(bytes)), decl_(std::move(decl)), options_(o) {
    emit::EmitOptions eo;
    eo.consume_fuel = o.consume_fuel;
    eo.features = decl_.features;
    eo.c_budget = emit::c_budget(decl_, bytes_->size());
    eo.lazy = true;
    emitter_ = std::make_unique<emit::ModuleEmitter>(decl_, bytes_->span(), eo);
    compiled_.assign(decl_.bodies.size(), 0);
    code_.assign(decl_.bodies.size(), nullptr);
  }

  void build_base() {
    stubs_ =
        std::make_unique<LazyStubs>(decl_.bodies.size(), decl_.num_imported_funcs,
                                    static_cast<rt::LazyCompiler*>(this), &rt::lazy_compile_entry);
    std::string c = emitter_->lazy_base();
    stats_.base_c_bytes = c.size();
    base_.compile(c.c_str(),
                  [&](TCCState* s) { tcc_add_symbol(s, "wisp_stubs", stubs_->entry(0)); });
    desc = base_.describe();
    // What every batch may link against: the runtime forwarders (wasm_rt_*) and wisp's shared
    // symbols (type ids, segment initialisers, import shims).
    std::lock_guard lock(tcc_mutex());
    tcc_list_symbols(base_.raw(), &fixed_, [](void* ctx, const char* name, const void* val) {
      auto* fixed = static_cast<std::vector<std::pair<std::string, const void*>>*>(ctx);
      if (std::strcmp(name, "wisp_stubs") == 0) return;  // added to each batch by compile_batch
      if (std::strncmp(name, "wasm_rt_", 8) == 0 || std::strncmp(name, "wisp_", 5) == 0)
        fixed->emplace_back(name, val);
    });
  }

  void* compile_function(uint32_t func) override {
    if (func < decl_.num_imported_funcs || func >= decl_.funcs.size())
      throw Error("no defined function " + std::to_string(func));
    const uint32_t first = func - decl_.num_imported_funcs;
    std::lock_guard lock(mutex_);
    if (compiled_[first]) return code_[first];
    std::vector<uint32_t> batch{first};
    size_t code = decl_.bodies[first].size;
    for (uint32_t i = first + 1;
         i < compiled_.size() && !compiled_[i] && code < options_.batch_bytes && batch.size() < 512;
         ++i) {
      batch.push_back(i);
      code += decl_.bodies[i].size;
    }
    on_big_stack([&] { compile_batch(batch); });
    return code_[first];
  }

  LazyTier0Stats stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }

 private:
  void compile_batch(const std::vector<uint32_t>& batch) {
    std::vector<std::string> externals;
    std::string c = emitter_->lazy_batch(batch, externals);
    std::vector<std::pair<std::string, const void*>> links;
    links.reserve(externals.size() + 1);
    links.emplace_back("wisp_stubs", stubs_->entry(0));
    for (const std::string& name : externals) {  // "w<f>": function f's stub
      uint32_t f = static_cast<uint32_t>(std::stoul(name.substr(1)));
      links.emplace_back(name, stubs_->entry(f - decl_.num_imported_funcs));
    }
    auto state = std::make_unique<TccState>();
    state->compile(c.c_str(), [&](TCCState* s) {
      for (const auto& [name, p] : fixed_) tcc_add_symbol(s, name.c_str(), p);
      for (const auto& [name, p] : links) tcc_add_symbol(s, name.c_str(), p);
    });
    std::vector<void*> code(batch.size());
    for (size_t k = 0; k < batch.size(); ++k) {
      std::string name = "w" + std::to_string(decl_.num_imported_funcs + batch[k]);
      code[k] = state->symbol(name.c_str());
      if (!code[k]) throw CompileError("tier 0: " + name + " missing from its batch");
    }
    for (size_t k = 0; k < batch.size(); ++k) {
      code_[batch[k]] = code[k];
      stubs_->set(batch[k], code[k]);
      compiled_[batch[k]] = 1;
    }
    batches_.push_back(std::move(state));
    ++stats_.batches;
    stats_.functions_compiled += batch.size();
    stats_.batch_c_bytes += c.size();
  }

  // Declared first, destroyed last: the emitter refers to them.
  std::shared_ptr<const ModuleBytes> bytes_;
  front::ModuleDecl decl_;
  LazyTier0Options options_;
  std::unique_ptr<emit::ModuleEmitter> emitter_;
  std::unique_ptr<LazyStubs> stubs_;  // outlive the code that jumps through them
  TccState base_;
  std::vector<std::pair<std::string, const void*>> fixed_;
  mutable std::mutex mutex_;
  std::vector<uint8_t> compiled_;  // per defined function
  std::vector<void*> code_;        // per defined function, once compiled
  std::vector<std::unique_ptr<TccState>> batches_;
  LazyTier0Stats stats_;
};

}  // namespace

std::shared_ptr<CodeObject> compile_tier0_lazy(std::shared_ptr<const ModuleBytes> bytes,
                                               front::ModuleDecl decl,
                                               const LazyTier0Options& options) {
  auto code = std::make_shared<LazyTier0Code>(std::move(bytes), std::move(decl), options);
  code->tier = Tier::tier0;
  code->build_base();
  return code;
}

bool lazy_tier0_stats(const CodeObject& code, LazyTier0Stats& out) {
  auto* lazy = dynamic_cast<const LazyTier0Code*>(&code);
  if (!lazy) return false;
  out = lazy->stats();
  return true;
}

}  // namespace wisp::detail
