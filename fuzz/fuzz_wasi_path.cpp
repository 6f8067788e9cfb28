// libFuzzer target: WASI path resolution (src/wasi: path_resolve.cpp and the path_* / fd_*
// functions that use it). The input is a sequence of operations, each with fuzzed fds, flags and
// paths: WASI calls made through a guest that re-exports its wasi_snapshot_preview1 imports (so
// they run through the real dispatcher and guest-memory checks), and direct open_beneath /
// resolve_parent calls. The sandbox (fresh for each input) is a writable preopen `/sandbox` and
// a read-only preopen `/ro`, holding symlinks that point out (relative, absolute, `..`, loops),
// beside an `outside` directory.
// Properties, besides no crash, leak or undefined behaviour, after every operation and input:
//  - every host fd the guest holds (its WASI fd table) and every fd the resolver returns lies
//    beneath a preopen (/proc/self/fd);
//  - nothing outside the writable preopen changed: `outside`, the read-only preopen and the
//    scratch directory around them (names, types, sizes, contents, link targets, times).
#include <fcntl.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "wasi/ctx_impl.hpp"
#include "wasi/path_resolve.hpp"
#include "wisp/wisp.hpp"

namespace wisp::fuzz {
namespace {

namespace fs = std::filesystem;

// The WASI functions the guest re-exports: name and parameter types (i = i32, I = i64); each
// returns an errno (i32).
struct WasiFn {
  const char* name;
  const char* params;
};
constexpr WasiFn kFns[] = {
    {"path_open", "iiiiiIIii"},
    {"path_create_directory", "iii"},
    {"path_remove_directory", "iii"},
    {"path_unlink_file", "iii"},
    {"path_symlink", "iiiii"},
    {"path_rename", "iiiiii"},
    {"path_link", "iiiiiii"},
    {"path_readlink", "iiiiii"},
    {"path_filestat_get", "iiiii"},
    {"path_filestat_set_times", "iiiiIIi"},
    {"fd_close", "i"},
    {"fd_write", "iiii"},
    {"fd_read", "iiii"},
    {"fd_readdir", "iiiIi"},
    {"fd_renumber", "ii"},
    {"fd_filestat_set_size", "iI"},
    {"fd_prestat_dir_name", "iii"},
};

std::string guest_wat() {
  std::ostringstream w;
  w << "(module\n";
  for (const WasiFn& f : kFns) {
    w << "  (import \"wasi_snapshot_preview1\" \"" << f.name << "\" (func $" << f.name << " (param";
    for (const char* p = f.params; *p; ++p) w << (*p == 'I' ? " i64" : " i32");
    w << ") (result i32)))\n";
  }
  for (const WasiFn& f : kFns) w << "  (export \"" << f.name << "\" (func $" << f.name << "))\n";
  w << "  (memory (export \"memory\") 1))\n";
  return w.str();
}

// Guest memory layout.
constexpr uint32_t kPath1 = 1024, kPath2 = 2048, kOut = 4096, kIov = 4160, kBuf = 8192;
constexpr uint32_t kBufLen = 32768;
constexpr size_t kMaxPath = 300;

// What a directory tree looks like, for "nothing changed" checks.
std::string tree_state(const fs::path& root, const fs::path& skip) {
  std::ostringstream out;
  std::vector<fs::path> entries;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!skip.empty() && it->path() == skip) {
      it.disable_recursion_pending();
      continue;
    }
    entries.push_back(it->path());
  }
  check(!ec, "cannot list " + root.string());
  std::sort(entries.begin(), entries.end());
  for (const fs::path& p : entries) {
    struct stat st {};
    check(::lstat(p.c_str(), &st) == 0, "cannot stat " + p.string());
    out << p.string() << " mode=" << st.st_mode << " size=" << st.st_size
        << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec << " nlink=" << st.st_nlink;
    if (S_ISLNK(st.st_mode)) out << " -> " << fs::read_symlink(p).string();
    if (S_ISREG(st.st_mode)) {
      std::ifstream f(p, std::ios::binary);
      out << " data=" << std::string(std::istreambuf_iterator<char>(f), {});
    }
    out << "\n";
  }
  return out.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

struct Sandbox {
  ScratchDir scratch{"wasi"};
  fs::path root, ro, outside;
  std::string outside_before;  // the scratch dir without the writable preopen

  Sandbox() {
    const fs::path base = fs::canonical(scratch.path());
    root = base / "root";
    ro = base / "ro";
    outside = base / "outside";
    fs::create_directories(outside / "sub");
    write_file(outside / "secret", "outside the sandbox\n");
    write_file(outside / "sub" / "inner", "also outside\n");
    fs::create_directories(ro / "rdir");
    write_file(ro / "rfile", "read-only data\n");
    fs::create_symlink("../outside/secret", ro / "rlink");
    fs::create_symlink("rfile", ro / "rdir" / "up");
    outside_before = tree_state(base, root);
  }

  // The writable preopen as each input starts.
  void refill() {
    std::error_code ec;
    fs::remove_all(root, ec);
    fs::create_directories(root / "dir" / "deep");
    write_file(root / "file", "inside\n");
    write_file(root / "dir" / "file", "inside too\n");
    fs::create_symlink("../outside", root / "link_out");
    fs::create_symlink((outside / "secret").string(), root / "link_abs");
    fs::create_symlink(".", root / "link_self");
    fs::create_symlink("..", root / "link_dotdot");
    fs::create_symlink("link_loop", root / "link_loop");
    fs::create_symlink("dir/file", root / "link_file");
    fs::create_symlink("../..", root / "dir" / "link_up");
    fs::create_symlink("/proc/self/root", root / "link_proc");
  }

  bool beneath(const std::string& host) const {
    for (const fs::path& p : {root, ro}) {
      const std::string s = p.string();
      if (host == s || host.compare(0, s.size() + 1, s + "/") == 0) return true;
    }
    return false;
  }

  void check_fd(int fd, const std::string& how) const {
    char buf[4096];
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    check(n > 0, how + ": fd " + std::to_string(fd) + " cannot be read back");
    std::string target(buf, static_cast<size_t>(n));
    check(beneath(target), how + " reaches " + target + ", outside every preopen");
  }
};

struct Harness {
  Sandbox box;
  Instance inst;
  std::shared_ptr<WasiCtx> ctx;
  std::vector<uint32_t> opened;  // fds path_open returned in this input

  // Mostly a preopen or an fd this input opened (so that reads and writes reach files), else
  // any small number (stdio, closed or never opened fds).
  uint32_t pick_fd(FuzzedDataProvider& in) const {
    switch (in.ConsumeIntegralInRange<int>(0, 7)) {
      case 0:
      case 1:
        return 3;  // /sandbox
      case 2:
        return 4;  // /ro
      case 3:
      case 4:
      case 5:
        if (!opened.empty()) return opened[in.ConsumeIntegralInRange<size_t>(0, opened.size() - 1)];
        return 3;
      default:
        return in.ConsumeIntegralInRange<uint32_t>(0, 12);
    }
  }

  Harness() {
    EngineConfig c;
    c.enable_tier1 = false;
    static Engine engine(c);
    Linker linker;
    add_wasi(linker);
    TemplateOptions o;
    o.tier = Tier::tier0;
    inst = linker.instantiate(engine.compile(wat_to_wasm(guest_wat())), o);
  }

  void begin() {
    box.refill();
    opened.clear();
    WasiConfig c;
    c.preopens = {{box.root.string(), "/sandbox", false}, {box.ro.string(), "/ro", true}};
    c.stdin_stream = WasiStdio::null();
    c.stdout_stream = WasiStdio::null();
    c.stderr_stream = WasiStdio::null();
    c.max_fds = 64;
    ctx.reset();
    ctx = WasiCtx::attach(inst, c);
  }

  void check_fds(const std::string& after) {
    const auto& fds = ctx->impl().fds;
    for (size_t i = 0; i < fds.size(); ++i) {
      const auto& e = fds[i];
      if (e && e->kind == wasi_impl::FdKind::host && e->host >= 0)
        box.check_fd(e->host, "guest fd " + std::to_string(i) + " after " + after);
    }
  }

  void put_path(uint32_t at, const std::string& p) {
    inst.memory().write(at, std::span(reinterpret_cast<const uint8_t*>(p.data()), p.size()));
  }

  uint32_t call(const char* name, std::initializer_list<Value> args) {
    try {
      auto r = inst.call(name, args);
      return static_cast<uint32_t>(r.at(0).as_i32());
    } catch (const Trap& t) {
      finding(std::string("WASI function ") + name + " trapped: " + t.what());
    }
  }
};

Harness& harness() {
  static Harness* h = new Harness();  // lives as long as the process
  return *h;
}

std::string pick_path(FuzzedDataProvider& in) {
  static const char* const kNames[] = {
      ".",
      "..",
      "file",
      "dir",
      "dir/file",
      "dir/deep",
      "link_out",
      "link_out/secret",
      "link_abs",
      "link_self",
      "link_dotdot",
      "link_loop",
      "link_file",
      "dir/link_up",
      "dir/link_up/outside/secret",
      "link_proc",
      "new",
      "dir/new",
      "rfile",
      "rdir",
      "rlink",
      "rdir/up",
      "../outside/secret",
      "/etc/passwd",
  };
  if (in.ConsumeBool()) return kNames[in.ConsumeIntegralInRange<size_t>(0, std::size(kNames) - 1)];
  return in.ConsumeRandomLengthString(kMaxPath);
}

Value i32(uint32_t v) {
  return Value::i32(static_cast<int32_t>(v));
}
Value i64(uint64_t v) {
  return Value::i64(static_cast<int64_t>(v));
}

}  // namespace
}  // namespace wisp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wisp;
  using namespace wisp::fuzz;
  Harness& h = harness();
  h.begin();
  FuzzedDataProvider in(data, size);
  for (int step = 0; step < 64 && in.remaining_bytes() > 0; ++step) {
    const unsigned op = in.ConsumeIntegralInRange<unsigned>(0, 19);
    const uint32_t fd = h.pick_fd(in);
    const uint32_t fd2 = in.ConsumeBool() ? fd : h.pick_fd(in);
    const uint32_t flags = in.ConsumeIntegral<uint32_t>();
    const std::string p1 = pick_path(in);
    const std::string p2 = op == 4 || op == 5 || op == 6 ? pick_path(in) : std::string();
    h.put_path(kPath1, p1);
    h.put_path(kPath2, p2);
    const uint32_t n1 = static_cast<uint32_t>(p1.size()), n2 = static_cast<uint32_t>(p2.size());
    const char* name = "?";
    switch (op) {
      case 0:
      case 1:  // path_open, the most common call: all rights asked, or fuzzed ones
        name = "path_open";
        if (h.call(name, {i32(fd), i32(flags & 1), i32(kPath1), i32(n1), i32((flags >> 1) & 0xf),
                          i64(op == 0 ? ~0ull : in.ConsumeIntegral<uint64_t>()), i64(~0ull),
                          i32((flags >> 5) & 0x1f), i32(kOut)}) == 0)
          h.opened.push_back(h.inst.memory().load<uint32_t>(kOut));
        break;
      case 2:
        name = "path_create_directory";
        h.call(name, {i32(fd), i32(kPath1), i32(n1)});
        break;
      case 3:
        name = "path_remove_directory";
        h.call(name, {i32(fd), i32(kPath1), i32(n1)});
        break;
      case 4:
        name = "path_symlink";
        h.call(name, {i32(kPath2), i32(n2), i32(fd), i32(kPath1), i32(n1)});
        break;
      case 5:
        name = "path_rename";
        h.call(name, {i32(fd), i32(kPath1), i32(n1), i32(fd2), i32(kPath2), i32(n2)});
        break;
      case 6:
        name = "path_link";
        h.call(name,
               {i32(fd), i32(flags & 1), i32(kPath1), i32(n1), i32(fd2), i32(kPath2), i32(n2)});
        break;
      case 7:
        name = "path_readlink";
        h.call(name, {i32(fd), i32(kPath1), i32(n1), i32(kBuf), i32(flags % kBufLen), i32(kOut)});
        break;
      case 8:
        name = "path_filestat_get";
        h.call(name, {i32(fd), i32(flags & 1), i32(kPath1), i32(n1), i32(kBuf)});
        break;
      case 9:
        name = "path_filestat_set_times";
        h.call(name, {i32(fd), i32(flags & 1), i32(kPath1), i32(n1), i64(flags), i64(flags),
                      i32((flags >> 8) & 0xf)});
        break;
      case 10:
        name = "path_unlink_file";
        h.call(name, {i32(fd), i32(kPath1), i32(n1)});
        break;
      case 11:
        name = "fd_close";
        h.call(name, {i32(fd)});
        break;
      case 12: {  // writes through whatever the fd reaches
        name = "fd_write";
        const std::string text = "written by the guest " + p1;
        h.put_path(kBuf, text);
        h.inst.memory().store<uint32_t>(kIov, kBuf);
        h.inst.memory().store<uint32_t>(kIov + 4, static_cast<uint32_t>(text.size()));
        h.call(name, {i32(fd), i32(kIov), i32(1), i32(kOut)});
        break;
      }
      case 13:
        name = "fd_read";
        h.inst.memory().store<uint32_t>(kIov, kBuf);
        h.inst.memory().store<uint32_t>(kIov + 4, kBufLen);
        h.call(name, {i32(fd), i32(kIov), i32(1), i32(kOut)});
        break;
      case 14:
        name = "fd_readdir";
        h.call(name, {i32(fd), i32(kBuf), i32(flags % kBufLen), i64(flags >> 16), i32(kOut)});
        break;
      case 15:
        name = "fd_renumber";
        h.call(name, {i32(fd), i32(fd2)});
        break;
      case 16:
        name = "fd_filestat_set_size";
        h.call(name, {i32(fd), i64(flags % 4096)});
        break;
      case 17:
        name = "fd_prestat_dir_name";
        h.call(name, {i32(fd), i32(kBuf), i32(flags % 64)});
        break;
      case 18: {  // the resolver itself, beneath the writable preopen
        name = "open_beneath";
        int dir = ::open(h.box.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        try {
          wasi_impl::UniqueFd f = wasi_impl::open_beneath(dir, p1,
                                                          (flags & 1 ? O_PATH : O_RDONLY) |
                                                              (flags & 2 ? O_NOFOLLOW : 0) |
                                                              (flags & 4 ? O_DIRECTORY : 0));
          h.box.check_fd(f.get(), "open_beneath(\"" + p1 + "\")");
        } catch (const wasi_impl::ErrnoError&) {
        }
        ::close(dir);
        break;
      }
      case 19: {
        name = "resolve_parent";
        int dir = ::open(h.box.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        try {
          wasi_impl::ParentPath pp = wasi_impl::resolve_parent(dir, p1);
          h.box.check_fd(pp.dir.get(), "resolve_parent(\"" + p1 + "\")");
          check(!pp.last.empty() && pp.last.find('/') == std::string::npos && pp.last != "." &&
                    pp.last != "..",
                "resolve_parent(\"" + p1 + "\") gave the last component '" + pp.last + "'");
        } catch (const wasi_impl::ErrnoError&) {
        }
        ::close(dir);
        break;
      }
    }
    h.check_fds(name);
  }
  check(tree_state(h.box.root.parent_path(), h.box.root) == h.box.outside_before,
        "something outside the writable preopen changed");
  return 0;
}
