// Engine, compiling: validate and translate a module, build tier 0 now and tier 1 in the
// background (cached by SHA-256), and save a module's tier 1 as a precompiled file. Not in the
// runtime-only build (engine_runtime_only.cpp).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <optional>

#include "compile/big_stack.hpp"
#include "compile/build_id.hpp"
#include "compile/c_translate.hpp"
#include "compile/decl_info.hpp"
#include "compile/engine_impl.hpp"
#include "compile/front/func_validator.hpp"
#include "compile/front/module_decoder.hpp"
#include "compile/lazy_stubs.hpp"
#include "compile/lazy_tier0.hpp"
#include "compile/module_bytes.hpp"
#include "compile/module_impl.hpp"
#include "compile/module_meta.hpp"
#include "compile/native_code.hpp"
#include "compile/precompiled.hpp"
#include "compile/section_sizes.hpp"
#include "wisp/engine.hpp"
#include "wisp/error.hpp"

namespace wisp {

namespace detail {

namespace {

std::filesystem::path tier1_path(const EngineImpl& engine, const ModuleImpl& m) {
  std::string flags;
  for (const auto& f : engine.config.tier1_flags) flags += f + " ";
  for (const char* f : kTier1FixedFlags) flags += std::string(f) + " ";
  for (const auto& f : tier1_host_flags()) flags += f + " ";
  flags += "units:" + std::to_string(engine.config.tier1_unit_bytes);
  // kCodegenId is a build-time digest of the compile layer's sources and the ABI header:
  // a change to code generation can never load an object built by another wisp build.
  // The module enters through its SHA-256 (m.hash), so its bytes are hashed once per compile.
  std::string key =
      sha256_hex({m.hash, kWispVersion, kCodegenId,
                  compiler_identity(engine.config.c_compiler, engine.cache_dir.string()), flags,
                  m.consume_fuel ? "fuel" : "nofuel",
                  // A module is only cached after it validated with these proposals on.
                  "proposals:" + std::to_string(m.proposals.bits())});
  return engine.cache_dir / (key + ".so");
}

// Held while one process builds an object: another process compiling the same module waits
// for it and loads the result instead of running the compiler again (flock: released by the
// kernel if the builder dies).
class BuildLock {
 public:
  explicit BuildLock(const std::filesystem::path& so) {
    std::error_code ec;
    std::filesystem::create_directories(so.parent_path(), ec);
    fd_ = ::open((so.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~BuildLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  BuildLock(const BuildLock&) = delete;
  BuildLock& operator=(const BuildLock&) = delete;

 private:
  int fd_ = -1;
};

void build_tier1(const EngineImpl& engine, ModuleImpl& m, const std::filesystem::path& so) {
  auto t0 = std::chrono::steady_clock::now();
  BuildLock lock(so);
  try {
    struct stat st {};
    if (::stat(so.c_str(), &st) == 0) {  // built by another process meanwhile
      try {
        auto code = load_tier1_object(so);
        m.tier1_file = so;
        finish_tier1(m, std::move(code), std::nullopt, ms_since(t0), true);
        return;
      } catch (const std::exception&) {
        // damaged: build it again below
      }
    }
    emit::CModule source;
    {
      std::lock_guard lock(m.mutex);
      source = m.c_source;
    }
    if (source.text.empty())  // lazy tier 0 kept no C
      source = translate_bytes_to_c(m.bytes, m.proposals, m.consume_fuel);
    size_t units = build_tier1_object(
        source,
        Tier1Options{engine.config.c_compiler, engine.config.tier1_flags,
                     engine.config.tier1_unit_bytes, engine.config.tier1_memory_limit_bytes,
                     engine.config.tier1_cpu_seconds},
        so);
    // A later cache hit reads the interface from here instead of decoding the module again.
    write_module_meta(m, module_meta_path(so));
    auto code = load_tier1_object(so);
    m.tier1_file = so;
    finish_tier1(m, std::move(code), std::nullopt, ms_since(t0), false, units);
  } catch (const std::exception& e) {
    finish_tier1(m, nullptr, std::string(e.what()), ms_since(t0), false);
  }
}

std::shared_ptr<ModuleImpl> new_module(const EngineImpl& engine,
                                       std::shared_ptr<const ModuleBytes> bytes) {
  auto m = std::make_shared<ModuleImpl>();
  m->byte_store = std::move(bytes);
  m->bytes = m->byte_store->span();
  m->cache_dir = engine.cache_dir.string();
  m->consume_fuel = engine.config.consume_fuel;
  m->proposals = engine.features;
  bool lazy = engine.config.lazy_tier0;
  if (const char* env = std::getenv("WISP_LAZY_TIER0"); env && *env) lazy = env[0] != '0';
  lazy = lazy && LazyStubs::supported();
  size_t batch = engine.config.lazy_batch_bytes;
  if (const char* env = std::getenv("WISP_LAZY_BATCH_BYTES"); env && *env)
    batch = std::strtoull(env, nullptr, 10);
  m->lazy_batch_bytes = lazy ? std::max<size_t>(1, batch) : 0;
  m->hash = sha256_bytes_hex(
      std::string_view(reinterpret_cast<const char*>(m->bytes.data()), m->bytes.size()));
  return m;
}

// A module file's bytes (`file`, read from `path`): a binary as it is, a .wat file's text
// assembled (libwabt's parser).
std::shared_ptr<const ModuleBytes> module_bytes_of(const std::filesystem::path& path,
                                                   std::shared_ptr<const ModuleBytes> file) {
  std::span<const uint8_t> bytes = file->span();
  bool is_text =
      bytes.size() < 4 || !(bytes[0] == 0 && bytes[1] == 'a' && bytes[2] == 's' && bytes[3] == 'm');
  if (is_text && path.extension() == ".wat") {
    return ModuleBytes::from_vector(
        wat_to_wasm(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())));
  }
  return file;
}

// The warm path: a tier-1 object cached for these bytes. The key is the SHA-256 of these very
// bytes (with wisp's codegen id and the compiler), and an entry is only written after they
// validated and translated. The interface comes from the metadata file written beside the
// object; only if it is missing or damaged are the bytes validated again (which also tells the
// features their bodies use; no C), and the file is written again. False on a miss; a damaged
// object is removed and counts as a miss.
bool load_cached(ModuleImpl& m, const std::filesystem::path& so) {
  auto t0 = std::chrono::steady_clock::now();
  struct stat st {};
  if (::stat(so.c_str(), &st) != 0) return false;
  auto t1 = std::chrono::steady_clock::now();
  std::shared_ptr<CodeObject> code;
  try {
    code = load_tier1_object(so);
  } catch (const std::exception&) {
    std::error_code ec;
    std::filesystem::remove(so, ec);  // rebuilt by the full path
    return false;
  }
  double load_ms = ms_since(t1);
  std::filesystem::path meta = module_meta_path(so);
  if (!read_module_meta(meta, m)) {
    try {
      fill_module_info(front::validate_module(m.bytes, m.proposals), m.bytes, m);
    } catch (const CompileError&) {
      // Cannot happen for bytes that validated; the full path starts afresh and reports it.
      m.imports.clear();
      m.exports.clear();
      m.export_index.clear();
      m.data_segments.clear();
      m.features.clear();
      m.sections.clear();
      m.start = m.start_export = m.memory0_import = std::nullopt;
      m.defined_memories = 0;
      m.defined_shared_memories = 0;
      m.exnref_storage.clear();
      return false;
    }
    write_module_meta(m, meta);
  }
  m.sections = read_section_sizes(m.bytes);
  register_export_types(m);
  m.tier1_file = so;
  finish_tier1(m, std::move(code), std::nullopt, load_ms, true);
  m.stats.translate_ms = ms_since(t0) - load_ms;
  return true;
}

}  // namespace

std::shared_ptr<CodeObject> ModuleImpl::build_tier0(const std::string& c) const {
  if (lazy_batch_bytes > 0) {
    LazyTier0Options o;
    o.consume_fuel = consume_fuel;
    o.batch_bytes = lazy_batch_bytes;
    return compile_tier0_lazy(byte_store, front::validate_module(bytes, proposals), o);
  }
  if (!c.empty()) return compile_tier0(c);
  return compile_tier0(translate_bytes_to_c(bytes, proposals, consume_fuel).text);
}

}  // namespace detail

void Engine::validate(std::span<const uint8_t> bytes) {
  detail::front::validate_module(bytes, detail::enabled_features(Proposals{}));
}

Module Engine::compile(std::span<const uint8_t> bytes) {
  return compile_bytes(
      detail::ModuleBytes::from_vector(std::vector<uint8_t>(bytes.begin(), bytes.end())));
}

Module Engine::compile_bytes(std::shared_ptr<const detail::ModuleBytes> bytes) {
  auto t0 = std::chrono::steady_clock::now();
  auto m = detail::new_module(*impl_, std::move(bytes));
  std::filesystem::path so;
  if (impl_->config.enable_tier1) {
    so = detail::tier1_path(*impl_, *m);
    // A cache hit decodes no function bodies: it needs neither the big stack nor its thread.
    if (detail::load_cached(*m, so)) return Module(std::move(m));
  }
  std::optional<Module> module;
  detail::on_big_stack([&] { module.emplace(compile_here(m, so, t0)); });
  return std::move(*module);
}

// The full path (validate, translate, tier 0, tier 1 in the background) on this thread.
Module Engine::compile_here(const std::shared_ptr<detail::ModuleImpl>& m,
                            const std::filesystem::path& so,
                            std::chrono::steady_clock::time_point t0) {
  using namespace detail;
  const EngineConfig& cfg = impl_->config;
  std::span<const uint8_t> bytes = m->bytes;
  try {
    front::ModuleDecl decl = front::validate_module(bytes, m->proposals);
    fill_module_info(decl, bytes, *m);
    register_export_types(*m);
    // Tail variants (emit::ModuleShape::tail_calls) are not made batch by batch.
    if (decl.features.has(front::Feature::tail_call)) m->lazy_batch_bytes = 0;
    if (m->lazy_batch_bytes > 0 && cfg.enable_tier0) {
      // Lazy tier 0: the base unit now, each function's C on its first call; tier 1 (if built
      // here) translates the whole module on its own thread.
      m->stats.translate_ms = ms_since(t0);
      auto t1 = std::chrono::steady_clock::now();
      LazyTier0Options o;
      o.consume_fuel = m->consume_fuel;
      o.batch_bytes = m->lazy_batch_bytes;
      m->tier0 = compile_tier0_lazy(m->byte_store, std::move(decl), o);
      m->stats.tier0_ms = ms_since(t1);
      LazyTier0Stats lazy;
      if (lazy_tier0_stats(*m->tier0, lazy)) m->stats.c_source_bytes = lazy.base_c_bytes;
    } else {
      m->c_source = translate_own(decl, bytes, m->consume_fuel);
    }
  } catch (const std::bad_alloc&) {
    throw CompileError("module too large: out of memory while translating it");
  }
  if (!m->tier0) {
    m->stats.translate_ms = ms_since(t0);
    m->stats.c_source_bytes = m->c_source.text.size();
  }

  if (cfg.enable_tier0 && !m->tier0) {
    auto t1 = std::chrono::steady_clock::now();
    m->tier0 = compile_tier0(m->c_source.text);
    m->stats.tier0_ms = ms_since(t1);
  }
  if (!cfg.enable_tier1) {
    finish_tier1(*m, nullptr, std::string("tier 1 is disabled"), 0, false);
  } else if (cfg.tier1_cache_only && cfg.enable_tier0) {
    finish_tier1(*m, nullptr, std::string("not in the cache (this process does not build it)"), 0,
                 false);
  } else if (cfg.background_tier1 && cfg.enable_tier0) {
    // A plain pointer: ~EngineImpl joins the worker before any member dies, and jobs run with
    // run=true only before that. (A strong reference taken on the worker could make the worker
    // run ~EngineImpl and join itself.)
    EngineImpl* engine = impl_.get();
    impl_->submit([engine, m, so](bool run) {
      if (!run) {
        finish_tier1(*m, nullptr, std::string("engine shut down before tier 1 was built"), 0,
                     false);
        return;
      }
      build_tier1(*engine, *m, so);
    });
  } else {
    build_tier1(*impl_, *m, so);
    if (!cfg.enable_tier0 && !m->tier1) throw CompileError(*m->tier1_error);
  }
  return Module(m);
}

Module Engine::inspect(std::span<const uint8_t> bytes) {
  auto m = detail::new_module(
      *impl_, detail::ModuleBytes::from_vector(std::vector<uint8_t>(bytes.begin(), bytes.end())));
  auto t0 = std::chrono::steady_clock::now();
  detail::on_big_stack([&] {
    detail::fill_module_info(detail::front::validate_module(m->bytes, m->proposals), m->bytes, *m);
  });
  detail::register_export_types(*m);
  m->stats.translate_ms = detail::ms_since(t0);
  detail::finish_tier1(*m, nullptr, std::string("not built: the module was only inspected"), 0,
                       false);
  return Module(std::move(m));
}

std::vector<std::string> Engine::emit_c(std::span<const uint8_t> bytes) const {
  std::vector<std::string> units;
  detail::on_big_stack([&] {
    units = detail::translate_bytes_to_c(bytes, impl_->features, impl_->config.consume_fuel)
                .units(impl_->config.tier1_unit_bytes);
  });
  return units;
}

Module Engine::inspect_file(const std::filesystem::path& path) {
  std::shared_ptr<const detail::ModuleBytes> file = detail::ModuleBytes::read_file(path);
  if (detail::ends_like_precompiled(file->span())) return load_precompiled(path);
  return inspect(detail::module_bytes_of(path, std::move(file))->span());
}

Module Engine::compile_file(const std::filesystem::path& path) {
  // One read of the file serves both: a precompiled one is recognised by its last bytes.
  std::shared_ptr<const detail::ModuleBytes> file = detail::ModuleBytes::read_file(path);
  if (detail::ends_like_precompiled(file->span())) return load_precompiled(path);
  return compile_bytes(detail::module_bytes_of(path, std::move(file)));
}

void Engine::save_precompiled(const Module& module, const std::filesystem::path& path) {
  detail::write_precompiled(*module.impl(), path);
}

}  // namespace wisp
