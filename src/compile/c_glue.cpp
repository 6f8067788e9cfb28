// The glue C appended to wasm2c output (forwarders, import shims, trampolines, descriptor).
#include "compile/c_glue.hpp"

#include <map>
#include <regex>
#include <sstream>

#include "compile/glue_text.hpp"
#include "wabt/cast.h"
#include "wabt/ir.h"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

struct CType {
  const char* c;    // C type name in generated code
  const char* raw;  // wisp_raw_t member
  char multi;       // wasm_multi_* field letter
};

CType ctype(wabt::Type t) {
  switch (t) {
    case wabt::Type::I32:
      return {"u32", "i32", 'i'};
    case wabt::Type::I64:
      return {"u64", "i64", 'j'};
    case wabt::Type::F32:
      return {"f32", "f32", 'f'};
    case wabt::Type::F64:
      return {"f64", "f64", 'd'};
    case wabt::Type::FuncRef:
      return {"wasm_rt_funcref_t", "funcref", 'r'};
    case wabt::Type::ExternRef:
      return {"wasm_rt_externref_t", "externref", 'e'};
    default:
      throw CompileError("unsupported value type in the C glue");
  }
}

std::string multi_name(const wabt::TypeVector& results) {
  std::string s = "struct wasm_multi_";
  for (auto t : results) s += ctype(t).multi;
  return s;
}

std::string return_type(const wabt::FuncSignature& sig) {
  if (sig.result_types.empty()) return "void";
  if (sig.result_types.size() == 1) return ctype(sig.result_types[0]).c;
  return multi_name(sig.result_types);
}

// "(void*, u32, f64)"
std::string fn_ptr_type(const wabt::FuncSignature& sig) {
  std::string s = return_type(sig) + " (*)(void*";
  for (auto t : sig.param_types) s += std::string(", ") + ctype(t).c;
  return s + ")";
}

// Stores `expr` of signature results into raw results array `r`.
std::string store_results(const wabt::FuncSignature& sig, const std::string& expr) {
  std::ostringstream o;
  if (sig.result_types.empty()) {
    o << "  " << expr << ";\n";
  } else if (sig.result_types.size() == 1) {
    o << "  r[0]." << ctype(sig.result_types[0]).raw << " = " << expr << ";\n";
  } else {
    o << "  " << multi_name(sig.result_types) << " x = " << expr << ";\n";
    for (size_t i = 0; i < sig.result_types.size(); ++i) {
      CType t = ctype(sig.result_types[i]);
      o << "  r[" << i << "]." << t.raw << " = x." << t.multi << i << ";\n";
    }
  }
  return o.str();
}

std::string sig_key(const wabt::FuncSignature& sig) {
  std::string k;
  for (auto t : sig.param_types) k += ctype(t).multi;
  k += '_';
  for (auto t : sig.result_types) k += ctype(t).multi;
  return k;
}

std::string import_shims(const wabt::Module& ir) {
  std::ostringstream o;
  for (size_t i = 0; i < ir.imports.size(); ++i) {
    const wabt::Import* imp = ir.imports[i];
    std::string sym = "Z_wZ_i" + std::to_string(i);
    std::string bind = "(WISP_BINDINGS(env) + " + std::to_string(i) + ")";
    switch (imp->kind()) {
      case wabt::ExternalKind::Func: {
        const wabt::FuncSignature& sig = wabt::cast<wabt::FuncImport>(imp)->func.decl.sig;
        std::string ret = return_type(sig);
        o << ret << " " << sym << "(struct Z_w_instance_t* env";
        for (size_t p = 0; p < sig.param_types.size(); ++p)
          o << ", " << ctype(sig.param_types[p]).c << " a" << p;
        o << ") {\n  wisp_binding_t* b = " << bind << ";\n";
        o << "  if (b->code) return ((" << fn_ptr_type(sig) << ")b->code)(b->instance";
        for (size_t p = 0; p < sig.param_types.size(); ++p) o << ", a" << p;
        o << ");\n";
        size_t np = sig.param_types.size(), nr = sig.result_types.size();
        o << "  wisp_raw_t args[" << (np ? np : 1) << "];\n  wisp_raw_t res[" << (nr ? nr : 1)
          << "];\n";
        for (size_t p = 0; p < np; ++p)
          o << "  args[" << p << "]." << ctype(sig.param_types[p]).raw << " = a" << p << ";\n";
        o << "  wisp_rt->host_call(b, args, res);\n";
        if (nr == 1) {
          o << "  return res[0]." << ctype(sig.result_types[0]).raw << ";\n";
        } else if (nr > 1) {
          o << "  " << ret << " x;\n";
          for (size_t r = 0; r < nr; ++r) {
            CType t = ctype(sig.result_types[r]);
            o << "  x." << t.multi << r << " = res[" << r << "]." << t.raw << ";\n";
          }
          o << "  return x;\n";
        }
        o << "}\n";
        break;
      }
      case wabt::ExternalKind::Memory:
        o << "wasm_rt_memory_t* " << sym
          << "(struct Z_w_instance_t* env) { return (wasm_rt_memory_t*)" << bind << "->ptr; }\n";
        break;
      case wabt::ExternalKind::Table: {
        bool funcref = wabt::cast<wabt::TableImport>(imp)->table.elem_type == wabt::Type::FuncRef;
        const char* t = funcref ? "wasm_rt_funcref_table_t" : "wasm_rt_externref_table_t";
        o << t << "* " << sym << "(struct Z_w_instance_t* env) { return (" << t << "*)" << bind
          << "->ptr; }\n";
        break;
      }
      case wabt::ExternalKind::Global: {
        const char* t = ctype(wabt::cast<wabt::GlobalImport>(imp)->global.type).c;
        o << t << "* " << sym << "(struct Z_w_instance_t* env) { return (" << t << "*)" << bind
          << "->ptr; }\n";
        break;
      }
      default:
        throw CompileError("unsupported import kind in the C glue");
    }
  }
  return o.str();
}

std::string offsets_array(const char* name, const std::vector<std::string>& fields) {
  std::ostringstream o;
  o << "static const size_t " << name << "[] = {";
  if (fields.empty()) o << "0";
  for (size_t i = 0; i < fields.size(); ++i)
    o << (i ? ", " : "") << "offsetof(Z_m_instance_t, " << fields[i] << ")";
  o << "};\n";
  return o.str();
}

}  // namespace

GeneratedLayout parse_generated_header(const std::string& header) {
  GeneratedLayout out;
  size_t begin = header.find("typedef struct Z_m_instance_t {");
  size_t end = header.find("} Z_m_instance_t;");
  if (begin == std::string::npos || end == std::string::npos)
    throw CompileError("internal: unexpected wasm2c header layout");
  std::istringstream body(header.substr(begin, end - begin));
  static const std::regex field(
      R"(^\s*(wasm_rt_memory_t|wasm_rt_funcref_table_t|wasm_rt_externref_table_t)\s*(\*?)\s*(\w+);)");
  static const std::regex ref_global(R"(^\s*(wasm_rt_funcref_t|wasm_rt_externref_t)\s+(\w+);)");
  // The fuel counter global (fuel_instrument.hpp): its C name derives from "$wisp_fuel", a name
  // no global of a binary module can have (wisp reads no debug names).
  static const std::regex fuel_global(R"(^\s*u64\s+(\w*wisp_fuel\w*);)");
  std::string line;
  std::smatch m;
  while (std::getline(body, line)) {
    if (std::regex_search(line, m, fuel_global)) {
      out.fuel_field = m[1];
    } else if (std::regex_search(line, m, ref_global)) {
      (m[1] == "wasm_rt_funcref_t" ? out.funcref_global_fields : out.externref_global_fields)
          .push_back(m[2]);
    } else if (std::regex_search(line, m, field)) {
      bool ptr = m[2].length() > 0;
      std::string type = m[1], name = m[3];
      if (type == "wasm_rt_memory_t") {
        (ptr ? out.imported_memory_fields : out.memory_fields).push_back(name);
      } else if (ptr) {
        out.imported_table_fields.push_back(name);
      } else {
        out.table_fields.push_back(name);
        out.table_is_funcref.push_back(type == "wasm_rt_funcref_table_t");
      }
    }
  }
  out.instantiate_takes_imports =
      header.find("void Z_m_instantiate(Z_m_instance_t*, ") != std::string::npos;
  out.has_import_instance_field =
      header.find("struct Z_w_instance_t* Z_w_instance;") != std::string::npos;
  return out;
}

std::string generate_glue(const wabt::Module& ir, const GeneratedLayout& layout) {
  std::ostringstream o;
  o << "\n/* ---- wisp glue ---- */\n#include <stdarg.h>\n#include <stdlib.h>\n#include "
       "<stddef.h>\n";
  o << kAbiHeaderText << kRuntimeForwarders;
  if (layout.has_import_instance_field) {
    o << "#define WISP_BINDINGS(env) (*(wisp_binding_t**)((char*)(env) - offsetof(Z_m_instance_t, "
         "Z_w_instance) - WISP_VM_HEADER))\n";
    o << "#define WISP_IMPORT_ENV(inst) ((struct Z_w_instance_t*)((char*)(inst) + "
         "offsetof(Z_m_instance_t, Z_w_instance)))\n";
  } else {
    o << "#define WISP_BINDINGS(env) ((wisp_binding_t*)(env))\n";
    o << "#define WISP_IMPORT_ENV(inst) ((struct "
         "Z_w_instance_t*)(*(wisp_binding_t**)((char*)(inst) - WISP_VM_HEADER)))\n";
  }
  o << import_shims(ir);

  // One trampoline per export signature.
  std::map<std::string, std::string> tramps;
  std::ostringstream exports;
  exports << "static const wisp_export_desc_t wisp_exports[] = {\n";
  for (size_t i = 0; i < ir.exports.size(); ++i) {
    const wabt::Export* e = ir.exports[i];
    std::string sym = "Z_mZ_e" + std::to_string(i);
    if (e->kind == wabt::ExternalKind::Func) {
      const wabt::FuncSignature& sig = ir.GetFunc(e->var)->decl.sig;
      std::string key = sig_key(sig);
      if (!tramps.count(key)) {
        std::string name = "wisp_tramp_" + std::to_string(tramps.size());
        tramps[key] = name;
        std::string call = "((" + fn_ptr_type(sig) + ")fn)(inst";
        for (size_t p = 0; p < sig.param_types.size(); ++p)
          call += ", a[" + std::to_string(p) + "]." + ctype(sig.param_types[p]).raw;
        call += ")";
        o << "static void " << name
          << "(wasm_rt_function_ptr_t fn, void* inst, const wisp_raw_t* a, wisp_raw_t* r) {\n"
          << "  (void)a; (void)r;\n"
          << store_results(sig, call) << "}\n";
      }
      exports << "  {WISP_EXPORT_FUNC, (wasm_rt_function_ptr_t)&" << sym << ", " << tramps[key]
              << ", 0},\n";
    } else {
      o << "static void* wisp_get_" << i << "(void* inst) { return (void*)" << sym
        << "((Z_m_instance_t*)inst); }\n";
      int kind = e->kind == wabt::ExternalKind::Table    ? 1
                 : e->kind == wabt::ExternalKind::Memory ? 2
                                                         : 3;
      exports << "  {" << kind << ", 0, 0, wisp_get_" << i << "},\n";
    }
  }
  if (ir.exports.empty()) exports << "  {0, 0, 0, 0},\n";
  exports << "};\n";
  o << exports.str();

  o << offsets_array("wisp_memory_offsets", layout.memory_fields);
  o << offsets_array("wisp_table_offsets", layout.table_fields);
  o << offsets_array("wisp_imported_memory_offsets", layout.imported_memory_fields);
  o << offsets_array("wisp_imported_table_offsets", layout.imported_table_fields);
  o << offsets_array("wisp_funcref_global_offsets", layout.funcref_global_fields);
  o << offsets_array("wisp_externref_global_offsets", layout.externref_global_fields);
  o << "static const uint8_t wisp_table_is_funcref[] = {";
  if (layout.table_is_funcref.empty()) o << "0";
  for (size_t i = 0; i < layout.table_is_funcref.size(); ++i)
    o << (i ? ", " : "") << (layout.table_is_funcref[i] ? 1 : 0);
  o << "};\n";

  o << "static void wisp_instantiate(void* inst, wisp_binding_t* b) {\n  (void)b;\n";
  o << "  Z_m_instantiate((Z_m_instance_t*)inst"
    << (layout.instantiate_takes_imports ? ", WISP_IMPORT_ENV(inst)" : "") << ");\n";
  o << "}\n";
  o << "static void wisp_free(void* inst) { Z_m_free((Z_m_instance_t*)inst); }\n";
  o << "static const wisp_module_desc_t wisp_desc = {\n"
    << "  WISP_ABI_VERSION, sizeof(Z_m_instance_t), wisp_bind, Z_m_init_module, wisp_instantiate, "
       "wisp_free,\n"
    << "  " << ir.exports.size() << ", wisp_exports,\n"
    << "  " << layout.memory_fields.size() << ", wisp_memory_offsets,\n"
    << "  " << layout.table_fields.size() << ", wisp_table_offsets, wisp_table_is_funcref,\n"
    << "  " << layout.imported_memory_fields.size() << ", wisp_imported_memory_offsets,\n"
    << "  " << layout.imported_table_fields.size() << ", wisp_imported_table_offsets,\n"
    << "  " << layout.funcref_global_fields.size() << ", wisp_funcref_global_offsets,\n"
    << "  " << layout.externref_global_fields.size() << ", wisp_externref_global_offsets,\n"
    << "  "
    << (layout.has_import_instance_field ? "offsetof(Z_m_instance_t, Z_w_instance)" : "(size_t)-1")
    << ",\n"
    << "  "
    << (layout.fuel_field.empty() ? "(size_t)-1"
                                  : "offsetof(Z_m_instance_t, " + layout.fuel_field + ")")
    << ",\n"
    << "};\n"
    << "WISP_API const wisp_module_desc_t* wisp_module_describe(void) { return &wisp_desc; }\n";
  return o.str();
}

}  // namespace wisp::detail
