// Engine, in every build: configuration, the cache directory, the background worker, the
// proposals' switches, and precompiled modules (precompiled.cpp). Compiling lives in
// engine_compile.cpp, or in the runtime-only build engine_runtime_only.cpp says it cannot.
#include "wisp/engine.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>

#include "compile/engine_impl.hpp"
#include "compile/module_bytes.hpp"
#include "compile/module_impl.hpp"
#include "compile/precompiled.hpp"
#include "runtime/call_boundary.hpp"
#include "runtime/func_types.hpp"
#include "wisp/error.hpp"

namespace wisp {

namespace detail {

namespace {

std::filesystem::path default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::filesystem::path(x) / "wisp";
  if (const char* h = std::getenv("HOME"); h && *h)
    return std::filesystem::path(h) / ".cache" / "wisp";
  return std::filesystem::temp_directory_path() / "wisp-cache";
}

}  // namespace

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void finish_tier1(ModuleImpl& m, std::shared_ptr<CodeObject> code, std::optional<std::string> error,
                  double ms, bool from_cache, size_t units) {
  std::lock_guard lock(m.mutex);
  m.tier1 = std::move(code);
  m.tier1_error = std::move(error);
  m.tier1_done = true;
  m.stats.tier1_ms = ms;
  m.stats.tier1_from_cache = from_cache;
  m.stats.tier1_units = units;
  if (m.tier1 && m.tier0) m.c_source = {};  // both tiers built: the C is no longer needed
  m.tier1_cv.notify_all();
}

void register_export_types(ModuleImpl& m) {
  for (const ExportDesc& e : m.exports) {
    m.export_type_ids.push_back(
        e.type.kind == ExternKind::func ? rt::register_func_type(e.type.func) : 0);
  }
}

}  // namespace detail

namespace {

// The proposals wisp runs: their flag names, switches and front-end features.
struct ProposalSwitch {
  std::string_view name;
  bool Proposals::*on;
  detail::front::Feature feature;
};
constexpr ProposalSwitch kProposalSwitches[] = {
    {"simd", &Proposals::simd, detail::front::Feature::simd},
    {"relaxed-simd", &Proposals::relaxed_simd, detail::front::Feature::relaxed_simd},
    {"exceptions", &Proposals::exceptions, detail::front::Feature::exceptions},
    {"exnref", &Proposals::exnref, detail::front::Feature::exnref},
    {"extended-const", &Proposals::extended_const, detail::front::Feature::extended_const},
    {"tail-call", &Proposals::tail_call, detail::front::Feature::tail_call},
    {"memory64", &Proposals::memory64, detail::front::Feature::memory64},
    {"multi-memory", &Proposals::multi_memory, detail::front::Feature::multi_memory},
    {"threads", &Proposals::threads, detail::front::Feature::threads},
};

}  // namespace

bool Proposals::set(std::string_view name, bool on) {
  for (const ProposalSwitch& p : kProposalSwitches) {
    if (p.name == name) {
      this->*p.on = on;
      return true;
    }
  }
  return false;
}

namespace detail {

front::FeatureSet enabled_features(const Proposals& p) {
  front::FeatureSet f;
  for (const ProposalSwitch& s : kProposalSwitches)
    if (p.*s.on) f.add(s.feature);
  return f;
}

EngineImpl::EngineImpl(EngineConfig cfg) : config(std::move(cfg)) {
  cache_dir = config.cache_dir.empty() ? default_cache_dir() : config.cache_dir;
  features = enabled_features(config.proposals);
  rt::install_signal_handlers();
}

EngineImpl::~EngineImpl() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void EngineImpl::submit(std::function<void(bool)> job) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      // Started with the first job: a process that only loads cached code never pays for it.
      if (!worker_.joinable()) worker_ = std::thread([this] { worker_loop(); });
      jobs_.push_back(std::move(job));
      cv_.notify_one();
      return;
    }
  }
  job(false);
}

void EngineImpl::worker_loop() {
  pthread_setname_np(pthread_self(), "wisp compile");
  for (;;) {
    std::function<void(bool)> job;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) {
        auto pending = std::move(jobs_);
        lock.unlock();
        for (auto& j : pending) j(false);
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job(true);
  }
}

}  // namespace detail

Engine::Engine(EngineConfig config)
    : impl_(std::make_shared<detail::EngineImpl>(std::move(config))) {}
Engine::~Engine() = default;

const EngineConfig& Engine::config() const {
  return impl_->config;
}
std::filesystem::path Engine::cache_dir() const {
  return impl_->cache_dir;
}

Module Engine::load_precompiled(const std::filesystem::path& path) {
  return Module(detail::read_precompiled(*impl_, path));
}

bool Engine::is_precompiled(const std::filesystem::path& path) {
  return detail::is_precompiled_file(path);
}

std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("cannot read " + path.string() + ": " + std::strerror(errno));
  return detail::read_open_file(fd, path);
}

}  // namespace wisp
