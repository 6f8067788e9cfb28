// Snapshot equivalence over the spec corpus: for every corpus module with a memory or a table,
// an instance built from the snapshot has exactly the state of one built from scratch (memory,
// globals, tables — compared field by field through the snapshot verifier), instantiation
// traps the same way, and a verified reset brings it back. Also: the verifier does catch a
// difference.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "instance/instance_impl.hpp"
#include "snapshot/snapshot.hpp"
#include "spectest/spectest_host.hpp"
#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> spec_dirs() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(WISP_SPEC_CORE_DIR, ec))
    if (e.is_directory()) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

bool has_own_memory_or_table(const Instance& inst) {
  const wisp_module_desc_t* d = inst.impl()->desc;
  return d->num_memories > 0 || d->num_tables > 0;
}

// Same state as the snapshot, by the verifier (throws naming the difference).
void expect_snapshot_state(const snap::Snapshot& s, const Instance& inst, const std::string& what) {
  try {
    snap::verify(s, inst.impl()->vm, inst.impl()->slot);
  } catch (const Error& e) {
    ADD_FAILURE() << what << ": " << e.what();
  }
}

class SpecEquivalenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SpecEquivalenceTest, SnapshotInstancesEqualScratchInstances) {
  TempDir cache;
  Engine engine(engine_config(Tier::tier0, cache.path()));
  TemplateOptions base;
  base.tier = Tier::tier0;
  Linker linker;
  Instance spectest = spectest::define_spectest(engine, linker, base, false);
  int compared = 0;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(WISP_SPEC_CORE_DIR) / GetParam()))
    if (e.path().extension() == ".wasm") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    const std::string name = file.filename().string();
    std::optional<Module> module;
    try {
      module = engine.compile(read_bytes(file));
    } catch (const Error&) {
      continue;  // an assert_invalid / assert_malformed module
    }
    TemplateOptions scratch_opts = base;
    scratch_opts.snapshot.mode = SnapshotMode::off;
    TemplateOptions snap_opts = base;
    snap_opts.snapshot.verify_reset = true;
    std::optional<Template> scratch_t, snap_t;
    try {
      scratch_t = linker.instantiate_template(*module, scratch_opts);
      snap_t = linker.instantiate_template(*module, snap_opts);
    } catch (const LinkError&) {
      continue;  // imports from another corpus module
    }
    if (!snap_t->impl()->snapshot_possible) continue;  // imports memory, table, mutable global
    // Outcome of instantiation: both ways trap alike, or both succeed.
    std::optional<Instance> scratch, first, second;
    std::string scratch_trap, snap_trap1, snap_trap2;
    auto attempt = [](const Template& t, std::optional<Instance>& out, std::string& trap) {
      try {
        out = t.instantiate();
      } catch (const Trap& e) {
        trap = trap_kind_name(e.kind());
      }
    };
    attempt(*scratch_t, scratch, scratch_trap);
    attempt(*snap_t, first, snap_trap1);
    attempt(*snap_t, second, snap_trap2);
    EXPECT_EQ(scratch_trap, snap_trap1) << name;
    EXPECT_EQ(scratch_trap, snap_trap2) << name;
    if (!scratch || !second) continue;
    if (!has_own_memory_or_table(*scratch)) continue;
    const auto& s = second->impl()->snapshot;
    ASSERT_TRUE(s) << name << ": no snapshot";
    EXPECT_EQ(second->usage().from_snapshot, s->has_memory) << name;
    if (!s->start_pending) expect_snapshot_state(*s, *scratch, name + " (scratch instance)");
    expect_snapshot_state(*s, *second, name + " (snapshot instance)");
    if (!s->start_pending) {
      // Exported memories hold the same bytes.
      for (const ExportDesc& ex : module->exports()) {
        if (ex.type.kind != ExternKind::memory) continue;
        Memory a = scratch->memory(ex.name), b = second->memory(ex.name);
        ASSERT_EQ(a.size(), b.size()) << name;
        EXPECT_EQ(a.read(0, a.size()), b.read(0, b.size())) << name << " memory " << ex.name;
      }
    }
    EXPECT_NO_THROW(second->reset()) << name;
    EXPECT_THROW(scratch->reset(), Error) << name << ": snapshots are off for that template";
    ++compared;
  }
  RecordProperty("compared_modules", compared);
}

INSTANTIATE_TEST_SUITE_P(Corpus, SpecEquivalenceTest, ::testing::ValuesIn(spec_dirs()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// The verifier is not a rubber stamp: it reports a changed byte of memory and a changed global.
class VerifierTest : public TierTest {};

TEST_P(VerifierTest, DetectsMemoryAndGlobalDifferences) {
  Template t = Linker().instantiate_template(compile(R"((module
    (memory (export "memory") 1) (global (export "g") (mut i32) (i32.const 1))
    (data (i32.const 10) "abc")))"),
                                             options());
  Instance inst = t.instantiate();
  Instance other = t.instantiate();
  const snap::Snapshot& s = *other.impl()->snapshot;
  EXPECT_NO_THROW(snap::verify(s, other.impl()->vm, other.impl()->slot));
  other.memory().store<uint8_t>(11, 'X');
  try {
    snap::verify(s, other.impl()->vm, other.impl()->slot);
    ADD_FAILURE() << "changed memory not detected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("address 11"), std::string::npos) << e.what();
  }
  other.reset();
  other.global_set("g", Value::i32(2));
  EXPECT_THROW(snap::verify(s, other.impl()->vm, other.impl()->slot), Error);
  other.reset();
  EXPECT_NO_THROW(snap::verify(s, other.impl()->vm, other.impl()->slot));
}

INSTANTIATE_TEST_SUITE_P(Tiers, VerifierTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
