// Host-made shared memories (wisp/shared_memories.hpp): each is the memory of a one-line module,
// (module (memory (export "memory") MIN MAX shared)), instantiated once; linking its export keeps
// that instance (and so the memory) alive as long as a template or instance uses it.
#include "wisp/shared_memories.hpp"

#include <string>
#include <vector>

#include "compile/module_impl.hpp"
#include "wisp/error.hpp"

namespace wisp {

namespace {

void leb(std::vector<uint8_t>& out, uint32_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(static_cast<uint8_t>(b | (v ? 0x80 : 0)));
  } while (v);
}

void section(std::vector<uint8_t>& out, uint8_t id, const std::vector<uint8_t>& body) {
  out.push_back(id);
  leb(out, static_cast<uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
}

std::vector<uint8_t> shared_memory_module(const MemoryType& type) {
  std::vector<uint8_t> out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  std::vector<uint8_t> memory = {1, 0x03};  // one memory: shared, with a maximum
  leb(memory, type.limits.min);
  leb(memory, type.limits.max.value_or(type.limits.min));
  section(out, 5, memory);
  std::vector<uint8_t> exports = {1, 6, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0};
  section(out, 7, exports);
  return out;
}

}  // namespace

bool imports_shared_memory(const Module& module) {
  for (const ImportDesc& imp : module.imports()) {
    if (imp.type.kind == ExternKind::memory && imp.type.memory.shared) return true;
  }
  return false;
}

bool defines_shared_memory(const Module& module) {
  return module.impl()->defined_shared_memories > 0;
}

uint32_t define_shared_memories(Engine& engine, Linker& linker, const Module& module) {
  uint32_t defined = 0;
  for (const ImportDesc& imp : module.imports()) {
    if (imp.type.kind != ExternKind::memory || !imp.type.memory.shared) continue;
    if (imp.type.memory.is64)
      throw Error("the 64-bit shared memory \"" + imp.module + "\" \"" + imp.name +
                  "\" is not supported");
    TemplateOptions options;
    options.tier = Tier::automatic;
    Instance holder =
        Linker().instantiate(engine.compile(shared_memory_module(imp.type.memory)), options);
    try {
      linker.define(imp.module, imp.name, *holder.get_export("memory"));
    } catch (const LinkError&) {
      continue;  // already defined: the linker's definition stands
    }
    ++defined;
  }
  return defined;
}

}  // namespace wisp
