// Module metadata: imports, exports, section sizes, start function, hash and size.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/binary.hpp"
#include "support/fixture.hpp"
#include "support/wat.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr const char* kInterfaceWat = R"((module
  (import "env" "f" (func (param i32 i64) (result f32)))
  (import "env" "mem" (memory 1 2))
  (import "host" "tab" (table 10 funcref))
  (import "host" "g" (global (mut i32)))
  (import "host" "h" (global f64))
  (func $start)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "nothing"))
  (table (export "table") 3 8 externref)
  (global (export "counter") (mut i64) (i64.const 0))
  (global (export "pi") f64 (f64.const 3.14))
  (export "memory" (memory 0))
  (start $start)))";

class ModuleInfoTest : public ::testing::Test {
 protected:
  TempDir cache_;
  Engine engine_{engine_config(Tier::tier0, cache_.path())};
};

TEST_F(ModuleInfoTest, Imports) {
  Module m = engine_.compile(wat(kInterfaceWat));
  const std::vector<ImportDesc>& imports = m.imports();
  ASSERT_EQ(imports.size(), 5u);

  EXPECT_EQ(imports[0].module, "env");
  EXPECT_EQ(imports[0].name, "f");
  EXPECT_EQ(imports[0].type.kind, ExternKind::func);
  EXPECT_EQ(imports[0].type.func, (FuncType{{ValType::i32, ValType::i64}, {ValType::f32}}));

  EXPECT_EQ(imports[1].name, "mem");
  EXPECT_EQ(imports[1].type.kind, ExternKind::memory);
  EXPECT_EQ(imports[1].type.memory.limits.min, 1u);
  EXPECT_EQ(imports[1].type.memory.limits.max, 2u);

  EXPECT_EQ(imports[2].module, "host");
  EXPECT_EQ(imports[2].type.kind, ExternKind::table);
  EXPECT_EQ(imports[2].type.table.elem, ValType::funcref);
  EXPECT_EQ(imports[2].type.table.limits.min, 10u);
  EXPECT_FALSE(imports[2].type.table.limits.max.has_value());

  EXPECT_EQ(imports[3].type.kind, ExternKind::global);
  EXPECT_EQ(imports[3].type.global.type, ValType::i32);
  EXPECT_TRUE(imports[3].type.global.mut);
  EXPECT_EQ(imports[4].type.global.type, ValType::f64);
  EXPECT_FALSE(imports[4].type.global.mut);
}

TEST_F(ModuleInfoTest, Exports) {
  Module m = engine_.compile(wat(kInterfaceWat));
  std::vector<std::string> names;
  for (const ExportDesc& e : m.exports()) names.push_back(e.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"add", "nothing", "table", "counter", "pi", "memory"}));

  std::optional<ExportDesc> add = m.find_export("add");
  ASSERT_TRUE(add.has_value());
  EXPECT_EQ(add->type.kind, ExternKind::func);
  EXPECT_EQ(add->type.func, (FuncType{{ValType::i32, ValType::i32}, {ValType::i32}}));
  EXPECT_EQ(m.find_export("nothing")->type.func, FuncType{});

  std::optional<ExportDesc> table = m.find_export("table");
  ASSERT_TRUE(table.has_value());
  EXPECT_EQ(table->type.kind, ExternKind::table);
  EXPECT_EQ(table->type.table.elem, ValType::externref);
  EXPECT_EQ(table->type.table.limits.min, 3u);
  EXPECT_EQ(table->type.table.limits.max, 8u);

  std::optional<ExportDesc> counter = m.find_export("counter");
  ASSERT_TRUE(counter.has_value());
  EXPECT_EQ(counter->type.global.type, ValType::i64);
  EXPECT_TRUE(counter->type.global.mut);
  EXPECT_FALSE(m.find_export("pi")->type.global.mut);

  // An exported imported memory keeps the import's type.
  std::optional<ExportDesc> memory = m.find_export("memory");
  ASSERT_TRUE(memory.has_value());
  EXPECT_EQ(memory->type.kind, ExternKind::memory);
  EXPECT_EQ(memory->type.memory.limits.min, 1u);

  EXPECT_FALSE(m.find_export("missing").has_value());
}

TEST_F(ModuleInfoTest, TypeStrings) {
  Module m = engine_.compile(wat(kInterfaceWat));
  EXPECT_EQ(m.imports()[0].type.func.to_string(), "(i32, i64) -> (f32)");
  EXPECT_EQ(m.imports()[1].type.to_string(), "memory 1..2");
  EXPECT_EQ(m.imports()[3].type.to_string(), "global mut i32");
  EXPECT_EQ(m.imports()[2].type.to_string(), "table 10.. funcref");
  EXPECT_EQ(std::string(extern_kind_name(ExternKind::memory)), "memory");
}

TEST_F(ModuleInfoTest, StartFunction) {
  EXPECT_EQ(engine_.compile(wat(kInterfaceWat)).start_function(), 1u);  // after 1 imported func
  EXPECT_FALSE(engine_.compile(wat("(module)")).start_function().has_value());
}

TEST_F(ModuleInfoTest, SectionSizes) {
  Bytes bytes = wat(kInterfaceWat);
  // A custom section with a 100-byte payload at the end.
  Bytes custom;
  put_name(custom, "wisp.test");
  custom.insert(custom.end(), 100, 0xab);
  put_section(bytes, 0, custom);

  Module m = engine_.compile(bytes);
  EXPECT_EQ(m.byte_size(), bytes.size());
  uint64_t total = 0;
  auto find = [&](const std::string& name) -> const SectionSize* {
    for (const SectionSize& s : m.section_sizes()) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  for (const SectionSize& s : m.section_sizes()) total += s.bytes;
  EXPECT_LE(total, bytes.size());
  for (const char* name :
       {"type", "import", "function", "table", "global", "export", "start", "code"}) {
    const SectionSize* s = find(name);
    ASSERT_NE(s, nullptr) << "no section " << name;
    EXPECT_GT(s->bytes, 0u) << name;
  }
  EXPECT_EQ(find("data"), nullptr);
  const SectionSize* c = find("wisp.test");
  if (c == nullptr) c = find("custom:wisp.test");
  ASSERT_NE(c, nullptr) << "custom sections are listed by their name";
  EXPECT_GE(c->bytes, 100u);
  EXPECT_LE(c->bytes, custom.size() + 6);
}

TEST_F(ModuleInfoTest, HashIsSha256OfTheBytes) {
  Bytes a = wat(R"((module (func (export "f") (result i32) (i32.const 1))))");
  Bytes b = wat(R"((module (func (export "f") (result i32) (i32.const 2))))");
  Module ma = engine_.compile(a);
  EXPECT_EQ(ma.hash().size(), 64u);
  EXPECT_EQ(ma.hash().find_first_not_of("0123456789abcdef"), std::string::npos) << ma.hash();
  EXPECT_EQ(engine_.compile(a).hash(), ma.hash());
  EXPECT_NE(engine_.compile(b).hash(), ma.hash());
  // SHA-256 of the 8-byte empty module.
  EXPECT_EQ(engine_.compile(wasm_header()).hash(),
            "93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476");
}

TEST_F(ModuleInfoTest, CompileFile) {
  TempDir dir;
  Bytes bytes = wat(R"((module (func (export "f") (result i32) (i32.const 1))))");
  std::filesystem::path p = dir.path() / "m.wasm";
  {
    std::FILE* f = std::fopen(p.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  EXPECT_EQ(read_file_bytes(p), bytes);
  Module m = engine_.compile_file(p);
  EXPECT_TRUE(m.find_export("f").has_value());
  try {
    read_file_bytes(dir.path() / "missing.wasm");
    FAIL() << "read_file_bytes of a missing file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.wasm"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wisp::test
