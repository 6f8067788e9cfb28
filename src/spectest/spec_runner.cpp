// Runs a wast2json spec command script (the format wabt's spectest-interp reads) against wisp.
#include "spectest/spec_runner.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "spectest/expected_failures.hpp"
#include "spectest/spec_values.hpp"
#include "spectest/spectest_host.hpp"
#include "wisp/wisp.hpp"

namespace wisp::spectest {
namespace {

using nlohmann::json;

// Why a command did not pass.
struct Failure {
  std::string message;
};

// One line naming an exception: "trap: out_of_bounds", "compile error: ... (at byte offset 0x12)".
std::string describe_exception(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const Trap& t) {
    return t.what();
  } catch (const CompileError& c) {
    return std::string("compile error: ") + c.what();
  } catch (const LinkError& l) {
    return std::string("link error: ") + l.what();
  } catch (const WasiExit& x) {
    return "wasi exit " + std::to_string(x.code());
  } catch (const std::exception& x) {
    return std::string("exception: ") + x.what();
  } catch (...) {
    return "unknown exception";
  }
}

// Whether a trap of `kind` is what the spec text `text` asks for.
bool trap_matches(const std::string& text, TrapKind kind) {
  if (text.starts_with("unreachable")) return kind == TrapKind::unreachable;
  if (text.starts_with("integer divide by zero")) return kind == TrapKind::divide_by_zero;
  if (text.starts_with("integer overflow")) return kind == TrapKind::integer_overflow;
  if (text.starts_with("invalid conversion")) return kind == TrapKind::invalid_conversion;
  if (text.starts_with("out of bounds")) return kind == TrapKind::out_of_bounds;
  if (text.starts_with("call stack exhausted")) return kind == TrapKind::stack_exhausted;
  if (text.starts_with("indirect call")) return kind == TrapKind::indirect_call;
  if (text.starts_with("null exception reference")) return kind == TrapKind::null_reference;
  if (text.starts_with("unaligned atomic")) return kind == TrapKind::unaligned_atomic;
  if (text.starts_with("expected shared memory")) return kind == TrapKind::expected_shared_memory;
  // call_indirect through an index past the table or a null entry (wasm2c: CALL_INDIRECT).
  if (text.starts_with("undefined element") || text.starts_with("uninitialized element")) {
    return kind == TrapKind::indirect_call || kind == TrapKind::out_of_bounds;
  }
  return true;
}

class Runner {
 public:
  Runner(const std::filesystem::path& json_path, const SpecOptions& options)
      : options_(options), dir_(json_path.parent_path()), engine_(engine_config(options)) {
    topts_.tier = options.tier == Tier::tier1 ? Tier::tier1 : Tier::tier0;
    linker_.allow_shadowing(true);
  }

  // Runs one command; returns normally on pass, throws Failure otherwise. Returns false: skipped.
  bool run(const json& c) {
    const std::string type = c.at("type").get<std::string>();
    if (type == "module") return run_module(c);
    if (type == "register") return run_register(c);
    if (type == "action") return run_action(c.at("action")), true;
    if (type == "assert_return") return check_return(c);
    if (type == "assert_trap" || type == "assert_exhaustion") return check_trap(c);
    if (type == "assert_invalid" || type == "assert_malformed") return check_invalid(c);
    if (type == "assert_unlinkable") return check_unlinkable(c);
    if (type == "assert_exception") return check_exception(c);
    if (type == "assert_uninstantiable") return check_uninstantiable(c);
    throw Failure{"unknown command type '" + type + "'"};
  }

  void start() { spectest_ = define_spectest(engine_, linker_, topts_, options_.verbose); }

 private:
  static EngineConfig engine_config(const SpecOptions& o) {
    EngineConfig config;
    config.cache_dir = o.cache_dir;
    config.enable_tier1 = o.tier == Tier::tier1;
    config.background_tier1 = false;
    config.consume_fuel = o.consume_fuel;
    config.proposals = o.proposals;
    return config;
  }

  Module compile(const json& c) {
    return engine_.compile(read_file_bytes(dir_ / c.at("filename").get<std::string>()));
  }

  Instance instantiate(const Module& m) {
    Instance inst = linker_.instantiate(m, topts_);
    if (options_.tier == Tier::tier1 && inst.tier() != Tier::tier1) {
      throw Failure{std::string("instance runs on ") + tier_name(inst.tier()) +
                    ", not tier1: " + m.tier1_error().value_or("(no tier-1 error reported)")};
    }
    return inst;
  }

  bool run_module(const json& c) {
    current_ = Instance();
    if (c.contains("name")) named_.erase(c["name"].get<std::string>());
    Instance inst = instantiate(compile(c));
    current_ = inst;
    if (c.contains("name")) named_[c["name"].get<std::string>()] = inst;
    return true;
  }

  Instance& instance_named(const json& holder, const char* key) {
    if (holder.contains(key)) {
      auto it = named_.find(holder[key].get<std::string>());
      if (it == named_.end()) throw Failure{"no module named " + holder[key].get<std::string>()};
      return it->second;
    }
    if (!current_) throw Failure{"no current module (did its instantiation fail?)"};
    return current_;
  }

  bool run_register(const json& c) {
    linker_.define_instance(c.at("as").get<std::string>(), instance_named(c, "name"));
    return true;
  }

  std::vector<Value> run_action(const json& a) {
    Instance& inst = instance_named(a, "module");
    const std::string field = a.at("field").get<std::string>();
    const std::string type = a.at("type").get<std::string>();
    if (type == "get") return {inst.global_get(field)};
    if (type != "invoke") throw Failure{"unknown action type '" + type + "'"};
    std::vector<Value> args;
    for (const json& v : a.value("args", json::array())) args.push_back(parse_value(v));
    return inst.call(field, args);
  }

  bool check_return(const json& c) {
    std::vector<Value> got = run_action(c.at("action"));
    const json& expected = c.at("expected");
    bool ok = got.size() == expected.size();
    for (size_t i = 0; ok && i < got.size(); ++i) ok = value_matches(expected[i], got[i]);
    if (ok) return true;
    std::string msg = "expected (";
    for (size_t i = 0; i < expected.size(); ++i)
      msg += (i ? ", " : "") + describe_expected(expected[i]);
    msg += "), got (";
    for (size_t i = 0; i < got.size(); ++i) msg += (i ? ", " : "") + describe_value(got[i]);
    throw Failure{msg + ")"};
  }

  // Expects a Trap whose kind fits the command's text. `body` runs the trapping part.
  template <typename F>
  void expect_trap(const json& c, F&& body) {
    const std::string text = c.value("text", "");
    try {
      body();
    } catch (const Trap& t) {
      if (c.at("type") == "assert_exhaustion" ? t.kind() == TrapKind::stack_exhausted
                                              : trap_matches(text, t.kind())) {
        return;
      }
      throw Failure{"expected trap '" + text + "', got " +
                    describe_exception(std::current_exception())};
    }
    throw Failure{"expected trap '" + text + "', but it returned normally"};
  }

  bool check_trap(const json& c) {
    if (c.contains("action")) {
      expect_trap(c, [&] { run_action(c["action"]); });
    } else {
      Module m = compile(c);
      expect_trap(c, [&] { instantiate(m); });
    }
    return true;
  }

  // The action ends with a WebAssembly exception that nothing caught (exception handling).
  bool check_exception(const json& c) {
    try {
      run_action(c.at("action"));
    } catch (const Trap& t) {
      if (t.kind() == TrapKind::uncaught_exception) return true;
      throw Failure{"expected an uncaught exception, got " +
                    describe_exception(std::current_exception())};
    }
    throw Failure{"expected an uncaught exception, but it returned normally"};
  }

  bool check_invalid(const json& c) {
    if (c.value("module_type", "binary") != "binary") return false;
    try {
      engine_.compile(read_file_bytes(dir_ / c.at("filename").get<std::string>()));
    } catch (const CompileError&) {
      return true;
    }
    throw Failure{"module compiled, but expected an error: " + c.value("text", "")};
  }

  bool check_unlinkable(const json& c) {
    Module m = compile(c);
    try {
      instantiate(m);
    } catch (const LinkError&) {
      return true;
    } catch (const Trap&) {
      return true;
    }
    throw Failure{"module instantiated, but expected a link error: " + c.value("text", "")};
  }

  bool check_uninstantiable(const json& c) {
    Module m = compile(c);
    expect_trap(c, [&] { instantiate(m); });
    return true;
  }

  SpecOptions options_;
  std::filesystem::path dir_;
  Engine engine_;
  Linker linker_;
  TemplateOptions topts_;
  Instance spectest_;
  Instance current_;
  std::map<std::string, Instance> named_;
};

// "assert_return invoke f(i32:1, ...)" or "module m.0.wasm"
std::string describe_command(const json& c) {
  std::string s = c.value("type", "?");
  if (c.contains("action")) {
    const json& a = c["action"];
    s += " " + a.value("type", "?") + " \"" + a.value("field", "") + "\"";
    if (a.contains("module")) s += " in " + a["module"].get<std::string>();
    s += "(";
    const json args = a.value("args", json::array());
    for (size_t i = 0; i < args.size(); ++i) s += (i ? ", " : "") + describe_expected(args[i]);
    s += ")";
  } else if (c.contains("filename")) {
    s += " " + c["filename"].get<std::string>();
  } else if (c.contains("as")) {
    s += " as \"" + c["as"].get<std::string>() + "\"";
  }
  return s;
}

// Folds a multi-line message (compiler diagnostics) into one line.
std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::string out;
  for (char ch : s) {
    if (ch == '\n') {
      out += " | ";
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

std::string SpecResult::summary() const {
  return std::to_string(passed) + " passed, " + std::to_string(failed) + " failed, " +
         std::to_string(skipped) + " skipped";
}

SpecResult run_spec_script(const std::filesystem::path& json_path, const SpecOptions& options) {
  std::ifstream in(json_path);
  if (!in) throw Error("cannot read spec script " + json_path.string());
  json script;
  try {
    script = json::parse(in);
  } catch (const std::exception& e) {
    throw Error("spec script " + json_path.string() + " is not valid JSON: " + e.what());
  }
  const ExpectedFailures expected = ExpectedFailures::load(options.expected_failures);
  // A proposal's script is named with its folder ("extended-const/data"), a core one without.
  std::string name = json_path.stem().string();
  const std::filesystem::path corpus = json_path.parent_path().parent_path();
  if (const std::string folder = corpus.filename().string(); !folder.empty() && folder != "core")
    name = folder + "/" + name;
  SpecResult result;
  Runner runner(json_path, options);
  std::optional<std::string> setup_error;
  try {
    runner.start();
  } catch (...) {
    setup_error = "spectest host module: " + describe_exception(std::current_exception());
  }

  for (const json& c : script.at("commands")) {
    const int line = c.value("line", 0);
    std::optional<std::string> failure = setup_error;
    bool skipped = false;
    if (options.trace)
      std::fprintf(stderr, "%s:%d: %s\n", name.c_str(), line, describe_command(c).c_str());
    if (!failure) {
      try {
        skipped = !runner.run(c);
      } catch (const Failure& f) {
        failure = f.message;
      } catch (...) {
        failure = describe_exception(std::current_exception());
      }
    }
    if (failure) *failure = one_line(*failure);
    const std::string where = name + ":" + std::to_string(line);
    if (skipped) {
      ++result.skipped;
      if (options.verbose)
        std::printf("%s: skipped %s (text module)\n", where.c_str(), describe_command(c).c_str());
      continue;
    }
    const std::string* listed = expected.find(name, line, options.tier);
    std::string report;
    if (failure && listed) {
      ++result.expected_failures;
      if (options.verbose)
        std::printf("%s: expected failure (%s): %s\n", where.c_str(), listed->c_str(),
                    failure->c_str());
    } else if (failure) {
      ++result.failed;
      report = where + ": " + describe_command(c) + ": " + *failure;
    } else if (listed) {
      ++result.failed;
      ++result.unexpected_passes;
      report =
          where + ": " + describe_command(c) + ": unexpectedly passed (listed: " + *listed + ")";
    } else {
      ++result.passed;
    }
    if (!report.empty()) {
      if (options.verbose) std::printf("FAIL %s\n", report.c_str());
      result.failures.push_back(std::move(report));
    }
  }
  std::fflush(stdout);
  return result;
}

}  // namespace wisp::spectest
