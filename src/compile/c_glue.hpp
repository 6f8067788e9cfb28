// Generates the glue C that follows wasm2c output: runtime forwarders, import shims,
// trampolines per export signature, and the module descriptor (see runtime/wisp_abi.h).
#pragma once

#include <string>
#include <vector>

namespace wabt {
struct Module;
}

namespace wisp::detail {

// What the glue needs from the generated header.
struct GeneratedLayout {
  bool instantiate_takes_imports = false;
  bool has_import_instance_field = false;  // Z_w_instance (present when functions are imported)
  std::vector<std::string> memory_fields;  // defined memories, in order
  std::vector<std::string> table_fields;   // defined tables, in order
  std::vector<bool> table_is_funcref;
  std::vector<std::string> imported_memory_fields;
  std::vector<std::string> imported_table_fields;
  std::vector<std::string> funcref_global_fields;  // defined globals of type funcref
  std::vector<std::string> externref_global_fields;
  std::string fuel_field;  // the fuel counter (empty: no fuel metering)
};

// Parses the wasm2c header of module "m" (imports from module "w").
GeneratedLayout parse_generated_header(const std::string& header);

// `ir` must already use the C-safe names (exports "e<i>", imports "w"."i<i>"). Active data
// segments were emptied: the C writer emits nothing for empty segments, and memory.init from
// them sees length 0, exactly as for a dropped segment.
std::string generate_glue(const wabt::Module& ir, const GeneratedLayout& layout);

}  // namespace wisp::detail
