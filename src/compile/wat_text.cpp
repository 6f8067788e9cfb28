// WebAssembly text to binary with libwabt's parser and binary writer, after a nesting check.
#include "compile/wat_text.hpp"

#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "compile/big_stack.hpp"
#include "wabt/binary-writer.h"
#include "wabt/error.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/wast-parser.h"
#include "wisp/engine.hpp"
#include "wisp/error.hpp"

namespace wisp::detail {

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
