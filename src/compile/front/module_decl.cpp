// Names for the front end's declaration types: value types as the text format spells them, the
// proposals by the names errors and `wisp inspect` show, and the wabt-style flag names that the
// command line and tests use to enable proposals.
#include <string>
#include <string_view>

#include "compile/front/module_decl.hpp"

namespace wisp::detail::front {

const char* val_type_name(ValType t) {
  switch (t) {
    case ValType::unknown:
      return "unknown";
    case ValType::i32:
      return "i32";
    case ValType::i64:
      return "i64";
    case ValType::f32:
      return "f32";
    case ValType::f64:
      return "f64";
    case ValType::v128:
      return "v128";
    case ValType::funcref:
      return "funcref";
    case ValType::externref:
      return "externref";
    case ValType::exnref:
      return "exnref";
  }
  return "invalid";
}

const char* feature_name(Feature f) {
  switch (f) {
    case Feature::simd:
      return "SIMD";
    case Feature::relaxed_simd:
      return "relaxed SIMD";
    case Feature::threads:
      return "threads";
    case Feature::tail_call:
      return "tail calls";
    case Feature::exceptions:
      return "exception handling";
    case Feature::exnref:
      return "exception handling (exnref)";
    case Feature::multi_memory:
      return "multi-memory";
    case Feature::memory64:
      return "memory64";
    case Feature::extended_const:
      return "extended constant expressions";
    case Feature::gc:
      return "GC";
    case Feature::function_references:
      return "typed function references";
    case Feature::component_model:
      return "component model";
    case Feature::custom_page_sizes:
      return "custom page sizes";
    case Feature::wide_arithmetic:
      return "wide arithmetic";
    case Feature::stack_switching:
      return "stack switching";
  }
  return "unknown proposal";
}

const char* feature_flag(Feature f) {
  switch (f) {
    case Feature::simd:
      return "simd";
    case Feature::relaxed_simd:
      return "relaxed-simd";
    case Feature::threads:
      return "threads";
    case Feature::tail_call:
      return "tail-call";
    case Feature::exceptions:
      return "exceptions";
    case Feature::exnref:
      return "exnref";
    case Feature::multi_memory:
      return "multi-memory";
    case Feature::memory64:
      return "memory64";
    case Feature::extended_const:
      return "extended-const";
    case Feature::gc:
      return "gc";
    case Feature::function_references:
      return "function-references";
    case Feature::component_model:
      return "component-model";
    case Feature::custom_page_sizes:
      return "custom-page-sizes";
    case Feature::wide_arithmetic:
      return "wide-arithmetic";
    case Feature::stack_switching:
      return "stack-switching";
  }
  return "unknown";
}

std::string FeatureSet::names() const {
  std::string out;
  for (uint32_t bit = 1; bit != 0 && bit <= bits_; bit <<= 1) {
    if (!(bits_ & bit)) continue;
    if (!out.empty()) out += ", ";
    out += feature_name(static_cast<Feature>(bit));
  }
  return out;
}

bool parse_feature(std::string_view name, Feature& out) {
  static constexpr struct {
    std::string_view flag;
    Feature feature;
  } kFlags[] = {
      {"simd", Feature::simd},
      {"relaxed-simd", Feature::relaxed_simd},
      {"threads", Feature::threads},
      {"tail-call", Feature::tail_call},
      {"exceptions", Feature::exceptions},
      {"exnref", Feature::exnref},
      {"multi-memory", Feature::multi_memory},
      {"memory64", Feature::memory64},
      {"extended-const", Feature::extended_const},
      {"gc", Feature::gc},
      {"function-references", Feature::function_references},
  };
  for (const auto& f : kFlags) {
    if (f.flag == name) {
      out = f.feature;
      return true;
    }
  }
  return false;
}

}  // namespace wisp::detail::front
