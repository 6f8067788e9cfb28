// Test support for the front end's corpus tests: the binary modules of the spec corpus
// (WISP_SPEC_DIR/<folder>/<script>/<script>.json, converted by wast2json) with what their
// scripts say about each one, and the proposals a folder's FEATURES file turns on.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compile/front/module_decl.hpp"
#include "support/spec_corpus.hpp"

#ifndef WISP_SPEC_DIR
#error "WISP_SPEC_DIR must name the spec corpus folder (tests/CMakeLists.txt)"
#endif

namespace wisp::test::front_corpus {

namespace fs = std::filesystem;
using detail::front::Feature;
using detail::front::FeatureSet;

inline fs::path spec_dir() {
  return WISP_SPEC_DIR;
}

struct CorpusModule {
  fs::path wasm;        // the module
  fs::path script;      // the .json script that names it
  int line = 0;         // the command's line in the .wast
  std::string command;  // "module", "assert_invalid", "assert_malformed", ...
  std::string text;     // an assertion's expected message
  // What the script says: valid (it gets instantiated, linked or run) or not.
  bool valid() const {
    return command == "module" || command == "assert_unlinkable" ||
           command == "assert_uninstantiable" || command == "assert_trap" ||
           command == "assert_exhaustion";
  }
  bool invalid() const { return command == "assert_invalid" || command == "assert_malformed"; }
  // "binary.wast:123 (binary.5.wasm)"
  std::string where() const {
    return script.stem().string() + ".wast:" + std::to_string(line) + " (" +
           wasm.filename().string() + ")";
  }
};

inline std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Every binary module of a corpus folder ("core", "simd", ...), in script and line order.
inline std::vector<CorpusModule> corpus_modules(const std::string& folder) {
  std::vector<fs::path> scripts;
  for (const auto& dir : fs::directory_iterator(spec_dir() / folder)) {
    if (!dir.is_directory()) continue;
    fs::path json = dir.path() / (dir.path().filename().string() + ".json");
    if (fs::exists(json)) scripts.push_back(json);
  }
  std::sort(scripts.begin(), scripts.end());
  std::vector<CorpusModule> out;
  for (const fs::path& script : scripts) {
    std::ifstream in(script);
    nlohmann::json j = nlohmann::json::parse(in);
    for (const auto& cmd : j["commands"]) {
      if (!cmd.contains("filename")) continue;
      std::string file = cmd["filename"].get<std::string>();
      if (file.size() < 5 || file.substr(file.size() - 5) != ".wasm") continue;  // text modules
      CorpusModule m;
      m.wasm = script.parent_path() / file;
      m.script = script;
      m.line = cmd.value("line", 0);
      m.command = cmd["type"].get<std::string>();
      m.text = cmd.value("text", "");
      out.push_back(std::move(m));
    }
  }
  return out;
}

// The proposals a folder's FEATURES file names (wabt's flag names).
inline FeatureSet folder_features(const std::string& folder) {
  FeatureSet out;
  std::ifstream in(spec_dir() / folder / "FEATURES");
  std::string word;
  while (in >> word) {
    Feature f;
    if (detail::front::parse_feature(word, f)) {
      out.add(f);
    } else {
      ADD_FAILURE() << folder << "/FEATURES names an unknown feature: " << word;
    }
  }
  return out;
}

// The corpus folders of proposals (every folder but core with a FEATURES file).
inline std::vector<std::string> proposal_folders() {
  std::vector<std::string> out;
  for (const auto& dir : fs::directory_iterator(spec_dir())) {
    std::string name = dir.path().filename().string();
    if (dir.is_directory() && name != "core" && fs::exists(dir.path() / "FEATURES"))
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace wisp::test::front_corpus
