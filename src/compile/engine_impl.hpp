// Engine internals: configuration, cache location and the background tier-1 worker.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "compile/front/module_decl.hpp"
#include "wisp/engine.hpp"

namespace wisp::detail {

// The proposals `config` turns on, as the front end's feature set.
front::FeatureSet enabled_features(const Proposals& config);

struct ModuleImpl;
class CodeObject;

double ms_since(std::chrono::steady_clock::time_point t0);

// Ends tier 1's build for `m`: its code, or why there is none; wakes whoever waits for it.
void finish_tier1(ModuleImpl& m, std::shared_ptr<CodeObject> code, std::optional<std::string> error,
                  double ms, bool from_cache, size_t units = 0);

// The runtime's type id of each function export (ModuleImpl::export_type_ids).
void register_export_types(ModuleImpl& m);

struct EngineImpl {
  explicit EngineImpl(EngineConfig cfg);
  ~EngineImpl();

  // Runs job(true) on the worker thread, or job(false) if the engine shuts down first.
  void submit(std::function<void(bool run)> job);

  EngineConfig config;
  std::filesystem::path cache_dir;
  front::FeatureSet features;  // enabled_features(config.proposals)

 private:
  void worker_loop();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void(bool)>> jobs_;
  bool stopping_ = false;
  std::thread worker_;  // started by the first submit()
};

}  // namespace wisp::detail
