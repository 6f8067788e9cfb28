// wisp::SharedInstance (include/wisp/dylink.hpp) on both tiers: side modules loaded into one main
// instance's memory and table (bases, GOT.mem / GOT.func for the main module's symbols and
// their own, data relocations, constructors), the plugin example's three languages with their
// contexts, a trap and the rebuild from the snapshot, and refused inputs (no dylink.0, a needed
// module missing, an unresolvable import, an alignment past 64 KiB, an allocator that fails).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "support/rng.hpp"
#include "wisp/dylink.hpp"

namespace wisp::test {
namespace {

const std::filesystem::path kGuests = WISP_DYLINK_GUESTS;
const std::filesystem::path kExamples = WISP_EXAMPLES_DIR;

class SharedInstanceTest : public TierTest {
 protected:
  SharedInstanceOptions shared_options() const {
    SharedInstanceOptions o;
    o.main_options.tier = tier();
    o.side_tier = tier();
    return o;
  }
  Module file(const std::filesystem::path& p) { return engine().compile_file(p); }
  std::vector<uint8_t> bytes(const std::filesystem::path& p) { return read_file_bytes(p); }
  int32_t call_i32(Instance inst, std::string_view name, std::initializer_list<Value> args) {
    return inst.call(name, args).at(0).as_i32();
  }
};

TEST_P(SharedInstanceTest, GotEntriesRelocationsAndConstructors) {
  SharedInstance shared(engine(), file(kGuests / "got_main.wasm"), shared_options());
  const uint32_t table_before = shared.main().table("__indirect_function_table").size();
  const auto& side = shared.load_side_module_file(kGuests / "got_side.wasm");
  EXPECT_EQ(side.name, "got_side");
  Instance inst = side.instance;
  EXPECT_EQ(inst.tier(), tier());
  // Its data is where the loader put it, aligned as dylink.0 asks, inside the main memory.
  ASSERT_GT(side.info.memory_size, 256u);  // side_bss alone is 256 bytes
  EXPECT_EQ(side.memory_base % (1u << side.info.memory_align), 0u);
  const uint32_t addr = static_cast<uint32_t>(call_i32(inst, "side_addr_of_value", {}));
  EXPECT_GE(addr, side.memory_base);
  EXPECT_LT(addr, side.memory_base + side.info.memory_size);
  EXPECT_EQ(shared.main().memory().load<int32_t>(addr), 40);
  // GOT.mem of its own data and of the main module's, read through relocated pointers.
  EXPECT_EQ(call_i32(inst, "side_read_own", {}), 40);
  EXPECT_EQ(call_i32(inst, "side_read_main_counter", {}), 5);
  shared.main().call("main_bump");
  EXPECT_EQ(call_i32(inst, "side_read_main_counter", {}), 6);
  // GOT.func: pointers to a main function and to its own, called through the shared table.
  EXPECT_EQ(call_i32(inst, "side_call_main_ptr", {Value::i32(21)}), 42);
  EXPECT_EQ(call_i32(inst, "side_call_own_ptr", {Value::i32(2)}), 42);
  // Its own function pointer handed to the main module, which calls it (call_indirect).
  EXPECT_EQ(call_i32(inst, "side_round_trip", {Value::i32(1)}), 41);
  // The constructor ran once the relocations were applied; bss is zeroed but for its write.
  EXPECT_EQ(call_i32(inst, "side_ctor_ran", {}), 8);
  // The table grew by its table_size plus one slot per GOT.func entry.
  Table table = shared.main().table("__indirect_function_table");
  EXPECT_EQ(table.size(), table_before + side.info.table_size + 2);
  EXPECT_EQ(shared.side_table_slots(), side.info.table_size + 2);
  EXPECT_FALSE(table.is_null(table.size() - 1));
}

TEST_P(SharedInstanceTest, SideModulesLinkToSideModulesLoadedBeforeThem) {
  SharedInstance shared(engine(), file(kGuests / "got_main.wasm"), shared_options());
  // Alone, its import of side_add resolves nowhere (nothing changes).
  EXPECT_THROW(shared.load_side_module_file(kGuests / "uses_side.wasm"), LinkError);
  EXPECT_TRUE(shared.side_names().empty());
  shared.load_side_module_file(kGuests / "got_side.wasm");
  const auto& user = shared.load_side_module_file(kGuests / "uses_side.wasm");
  // env.side_add from got_side's exports; GOT.mem.side_value is got_side's data.
  EXPECT_EQ(call_i32(user.instance, "uses_side", {Value::i32(2)}), (2 + 40) * 2 + 40);
  // A rebuild without got_side cannot load uses_side again: reported, the rest carries on.
  EXPECT_THROW(shared.rebuild({"got_side"}), LinkError);
  EXPECT_TRUE(shared.side_names().empty());
  EXPECT_FALSE(shared.main().trapped());
}

TEST_P(SharedInstanceTest, SharedInstancesOfOneTemplateShareItsSnapshotNotTheirState) {
  SharedInstanceOptions o = shared_options();
  Template main = Linker().instantiate_template(file(kGuests / "got_main.wasm"), o.main_options);
  SharedInstance a(engine(), main, o), b(engine(), main, o);
  const auto& sa = a.load_side_module_file(kGuests / "got_side.wasm");
  const auto& sb = b.load_side_module_file(kGuests / "got_side.wasm");
  a.main().call("main_bump");
  a.main().call("main_bump");
  EXPECT_EQ(call_i32(sa.instance, "side_read_main_counter", {}), 7);
  EXPECT_EQ(call_i32(sb.instance, "side_read_main_counter", {}), 5);
  EXPECT_EQ(sa.memory_base, sb.memory_base);  // the same allocator state from one snapshot
  EXPECT_TRUE(main.snapshot_info().captured);
  // A template without the allocator is refused too.
  Template bare =
      Linker().instantiate_template(compile(R"((module (memory (export "memory") 1)))"));
  EXPECT_THROW({ SharedInstance s(engine(), bare, o); }, LinkError);
}

TEST_P(SharedInstanceTest, ThreePluginsShareOneInstanceEachWithItsOwnContext) {
  SharedInstance shared(engine(), file(kExamples / "plugins_main.wasm"), shared_options());
  for (const char* lang : {"c", "json", "markdown"})
    shared.load_side_module_file(kExamples / "plugins" / (std::string("lang_") + lang + ".wasm"));
  Instance& main = shared.main();
  ASSERT_EQ(call_i32(main, "language_count", {}), 3);
  // Each plugin's data region and context is its own: distinct, inside the main memory.
  std::vector<std::pair<uint32_t, uint32_t>> regions;
  for (const std::string& n : shared.side_names()) {
    const auto* s = shared.side(n);
    ASSERT_NE(s, nullptr);
    regions.emplace_back(s->memory_base, s->memory_base + s->info.memory_size);
  }
  for (int32_t l = 0; l < 3; ++l) {
    const uint32_t ctx = static_cast<uint32_t>(call_i32(main, "language_state", {Value::i32(l)}));
    ASSERT_NE(ctx, 0u);
    regions.emplace_back(ctx, ctx + 8);
  }
  std::sort(regions.begin(), regions.end());
  for (size_t i = 1; i < regions.size(); ++i) EXPECT_LE(regions[i - 1].second, regions[i].first);

  // Highlight through the main module: it calls the plugin through its function pointer.
  Memory mem = main.memory();
  const uint32_t buf = static_cast<uint32_t>(call_i32(main, "malloc", {Value::i32(64)}));
  auto highlight = [&](int32_t lang, const std::string& text) {
    mem.write(buf, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    const int32_t n = call_i32(main, "highlight",
                               {Value::i32(lang), Value::i32(static_cast<int32_t>(buf)),
                                Value::i32(static_cast<int32_t>(text.size()))});
    const uint32_t toks = static_cast<uint32_t>(call_i32(main, "tokens", {}));
    std::vector<std::string> out;
    for (int32_t t = 0; t < n; ++t) {
      const int32_t kind = mem.load<int32_t>(toks + 12 * t);
      const int32_t start = mem.load<int32_t>(toks + 12 * t + 4);
      const int32_t len = mem.load<int32_t>(toks + 12 * t + 8);
      out.push_back(std::to_string(kind) + ":" + text.substr(start, len));
    }
    return out;
  };
  EXPECT_EQ(highlight(0, "int x = 42; /* open"),
            (std::vector<std::string>{"2:int", "4:42", "6:;", "5:/* open"}));
  // The C plugin's context remembers the open comment; the JSON plugin's does not see it.
  EXPECT_EQ(highlight(1, "{\"k\": true}"),
            (std::vector<std::string>{"6:{", "7:\"k\"", "6::", "1:true", "6:}"}));
  EXPECT_EQ(highlight(0, "still */ return"), (std::vector<std::string>{"5:still */", "1:return"}));
  EXPECT_EQ(highlight(2, "# Title"), (std::vector<std::string>{"8:# Title"}));
}

TEST_P(SharedInstanceTest, TrappingPluginIsDroppedAndTheOthersAreRebuiltFromTheSnapshot) {
  SharedInstance shared(engine(), file(kExamples / "plugins_main.wasm"), shared_options());
  for (const char* lang : {"c", "crashy", "json"})
    shared.load_side_module_file(kExamples / "plugins" / (std::string("lang_") + lang + ".wasm"));
  Instance& main = shared.main();
  const uint32_t table_loaded = main.table("__indirect_function_table").size();
  Memory mem = main.memory();
  const uint32_t buf = static_cast<uint32_t>(call_i32(main, "malloc", {Value::i32(16)}));
  const std::string boom = "boom";
  mem.write(buf, std::span(reinterpret_cast<const uint8_t*>(boom.data()), boom.size()));
  // Leave the C plugin's context in a state (an open comment) a rebuild must not keep.
  const std::string open = "/*";
  mem.write(buf + 8, std::span(reinterpret_cast<const uint8_t*>(open.data()), open.size()));
  call_i32(main, "highlight",
           {Value::i32(0), Value::i32(static_cast<int32_t>(buf + 8)), Value::i32(2)});
  EXPECT_TRAP(
      main.call("highlight", {Value::i32(1), Value::i32(static_cast<int32_t>(buf)), Value::i32(4)}),
      TrapKind::unreachable);
  EXPECT_TRUE(main.trapped());

  shared.rebuild({"lang_crashy"});
  EXPECT_EQ(shared.rebuilds(), 1u);
  EXPECT_FALSE(shared.main().trapped());
  EXPECT_EQ(shared.side_names(), (std::vector<std::string>{"lang_c", "lang_json"}));
  EXPECT_EQ(shared.side("lang_crashy"), nullptr);
  EXPECT_EQ(call_i32(shared.main(), "language_count", {}), 2);
  EXPECT_LT(shared.main().table("__indirect_function_table").size(), table_loaded);
  // The C plugin works again, from a fresh context (no comment left open).
  Memory m2 = shared.main().memory();
  const uint32_t b2 = static_cast<uint32_t>(call_i32(shared.main(), "malloc", {Value::i32(16)}));
  const std::string kw = "return";
  m2.write(b2, std::span(reinterpret_cast<const uint8_t*>(kw.data()), kw.size()));
  EXPECT_EQ(call_i32(shared.main(), "highlight",
                     {Value::i32(0), Value::i32(static_cast<int32_t>(b2)), Value::i32(6)}),
            1);
  const uint32_t toks = static_cast<uint32_t>(call_i32(shared.main(), "tokens", {}));
  EXPECT_EQ(m2.load<int32_t>(toks), 1);  // TOK_KEYWORD, not a comment
}

TEST_P(SharedInstanceTest, ConstructorTrapRebuildsWithoutTheModule) {
  SharedInstance shared(engine(), file(kGuests / "got_main.wasm"), shared_options());
  shared.load_side_module_file(kGuests / "got_side.wasm");
  EXPECT_TRAP(shared.load_side_module_file(kGuests / "trap_ctor_side.wasm"), TrapKind::unreachable);
  EXPECT_EQ(shared.rebuilds(), 1u);
  EXPECT_EQ(shared.side_names(), (std::vector<std::string>{"got_side"}));
  Instance inst = shared.side("got_side")->instance;
  EXPECT_EQ(call_i32(inst, "side_call_own_ptr", {Value::i32(2)}), 42);
}

TEST_P(SharedInstanceTest, RefusedSideModulesLeaveTheInstanceAsItWas) {
  SharedInstance shared(engine(), file(kGuests / "got_main.wasm"), shared_options());
  shared.load_side_module_file(kGuests / "got_side.wasm");
  const uint32_t table = shared.main().table("__indirect_function_table").size();
  const uint32_t pages = shared.main().memory().pages();
  auto expect_link_error = [&](auto&& load, const std::string& needle) {
    try {
      load();
      ADD_FAILURE() << "expected LinkError containing " << needle;
    } catch (const LinkError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  // An ordinary module: no dylink.0.
  expect_link_error([&] { shared.load_side_module(bytes(kGuests / "got_main.wasm"), "plain"); },
                    "no \"dylink.0\" section");
  // An import nobody defines.
  expect_link_error([&] { shared.load_side_module_file(kGuests / "bad_import_side.wasm"); },
                    "does_not_exist");
  // The same name twice.
  expect_link_error([&] { shared.load_side_module_file(kGuests / "got_side.wasm"); },
                    "loaded already");
  // dylink.0 by hand: a needed module that is not loaded, an alignment past 64 KiB.
  auto module_with = [](std::vector<uint8_t> dylink) {
    std::vector<uint8_t> m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00};
    std::vector<uint8_t> body = {8, 'd', 'y', 'l', 'i', 'n', 'k', '.', '0'};
    body.insert(body.end(), dylink.begin(), dylink.end());
    m.push_back(static_cast<uint8_t>(body.size()));
    m.insert(m.end(), body.begin(), body.end());
    return m;
  };
  std::vector<uint8_t> needs = module_with({1, 4, 0, 0, 0, 0, 2, 5, 1, 3, 'l', 'i', 'b'});
  EXPECT_EQ(read_dylink_info(needs).needed, std::vector<std::string>{"lib"});
  expect_link_error([&] { shared.load_side_module(needs, "needs_lib"); }, "\"lib\"");
  std::vector<uint8_t> aligned = module_with({1, 4, 16, 20, 0, 0});
  EXPECT_EQ(read_dylink_info(aligned).memory_align, 20u);
  expect_link_error([&] { shared.load_side_module(aligned, "over_aligned"); }, "alignment");
  // A malformed dylink.0 (a subsection longer than the section).
  EXPECT_THROW(read_dylink_info(module_with({1, 9, 0})), CompileError);
  EXPECT_THROW(shared.load_side_module(module_with({1, 9, 0}), "malformed"), CompileError);

  EXPECT_EQ(shared.rebuilds(), 0u);
  EXPECT_EQ(shared.side_names(), std::vector<std::string>{"got_side"});
  EXPECT_EQ(shared.main().table("__indirect_function_table").size(), table);
  EXPECT_EQ(shared.main().memory().pages(), pages);
  EXPECT_EQ(call_i32(shared.side("got_side")->instance, "side_read_own", {}), 40);
}

TEST_P(SharedInstanceTest, MainModuleWithoutWhatTheLoaderNeedsOrAFailingAllocator) {
  // No allocator export.
  Module no_malloc = compile(R"((module
      (memory (export "memory") 1)
      (table (export "__indirect_function_table") 1 funcref)))");
  EXPECT_THROW({ SharedInstance s(engine(), no_malloc, shared_options()); }, LinkError);
  // An allocator that always fails: a plugin with data cannot be placed.
  SharedInstance shared(engine(), compile(R"((module
      (memory (export "memory") 1)
      (table (export "__indirect_function_table") 1 funcref)
      (func (export "malloc") (param i32) (result i32) (i32.const 0))))"),
                        shared_options());
  // (trap_ctor_side has data and imports nothing from the main module; its constructor never
  // runs here.)
  EXPECT_TRAP(shared.load_side_module_file(kGuests / "trap_ctor_side.wasm"),
              TrapKind::resource_limit);
  EXPECT_TRUE(shared.side_names().empty());
  // An allocator that traps: reported, and the instance rebuilt.
  SharedInstance trapping(engine(), compile(R"((module
      (memory (export "memory") 1)
      (table (export "__indirect_function_table") 1 funcref)
      (func (export "malloc") (param i32) (result i32) (unreachable))))"),
                          shared_options());
  EXPECT_TRAP(trapping.load_side_module_file(kGuests / "trap_ctor_side.wasm"),
              TrapKind::unreachable);
  EXPECT_EQ(trapping.rebuilds(), 1u);
  EXPECT_FALSE(trapping.main().trapped());
}

// Damaged side modules (bytes flipped in the sections the loader reads: dylink.0, types,
// imports; truncated anywhere) throw wisp errors or load; none crashes, and the instance keeps
// working.
TEST_P(SharedInstanceTest, DamagedSideModulesThrowErrorsNeverCrash) {
  if (tier() == Tier::tier1) GTEST_SKIP() << "tier 0 only: each damaged module is compiled";
  SharedInstance shared(engine(), file(kGuests / "got_main.wasm"), shared_options());
  const std::vector<uint8_t> good = bytes(kGuests / "got_side.wasm");
  Rng rng(14);
  int refused = 0, loaded = 0;
  for (int i = 0; i < 300; ++i) {
    std::vector<uint8_t> b = good;
    if (i % 3 == 0) {
      b.resize(rng.below(b.size()));
    } else {
      const size_t at = 8 + rng.below(std::min<size_t>(b.size() - 8, 400));
      b[at] = static_cast<uint8_t>(b[at] ^ (1u << rng.below(8)));
    }
    try {
      shared.load_side_module(b, "damaged" + std::to_string(i));
      ++loaded;
    } catch (const Error&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 100);
  EXPECT_EQ(refused + loaded, 300);
  EXPECT_GT(call_i32(shared.main(), "main_bump", {}), 0);
}

INSTANTIATE_TEST_SUITE_P(Tiers, SharedInstanceTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
