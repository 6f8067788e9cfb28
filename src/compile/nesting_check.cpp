// Nesting limits on the raw bytes: wabt's binary reader (which does not recurse) with a delegate
// that only counts open blocks, before any IR exists.
#include "compile/nesting_check.hpp"

#include <optional>
#include <string>
#include <vector>

#include "wabt/binary-reader-nop.h"
#include "wabt/binary-reader.h"
#include "wabt/feature.h"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

class NestingCounter : public wabt::BinaryReaderNop {
 public:
  explicit NestingCounter(size_t module_size)
      : indent_budget_(kIndentBudgetBase + kIndentBudgetPerByte * module_size) {}

  std::optional<CompileError> error;

  // Malformed bytes are the IR reader's to report (and the nop delegate would print them).
  bool OnError(const wabt::Error&) override { return true; }

  wabt::Result BeginFunctionBody(wabt::Index index, wabt::Offset) override {
    func_ = index;
    open_.clear();
    indent_ = 0;
    return wabt::Result::Ok;
  }
  wabt::Result OnOpcode(wabt::Opcode) override {
    indent_bytes_ += 2 * indent_;
    if (indent_bytes_ > indent_budget_) {
      return fail("nests ifs and loops so that wabt's C writer would emit more than " +
                  std::to_string(indent_budget_ >> 20) +
                  " MiB of indentation (limit: 16 MiB plus 64 bytes per module byte)");
    }
    return wabt::Result::Ok;
  }
  wabt::Result OnBlockExpr(wabt::Type) override { return open(false); }
  wabt::Result OnLoopExpr(wabt::Type) override { return open(true); }
  wabt::Result OnIfExpr(wabt::Type) override { return open(true); }
  wabt::Result OnTryExpr(wabt::Type) override { return open(true); }
  wabt::Result OnEndExpr() override { return close(); }
  wabt::Result OnDelegateExpr(wabt::Index) override { return close(); }  // ends a try

 private:
  wabt::Result open(bool indents) {
    open_.push_back(indents);
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
    return wabt::Result::Ok;
  }
  wabt::Result close() {
    if (open_.empty()) return wabt::Result::Ok;  // the function body's own end
    if (open_.back()) --indent_;
    open_.pop_back();
    return wabt::Result::Ok;
  }
  wabt::Result fail(const std::string& what) {
    size_t at = state ? static_cast<size_t>(state->offset) : CompileError::npos;
    error.emplace("function " + std::to_string(func_) + " " + what, at);
    return wabt::Result::Error;
  }

  std::vector<bool> open_;  // per open label: does it indent the C writer's output?
  size_t indent_ = 0;
  size_t indent_bytes_ = 0;
  size_t indent_budget_;
  wabt::Index func_ = 0;
};

}  // namespace

void check_nesting(std::span<const uint8_t> bytes, const wabt::Features& features) {
  NestingCounter counter(bytes.size());
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  (void)wabt::ReadBinary(bytes.data(), bytes.size(), &counter, options);
  if (counter.error) throw *counter.error;
}

}  // namespace wisp::detail
