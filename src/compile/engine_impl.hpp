// Engine internals: configuration, cache location and the background tier-1 worker.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "compile/front/module_decl.hpp"
#include "wisp/engine.hpp"

namespace wisp::detail {

// The proposals `config` turns on, as the front end's feature set.
front::FeatureSet enabled_features(const Proposals& config);

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
