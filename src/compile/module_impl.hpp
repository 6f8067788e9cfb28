// Internal representation of a compiled module: metadata, data segments, native code per tier.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compile/emit/c_module.hpp"
#include "compile/module_bytes.hpp"
#include "runtime/wisp_abi.h"
#include "wisp/module.hpp"

namespace wisp::detail {

// One step of a data segment's offset, in postfix order: a constant, an imported global's value,
// or (extended-const) add, sub, mul of the two values below.
struct OffsetOp {
  enum Kind : uint8_t { constant, global, add, sub, mul };
  Kind kind = constant;
  uint64_t value = 0;  // the constant, or the global's index into imports
};

// An active data segment, applied by the runtime at instantiation (its bytes never pass
// through a C compiler).
struct DataSegmentInit {
  uint32_t memory_index = 0;
  bool is64 = false;                 // a 64-bit memory (memory64): i64 offsets
  std::vector<OffsetOp> offset_ops;  // the offset (validated: one value)
  size_t bytes_offset = 0;           // where `bytes` lie in the module's bytes
  std::vector<uint8_t> bytes;
};

// Native code of one tier: a libtcc state or a dlopen'ed shared object.
class CodeObject {
 public:
  virtual ~CodeObject() = default;
  Tier tier = Tier::tier0;
  const wisp_module_desc_t* desc = nullptr;
  void ensure_initialized();  // bind_runtime + init_module, once

 private:
  std::once_flag init_once_;
};

struct EngineImpl;

struct ModuleImpl {
  // The module's bytes, shared with lazy tier 0 (which emits C from them on first calls).
  std::shared_ptr<const ModuleBytes> byte_store;
  std::span<const uint8_t> bytes;  // byte_store->span()
  std::string hash;
  std::string cache_dir;        // the engine's cache directory (persisted snapshots live there)
  bool consume_fuel = false;    // the code is fuel-metered (EngineConfig::consume_fuel)
  front::FeatureSet proposals;  // the proposals its engine accepts (it validated with them)
  size_t lazy_batch_bytes = 0;  // lazy tier 0 (EngineConfig::lazy_tier0): code bytes per batch

  // Tier 0 from the bytes: lazily (lazy_batch_bytes > 0) or the whole C translation (`c` if it
  // is not empty, else translated now). Runs on the caller's stack.
  std::shared_ptr<CodeObject> build_tier0(const std::string& c) const;
  std::vector<ImportDesc> imports;
  std::vector<ExportDesc> exports;
  // Heterogeneous lookup: find(string_view) allocates nothing on the call path.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, uint32_t, NameHash, std::equal_to<>> export_index;
  std::vector<std::string> features;
  std::vector<SectionSize> sections;
  std::optional<uint32_t> start;
  std::optional<uint32_t> start_export;  // index of the synthetic start export in desc->exports
  std::vector<DataSegmentInit> data_segments;
  std::vector<uint32_t> export_type_ids;   // runtime type id of each function export (0 others)
  std::optional<uint32_t> memory0_import;  // import index when memory 0 is imported
  uint32_t defined_memories = 0;           // memories the module defines (multi-memory: > 1)
  uint32_t defined_shared_memories = 0;    // of those, the shared ones (threads)
  // Why the module's instances are not snapshotted, if it has exnref globals or tables (their
  // counted references to exceptions: runtime/exnref_objects.cpp); empty otherwise.
  std::string exnref_storage;

  emit::CModule c_source;  // kept until tier 1 is built
  std::shared_ptr<CodeObject> tier0;

  mutable std::mutex mutex;
  mutable std::condition_variable tier1_cv;
  std::shared_ptr<CodeObject> tier1;
  std::filesystem::path tier1_file;  // the shared object tier 1 was loaded from
  uint64_t tier1_file_bytes = 0;     // its size when it is the first part of a precompiled file
  bool tier1_done = false;
  std::optional<std::string> tier1_error;
  CompileStats stats;

  // The code an instance of the requested tier runs (automatic: tier 1 if ready).
  std::shared_ptr<CodeObject> code_for(Tier tier) const;
};

}  // namespace wisp::detail
