// Precompiled modules (Engine::save_precompiled / load_precompiled, `wisp compile -o`): a module
// loaded from one behaves as the compiled one (interface, data, globals, reset), and a damaged,
// truncated, foreign or unrelated file is refused with a reason, never loaded.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "support/wat.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr const char* kCounter = R"(
  (module
    (import "env" "scale" (func $scale (param i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "wisp")
    (global $n (mut i32) (i32.const 40))
    (func (export "bump") (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (call $scale (global.get $n)))
    (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))
)";

std::vector<char> read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_all(const std::filesystem::path& p, const std::vector<char>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string load_error(const std::filesystem::path& p) {
  TempDir cache;
  Engine engine(engine_config(Tier::tier1, cache.path()));
  try {
    engine.load_precompiled(p);
  } catch (const Error& e) {
    return e.what();
  }
  return "(loaded)";
}

class PrecompiledTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Engine engine(engine_config(Tier::tier1, shared_tier1_cache_or(cache_.path())));
    Module m = engine.compile(wat(kCounter));
    ASSERT_TRUE(m.wait_tier1()) << m.tier1_error().value_or("");
    engine.save_precompiled(m, file());
    wasm_hash_ = m.hash();
  }
  std::filesystem::path file() const { return dir_.path() / "counter.wisp"; }
  Linker linker() const {
    Linker l;
    l.func_wrap("env", "scale", [](int32_t v) { return v * 10; });
    return l;
  }
  TempDir cache_;
  TempDir dir_;
  std::string wasm_hash_;
};

TEST_F(PrecompiledTest, LoadsAndRunsLikeTheCompiledModule) {
  ASSERT_TRUE(Engine::is_precompiled(file()));
  TempDir other_cache;  // nothing cached: the code must come from the file
  Engine engine(engine_config(Tier::tier1, other_cache.path()));
  Module m = engine.load_precompiled(file());
  EXPECT_TRUE(m.tier1_ready());
  EXPECT_EQ(m.hash(), wasm_hash_);
  ASSERT_EQ(m.imports().size(), 1u);
  EXPECT_EQ(m.imports()[0].module, "env");
  EXPECT_TRUE(m.find_export("bump").has_value());
  EXPECT_TRUE(m.find_export("memory").has_value());

  Instance inst = linker().instantiate(m);
  EXPECT_EQ(inst.tier(), Tier::tier1);
  EXPECT_EQ(inst.call("bump")[0].as_i32(), 410);
  EXPECT_EQ(inst.call("bump")[0].as_i32(), 420);
  EXPECT_EQ(inst.call("byte", {Value::i32(16)})[0].as_i32(), 'w');
  EXPECT_EQ(inst.call("byte", {Value::i32(19)})[0].as_i32(), 'p');
}

TEST_F(PrecompiledTest, CompileFileRecognisesIt) {
  TempDir other_cache;
  Engine engine(engine_config(Tier::tier1, other_cache.path()));
  Module m = engine.compile_file(file());
  Instance inst = linker().instantiate(m);
  EXPECT_EQ(inst.call("bump")[0].as_i32(), 410);
}

TEST_F(PrecompiledTest, TemplatesSnapshotAndResetIt) {
  TempDir other_cache;
  Engine engine(engine_config(Tier::tier1, other_cache.path()));
  Module m = engine.load_precompiled(file());
  Instance inst = linker().instantiate(m);
  EXPECT_EQ(inst.call("bump")[0].as_i32(), 410);
  inst.memory().store<uint8_t>(16, 'X');
  inst.reset();
  EXPECT_EQ(inst.call("byte", {Value::i32(16)})[0].as_i32(), 'w');
  EXPECT_EQ(inst.call("bump")[0].as_i32(), 410);
}

// Two precompiled modules loaded at once each run their own code (the loader's dlopen names
// must not collide: a name reused while the first is loaded would hand back its code).
TEST_F(PrecompiledTest, TwoLoadedAtOnceKeepTheirOwnCode) {
  std::filesystem::path other_file = dir_.path() / "other.wisp";
  {
    Engine engine(engine_config(Tier::tier1, shared_tier1_cache_or(cache_.path())));
    Module m = engine.compile(wat(R"((module (func (export "bump") (result i32) (i32.const 7))))"));
    ASSERT_TRUE(m.wait_tier1());
    engine.save_precompiled(m, other_file);
  }
  TempDir other_cache;
  Engine engine(engine_config(Tier::tier1, other_cache.path()));
  std::vector<Module> kept;
  for (int round = 0; round < 3; ++round) {
    Module a = engine.load_precompiled(file());
    Module b = engine.load_precompiled(other_file);
    EXPECT_EQ(linker().instantiate(a).call("bump")[0].as_i32(), 410);
    EXPECT_EQ(Linker().instantiate(b).call("bump")[0].as_i32(), 7);
    kept.push_back(a);  // some stay loaded while later ones load
  }
  // Saved again from a loaded module: the same module, not the file inside a file.
  Module again = engine.load_precompiled(other_file);
  engine.save_precompiled(again, dir_.path() / "again.wisp");
  EXPECT_EQ(std::filesystem::file_size(dir_.path() / "again.wisp"),
            std::filesystem::file_size(other_file));
  EXPECT_EQ(Linker()
                .instantiate(engine.load_precompiled(dir_.path() / "again.wisp"))
                .call("bump")[0]
                .as_i32(),
            7);
}

// The header's fields are covered by the digest too (fuel metering, proposals, ...).
TEST_F(PrecompiledTest, AnEditedHeaderIsRefused) {
  std::vector<char> bytes = read_all(file());
  std::string text(bytes.begin(), bytes.end());
  size_t at = text.rfind("\nfuel 0\n");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 6] = '1';
  write_all(file(), bytes);
  EXPECT_NE(load_error(file()).find("does not match its digest"), std::string::npos)
      << load_error(file());
}

TEST_F(PrecompiledTest, ADamagedFileIsRefused) {
  std::vector<char> bytes = read_all(file());
  bytes[bytes.size() / 3] ^= 0x40;  // inside the shared object
  write_all(file(), bytes);
  EXPECT_TRUE(Engine::is_precompiled(file()));
  EXPECT_NE(load_error(file()).find("does not match its digest"), std::string::npos)
      << load_error(file());
}

TEST_F(PrecompiledTest, ATruncatedFileIsRefused) {
  std::vector<char> bytes = read_all(file());
  std::vector<char> tail(bytes.end() - 600, bytes.end());
  write_all(file(), tail);  // the header and trailer survive, the parts do not
  EXPECT_NE(load_error(file()).find("do not add up"), std::string::npos) << load_error(file());
  bytes.resize(bytes.size() - 1);
  write_all(file(), bytes);
  EXPECT_FALSE(Engine::is_precompiled(file()));
  EXPECT_NE(load_error(file()).find("not a precompiled module"), std::string::npos);
}

TEST_F(PrecompiledTest, AnotherBuildsFileIsRefused) {
  std::vector<char> bytes = read_all(file());
  std::string text(bytes.begin(), bytes.end());
  size_t at = text.rfind("\ncodegen ");
  ASSERT_NE(at, std::string::npos);
  char& c = bytes[at + 9];
  c = c == '0' ? '1' : '0';  // a codegen id this build does not have
  write_all(file(), bytes);
  EXPECT_NE(load_error(file()).find("another wisp build"), std::string::npos) << load_error(file());
}

TEST_F(PrecompiledTest, AWasmFileIsNotOne) {
  std::filesystem::path wasm_file = dir_.path() / "m.wasm";
  std::vector<uint8_t> bytes = wat(kCounter);
  write_all(wasm_file, std::vector<char>(bytes.begin(), bytes.end()));
  EXPECT_FALSE(Engine::is_precompiled(wasm_file));
  EXPECT_NE(load_error(wasm_file).find("not a precompiled module"), std::string::npos);
  EXPECT_NE(load_error(dir_.path() / "missing.wisp").find("cannot read"), std::string::npos);
}

TEST(Precompiled, NeedsTier1) {
  TempDir cache;
  EngineConfig config = engine_config(Tier::tier0, cache.path());
  config.enable_tier1 = false;
  Engine engine(config);
  Module m = engine.compile(wat(kCounter));
  TempDir dir;
  try {
    engine.save_precompiled(m, dir.path() / "x.wisp");
    FAIL() << "saved a module without tier 1";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tier 1 is unavailable"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "x.wisp"));
}

}  // namespace
}  // namespace wisp::test
