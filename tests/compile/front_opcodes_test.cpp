// The front end's opcode table (opcodes_*.def, find_op): known operators have their exact codes,
// immediates, signatures, proposals and access sizes; no two rows share a code; unassigned codes
// find nothing; and the table covers every operator of the SIMD and threads spec corpora (the
// proposal scan reads every function body of their valid modules to the end, naming no proposal
// beyond the folder's FEATURES).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "compile/front/feature_scan.hpp"
#include "compile/front/opcodes.hpp"
#include "front_corpus.hpp"

namespace wisp::test {
namespace {

using namespace detail::front;

struct Row {
  const char* name;
  uint32_t code;
  const char* text;
  Imm imm;
  const char* sig;
  uint32_t feature;
  uint8_t bytes;
  int file;  // 0 core, 1 simd, 2 threads
};

std::vector<Row> all_rows() {
  std::vector<Row> rows;
#define OP(name, code, text, imm, sig, feature, bytes) \
  rows.push_back({#name, code, text, Imm::imm, sig, feat::feature, bytes, file});
  int file = 0;
#include "compile/front/opcodes_core.def"
  file = 1;
#include "compile/front/opcodes_simd.def"
  file = 2;
#include "compile/front/opcodes_threads.def"
#undef OP
  return rows;
}

TEST(FrontOpcodes, KnownOperators) {
  struct Want {
    uint32_t code;
    const char* text;
    Imm imm;
    const char* sig;
    uint32_t feature;
    uint8_t bytes;
  };
  const Want wants[] = {
      {0x6a, "i32.add", Imm::None, "ii>i", feat::none, 0},
      {0x28, "i32.load", Imm::Memarg, "a>i", feat::none, 4},
      {0xfc000a, "memory.copy", Imm::MemoryCopy, "", feat::none, 0},
      {0xfd0000, "v128.load", Imm::Memarg, "a>v", feat::simd, 16},
      {0xfd0001, "v128.load8x8_s", Imm::Memarg, "a>v", feat::simd, 8},
      {0xfd0007, "v128.load8_splat", Imm::Memarg, "a>v", feat::simd, 1},
      {0xfd000a, "v128.load64_splat", Imm::Memarg, "a>v", feat::simd, 8},
      {0xfd000b, "v128.store", Imm::Memarg, "av>", feat::simd, 16},
      {0xfd000c, "v128.const", Imm::V128, ">v", feat::simd, 0},
      {0xfd000d, "i8x16.shuffle", Imm::Shuffle, "vv>v", feat::simd, 0},
      {0xfd0015, "i8x16.extract_lane_s", Imm::Lane, "v>i", feat::simd, 0},
      {0xfd001e, "i64x2.replace_lane", Imm::Lane, "vI>v", feat::simd, 0},
      {0xfd0022, "f64x2.replace_lane", Imm::Lane, "vF>v", feat::simd, 0},
      {0xfd0052, "v128.bitselect", Imm::None, "vvv>v", feat::simd, 0},
      {0xfd0053, "v128.any_true", Imm::None, "v>i", feat::simd, 0},
      {0xfd0054, "v128.load8_lane", Imm::MemargLane, "av>v", feat::simd, 1},
      {0xfd0057, "v128.load64_lane", Imm::MemargLane, "av>v", feat::simd, 8},
      {0xfd005b, "v128.store64_lane", Imm::MemargLane, "av>", feat::simd, 8},
      {0xfd005c, "v128.load32_zero", Imm::Memarg, "a>v", feat::simd, 4},
      {0xfd005d, "v128.load64_zero", Imm::Memarg, "a>v", feat::simd, 8},
      {0xfd006b, "i8x16.shl", Imm::None, "vi>v", feat::simd, 0},
      {0xfd0094, "f64x2.nearest", Imm::None, "v>v", feat::simd, 0},
      {0xfd00ba, "i32x4.dot_i16x8_s", Imm::None, "vv>v", feat::simd, 0},
      {0xfd00d6, "i64x2.eq", Imm::None, "vv>v", feat::simd, 0},
      {0xfd00ff, "f64x2.convert_low_i32x4_u", Imm::None, "v>v", feat::simd, 0},
      {0xfd0100, "i8x16.relaxed_swizzle", Imm::None, "vv>v", feat::relaxed_simd, 0},
      {0xfd0105, "f32x4.relaxed_madd", Imm::None, "vvv>v", feat::relaxed_simd, 0},
      {0xfd0112, "i16x8.relaxed_dot_i8x16_i7x16_s", Imm::None, "vv>v", feat::relaxed_simd, 0},
      {0xfd0113, "i32x4.relaxed_dot_i8x16_i7x16_add_s", Imm::None, "vvv>v", feat::relaxed_simd, 0},
      {0xfe0000, "memory.atomic.notify", Imm::Memarg, "ai>i", feat::threads, 4},
      {0xfe0001, "memory.atomic.wait32", Imm::Memarg, "aiI>i", feat::threads, 4},
      {0xfe0002, "memory.atomic.wait64", Imm::Memarg, "aII>i", feat::threads, 8},
      {0xfe0003, "atomic.fence", Imm::AtomicFence, ">", feat::threads, 0},
      {0xfe0010, "i32.atomic.load", Imm::Memarg, "a>i", feat::threads, 4},
      {0xfe0016, "i64.atomic.load32_u", Imm::Memarg, "a>I", feat::threads, 4},
      {0xfe001d, "i64.atomic.store32", Imm::Memarg, "aI>", feat::threads, 4},
      {0xfe001e, "i32.atomic.rmw.add", Imm::Memarg, "ai>i", feat::threads, 4},
      {0xfe0024, "i64.atomic.rmw32.add_u", Imm::Memarg, "aI>I", feat::threads, 4},
      {0xfe0041, "i32.atomic.rmw.xchg", Imm::Memarg, "ai>i", feat::threads, 4},
      {0xfe0048, "i32.atomic.rmw.cmpxchg", Imm::Memarg, "aii>i", feat::threads, 4},
      {0xfe004e, "i64.atomic.rmw32.cmpxchg_u", Imm::Memarg, "aII>I", feat::threads, 4},
  };
  for (const Want& w : wants) {
    const OpInfo* op = find_op(w.code);
    ASSERT_NE(op, nullptr) << w.text;
    EXPECT_EQ(op->code, w.code) << w.text;
    EXPECT_STREQ(op->text, w.text);
    EXPECT_EQ(op->imm, w.imm) << w.text;
    EXPECT_STREQ(op->sig, w.sig) << w.text;
    EXPECT_EQ(op->feature, w.feature) << w.text;
    EXPECT_EQ(op->bytes, w.bytes) << w.text;
  }
  // The enum names the same codes.
  EXPECT_EQ(Op::I8x16Shuffle, 0xfd000du);
  EXPECT_EQ(Op::I32x4DotI16x8S, 0xfd00bau);
  EXPECT_EQ(Op::F32x4RelaxedMadd, 0xfd0105u);
  EXPECT_EQ(Op::I32AtomicRmw8CmpxchgU, 0xfe004au);
  EXPECT_EQ(Op::AtomicFence, 0xfe0003u);
}

TEST(FrontOpcodes, EveryRowIsFoundAndNoCodeTwice) {
  std::vector<Row> rows = all_rows();
  std::set<uint32_t> codes;
  std::set<std::string> names;
  size_t per_file[3] = {}, relaxed = 0;
  for (const Row& r : rows) {
    EXPECT_TRUE(codes.insert(r.code).second) << "two rows have code 0x" << std::hex << r.code;
    EXPECT_TRUE(names.insert(r.name).second) << "two rows are named " << r.name;
    const OpInfo* op = find_op(r.code);
    ASSERT_NE(op, nullptr) << r.name;
    EXPECT_EQ(op->code, r.code) << r.name;
    EXPECT_STREQ(op->text, r.text) << r.name;
    ++per_file[r.file];
    if (r.feature == feat::relaxed_simd) ++relaxed;
  }
  // SIMD: 236 operators (256 sub-opcodes, 20 unassigned) and relaxed SIMD's 20; threads: 67.
  EXPECT_EQ(per_file[1], 256u);
  EXPECT_EQ(relaxed, 20u);
  EXPECT_EQ(per_file[2], 67u);
}

TEST(FrontOpcodes, UnassignedCodesFindNothing) {
  const uint32_t simd_gaps[] = {0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb,
                                0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee};
  for (uint32_t sub : simd_gaps) EXPECT_EQ(find_op(0xfd0000 | sub), nullptr) << sub;
  for (uint32_t sub = 0; sub < 0x100; ++sub) {
    bool gap = false;
    for (uint32_t g : simd_gaps) gap |= g == sub;
    EXPECT_EQ(find_op(0xfd0000 | sub) == nullptr, gap) << "0xfd " << sub;
  }
  for (uint32_t sub = 0x04; sub < 0x10; ++sub) EXPECT_EQ(find_op(0xfe0000 | sub), nullptr);
  const uint32_t none[] = {0x27,     0xfb,     0xfc,     0xfd,      0xfe,      0xff,
                           0x100,    0xfb0000, 0xfc0012, 0xfc0017,  0xfd0114,  0xfdffff,
                           0xfe004f, 0xfeffff, 0xff0000, 0x1fd0000, 0xffffffff};
  for (uint32_t c : none) EXPECT_EQ(find_op(c), nullptr) << std::hex << c;
}

// Signatures are operand letters '>' result letters; memory operators (and only they) have an
// access size; every SIMD operator involves a v128; every atomic's size matches its name.
TEST(FrontOpcodes, SignaturesAndSizesAreConsistent) {
  for (const Row& r : all_rows()) {
    std::string_view sig = r.sig;
    if (!sig.empty()) {
      EXPECT_EQ(std::count(sig.begin(), sig.end(), '>'), 1) << r.name;
      for (char c : sig) EXPECT_NE(std::strchr("iIfFva>", c), nullptr) << r.name << " " << sig;
    }
    const bool memory = r.imm == Imm::Memarg || r.imm == Imm::MemargLane;
    if (memory) {
      EXPECT_TRUE(r.bytes == 1 || r.bytes == 2 || r.bytes == 4 || r.bytes == 8 || r.bytes == 16)
          << r.name;
      EXPECT_EQ(sig.substr(0, 1), "a") << r.name;
    } else {
      EXPECT_EQ(r.bytes, 0) << r.name;
    }
    if (r.file == 1) {
      EXPECT_NE(sig.find('v'), std::string_view::npos) << r.name;
      EXPECT_TRUE(r.feature == feat::simd || r.feature == feat::relaxed_simd) << r.name;
    }
    if (r.file == 2) {
      EXPECT_EQ(r.feature, feat::threads) << r.name;
      if (r.code == Op::AtomicFence) continue;
      std::string_view text = r.text;
      unsigned bits = text.starts_with("i64") ? 64 : 32;
      for (unsigned narrow : {8u, 16u, 32u}) {
        std::string n = std::to_string(narrow);
        if (text.find("load" + n + "_") != text.npos || text.find("store" + n) != text.npos ||
            text.find("rmw" + n + ".") != text.npos || text.find("wait" + n) != text.npos)
          bits = narrow;
      }
      if (text.find("wait64") != text.npos) bits = 64;
      EXPECT_EQ(r.bytes, bits / 8) << r.text;
    }
  }
}

// Every operator in the SIMD and threads corpora is in the table: the scan of each valid
// module reads every function body to its end, and names the folder's proposal (and no other).
void check_folder_covered(const std::string& folder) {
  using namespace front_corpus;
  FeatureSet allowed = folder_features(folder);
  FeatureSet seen;
  size_t valid = 0;
  for (const CorpusModule& m : corpus_modules(folder)) {
    std::vector<uint8_t> bytes = read_bytes(m.wasm);
    ScanReport report;
    FeatureSet used = scan_features(bytes, &report);
    if (!m.valid()) continue;  // invalid and malformed ones: only that the scan survives them
    ++valid;
    seen.add(used);
    EXPECT_EQ(report.stopped, 0u) << m.where() << ": the scan stopped at byte "
                                  << report.first_stop;
    EXPECT_TRUE(used.minus(allowed).empty())
        << m.where() << " names " << used.minus(allowed).names() << " beyond FEATURES";
  }
  EXPECT_GT(valid, 50u) << folder;
  EXPECT_TRUE(allowed.minus(seen).empty()) << folder << ": never named " << allowed.names();
}

TEST(FrontOpcodes, CoversTheSimdCorpus) {
  WISP_REQUIRE_SPEC_CORPUS(front_corpus::spec_dir());
  check_folder_covered("simd");
}
TEST(FrontOpcodes, CoversTheThreadsCorpus) {
  WISP_REQUIRE_SPEC_CORPUS(front_corpus::spec_dir());
  check_folder_covered("threads");
}

}  // namespace
}  // namespace wisp::test
