// Unit tests of the front end's module decoder (src/compile/front/module_decoder.hpp): what a
// valid module's declarations decode to, the error and byte offset of each class of malformed
// or invalid declaration, refusals that name the proposal a module needs, implementation limits
// on hostile counts, and linear decoding of modules with very many globals and functions.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "compile/front/errors.hpp"
#include "compile/front/module_decl.hpp"
#include "compile/front/module_decoder.hpp"
#include "support/binary.hpp"

namespace wisp::test {
namespace {

using namespace detail::front;

// Payload helpers: a section payload built from bytes, LEBs and names.
struct P {
  Bytes b;
  P& u8(std::initializer_list<uint8_t> v) {
    put_bytes(b, v);
    return *this;
  }
  P& leb(uint64_t v) {
    put_leb(b, v);
    return *this;
  }
  P& name(std::string_view s) {
    put_name(b, s);
    return *this;
  }
  operator Bytes() const { return b; }
};

constexpr FeatureSet kNone{};

// The CompileError that decoding `bytes` throws (a failure if it decodes).
CompileError decode_error(const Bytes& bytes, FeatureSet enabled = kNone) {
  try {
    decode_module(bytes, enabled);
  } catch (const CompileError& e) {
    return e;
  }
  ADD_FAILURE() << "the module decoded, but an error was expected";
  return CompileError("decoded");
}

// Expects an error whose message contains `text`, at byte `offset`.
void expect_error(const Bytes& bytes, const std::string& text, size_t offset,
                  FeatureSet enabled = kNone) {
  CompileError e = decode_error(bytes, enabled);
  EXPECT_NE(e.message().find(text), std::string::npos) << "message: " << e.message();
  EXPECT_EQ(e.offset(), offset) << "message: " << e.message();
}

// Expects a refusal naming `feature` (and its proposal's name in the message), at `offset`.
void expect_refused(const Bytes& bytes, Feature feature, size_t offset,
                    FeatureSet enabled = kNone) {
  try {
    decode_module(bytes, enabled);
    ADD_FAILURE() << "the module decoded, but a refusal naming " << feature_name(feature)
                  << " was expected";
  } catch (const FeatureRefused& e) {
    EXPECT_EQ(e.feature(), feature) << e.what();
    EXPECT_NE(e.message().find(feature_name(feature)), std::string::npos) << e.what();
    EXPECT_EQ(e.offset(), offset) << e.what();
  } catch (const CompileError& e) {
    ADD_FAILURE() << "expected a refusal naming " << feature_name(feature) << ", got " << e.what();
  }
}

FeatureSet with(std::initializer_list<Feature> fs) {
  FeatureSet s;
  for (Feature f : fs) s.add(f);
  return s;
}

// Section payload starts: the header is 8 bytes, a section's id and (short) size 2 more.
constexpr size_t kFirst = 10;

const Bytes kVoidType = P().leb(1).u8({0x60, 0, 0});  // type 0: [] -> []

TEST(FrontDecoder, ValidModuleDeclarations) {
  Bytes types = P().leb(2).u8({0x60, 2, 0x7f, 0x7e, 1, 0x7d}).u8({0x60, 0, 0});
  Bytes imports = P().leb(4)
                      .name("env")
                      .name("f")
                      .u8({0x00, 0x00})  // func, type 0
                      .name("env")
                      .name("t")
                      .u8({0x01, 0x70, 0x01, 1, 10})  // table 1..10
                      .name("env")
                      .name("m")
                      .u8({0x02, 0x01, 1, 2})  // memory 1..2
                      .name("env")
                      .name("g")
                      .u8({0x03, 0x7f, 0x00});  // const i32
  Bytes funcs = P().leb(2).leb(1).leb(0);
  Bytes tables = P().leb(1).u8({0x6f, 0x00, 0});
  Bytes globals = P().leb(2)
                      .u8({0x7e, 0x01, 0x42})
                      .leb(0x7b)
                      .u8({0x0b})                           // mut i64 = -5
                      .u8({0x7f, 0x00, 0x23, 0x00, 0x0b});  // i32 = global.get 0
  Bytes exports = P().leb(3)
                      .name("run")
                      .u8({0x00, 0x01})
                      .name("mem")
                      .u8({0x02, 0x00})
                      .name("g")
                      .u8({0x03, 0x02});
  Bytes start = P().leb(1);
  Bytes elems = P().leb(3)
                    .u8({0x00, 0x41, 0x02, 0x0b, 2, 1, 2})  // active, table 0, at 2: funcs 1 2
                    .u8({0x05, 0x70, 2, 0xd0, 0x70, 0x0b, 0xd2, 0x02, 0x0b})  // passive exprs
                    .u8({0x03, 0x00, 1, 0});                                  // declarative
  Bytes datacount = P().leb(2);
  Bytes code = P().leb(2).u8({2, 0, 0x0b}).u8({4, 1, 1, 0x7f, 0x0b});
  Bytes data = P().leb(2).u8({0x00, 0x41, 0x10, 0x0b, 2, 'h', 'i'}).u8({0x01, 3, 'a', 'b', 'c'});
  Bytes custom = P().name("name").u8({1, 2, 3});
  Bytes bytes = module_with({{1, types},
                             {2, imports},
                             {3, funcs},
                             {0, custom},
                             {4, tables},
                             {6, globals},
                             {7, exports},
                             {8, start},
                             {9, elems},
                             {12, datacount},
                             {10, code},
                             {11, data}});
  ModuleDecl m = decode_module(bytes, kNone);

  ASSERT_EQ(m.types.size(), 2u);
  EXPECT_EQ(m.types[0].params, (std::vector<ValType>{ValType::i32, ValType::i64}));
  EXPECT_EQ(m.types[0].results, (std::vector<ValType>{ValType::f32}));
  EXPECT_EQ(m.types[1], FuncType{});

  ASSERT_EQ(m.imports.size(), 4u);
  EXPECT_EQ(m.imports[0].module, "env");
  EXPECT_EQ(m.imports[0].name, "f");
  EXPECT_EQ(m.imports[1].kind, ExternKind::table);
  EXPECT_EQ(m.imports[2].kind, ExternKind::memory);
  EXPECT_EQ(m.imports[3].kind, ExternKind::global);
  EXPECT_EQ(m.imports[3].index, 0u);
  EXPECT_EQ(m.num_imported_funcs, 1u);
  EXPECT_EQ(m.num_imported_tables, 1u);
  EXPECT_EQ(m.num_imported_memories, 1u);
  EXPECT_EQ(m.num_imported_globals, 1u);

  EXPECT_EQ(m.funcs, (std::vector<uint32_t>{0, 1, 0}));
  EXPECT_EQ(m.num_defined_funcs(), 2u);
  EXPECT_EQ(m.func_type(1), FuncType{});

  ASSERT_EQ(m.tables.size(), 2u);
  EXPECT_EQ(m.tables[0].elem, ValType::funcref);
  EXPECT_EQ(m.tables[0].limits.min, 1u);
  EXPECT_TRUE(m.tables[0].limits.has_max);
  EXPECT_EQ(m.tables[0].limits.max, 10u);
  EXPECT_EQ(m.tables[1].elem, ValType::externref);
  EXPECT_FALSE(m.tables[1].limits.has_max);
  ASSERT_EQ(m.memories.size(), 1u);
  EXPECT_EQ(m.memories[0].limits.min, 1u);
  EXPECT_EQ(m.memories[0].limits.max, 2u);

  ASSERT_EQ(m.globals.size(), 3u);
  EXPECT_EQ(m.globals[1].type, ValType::i64);
  EXPECT_TRUE(m.globals[1].mut);
  ASSERT_EQ(m.global_inits.size(), 2u);
  EXPECT_EQ(m.global_inits[0].kind, ConstExpr::Kind::i64);
  EXPECT_EQ(static_cast<int64_t>(m.global_inits[0].value), -5);
  EXPECT_EQ(bytes[m.global_inits[0].offset], 0x42);
  EXPECT_EQ(m.global_inits[1].kind, ConstExpr::Kind::global_get);
  EXPECT_EQ(m.global_inits[1].value, 0u);

  ASSERT_EQ(m.exports.size(), 3u);
  EXPECT_EQ(m.exports[0].name, "run");
  EXPECT_EQ(m.exports[0].kind, ExternKind::func);
  EXPECT_EQ(m.exports[0].index, 1u);
  EXPECT_EQ(m.exports[1].kind, ExternKind::memory);
  EXPECT_EQ(m.exports[2].kind, ExternKind::global);
  EXPECT_EQ(m.exports[2].index, 2u);
  ASSERT_TRUE(m.start.has_value());
  EXPECT_EQ(*m.start, 1u);

  ASSERT_EQ(m.elems.size(), 3u);
  EXPECT_EQ(m.elems[0].mode, SegmentMode::active);
  EXPECT_EQ(m.elems[0].table, 0u);
  EXPECT_EQ(m.elems[0].offset.kind, ConstExpr::Kind::i32);
  EXPECT_EQ(m.elems[0].offset.value, 2u);
  ASSERT_EQ(m.elems[0].items.size(), 2u);
  EXPECT_EQ(m.elems[0].items[1].kind, ConstExpr::Kind::ref_func);
  EXPECT_EQ(m.elems[0].items[1].value, 2u);
  EXPECT_EQ(m.elems[1].mode, SegmentMode::passive);
  ASSERT_EQ(m.elems[1].items.size(), 2u);
  EXPECT_EQ(m.elems[1].items[0].kind, ConstExpr::Kind::ref_null);
  EXPECT_EQ(m.elems[1].items[0].type, ValType::funcref);
  EXPECT_EQ(m.elems[2].mode, SegmentMode::declarative);
  // C.refs: functions named by exports, element segments and constant expressions.
  EXPECT_EQ(m.declared_refs, (std::vector<uint8_t>{1, 1, 1}));

  ASSERT_TRUE(m.data_count.has_value());
  EXPECT_EQ(*m.data_count, 2u);
  ASSERT_EQ(m.bodies.size(), 2u);
  EXPECT_EQ(m.bodies[0].size, 2u);
  EXPECT_EQ(bytes[m.bodies[1].offset], 1);  // one local declaration
  EXPECT_EQ(m.bodies[1].size, 4u);

  ASSERT_EQ(m.datas.size(), 2u);
  EXPECT_EQ(m.datas[0].mode, SegmentMode::active);
  EXPECT_EQ(m.datas[0].offset.value, 16u);
  EXPECT_EQ(std::string(bytes.begin() + m.datas[0].bytes_offset,
                        bytes.begin() + m.datas[0].bytes_offset + m.datas[0].size),
            "hi");
  EXPECT_EQ(m.datas[1].mode, SegmentMode::passive);
  EXPECT_EQ(m.datas[1].size, 3u);

  ASSERT_EQ(m.sections.size(), 12u);
  EXPECT_EQ(m.sections[0].id, 1);
  EXPECT_EQ(m.sections[0].name, "type");
  EXPECT_EQ(m.sections[0].offset, kFirst);
  EXPECT_EQ(m.sections[0].size, types.size());
  EXPECT_EQ(m.sections[3].id, 0);
  EXPECT_EQ(m.sections[3].name, "name");
  EXPECT_EQ(m.sections[10].name, "code");
  EXPECT_TRUE(m.features.empty());
}

TEST(FrontDecoder, HeaderErrors) {
  expect_error({}, "unexpected end", 0);
  expect_error({0x00, 0x61, 0x73, 0x6d, 0x01}, "unexpected end", 5);
  expect_error({0x00, 0x41, 0x53, 0x4d, 0x01, 0, 0, 0}, "magic header not detected", 0);
  expect_error({0x00, 0x61, 0x73, 0x6d, 0x02, 0, 0, 0}, "unknown binary version", 4);
}

TEST(FrontDecoder, ComponentBinaryIsRefusedNamingTheComponentModel) {
  Bytes component = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x01, 0x00};
  expect_refused(component, Feature::component_model, 4);
  EXPECT_NE(decode_error(component).message().find("component model"), std::string::npos);
}

TEST(FrontDecoder, SectionErrors) {
  Bytes bad_id = wasm_header();
  put_bytes(bad_id, {14, 0});
  expect_error(bad_id, "malformed section id 14", 8);
  // Payload one byte longer than the type it holds.
  expect_error(module_with({{1, P().leb(1).u8({0x60, 0, 0, 0})}}), "section size mismatch",
               kFirst + 4);
  // A section size beyond the end of the module.
  Bytes too_long = wasm_header();
  put_bytes(too_long, {1, 9, 1, 0x60, 0, 0});
  expect_error(too_long, "length out of bounds", 9);
  // Function section before the type section; a repeated section.
  expect_error(module_with({{3, P().leb(0)}, {1, P().leb(0)}}),
               "unexpected content after last section", kFirst + 1);
  expect_error(module_with({{1, P().leb(0)}, {1, P().leb(0)}}),
               "unexpected content after last section", kFirst + 1);
  // Custom sections may appear anywhere, even between the others.
  EXPECT_NO_THROW(decode_module(
      module_with({{0, P().name("a")}, {1, P().leb(0)}, {0, P().name("b")}, {3, P().leb(0)}}),
      kNone));
  // Reading past a section's end.
  expect_error(module_with({{1, P().leb(2).u8({0x60, 0, 0})}, {3, P().leb(0)}}),
               "unexpected end of section or function", kFirst + 4);
  // The tag section (13) belongs to exception handling.
  Bytes tag = module_with({{1, kVoidType}, {13, P().leb(1).u8({0, 0})}});
  expect_refused(tag, Feature::exceptions, kFirst + 4);
  ModuleDecl m = decode_module(tag, with({Feature::exceptions}));
  ASSERT_EQ(m.tags.size(), 1u);
  EXPECT_TRUE(m.features.has(Feature::exceptions));
  EXPECT_EQ(m.sections[1].name, "tag");
}

TEST(FrontDecoder, ErrorsCarryTheirSectionAndEntry) {
  Bytes bytes =
      module_with({{1, P().leb(1).u8({0x60, 0, 0})},
                   {2, P().leb(2).name("a").name("b").u8({0, 0}).name("a").name("c").u8({0, 7})}});
  CompileError e = decode_error(bytes);
  EXPECT_EQ(e.message(), "unknown type 7 in section import, entry 1");
  EXPECT_EQ(e.offset(), 8 + 6 + 2 + 1 + 4 + 2 + 4 + 1);  // the second import's type index
  EXPECT_NE(std::string(e.what()).find("(at byte offset 0x"), std::string::npos);
}

TEST(FrontDecoder, MalformedEncodings) {
  // LEB128: five bytes with unused bits set; six bytes.
  expect_error(module_with({{5, P().leb(1).u8({0x00, 0x82, 0x80, 0x80, 0x80, 0x70})}}),
               "integer too large", kFirst + 2);
  expect_error(module_with({{5, P().leb(1).u8({0x00, 0x82, 0x80, 0x80, 0x80, 0x80, 0x00})}}),
               "integer representation too long", kFirst + 2);
  expect_error(module_with({{2, P().leb(1).u8({1, 0xff}).name("x").u8({0, 0})}}),
               "malformed UTF-8 encoding", kFirst + 1);
  expect_error(module_with({{2, P().leb(1).name("m").name("x").u8({5, 0})}}),
               "malformed import kind", kFirst + 5);
  expect_error(module_with({{6, P().leb(1).u8({0x7f, 0x02, 0x41, 0, 0x0b})}}),
               "malformed mutability", kFirst + 2);
  expect_error(module_with({{1, P().leb(1).u8({0x60, 1, 0x40, 0})}}), "malformed value type",
               kFirst + 3);
  expect_error(module_with({{1, P().leb(1).u8({0x61, 0, 0})}}), "malformed function type",
               kFirst + 1);
  expect_error(module_with({{4, P().leb(1).u8({0x7f, 0, 0})}}), "malformed reference type",
               kFirst + 1);
  expect_error(module_with({{5, P().leb(1).u8({0x10, 0})}}), "malformed limits flags", kFirst + 1);
  expect_error(module_with({{9, P().leb(1).u8({8})}}), "malformed elements segment kind",
               kFirst + 1);
  expect_error(module_with({{11, P().leb(1).u8({3})}}), "malformed data segment kind", kFirst + 1);
}

TEST(FrontDecoder, InvalidDeclarations) {
  // Unknown indices.
  expect_error(module_with({{3, P().leb(1).leb(0)}}), "unknown type 0", kFirst + 1);
  expect_error(module_with({{7, P().leb(1).name("f").u8({0, 5})}}), "unknown function 5",
               kFirst + 4);
  expect_error(module_with({{7, P().leb(1).name("m").u8({2, 0})}}), "unknown memory 0", kFirst + 4);
  expect_error(module_with({{9, P().leb(1).u8({0, 0x41, 0, 0x0b, 0})}}), "unknown table 0",
               kFirst + 1);
  expect_error(module_with({{11, P().leb(1).u8({0, 0x41, 0, 0x0b, 0})}}), "unknown memory 0",
               kFirst + 1);
  // Duplicate export names: the second name is the error.
  Bytes dup = module_with(
      {{5, P().leb(1).u8({0, 1})}, {7, P().leb(2).name("x").u8({2, 0}).name("x").u8({2, 0})}});
  expect_error(dup, "duplicate export name", 8 + 5 + 2 + 1 + 4);
  // The start function must take and return nothing.
  Bytes typed = module_with({{1, P().leb(1).u8({0x60, 1, 0x7f, 0})},
                             {3, P().leb(1).leb(0)},
                             {8, P().leb(0)},
                             {10, P().leb(1).u8({2, 0, 0x0b})}});
  expect_error(typed, "start function", kFirst + 5 + 2 + 2 + 2);
  // Function and code counts; data count and data counts.
  expect_error(module_with({{1, kVoidType}, {3, P().leb(1).leb(0)}}),
               "function and code section have inconsistent lengths", 8 + 6 + 4);
  expect_error(module_with({{1, kVoidType}, {3, P().leb(1).leb(0)}, {10, P().leb(0)}}),
               "function and code section have inconsistent lengths", 8 + 6 + 4 + 2);
  expect_error(
      module_with({{5, P().leb(1).u8({0, 1})}, {12, P().leb(2)}, {11, P().leb(1).u8({1, 0})}}),
      "data count and data section have inconsistent lengths", 8 + 5 + 3 + 2);
  expect_error(module_with({{12, P().leb(1)}}),
               "data count and data section have inconsistent lengths", 8 + 3);
  // Limits.
  expect_error(module_with({{5, P().leb(1).u8({0x00}).leb(65537)}}),
               "memory size must be at most 65536 pages (4GiB)", kFirst + 1);
  expect_error(module_with({{5, P().leb(1).u8({0x01, 2, 1})}}),
               "size minimum must not be greater than maximum", kFirst + 1);
  expect_error(module_with({{4, P().leb(1).u8({0x70, 0x01, 2, 1})}}),
               "size minimum must not be greater than maximum", kFirst + 2);
  // Several tables are WebAssembly 2.0.
  EXPECT_EQ(decode_module(module_with({{4, P().leb(2).u8({0x70, 0, 0, 0x6f, 0, 0})}}), kNone)
                .tables.size(),
            2u);
  // Tags: no results.
  Bytes tag = module_with({{1, P().leb(1).u8({0x60, 0, 1, 0x7f})}, {13, P().leb(1).u8({0, 0})}});
  expect_error(tag, "non-empty tag result type", 8 + 7 + 2 + 2, with({Feature::exceptions}));
}

// A module with one imported global (`type`, mutable or not) and one defined i32 global whose
// initialiser is `expr` (without its end).
Bytes global_module(Bytes expr, uint8_t type = 0x7f, bool mut = false) {
  Bytes globals = P().leb(1).u8({0x7f, 0x00});
  globals.insert(globals.end(), expr.begin(), expr.end());
  globals.push_back(0x0b);
  return module_with(
      {{2, P().leb(1).name("m").name("g").u8({3, type, uint8_t(mut ? 1 : 0)})}, {6, globals}});
}
constexpr size_t kGlobalExpr = 8 + 10 + 2 + 3;  // where global_module's initialiser starts

TEST(FrontDecoder, ConstantExpressions) {
  EXPECT_EQ(decode_module(global_module({0x23, 0}), kNone).global_inits[0].kind,
            ConstExpr::Kind::global_get);
  expect_error(global_module({0x01}), "constant expression required", kGlobalExpr);
  expect_error(global_module({0x41, 0, 0x68}), "constant expression required", kGlobalExpr + 2);
  expect_error(global_module({0xf3}), "illegal opcode", kGlobalExpr);
  expect_error(global_module({0x42, 0}), "type mismatch", kGlobalExpr + 2);
  expect_error(global_module({}), "type mismatch", kGlobalExpr);
  expect_error(global_module({0x41, 0, 0x41, 0}), "type mismatch", kGlobalExpr + 4);
  expect_error(global_module({0x23, 0}, 0x7e), "type mismatch", kGlobalExpr + 2);
  // WebAssembly 2.0: global.get names an imported, immutable global.
  expect_error(global_module({0x23, 0}, 0x7f, true), "constant expression required", kGlobalExpr);
  expect_error(global_module({0x23, 1}), "unknown global 1", kGlobalExpr + 1);
  Bytes defined =
      module_with({{6, P().leb(2).u8({0x7f, 0, 0x41, 0, 0x0b}).u8({0x7f, 0, 0x23, 0, 0x0b})}});
  expect_error(defined, "unknown global 0", kFirst + 1 + 5 + 3);
  // ref.func names a function, which C.refs then declares.
  expect_error(module_with({{6, P().leb(1).u8({0x70, 0, 0xd2, 0, 0x0b})}}), "unknown function 0",
               kFirst + 4);
  // Extended constant expressions: refused, or evaluated later from their bytes.
  Bytes sum = global_module({0x23, 0, 0x41, 1, 0x6a});
  expect_refused(sum, Feature::extended_const, kGlobalExpr + 4);
  ModuleDecl m = decode_module(sum, with({Feature::extended_const}));
  EXPECT_EQ(m.global_inits[0].kind, ConstExpr::Kind::extended);
  EXPECT_EQ(m.global_inits[0].offset, kGlobalExpr);
  EXPECT_TRUE(m.features.has(Feature::extended_const));
  expect_error(global_module({0x41, 1, 0x7c}), "type mismatch", kGlobalExpr + 2,
               with({Feature::extended_const}));
}

TEST(FrontDecoder, ProposalsAreRefusedByName) {
  // v128 (SIMD) in a function type and v128.const in a global.
  Bytes v128 = module_with({{1, P().leb(1).u8({0x60, 1, 0x7b, 0})}});
  expect_refused(v128, Feature::simd, kFirst + 3);
  EXPECT_TRUE(decode_module(v128, with({Feature::simd})).features.has(Feature::simd));
  Bytes vconst = P().leb(1).u8({0x7b, 0, 0xfd, 12});
  vconst.resize(vconst.size() + 16, 0xab);
  vconst.push_back(0x0b);
  Bytes vmodule = module_with({{6, vconst}});
  ModuleDecl vm = decode_module(vmodule, with({Feature::simd}));
  EXPECT_EQ(vm.global_inits[0].kind, ConstExpr::Kind::v128);
  EXPECT_EQ(vm.global_inits[0].type, ValType::v128);
  // The value stays in the module's bytes: v128.const's 16 bytes follow its 2-byte opcode.
  EXPECT_EQ(vmodule[vm.global_inits[0].offset], 0xfd);
  EXPECT_EQ(vmodule[vm.global_inits[0].offset + 2], 0xab);
  // Shared memory (threads), and its rule that it has a maximum.
  Bytes shared = module_with({{5, P().leb(1).u8({0x03, 1, 2})}});
  expect_refused(shared, Feature::threads, kFirst + 1);
  ModuleDecl sm = decode_module(shared, with({Feature::threads}));
  EXPECT_TRUE(sm.memories[0].limits.shared);
  EXPECT_TRUE(sm.features.has(Feature::threads));
  expect_error(module_with({{5, P().leb(1).u8({0x02, 1})}}), "shared memory must have maximum",
               kFirst + 1, with({Feature::threads}));
  // A second memory (multi-memory).
  Bytes two = module_with({{5, P().leb(2).u8({0, 1, 0, 1})}});
  expect_refused(two, Feature::multi_memory, kFirst + 3);
  EXPECT_EQ(decode_module(two, with({Feature::multi_memory})).memories.size(), 2u);
  // 64-bit memories and tables (memory64).
  Bytes mem64 = module_with({{5, P().leb(1).u8({0x05, 1}).leb(uint64_t(1) << 40)}});
  expect_refused(mem64, Feature::memory64, kFirst + 1);
  ModuleDecl mm = decode_module(mem64, with({Feature::memory64}));
  EXPECT_TRUE(mm.memories[0].limits.is64);
  EXPECT_EQ(mm.memories[0].limits.max, uint64_t(1) << 40);
  expect_refused(module_with({{4, P().leb(1).u8({0x70, 0x04, 0})}}), Feature::memory64, kFirst + 2);
  // Tags in imports and exports (exception handling).
  expect_refused(module_with({{1, kVoidType}, {2, P().leb(1).name("m").name("t").u8({4, 0, 0})}}),
                 Feature::exceptions, 8 + 6 + 2 + 5);
  // exnref.
  expect_refused(module_with({{1, P().leb(1).u8({0x60, 0, 1, 0x69})}}), Feature::exnref,
                 kFirst + 4);
  // GC type definitions and reference types; typed function references.
  expect_refused(module_with({{1, P().leb(1).u8({0x5f, 0})}}), Feature::gc, kFirst + 1);
  expect_refused(module_with({{1, P().leb(1).u8({0x4e, 0})}}), Feature::gc, kFirst + 1);
  expect_refused(module_with({{1, P().leb(1).u8({0x60, 1, 0x6e, 0})}}), Feature::gc, kFirst + 3);
  expect_refused(module_with({{1, P().leb(1).u8({0x60, 1, 0x64, 0x70, 0})}}),
                 Feature::function_references, kFirst + 3);
  expect_refused(module_with({{1, P().leb(1).u8({0x60, 1, 0x63, 0x6d, 0})}}), Feature::gc,
                 kFirst + 3);
}

TEST(FrontDecoder, HostileCountsAreBounded) {
  // A count beyond the implementation limit, claimed in a few bytes.
  CompileError e = decode_error(module_with({{3, P().leb(2'000'000)}}));
  EXPECT_NE(e.message().find("limit 1000000"), std::string::npos) << e.message();
  EXPECT_EQ(e.offset(), kFirst);
  // Within the limit but far more items than bytes: decoding stops at the first missing one.
  expect_error(module_with({{6, P().leb(900'000).u8({0x7f, 0, 0x41, 0, 0x0b})}}), "unexpected end",
               kFirst + 3 + 5);
  // 1,001 parameters.
  Bytes params = P().leb(1).u8({0x60}).leb(1001);
  params.resize(params.size() + 1001, 0x7f);
  params.push_back(0);
  e = decode_error(module_with({{1, params}}));
  EXPECT_NE(e.message().find("1001 params (limit 1000)"), std::string::npos) << e.message();
  // Functions: imported and defined together.
  Bytes imports = P().leb(1).name("m").name("f").u8({0, 0});
  e = decode_error(module_with({{1, kVoidType}, {2, imports}, {3, P().leb(1'000'000)}}));
  EXPECT_NE(e.message().find("1000001 functions"), std::string::npos) << e.message();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Bytes many_globals_module(uint32_t n) {
  Bytes globals = P().leb(n);
  for (uint32_t i = 0; i < n; ++i) {
    put_bytes(globals, {0x7f, 0x00, 0x41});
    put_leb(globals, i & 0x3f);
    globals.push_back(0x0b);
  }
  Bytes exports = P().leb(n);
  for (uint32_t i = 0; i < n; ++i) {
    put_name(exports, "g" + std::to_string(i));
    exports.push_back(0x03);
    put_leb(exports, i);
  }
  return module_with({{6, globals}, {7, exports}});
}

Bytes many_funcs_module(uint32_t n) {
  Bytes funcs = P().leb(n), code = P().leb(n), elems = P().leb(1).u8({1, 0});
  put_leb(elems, n);
  for (uint32_t i = 0; i < n; ++i) {
    funcs.push_back(0);
    put_bytes(code, {2, 0, 0x0b});
    put_leb(elems, i);
  }
  return module_with({{1, kVoidType}, {3, funcs}, {9, elems}, {10, code}});
}

// Seconds to run `f`, the fastest of three runs.
template <class F>
double fastest_seconds(F f) {
  double best = 1e9;
  for (int i = 0; i < 3; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

// Linear, not quadratic: decoding 400,000 globals (or functions) takes about as long as writing
// their bytes did (1-3x here), a linear baseline timed in the same run and build (sanitizer builds
// are 10-50x slower at both; no absolute bound). Quadratic decoding would take minutes.
TEST(FrontDecoder, ManyGlobalsAndFunctionsDecodeInLinearTime) {
  constexpr uint32_t kGlobals = 400'000;
  Bytes gm;
  double write_globals = fastest_seconds([&] { gm = many_globals_module(kGlobals); });
  ModuleDecl m = decode_module(gm, kNone);
  EXPECT_EQ(m.globals.size(), kGlobals);
  EXPECT_EQ(m.exports.size(), kGlobals);
  EXPECT_EQ(m.global_inits.back().value, (kGlobals - 1) & 0x3f);
  double read_globals = fastest_seconds([&] { m = decode_module(gm, kNone); });

  constexpr uint32_t kFuncs = 400'000;
  Bytes fm;
  double write_funcs = fastest_seconds([&] { fm = many_funcs_module(kFuncs); });
  m = decode_module(fm, kNone);
  EXPECT_EQ(m.num_defined_funcs(), kFuncs);
  EXPECT_EQ(m.bodies.back().offset + 2, fm.size());
  EXPECT_EQ(m.declared_refs.back(), 1);
  double read_funcs = fastest_seconds([&] { m = decode_module(fm, kNone); });

  EXPECT_LT(read_globals, 30 * write_globals) << read_globals << " s against " << write_globals;
  EXPECT_LT(read_funcs, 30 * write_funcs) << read_funcs << " s against " << write_funcs;
}

TEST(FrontDecoder, FeatureNames) {
  EXPECT_STREQ(feature_name(Feature::simd), "SIMD");
  EXPECT_STREQ(feature_name(Feature::tail_call), "tail calls");
  EXPECT_STREQ(feature_name(Feature::component_model), "component model");
  EXPECT_EQ(with({Feature::threads, Feature::simd, Feature::gc}).names(), "SIMD, threads, GC");
  EXPECT_EQ(FeatureSet().names(), "");
  Feature f;
  ASSERT_TRUE(parse_feature("tail-call", f));
  EXPECT_EQ(f, Feature::tail_call);
  ASSERT_TRUE(parse_feature("extended-const", f));
  EXPECT_EQ(f, Feature::extended_const);
  ASSERT_TRUE(parse_feature("function-references", f));
  EXPECT_EQ(f, Feature::function_references);
  EXPECT_FALSE(parse_feature("SIMD", f));
  EXPECT_FALSE(parse_feature("", f));
  EXPECT_STREQ(val_type_name(ValType::externref), "externref");
  EXPECT_STREQ(val_type_name(ValType::v128), "v128");
}

}  // namespace
}  // namespace wisp::test
