// Snapshot equivalence over the spec corpus: for every corpus module with a memory or a table,
// an instance built from the snapshot has exactly the state of one built from scratch (memory,
// globals, tables — compared field by field through the snapshot verifier), instantiation
// traps the same way, and a verified reset brings it back. Only the directories with such a
// module are listed, and each must compare at least one. Also: the verifier does catch a
// difference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "instance/instance_impl.hpp"
#include "snapshot/snapshot.hpp"
#include "spectest/spectest_host.hpp"
#include "support/fixture.hpp"
#include "support/spec_corpus.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

// Whether a module can take part in the comparison, from its bytes alone (the tests are listed
// without compiling anything): it defines a memory or a table (the state a snapshot
// holds) and imports from "spectest" only (all this test links). Malformed files are not.
bool may_compare(const std::vector<uint8_t>& b) {
  size_t p = 8;
  bool ok = true;
  auto leb = [&]() -> uint64_t {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= b.size()) break;
      uint8_t byte = b[p++];
      v |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    ok = false;
    return 0;
  };
  auto limits = [&] {
    uint64_t flags = leb();
    leb();
    if (flags & 1) leb();
  };
  if (b.size() < 8 || std::memcmp(b.data(), "\0asm", 4) != 0) return false;
  bool state = false;
  while (ok && p < b.size()) {
    uint8_t id = b[p++];
    uint64_t size = leb();
    if (!ok || size > b.size() - p) return false;
    const size_t end = p + size;
    if ((id == 4 || id == 5) && leb() > 0) state = true;
    if (id == 2) {
      for (uint64_t n = leb(); ok && n > 0; --n) {
        uint64_t len = leb();
        if (!ok || len > end - p) return false;
        if (std::string_view(reinterpret_cast<const char*>(b.data() + p), len) != "spectest")
          return false;
        p += len;
        p += leb();  // the field name
        if (p >= end) return false;
        switch (b[p++]) {
          case 0:  // func: type index
            leb();
            break;
          case 1:  // table: reference type, limits
            ++p;
            limits();
            break;
          case 2:  // memory: limits
            limits();
            break;
          case 3:  // global: value type, mutability
            p += 2;
            break;
          default:
            return false;
        }
      }
    }
    p = end;
  }
  return ok && state;
}

// The module files a corpus directory's script instantiates ("module" commands; the others are
// invalid, malformed or unlinkable on purpose), from its .json. wast2json writes one command a
// line; this scan of the text (not a JSON parse) runs at test registration in every test process,
// where parsing the whole corpus cost 1.7 s per process under ASan.
std::vector<fs::path> instantiated_files(const fs::path& dir) {
  static constexpr std::string_view kModule = "{\"type\": \"module\"";
  static constexpr std::string_view kFilename = "\"filename\": \"";
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir, ec)) {
    if (f.path().extension() != ".json") continue;
    std::ifstream in(f.path());
    for (std::string line; std::getline(in, line);) {
      size_t start = line.find_first_not_of(" \t");
      if (start == std::string::npos || line.compare(start, kModule.size(), kModule) != 0) continue;
      size_t name = line.find(kFilename, start);
      if (name == std::string::npos) continue;
      name += kFilename.size();
      size_t end = line.find('"', name);
      if (end != std::string::npos) out.push_back(dir / line.substr(name, end - name));
    }
  }
  return out;
}

// The corpus directories with at least one module that may take part (every listed test must
// compare something; SnapshotInstancesEqualScratchInstances checks that it does).
std::vector<std::string> spec_dirs() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(WISP_SPEC_CORE_DIR, ec)) {
    if (!d.is_directory()) continue;
    for (const fs::path& f : instantiated_files(d.path())) {
      if (f.extension() == ".wasm" && may_compare(read_bytes(f))) {
        out.push_back(d.path().filename().string());
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  // Without a corpus, one placeholder instance that skips (or fails under CI) saying why.
  if (!spec_corpus_present(WISP_SPEC_CORE_DIR)) out.push_back("no_corpus");
  return out;
}

bool has_own_memory_or_table(const Instance& inst) {
  const wisp_module_desc_t* d = inst.impl()->desc;
  return d->num_memories > 0 || d->num_tables > 0;
}

// Same state as the snapshot, by the verifier (throws naming the difference).
void expect_snapshot_state(const snap::Snapshot& s, const Instance& inst, const std::string& what) {
  try {
    snap::verify(s, inst.impl()->vm);
  } catch (const Error& e) {
    ADD_FAILURE() << what << ": " << e.what();
  }
}

class SpecEquivalenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SpecEquivalenceTest, SnapshotInstancesEqualScratchInstances) {
  WISP_REQUIRE_SPEC_CORPUS(WISP_SPEC_CORE_DIR);
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
    EXPECT_EQ(second->usage().from_snapshot, !s->memories.empty()) << name;
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
  // A directory is listed only when some module of it may be compared: none compared means the
  // test checked nothing (and the listing or this loop is wrong).
  EXPECT_GT(compared, 0) << GetParam() << ": no module was compared";
}

// The listing is not empty, nor did it lose most of the corpus: the directories with a memory or
// a table among their modules (56 of the 90 in the corpus of 2026-12).
TEST(SpecEquivalenceListing, CoversTheCorpusWithState) {
  WISP_REQUIRE_SPEC_CORPUS(WISP_SPEC_CORE_DIR);
  std::vector<std::string> dirs = spec_dirs();
  EXPECT_GE(dirs.size(), 50u);
  for (const char* must : {"memory", "table", "data", "elem", "memory_copy", "table_init"})
    EXPECT_NE(std::find(dirs.begin(), dirs.end(), must), dirs.end()) << must;
  for (const char* never : {"f32", "i64", "fac", "comments"})
    EXPECT_EQ(std::find(dirs.begin(), dirs.end(), never), dirs.end()) << never;
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
  EXPECT_NO_THROW(snap::verify(s, other.impl()->vm));
  other.memory().store<uint8_t>(11, 'X');
  try {
    snap::verify(s, other.impl()->vm);
    ADD_FAILURE() << "changed memory not detected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("address 11"), std::string::npos) << e.what();
  }
  other.reset();
  other.global_set("g", Value::i32(2));
  EXPECT_THROW(snap::verify(s, other.impl()->vm), Error);
  other.reset();
  EXPECT_NO_THROW(snap::verify(s, other.impl()->vm));
}

INSTANTIATE_TEST_SUITE_P(Tiers, VerifierTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
