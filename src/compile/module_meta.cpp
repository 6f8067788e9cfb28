// Module metadata beside a cached tier-1 object: "wisp-module-meta 2 <sha256 of the rest>\n",
// then the fields in a little-endian binary layout. Data segments are recorded as ranges of the
// module's bytes (which the cache key covers), not copied.
#include "compile/module_meta.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <system_error>
#include <vector>

#include "compile/native_code.hpp"

namespace wisp::detail {

namespace {

constexpr std::string_view kMagic = "wisp-module-meta 8 ";
constexpr size_t kDigestHex = 64;

struct Writer {
  std::string out;
  void u8(uint8_t v) { out.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    u32(static_cast<uint32_t>(v));
    u32(static_cast<uint32_t>(v >> 32));
  }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out += s;
  }
  void types(const std::vector<ValType>& ts) {
    u32(static_cast<uint32_t>(ts.size()));
    for (ValType t : ts) u8(static_cast<uint8_t>(t));
  }
  void limits(const Limits32& l) {
    u32(l.min);
    u8(l.max.has_value());
    u32(l.max.value_or(0));
  }
  void opt(const std::optional<uint32_t>& v) {
    u8(v.has_value());
    u32(v.value_or(0));
  }
  void extern_type(const ExternType& t) {
    u8(static_cast<uint8_t>(t.kind));
    switch (t.kind) {
      case ExternKind::func:
      case ExternKind::tag:
        types(t.func.params);
        types(t.func.results);
        break;
      case ExternKind::table:
        u8(static_cast<uint8_t>(t.table.elem));
        limits(t.table.limits);
        break;
      case ExternKind::memory:
        limits(t.memory.limits);
        u8(static_cast<uint8_t>(t.memory.is64 | t.memory.shared << 1));  // bit 1: shared
        break;
      case ExternKind::global:
        u8(static_cast<uint8_t>(t.global.type));
        u8(t.global.mut);
        break;
    }
  }
};

// Every read is bounds-checked; `ok` turns false on the first one that does not fit.
struct Reader {
  std::string_view in;
  size_t pos = 0;
  bool ok = true;

  bool need(size_t n) {
    if (ok && in.size() - pos < n) ok = false;
    return ok;
  }
  uint8_t u8() {
    if (!need(1)) return 0;
    return static_cast<uint8_t>(in[pos++]);
  }
  uint32_t u32() {
    if (!need(4)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(static_cast<uint8_t>(in[pos++])) << (8 * i);
    return v;
  }
  uint64_t u64() {
    uint64_t lo = u32();
    return lo | uint64_t(u32()) << 32;
  }
  // A count of items that take at least `min_bytes` each (a damaged count allocates nothing).
  uint32_t count(size_t min_bytes) {
    uint32_t n = u32();
    if (ok && n > (in.size() - pos) / min_bytes) ok = false;
    return ok ? n : 0;
  }
  std::string str() {
    uint32_t n = u32();
    if (!need(n)) return {};
    std::string s(in.substr(pos, n));
    pos += n;
    return s;
  }
  ValType val_type() {
    uint8_t t = u8();
    if (t > static_cast<uint8_t>(ValType::v128)) ok = false;
    return static_cast<ValType>(t);
  }
  std::vector<ValType> types() {
    std::vector<ValType> ts(count(1));
    for (ValType& t : ts) t = val_type();
    return ts;
  }
  Limits32 limits() {
    Limits32 l;
    l.min = u32();
    bool has_max = u8() != 0;
    uint32_t max = u32();
    if (has_max) l.max = max;
    return l;
  }
  std::optional<uint32_t> opt() {
    bool has = u8() != 0;
    uint32_t v = u32();
    return has ? std::optional<uint32_t>(v) : std::nullopt;
  }
  ExternType extern_type() {
    ExternType t;
    uint8_t kind = u8();
    if (kind > static_cast<uint8_t>(ExternKind::tag)) ok = false;
    t.kind = static_cast<ExternKind>(kind);
    switch (t.kind) {
      case ExternKind::func:
      case ExternKind::tag:
        t.func.params = types();
        t.func.results = types();
        break;
      case ExternKind::table:
        t.table.elem = val_type();
        t.table.limits = limits();
        break;
      case ExternKind::memory:
        t.memory.limits = limits();
        {
          uint8_t bits = u8();
          t.memory.is64 = (bits & 1) != 0;
          t.memory.shared = (bits & 2) != 0;
        }
        break;
      case ExternKind::global:
        t.global.type = val_type();
        t.global.mut = u8() != 0;
        break;
    }
    return t;
  }
};

}  // namespace

std::filesystem::path module_meta_path(const std::filesystem::path& so) {
  std::filesystem::path p = so;
  p.replace_extension(".meta");
  return p;
}

std::string encode_module_meta(const ModuleImpl& m) {
  Writer w;
  w.u32(static_cast<uint32_t>(m.imports.size()));
  for (const ImportDesc& d : m.imports) {
    w.str(d.module);
    w.str(d.name);
    w.extern_type(d.type);
  }
  w.u32(static_cast<uint32_t>(m.exports.size()));
  for (const ExportDesc& d : m.exports) {
    w.str(d.name);
    w.extern_type(d.type);
  }
  w.opt(m.start);
  w.opt(m.start_export);
  w.opt(m.memory0_import);
  w.u32(m.defined_memories);
  w.u32(m.defined_shared_memories);
  w.str(m.exnref_storage);
  w.u32(static_cast<uint32_t>(m.features.size()));
  for (const std::string& f : m.features) w.str(f);
  w.u32(static_cast<uint32_t>(m.data_segments.size()));
  for (const DataSegmentInit& seg : m.data_segments) {
    w.u32(seg.memory_index);
    w.u8(seg.is64);
    w.u32(static_cast<uint32_t>(seg.offset_ops.size()));
    for (const OffsetOp& op : seg.offset_ops) {
      w.u8(op.kind);
      w.u64(op.value);
    }
    w.u64(seg.bytes_offset);
    w.u64(seg.bytes.size());
  }
  return std::string(kMagic) + sha256_bytes_hex(w.out) + "\n" + w.out;
}

bool decode_module_meta(std::string_view file, ModuleImpl& m) {
  size_t header = kMagic.size() + kDigestHex + 1;
  if (file.size() < header || file.substr(0, kMagic.size()) != kMagic || file[header - 1] != '\n')
    return false;
  std::string_view body = file.substr(header);
  if (sha256_bytes_hex(body) != file.substr(kMagic.size(), kDigestHex)) return false;

  Reader r{body};
  std::vector<ImportDesc> imports(r.count(10));
  for (ImportDesc& d : imports) {
    d.module = r.str();
    d.name = r.str();
    d.type = r.extern_type();
  }
  std::vector<ExportDesc> exports(r.count(5));
  for (ExportDesc& d : exports) {
    d.name = r.str();
    d.type = r.extern_type();
  }
  std::optional<uint32_t> start = r.opt(), start_export = r.opt(), memory0_import = r.opt();
  const uint32_t defined_memories = r.u32();
  const uint32_t defined_shared_memories = r.u32();
  std::string exnref_storage = r.str();
  std::vector<std::string> features(r.count(4));
  for (std::string& f : features) f = r.str();
  std::vector<DataSegmentInit> data(r.count(29));
  for (DataSegmentInit& seg : data) {
    seg.memory_index = r.u32();
    seg.is64 = r.u8() != 0;
    seg.offset_ops.resize(r.count(9));
    for (OffsetOp& op : seg.offset_ops) {
      const uint8_t kind = r.u8();
      if (kind > OffsetOp::mul) r.ok = false;
      op.kind = static_cast<OffsetOp::Kind>(kind);
      op.value = r.u64();
    }
    if (seg.offset_ops.empty()) r.ok = false;
    uint64_t offset = r.u64(), size = r.u64();
    if (offset > m.bytes.size() || size > m.bytes.size() - offset) r.ok = false;
    seg.bytes_offset = static_cast<size_t>(offset);
    if (r.ok) seg.bytes.assign(m.bytes.begin() + offset, m.bytes.begin() + offset + size);
  }
  if (!r.ok || r.pos != body.size()) return false;

  m.imports = std::move(imports);
  m.exports = std::move(exports);
  m.export_index.clear();
  for (size_t i = 0; i < m.exports.size(); ++i)
    m.export_index.emplace(m.exports[i].name, static_cast<uint32_t>(i));
  m.start = start;
  m.start_export = start_export;
  m.memory0_import = memory0_import;
  m.defined_memories = defined_memories;
  m.defined_shared_memories = defined_shared_memories;
  m.exnref_storage = std::move(exnref_storage);
  m.features = std::move(features);
  m.data_segments = std::move(data);
  return true;
}

void write_module_meta(const ModuleImpl& m, const std::filesystem::path& path) {
  std::string content = encode_module_meta(m);
  std::string tmp = path.string() + ".tmp" + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = ::close(fd) == 0 && ok;
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, path, ec);
  if (!ok || ec) std::filesystem::remove(tmp, ec);
}

bool read_module_meta(const std::filesystem::path& path, ModuleImpl& m) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string content;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (n == 0 && decode_module_meta(content, m)) return true;
  std::error_code ec;
  std::filesystem::remove(path, ec);  // damaged: rewritten from the module's bytes
  return false;
}

}  // namespace wisp::detail
