// wisp_highlight: the plugin example's CLI. One main module instance (plugins_main.wasm) with the
// language plugins (side modules, dylink.0) of a directory loaded into it; each FILE is
// highlighted line by line by the plugin its extension picks, in ANSI colours or, with
// --tokens, one token per line ("LINE:COL KIND TEXT"). A plugin that traps is reported and the
// instance is rebuilt from its snapshot with the other plugins; later files go on.
//
//   wisp_highlight [--tier 0|1] [--tokens] [--dir DIR] FILE...
//   (DIR: where plugins_main.wasm and plugins/*.wasm are; default: next to this program)
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "plugin_api.h"
#include "wisp/dylink.hpp"
#include "wisp/wisp.hpp"

namespace fs = std::filesystem;

namespace {

const char* kind_name(int k) {
  static const char* const names[TOK_KIND_COUNT] = {
      "plain", "keyword", "type", "string",   "number", "comment", "punct",
      "key",   "heading", "code", "emphasis", "link",   "preproc"};
  return k >= 0 && k < TOK_KIND_COUNT ? names[k] : "?";
}

const char* kind_colour(int k) {
  switch (k) {
    case TOK_KEYWORD:
      return "\x1b[1;35m";
    case TOK_TYPE:
      return "\x1b[36m";
    case TOK_STRING:
      return "\x1b[32m";
    case TOK_NUMBER:
      return "\x1b[33m";
    case TOK_COMMENT:
      return "\x1b[2;37m";
    case TOK_PUNCT:
      return "\x1b[37m";
    case TOK_KEY:
      return "\x1b[34m";
    case TOK_HEADING:
      return "\x1b[1;34m";
    case TOK_CODE:
      return "\x1b[33m";
    case TOK_EMPHASIS:
      return "\x1b[3m";
    case TOK_LINK:
      return "\x1b[4;36m";
    case TOK_PREPROC:
      return "\x1b[31m";
    default:
      return "";
  }
}

// The plugins loaded into the shared instance, and which languages each registered.
struct Plugins {
  wisp::SharedInstance& shared;
  std::vector<fs::path> files;           // in load order
  std::map<int32_t, std::string> owner;  // language id -> plugin name

  // Loads `files` (those whose names are not in `skip`), noting the languages each adds.
  void load_all(const std::vector<std::string>& skip = {}) {
    owner.clear();
    for (const fs::path& f : files) {
      std::string name = f.stem().string();
      if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
      if (!shared.side(name)) {
        try {
          shared.load_side_module_file(f);
        } catch (const wisp::Error& e) {
          std::fprintf(stderr, "wisp_highlight: cannot load plugin %s: %s\n", name.c_str(),
                       e.what());
          continue;
        }
      }
    }
    name_languages();
  }
  // After loads or a rebuild: languages are numbered in the order the constructors ran.
  void name_languages() {
    owner.clear();
    int32_t id = 0;
    for (const std::string& name : shared.side_names()) {
      // Each plugin of this example registers exactly one language.
      owner[id++] = name;
    }
  }
};

std::vector<std::string> read_lines(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw wisp::Error("cannot read " + p.string());
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Highlights one file; throws wisp::Trap when its plugin traps.
void highlight_file(wisp::Instance& main, int32_t lang, const fs::path& file, bool tokens) {
  std::vector<std::string> lines = read_lines(file);
  size_t longest = 1;
  for (const std::string& l : lines) longest = std::max(longest, l.size());
  auto malloc_fn = main.func<int32_t(int32_t)>("malloc");
  auto free_fn = main.func<void(int32_t)>("free");
  auto highlight = main.func<int32_t(int32_t, int32_t, int32_t)>("highlight");
  const int32_t buf = malloc_fn(static_cast<int32_t>(longest));
  if (buf == 0) throw wisp::Error("the main module is out of memory");
  const uint32_t toks = static_cast<uint32_t>(main.func<int32_t()>("tokens")());
  wisp::Memory mem = main.memory();
  for (size_t ln = 0; ln < lines.size(); ++ln) {
    const std::string& line = lines[ln];
    mem.write(static_cast<uint32_t>(buf),
              std::span(reinterpret_cast<const uint8_t*>(line.data()), line.size()));
    const int32_t n = highlight(lang, buf, static_cast<int32_t>(line.size()));
    std::vector<token> spans(static_cast<size_t>(std::max(n, 0)));
    for (int32_t t = 0; t < n; ++t) spans[t] = mem.load<token>(toks + t * sizeof(token));
    size_t at = 0;
    for (const token& t : spans) {
      // Spans come from the plugin: check them against the line before using them.
      if (t.start < 0 || t.len <= 0 || static_cast<size_t>(t.start) < at ||
          static_cast<size_t>(t.start) + t.len > line.size())
        continue;
      std::string text = line.substr(t.start, t.len);
      if (tokens) {
        std::printf("%zu:%d %s %s\n", ln + 1, t.start + 1, kind_name(t.kind), text.c_str());
      } else {
        std::printf("%s%s%s\x1b[0m", line.substr(at, t.start - at).c_str(), kind_colour(t.kind),
                    text.c_str());
      }
      at = t.start + t.len;
    }
    if (!tokens) std::printf("%s\n", line.substr(at).c_str());
  }
  free_fn(buf);
}

int usage() {
  std::fprintf(stderr, "usage: wisp_highlight [--tier 0|1] [--tokens] [--dir DIR] FILE...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path dir = fs::absolute(argv[0]).parent_path();
  wisp::Tier tier = wisp::Tier::automatic;
  bool tokens = false;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--tokens") {
      tokens = true;
    } else if (a == "--tier" && i + 1 < argc) {
      std::string t = argv[++i];
      tier = t == "0" ? wisp::Tier::tier0 : t == "1" ? wisp::Tier::tier1 : wisp::Tier::automatic;
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (!a.empty() && a[0] == '-') {
      return usage();
    } else {
      inputs.emplace_back(a);
    }
  }
  if (inputs.empty()) return usage();
  try {
    wisp::EngineConfig config;
    config.background_tier1 = tier != wisp::Tier::tier1;
    config.enable_tier1 = tier != wisp::Tier::tier0;
    wisp::Engine engine(config);
    wisp::SharedInstanceOptions options;
    options.main_options.tier = tier;
    options.side_tier = tier;
    wisp::SharedInstance shared(engine, engine.compile_file(dir / "plugins_main.wasm"), options);
    Plugins plugins{shared, {}, {}};
    for (const auto& e : fs::directory_iterator(dir / "plugins"))
      if (e.path().extension() == ".wasm") plugins.files.push_back(e.path());
    std::sort(plugins.files.begin(), plugins.files.end());
    plugins.load_all();

    int status = 0;
    for (const fs::path& file : inputs) {
      const std::string ext = file.extension().string();
      wisp::Instance& main = shared.main();
      wisp::Memory mem = main.memory();
      auto malloc_fn = main.func<int32_t(int32_t)>("malloc");
      const int32_t p = malloc_fn(static_cast<int32_t>(ext.size() + 1));
      mem.write(static_cast<uint32_t>(p),
                std::span(reinterpret_cast<const uint8_t*>(ext.data()), ext.size()));
      const int32_t lang =
          main.func<int32_t(int32_t, int32_t)>("language_for")(p, static_cast<int32_t>(ext.size()));
      main.func<void(int32_t)>("free")(p);
      if (lang < 0) {
        std::fprintf(stderr, "wisp_highlight: %s: no plugin for \"%s\"\n", file.c_str(),
                     ext.c_str());
        status = 1;
        continue;
      }
      const std::string plugin = plugins.owner[lang];
      if (tokens) std::printf("== %s (%s)\n", file.c_str(), plugin.c_str());
      try {
        highlight_file(main, lang, file, tokens);
      } catch (const wisp::Trap& t) {
        std::fflush(stdout);
        std::fprintf(stderr,
                     "wisp_highlight: %s: plugin %s trapped (%s); rebuilding the instance "
                     "without it\n",
                     file.c_str(), plugin.c_str(), t.what());
        shared.rebuild({plugin});
        plugins.name_languages();
        status = 1;
      }
    }
    std::fflush(stdout);
    std::fprintf(stderr, "wisp_highlight: %zu plugins in one instance, %llu rebuilds\n",
                 shared.side_names().size(), static_cast<unsigned long long>(shared.rebuilds()));
    return status;
  } catch (const wisp::Error& e) {
    std::fprintf(stderr, "wisp_highlight: %s\n", e.what());
    return 1;
  }
}
