// The opcode table behind find_op: every OP(...) row of the three .def files in one constant
// array, and a dense index built at compile time (one slot per single-byte opcode, then one per
// sub-opcode of the 0xfc, 0xfd and 0xfe prefixes up to the largest one in use), so a lookup is a
// bounds check and two loads. Two rows with the same code fail the build.
#include <array>
#include <cstddef>
#include <cstdint>

#include "compile/front/opcodes.hpp"

namespace wisp::detail::front {
namespace {

constexpr OpInfo kOps[] = {
#define OP(name, code, text, imm, sig, feature, bytes) \
  {code, text, Imm::imm, sig, feat::feature, bytes},
#include "compile/front/opcodes_core.def"
#include "compile/front/opcodes_simd.def"
#include "compile/front/opcodes_threads.def"
#undef OP
};
constexpr size_t kNumOps = sizeof(kOps) / sizeof(kOps[0]);
static_assert(kNumOps < 0xffff, "the index holds 16-bit entries");

// The prefixes with sub-opcodes in the table, and how many slots each needs.
constexpr uint32_t kPrefixes[] = {0xfc, 0xfd, 0xfe};
constexpr size_t kNumPrefixes = sizeof(kPrefixes) / sizeof(kPrefixes[0]);

constexpr uint32_t prefix_slots(uint32_t prefix) {
  uint32_t n = 0;
  for (const OpInfo& op : kOps)
    if ((op.code >> 16) == prefix && (op.code & 0xffff) + 1 > n) n = (op.code & 0xffff) + 1;
  return n;
}

struct Layout {
  std::array<uint32_t, kNumPrefixes> base{};  // first slot of each prefix
  std::array<uint32_t, kNumPrefixes> size{};  // slots of each prefix
  uint32_t total = 256;
};

constexpr Layout make_layout() {
  Layout l;
  for (size_t p = 0; p < kNumPrefixes; ++p) {
    l.base[p] = l.total;
    l.size[p] = prefix_slots(kPrefixes[p]);
    l.total += l.size[p];
  }
  return l;
}
constexpr Layout kLayout = make_layout();

// The slot of a code, or -1 when no table slot can hold it.
constexpr int64_t slot_of(uint32_t code) {
  if (code < 0x100) return code;
  const uint32_t prefix = code >> 16, sub = code & 0xffff;
  for (size_t p = 0; p < kNumPrefixes; ++p)
    if (prefix == kPrefixes[p]) return sub < kLayout.size[p] ? int64_t(kLayout.base[p] + sub) : -1;
  return -1;
}

// Slot -> 1 + the row's index in kOps (0: no operator). A code outside the layout or a duplicate
// code throws, which makes the constant evaluation, and so the build, fail.
constexpr std::array<uint16_t, kLayout.total> make_index() {
  std::array<uint16_t, kLayout.total> index{};
  for (size_t i = 0; i < kNumOps; ++i) {
    const uint32_t code = kOps[i].code;
    if (code >= 0x100 && (code >> 16) != 0xfc && (code >> 16) != 0xfd && (code >> 16) != 0xfe)
      throw "an opcode is neither one byte nor a 0xfc/0xfd/0xfe sub-opcode";
    const int64_t slot = slot_of(code);
    if (slot < 0) throw "an opcode has no slot";
    if (index[static_cast<size_t>(slot)] != 0) throw "two operators have the same code";
    index[static_cast<size_t>(slot)] = static_cast<uint16_t>(i + 1);
  }
  return index;
}
constexpr std::array<uint16_t, kLayout.total> kIndex = make_index();

constexpr const OpInfo* lookup(uint32_t code) {
  const int64_t slot = slot_of(code);
  if (slot < 0) return nullptr;
  const uint16_t i = kIndex[static_cast<size_t>(slot)];
  return i ? &kOps[i - 1] : nullptr;
}

// Spot checks of the layout (the tests check every row). `row` is -1 for a code without operator.
constexpr int64_t row(uint32_t code) {
  const int64_t slot = slot_of(code);
  return slot < 0 ? -1 : int64_t(kIndex[static_cast<size_t>(slot)]) - 1;
}
static_assert(row(Op::I32Add) >= 0 && kOps[row(Op::I32Add)].code == 0x6a);
static_assert(kOps[row(Op::V128Load)].bytes == 16);
static_assert(kOps[row(0xfd0113)].feature == feat::relaxed_simd);
static_assert(kOps[row(0xfe0003)].imm == Imm::AtomicFence);
static_assert(row(0xfd009a) < 0 && row(0xfb0000) < 0 && row(0x27) < 0 && row(0xfc) < 0);
static_assert(row(0xfc0017) < 0 && row(0xfd0114) < 0 && row(0xfe004f) < 0 && row(0xfdffff) < 0);

}  // namespace

static constexpr std::array<const OpInfo*, 256> make_one_byte_ops() {
  std::array<const OpInfo*, 256> ops{};
  for (uint32_t c = 0; c < 256; ++c) ops[c] = lookup(c);
  return ops;
}

extern constexpr std::array<const OpInfo*, 256> kOneByteOps = make_one_byte_ops();

const OpInfo* find_prefixed_op(uint32_t code) {
  return lookup(code);
}

}  // namespace wisp::detail::front
