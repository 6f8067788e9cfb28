// wisp's own module translation to C: drives the function validator with the C emitter as its
// sink, one function at a time, and assembles prelude, functions and tail into translation units.
#include "compile/emit/c_module.hpp"

#include "compile/emit/c_emitter.hpp"
#include "compile/emit/c_prelude.hpp"
#include "compile/emit/c_tail.hpp"
#include "compile/front/func_validator.hpp"

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

struct ModuleEmitter::Impl {
  Impl(const front::ModuleDecl& d, std::span<const uint8_t> b, const EmitOptions& o)
      : decl(d), bytes(b), shape(d, o.consume_fuel), emitter(shape), validator(d, b, o.features) {}
  const front::ModuleDecl& decl;
  std::span<const uint8_t> bytes;
  ModuleShape shape;
  CEmitter emitter;
  front::FuncValidator<CEmitter> validator;
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
}

std::string ModuleEmitter::tail() const {
  return emit::tail(impl_->shape, impl_->bytes);
}

CModule emit_module_c(const front::ModuleDecl& decl, std::span<const uint8_t> bytes,
                      const EmitOptions& options) {
  ModuleEmitter e(decl, bytes, options);
  CModule m;
  m.text = e.prelude();
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
  return m;
}

}  // namespace wisp::detail::emit
