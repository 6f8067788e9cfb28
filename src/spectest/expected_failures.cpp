// The checked-in list of spec commands known to fail, each with a reason.
#include "spectest/expected_failures.hpp"

#include <fstream>
#include <sstream>

#include "wisp/error.hpp"

namespace wisp::spectest {

ExpectedFailures ExpectedFailures::load(const std::filesystem::path& path) {
  ExpectedFailures list;
  if (path.empty()) return list;
  std::ifstream in(path);
  if (!in) throw Error("cannot read expected-failures list " + path.string());
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream fields(line);
    std::string where, tier, reason;
    if (!(fields >> where)) continue;
    fields >> tier;
    std::getline(fields >> std::ws, reason);
    auto colon = where.rfind(':');
    int tier_id = tier == "tier0" ? 0 : tier == "tier1" ? 1 : tier == "all" ? -1 : -2;
    int cmd_line = 0;
    try {
      if (colon != std::string::npos) cmd_line = std::stoi(where.substr(colon + 1));
    } catch (const std::exception&) {
      cmd_line = 0;
    }
    if (colon == std::string::npos || cmd_line <= 0 || tier_id == -2 || reason.empty()) {
      throw Error(path.string() + ":" + std::to_string(number) +
                  ": expected '<script>:<line> <tier0|tier1|all> <reason>'");
    }
    list.entries_[{where.substr(0, colon), cmd_line, tier_id}] = reason;
  }
  return list;
}

const std::string* ExpectedFailures::find(const std::string& script, int line, Tier tier) const {
  int t = tier == Tier::tier1 ? 1 : 0;
  for (int key : {t, -1}) {
    auto it = entries_.find({script, line, key});
    if (it != entries_.end()) return &it->second;
  }
  return nullptr;
}

}  // namespace wisp::spectest
