// A compiled WebAssembly module: its interface (imports, exports), its native code in two tiers.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wisp/value.hpp"

namespace wisp {

enum class ExternKind : uint8_t { func, table, memory, global, tag };
const char* extern_kind_name(ExternKind k);

struct Limits32 {
  uint32_t min = 0;
  std::optional<uint32_t> max;
};

struct TableType {
  ValType elem = ValType::funcref;
  Limits32 limits;
};

struct MemoryType {
  Limits32 limits;      // in 64 KiB pages (memory64 limits past 32 bits read as UINT32_MAX)
  bool is64 = false;    // i64 addresses (memory64)
  bool shared = false;  // shared between threads (threads; has a maximum)
};

struct GlobalType {
  ValType type = ValType::i32;
  bool mut = false;
};

// The type of an import or export; which member is meaningful depends on `kind` (a tag, of
// exception handling: `func`, whose params are the values an exception of the tag carries).
struct ExternType {
  ExternKind kind = ExternKind::func;
  FuncType func;
  TableType table;
  MemoryType memory;
  GlobalType global;
  // "func (i32) -> ()", "memory 1..2", "global mut i32", "table 10.. funcref"
  std::string to_string() const;
};

struct ImportDesc {
  std::string module;
  std::string name;
  ExternType type;
};

struct ExportDesc {
  std::string name;
  ExternType type;
};

// Which code an instance runs: tier 0 (libtcc, ready in milliseconds), tier 1 (cc -O2, built
// in the background and cached), or auto (tier 1 when it is ready, else tier 0).
enum class Tier : uint8_t { tier0, tier1, automatic };
const char* tier_name(Tier t);

struct SectionSize {
  std::string name;  // "type", "import", "code", "data", custom sections by their name
  uint64_t bytes = 0;
};

struct CompileStats {
  double translate_ms = 0;  // validation + C translation + glue generation
  double tier0_ms = 0;      // libtcc compile + relocation
  double tier1_ms = 0;      // cc -O2 (or cache load); 0 until tier 1 is ready
  bool tier1_from_cache = false;
  size_t tier1_units = 0;     // translation units tier 1 was built from (0: loaded from the cache)
  size_t c_source_bytes = 0;  // the C compiled before compile() returned (lazy: the base unit)
  // Lazy tier 0 (EngineConfig::lazy_tier0), as of this call: functions compiled on first call
  // so far, in how many batches, and their C.
  bool tier0_lazy = false;
  size_t tier0_functions_compiled = 0;
  size_t tier0_batches = 0;
  size_t tier0_batch_c_bytes = 0;
};

namespace detail {
struct ModuleImpl;
}

// A validated, compiled module. Cheap to copy (shared handle); thread-safe.
class Module {
 public:
  const std::vector<ImportDesc>& imports() const;
  const std::vector<ExportDesc>& exports() const;
  std::optional<ExportDesc> find_export(const std::string& name) const;
  // Post-MVP features the module uses, as wabt's flags name them ("bulk-memory",
  // "reference-types", "multi-value", "extended-const", ...).
  const std::vector<std::string>& features() const;
  const std::vector<SectionSize>& section_sizes() const;
  // Declared start function index, if any.
  std::optional<uint32_t> start_function() const;
  // Hex SHA-256 of the module bytes.
  const std::string& hash() const;
  size_t byte_size() const;

  bool tier1_ready() const;
  // Waits until tier 1 is built (or failed). Returns false if tier 1 is unavailable.
  bool wait_tier1(std::chrono::milliseconds timeout = std::chrono::milliseconds::max()) const;
  // Why tier 1 failed, if it did.
  std::optional<std::string> tier1_error() const;
  CompileStats stats() const;

  const std::shared_ptr<detail::ModuleImpl>& impl() const { return impl_; }
  explicit Module(std::shared_ptr<detail::ModuleImpl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<detail::ModuleImpl> impl_;
};

}  // namespace wisp
