// Section sizes from a module's bytes, with the front end's header-only byte reader.
#include "compile/section_sizes.hpp"

#include <algorithm>
#include <iterator>
#include <string>

#include "compile/front/reader.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

std::vector<SectionSize> read_section_sizes(std::span<const uint8_t> bytes) {
  static const char* kNames[] = {"custom", "type",   "import",   "function", "table",
                                 "memory", "global", "export",   "start",    "element",
                                 "code",   "data",   "datacount"};
  std::vector<SectionSize> out;
  front::Reader r(bytes, std::min<size_t>(8, bytes.size()), bytes.size());
  try {
    while (!r.at_end()) {
      uint8_t id = r.u8();
      uint32_t size = r.u32();
      if (size > r.remaining()) break;
      const size_t end = r.pos() + size;
      SectionSize s;
      s.bytes = size;
      if (id == 0) {
        try {
          front::Reader name(bytes, r.pos(), end);
          s.name = "custom:" + std::string(name.name());
        } catch (const CompileError&) {
          s.name = "custom";
        }
      } else {
        s.name = id < std::size(kNames) ? kNames[id] : "unknown(" + std::to_string(id) + ")";
      }
      out.push_back(std::move(s));
      r.seek(end);
    }
  } catch (const CompileError&) {
    // A malformed section header ends the list.
  }
  return out;
}

}  // namespace wisp::detail
