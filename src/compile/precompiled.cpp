// Precompiled modules: writing one from a module's tier 1, checking and loading one (layout in
// precompiled.hpp). In every build; the runtime-only build loads modules only this way.
#include "compile/precompiled.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "compile/build_id.hpp"
#include "compile/module_bytes.hpp"
#include "compile/module_meta.hpp"
#include "compile/native_code.hpp"
#include "compile/section_sizes.hpp"
#include "runtime/wisp_abi.h"
#include "wisp/engine.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

constexpr char kMagic[8] = {'W', 'I', 'S', 'P', 'A', 'O', 'T', '1'};
constexpr size_t kTrailerBytes = 16;        // header size (u64 LE) + magic
constexpr uint64_t kMaxHeaderBytes = 4096;  // the header is a dozen short lines
constexpr const char* kFormat = "1";

std::string join_flags(const std::vector<std::string>& flags) {
  std::string s;
  for (const std::string& f : flags) s += (s.empty() ? "" : " ") + f;
  return s;
}

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// A read-only mapping of a whole file, unmapped on destruction.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw Error(path.string() + " is not a regular file");
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        int err = errno;
        ::close(fd);
        throw Error("cannot map " + path.string() + ": " + std::strerror(err));
      }
      data_ = static_cast<const uint8_t*>(p);
    }
    fd_ = fd;
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // The file as /proc/self/fd/N: the very file checked, whatever happens to its path meanwhile.
  std::filesystem::path proc_path() const { return "/proc/self/fd/" + std::to_string(fd_); }
  // Hands the descriptor over (to the loaded code, which keeps it open while it is loaded).
  int release_fd() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// "key value" lines; a key without a value maps to "".
std::map<std::string, std::string> parse_header(std::string_view text) {
  std::map<std::string, std::string> fields;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    size_t space = line.find(' ');
    if (space == std::string::npos) {
      fields[line] = "";
    } else {
      fields[line.substr(0, space)] = line.substr(space + 1);
    }
  }
  return fields;
}

uint64_t parse_size(const std::map<std::string, std::string>& fields, const std::string& key,
                    const std::string& where) {
  auto it = fields.find(key);
  if (it == fields.end() || it->second.empty() ||
      it->second.find_first_not_of("0123456789") != std::string::npos || it->second.size() > 15)
    throw Error(where + ": damaged header (field '" + key + "')");
  return std::stoull(it->second);
}

}  // namespace

bool ends_like_precompiled(std::span<const uint8_t> bytes) {
  return bytes.size() >= kTrailerBytes &&
         std::memcmp(bytes.data() + bytes.size() - sizeof kMagic, kMagic, sizeof kMagic) == 0;
}

bool is_precompiled_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool yes = false;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      st.st_size >= static_cast<off_t>(kTrailerBytes)) {
    uint8_t trailer[kTrailerBytes];
    if (::pread(fd, trailer, kTrailerBytes, st.st_size - static_cast<off_t>(kTrailerBytes)) ==
        static_cast<ssize_t>(kTrailerBytes))
      yes = ends_like_precompiled(trailer);
  }
  ::close(fd);
  return yes;
}

void write_precompiled(const ModuleImpl& m, const std::filesystem::path& path) {
  std::filesystem::path so;
  uint64_t so_prefix = 0;
  {
    std::unique_lock lock(m.mutex);
    m.tier1_cv.wait(lock, [&] { return m.tier1_done; });
    if (!m.tier1)
      throw Error("cannot precompile: tier 1 is unavailable: " +
                  m.tier1_error.value_or("unknown reason"));
    so = m.tier1_file;
    so_prefix = m.tier1_file_bytes;
  }
  if (so.empty()) throw Error("cannot precompile: tier 1's shared object is not on disk");
  std::vector<uint8_t> code = read_file_bytes(so);
  if (so_prefix > 0) {  // a module loaded from a precompiled file: its shared object only
    if (so_prefix > code.size()) throw Error("cannot precompile: " + so.string() + " changed");
    code.resize(so_prefix);
  }
  std::string meta = encode_module_meta(m);
  std::string payload(code.begin(), code.end());
  payload.append(reinterpret_cast<const char*>(m.bytes.data()), m.bytes.size());
  payload += meta;
  std::ostringstream header;
  header << "wisp-precompiled " << kFormat << "\n"
         << "wisp " << kWispVersion << "\n"
         << "codegen " << kCodegenId << "\n"
         << "abi " << WISP_ABI_VERSION << "\n"
         << "isa " << join_flags(tier1_host_flags()) << "\n"
         << "fuel " << (m.consume_fuel ? 1 : 0) << "\n"
         << "proposals " << m.proposals.bits() << "\n"
         << "so " << code.size() << "\n"
         << "wasm " << m.bytes.size() << "\n"
         << "meta " << meta.size() << "\n";
  // The digest covers the parts and every header line before its own.
  std::string head = header.str();
  head += "sha256 " + sha256_hex({payload, head}) + "\n";
  std::string out = std::move(payload);
  out += head;
  put_u64(out, head.size());
  out.append(kMagic, sizeof kMagic);

  std::filesystem::path tmp = path;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (fd < 0) throw Error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::write(fd, out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        throw Error("cannot write " + tmp.string() + ": " + std::strerror(err));
      }
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    ::unlink(tmp.c_str());
    throw Error("cannot write " + path.string() + ": " + ec.message());
  }
}

std::shared_ptr<ModuleImpl> read_precompiled(const EngineImpl& engine,
                                             const std::filesystem::path& path) {
  auto t0 = std::chrono::steady_clock::now();
  const std::string where = "precompiled module " + path.string();
  auto m = std::make_shared<ModuleImpl>();
  std::shared_ptr<CodeObject> code;
  double load_ms = 0;
  uint64_t so_bytes = 0;
  {
    MappedFile file(path);
    const uint8_t* d = file.data();
    const size_t size = file.size();
    if (size < kTrailerBytes || std::memcmp(d + size - 8, kMagic, sizeof kMagic) != 0)
      throw Error(path.string() + " is not a precompiled module (`wisp compile m.wasm -o " +
                  "m.wisp` makes one)");
    uint64_t head_size = get_u64(d + size - kTrailerBytes);
    if (head_size == 0 || head_size > kMaxHeaderBytes || head_size > size - kTrailerBytes)
      throw Error(where + ": damaged header (size)");
    const size_t head_at = size - kTrailerBytes - head_size;
    auto fields =
        parse_header(std::string_view(reinterpret_cast<const char*>(d + head_at), head_size));
    if (fields["wisp-precompiled"] != kFormat)
      throw Error(where + ": unknown format '" + fields["wisp-precompiled"] + "'");
    if (fields["codegen"] != kCodegenId)
      throw Error(where + " was made by another wisp build (wisp " + fields["wisp"] + ", codegen " +
                  fields["codegen"].substr(0, 12) + "; this is wisp " + kWispVersion +
                  ", codegen " + std::string(kCodegenId).substr(0, 12) +
                  "): make it again with this build's `wisp compile`");
    if (fields["abi"] != std::to_string(WISP_ABI_VERSION))
      throw Error(where + ": ABI version " + fields["abi"] + ", this runtime's is " +
                  std::to_string(WISP_ABI_VERSION));
    {
      std::istringstream isa(fields["isa"]);
      const auto& have = tier1_host_flags();
      for (std::string flag; isa >> flag;) {
        if (std::find(have.begin(), have.end(), flag) == have.end())
          throw Error(where + " needs a CPU feature this one lacks (" + flag + ")");
      }
    }
    const uint64_t so_size = parse_size(fields, "so", where);
    const uint64_t wasm_size = parse_size(fields, "wasm", where);
    const uint64_t meta_size = parse_size(fields, "meta", where);
    if (so_size + wasm_size + meta_size != head_at)
      throw Error(where + ": the parts' sizes do not add up (truncated or damaged file)");
    std::string_view payload(reinterpret_cast<const char*>(d), head_at);
    std::string_view head(reinterpret_cast<const char*>(d + head_at), head_size);
    size_t sha_line = head.rfind("sha256 ");
    if (sha_line == std::string_view::npos || (sha_line > 0 && head[sha_line - 1] != '\n'))
      throw Error(where + ": damaged header (no digest)");
    if (sha256_hex({payload, head.substr(0, sha_line)}) != fields["sha256"])
      throw Error(where + " does not match its digest (damaged file)");
    const uint8_t* wasm = d + so_size;
    m->byte_store = ModuleBytes::from_vector(std::vector<uint8_t>(wasm, wasm + wasm_size));
    m->bytes = m->byte_store->span();
    m->hash = sha256_bytes_hex(payload.substr(so_size, wasm_size));
    m->consume_fuel = fields["fuel"] == "1";
    m->proposals = front::FeatureSet(static_cast<uint32_t>(parse_size(fields, "proposals", where)));
    std::string_view meta = payload.substr(so_size + wasm_size, meta_size);
    if (!decode_module_meta(meta, *m)) throw Error(where + ": damaged module metadata");
    auto t1 = std::chrono::steady_clock::now();
    std::filesystem::path proc = file.proc_path();
    code = open_tier1_object(proc, file.release_fd());
    load_ms = ms_since(t1);
    // The descriptor matches the interface read above: as many exports, each with its code.
    if (code->desc->num_exports != m->exports.size())
      throw Error(where + ": its code does not match its interface (" +
                  std::to_string(code->desc->num_exports) + " exports in the code, " +
                  std::to_string(m->exports.size()) + " in the metadata)");
    so_bytes = so_size;
  }
  m->cache_dir = engine.cache_dir.string();
  m->lazy_batch_bytes = 0;
  m->sections = read_section_sizes(m->bytes);
  register_export_types(*m);
  m->tier1_file = path;
  m->tier1_file_bytes = so_bytes;  // the shared object is the file's first part
  finish_tier1(*m, std::move(code), std::nullopt, load_ms, true);
  m->stats.translate_ms = ms_since(t0) - load_ms;
  return m;
}

}  // namespace wisp::detail
