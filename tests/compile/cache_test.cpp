// Tier 1: the content-addressed cache (hits, keys, corruption), background builds and failures.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/fixture.hpp"
#include "support/wat.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

std::string returning(int v) {
  return "(module (func (export \"f\") (result i32) (i32.const " + std::to_string(v) + ")))";
}

int32_t call_f(const Module& m, Tier tier) {
  TemplateOptions o;
  o.tier = tier;
  Instance inst = Linker().instantiate(m, o);
  EXPECT_EQ(inst.tier(), tier);
  return inst.call("f")[0].as_i32();
}

size_t count_files(const std::filesystem::path& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

class CacheTest : public ::testing::Test {
 protected:
  EngineConfig config() const { return engine_config(Tier::tier1, cache_.path()); }
  TempDir cache_;
};

TEST_F(CacheTest, SecondEngineLoadsFromCache) {
  std::vector<uint8_t> bytes = wat(returning(11));
  {
    Engine first(config());
    Module m = first.compile(bytes);
    ASSERT_TRUE(m.tier1_ready()) << m.tier1_error().value_or("");
    EXPECT_FALSE(m.stats().tier1_from_cache);
    EXPECT_EQ(call_f(m, Tier::tier1), 11);
  }
  EXPECT_GT(count_files(cache_.path()), 0u);
  Engine second(config());
  EXPECT_EQ(second.cache_dir(), cache_.path());
  Module m = second.compile(bytes);
  ASSERT_TRUE(m.tier1_ready());
  EXPECT_TRUE(m.stats().tier1_from_cache);
  EXPECT_EQ(call_f(m, Tier::tier1), 11);
}

TEST_F(CacheTest, CacheHitSkipsTranslationAndTier0StillWorks) {
  std::vector<uint8_t> bytes = wat(returning(23));
  { Engine(config()).compile(bytes); }
  Engine second(config());
  Module m = second.compile(bytes);
  ASSERT_TRUE(m.stats().tier1_from_cache);
  EXPECT_EQ(m.stats().c_source_bytes, 0u);  // no C was generated for a cache hit
  EXPECT_EQ(call_f(m, Tier::tier0), 23);    // tier 0 is translated and built on demand
  EXPECT_EQ(call_f(m, Tier::tier1), 23);
}

// Imports and exports of every kind, both data segment offsets, a start function, a feature.
std::vector<uint8_t> interface_module() {
  return wat(R"((module
    (import "env" "g" (global i32))
    (import "env" "f" (func $f (param i32) (result i32)))
    (memory (export "mem") 1 2)
    (table (export "tab") 2 funcref)
    (global $counter (export "counter") (mut i32) (i32.const 7))
    (data (i32.const 16) "abc")
    (data (global.get 0) "xy")
    (elem (i32.const 0) $get)
    (func $get (export "get") (param i32) (result i32 i32)
      (call $f (i32.extend8_s (local.get 0))) (global.get $counter))
    (func $start (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
    (start $start)))");
}

void expect_same_interface(const Module& hit, const Module& full) {
  ASSERT_EQ(hit.imports().size(), full.imports().size());
  for (size_t i = 0; i < hit.imports().size(); ++i) {
    EXPECT_EQ(hit.imports()[i].name, full.imports()[i].name);
    EXPECT_EQ(hit.imports()[i].type.to_string(), full.imports()[i].type.to_string());
  }
  ASSERT_EQ(hit.exports().size(), full.exports().size());
  for (size_t i = 0; i < hit.exports().size(); ++i) {
    EXPECT_EQ(hit.exports()[i].name, full.exports()[i].name);
    EXPECT_EQ(hit.exports()[i].type.to_string(), full.exports()[i].type.to_string());
  }
  EXPECT_EQ(hit.features(), full.features());
  EXPECT_NE(std::find(hit.features().begin(), hit.features().end(), "sign-extension"),
            hit.features().end());
  EXPECT_EQ(hit.hash(), full.hash());
  EXPECT_EQ(hit.start_function(), full.start_function());
  ASSERT_EQ(hit.section_sizes().size(), full.section_sizes().size());
}

// An instance of interface_module() from `hit` behaves as one from a full compile would.
void expect_instantiates(Engine& engine, const Module& hit) {
  TemplateOptions o;
  o.tier = Tier::tier1;
  Instance provider = Linker().instantiate(
      engine.compile(wat(R"((module (global (export "g") i32 (i32.const 32))))")), o);
  Linker linker;
  linker.func_wrap("env", "f", [](int32_t x) { return x * 2; });
  linker.define("env", "g", *provider.get_export("g"));
  Instance inst = linker.instantiate(hit, o);
  EXPECT_EQ(inst.memory("mem").read_string(16, 3), "abc");  // data segments, both offsets
  EXPECT_EQ(inst.memory("mem").read_string(32, 2), "xy");
  std::vector<Value> r = inst.call("get", {Value::i32(0x80)});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].as_i32(), -256);
  EXPECT_EQ(r[1].as_i32(), 8);  // the start function ran
}

std::vector<std::filesystem::path> files_ending(const std::filesystem::path& dir,
                                                const std::string& suffix) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.size() > suffix.size() && name.ends_with(suffix)) out.push_back(e.path());
  }
  return out;
}

// A cache hit reads the module without validating it again or decoding function bodies: what
// it reports and how it instantiates must match a full compile (features are found on demand).
TEST_F(CacheTest, CacheHitReadsTheSameInterface) {
  std::vector<uint8_t> bytes = interface_module();
  Engine first(config());
  Module full = first.compile(bytes);
  ASSERT_TRUE(full.tier1_ready());
  Engine second(config());
  Module hit = second.compile(bytes);
  ASSERT_TRUE(hit.stats().tier1_from_cache);
  expect_same_interface(hit, full);
  expect_instantiates(second, hit);
}

// The interface of a cached module comes from a metadata file beside its object. A missing or
// damaged one is never trusted: the module's bytes are read instead and the file is written
// again.
TEST_F(CacheTest, DamagedOrMissingMetadataIsRebuilt) {
  std::vector<uint8_t> bytes = interface_module();
  Engine first(config());
  Module full = first.compile(bytes);
  ASSERT_TRUE(full.tier1_ready());
  std::filesystem::path wisp_dir = cache_.path();
  std::vector<std::filesystem::path> metas = files_ending(wisp_dir, ".meta");
  ASSERT_EQ(metas.size(), 1u);
  const std::filesystem::path meta = metas[0];
  std::ifstream in(meta, std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(good.empty());

  auto damage = [&](const std::string& content) {
    std::ofstream(meta, std::ios::binary | std::ios::trunc) << content;
  };
  std::string flipped = good;
  flipped[flipped.size() - 3] ^= 0x40;  // inside a data segment range or a type
  std::string bad_digest = good;
  bad_digest[20] = bad_digest[20] == '0' ? '1' : '0';
  for (const std::string& content :
       {std::string(), good.substr(0, good.size() / 2), flipped, bad_digest, std::string("x")}) {
    damage(content);
    Engine engine(config());
    Module hit = engine.compile(bytes);
    ASSERT_TRUE(hit.stats().tier1_from_cache);
    expect_same_interface(hit, full);
    expect_instantiates(engine, hit);
    std::ifstream again(meta, std::ios::binary);
    std::string rewritten((std::istreambuf_iterator<char>(again)),
                          std::istreambuf_iterator<char>());
    EXPECT_FALSE(rewritten.empty()) << "the metadata was not written again";
  }
  std::filesystem::remove(meta);
  Engine engine(config());
  Module hit = engine.compile(bytes);
  ASSERT_TRUE(hit.stats().tier1_from_cache);
  expect_same_interface(hit, full);
  expect_instantiates(engine, hit);
  EXPECT_TRUE(std::filesystem::exists(meta));
}

TEST_F(CacheTest, KeyDependsOnTheBytes) {
  Engine first(config());
  Module one = first.compile(wat(returning(1)));
  Engine second(config());
  Module two = second.compile(wat(returning(2)));
  EXPECT_FALSE(two.stats().tier1_from_cache);
  EXPECT_EQ(call_f(one, Tier::tier1), 1);
  EXPECT_EQ(call_f(two, Tier::tier1), 2);
}

TEST_F(CacheTest, KeyDependsOnTheFlags) {
  std::vector<uint8_t> bytes = wat(returning(3));
  Engine first(config());
  first.compile(bytes);
  EngineConfig o1 = config();
  o1.tier1_flags = {"-O1"};
  Engine second(o1);
  Module m = second.compile(bytes);
  EXPECT_FALSE(m.stats().tier1_from_cache);
  EXPECT_EQ(call_f(m, Tier::tier1), 3);
}

// A damaged artifact must not be loaded (nor crash the process): it is rebuilt.
TEST_F(CacheTest, CorruptedArtifactIsNotTrusted) {
  std::vector<uint8_t> bytes = wat(returning(5));
  {
    Engine first(config());
    first.compile(bytes);
  }
  size_t damaged = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cache_.path())) {
    if (!e.is_regular_file()) continue;
    std::filesystem::resize_file(e.path(), e.file_size() / 3);
    ++damaged;
  }
  ASSERT_GT(damaged, 0u);
  // In a child process: a crash there fails this test without taking the suite down.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto reload = [&] {
    Engine second(config());
    Module m = second.compile(bytes);
    bool ok = m.wait_tier1() && call_f(m, Tier::tier1) == 5;
    std::_Exit(ok ? 0 : 1);
  };
  EXPECT_EXIT(reload(), ::testing::ExitedWithCode(0), "");
}

TEST_F(CacheTest, BackgroundTier1IsUsedByNewInstancesOnceReady) {
  EngineConfig c = config();
  c.background_tier1 = true;
  Engine engine(c);
  Module m = engine.compile(wat(returning(8)));
  EXPECT_EQ(call_f(m, Tier::tier0), 8);  // tier 0 is ready when compile() returns
  ASSERT_TRUE(m.wait_tier1()) << m.tier1_error().value_or("");
  EXPECT_TRUE(m.tier1_ready());
  EXPECT_GT(m.stats().tier1_ms, 0.0);
  Instance inst = Linker().instantiate(m);  // Tier::automatic
  EXPECT_EQ(inst.tier(), Tier::tier1);
  EXPECT_EQ(inst.call("f")[0], Value::i32(8));
}

TEST_F(CacheTest, Tier1FailureLeavesTier0Working) {
  EngineConfig c = config();
  c.background_tier1 = true;
  c.c_compiler = "/nonexistent/wisp-test-cc";
  Engine engine(c);
  Module m = engine.compile(wat(returning(9)));
  EXPECT_FALSE(m.wait_tier1());
  EXPECT_FALSE(m.tier1_ready());
  ASSERT_TRUE(m.tier1_error().has_value());
  EXPECT_FALSE(m.tier1_error()->empty());
  Instance inst = Linker().instantiate(m);  // Tier::automatic falls back to tier 0
  EXPECT_EQ(inst.tier(), Tier::tier0);
  EXPECT_EQ(inst.call("f")[0], Value::i32(9));
}

// The compiler runs under EngineConfig's limits: one too small to compile in makes tier 1 fail
// with an error naming the limit, and tier 0 keeps running the module.
TEST_F(CacheTest, Tier1CompilerLimitsAreEnforced) {
  EngineConfig c = config();
  c.background_tier1 = true;
  c.tier1_memory_limit_bytes = uint64_t{16} << 20;  // cc1 alone maps more than this
  Engine engine(c);
  Module m = engine.compile(wat(returning(11)));
  EXPECT_FALSE(m.wait_tier1());
  ASSERT_TRUE(m.tier1_error().has_value());
  EXPECT_NE(m.tier1_error()->find("address space 16 MiB"), std::string::npos) << *m.tier1_error();
  Instance inst = Linker().instantiate(m);
  EXPECT_EQ(inst.tier(), Tier::tier0);
  EXPECT_EQ(inst.call("f")[0], Value::i32(11));
  // The default limits leave room for ordinary builds.
  Engine ok(config());
  EXPECT_EQ(call_f(ok.compile(wat(returning(12))), Tier::tier1), 12);
}

// Two engines (as in two processes) building the same module into one cache at once.
TEST_F(CacheTest, ConcurrentBuildsOfOneModule) {
  std::vector<uint8_t> bytes = wat(returning(6));
  int results[2] = {0, 0};
  std::thread a([&] {
    Engine e(config());
    results[0] = call_f(e.compile(bytes), Tier::tier1);
  });
  std::thread b([&] {
    Engine e(config());
    results[1] = call_f(e.compile(bytes), Tier::tier1);
  });
  a.join();
  b.join();
  EXPECT_EQ(results[0], 6);
  EXPECT_EQ(results[1], 6);
  Engine third(config());
  EXPECT_TRUE(third.compile(bytes).stats().tier1_from_cache);
}

TEST_F(CacheTest, Tier0OnlyEngineHasNoTier1) {
  Engine engine(engine_config(Tier::tier0, cache_.path()));
  Module m = engine.compile(wat(returning(4)));
  EXPECT_FALSE(m.wait_tier1(std::chrono::milliseconds(0)));
  EXPECT_FALSE(m.tier1_ready());
  EXPECT_EQ(call_f(m, Tier::tier0), 4);
  EXPECT_EQ(Linker().instantiate(m).tier(), Tier::tier0);
  // Asking for tier 1 explicitly is an error, not a silent tier 0.
  TemplateOptions o;
  o.tier = Tier::tier1;
  EXPECT_THROW(Linker().instantiate(m, o), Error);
}

}  // namespace
}  // namespace wisp::test
