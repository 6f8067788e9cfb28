// The lenient proposal scan (scan_features): every proposal a module needs is named, from
// section ids, type encodings, limits flags, import/export kinds, constant expressions and the
// operators of every body; a component binary is named as one; a broken part ends only that
// part of the scan; truncated and mutated input never crashes it; and over the whole spec corpus
// it names nothing for core's valid modules and nothing beyond each proposal folder's FEATURES.
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "compile/front/feature_scan.hpp"
#include "front_corpus.hpp"
#include "support/binary.hpp"

namespace wisp::test {
namespace {

using namespace detail::front;

// Feature sets are compared by their names ("SIMD, threads"): readable failures.
std::string names_of(std::initializer_list<Feature> fs) {
  FeatureSet s;
  for (Feature f : fs) s.add(f);
  return s.names();
}

FeatureSet scan(const Bytes& b, ScanReport* report = nullptr) {
  return scan_features(b, report);
}
std::string named(const Bytes& b) {
  return scan_features(b).names();
}

Bytes payload(std::initializer_list<uint8_t> bytes) {
  return Bytes(bytes);
}

// A type section with one function type: params and results as value type encodings.
Bytes type_section(const Bytes& params, const Bytes& results) {
  Bytes p{1, 0x60};
  put_leb(p, params.size());
  p.insert(p.end(), params.begin(), params.end());
  put_leb(p, results.size());
  p.insert(p.end(), results.begin(), results.end());
  return p;
}

// A code section holding the given bodies (each: locals vector and instructions, `end` included).
Bytes code_section(std::initializer_list<Bytes> bodies) {
  Bytes p;
  put_leb(p, bodies.size());
  for (const Bytes& b : bodies) {
    put_leb(p, b.size());
    p.insert(p.end(), b.begin(), b.end());
  }
  return p;
}

// A module of `n` functions of type () -> () with these bodies, plus extra sections first.
Bytes module_of(std::initializer_list<Bytes> bodies,
                std::initializer_list<std::pair<uint8_t, Bytes>> before_code = {}) {
  Bytes out = wasm_header();
  put_section(out, 1, type_section({}, {}));
  Bytes funcs;
  put_leb(funcs, bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) funcs.push_back(0);
  put_section(out, 3, funcs);
  for (const auto& [id, p] : before_code) put_section(out, id, p);
  put_section(out, 10, code_section(bodies));
  return out;
}

TEST(FrontFeatureScan, NotAModuleOrPlainWasm2) {
  EXPECT_TRUE(scan({}).empty());
  EXPECT_TRUE(scan({0x00, 0x61, 0x73}).empty());
  EXPECT_TRUE(scan({'n', 'o', 't', ' ', 'w', 'a', 's', 'm'}).empty());
  EXPECT_TRUE(scan(wasm_header()).empty());
  // 2.0: multi-value block, bulk memory, reference types, saturating conversions.
  ScanReport report;
  Bytes m = module_of({payload({0x01, 0x01, 0x7f,  // one i32 local
                                0x41, 0x00, 0xfc, 0x0b, 0x00, 0xd0, 0x70, 0x1a, 0x43, 0,
                                0,    0,    0,    0xfc, 0x00, 0x1a, 0x02, 0x40, 0x0b, 0x0b})},
                      {{5, payload({1, 0x01, 0x01, 0x02})}});
  EXPECT_TRUE(scan(m, &report).empty()) << scan(m).names();
  EXPECT_EQ(report.stopped, 0u);
}

TEST(FrontFeatureScan, TypesAndLimits) {
  EXPECT_EQ(named(module_with({{1, type_section({0x7b}, {})}})), names_of({Feature::simd}));
  EXPECT_EQ(named(module_with({{1, type_section({}, {0x69})}})), names_of({Feature::exnref}));
  EXPECT_EQ(named(module_with({{1, type_section({0x63, 0x70}, {})}})),
            names_of({Feature::function_references}));
  EXPECT_EQ(named(module_with({{1, type_section({0x64, 0x00}, {})}})),
            names_of({Feature::function_references}));
  EXPECT_EQ(named(module_with({{1, type_section({0x6e}, {})}})), names_of({Feature::gc}));
  // A rec group of a struct with an i8 field and an array.
  EXPECT_EQ(named(module_with({{1, payload({1, 0x4e, 2, 0x5f, 1, 0x78, 1, 0x5e, 0x7f, 0})}})),
            names_of({Feature::gc}));
  EXPECT_EQ(named(module_with({{5, payload({1, 0x03, 1, 2})}})), names_of({Feature::threads}));
  EXPECT_EQ(named(module_with({{5, payload({1, 0x04, 1})}})), names_of({Feature::memory64}));
  EXPECT_EQ(named(module_with({{5, payload({1, 0x08, 1, 12})}})),
            names_of({Feature::custom_page_sizes}));
  EXPECT_EQ(named(module_with({{4, payload({1, 0x70, 0x04, 1})}})), names_of({Feature::memory64}));
  EXPECT_EQ(named(module_with({{5, payload({2, 0, 1, 0, 1})}})), names_of({Feature::multi_memory}));
  // One memory imported, one defined.
  Bytes imports{1};
  put_name(imports, "env");
  put_name(imports, "mem");
  put_bytes(imports, {0x02, 0x00, 0x01});
  EXPECT_EQ(named(module_with({{2, imports}, {5, payload({1, 0, 1})}})),
            names_of({Feature::multi_memory}));
  EXPECT_TRUE(scan(module_with({{2, imports}})).empty());
}

TEST(FrontFeatureScan, TwoProposalsAreBothNamed) {
  // v128 in a type and a shared memory.
  EXPECT_EQ(named(module_with({{1, type_section({0x7b}, {})}, {5, payload({1, 0x03, 1, 1})}})),
            names_of({Feature::simd, Feature::threads}));
  // Tail calls and SIMD, in two bodies; exceptions from a tag section, memory64.
  Bytes m = module_of(
      {payload({0, 0x12, 0x00, 0x0b}),
       payload({0, 0xfd, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x1a, 0x0b})},
      {{5, payload({1, 0x04, 1})}, {13, payload({1, 0, 0})}});
  EXPECT_EQ(named(m),
            names_of({Feature::tail_call, Feature::simd, Feature::exceptions, Feature::memory64}));
}

TEST(FrontFeatureScan, Operators) {
  auto ops = [](std::initializer_list<uint8_t> code) {
    Bytes body{0};
    body.insert(body.end(), code.begin(), code.end());
    ScanReport report;
    FeatureSet f = scan_features(module_of({body}), &report);
    EXPECT_EQ(report.stopped, 0u);
    return f.names();
  };
  // Relaxed SIMD (needs v128.const too), an atomic, try_table, a multi-memory memarg.
  EXPECT_EQ(ops({0xfd, 0x0c, 0, 0, 0, 0, 0,    0,    0,    0,    0,   0,
                 0,    0,    0, 0, 0, 0, 0xfd, 0x80, 0x02, 0x1a, 0x0b}),
            names_of({Feature::simd, Feature::relaxed_simd}));
  EXPECT_EQ(ops({0x41, 0, 0x41, 1, 0xfe, 0x00, 0x02, 0x00, 0x1a, 0xfe, 0x03, 0x00, 0x0b}),
            names_of({Feature::threads}));
  EXPECT_EQ(ops({0x1f, 0x40, 1, 0x02, 0x00, 0x0b, 0x0b}), names_of({Feature::exnref}));
  EXPECT_EQ(ops({0x41, 0, 0x28, 0x42, 0x01, 0x00, 0x1a, 0x0b}), names_of({Feature::multi_memory}));
  EXPECT_EQ(ops({0x3f, 0x01, 0x1a, 0x0b}), names_of({Feature::multi_memory}));
  // A memarg offset beyond 32 bits.
  EXPECT_EQ(ops({0x42, 0, 0x29, 0x03, 0x80, 0x80, 0x80, 0x80, 0x10, 0x1a, 0x0b}),
            names_of({Feature::memory64}));
  // Legacy exceptions, typed references, a v128 block type and a v128 local.
  EXPECT_EQ(ops({0x06, 0x40, 0x19, 0x0b, 0xd4, 0x0b}),
            names_of({Feature::exceptions, Feature::function_references}));
  EXPECT_EQ(ops({0x02, 0x7b, 0x00, 0x0b, 0x0b}), names_of({Feature::simd}));
  // GC operators are skipped by their own immediates: the scan goes on after them.
  EXPECT_EQ(ops({0xfb, 0x00, 0x00, 0xfb, 0x02, 0x00, 0x01, 0xfb, 0x18, 0x03, 0x00, 0x6e, 0x6c, 0x1a,
                 0x12, 0x00, 0x0b}),
            names_of({Feature::gc, Feature::tail_call}));
  // A wide-arithmetic operator.
  EXPECT_EQ(ops({0xfc, 0x15, 0x1a, 0x1a, 0x0b}), names_of({Feature::wide_arithmetic}));
}

TEST(FrontFeatureScan, ConstantExpressionsImportsExports) {
  // extended-const: i32.add in a global's initialiser (but not in a body).
  EXPECT_EQ(named(module_with({{6, payload({1, 0x7f, 0, 0x41, 1, 0x41, 2, 0x6a, 0x0b})}})),
            names_of({Feature::extended_const}));
  EXPECT_TRUE(scan(module_of({payload({0, 0x41, 1, 0x41, 2, 0x6a, 0x1a, 0x0b})})).empty());
  // In an active data segment's offset and an element segment's expressions (flags 4).
  EXPECT_EQ(named(module_with({{11, payload({1, 0, 0x41, 1, 0x41, 2, 0x6c, 0x0b, 0})}})),
            names_of({Feature::extended_const}));
  EXPECT_EQ(named(module_with({{9, payload({1, 4, 0x41, 0, 0x0b, 1, 0xd2, 0, 0x0b})}})), "");
  EXPECT_EQ(named(module_with({{9, payload({1, 5, 0x6e, 1, 0xd0, 0x6e, 0x0b})}})),
            names_of({Feature::gc}));
  // A v128 global (SIMD) and a GC constant expression.
  EXPECT_EQ(named(module_with({{6, payload({1, 0x7b, 0, 0xfd, 0x0c, 0, 0, 0, 0, 0, 0,
                                            0, 0,    0, 0,    0,    0, 0, 0, 0, 0, 0x0b})}})),
            names_of({Feature::simd}));
  EXPECT_EQ(named(module_with({{6, payload({1, 0x6c, 0, 0x41, 7, 0xfb, 0x1c, 0x0b})}})),
            names_of({Feature::gc}));
  // Tag imports and exports; data in a second memory.
  Bytes imports{1};
  put_name(imports, "env");
  put_name(imports, "tag");
  put_bytes(imports, {0x04, 0x00, 0x00});
  EXPECT_EQ(named(module_with({{1, type_section({}, {})}, {2, imports}})),
            names_of({Feature::exceptions}));
  Bytes exports{1};
  put_name(exports, "tag");
  put_bytes(exports, {0x04, 0x00});
  EXPECT_EQ(named(module_with({{7, exports}})), names_of({Feature::exceptions}));
  EXPECT_EQ(named(module_with({{11, payload({1, 2, 1, 0x41, 0, 0x0b, 0})}})),
            names_of({Feature::multi_memory}));
  // A table with an initialiser (typed function references).
  EXPECT_EQ(named(module_with({{4, payload({1, 0x40, 0x00, 0x70, 0x00, 1, 0xd0, 0x70, 0x0b})}})),
            names_of({Feature::function_references}));
}

TEST(FrontFeatureScan, ComponentBinary) {
  Bytes component{0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};
  EXPECT_EQ(named(component), names_of({Feature::component_model}));
  // With a core module section (id 1) holding a module: still a component, nothing more.
  Bytes core = module_with({{1, type_section({0x7b}, {})}});
  put_section(component, 1, core);
  EXPECT_EQ(named(component), names_of({Feature::component_model}));
  // A pre-release component version.
  EXPECT_EQ(named({0x00, 0x61, 0x73, 0x6d, 0x0a, 0x00, 0x01, 0x00}),
            names_of({Feature::component_model}));
}

TEST(FrontFeatureScan, ABrokenPartEndsOnlyThatPart) {
  // The first body has an unassigned opcode; the second one's SIMD is still found.
  ScanReport report;
  Bytes m = module_of({payload({0, 0x27, 0xfd, 0x0c, 0x0b}),
                       payload({0, 0xfd, 0x0f, 0x0b})},  // (no operand: the scan does not care)
                      {{5, payload({1, 0x03, 1, 1})}});
  EXPECT_EQ(scan(m, &report).names(), names_of({Feature::simd, Feature::threads}));
  EXPECT_EQ(report.stopped, 1u);
  // A malformed type section does not hide the shared memory after it.
  Bytes m2 = module_with({{1, payload({1, 0x60, 0xff, 0xff})}, {5, payload({1, 0x03, 1, 1})}});
  EXPECT_EQ(named(m2), names_of({Feature::threads}));
  // An unknown section id ends the scan quietly, with what was found before it.
  Bytes m3 = module_with({{5, payload({1, 0x03, 1, 1})}, {42, payload({1, 2, 3})}});
  report = {};
  EXPECT_EQ(scan(m3, &report).names(), names_of({Feature::threads}));
  EXPECT_EQ(report.stopped, 1u);
  // Counts far beyond the bytes.
  EXPECT_TRUE(scan(module_with({{1, payload({0xff, 0xff, 0xff, 0xff, 0x0f})}})).empty());
  EXPECT_TRUE(scan(module_with({{10, payload({0xff, 0xff, 0xff, 0xff, 0x0f, 0x02})}})).empty());
}

// A module that uses many proposals, cut at every length and mutated at every byte: the scan
// never crashes, and what a prefix names is part of what the whole module names.
TEST(FrontFeatureScan, TruncatedAndMutatedInputNeverCrashes) {
  Bytes m = module_of({payload({1, 1, 0x7b, 0x12, 0x00, 0x0b}),
                       payload({0, 0x41, 0, 0xfe, 0x10, 0x02, 0x00, 0x1a, 0xfb, 0x1e, 0x0b})},
                      {{5, payload({2, 0x03, 1, 1, 0x04, 1})},
                       {6, payload({1, 0x7f, 0, 0x41, 1, 0x41, 2, 0x6a, 0x0b})},
                       {13, payload({1, 0, 0})}});
  FeatureSet all = scan(m);
  EXPECT_EQ(all.names(), names_of({Feature::simd, Feature::tail_call, Feature::threads, Feature::gc,
                                   Feature::memory64, Feature::multi_memory,
                                   Feature::extended_const, Feature::exceptions}));
  for (size_t n = 0; n <= m.size(); ++n) {
    Bytes cut(m.begin(), m.begin() + static_cast<ptrdiff_t>(n));
    FeatureSet f = scan(cut);
    EXPECT_TRUE(f.minus(all).empty()) << n << ": " << f.names();
  }
  for (size_t i = 8; i < m.size(); ++i) {
    for (uint8_t v : {0x00, 0x01, 0x40, 0x7f, 0x80, 0xfd, 0xff}) {
      Bytes mutant = m;
      mutant[i] = v;
      (void)scan(mutant);
    }
  }
}

// Proposals a corpus script uses beyond its folder's FEATURES: wast2json converted the proposal
// folders with its defaults, SIMD included, and multi-memory's memory-multi.wast loads v128 lanes
// from a second memory.
FeatureSet script_extras(const std::string& folder, const front_corpus::CorpusModule& m) {
  FeatureSet extra;
  if (folder == "multi-memory" && m.script.stem() == "memory-multi") extra.add(Feature::simd);
  return extra;
}

// Over the whole corpus: core's valid modules need nothing and scan to the end; each proposal
// folder's valid modules need nothing beyond its FEATURES, and the folder's proposal is found.
TEST(FrontFeatureScan, SpecCorpus) {
  WISP_REQUIRE_SPEC_CORPUS(front_corpus::spec_dir());
  using namespace front_corpus;
  size_t core_valid = 0;
  for (const CorpusModule& m : corpus_modules("core")) {
    ScanReport report;
    FeatureSet f = scan_features(read_bytes(m.wasm), &report);
    if (!m.valid()) continue;
    ++core_valid;
    EXPECT_TRUE(f.empty()) << m.where() << ": " << f.names();
    EXPECT_EQ(report.stopped, 0u) << m.where() << ": stopped at " << report.first_stop;
  }
  EXPECT_GT(core_valid, 1000u);
  for (const std::string& folder : proposal_folders()) {
    FeatureSet features = folder_features(folder), seen;
    for (const CorpusModule& m : corpus_modules(folder)) {
      ScanReport report;
      FeatureSet f = scan_features(read_bytes(m.wasm), &report);
      if (!m.valid()) continue;
      seen.add(f);
      FeatureSet allowed = features;
      allowed.add(script_extras(folder, m));
      EXPECT_TRUE(f.minus(allowed).empty()) << folder << "/" << m.where() << ": " << f.names();
      EXPECT_EQ(report.stopped, 0u)
          << folder << "/" << m.where() << ": stopped at " << report.first_stop;
    }
    EXPECT_TRUE(features.minus(seen).empty()) << folder << ": found only " << seen.names();
  }
}

}  // namespace
}  // namespace wisp::test
