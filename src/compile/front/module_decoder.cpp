// wisp's module decoder: the header, the section sequence (order, sizes, ids) and the sections
// of declarations (types, imports, functions, tables, memories, tags, globals, exports, start,
// data count, code), validating them as it reads; element and data sections are in
// decode_segments.cpp, types and constant expressions in decode_types.cpp. Function bodies are
// only located: their locals and instructions are the function validator's.
#include "compile/front/module_decoder.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "compile/front/decoder_internal.hpp"

namespace wisp::detail::front {

namespace {

enum SectionId : uint8_t {
  kCustom = 0,
  kType = 1,
  kImport = 2,
  kFunction = 3,
  kTable = 4,
  kMemory = 5,
  kGlobal = 6,
  kExport = 7,
  kStart = 8,
  kElem = 9,
  kCode = 10,
  kData = 11,
  kDataCount = 12,
  kTag = 13,
};

const char* section_name(uint8_t id) {
  static constexpr const char* kNames[] = {
      "custom", "type",  "import",  "function", "table", "memory",     "global",
      "export", "start", "element", "code",     "data",  "data count", "tag",
  };
  return id < std::size(kNames) ? kNames[id] : "unknown";
}

// Where each known section may appear: ranks must strictly increase along the module.
int section_rank(uint8_t id) {
  static constexpr int kRanks[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};
  return kRanks[id];
}

// Tags belong to exception handling in both its legacy form and its final (exnref) form: either
// enables them; a refusal names the legacy proposal, the one wabt's "exceptions" flag enables.
void use_tags(DecodeContext& c, size_t at, const char* what) {
  if (!c.enabled.has(Feature::exceptions) && c.enabled.has(Feature::exnref)) {
    c.m.features.add(Feature::exnref);
  } else {
    c.use(Feature::exceptions, at, what);
  }
}

TagType read_tag_type(DecodeContext& c, Reader& r) {
  size_t at = r.pos();
  uint8_t attribute = r.u8();
  if (attribute != 0) fail_at(at, "malformed tag attribute " + std::to_string(attribute));
  size_t type_at = r.pos();
  TagType t;
  t.type_index = read_index(r, c.m.types.size(), "type");
  if (!c.m.types[t.type_index].results.empty()) fail_at(type_at, "non-empty tag result type");
  return t;
}

void add_memory(DecodeContext& c, size_t at, MemoryType t) {
  if (!c.m.memories.empty()) c.use(Feature::multi_memory, at, "multiple memories");
  c.m.memories.push_back(t);
}

void read_val_types(DecodeContext& c, Reader& r, std::vector<ValType>& out, const char* what) {
  size_t at = r.pos();
  uint32_t n = r.u32();
  if (n > kMaxTypeArity)
    fail_at(at, "function type has " + std::to_string(n) + " " + what + " (limit " +
                    std::to_string(kMaxTypeArity) + ")");
  reserve_bounded(out, n, r, 1);
  for (uint32_t i = 0; i < n; ++i) out.push_back(read_val_type(c, r));
}

void decode_types(DecodeContext& c, Reader& r) {
  uint32_t n = read_decl_count(r, 0, "types");
  reserve_bounded(c.m.types, n, r, 3);
  for (uint32_t i = 0; i < n; ++i) {
    c.entry = i;
    size_t at = r.pos();
    uint8_t form = r.u8();
    switch (form) {
      case 0x60:
        break;
      case 0x4e:
        c.unsupported(Feature::gc, at, "a recursive type group");
      case 0x50:
      case 0x4f:
        c.unsupported(Feature::gc, at, "a subtype declaration");
      case 0x5f:
        c.unsupported(Feature::gc, at, "a struct type");
      case 0x5e:
        c.unsupported(Feature::gc, at, "an array type");
      case 0x5d:
        c.unsupported(Feature::stack_switching, at, "a continuation type");
      default:
        if (form & 0x80) fail_at(at, "integer representation too long");
        fail_at(at, "malformed function type " + std::to_string(form));
    }
    FuncType t;
    read_val_types(c, r, t.params, "params");
    read_val_types(c, r, t.results, "results");
    c.m.types.push_back(std::move(t));
  }
}

void decode_imports(DecodeContext& c, Reader& r) {
  ModuleDecl& m = c.m;
  uint32_t n = read_decl_count(r, 0, "imports");
  reserve_bounded(m.imports, n, r, 4);
  for (uint32_t i = 0; i < n; ++i) {
    c.entry = i;
    Import imp;
    imp.module = r.name();
    imp.name = r.name();
    size_t at = r.pos();
    uint8_t kind = r.u8();
    switch (kind) {
      case 0:
        imp.index = static_cast<uint32_t>(m.funcs.size());
        m.funcs.push_back(read_index(r, m.types.size(), "type"));
        ++m.num_imported_funcs;
        break;
      case 1:
        imp.index = static_cast<uint32_t>(m.tables.size());
        m.tables.push_back(read_table_type(c, r));
        ++m.num_imported_tables;
        break;
      case 2:
        imp.index = static_cast<uint32_t>(m.memories.size());
        add_memory(c, at, read_memory_type(c, r));
        ++m.num_imported_memories;
        break;
      case 3:
        imp.index = static_cast<uint32_t>(m.globals.size());
        m.globals.push_back(read_global_type(c, r));
        ++m.num_imported_globals;
        break;
      case 4:
        use_tags(c, at, "a tag import");
        imp.index = static_cast<uint32_t>(m.tags.size());
        m.tags.push_back(read_tag_type(c, r));
        ++m.num_imported_tags;
        break;
      default:
        fail_at(at, "malformed import kind " + std::to_string(kind));
    }
    imp.kind = static_cast<ExternKind>(kind);
    m.imports.push_back(std::move(imp));
  }
}

void decode_functions(DecodeContext& c, Reader& r) {
  ModuleDecl& m = c.m;
  uint32_t n = read_decl_count(r, m.funcs.size(), "functions");
  reserve_bounded(m.funcs, n, r, 1);
  for (uint32_t i = 0; i < n; ++i) {
    c.entry = i;
    m.funcs.push_back(read_index(r, m.types.size(), "type"));
  }
}

void decode_tables(DecodeContext& c, Reader& r) {
  uint32_t n = read_decl_count(r, c.m.tables.size(), "tables");
  reserve_bounded(c.m.tables, n, r, 3);
  for (uint32_t i = 0; i < n; ++i) {
    c.entry = i;
    c.m.tables.push_back(read_table_type(c, r));
  }
}

void decode_memories(DecodeContext& c, Reader& r) {
  uint32_t n = read_decl_count(r, c.m.memories.size(), "memories");
  for (uint32_t i = 0; i < n; ++i) {
    c.entry = i;
    size_t at = r.pos();
    add_memory(c, at, read_memory_type(c, r));
  }
}

void decode_tags(DecodeContext& c, Reader& r) {
  uint32_t n = read_decl_count(r, c.m.tags.size(), "tags");
  reserve_bounded(c.m.tags, n, r, 2);
  for (uint32_t i = 0; i < n; ++i) {
    c.entry = i;
    c.m.tags.push_back(read_tag_type(c, r));
  }
}

void decode_globals(DecodeContext& c, Reader& r) {
  ModuleDecl& m = c.m;
  uint32_t n = read_decl_count(r, m.globals.size(), "globals");
  reserve_bounded(m.globals, n, r, 3);
  reserve_bounded(m.global_inits, n, r, 3);
  for (uint32_t i = 0; i < n; ++i) {
    c.entry = i;
    GlobalType g = read_global_type(c, r);
    m.global_inits.push_back(read_const_expr(c, r, g.type));
    m.globals.push_back(g);
  }
}

// Export names seen so far: an open-addressing table of (name hash, export index + 1), so
// checking uniqueness is linear; names are compared only when their hashes agree. Sized for
// `capacity` names: at least twice as many slots.
class ExportNames {
 public:
  explicit ExportNames(size_t capacity) : capacity_(capacity) {
    size_t n = 16;
    while (n < 2 * capacity) n *= 2;
    slots_.resize(n);
  }
  // False if `name` is already there; otherwise records it as export `index`.
  bool insert(std::string_view name, uint32_t index, const std::vector<Export>& exports) {
    if (count_ == capacity_) fail_at(CompileError::npos, "internal: export table full");
    const size_t hash = std::hash<std::string_view>()(name);
    const uint32_t tag = static_cast<uint32_t>(hash >> 32);
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.index == 0) {
        s = Slot{tag, index + 1};
        ++count_;
        return true;
      }
      if (s.tag == tag && exports[s.index - 1].name == name) return false;
    }
  }

 private:
  struct Slot {
    uint32_t tag = 0;    // the hash's high half (its low bits pick the slot)
    uint32_t index = 0;  // export index + 1; 0: empty
  };
  std::vector<Slot> slots_;
  size_t capacity_;
  size_t count_ = 0;
};

void decode_exports(DecodeContext& c, Reader& r) {
  ModuleDecl& m = c.m;
  uint32_t n = read_decl_count(r, 0, "exports");
  // Each export takes at least 3 bytes (name length, kind, index): no more can follow.
  const size_t most = std::min<size_t>(n, r.remaining() / 3);
  m.exports.reserve(most);
  ExportNames names(most);
  for (uint32_t i = 0; i < n; ++i) {
    c.entry = i;
    size_t name_at = r.pos();
    std::string_view name = r.name();
    size_t at = r.pos();
    uint8_t kind = r.u8();
    Export e;
    switch (kind) {
      case 0:
        e.index = read_index(r, m.funcs.size(), "function");
        if (m.declared_refs.size() < m.funcs.size()) m.declared_refs.resize(m.funcs.size());
        m.declared_refs[e.index] = 1;
        break;
      case 1:
        e.index = read_index(r, m.tables.size(), "table");
        break;
      case 2:
        e.index = read_index(r, m.memories.size(), "memory");
        break;
      case 3:
        e.index = read_index(r, m.globals.size(), "global");
        break;
      case 4:
        use_tags(c, at, "a tag export");
        e.index = read_index(r, m.tags.size(), "tag");
        break;
      default:
        fail_at(at, "malformed export kind " + std::to_string(kind));
    }
    if (!names.insert(name, i, m.exports))
      fail_at(name_at, "duplicate export name \"" + std::string(name) + "\"");
    e.name = name;
    e.kind = static_cast<ExternKind>(kind);
    m.exports.push_back(std::move(e));
  }
}

void decode_start(DecodeContext& c, Reader& r) {
  size_t at = r.pos();
  uint32_t f = read_index(r, c.m.funcs.size(), "function");
  const FuncType& t = c.m.func_type(f);
  if (!t.params.empty() || !t.results.empty())
    fail_at(at, "start function " + std::to_string(f) + " must have type [] -> []");
  c.m.start = f;
}

void decode_data_count(DecodeContext& c, Reader& r) {
  size_t at = r.pos();
  uint32_t n = r.u32();
  if (n > kMaxDeclItems)
    fail_at(at, "module declares " + std::to_string(n) + " data segments (limit " +
                    std::to_string(kMaxDeclItems) + ")");
  c.m.data_count = n;
}

void decode_code(DecodeContext& c, Reader& r) {
  ModuleDecl& m = c.m;
  size_t at = r.pos();
  uint32_t n = r.u32();
  const size_t defined = m.funcs.size() - m.num_imported_funcs;
  if (n != defined)
    fail_at(at, "function and code section have inconsistent lengths (" + std::to_string(defined) +
                    " functions, " + std::to_string(n) + " bodies)");
  m.bodies.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    c.entry = i;
    size_t size_at = r.pos();
    uint32_t size = r.u32();
    if (size > r.remaining())
      fail_at(size_at, "unexpected end of section or function: body of " + std::to_string(size) +
                           " bytes, " + std::to_string(r.remaining()) + " left");
    m.bodies.push_back(FuncBody{static_cast<uint32_t>(r.pos()), size});
    r.skip(size);
  }
}

void decode_section(DecodeContext& c, Reader& r, uint8_t id) {
  switch (id) {
    case kType:
      return decode_types(c, r);
    case kImport:
      return decode_imports(c, r);
    case kFunction:
      return decode_functions(c, r);
    case kTable:
      return decode_tables(c, r);
    case kMemory:
      return decode_memories(c, r);
    case kGlobal:
      return decode_globals(c, r);
    case kExport:
      return decode_exports(c, r);
    case kStart:
      return decode_start(c, r);
    case kElem:
      return decode_elem_section(c, r);
    case kCode:
      return decode_code(c, r);
    case kData:
      return decode_data_section(c, r);
    case kDataCount:
      return decode_data_count(c, r);
    case kTag:
      return decode_tags(c, r);
    default:
      return;
  }
}

// " in section import, entry 3" for an error inside a section.
std::string context_of(const DecodeContext& c) {
  std::string s = std::string(" in section ") + c.section;
  if (c.entry >= 0) s += ", entry " + std::to_string(c.entry);
  return s;
}

void read_header(std::span<const uint8_t> bytes) {
  static constexpr uint8_t kMagic[] = {0x00, 0x61, 0x73, 0x6d};
  if (bytes.size() < 4) fail_at(bytes.size(), "unexpected end");
  if (std::memcmp(bytes.data(), kMagic, 4) != 0) fail_at(0, "magic header not detected");
  if (bytes.size() < 8) fail_at(bytes.size(), "unexpected end");
  const uint8_t* v = bytes.data() + 4;
  if (v[0] == 0x01 && v[1] == 0 && v[2] == 0 && v[3] == 0) return;
  // Version 0x0d and layer 1: a component (the component model's binary format).
  if (v[0] == 0x0d && v[1] == 0 && v[2] == 0x01 && v[3] == 0)
    refuse(Feature::component_model, 4, "a component binary (not a core module)");
  fail_at(4, "unknown binary version");
}

}  // namespace

ModuleDecl decode_module(std::span<const uint8_t> bytes, FeatureSet enabled) {
  if (bytes.size() > UINT32_MAX)
    fail_at(0, "module too large: " + std::to_string(bytes.size()) + " bytes (limit 4 GiB)");
  read_header(bytes);
  ModuleDecl m;
  DecodeContext c{bytes, enabled, m};
  Reader r(bytes, 8, bytes.size());
  int last_rank = 0;
  uint8_t last_id = 0;
  bool have_code = false, have_data = false;
  while (!r.at_end()) {
    size_t id_at = r.pos();
    uint8_t id = r.u8();
    if (id > kTag) fail_at(id_at, "malformed section id " + std::to_string(id));
    if (id == kTag) use_tags(c, id_at, "the tag section (id 13)");
    size_t size_at = r.pos();
    uint32_t size = r.u32();
    if (size > r.remaining())
      fail_at(size_at, "length out of bounds: section " + std::string(section_name(id)) + " of " +
                           std::to_string(size) + " bytes, " + std::to_string(r.remaining()) +
                           " left");
    if (id != kCustom) {
      int rank = section_rank(id);
      if (rank <= last_rank)
        fail_at(id_at, std::string("unexpected content after last section: section ") +
                           section_name(id) + (id == last_id ? " repeated" : " after section ") +
                           (id == last_id ? "" : section_name(last_id)));
      last_rank = rank;
      last_id = id;
    }
    const size_t start = r.pos(), end = start + size;
    Reader sr(bytes, start, end);
    c.section = section_name(id);
    c.entry = -1;
    Section s{id, {}, static_cast<uint32_t>(start), size};
    try {
      if (id == kCustom) {
        s.name = sr.name();
        sr.seek(end);
      } else {
        s.name = section_name(id);
        decode_section(c, sr, id);
      }
    } catch (const FeatureRefused&) {
      throw;
    } catch (const CompileError& e) {
      // The spec's wording for reading past a section's end.
      std::string message = e.message() == "unexpected end" && e.offset() == end
                                ? "unexpected end of section or function"
                                : e.message();
      throw CompileError(message + context_of(c), e.offset());
    }
    if (sr.pos() != end)
      fail_at(sr.pos(), "section size mismatch: section " + std::string(section_name(id)) +
                            " ends at byte " + std::to_string(sr.pos() - start) + " of " +
                            std::to_string(size));
    have_code |= id == kCode;
    have_data |= id == kData;
    m.sections.push_back(std::move(s));
    r.seek(end);
  }
  if (!have_code && m.funcs.size() > m.num_imported_funcs)
    fail_at(bytes.size(), "function and code section have inconsistent lengths (" +
                              std::to_string(m.funcs.size() - m.num_imported_funcs) +
                              " functions, no code section)");
  if (!have_data && m.data_count.value_or(0) != 0)
    fail_at(bytes.size(), "data count and data section have inconsistent lengths (data count " +
                              std::to_string(*m.data_count) + ", no data section)");
  m.declared_refs.resize(m.funcs.size());
  return m;
}

}  // namespace wisp::detail::front
