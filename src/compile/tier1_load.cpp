// Tier 1's loading half, in every build (the runtime-only one too): checks and dlopen()s a
// shared object built by tier1_cc.cpp, and tells which instruction-set flags this CPU runs.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <vector>

#include "compile/native_code.hpp"
#include "wisp/engine.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

// Held around every dlopen() and dlclose() of a tier-1 object. glibc's loader has its own lock,
// but ThreadSanitizer cannot see it: two threads that load one cached path get one shared handle,
// and the dlclose() that drops the last reference frees what the first dlopen() allocated, with
// no order between the two that TSan knows of. The loader serializes these calls anyway, so this
// lock costs no parallelism.
std::mutex& loader_mutex() {
  static std::mutex m;
  return m;
}

class SharedObjectCode final : public CodeObject {
 public:
  ~SharedObjectCode() override {
    if (handle) {
      std::lock_guard<std::mutex> lock(loader_mutex());
      dlclose(handle);
    }
    if (keep_fd >= 0) ::close(keep_fd);
  }
  void* handle = nullptr;
  // A descriptor kept open as long as the object is loaded (open_tier1_object's `keep_fd`).
  int keep_fd = -1;
};

}  // namespace

const std::vector<std::string>& tier1_host_flags() {
  static const std::vector<std::string> flags = [] {
    std::vector<std::string> f;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) f.push_back("-msse4.2");
#endif
    return f;
  }();
  return flags;
}

namespace {

// SHA-256 of a whole file, read through a private mapping (no copy on the heap).
std::string file_sha256_hex(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size <= 0) {
    if (fd >= 0) ::close(fd);
    return {};
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return {};
  std::string hex = sha256_bytes_hex(std::string_view(static_cast<const char*>(p), size));
  ::munmap(p, size);
  return hex;
}

}  // namespace

std::shared_ptr<CodeObject> open_tier1_object(const std::filesystem::path& so_path, int keep_fd) {
  auto code = std::make_shared<SharedObjectCode>();
  code->keep_fd = keep_fd;  // closed with the object, also if loading fails below
  void* h = nullptr;
  {
    std::lock_guard<std::mutex> lock(loader_mutex());
    h = dlopen(so_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  if (!h) throw Error(std::string("tier 1: cannot load ") + so_path.string() + ": " + dlerror());
  code->handle = h;
  code->tier = Tier::tier1;
  auto describe = reinterpret_cast<wisp_describe_fn>(dlsym(h, WISP_DESCRIBE_SYMBOL));
  if (!describe) throw Error("tier 1: " + so_path.string() + " has no wisp descriptor");
  code->desc = describe();
  if (code->desc->abi_version != WISP_ABI_VERSION) throw Error("tier 1: ABI version mismatch");
  return code;
}

std::shared_ptr<CodeObject> load_tier1_object(const std::filesystem::path& so_path) {
  {
    std::filesystem::path digest_path = so_path;
    digest_path += ".sha256";
    std::vector<uint8_t> digest = read_file_bytes(digest_path);
    std::string expected(digest.begin(), digest.end());
    expected.erase(expected.find_last_not_of(" \n") + 1);
    if (expected.empty() || file_sha256_hex(so_path) != expected)
      throw Error("tier 1: " + so_path.string() +
                  " does not match its digest (damaged cache entry)");
  }
  return open_tier1_object(so_path);
}

}  // namespace wisp::detail
