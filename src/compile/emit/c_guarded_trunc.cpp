// The guarded-conversion peephole (see c_guarded_trunc.hpp).
#include "compile/emit/c_guarded_trunc.hpp"

#include <array>
#include <string_view>

namespace wisp::detail::emit {

namespace {

struct Form {
  std::string_view abs, limit, trunc, indefinite, fused;
};
constexpr std::array<Form, 4> kForms{{
    {"wisp_fabsf", "0x1p+31f", "wisp_trunc_s32_f32", "2147483648u", "wisp_cvtt_s32_f32"},
    {"wisp_fabs", "0x1p+31", "wisp_trunc_s32_f64", "2147483648u", "wisp_cvtt_s32_f64"},
    {"wisp_fabsf", "0x1p+63f", "wisp_trunc_s64_f32", "9223372036854775808ull", "wisp_cvtt_s64_f32"},
    {"wisp_fabs", "0x1p+63", "wisp_trunc_s64_f64", "9223372036854775808ull", "wisp_cvtt_s64_f64"},
}};

bool is_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
      return false;
  return true;
}

// Consumes `prefix` from the front of `s`.
bool eat(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// Consumes up to (not including) `stop`; the part consumed in *out.
bool until(std::string_view& s, std::string_view stop, std::string_view* out) {
  size_t at = s.find(stop);
  if (at == std::string_view::npos) return false;
  *out = s.substr(0, at);
  s.remove_prefix(at);
  return true;
}

}  // namespace

bool fuse_guarded_trunc(std::string& body) {
  // Where the last six lines start (the block's C, if it is one).
  size_t start = body.size();
  int newlines = 0;
  for (; start > 0; --start)
    if (body[start - 1] == '\n' && ++newlines == 7) break;
  if (newlines < 6) return false;
  std::string_view s(body);
  s.remove_prefix(start);
  for (const Form& f : kForms) {
    std::string_view t = s, x, else_label, slot, end_label, x2, slot2;
    if (!eat(t, "if (!((u32)(") || !eat(t, f.abs) || !eat(t, "(") || !until(t, ") < ", &x) ||
        !eat(t, ") < ") || !eat(t, f.limit) || !eat(t, "))) goto E") ||
        !until(t, ";\n", &else_label) || !eat(t, ";\n") || !until(t, " = ", &slot) ||
        !eat(t, " = ") || !eat(t, f.trunc) || !eat(t, "(") || !until(t, ");\ngoto B", &x2) ||
        !eat(t, ");\ngoto B") || !until(t, ";\n", &end_label) || !eat(t, ";\nE") ||
        !eat(t, else_label) || !eat(t, ":;\n") || !until(t, " = ", &slot2) || !eat(t, " = ") ||
        !eat(t, f.indefinite) || !eat(t, ";\nB") || !eat(t, end_label) || !eat(t, ":;\n") ||
        !t.empty())
      continue;
    if (!is_name(x) || x != x2 || !is_name(slot) || slot != slot2 || !is_name(else_label) ||
        !is_name(end_label))
      continue;
    std::string fused = std::string(slot) + " = " + std::string(f.fused) + "(" + std::string(x) +
                        ");\nB" + std::string(end_label) + ":;\n";
    body.replace(start, std::string::npos, fused);
    return true;
  }
  return false;
}

}  // namespace wisp::detail::emit
