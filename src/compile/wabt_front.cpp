// Reading and validating modules with libwabt; unsupported features are diagnosed by name.
#include "compile/wabt_front.hpp"

#include "compile/translation_limits.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/binary-writer.h"
#include "wabt/error.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/validator.h"
#include "wabt/wast-parser.h"
#include "wisp/engine.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

namespace {

// What wabt 1.0.32's C writer can translate.
wabt::Features supported_features() {
  wabt::Features f;
  f.disable_exceptions();
  f.disable_simd();
  f.disable_threads();
  f.disable_function_references();
  f.disable_tail_call();
  f.disable_annotations();
  f.disable_code_metadata();
  f.disable_gc();
  f.disable_memory64();
  f.disable_multi_memory();
  f.disable_extended_const();
  f.disable_relaxed_simd();
  f.enable_mutable_globals();
  f.enable_sat_float_to_int();
  f.enable_sign_extension();
  f.enable_multi_value();
  f.enable_bulk_memory();
  f.enable_reference_types();
  return f;
}

struct Unsupported {
  const char* name;
  void (wabt::Features::*enable)();
};

const Unsupported kUnsupported[] = {
    {"SIMD (v128)", &wabt::Features::enable_simd},
    {"threads (shared memory, atomics)", &wabt::Features::enable_threads},
    {"tail calls", &wabt::Features::enable_tail_call},
    {"memory64", &wabt::Features::enable_memory64},
    {"extended-const", &wabt::Features::enable_extended_const},
    {"multi-memory", &wabt::Features::enable_multi_memory},
    {"exception handling", &wabt::Features::enable_exceptions},
    {"relaxed SIMD", &wabt::Features::enable_relaxed_simd},
    // Not probed: function references and GC. wabt 1.0.32's validator asserts (aborts) on some
    // of their opcodes in unreachable code, so a hostile module could kill the process.
};

bool try_read(std::span<const uint8_t> bytes, const wabt::Features& features, wabt::Errors* errors,
              wabt::Module* out) {
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/true);
  if (wabt::Failed(
          wabt::ReadBinaryIr("module.wasm", bytes.data(), bytes.size(), options, errors, out)))
    return false;
  wabt::ValidateOptions vopts(features);
  return wabt::Succeeded(wabt::ValidateModule(out, errors, vopts));
}

}  // namespace

void check_wat_nesting(std::string_view t) {
  size_t parens = 0, keywords = 0;
  for (size_t i = 0; i < t.size();) {
    char c = t[i];
    if (c == ';' && i + 1 < t.size() && t[i + 1] == ';') {  // line comment
      while (i < t.size() && t[i] != '\n') ++i;
    } else if (c == '(' && i + 1 < t.size() && t[i + 1] == ';') {  // block comment, nests
      size_t depth = 0;
      for (; i + 1 < t.size(); ++i) {
        if (t[i] == '(' && t[i + 1] == ';')
          ++depth, ++i;
        else if (t[i] == ';' && t[i + 1] == ')' && --depth == 0)
          break;
      }
      i += 2;
    } else if (c == '"') {  // string, with escapes
      for (++i; i < t.size() && t[i] != '"'; ++i)
        if (t[i] == '\\') ++i;
      ++i;
    } else if (c == '(' || c == ')') {
      if (c == '(')
        ++parens;
      else if (parens)
        --parens;
      ++i;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else {  // a token: unfolded block instructions open and `end`/`delegate` close a level
      size_t start = i;
      while (i < t.size() && !std::isspace(static_cast<unsigned char>(t[i])) && t[i] != '(' &&
             t[i] != ')' && t[i] != '"' && t[i] != ';')
        ++i;
      if (i == start) ++i;
      std::string_view tok = t.substr(start, i - start);
      bool folded = start > 0 && t[start - 1] == '(';
      if (!folded && (tok == "block" || tok == "loop" || tok == "if" || tok == "try"))
        ++keywords;
      else if ((tok == "end" || tok == "delegate") && keywords)
        --keywords;
    }
    if (parens + keywords > kMaxWatNesting) {
      throw CompileError("WAT: nests more than " + std::to_string(kMaxWatNesting) +
                             " deep (parentheses and blocks)",
                         i);
    }
  }
}

std::unique_ptr<wabt::Module> read_and_validate(std::span<const uint8_t> bytes) {
  if (bytes.size() < 8) {
    throw CompileError("module is truncated: " + std::to_string(bytes.size()) +
                           " bytes, a module has at least 8 (magic and version)",
                       bytes.size());
  }
  check_const_exprs(bytes);
  check_translation_limits(bytes, supported_features());  // before wabt builds its IR
  auto module = std::make_unique<wabt::Module>();
  wabt::Errors errors;
  if (try_read(bytes, supported_features(), &errors, module.get())) return module;

  const wabt::Error* first = errors.empty() ? nullptr : &errors.front();
  std::string message = first ? first->message : "invalid module";
  size_t offset =
      first && first->loc.offset != wabt::kInvalidOffset ? first->loc.offset : CompileError::npos;
  // Does the module pass with one more feature enabled? Then that feature is the reason.
  for (const Unsupported& u : kUnsupported) {
    wabt::Features f = supported_features();
    (f.*u.enable)();
    check_translation_limits(bytes, f);  // a feature may change how code decodes
    wabt::Errors ignored;
    wabt::Module probe;
    if (try_read(bytes, f, &ignored, &probe)) {
      throw CompileError("module uses " + std::string(u.name) +
                             ", which wisp does not support (wabt 1.0.32's C writer cannot "
                             "translate it): " +
                             message,
                         offset);
    }
  }
  throw CompileError(message, offset);
}

namespace {

bool read_leb(std::span<const uint8_t> b, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 35 && pos < b.size(); shift += 7) {
    uint8_t byte = b[pos++];
    v |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

void write_leb(std::vector<uint8_t>& out, uint64_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    out.push_back(byte | (v ? 0x80 : 0));
  } while (v);
}

// The module with every function body replaced by an empty one (no locals, `end`): what
// instantiation needs, for a fraction of the decoding. (wabt 1.0.32's skip_function_bodies
// option trips an assertion in its IR reader.)
std::vector<uint8_t> without_function_bodies(std::span<const uint8_t> b) {
  constexpr uint8_t kCodeSection = 10;
  std::vector<uint8_t> out(b.begin(), b.begin() + std::min<size_t>(8, b.size()));
  size_t pos = 8;
  while (pos < b.size()) {
    size_t start = pos;
    uint8_t id = b[pos++];
    uint64_t size = 0;
    if (!read_leb(b, pos, size) || size > b.size() - pos)
      throw CompileError("malformed section header", start);
    size_t end = pos + size;
    uint64_t count = 0;
    if (id == kCodeSection && read_leb(b, pos, count) && count <= size) {
      std::vector<uint8_t> body;
      write_leb(body, count);
      for (uint64_t i = 0; i < count; ++i) body.insert(body.end(), {2, 0, 0x0b});
      out.push_back(id);
      write_leb(out, body.size());
      out.insert(out.end(), body.begin(), body.end());
    } else {
      out.insert(out.end(), b.begin() + start, b.begin() + end);
    }
    pos = end;
  }
  return out;
}

}  // namespace

std::unique_ptr<wabt::Module> read_trusted(std::span<const uint8_t> bytes, bool bodies) {
  wabt::ReadBinaryOptions options(supported_features(), nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  std::vector<uint8_t> declarations_only;
  if (!bodies) {
    declarations_only = without_function_bodies(bytes);
    bytes = declarations_only;
  }
  auto module = std::make_unique<wabt::Module>();
  wabt::Errors errors;
  if (wabt::Failed(wabt::ReadBinaryIr("module.wasm", bytes.data(), bytes.size(), options, &errors,
                                      module.get()))) {
    throw CompileError(errors.empty() ? "invalid module" : errors.front().message);
  }
  return module;
}

}  // namespace wisp::detail

namespace wisp {

namespace {

std::vector<uint8_t> wat_to_wasm_here(std::string_view text) {
  wabt::Errors errors;
  std::unique_ptr<wabt::WastLexer> lexer =
      wabt::WastLexer::CreateBufferLexer("module.wat", text.data(), text.size(), &errors);
  wabt::Features features;
  features.EnableAll();
  features.disable_annotations();
  wabt::WastParseOptions parse_options(features);
  std::unique_ptr<wabt::Module> module;
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options)) ||
      !module) {
    std::string msg = errors.empty() ? "cannot parse WebAssembly text" : errors.front().message;
    if (!errors.empty() && errors.front().loc.line > 0) {
      msg = "line " + std::to_string(errors.front().loc.line) + ": " + msg;
    }
    throw CompileError("WAT: " + msg);
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(features, /*canonicalize_lebs=*/true,
                                         /*relocatable=*/false, /*write_debug_names=*/false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), write_options))) {
    throw CompileError("WAT: cannot encode the module");
  }
  const auto& data = stream.output_buffer().data;
  return std::vector<uint8_t>(data.begin(), data.end());
}

}  // namespace

std::vector<uint8_t> wat_to_wasm(std::string_view text) {
  detail::check_wat_nesting(text);
  std::vector<uint8_t> out;
  detail::on_big_stack([&] { out = wat_to_wasm_here(text); });
  return out;
}

}  // namespace wisp
