// Mutation fuzzing over the spec corpus (core, SIMD and exception handling): bad input must never
// crash, abort or hang the process.
//
// Each mutant is a spec-corpus module (3/4 of the time one that validates, else one of the
// corpus's malformed/invalid modules) with 1-4 deterministic mutations: bit flips, byte
// insert/delete, LEB128 overwrites (0xff.., over-long, unterminated), truncation, section-size
// and vector-count corruption, duplicated/moved sections, and mutations inside one section or
// one function body that keep the sizes consistent (random instructions, opcode swaps within a
// signature group, extreme constants and memory offsets), so that many mutants get past the
// reader into the validator, the C translation and the runtime. Every mutant is compiled on
// tier 0; if it compiles it is instantiated with lenient imports (host functions of the declared
// type, globals/tables/memory from a provider instance) and every export is exercised: each
// function is called with zero arguments, then with extreme ones, under a watchdog that
// interrupts any call still running after 200 ms. Any wisp::Error (CompileError, LinkError,
// Trap) is fine; another exception, a crash, an abort or a hang is a failure.
//
// The mutants run in forked children: when one dies the parent saves the mutant under
// WISP_FUZZ_OUT_DIR (seed, index, mutations and bytes in hex, plus the raw .wasm) and goes on
// with the next mutant in a fresh child. Reproduce one in-process (for gdb) with
//   WISP_FUZZ_REPLAY=<file.wasm> or WISP_FUZZ_INDEX=<index>  wisp_unit_tests
//       --gtest_filter=MutationFuzz.Replay
// Knobs: WISP_FUZZ_SEED (default below), WISP_FUZZ_MUTANTS (default 3000), WISP_FUZZ_VERBOSE
// (log every mutant), WISP_FUZZ_CRASH_AT=<index> (self-test: abort the child on that mutant).
// MutationFuzz.SavedCrashers replays the minimised crashes found so far (same child harness).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/binary.hpp"
#include "support/rng.hpp"
#include "support/spec_corpus.hpp"
#include "support/wat.hpp"
#include "wisp/wisp.hpp"

#ifndef WISP_SPEC_CORE_DIR
#error "WISP_SPEC_CORE_DIR must name the spec corpus (tests/CMakeLists.txt)"
#endif
#ifndef WISP_FUZZ_OUT_DIR
#error "WISP_FUZZ_OUT_DIR must name where crashing mutants are saved (tests/CMakeLists.txt)"
#endif

namespace wisp::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kDefaultSeed = 0x5eed'f00d'2024'0001ULL;
constexpr size_t kDefaultMutants = 3000;
constexpr auto kCallTimeout = std::chrono::milliseconds(200);
constexpr auto kMutantCallBudget = std::chrono::milliseconds(1500);
constexpr auto kHangTimeout = std::chrono::seconds(20);  // one mutant, compile included
constexpr size_t kMaxFailures = 25;

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 0) : fallback;
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness (splitmix64; no std distributions, whose output is unspecified).

using wisp::test::Rng;

// ---------------------------------------------------------------------------------------------
// The corpus and the mutators.

struct Section {
  uint8_t id;
  size_t start;          // the id byte
  size_t size_pos;       // first byte of the size LEB
  size_t payload_start;  // first payload byte
  size_t end;            // one past the payload
};

bool read_leb(const Bytes& b, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; pos < b.size() && shift < 64; shift += 7) {
    uint8_t byte = b[pos++];
    value |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

// The well-formed prefix of the section list.
std::vector<Section> sections_of(const Bytes& b) {
  std::vector<Section> out;
  size_t pos = 8;
  while (pos < b.size()) {
    Section s{b[pos], pos, pos + 1, 0, 0};
    size_t p = pos + 1;
    uint64_t size = 0;
    if (!read_leb(b, p, size) || size > b.size() - p) break;
    s.payload_start = p;
    s.end = p + size;
    out.push_back(s);
    pos = s.end;
  }
  return out;
}

Bytes leb(uint64_t v) {
  Bytes out;
  put_leb(out, v);
  return out;
}

void splice(Bytes& b, size_t pos, size_t erase, const Bytes& insert) {
  pos = std::min(pos, b.size());
  erase = std::min(erase, b.size() - pos);
  b.erase(b.begin() + static_cast<ptrdiff_t>(pos), b.begin() + static_cast<ptrdiff_t>(pos + erase));
  b.insert(b.begin() + static_cast<ptrdiff_t>(pos), insert.begin(), insert.end());
}

// A position to mutate: usually after the header, sometimes anywhere.
size_t pick_pos(Rng& r, const Bytes& b) {
  if (b.size() > 8 && !r.chance(3)) return 8 + r.below(b.size() - 8);
  return r.below(b.size());
}

const uint8_t kInteresting[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, 0x40, 0x41, 0x0b,
                                0x0c, 0x0d, 0x0e, 0x10, 0x11, 0x20, 0x21, 0x3f, 0x6f,
                                0x70, 0x7b, 0x7c, 0x7d, 0x7e, 0xfc, 0xfd, 0xfe, 0xd0};

const Bytes kLebPatterns[] = {
    {0xff, 0xff, 0xff, 0xff, 0x0f},                                // 2^32-1
    {0xff, 0xff, 0xff, 0xff, 0x07},                                // 2^31-1
    {0x80, 0x80, 0x80, 0x80, 0x08},                                // 2^31
    {0xff, 0xff, 0xff, 0xff, 0x7f},                                // too many bits for u32
    {0x80, 0x80, 0x80, 0x80, 0x00},                                // over-long zero
    {0x80, 0x80, 0x80, 0x80, 0x80, 0x00},                          // over-long, six bytes
    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},  // 2^64-1
    {0x80, 0x80, 0x80},                                            // unterminated
    {0x40},                                                        // -64 / 64
    {0x7f},                                                        // -1 / 127
    {0xff, 0xff, 0x03},                                            // 65535
    {0x81, 0x80, 0x04},                                            // 65537
};

// Opcodes for the code section: a random byte, a prefixed op, or an op with an immediate.
Bytes random_instruction(Rng& r) {
  switch (r.below(6)) {
    case 0:
      return {static_cast<uint8_t>(r.next())};
    case 5: {  // post-MVP control and reference ops (the feature-diagnosis retries parse them)
      const uint8_t ops[] = {0x06, 0x07, 0x08, 0x09, 0x12, 0x13, 0x14, 0x15, 0x18,
                             0x19, 0x1f, 0xd3, 0xd4, 0xd5, 0xd6, 0x63, 0x64};
      Bytes out{ops[r.below(sizeof ops)]};
      if (r.chance(80)) put_leb(out, r.below(r.chance(70) ? 3 : 1000));
      return out;
    }
    case 1: {
      const uint8_t prefixes[] = {0xfc, 0xfd, 0xfb, 0xfe};
      Bytes out{prefixes[r.below(4)]};
      put_leb(out, r.below(r.chance(50) ? 20 : 300));
      return out;
    }
    case 2:
      return {static_cast<uint8_t>(0x45 + r.below(0xc4 - 0x45 + 1))};  // numeric ops
    case 3: {  // memory op with align / offset immediates
      Bytes out{static_cast<uint8_t>(0x28 + r.below(0x3e - 0x28 + 1)),
                static_cast<uint8_t>(r.below(6))};
      put_leb(out, r.chance(50) ? r.below(16) : (r.next() & 0xffffffffu));
      return out;
    }
    default: {  // control / variable ops with an index
      const uint8_t ops[] = {0x02, 0x03, 0x04, 0x0c, 0x0d, 0x0e, 0x10, 0x11, 0x1c,
                             0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0xd2};
      Bytes out{ops[r.below(sizeof ops)]};
      put_leb(out, r.below(r.chance(70) ? 4 : 100000));
      return out;
    }
  }
}

// Mutates a range [lo, hi) of `b` in place (insert, delete, overwrite, flip, LEB pattern,
// random instruction); returns the size change and appends a description to `d`.
int64_t mutate_range(Rng& r, Bytes& b, size_t lo, size_t hi, std::ostringstream& d) {
  size_t pos = lo + r.below(hi - lo);
  Bytes ins;
  size_t erase = 0;
  switch (r.below(6)) {
    case 0:
      b[pos] ^= static_cast<uint8_t>(1u << r.below(8));
      d << "flip@" << pos;
      return 0;
    case 1:
      b[pos] = r.chance(50) ? kInteresting[r.below(sizeof kInteresting)]
                            : static_cast<uint8_t>(r.next());
      d << "set@" << pos << "=" << int(b[pos]);
      return 0;
    case 2:
      erase = 1 + r.below(std::min<size_t>(4, hi - pos));
      d << "delete@" << pos << "-" << erase;
      break;
    case 3:
      ins = kLebPatterns[r.below(std::size(kLebPatterns))];
      if (r.chance(50)) erase = std::min(ins.size(), hi - pos);
      d << "leb@" << pos << "x" << ins.size() << "-" << erase;
      break;
    default:
      ins = random_instruction(r);
      if (r.chance(30)) erase = std::min(ins.size(), hi - pos);
      d << "op@" << pos << "x" << ins.size() << "-" << erase;
      break;
  }
  splice(b, pos, erase, ins);
  return static_cast<int64_t>(ins.size()) - static_cast<int64_t>(erase);
}

Bytes sleb(int64_t v) {
  Bytes out;
  for (;;) {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    out.push_back(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

// Groups of opcodes with one signature: swapping one for another keeps the body valid.
const std::vector<std::vector<uint8_t>>& opcode_groups() {
  static const std::vector<std::vector<uint8_t>> groups = [] {
    std::vector<std::vector<uint8_t>> g;
    auto range = [&](uint8_t a, uint8_t z) {
      std::vector<uint8_t> v;
      for (int x = a; x <= z; ++x) v.push_back(static_cast<uint8_t>(x));
      g.push_back(v);
    };
    range(0x46, 0x4f);                                        // i32 compare
    range(0x51, 0x5a);                                        // i64 compare
    range(0x5b, 0x60);                                        // f32 compare
    range(0x61, 0x66);                                        // f64 compare
    range(0x67, 0x69);                                        // i32 unary
    range(0x6a, 0x78);                                        // i32 binary
    range(0x79, 0x7b);                                        // i64 unary
    range(0x7c, 0x8a);                                        // i64 binary
    range(0x8b, 0x91);                                        // f32 unary
    range(0x92, 0x98);                                        // f32 binary
    range(0x99, 0x9f);                                        // f64 unary
    range(0xa0, 0xa6);                                        // f64 binary
    g.push_back({0x28, 0x2c, 0x2d, 0x2e, 0x2f});              // i32 loads
    g.push_back({0x29, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35});  // i64 loads
    g.push_back({0x36, 0x3a, 0x3b});                          // i32 stores
    g.push_back({0x37, 0x3c, 0x3d, 0x3e});                    // i64 stores
    g.push_back({0xa8, 0xa9});                                // i32.trunc_f32
    g.push_back({0xaa, 0xab});                                // i32.trunc_f64
    g.push_back({0xae, 0xaf});                                // i64.trunc_f32
    g.push_back({0xb0, 0xb1});                                // i64.trunc_f64
    g.push_back({0xb2, 0xb3});                                // f32.convert_i32
    g.push_back({0xb4, 0xb5});                                // f32.convert_i64
    g.push_back({0xb7, 0xb8});                                // f64.convert_i32
    g.push_back({0xb9, 0xba});                                // f64.convert_i64
    g.push_back({0x1a, 0x1a});  // drop (placeholder group: no-op swap)
    return g;
  }();
  return groups;
}

// A mutation likely to keep a function body valid: an opcode swapped for one of the same
// type, a constant or a memory offset replaced by an extreme value. Falls back to
// mutate_range when the body has no candidate.
int64_t mutate_semantic(Rng& r, Bytes& b, size_t lo, size_t hi, std::ostringstream& d) {
  unsigned what = static_cast<unsigned>(r.below(3));
  std::vector<size_t> cands;
  for (size_t p = lo; p < hi; ++p) {
    uint8_t op = b[p];
    bool hit = false;
    if (what == 0) {
      for (const auto& g : opcode_groups())
        hit = hit || (g.size() > 1 && std::find(g.begin(), g.end(), op) != g.end());
    } else if (what == 1) {
      hit = op == 0x41 || op == 0x42;
    } else {
      hit = op >= 0x28 && op <= 0x3e;
    }
    if (hit) cands.push_back(p);
  }
  if (cands.empty()) return mutate_range(r, b, lo, hi, d);
  size_t pos = cands[r.below(cands.size())];
  if (what == 0) {
    for (const auto& g : opcode_groups()) {
      if (g.size() > 1 && std::find(g.begin(), g.end(), b[pos]) != g.end()) {
        uint8_t to = g[r.below(g.size())];
        d << "swap-op@" << pos << ":" << int(b[pos]) << "->" << int(to);
        b[pos] = to;
        return 0;
      }
    }
    return 0;
  }
  // The LEB after the opcode (for a memory op: skip the alignment immediate).
  size_t p = pos + 1;
  uint64_t ignored = 0;
  if (what == 2 && !read_leb(b, p, ignored)) return mutate_range(r, b, lo, hi, d);
  size_t imm = p;
  if (!read_leb(b, p, ignored) || p > hi) return mutate_range(r, b, lo, hi, d);
  static const int64_t kValues[] = {0,         1,         -1,      0x7fffffff,
                                    INT32_MIN, 0xffff,    0x10000, 0xfffffff0,
                                    INT64_MIN, INT64_MAX, -65536,  0x7ffffffffffffLL};
  int64_t v = kValues[r.below(std::size(kValues))];
  Bytes enc;
  if (what == 1) {
    enc = sleb(b[pos] == 0x41 ? static_cast<int64_t>(static_cast<int32_t>(v)) : v);
  } else {
    enc = leb(static_cast<uint32_t>(v));
  }
  d << (what == 1 ? "const@" : "offset@") << pos << "=" << v;
  splice(b, imm, p - imm, enc);
  return static_cast<int64_t>(enc.size()) - static_cast<int64_t>(p - imm);
}

// A mutation that keeps the section (and, in the code section, the function body) sizes
// consistent, so that it reaches the validator and the code generator instead of the reader.
std::optional<std::string> mutate_structured(Rng& r, Bytes& b, const std::vector<Section>& secs) {
  std::vector<Section> nonempty;
  for (const Section& s : secs)
    if (s.end > s.payload_start && s.id != 0) nonempty.push_back(s);
  if (nonempty.empty()) return std::nullopt;
  // Prefer the code section: that is where the translator has most to do.
  const Section* code = nullptr;
  for (const Section& s : nonempty)
    if (s.id == 10) code = &s;
  const Section s = code && r.chance(65) ? *code : nonempty[r.below(nonempty.size())];
  std::ostringstream d;
  d << "in#" << int(s.id) << " ";
  size_t lo = s.payload_start, hi = s.end;
  size_t body_size_pos = 0, body_start = 0, body_end = 0;
  if (s.id == 10) {  // pick one function body
    size_t p = s.payload_start;
    uint64_t count = 0;
    std::vector<std::array<size_t, 3>> bodies;  // size pos, start, end
    if (read_leb(b, p, count)) {
      for (uint64_t i = 0; i < count && p < s.end; ++i) {
        size_t size_pos = p;
        uint64_t size = 0;
        if (!read_leb(b, p, size) || p > s.end || size > s.end - p) break;
        bodies.push_back({size_pos, p, p + static_cast<size_t>(size)});
        p += size;
      }
    }
    if (!bodies.empty()) {
      auto [sp, st, en] = bodies[r.below(bodies.size())];
      if (en > st) {
        body_size_pos = sp, body_start = st, body_end = en;
        lo = st, hi = en;
        d << "body@" << st << " ";
      }
    }
  }
  int64_t delta =
      body_end && r.chance(50) ? mutate_semantic(r, b, lo, hi, d) : mutate_range(r, b, lo, hi, d);
  if (delta != 0) {
    if (body_end) {  // re-encode the body size, then the section size
      Bytes new_size =
          leb(static_cast<uint64_t>(static_cast<int64_t>(body_end - body_start) + delta));
      size_t old_len = body_start - body_size_pos;
      splice(b, body_size_pos, old_len, new_size);
      delta += static_cast<int64_t>(new_size.size()) - static_cast<int64_t>(old_len);
    }
    splice(b, s.size_pos, s.payload_start - s.size_pos,
           leb(static_cast<uint64_t>(static_cast<int64_t>(s.end - s.payload_start) + delta)));
  }
  return d.str();
}

// Applies one mutation; returns its description.
std::string mutate_once(Rng& r, Bytes& b) {
  std::vector<Section> secs = sections_of(b);
  if (r.chance(65)) {
    if (auto d = mutate_structured(r, b, secs)) return *d;
  }
  std::ostringstream d;
  unsigned kind = static_cast<unsigned>(r.below(12));
  if (b.empty()) kind = 2;
  if (secs.empty() && (kind >= 7 && kind <= 10)) kind = 0;
  switch (kind) {
    case 0: {
      size_t pos = pick_pos(r, b);
      int bit = static_cast<int>(r.below(8));
      b[pos] ^= static_cast<uint8_t>(1u << bit);
      d << "flip@" << pos << ":" << bit;
      break;
    }
    case 1: {
      size_t pos = pick_pos(r, b);
      b[pos] = r.chance(50) ? kInteresting[r.below(sizeof kInteresting)]
                            : static_cast<uint8_t>(r.next());
      d << "set@" << pos << "=" << int(b[pos]);
      break;
    }
    case 2: {
      size_t pos = b.empty() ? 0 : pick_pos(r, b) + r.below(2);
      Bytes ins(1 + r.below(4));
      for (auto& x : ins)
        x = r.chance(50) ? kInteresting[r.below(sizeof kInteresting)]
                         : static_cast<uint8_t>(r.next());
      splice(b, pos, 0, ins);
      d << "insert@" << pos << "+" << ins.size();
      break;
    }
    case 3: {
      size_t pos = pick_pos(r, b);
      size_t n = 1 + r.below(4);
      splice(b, pos, n, {});
      d << "delete@" << pos << "-" << n;
      break;
    }
    case 4: {
      size_t pos = pick_pos(r, b);
      const Bytes& pat = kLebPatterns[r.below(std::size(kLebPatterns))];
      bool overwrite = r.chance(60);
      splice(b, pos, overwrite ? pat.size() : 0, pat);
      d << (overwrite ? "leb-overwrite@" : "leb-insert@") << pos << "x" << pat.size();
      break;
    }
    case 5: {
      size_t len = r.below(b.size());
      b.resize(len);
      d << "truncate=" << len;
      break;
    }
    case 6: {  // copy a chunk of the module over another place
      size_t from = r.below(b.size()), to = pick_pos(r, b);
      size_t n = 1 + r.below(std::min<size_t>(16, b.size() - from));
      Bytes chunk(b.begin() + static_cast<ptrdiff_t>(from),
                  b.begin() + static_cast<ptrdiff_t>(from + n));
      splice(b, to, r.chance(50) ? n : 0, chunk);
      d << "chunk " << from << "+" << n << "->" << to;
      break;
    }
    case 7: {  // section size corruption
      const Section& s = secs[r.below(secs.size())];
      uint64_t size = s.end - s.payload_start, v;
      switch (r.below(6)) {
        case 0:
          v = size + 1;
          break;
        case 1:
          v = size ? size - 1 : 1;
          break;
        case 2:
          v = 0;
          break;
        case 3:
          v = size * 2 + 1;
          break;
        case 4:
          v = 0xffffffffu;
          break;
        default:
          v = r.below(size + 16);
          break;
      }
      splice(b, s.size_pos, s.payload_start - s.size_pos, leb(v));
      d << "section-size#" << int(s.id) << "@" << s.start << "=" << v;
      break;
    }
    case 8: {  // duplicate a section (right after itself, or at the end)
      const Section& s = secs[r.below(secs.size())];
      Bytes copy(b.begin() + static_cast<ptrdiff_t>(s.start),
                 b.begin() + static_cast<ptrdiff_t>(s.end));
      bool at_end = r.chance(30);
      splice(b, at_end ? b.size() : s.end, 0, copy);
      d << "dup-section#" << int(s.id) << "@" << s.start << (at_end ? "->end" : "");
      break;
    }
    case 9: {  // move a section to another section boundary (out-of-order sections)
      const Section s = secs[r.below(secs.size())];
      Bytes copy(b.begin() + static_cast<ptrdiff_t>(s.start),
                 b.begin() + static_cast<ptrdiff_t>(s.end));
      splice(b, s.start, s.end - s.start, {});
      std::vector<Section> rest = sections_of(b);
      size_t to = rest.empty() ? 8 : rest[r.below(rest.size())].start;
      splice(b, to, 0, copy);
      d << "move-section#" << int(s.id) << "@" << s.start << "->" << to;
      break;
    }
    case 10: {  // change a vector count (the first LEB of a payload)
      const Section& s = secs[r.below(secs.size())];
      size_t p = s.payload_start;
      uint64_t count = 0;
      if (s.id == 0 || !read_leb(b, p, count) || p > s.end) {
        b[pick_pos(r, b)] ^= 0x01;
        d << "count-fallback";
        break;
      }
      uint64_t v = r.chance(40) ? count + 1 : r.chance(50) ? (count ? count - 1 : 0) : 0xffffffffu;
      splice(b, s.payload_start, p - s.payload_start, leb(v));
      // Keep the section size right so the count itself is what is wrong.
      int64_t delta =
          static_cast<int64_t>(leb(v).size()) - static_cast<int64_t>(p - s.payload_start);
      uint64_t new_size = s.end - s.payload_start + delta;
      splice(b, s.size_pos, s.payload_start - s.size_pos, leb(new_size));
      d << "count#" << int(s.id) << "=" << v;
      break;
    }
    default: {  // a random instruction inside the code section (if any), else anywhere
      size_t lo = 8, hi = b.size();
      for (const Section& s : secs) {
        if (s.id == 10 && s.end > s.payload_start) lo = s.payload_start, hi = s.end;
      }
      if (hi <= lo) lo = 0;
      size_t pos = lo + r.below(hi - lo);
      Bytes ins = random_instruction(r);
      bool overwrite = r.chance(50);
      splice(b, pos, overwrite ? ins.size() : 0, ins);
      // Keep the enclosing section's size consistent about half of the time.
      if (!overwrite && r.chance(50)) {
        for (const Section& s : secs) {
          if (s.id == 10 && pos >= s.payload_start && pos < s.end) {
            splice(b, s.size_pos, s.payload_start - s.size_pos,
                   leb(s.end - s.payload_start + ins.size()));
          }
        }
      }
      d << (overwrite ? "op-overwrite@" : "op-insert@") << pos << "x" << ins.size();
      break;
    }
  }
  return d.str();
}

struct Corpus {
  std::vector<fs::path> files;  // every .wasm, sorted
  std::vector<Bytes> bytes;     // contents, parallel to files
  std::vector<size_t> valid;    // indices of the files Engine::validate accepts
  std::vector<size_t> invalid;  // the others (malformed/invalid spec modules), non-empty
  void classify(const std::vector<uint8_t>& accepted) {
    for (size_t i = 0; i < files.size(); ++i) {
      if (accepted[i] && bytes[i].size() > 8) valid.push_back(i);
      if (!accepted[i] && !bytes[i].empty()) invalid.push_back(i);
    }
  }
};

Corpus load_corpus() {
  Corpus c;
  fs::path root = WISP_SPEC_CORE_DIR;
  if (!fs::is_directory(root)) return c;
  // Core, and beside it the corpora of the proposals whose C is most intricate (SIMD's helpers,
  // exception handling's setjmp/longjmp), when present.
  for (const fs::path& dir :
       {root, root.parent_path() / "simd", root.parent_path() / "exception-handling"}) {
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file() && e.path().extension() == ".wasm") c.files.push_back(e.path());
    }
  }
  std::sort(c.files.begin(), c.files.end());
  for (const fs::path& p : c.files) {
    std::ifstream in(p, std::ios::binary);
    c.bytes.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return c;
}

struct Mutant {
  size_t base = 0;  // index into corpus.files
  std::string description;
  Bytes bytes;
};

Mutant make_mutant(const Corpus& c, uint64_t seed, size_t index) {
  Rng r(seed ^ (0x9e3779b97f4a7c15ULL * (index + 1)));
  Mutant m;
  // Mostly valid modules (mutants reach the validator, the translator and the runtime); a
  // quarter malformed or invalid ones (the reader and the feature-diagnosis retries).
  bool from_invalid = !c.invalid.empty() && r.chance(25);
  m.base = from_invalid ? c.invalid[r.below(c.invalid.size())] : c.valid[r.below(c.valid.size())];
  m.bytes = c.bytes[m.base];
  size_t roll = r.below(100);
  size_t n = roll < 70 ? 1 : roll < 90 ? 2 : 3 + r.below(2);
  for (size_t i = 0; i < n; ++i) {
    if (i) m.description += "; ";
    m.description += mutate_once(r, m.bytes);
  }
  return m;
}

std::string hex(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    out += digits[b[i] >> 4];
    out += digits[b[i] & 15];
    if (i + 1 < b.size()) out += (i % 32 == 31) ? '\n' : ' ';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Running one mutant: compile (tier 0), lenient link, instantiate, call every export.

// Shared between a forked child and the parent (MAP_SHARED): progress and the last failure.
struct Shared {
  std::atomic<int64_t> current{-1};
  std::atomic<int64_t> heartbeat_ms{0};
  char phase[256];
  char message[1024];
  std::atomic<uint64_t> compiled{0}, compile_errors{0}, link_errors{0}, instantiated{0},
      instantiate_traps{0}, calls{0}, call_traps{0}, timeouts{0};
};

Shared* g_shared = nullptr;  // null when replaying in-process

void set_phase(const std::string& s) {
  if (!g_shared) return;
  std::snprintf(g_shared->phase, sizeof g_shared->phase, "%s", s.c_str());
}
template <typename Field>
void bump(Field Shared::*field) {
  if (g_shared) (g_shared->*field).fetch_add(1, std::memory_order_relaxed);
}

// Interrupts any call on the watched instance that runs longer than kCallTimeout.
class Watchdog {
 public:
  Watchdog() : thread_([this] { loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void watch(std::optional<InterruptHandle> h) {
    std::lock_guard lock(mu_);
    handle_ = std::move(h);
    seen_call_ = 0;
  }
  uint64_t interrupts() const { return interrupts_.load(); }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::milliseconds(10));
      if (!handle_) continue;
      uint64_t id = handle_->current_call();
      auto now = Clock::now();
      if (id == 0 || id != seen_call_) {
        seen_call_ = id;
        seen_since_ = now;
      } else if (now - seen_since_ > kCallTimeout) {
        if (handle_->interrupt_call(id)) interrupts_.fetch_add(1);
        seen_since_ = now;  // re-arm: if it did not stop, ask again later
      }
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::optional<InterruptHandle> handle_;
  uint64_t seen_call_ = 0;
  Clock::time_point seen_since_;
  std::atomic<uint64_t> interrupts_{0};
  std::thread thread_;
};

// Exports for lenient linking of non-function imports.
constexpr const char* kProviderWat = R"((module
  (global (export "i32") i32 (i32.const 666))
  (global (export "i64") i64 (i64.const 666))
  (global (export "f32") f32 (f32.const 666.6))
  (global (export "f64") f64 (f64.const 666.6))
  (global (export "funcref") funcref (ref.null func))
  (global (export "externref") externref (ref.null extern))
  (global (export "mut i32") (mut i32) (i32.const 666))
  (global (export "mut i64") (mut i64) (i64.const 666))
  (global (export "mut f32") (mut f32) (f32.const 666.6))
  (global (export "mut f64") (mut f64) (f64.const 666.6))
  (global (export "mut funcref") (mut funcref) (ref.null func))
  (global (export "mut externref") (mut externref) (ref.null extern))
  (table (export "table funcref") 10 20 funcref)
  (table (export "table externref") 10 20 externref)
  (memory (export "memory") 1 2))
)";

TemplateOptions fuzz_options() {
  TemplateOptions o;
  o.tier = Tier::tier0;
  o.limits.max_memory_pages = 1024;  // 64 MiB
  o.limits.max_table_elements = 100'000;
  return o;
}

Value default_value(ValType t) {
  switch (t) {
    case ValType::i32:
      return Value::i32(0);
    case ValType::i64:
      return Value::i64(0);
    case ValType::f32:
      return Value::f32(0);
    case ValType::f64:
      return Value::f64(0);
    default:
      return Value::null_of(t);
  }
}

Value extreme_value(ValType t) {
  switch (t) {
    case ValType::i32:
      return Value::i32(-1);
    case ValType::i64:
      return Value::i64(INT64_MIN);
    case ValType::f32:
      return Value::f32_bits(0x7fc00001u);
    case ValType::f64:
      return Value::f64_bits(0x8000000000000000ULL);
    default:
      return Value::null_of(t);
  }
}

class MutantRunner {
 public:
  explicit MutantRunner(const fs::path& cache_dir)
      : engine_(engine_config(Tier::tier0, cache_dir)),
        provider_(
            Linker().instantiate_template(engine_.compile(wat(kProviderWat)), fuzz_options())) {}

  // Runs one mutant. wisp::Error is an expected outcome; anything else propagates.
  void run(const Bytes& bytes) {
    set_phase("compile");
    std::optional<Module> module;
    try {
      module = engine_.compile(bytes);
    } catch (const CompileError& e) {
      bump(&Shared::compile_errors);
      if (verbose_) std::fprintf(stderr, "  compile error: %s\n", e.what());
      return;
    }
    bump(&Shared::compiled);
    last_stats_ = module->stats();

    set_phase("link");
    Linker linker;
    linker.allow_shadowing(true);
    std::optional<Instance> provider;
    for (const ImportDesc& imp : module->imports()) {
      if (imp.type.kind == ExternKind::func) {
        std::vector<ValType> results = imp.type.func.results;
        linker.define_func(imp.module, imp.name, imp.type.func,
                           [results](Caller&, std::span<const Value>, std::span<Value> out) {
                             for (size_t i = 0; i < out.size() && i < results.size(); ++i)
                               out[i] = default_value(results[i]);
                           });
        continue;
      }
      std::string name;
      switch (imp.type.kind) {
        case ExternKind::global:
          name =
              std::string(imp.type.global.mut ? "mut " : "") + val_type_name(imp.type.global.type);
          break;
        case ExternKind::table:
          name = std::string("table ") + val_type_name(imp.type.table.elem);
          break;
        case ExternKind::memory:
          name = "memory";
          break;
        default:
          break;
      }
      try {
        if (!provider) provider = provider_.instantiate();
        if (auto ext = provider->get_export(name)) linker.define(imp.module, imp.name, *ext);
      } catch (const Error&) {
      }
    }

    set_phase("instantiate");
    Instance inst;
    try {
      inst = linker.instantiate(*module, fuzz_options());
    } catch (const LinkError&) {
      bump(&Shared::link_errors);
      return;
    } catch (const Trap&) {
      bump(&Shared::instantiate_traps);
      return;
    }
    bump(&Shared::instantiated);

    watchdog_.watch(inst.interrupt_handle());
    auto budget_end = Clock::now() + kMutantCallBudget;
    for (const ExportDesc& e : module->exports()) {
      if (Clock::now() > budget_end) break;
      try {
        switch (e.type.kind) {
          case ExternKind::func: {
            set_phase("call \"" + e.name + "\"");
            std::vector<Value> args;
            for (ValType t : e.type.func.params) args.push_back(default_value(t));
            bump(&Shared::calls);
            try {
              inst.call(e.name, args);
            } catch (const Trap& t) {
              bump(&Shared::call_traps);
              if (t.kind() == TrapKind::timeout) bump(&Shared::timeouts);
            }
            if (args.empty() || Clock::now() > budget_end) break;
            // Once more with extreme arguments (-1, NaN, -0.0): other paths, other traps.
            for (Value& a : args) a = extreme_value(a.type());
            set_phase("call \"" + e.name + "\" with extreme arguments");
            bump(&Shared::calls);
            inst.call(e.name, args);
            break;
          }
          case ExternKind::global:
            set_phase("global_get \"" + e.name + "\"");
            inst.global_get(e.name);
            break;
          case ExternKind::memory: {
            set_phase("memory \"" + e.name + "\"");
            Memory mem = inst.memory(e.name);
            if (mem.size() > 0) mem.read(mem.size() - 1, 1);
            break;
          }
          default:
            break;
        }
      } catch (const Trap& t) {
        bump(&Shared::call_traps);
        if (t.kind() == TrapKind::timeout) bump(&Shared::timeouts);
      } catch (const Error&) {
      }
    }
    watchdog_.watch(std::nullopt);
    set_phase("destroy instance");
  }

 public:
  const std::optional<CompileStats>& last_stats() const { return last_stats_; }

 private:
  std::optional<CompileStats> last_stats_;
  bool verbose_ = std::getenv("WISP_FUZZ_VERBOSE") != nullptr;
  Engine engine_;
  Template provider_;
  Watchdog watchdog_;
};

// ---------------------------------------------------------------------------------------------
// The forked runner.

struct Failure {
  int64_t index = -1;
  std::string what;  // "killed by SIGSEGV", "exit code 3: ...", "hang"
  std::string phase;
};

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return std::string("killed by SIG") + (name ? name : std::to_string(sig));
  }
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  return "status " + std::to_string(status);
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

// Runs work(i) for i in [0, total) in forked children; a child that dies is replaced by a new
// one starting after the item it died on. `setup` runs once per child before its first item.
template <typename Setup>
std::vector<Failure> run_forked(Shared* shm, size_t total, Setup setup) {
  std::vector<Failure> failures;
  size_t next = 0;
  while (next < total && failures.size() < kMaxFailures) {
    shm->current.store(-1);
    shm->heartbeat_ms.store(now_ms());
    shm->phase[0] = shm->message[0] = '\0';
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) {
      failures.push_back({-1, std::string("fork failed: ") + std::strerror(errno), ""});
      break;
    }
    if (pid == 0) {
      g_shared = shm;
      int code = 0;
      try {
        auto work = setup();
        for (size_t i = next; i < total; ++i) {
          shm->current.store(static_cast<int64_t>(i));
          shm->heartbeat_ms.store(now_ms());
          try {
            work(i);
          } catch (const Error&) {
            // An Error escaping the runner (outside the expected places) is still a wisp::Error.
          }
        }
        shm->current.store(static_cast<int64_t>(total));
      } catch (const std::exception& e) {
        std::snprintf(shm->message, sizeof shm->message, "non-wisp exception: %s", e.what());
        code = 3;
      } catch (...) {
        std::snprintf(shm->message, sizeof shm->message, "unknown exception type");
        code = 3;
      }
      std::fflush(nullptr);
      _exit(code);
    }
    int status = 0;
    bool hung = false;
    for (;;) {
      pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) break;
      if (r < 0 && errno != EINTR) break;
      if (now_ms() - shm->heartbeat_ms.load() > std::chrono::milliseconds(kHangTimeout).count()) {
        hung = true;
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    int64_t at = shm->current.load();
    if (!hung && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
        at == static_cast<int64_t>(total)) {
      break;
    }
    Failure f;
    f.index = at;
    f.phase = shm->phase;
    f.what = hung ? "hang (no progress for " + std::to_string(kHangTimeout.count()) + " s)"
                  : describe_status(status);
    if (shm->message[0]) f.what += std::string(": ") + shm->message;
    failures.push_back(f);
    if (at < 0) break;  // died in setup: nothing more to learn
    next = static_cast<size_t>(at) + 1;
  }
  return failures;
}

fs::path save_reproducer(uint64_t seed, size_t index, const Mutant& m, const Corpus& c,
                         const Failure& f) {
  fs::path dir = WISP_FUZZ_OUT_DIR;
  fs::create_directories(dir);
  char stem[64];
  std::snprintf(stem, sizeof stem, "mutant-%016llx-%zu", static_cast<unsigned long long>(seed),
                index);
  fs::path wasm = dir / (std::string(stem) + ".wasm");
  fs::path txt = dir / (std::string(stem) + ".txt");
  std::ofstream(wasm, std::ios::binary)
      .write(reinterpret_cast<const char*>(m.bytes.data()),
             static_cast<std::streamsize>(m.bytes.size()));
  std::ofstream out(txt);
  out << "seed: 0x" << std::hex << seed << std::dec << "\n"
      << "index: " << index << "\n"
      << "outcome: " << f.what << "\n"
      << "phase: " << f.phase << "\n"
      << "base: " << c.files[m.base].string() << "\n"
      << "mutations: " << m.description << "\n"
      << "size: " << m.bytes.size() << "\n"
      << "reproduce: WISP_FUZZ_REPLAY=" << wasm.string()
      << " wisp_unit_tests --gtest_filter=MutationFuzz.Replay\n"
      << "hex:\n"
      << hex(m.bytes) << "\n";
  return txt;
}

Shared* map_shared() {
  void* p =
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  return new (p) Shared();
}

TEST(MutationFuzz, BadInputNeverCrashes) {
  WISP_REQUIRE_SPEC_CORPUS(WISP_SPEC_CORE_DIR);
  auto t0 = Clock::now();
  Corpus corpus = load_corpus();
  ASSERT_FALSE(corpus.files.empty()) << "no .wasm files under " << WISP_SPEC_CORE_DIR;
  Shared* shm = map_shared();
  ASSERT_NE(shm, nullptr) << std::strerror(errno);
  TempDir cache;

  // 1. The valid corpus modules are the bases (validated in children: a crash on an unmutated
  //    corpus file is a finding too).
  auto* flags = static_cast<uint8_t*>(mmap(nullptr, corpus.files.size(), PROT_READ | PROT_WRITE,
                                           MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(flags, MAP_FAILED);
  std::memset(flags, 0, corpus.files.size());
  std::vector<Failure> scan_failures = run_forked(shm, corpus.files.size(), [&] {
    return [&](size_t i) {
      set_phase("validate corpus file");
      try {
        Engine::validate(corpus.bytes[i]);
        flags[i] = 1;
      } catch (const CompileError&) {
      }
    };
  });
  for (const Failure& f : scan_failures) {
    ADD_FAILURE() << "validating corpus file "
                  << (f.index >= 0 && static_cast<size_t>(f.index) < corpus.files.size()
                          ? corpus.files[f.index].string()
                          : std::to_string(f.index))
                  << ": " << f.what;
  }
  corpus.classify(std::vector<uint8_t>(flags, flags + corpus.files.size()));
  munmap(flags, corpus.files.size());
  ASSERT_GT(corpus.valid.size(), 100u) << "too few valid corpus modules";
  auto t1 = Clock::now();

  // 2. The mutants.
  uint64_t seed = env_u64("WISP_FUZZ_SEED", kDefaultSeed);
  size_t total = env_u64("WISP_FUZZ_MUTANTS", kDefaultMutants);
  // Self-test of the harness: WISP_FUZZ_CRASH_AT=i makes the child crash on mutant i.
  size_t crash_at = env_u64("WISP_FUZZ_CRASH_AT", SIZE_MAX);
  shm->~Shared();
  munmap(shm, sizeof(Shared));
  shm = map_shared();
  ASSERT_NE(shm, nullptr) << std::strerror(errno);
  std::vector<Failure> failures = run_forked(shm, total, [&] {
    auto runner = std::make_shared<MutantRunner>(cache.path());
    return [&, runner](size_t i) {
      set_phase("mutate");
      Mutant m = make_mutant(corpus, seed, i);
      if (i == crash_at) std::abort();  // harness self-test
      if (std::getenv("WISP_FUZZ_VERBOSE"))
        std::fprintf(stderr, "mutant %zu: %s (%s)\n", i, m.description.c_str(),
                     corpus.files[m.base].filename().c_str());
      runner->run(m.bytes);
    };
  });
  auto t2 = Clock::now();

  auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::printf(
      "[ fuzz     ] %zu corpus files (%zu valid) scanned in %.1f s; %zu mutants (seed 0x%llx) in "
      "%.1f s: %llu compiled, %llu compile errors, %llu link errors, %llu instantiated, %llu "
      "instantiate traps, %llu calls, %llu call traps (%llu timeouts); %zu failures\n",
      corpus.files.size(), corpus.valid.size(), secs(t1 - t0), total,
      static_cast<unsigned long long>(seed), secs(t2 - t1),
      static_cast<unsigned long long>(shm->compiled.load()),
      static_cast<unsigned long long>(shm->compile_errors.load()),
      static_cast<unsigned long long>(shm->link_errors.load()),
      static_cast<unsigned long long>(shm->instantiated.load()),
      static_cast<unsigned long long>(shm->instantiate_traps.load()),
      static_cast<unsigned long long>(shm->calls.load()),
      static_cast<unsigned long long>(shm->call_traps.load()),
      static_cast<unsigned long long>(shm->timeouts.load()), failures.size());

  for (const Failure& f : failures) {
    if (f.index < 0 || static_cast<size_t>(f.index) >= total) {
      ADD_FAILURE() << "fuzz child failed outside a mutant: " << f.what << " (phase " << f.phase
                    << ")";
      continue;
    }
    Mutant m = make_mutant(corpus, seed, static_cast<size_t>(f.index));
    fs::path saved = save_reproducer(seed, static_cast<size_t>(f.index), m, corpus, f);
    ADD_FAILURE() << "mutant " << f.index << " (seed 0x" << std::hex << seed << std::dec
                  << ", base " << corpus.files[m.base].filename().string() << ", " << m.description
                  << ", " << m.bytes.size() << " bytes): " << f.what << " during " << f.phase
                  << "\n  reproducer saved to " << saved.string()
                  << "\n  rerun in-process: WISP_FUZZ_REPLAY="
                  << saved.replace_extension(".wasm").string()
                  << " wisp_unit_tests --gtest_filter=MutationFuzz.Replay";
  }
  shm->~Shared();
  munmap(shm, sizeof(Shared));
}

// A module exporting "f" () -> i32 whose body nests `depth` empty blocks.
Bytes nested_blocks(size_t depth) {
  Bytes body{0x00};  // no locals
  for (size_t i = 0; i < depth; ++i) put_bytes(body, {0x02, 0x40});
  body.insert(body.end(), depth, 0x0b);
  put_bytes(body, {0x41, 0x00, 0x0b});
  Bytes code{0x01};
  put_leb(code, body.size());
  code.insert(code.end(), body.begin(), body.end());
  Bytes exports{0x01};
  put_name(exports, "f");
  put_bytes(exports, {0x00, 0x00});
  return module_with(
      {{1, {0x01, 0x60, 0x00, 0x01, 0x7f}}, {3, {0x01, 0x00}}, {7, exports}, {10, code}});
}

// A module exporting "f" () -> i32 whose body nests `depth` ifs (i32.const 1; if).
Bytes nested_ifs(size_t depth) {
  Bytes body{0x00};
  for (size_t i = 0; i < depth; ++i) put_bytes(body, {0x41, 0x01, 0x04, 0x40});
  body.insert(body.end(), depth, 0x0b);
  put_bytes(body, {0x41, 0x00, 0x0b});
  Bytes code{0x01};
  put_leb(code, body.size());
  code.insert(code.end(), body.begin(), body.end());
  Bytes exports{0x01};
  put_name(exports, "f");
  put_bytes(exports, {0x00, 0x00});
  return module_with(
      {{1, {0x01, 0x60, 0x00, 0x01, 0x7f}}, {3, {0x01, 0x00}}, {7, exports}, {10, code}});
}

// `funcs` functions () -> () each declaring 50,000 i32 locals (8 bytes a function).
Bytes many_locals(size_t funcs) {
  Bytes fsec, code;
  put_leb(fsec, funcs);
  fsec.insert(fsec.end(), funcs, 0x00);
  put_leb(code, funcs);
  for (size_t i = 0; i < funcs; ++i) put_bytes(code, {0x06, 0x01, 0xd0, 0x86, 0x03, 0x7f, 0x0b});
  return module_with({{1, {0x01, 0x60, 0x00, 0x00}}, {3, fsec}, {10, code}});
}

Bytes from_hex(std::string_view text) {
  Bytes out;
  for (size_t i = 0; i + 1 < text.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  return out;
}

// Crashes found by this fuzzer (and by hand-made absurd modules), minimised; the causes named are
// those of the libwabt front end they were found with (since removed). Each must end in a
// CompileError or a normal run, in a child process like the mutants.
TEST(MutationFuzz, SavedCrashers) {
  struct Case {
    const char* name;
    Bytes bytes;
  };
  const std::vector<Case> cases = {
      // (func (type 0) unreachable call_ref 1): invalid MVP; the feature-diagnosis retry with
      // function-references enabled hits an assertion in wabt's validator
      // (TypeChecker::OnIndexedFuncRef → Type::GetReferenceIndex).
      {"call_ref_after_unreachable",
       from_hex("0061736d01000000010401600000030201000a070105000014010b")},
      // A global whose constant expression is `block` with no `end` before the section ends,
      // then a function body: wabt's binary reader aborts (BinaryReaderIR::OnEndExpr →
      // intrusive_list::back() on an empty list), already with wisp's own feature set.
      {"block_in_unterminated_init_expr",
       from_hex("0061736d01000000010401600000030201000605017f0002400a040102000b")},
      // 100,000 nested blocks: wisp's FeatureScan (module_info.cpp) recurses per level and
      // overflows an 8 MiB stack.
      {"nested_blocks_100000", nested_blocks(100'000)},
      // 25,000 nested blocks: wabt's C writer (CWriter::Write(Block)) recurses per level and
      // overflows an 8 MiB stack.
      {"nested_blocks_25000", nested_blocks(25'000)},
      // 10,000 nested ifs (50 KB): wabt's C writer indents per level, 300 MB of C, 900 MB RSS.
      {"nested_ifs_10000", nested_ifs(10'000)},
      // 100 functions declaring 50,000 locals each (821 bytes): 83 MB of C, 550 MB RSS.
      {"locals_100x50000", many_locals(100)},
  };
  Shared* shm = map_shared();
  ASSERT_NE(shm, nullptr) << std::strerror(errno);
  TempDir cache;
  std::vector<Failure> failures = run_forked(shm, cases.size(), [&] {
    auto runner = std::make_shared<MutantRunner>(cache.path());
    return [&, runner](size_t i) { runner->run(cases[i].bytes); };
  });
  for (const Failure& f : failures) {
    if (f.index < 0 || static_cast<size_t>(f.index) >= cases.size()) {
      ADD_FAILURE() << "child failed outside a case: " << f.what << " (phase " << f.phase << ")";
      continue;
    }
    const Case& c = cases[static_cast<size_t>(f.index)];
    ADD_FAILURE() << "saved crasher \"" << c.name << "\" (" << c.bytes.size()
                  << " bytes): " << f.what << " during " << f.phase
                  << (c.bytes.size() <= 64 ? "\n  hex: " + hex(c.bytes) : std::string());
  }
  shm->~Shared();
  munmap(shm, sizeof(Shared));
}

// MutationFuzz.Replay: runs one saved mutant (WISP_FUZZ_REPLAY=file.wasm) or one generated
// mutant (WISP_FUZZ_INDEX=i, with WISP_FUZZ_SEED) in this process, for a debugger. A tool, not a
// check: it exists only when one of those variables is set (so CTest never lists a test that
// always skips); the committed crashers are replayed by MutationFuzz.SavedCrashers.
void replay_one_mutant(const char* file, const char* index) {
  Bytes bytes;
  if (file && *file) {
    bytes = read_file_bytes(file);
  } else {
    Corpus corpus = load_corpus();
    std::vector<uint8_t> accepted(corpus.files.size());
    for (size_t i = 0; i < corpus.files.size(); ++i) {
      try {
        Engine::validate(corpus.bytes[i]);
        accepted[i] = 1;
      } catch (const CompileError&) {
      }
    }
    corpus.classify(accepted);
    Mutant m = make_mutant(corpus, env_u64("WISP_FUZZ_SEED", kDefaultSeed),
                           std::strtoull(index, nullptr, 0));
    std::printf("base %s, mutations %s\nhex: %s\n", corpus.files[m.base].c_str(),
                m.description.c_str(), hex(m.bytes).c_str());
    bytes = m.bytes;
  }
  TempDir cache;
  MutantRunner runner(cache.path());
  try {
    runner.run(bytes);
  } catch (const Error& e) {
    std::printf("wisp::Error escaped the runner: %s\n", e.what());
  }
  if (const auto& st = runner.last_stats()) {
    std::printf("compiled: translate %.1f ms, tier 0 %.1f ms, %zu bytes of C\n", st->translate_ms,
                st->tier0_ms, st->c_source_bytes);
  }
}

class MutationFuzzReplay : public ::testing::Test {
 public:
  MutationFuzzReplay(const char* file, const char* index) : file_(file), index_(index) {}
  void TestBody() override { replay_one_mutant(file_, index_); }

 private:
  const char* file_;
  const char* index_;
};

[[maybe_unused]] const bool kReplayRegistered = [] {
  const char* file = std::getenv("WISP_FUZZ_REPLAY");
  const char* index = std::getenv("WISP_FUZZ_INDEX");
  if (!(file && *file) && !(index && *index)) return false;
  ::testing::RegisterTest("MutationFuzz", "Replay", nullptr, nullptr, __FILE__, __LINE__,
                          [=]() -> ::testing::Test* {
                            return new MutationFuzzReplay(file && *file ? file : nullptr, index);
                          });
  return true;
}();

}  // namespace
}  // namespace wisp::test
