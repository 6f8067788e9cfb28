// Conformance and differential tests of wisp's own validator (validate_module):
//  (a) the core spec corpus: every binary module's verdict with no proposal enabled matches its
//      script (valid: module, assert_unlinkable, assert_uninstantiable; invalid: assert_invalid,
//      binary assert_malformed), mismatches listed with script, line and message;
//  (b) the proposal folders: with the folder's features enabled every verdict matches the
//      script; with nothing enabled a valid module that truly uses a proposal (libwabt accepts it
//      with the folder's features and refuses it without that one) is refused by a message
//      naming that proposal, the folders' 2.0 modules are accepted and their invalid ones refused;
//  (c) differential against libwabt (support/wabt_oracle.hpp) over mutants of the core corpus:
//      both must accept or both refuse;
//  (d) random valid modules from binaryen's `wasm-opt -ttf` (WebAssembly 2.0 features): both
//      accept every one.
// Knobs: WISP_FRONT_DIFF_MUTANTS (default 2000), WISP_FRONT_DIFF_SEED, WISP_FRONT_DIFF_OUT (a
// folder to save disagreeing mutants in), WISP_FRONT_TTF_MODULES (default 200) and
// WISP_FRONT_TTF_SECONDS (default 60: the random modules stop there).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "compile/front/feature_scan.hpp"
#include "compile/front/func_validator.hpp"
#include "front_corpus.hpp"
#include "front_mutator.hpp"
#include "support/binary.hpp"
#include "support/wabt_oracle.hpp"
#include "support/wat.hpp"

namespace wisp::test {
namespace {

namespace fs = std::filesystem;
using namespace front_corpus;
using namespace front_mutator;
using detail::front::feature_name;

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 0) : fallback;
}

struct Verdict {
  bool ok = false;
  std::string message;  // why it was refused
  size_t offset = CompileError::npos;
};

// wisp's own validator. Anything but a CompileError is a bug, reported as a refusal that says so.
Verdict ours(std::span<const uint8_t> bytes, FeatureSet enabled = {}) {
  try {
    detail::front::validate_module(bytes, enabled);
    return {true, ""};
  } catch (const CompileError& e) {
    return {false, e.what(), e.offset()};
  } catch (const std::exception& e) {
    return {false, std::string("NOT A CompileError: ") + e.what()};
  }
}

// libwabt, with WebAssembly 2.0's features plus `extra`.
Verdict theirs(std::span<const uint8_t> bytes, FeatureSet extra = {}) {
  WabtVerdict v = wabt_validate(bytes, extra);
  return {v.ok, v.message, v.offset};
}

std::vector<Feature> features_in(FeatureSet s) {
  std::vector<Feature> out;
  for (uint32_t bit = 1; bit <= s.bits(); bit <<= 1)
    if (s.bits() & bit) out.push_back(static_cast<Feature>(bit));
  return out;
}

// Fails the test with the first `limit` lines of `lines`.
void report(const std::string& what, const std::vector<std::string>& lines, size_t limit = 40) {
  if (lines.empty()) return;
  std::ostringstream out;
  out << lines.size() << " " << what << ":\n";
  for (size_t i = 0; i < lines.size() && i < limit; ++i) out << "  " << lines[i] << "\n";
  if (lines.size() > limit) out << "  ... and " << lines.size() - limit << " more\n";
  ADD_FAILURE() << out.str();
}

// ---------------------------------------------------------------------------------------------
// (a) The core corpus.

TEST(FrontConformance, CoreCorpusVerdicts) {
  WISP_REQUIRE_SPEC_CORPUS(front_corpus::spec_dir());
  std::vector<std::string> wrong;
  size_t checked = 0;
  for (const CorpusModule& m : corpus_modules("core")) {
    if (!m.valid() && !m.invalid()) continue;
    ++checked;
    Verdict v = ours(read_bytes(m.wasm));
    if (m.valid() && !v.ok) {
      wrong.push_back(m.where() + " " + m.command + ": refused: " + v.message);
    } else if (m.invalid() && v.ok) {
      wrong.push_back(m.where() + " " + m.command + " \"" + m.text + "\": accepted");
    } else if (v.message.starts_with("NOT A CompileError")) {
      wrong.push_back(m.where() + ": " + v.message);
    }
  }
  EXPECT_GT(checked, 3000u);
  report("core modules whose verdict differs from the script", wrong, 80);
}

// ---------------------------------------------------------------------------------------------
// (b) The proposal folders.

// Proposals a script uses beyond its folder's FEATURES (wast2json enables SIMD by default).
FeatureSet script_extras(const std::string& folder, const CorpusModule& m) {
  FeatureSet extra;
  if (folder == "multi-memory" && m.script.stem() == "memory-multi") extra.add(Feature::simd);
  return extra;
}

// Assertions of the proposal folders that WebAssembly 2.0 made obsolete: threads' imports.wast
// is an older copy of core's that still says a second table is invalid.
bool obsolete(const std::string& folder, const CorpusModule& m) {
  return folder == "threads" && m.command == "assert_invalid" && m.text == "multiple tables";
}

TEST(FrontConformance, ProposalsAreRefusedByName) {
  WISP_REQUIRE_SPEC_CORPUS(front_corpus::spec_dir());
  std::vector<std::string> wrong, wabt_gaps;
  for (const std::string& folder : proposal_folders()) {
    const FeatureSet features = folder_features(folder);
    size_t refused = 0, wasm2 = 0;
    // With the folder's features enabled the verdicts match the scripts too (wisp validates the
    // proposals although it runs none yet).
    size_t valid = 0, invalid = 0;
    for (const CorpusModule& m : corpus_modules(folder)) {
      std::vector<uint8_t> bytes = read_bytes(m.wasm);
      std::string where = folder + "/" + m.where();
      FeatureSet allowed = features;
      allowed.add(script_extras(folder, m));
      if (m.invalid()) {  // invalid with the proposal, so invalid without it
        if (obsolete(folder, m)) continue;
        if (ours(bytes).ok) wrong.push_back(where + " " + m.command + ": accepted");
        ++invalid;
        if (ours(bytes, allowed).ok)
          wrong.push_back(where + " " + m.command + ": accepted with " + allowed.names());
        continue;
      }
      if (!m.valid()) continue;
      ++valid;
      if (Verdict v = ours(bytes, allowed); !v.ok)
        wrong.push_back(where + ": refused with " + allowed.names() + " enabled: " + v.message);
      if (!theirs(bytes, allowed).ok) {
        wabt_gaps.push_back(where);
        continue;
      }
      // The proposals it truly uses: without any one of them libwabt refuses it. libwabt 1.0.32
      // misses some (it accepts v128.load8x8_s..load32x2_u, load32_zero and load64_zero with
      // SIMD disabled), so the proposal scan's findings count too.
      FeatureSet used(detail::front::scan_features(bytes).bits() & allowed.bits());
      for (Feature f : features_in(allowed))
        if (!theirs(bytes, allowed.minus(FeatureSet(static_cast<uint32_t>(f)))).ok) used.add(f);
      Verdict v = ours(bytes);
      if (used.empty()) {
        ++wasm2;
        if (!v.ok) wrong.push_back(where + ": a WebAssembly 2.0 module, refused: " + v.message);
        continue;
      }
      ++refused;
      if (v.ok) {
        wrong.push_back(where + ": uses " + used.names() + ", accepted with nothing enabled");
        continue;
      }
      for (Feature f : features_in(used)) {
        if (v.message.find(feature_name(f)) == std::string::npos)
          wrong.push_back(where + ": uses " + used.names() + ", refused without naming " +
                          feature_name(f) + ": " + v.message);
      }
    }
    std::printf(
        "[ INFO     ] %s: %zu valid and %zu invalid modules; %zu use %s and were checked "
        "for a refusal, %zu are 2.0\n",
        folder.c_str(), valid, invalid, refused, features.names().c_str(), wasm2);
    EXPECT_GT(refused, 0u) << folder;
  }
  report("proposal-folder modules handled wrongly", wrong, 80);
  // Valid modules libwabt refuses even with the folder's features: they are not evidence either
  // way.
  if (!wabt_gaps.empty())
    std::printf("[ INFO     ] libwabt refuses %zu valid proposal modules\n", wabt_gaps.size());
}

// ---------------------------------------------------------------------------------------------
// (c) Differential over mutants of the core corpus.

// Found by the differential test (seed 2, mutant 11333): a prefixed operator's sub-opcode is a
// u32; one above 0xffff names no operator, even where (prefix << 16) | sub aliases one.
TEST(FrontConformance, SubOpcodesAboveTheTableAreMalformed) {
  for (Bytes sub : {Bytes{0x87, 0x80, 0x80, 0x07},         // 0xe00007: 0xfc0007 when or-ed
                    Bytes{0x87, 0x80, 0x04}}) {            // 0x10007: 0xfd0007 when or-ed
    Bytes body{0x00, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0xfc};  // f64.const 0, then the prefix
    body.insert(body.end(), sub.begin(), sub.end());
    put_bytes(body, {0x1a, 0x0b});  // drop, end
    Bytes code{1};
    put_leb(code, body.size());
    code.insert(code.end(), body.begin(), body.end());
    Bytes m = module_with({{1, {1, 0x60, 0, 0}}, {3, {1, 0}}, {10, code}});
    EXPECT_FALSE(theirs(m).ok);
    EXPECT_FALSE(ours(m).ok) << "sub-opcode " << sub.size() << " bytes";
    EXPECT_FALSE(ours(m, FeatureSet::all()).ok) << "sub-opcode " << sub.size() << " bytes";
  }
}

// A known cause of a disagreement, and `b` with that one cause repaired (so that the spec and
// libwabt read the bytes alike); `terminal` when there is nothing to repair.
struct Repair {
  std::string why;
  Bytes fixed;
  bool terminal = false;
};

Bytes repaired(const Bytes& b, const Region& r, size_t at, size_t erase, const Bytes& insert) {
  Bytes fixed = b;
  splice(fixed, at, erase, insert);
  fix_sizes(fixed, r, static_cast<int64_t>(insert.size()) - static_cast<int64_t>(erase));
  return fixed;
}

// The known cause of wisp's refusal `v` of `b`, which libwabt 1.0.32 accepts.
std::optional<Repair> known_cause(const Bytes& b, const Verdict& v) {
  const std::string wabt = " (a libwabt 1.0.32 defect)";
  if (v.message.find("wisp's limit") != std::string::npos)
    return Repair{"a module beyond an implementation limit of wisp's", {}, true};
  // libwabt 1.0.32 reads these SIMD loads with SIMD disabled.
  for (const char* op : {"v128.load8x8_", "v128.load16x4_", "v128.load32x2_", "v128.load32_zero",
                         "v128.load64_zero"}) {
    if (v.message.find(op) != std::string::npos &&
        v.message.find(feature_name(Feature::simd)) != std::string::npos)
      return Repair{"a SIMD load with SIMD disabled" + wabt, {}, true};
  }
  std::vector<Region> regions = regions_of(b);
  // A data count section without a data section (the count must then be 0).
  const Region* count = nullptr;
  bool data = false;
  for (const Region& r : regions) {
    uint8_t id = r.size_fields.size() == 1 ? b[r.size_fields[0] - 1] : 0;
    if (id == 12) count = &r;
    if (id == 11) data = true;
  }
  if (count && !data && v.message.find("data count") != std::string::npos) {
    Bytes fixed = b;
    size_t from = count->size_fields[0] - 1;
    splice(fixed, from, count->end - from, {});
    return Repair{"a data count section without a data section" + wabt, fixed};
  }
  const size_t at = v.offset;
  if (at == CompileError::npos || at > b.size()) return std::nullopt;
  // A function body whose last `end` closes a block, leaving the function's frame open: the
  // spec makes it malformed (fixed upstream after 1.0.32, wabt PR #2251).
  for (const Region& r : regions)
    if (r.size_fields.size() == 2 && r.end == at)
      return Repair{"a function body missing its final end" + wabt, repaired(b, r, at, 0, {0x0b})};
  const Region* inner = nullptr;  // the smallest region holding `at`
  for (const Region& r : regions)
    if (r.start <= at && at < r.end && (!inner || r.end - r.start < inner->end - inner->start))
      inner = &r;
  if (!inner) return std::nullopt;
  // An active segment's offset expression with no instruction: a type mismatch.
  if (b[at] == 0x0b && v.message.find("constant expression has []") != std::string::npos)
    return Repair{"an empty offset expression in a segment" + wabt,
                  repaired(b, *inner, at, 0, {0x41, 0x00})};
  // `select` with a type vector of length 0 is invalid; libwabt reads it as plain select.
  if (b[at] == 0x1c && at + 1 < b.size() && b[at + 1] == 0x00)
    return Repair{"a typed select with no type" + wabt, repaired(b, *inner, at, 2, {0x1b})};
  // Reference types 0x6b/0x6c: libwabt's draft encodings of (ref ht), read without the feature.
  if ((b[at] == 0x6b || b[at] == 0x6c) &&
      (v.message.find(feature_name(Feature::gc)) != std::string::npos ||
       v.message.find(feature_name(Feature::function_references)) != std::string::npos))
    return Repair{"reference type 0x6b/0x6c with typed references disabled" + wabt,
                  repaired(b, *inner, at, 1, {0x70})};
  size_t p = at;
  uint64_t flags = 0;
  // Data segment flags other than 0, 1, 2 are malformed; libwabt reads them as bits (1:
  // passive, 2: a memory index follows, which it reads and ignores for a passive segment).
  if (v.message.find("data segment") != std::string::npos && read_leb(b, p, flags) && flags >= 3 &&
      flags <= 7) {
    const bool passive = flags & 1, indexed = flags & 2;
    size_t q = p;
    uint64_t ignored = 0;
    if (passive && indexed && !read_leb(b, q, ignored)) return std::nullopt;
    return Repair{"data segment flags 3 to 7" + wabt, repaired(b, *inner, at, q - at,
                                                               {uint8_t(passive   ? 1
                                                                        : indexed ? 2
                                                                                  : 0)})};
  }
  // A value type as a multi-byte LEB128 (0xff 0x7f for i32): one byte in the spec.
  if (b[at] & 0x80) {
    int64_t value = 0;
    unsigned shift = 0;
    for (p = at; p < b.size() && p < at + 5; ++p) {
      value |= int64_t(b[p] & 0x7f) << shift;
      shift += 7;
      if (!(b[p] & 0x80)) break;
    }
    if (p < b.size() && p < at + 5 && (b[p] & 0x40)) value |= -(int64_t(1) << shift);
    if (value >= -64 && value < 0)
      return Repair{"a value type encoded in several bytes" + wabt,
                    repaired(b, *inner, at, p + 1 - at, {uint8_t(value & 0x7f)})};
  }
  return std::nullopt;
}

// Explains a disagreement where wisp refuses what libwabt accepts by repairing known causes one
// at a time until wisp accepts; returns the causes, or "" for a disagreement that needs a look.
std::string explained(const Bytes& b, const Verdict& mine, const Verdict& oracle) {
  if (mine.ok || !oracle.ok) return "";
  Bytes cur = b;
  Verdict v = mine;
  std::set<std::string> causes;
  for (int i = 0; i < 8; ++i) {
    std::optional<Repair> r = known_cause(cur, v);
    if (!r) return "";
    causes.insert(r->why);
    if (!r->terminal) {
      cur = std::move(r->fixed);
      v = ours(cur);
    }
    if (r->terminal || v.ok) {
      std::string out;
      for (const std::string& c : causes) out += (out.empty() ? "" : "; ") + c;
      return out;
    }
  }
  return "";
}

TEST(FrontConformance, DifferentialAgainstLibwabtOnMutants) {
  WISP_REQUIRE_SPEC_CORPUS(front_corpus::spec_dir());
  const uint64_t seed = env_u64("WISP_FRONT_DIFF_SEED", 0xd1ff'5eed'0010ULL);
  const size_t count = env_u64("WISP_FRONT_DIFF_MUTANTS", 2000);
  const char* out_dir = std::getenv("WISP_FRONT_DIFF_OUT");
  std::vector<CorpusModule> valid, invalid;
  for (CorpusModule& m : corpus_modules("core")) {
    if (m.valid())
      valid.push_back(std::move(m));
    else if (m.invalid())
      invalid.push_back(std::move(m));
  }
  ASSERT_FALSE(valid.empty());
  ASSERT_FALSE(invalid.empty());
  Rng rng(seed);
  std::vector<std::string> disagree;
  std::map<std::string, size_t> known;
  size_t accepted = 0;
  for (size_t i = 0; i < count; ++i) {
    const CorpusModule& src =
        rng.chance(80) ? valid[rng.below(valid.size())] : invalid[rng.below(invalid.size())];
    Bytes b = read_bytes(src.wasm);
    std::ostringstream d;
    for (size_t k = 1 + rng.below(3); k > 0; --k) mutate(rng, b, d);
    Verdict mine = ours(b), oracle = theirs(b);
    accepted += mine.ok;
    if (mine.ok == oracle.ok && !mine.message.starts_with("NOT A CompileError")) continue;
    if (std::string why = explained(b, mine, oracle); !why.empty()) {
      ++known[why];
      continue;
    }
    std::ostringstream line;
    line << "#" << i << " " << src.wasm.filename().string() << " " << d.str() << "| wisp "
         << (mine.ok ? "accepts" : "refuses: " + mine.message) << " | libwabt "
         << (oracle.ok ? "accepts" : "refuses: " + oracle.message);
    disagree.push_back(line.str());
    if (out_dir) {
      fs::create_directories(out_dir);
      std::ofstream(fs::path(out_dir) / ("mutant-" + std::to_string(i) + ".wasm"), std::ios::binary)
          .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    }
  }
  std::printf("[ INFO     ] %zu mutants (seed %#llx): %zu accepted by wisp, %zu disagreements\n",
              count, static_cast<unsigned long long>(seed), accepted, disagree.size());
  for (const auto& [why, n] : known)
    std::printf("[ INFO     ] and %zu where wisp refuses, libwabt accepts: %s\n", n, why.c_str());
  report("mutants on which wisp's validator and libwabt disagree", disagree, 60);
}

// ---------------------------------------------------------------------------------------------
// (d) binaryen's random valid modules.

fs::path find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    fs::path p = fs::path(dir) / name;
    if (!dir.empty() && access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

TEST(FrontConformance, BinaryenRandomModules) {
  fs::path wasm_opt = find_in_path("wasm-opt");
  if (wasm_opt.empty()) {
    const char* ci = std::getenv("CI");
    if (ci && *ci && std::string(ci) != "0" && std::string(ci) != "false")
      FAIL() << "wasm-opt (binaryen) is missing and CI is set: scripts/install-deps.sh installs it";
    GTEST_SKIP() << "wasm-opt (binaryen) is not installed (scripts/install-deps.sh installs it)";
  }
  const size_t want = env_u64("WISP_FRONT_TTF_MODULES", 200);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::seconds(env_u64("WISP_FRONT_TTF_SECONDS", 60));
  TempDir dir;
  Rng rng(env_u64("WISP_FRONT_DIFF_SEED", 0xd1ff'5eed'0010ULL) ^ 0x77f);
  std::vector<std::string> wrong;
  size_t made = 0, bytes_total = 0;
  for (size_t i = 0; i < want && std::chrono::steady_clock::now() < deadline; ++i) {
    // Binaryen 108's reference types are the pre-standard ones (anyref above funcref, typed
    // references), so its fuzzer is asked for WebAssembly 2.0 without reference types.
    fs::path seed = dir.path() / "seed", out = dir.path() / "out.wasm";
    {
      std::ofstream s(seed, std::ios::binary);
      for (size_t k = 0; k < 512 + rng.below(8192); ++k) s.put(static_cast<char>(rng.next()));
    }
    fs::remove(out);
    std::string cmd = wasm_opt.string() + " -ttf " + seed.string() + " -o " + out.string() +
                      " --mvp-features --enable-sign-ext --enable-mutable-globals"
                      " --enable-nontrapping-float-to-int --enable-bulk-memory"
                      " --enable-multivalue >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    Bytes b = read_bytes(out);
    ASSERT_GT(b.size(), 8u) << cmd;
    ++made;
    bytes_total += b.size();
    Verdict mine = ours(b), oracle = theirs(b);
    if (mine.ok && oracle.ok) continue;
    std::string keep = (fs::path(::testing::TempDir()) / ("ttf-" + std::to_string(i) + ".wasm"));
    fs::copy_file(out, keep, fs::copy_options::overwrite_existing);
    wrong.push_back(keep + ": wisp " + (mine.ok ? "accepts" : "refuses: " + mine.message) +
                    " | libwabt " + (oracle.ok ? "accepts" : "refuses: " + oracle.message));
  }
  std::printf("[ INFO     ] %zu random modules from wasm-opt -ttf (%zu bytes)\n", made,
              bytes_total);
  EXPECT_GE(made, std::min<size_t>(want, 20));
  report("random valid modules refused", wrong);
}

}  // namespace
}  // namespace wisp::test
