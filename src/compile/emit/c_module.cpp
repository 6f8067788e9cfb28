// wisp's own module translation to C: drives the function validator with the C emitter as its
// sink, one function at a time, and assembles prelude, functions and tail into translation units.
#include "compile/emit/c_module.hpp"

#include <algorithm>

#include "compile/emit/c_emitter.hpp"
#include "compile/emit/c_lazy.hpp"
#include "compile/emit/c_prelude.hpp"
#include "compile/emit/c_tail.hpp"
#include "compile/front/func_validator.hpp"
#include "wisp/error.hpp"

namespace wisp::detail::emit {

namespace {
constexpr const char* kSplitDefine = "#define WISP_SPLIT 1\n";
}

std::vector<std::string> CModule::units(size_t unit_bytes) const {
  const size_t n = function_ends.size();
  if (unit_bytes == 0 || text.size() <= 2 * unit_bytes || n < 2) return {text};
  std::vector<std::string> out;
  std::string head = kSplitDefine;
  head += prelude();
  out.push_back(head);
  out.back() += tail();
  for (size_t k = 0; k < n;) {
    const size_t begin = k ? function_ends[k - 1] : prelude_size;
    size_t end = function_ends[k++];
    while (k < n && function_ends[k] - begin <= unit_bytes) end = function_ends[k++];
    std::string u;
    u.reserve(head.size() + end - begin);
    u += head;
    u.append(text, begin, end - begin);
    out.push_back(std::move(u));
  }
  return out;
}

uint64_t c_budget(const front::ModuleDecl& decl, size_t module_bytes) {
  uint64_t counted = module_bytes;
  for (const front::Section& s : decl.sections)
    if (s.id == 0 || s.id == 11) counted -= std::min<uint64_t>(counted, s.size);
  return kCBudgetBase + kCBudgetPerByte * counted;
}

const char* c_budget_rule() {
  return "16 MiB plus 128 bytes per byte of the module outside data and custom sections";
}

namespace {
// Throws when `c` is over `budget` after the part `what` (prelude or tail: their size follows
// the declarations, not code).
void check_part(const std::string& c, uint64_t budget, const char* what) {
  if (budget && c.size() > budget)
    throw CompileError("module too large to translate: its declarations take the C " +
                       std::string(what) + " past " + std::to_string(budget >> 20) +
                       " MiB, the budget for this module (" + c_budget_rule() + ")");
}
}  // namespace

struct ModuleEmitter::Impl {
  Impl(const front::ModuleDecl& d, std::span<const uint8_t> b, const EmitOptions& o)
      : decl(d),
        bytes(b),
        shape(d, o.consume_fuel),
        emitter(shape),
        validator(d, b, o.features),
        budget(o.c_budget) {
    emitter.set_budget(o.c_budget);
    shape.lazy = o.lazy;
  }
  const front::ModuleDecl& decl;
  std::span<const uint8_t> bytes;
  ModuleShape shape;
  CEmitter emitter;
  front::FuncValidator<CEmitter> validator;
  uint64_t budget;
};

ModuleEmitter::ModuleEmitter(const front::ModuleDecl& decl, std::span<const uint8_t> bytes,
                             const EmitOptions& options)
    : impl_(std::make_unique<Impl>(decl, bytes, options)) {}

ModuleEmitter::~ModuleEmitter() = default;

std::string ModuleEmitter::prelude() const {
  return emit::prelude(impl_->shape);
}

void ModuleEmitter::function(uint32_t defined_index, std::string& out) {
  impl_->emitter.set_output(&out);
  impl_->validator.run(defined_index, impl_->emitter);
  impl_->emitter.check_budget(impl_->decl.bodies[defined_index].offset);  // its declarations
  if (impl_->shape.tail_calls) {  // and its tail variant (ModuleShape::tail_calls)
    impl_->emitter.set_tail_variant(true);
    impl_->validator.run(defined_index, impl_->emitter);
    impl_->emitter.set_tail_variant(false);
    impl_->emitter.check_budget(impl_->decl.bodies[defined_index].offset);
  }
}

std::string ModuleEmitter::tail() const {
  return emit::tail(impl_->shape, impl_->bytes);
}

std::string ModuleEmitter::lazy_base() const {
  std::string c = emit::lazy_base(impl_->shape, tail());
  check_part(c, impl_->budget, "base unit");
  return c;
}

std::string ModuleEmitter::lazy_batch(std::span<const uint32_t> defined,
                                      std::vector<std::string>& externals) {
  CEmitter& e = impl_->emitter;
  e.called().clear();
  e.referenced().clear();
  std::string body;
  for (uint32_t i : defined) function(i, body);
  std::vector<uint32_t> members;
  members.reserve(defined.size());
  for (uint32_t i : defined) members.push_back(impl_->decl.num_imported_funcs + i);
  std::string c = lazy_batch_head(impl_->shape, members, e.called(), e.referenced(), externals);
  c += body;
  return c;
}

CModule emit_module_c(const front::ModuleDecl& decl, std::span<const uint8_t> bytes,
                      const EmitOptions& options) {
  ModuleEmitter e(decl, bytes, options);
  CModule m;
  m.text = e.prelude();
  check_part(m.text, options.c_budget, "prelude");
  m.prelude_size = m.text.size();
  // About 6 bytes of C per byte of code: reserved address space costs nothing until touched,
  // and the buffer then seldom moves.
  size_t code = 0;
  for (const front::FuncBody& b : decl.bodies) code += b.size;
  m.text.reserve(m.prelude_size + 8 * code + 65536);
  m.function_ends.reserve(decl.bodies.size());
  for (uint32_t i = 0; i < decl.bodies.size(); ++i) {
    e.function(i, m.text);
    m.function_ends.push_back(m.text.size());
  }
  m.text += e.tail();
  check_part(m.text, options.c_budget, "tail");
  return m;
}

}  // namespace wisp::detail::emit
