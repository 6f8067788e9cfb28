// A module's C from its declarations or its bytes: the function validator with the C emitter.
#include "compile/c_translate.hpp"

#include "compile/front/func_validator.hpp"

namespace wisp::detail {

emit::CModule translate_own(const front::ModuleDecl& decl, std::span<const uint8_t> bytes,
                            bool consume_fuel) {
  emit::EmitOptions options;
  options.consume_fuel = consume_fuel;
  options.features = decl.features;
  options.c_budget = emit::c_budget(decl, bytes.size());
  return emit::emit_module_c(decl, bytes, options);
}

emit::CModule translate_bytes_to_c(std::span<const uint8_t> bytes, front::FeatureSet features,
                                   bool consume_fuel) {
  return translate_own(front::validate_module(bytes, features), bytes, consume_fuel);
}

}  // namespace wisp::detail
