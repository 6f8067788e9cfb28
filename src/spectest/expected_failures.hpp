// The checked-in list of spec commands known to fail, each with a reason.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <tuple>

#include "wisp/module.hpp"

namespace wisp::spectest {

// File format, one entry a line ('#' starts a comment):
//   <script>:<line> <tier0|tier1|all> <reason...>
// <script> is the command script's name without extension ("elem" for elem/elem.json).
class ExpectedFailures {
 public:
  // An empty path gives an empty list. Throws wisp::Error for unreadable or malformed files.
  static ExpectedFailures load(const std::filesystem::path& path);
  // The listed reason, or nullptr if (script, line) is not listed for `tier`.
  const std::string* find(const std::string& script, int line, Tier tier) const;

 private:
  // (script, line, tier: 0, 1 or -1 for all) -> reason
  std::map<std::tuple<std::string, int, int>, std::string> entries_;
};

}  // namespace wisp::spectest
