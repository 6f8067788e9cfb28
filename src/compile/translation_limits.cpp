// Translation limits on the raw bytes: wabt's binary reader (which does not recurse) with a
// delegate that counts open blocks and estimates the C that the module's declarations make
// wabt's C writer emit, before any IR exists.
#include "compile/translation_limits.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "wabt/binary-reader-nop.h"
#include "wabt/binary-reader.h"
#include "wabt/feature.h"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

constexpr uint64_t kBytesPerValue = 20;  // C per spelled-out value or local (measured: 17-20)

struct Arity {
  uint64_t params = 0, results = 0;
  uint64_t all() const { return params + results; }
};

// Bytes in sections that are translated into C: all but custom (0) and data (11) sections,
// whose size would otherwise buy a budget for free. Stops at a malformed section header (the
// reader stops there too).
uint64_t translated_bytes(std::span<const uint8_t> b) {
  uint64_t total = 0;
  size_t pos = 8;
  while (pos < b.size()) {
    uint8_t id = b[pos++];
    uint64_t size = 0;
    int shift = 0;
    for (;; shift += 7) {
      if (pos >= b.size() || shift > 28) return total;
      uint8_t x = b[pos++];
      size |= uint64_t(x & 0x7f) << shift;
      if (!(x & 0x80)) break;
    }
    if (size > b.size() - pos) return total;
    if (id != 0 && id != 11) total += size;
    pos += size;
  }
  return total;
}

class Estimator : public wabt::BinaryReaderNop {
 public:
  explicit Estimator(uint64_t translated_bytes)
      : budget_(kCBudgetBase + kCBudgetPerTranslatedByte * translated_bytes) {}

  std::optional<CompileError> error;
  uint64_t estimate = 0;

  // Malformed bytes are the IR reader's to report (and the nop delegate would print them).
  bool OnError(const wabt::Error&) override { return true; }

  // Signatures.
  wabt::Result OnFuncType(wabt::Index, wabt::Index params, wabt::Type*, wabt::Index results,
                          wabt::Type*) override {
    types_.push_back({params, results});
    return wabt::Result::Ok;
  }
  wabt::Result OnImportFunc(wabt::Index, std::string_view, std::string_view, wabt::Index,
                            wabt::Index sig) override {
    funcs_.push_back(type(sig));
    return add(2 * kBytesPerValue * type(sig).all(), "imports");  // declaration, wisp's shim
  }
  wabt::Result OnFunction(wabt::Index, wabt::Index sig) override {
    funcs_.push_back(type(sig));
    return add(2 * kBytesPerValue * type(sig).all(), "functions");  // declaration, definition
  }
  wabt::Result OnExport(wabt::Index, wabt::ExternalKind kind, wabt::Index item,
                        std::string_view) override {
    if (kind != wabt::ExternalKind::Func) return wabt::Result::Ok;
    return add(3 * kBytesPerValue * func(item).all(), "exports");  // wrapper, trampoline, glue
  }

  // Function bodies.
  wabt::Result BeginFunctionBody(wabt::Index index, wabt::Offset) override {
    func_ = index;
    in_body_ = true;
    open_.clear();
    indent_ = 0;
    return wabt::Result::Ok;
  }
  wabt::Result EndFunctionBody(wabt::Index) override {
    in_body_ = false;
    return wabt::Result::Ok;
  }
  wabt::Result OnLocalDecl(wabt::Index, wabt::Index count, wabt::Type) override {
    return add(kBytesPerValue * count, "locals");
  }
  wabt::Result OnOpcode(wabt::Opcode) override {
    return in_body_ ? add(2 * indent_, "nested ifs and loops") : wabt::Result(wabt::Result::Ok);
  }
  wabt::Result OnBlockExpr(wabt::Type t) override { return open(t, false, false); }
  wabt::Result OnLoopExpr(wabt::Type t) override { return open(t, true, true); }
  wabt::Result OnIfExpr(wabt::Type t) override { return open(t, true, false); }
  wabt::Result OnTryExpr(wabt::Type t) override { return open(t, true, false); }
  wabt::Result OnEndExpr() override { return close(); }
  wabt::Result OnDelegateExpr(wabt::Index) override { return close(); }  // ends a try
  wabt::Result OnBrExpr(wabt::Index depth) override { return branch(depth); }
  wabt::Result OnBrIfExpr(wabt::Index depth) override { return branch(depth); }
  wabt::Result OnBrTableExpr(wabt::Index n, wabt::Index* depths, wabt::Index dflt) override {
    for (wabt::Index i = 0; i < n; ++i)
      if (wabt::Failed(branch(depths[i]))) return wabt::Result::Error;
    return branch(dflt);
  }
  wabt::Result OnReturnExpr() override { return branch(static_cast<wabt::Index>(open_.size())); }
  wabt::Result OnCallExpr(wabt::Index f) override { return call(func(f)); }
  wabt::Result OnCallIndirectExpr(wabt::Index sig, wabt::Index) override { return call(type(sig)); }
  wabt::Result OnReturnCallExpr(wabt::Index f) override { return call(func(f)); }
  wabt::Result OnReturnCallIndirectExpr(wabt::Index sig, wabt::Index) override {
    return call(type(sig));
  }

 private:
  Arity type(wabt::Index i) const { return i < types_.size() ? types_[i] : Arity{}; }
  Arity func(wabt::Index i) const { return i < funcs_.size() ? funcs_[i] : Arity{}; }
  Arity block_type(wabt::Type t) const {
    if (t.IsIndex()) return type(t.GetIndex());
    return {0, t == wabt::Type::Void ? 0u : 1u};
  }

  wabt::Result call(Arity a) { return add(kBytesPerValue * a.all(), "calls"); }

  // A branch copies the values its target takes (a loop: its parameters).
  wabt::Result branch(wabt::Index depth) {
    uint64_t values =
        depth < open_.size() ? open_[open_.size() - 1 - depth].branch_values : func(func_).results;
    return add(kBytesPerValue * values, "branches carrying values");
  }

  // `indents`: the C writer indents the label's contents (if, loop, try; not block).
  wabt::Result open(wabt::Type t, bool indents, bool loop) {
    Arity a = block_type(t);
    open_.push_back({indents, loop ? a.params : a.results});
    if (indents) ++indent_;
    if (open_.size() > kMaxNesting) {
      return fail("nests blocks more than " + std::to_string(kMaxNesting) + " deep (limit " +
                  std::to_string(kMaxNesting) + ")");
    }
    if (indent_ > kMaxIndentNesting) {
      return fail("nests ifs and loops more than " + std::to_string(kMaxIndentNesting) +
                  " deep (limit " + std::to_string(kMaxIndentNesting) +
                  ": the C translation grows with the square of this depth)");
    }
    return add(kBytesPerValue * a.all(), "block types");
  }
  wabt::Result close() {
    if (open_.empty()) return wabt::Result::Ok;  // the function body's own end
    if (open_.back().indents) --indent_;
    open_.pop_back();
    return wabt::Result::Ok;
  }

  wabt::Result add(uint64_t bytes, const char* what) {
    estimate += std::min<uint64_t>(bytes, budget_ + 1);
    if (estimate <= budget_) return wabt::Result::Ok;
    return fail(std::string("makes wabt's C writer emit more than ") +
                std::to_string(budget_ >> 20) + " MiB of C through its " + what +
                " (limit: 16 MiB plus " + std::to_string(kCBudgetPerTranslatedByte) +
                " bytes per byte of the module's sections other than data and custom sections, "
                "estimated from nesting, locals and signature sizes)");
  }
  wabt::Result fail(const std::string& what) {
    size_t at = state ? static_cast<size_t>(state->offset) : CompileError::npos;
    std::string where = in_body_ ? "function " + std::to_string(func_) + " " : "module ";
    error.emplace(where + what, at);
    return wabt::Result::Error;
  }

  struct Label {
    bool indents;
    uint64_t branch_values;
  };
  std::vector<Arity> types_;
  std::vector<Arity> funcs_;  // imported, then defined
  std::vector<Label> open_;
  size_t indent_ = 0;
  uint64_t budget_;
  wabt::Index func_ = 0;
  bool in_body_ = false;
};

}  // namespace

void check_translation_limits(std::span<const uint8_t> bytes, const wabt::Features& features) {
  auto t0 = std::chrono::steady_clock::now();
  uint64_t translated = translated_bytes(bytes);
  Estimator estimator(translated);
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  (void)wabt::ReadBinary(bytes.data(), bytes.size(), &estimator, options);
  if (std::getenv("WISP_DEBUG_C_ESTIMATE")) {  // calibration aid: the estimate on stderr
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr,
                 "C estimate: %llu bytes for %llu translated bytes (%.1f per byte), %.2f ms\n",
                 static_cast<unsigned long long>(estimator.estimate),
                 static_cast<unsigned long long>(translated),
                 static_cast<double>(estimator.estimate) / static_cast<double>(translated + 1), ms);
  }
  if (estimator.error) throw *estimator.error;
}

}  // namespace wisp::detail
