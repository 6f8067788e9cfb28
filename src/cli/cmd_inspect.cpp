// `wisp inspect m.wasm [--json]`: a module's imports, exports, features, sections, start, hash.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "wisp/engine.hpp"

namespace wisp::cli {
namespace {

struct InspectOptions {
  std::string file;
  bool json = false;
};

nlohmann::json to_json(const std::string& file, const Module& m) {
  nlohmann::json j;
  j["file"] = file;
  j["size"] = m.byte_size();
  j["sha256"] = m.hash();
  j["imports"] = nlohmann::json::array();
  for (const ImportDesc& i : m.imports()) {
    j["imports"].push_back({{"module", i.module},
                            {"name", i.name},
                            {"kind", extern_kind_name(i.type.kind)},
                            {"type", i.type.to_string()}});
  }
  j["exports"] = nlohmann::json::array();
  for (const ExportDesc& e : m.exports()) {
    j["exports"].push_back(
        {{"name", e.name}, {"kind", extern_kind_name(e.type.kind)}, {"type", e.type.to_string()}});
  }
  j["features"] = m.features();
  j["sections"] = nlohmann::json::array();
  for (const SectionSize& s : m.section_sizes()) {
    j["sections"].push_back({{"name", s.name}, {"bytes", s.bytes}});
  }
  j["start"] = m.start_function() ? nlohmann::json(*m.start_function()) : nlohmann::json(nullptr);
  return j;
}

void print_text(const std::string& file, const Module& m) {
  std::printf("module:   %s\n", file.c_str());
  std::printf("size:     %zu bytes\n", m.byte_size());
  std::printf("sha256:   %s\n", m.hash().c_str());
  if (m.start_function()) {
    std::printf("start:    func %u\n", *m.start_function());
  } else {
    std::printf("start:    none\n");
  }
  std::string features;
  for (const std::string& f : m.features()) features += (features.empty() ? "" : ", ") + f;
  std::printf("features: %s\n", features.empty() ? "none (MVP)" : features.c_str());
  std::printf("imports (%zu):\n", m.imports().size());
  for (const ImportDesc& i : m.imports()) {
    std::printf("  %s.%s: %s\n", i.module.c_str(), i.name.c_str(), i.type.to_string().c_str());
  }
  std::printf("exports (%zu):\n", m.exports().size());
  for (const ExportDesc& e : m.exports()) {
    std::printf("  %s: %s\n", e.name.c_str(), e.type.to_string().c_str());
  }
  std::printf("sections (%zu):\n", m.section_sizes().size());
  for (const SectionSize& s : m.section_sizes()) {
    std::printf("  %-12s %10llu bytes\n", s.name.c_str(), static_cast<unsigned long long>(s.bytes));
  }
}

int inspect(const InspectOptions& o) {
  Engine engine(engine_config_for(Tier::tier0));
  Module m = engine.inspect_file(o.file);  // reads and validates; compiles nothing
  if (o.json) {
    std::printf("%s\n", to_json(o.file, m).dump(2).c_str());
  } else {
    print_text(o.file, m);
  }
  return kOk;
}

}  // namespace

void add_inspect(CLI::App& app, Action& action) {
  auto o = std::make_shared<InspectOptions>();
  CLI::App* sub =
      app.add_subcommand("inspect", "Show a module's imports, exports, features and sections");
  sub->add_option("module", o->file, "The .wasm file")->required();
  sub->add_flag("--json", o->json, "Print JSON instead of text");
  sub->callback([o, &action] { action = [o] { return inspect(*o); }; });
}

}  // namespace wisp::cli
