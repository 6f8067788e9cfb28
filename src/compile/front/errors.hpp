// The front end's refusal of a module that needs a proposal that is not enabled: thrown where the
// first use is found, then turned into one CompileError naming every proposal the module needs
// (validate_module scans the whole module for them).
#pragma once

#include <cstddef>
#include <string>

#include "compile/front/module_decl.hpp"
#include "wisp/error.hpp"

namespace wisp::detail::front {

class FeatureRefused : public CompileError {
 public:
  FeatureRefused(Feature feature, size_t offset, const std::string& what)
      : CompileError(
            what + " needs the " + feature_name(feature) + " proposal, which is not enabled",
            offset),
        feature_(feature) {}
  Feature feature() const { return feature_; }

 private:
  Feature feature_;
};

[[noreturn]] inline void refuse(Feature feature, size_t offset, const std::string& what) {
  throw FeatureRefused(feature, offset, what);
}

}  // namespace wisp::detail::front
