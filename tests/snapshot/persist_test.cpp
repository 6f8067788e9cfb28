// Persisted snapshots: written next to the compiled code, loaded by a later engine and by a
// second process without running the init export again; damaged files are recaptured; an init
// that changes references is not persisted (and says why).
#include <gtest/gtest.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

extern char** environ;

namespace wisp::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kInitWat = R"((module
  (import "env" "seed" (func $seed (result i32)))
  (memory (export "memory") 2)
  (table 2 funcref)
  (global $v (export "v") (mut i32) (i32.const 0))
  (global $r (mut funcref) (ref.func $f))
  (func $f (result i32) (i32.const 5))
  (elem (i32.const 0) $f)
  (func (export "init")
    (global.set $v (call $seed))
    (i32.store (i32.const 70000) (global.get $v))
    (drop (memory.grow (i32.const 1)))
    (i32.store (i32.const 140000) (i32.const 77)))
  (func (export "read") (result i32)
    (i32.add (i32.load (i32.const 70000)) (i32.load (i32.const 140000))))
  (func (export "call0") (result i32) (call_indirect (result i32) (i32.const 0)))
  (func (export "poke") (i32.store (i32.const 70000) (i32.const -1)))))";

struct RunResult {
  bool from_cache = false;
  int inits = 0;
  std::string path;
  std::string not_persisted;
};

// One "process lifetime": a fresh engine over `cache`, a template with persistence, instances.
RunResult run_once(const fs::path& cache, Tier tier, const char* wat_text = kInitWat) {
  Engine engine(engine_config(tier, cache));
  std::atomic<int> inits{0};
  Linker linker;
  linker.func_wrap("env", "seed", [&]() -> int32_t {
    ++inits;
    return 4242;
  });
  TemplateOptions o;
  o.tier = tier;
  o.snapshot.init_export = "init";
  o.snapshot.persist = true;
  o.snapshot.verify_reset = true;
  Template t = linker.instantiate_template(engine.compile(wat(wat_text)), o);
  for (int i = 0; i < 3; ++i) {
    Instance inst = t.instantiate();
    EXPECT_EQ(inst.global_get("v").as_i32(), 4242);
    EXPECT_EQ(inst.call("read")[0].as_i32(), 4242 + 77);
    EXPECT_EQ(inst.memory().pages(), 3u);
    EXPECT_EQ(inst.call("call0")[0].as_i32(), 5);
    inst.call("poke");
    inst.reset();
    EXPECT_EQ(inst.call("read")[0].as_i32(), 4242 + 77);
  }
  SnapshotInfo info = t.snapshot_info();
  return RunResult{info.from_cache, inits.load(), info.persisted_path, info.not_persisted_reason};
}

class PersistTest : public TierTest {};

TEST_P(PersistTest, ALaterEngineLoadsTheSnapshotWithoutRunningInit) {
  TempDir cache;
  RunResult first = run_once(cache.path(), tier());
  EXPECT_FALSE(first.from_cache);
  EXPECT_EQ(first.inits, 1);
  ASSERT_FALSE(first.path.empty()) << first.not_persisted;
  EXPECT_TRUE(fs::exists(first.path));
  RunResult second = run_once(cache.path(), tier());
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(second.inits, 0);  // the init export did not run again
  EXPECT_EQ(second.path, first.path);
}

TEST_P(PersistTest, ADamagedSnapshotIsCapturedAgain) {
  TempDir cache;
  RunResult first = run_once(cache.path(), tier());
  ASSERT_FALSE(first.path.empty());
  {
    std::fstream f(first.path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x5a');
  }
  RunResult second = run_once(cache.path(), tier());
  EXPECT_FALSE(second.from_cache);
  EXPECT_EQ(second.inits, 1);
  RunResult third = run_once(cache.path(), tier());  // rewritten by the second run
  EXPECT_TRUE(third.from_cache);
}

TEST_P(PersistTest, AnInitThatChangesReferencesIsNotPersisted) {
  std::string changed = kInitWat;
  changed.replace(changed.find("(global.set $v (call $seed))"),
                  std::string("(global.set $v (call $seed))").size(),
                  "(global.set $v (call $seed)) (global.set $r (ref.null func))");
  TempDir cache;
  RunResult first = run_once(cache.path(), tier(), changed.c_str());
  EXPECT_TRUE(first.path.empty());
  EXPECT_NE(first.not_persisted.find("funcref global"), std::string::npos) << first.not_persisted;
  RunResult second = run_once(cache.path(), tier(), changed.c_str());
  EXPECT_FALSE(second.from_cache);
  EXPECT_EQ(second.inits, 1);
}

INSTANTIATE_TEST_SUITE_P(Tiers, PersistTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

// The child half of the two-process test: runs only when the parent sets the variable.
TEST(PersistChild, DISABLED_Run) {
  const char* dir = std::getenv("WISP_PERSIST_CHILD_DIR");
  ASSERT_NE(dir, nullptr);
  RunResult r = run_once(dir, Tier::tier0);
  std::ofstream(fs::path(dir) / "result.txt") << r.from_cache << " " << r.inits << "\n";
}

int run_child(const fs::path& dir) {
  std::string exe = fs::read_symlink("/proc/self/exe").string();
  std::string filter = "--gtest_filter=PersistChild.DISABLED_Run";
  std::string also = "--gtest_also_run_disabled_tests";
  char* argv[] = {exe.data(), filter.data(), also.data(), nullptr};
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    // Not the sharding of the sanitizer builds (WISP_UNIT_SHARDS): the child runs its one test.
    if (std::strncmp(*e, "GTEST_TOTAL_SHARDS=", 19) == 0 ||
        std::strncmp(*e, "GTEST_SHARD_INDEX=", 18) == 0)
      continue;
    env_strings.emplace_back(*e);
  }
  env_strings.push_back("WISP_PERSIST_CHILD_DIR=" + dir.string());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv, envp.data()) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(PersistedSnapshot, ReloadedByASecondProcess) {
  TempDir dir;
  auto result = [&] {
    std::ifstream in(dir.path() / "result.txt");
    int from_cache = -1, inits = -1;
    in >> from_cache >> inits;
    return std::make_pair(from_cache, inits);
  };
  ASSERT_EQ(run_child(dir.path()), 0);
  EXPECT_EQ(result(), std::make_pair(0, 1));  // captured: init ran once
  ASSERT_EQ(run_child(dir.path()), 0);
  EXPECT_EQ(result(), std::make_pair(1, 0));  // loaded: init did not run
}

}  // namespace
}  // namespace wisp::test
