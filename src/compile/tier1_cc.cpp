// Tier 1: the system C compiler (-O2) builds a shared object (tier1_load.cpp loads it). A large
// module's C is split into several translation units compiled in parallel, then linked.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string_view>
#include <system_error>
#include <thread>

#include "compile/native_code.hpp"
#include "wisp/engine.hpp"
#include "wisp/error.hpp"

extern char** environ;

namespace wisp::detail {

namespace {

// Runs argv, capturing stdout+stderr into `output`. Returns the exit status (-1: not run).
int run_process(const std::vector<std::string>& argv, std::string& output,
                const char* stdin_path = "/dev/null") {
  char tmpl[] = "/tmp/wisp-cc-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) return -1;
  unlink(tmpl);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fd, 1);
  posix_spawn_file_actions_adddup2(&actions, fd, 2);
  posix_spawn_file_actions_addopen(&actions, 0, stdin_path, O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    close(fd);
    output = "cannot run " + argv[0] + ": " + std::strerror(rc);
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  lseek(fd, 0, SEEK_SET);
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 && output.size() < 16384) output.append(buf, n);
  close(fd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

const char* const kTier1FixedFlags[7] = {"-fPIC",
                                         "-shared",
                                         "-fvisibility=hidden",
                                         "-fno-strict-aliasing",
                                         "-fstack-clash-protection",
                                         "-fno-optimize-sibling-calls",
                                         "-fsignaling-nans"};

namespace {

// The compiler binary as execvp would find it, with symlinks resolved and its stat identity;
// empty if it cannot be found.
std::string compiler_file_key(const std::string& compiler) {
  std::string found;
  if (compiler.find('/') != std::string::npos) {
    found = compiler;
  } else if (const char* path = std::getenv("PATH")) {
    std::string_view dirs = path;
    std::string candidate;
    for (size_t start = 0; start <= dirs.size();) {
      size_t end = std::min(dirs.find(':', start), dirs.size());
      candidate.assign(dirs.substr(start, end - start));
      if (!candidate.empty()) candidate += '/';  // an empty entry is the current directory
      candidate += compiler;
      if (access(candidate.c_str(), X_OK) == 0) {
        found = candidate;
        break;
      }
      start = end + 1;
    }
  }
  if (found.empty()) return {};
  // stat() follows the symlinks (cc -> /etc/alternatives/cc -> gcc-12 ...): the file that would
  // run is named by its device and inode, so no path needs resolving component by component.
  struct stat st {};
  if (stat(found.c_str(), &st) != 0) return {};
  return found + "|" + std::to_string(st.st_dev) + "|" + std::to_string(st.st_ino) + "|" +
         std::to_string(st.st_size) + "|" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

// The first non-blank line of a small file, ended by a newline; empty if there is none.
std::string first_line_of(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) < 0 && errno == EINTR) {
  }
  ::close(fd);
  std::string_view text(buf, n > 0 ? static_cast<size_t>(n) : 0);
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  text.remove_prefix(start);
  size_t end = text.find('\n');
  if (end == std::string_view::npos) return {};
  return std::string(text.substr(0, end));
}

}  // namespace

namespace {

// "(limits: address space 8192 MiB, CPU 1800 s)" for error messages; empty without limits.
std::string limits_note(const Tier1Options& o) {
  if (!o.memory_limit_bytes && !o.cpu_seconds) return {};
  std::string s = " (limits:";
  if (o.memory_limit_bytes)
    s += " address space " + std::to_string(o.memory_limit_bytes >> 20) + " MiB";
  if (o.cpu_seconds)
    s += std::string(o.memory_limit_bytes ? "," : "") + " CPU " + std::to_string(o.cpu_seconds) +
         " s";
  return s + ")";
}

}  // namespace

std::string compiler_identity(const std::string& compiler, const std::string& cache_dir) {
  static std::mutex mutex;
  static std::map<std::string, std::string> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(compiler);
  if (it != cache.end()) return it->second;
  std::string file_key = compiler_file_key(compiler);
  std::filesystem::path stored;
  if (!file_key.empty() && !cache_dir.empty()) {
    stored = std::filesystem::path(cache_dir) / "compilers" / (sha256_bytes_hex(file_key) + ".txt");
    std::string line = first_line_of(stored);
    if (!line.empty()) {
      cache[compiler] = line;
      return line;
    }
  }
  std::string out;
  run_process({compiler, "--version"}, out);
  std::string first = out.substr(0, out.find('\n'));
  cache[compiler] = first;
  if (!stored.empty() && !first.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(stored.parent_path(), ec);
    std::string tmp = stored.string() + ".tmp" + std::to_string(getpid());
    std::ofstream(tmp) << first << "\n";
    std::filesystem::rename(tmp, stored, ec);
  }
  return first;
}

namespace {

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!f) throw Error("tier 1: cannot write " + path.string());
}

// The compiler's command line, behind prlimit(1) when limits are set: prlimit sets them on
// itself and then runs the compiler, so every process of the build is born with them.
std::vector<std::string> compiler_argv(const Tier1Options& options) {
  std::vector<std::string> argv;
  if (options.memory_limit_bytes || options.cpu_seconds) {
    argv.push_back("prlimit");
    if (options.memory_limit_bytes)
      argv.push_back("--as=" + std::to_string(options.memory_limit_bytes));
    if (options.cpu_seconds) argv.push_back("--cpu=" + std::to_string(options.cpu_seconds));
    argv.push_back("--");
  }
  argv.push_back(options.compiler);
  for (const auto& f : options.flags) argv.push_back(f);
  for (const char* f : kTier1FixedFlags) argv.push_back(f);
  for (const auto& f : tier1_host_flags()) argv.push_back(f);
  argv.push_back("-w");
  return argv;
}

// One translation unit straight into the shared object `out`.
void build_whole(const std::string& c_source, const Tier1Options& options,
                 const std::filesystem::path& stem, const std::filesystem::path& out) {
  std::error_code ec;
  std::filesystem::path c_path = stem.string() + ".c";
  write_file(c_path, c_source);
  std::vector<std::string> argv = compiler_argv(options);
  // The source comes through stdin: no temporary path ends up in the object, so concurrent
  // builds of one module produce identical bytes (and identical digests).
  for (const char* a : {"-o", out.c_str(), "-x", "c", "-", "-lm"}) argv.push_back(a);
  std::string output;
  int rc = run_process(argv, output, c_path.c_str());
  std::filesystem::remove(c_path, ec);
  if (rc != 0)
    throw Error("tier 1: " + options.compiler + " failed (status " + std::to_string(rc) + ")" +
                limits_note(options) + ":\n" + output.substr(0, 4000));
}

// Each unit into an object (up to one compiler per core at a time), then one link into `out`.
void build_split(const std::vector<std::string>& units, const Tier1Options& options,
                 const std::filesystem::path& stem, const std::filesystem::path& out) {
  std::vector<std::filesystem::path> objects(units.size());
  std::vector<std::string> errors(units.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < units.size();) {
      std::filesystem::path base = stem.string() + "-" + std::to_string(i);
      std::filesystem::path c_path = base.string() + ".c";
      objects[i] = base.string() + ".o";
      std::error_code ec;
      try {
        write_file(c_path, units[i]);
        std::vector<std::string> argv = compiler_argv(options);
        for (const char* a : {"-c", "-o", objects[i].c_str(), "-x", "c", "-"}) argv.push_back(a);
        std::string output;
        int rc = run_process(argv, output, c_path.c_str());
        if (rc != 0)
          errors[i] = options.compiler + " failed on unit " + std::to_string(i) + " (status " +
                      std::to_string(rc) + ")" + limits_note(options) + ":\n" +
                      output.substr(0, 4000);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
      std::filesystem::remove(c_path, ec);
    }
  };
  size_t jobs = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, units.size());
  std::vector<std::thread> threads;
  try {
    for (size_t t = 1; t < jobs; ++t) threads.emplace_back(work);
  } catch (const std::system_error&) {
    // fewer threads than cores: the units still all get built
  }
  work();
  for (auto& t : threads) t.join();
  std::string output;
  int rc = -1;
  auto failed = std::find_if(errors.begin(), errors.end(), [](auto& e) { return !e.empty(); });
  if (failed == errors.end()) {
    std::vector<std::string> argv = compiler_argv(options);
    argv.push_back("-o");
    argv.push_back(out.string());
    for (const auto& o : objects) argv.push_back(o.string());
    argv.push_back("-lm");
    rc = run_process(argv, output);
  }
  std::error_code ec;
  for (const auto& o : objects) std::filesystem::remove(o, ec);
  if (failed != errors.end()) throw Error("tier 1: " + *failed);
  if (rc != 0)
    throw Error("tier 1: linking " + std::to_string(units.size()) + " units failed (status " +
                std::to_string(rc) + ")" + limits_note(options) + ":\n" + output.substr(0, 4000));
}

}  // namespace

size_t build_tier1_object(const emit::CModule& c_source, const Tier1Options& options,
                          const std::filesystem::path& so_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(so_path.parent_path(), ec);
  std::string unique =
      std::to_string(getpid()) + "-" + std::to_string(reinterpret_cast<uintptr_t>(&c_source));
  fs::path stem = so_path.parent_path() / (so_path.stem().string() + "." + unique);
  fs::path tmp_so = stem.string() + ".so.tmp";
  std::vector<std::string> units = c_source.units(options.unit_bytes);
  if (units.size() > 1) {
    try {
      build_split(units, options, stem, tmp_so);
    } catch (const Error&) {
      // The split is a speed-up only: should the units not build or link, one unit is built.
      units.resize(1);
    }
  }
  if (units.size() == 1) {
    try {
      build_whole(c_source.text, options, stem, tmp_so);
    } catch (const Error&) {
      fs::remove(tmp_so, ec);
      throw;
    }
  }
  // A digest beside the object: a truncated or damaged cache entry is detected before dlopen().
  {
    std::ifstream in(tmp_so, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::path tmp_digest = tmp_so;
    tmp_digest += ".sha256";
    std::ofstream(tmp_digest) << sha256_bytes_hex(content);
    fs::path digest = so_path;
    digest += ".sha256";
    fs::rename(tmp_digest, digest, ec);
  }
  fs::rename(tmp_so, so_path, ec);
  if (ec) throw Error("tier 1: cannot store " + so_path.string() + ": " + ec.message());
  return units.size();
}

}  // namespace wisp::detail
