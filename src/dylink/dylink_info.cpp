// Reads the `dylink.0` custom section of a side module (tool conventions, DynamicLinking.md):
// WASM_DYLINK_MEM_INFO (memory size and alignment, table size and alignment) and
// WASM_DYLINK_NEEDED (the modules it depends on); export and import info are skipped.
#include <algorithm>
#include <string>

#include "compile/front/reader.hpp"
#include "wisp/dylink.hpp"

namespace wisp {

namespace {

constexpr uint8_t kMemInfo = 1;  // WASM_DYLINK_MEM_INFO
constexpr uint8_t kNeeded = 2;   // WASM_DYLINK_NEEDED

DylinkInfo parse_dylink(std::span<const uint8_t> bytes, size_t pos, size_t end) {
  using detail::front::Reader;
  DylinkInfo info;
  Reader r(bytes, pos, end);
  while (!r.at_end()) {
    const uint8_t type = r.u8();
    const size_t size = r.uleb(32);
    if (size > r.remaining()) detail::front::fail_at(r.pos(), "dylink.0: subsection past its end");
    Reader sub(bytes, r.pos(), r.pos() + size);
    if (type == kMemInfo) {
      info.memory_size = static_cast<uint32_t>(sub.uleb(32));
      info.memory_align = static_cast<uint32_t>(sub.uleb(32));
      info.table_size = static_cast<uint32_t>(sub.uleb(32));
      info.table_align = static_cast<uint32_t>(sub.uleb(32));
    } else if (type == kNeeded) {
      const uint32_t n = sub.count();
      for (uint32_t i = 0; i < n; ++i) info.needed.emplace_back(sub.name());
    }
    r.skip(size);
  }
  return info;
}

}  // namespace

DylinkInfo read_dylink_info(std::span<const uint8_t> bytes) {
  using detail::front::Reader;
  static const uint8_t kHeader[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  if (bytes.size() < 8 || !std::equal(kHeader, kHeader + 8, bytes.begin()))
    throw CompileError("not a WebAssembly module (bad magic or version)", 0);
  Reader r(bytes, 8, bytes.size());
  bool legacy = false;
  while (!r.at_end()) {
    const uint8_t id = r.u8();
    const size_t size = r.uleb(32);
    if (size > r.remaining())
      detail::front::fail_at(r.pos(), "section of " + std::to_string(size) + " bytes past the end");
    const size_t end = r.pos() + size;
    if (id == 0) {
      Reader name_reader(bytes, r.pos(), end);
      const std::string_view name = name_reader.name();
      if (name == "dylink.0") return parse_dylink(bytes, name_reader.pos(), end);
      if (name == "dylink") legacy = true;
    }
    r.seek(end);
  }
  throw LinkError(legacy ? "the module has only the old \"dylink\" section (LLVM before 13): "
                           "rebuild it with a newer wasm-ld"
                         : "not a side module: no \"dylink.0\" section (build it with -fPIC and "
                           "wasm-ld --experimental-pic -shared)");
}

}  // namespace wisp
