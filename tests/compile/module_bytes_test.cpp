// Unit tests of ModuleBytes (src/compile/module_bytes.hpp): a file read whole, small or large
// (the large one into huge pages), byte for byte; errors that name the file; and a module
// compiled from a large file runs from those bytes after the file is gone.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "compile/module_bytes.hpp"
#include "support/wat.hpp"
#include "wisp/error.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

using detail::ModuleBytes;

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  uint32_t x = 2463534242u;
  for (uint8_t& b : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<uint8_t>(x);
  }
  return v;
}

void write(const std::filesystem::path& p, const std::vector<uint8_t>& v) {
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size()));
}

TEST(ModuleBytes, FilesOfEverySizeAreReadByteForByte) {
  TempDir dir;
  // Empty, small, just under and over the huge-page threshold (8 MiB), not a multiple of 2 MiB.
  for (size_t n : {size_t{0}, size_t{100}, (size_t{8} << 20) - 1, (size_t{9} << 20) + 12345}) {
    std::vector<uint8_t> want = pattern(n);
    std::filesystem::path p = dir.path() / ("f" + std::to_string(n));
    write(p, want);
    auto got = ModuleBytes::read_file(p);
    ASSERT_EQ(got->size(), n);
    EXPECT_TRUE(std::equal(want.begin(), want.end(), got->span().begin())) << n << " bytes";
  }
}

TEST(ModuleBytes, AMissingFileIsAnErrorNamingIt) {
  TempDir dir;
  std::filesystem::path p = dir.path() / "absent.wasm";
  try {
    ModuleBytes::read_file(p);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
  }
}

// A module of more than 8 MiB (a data segment makes it large) compiled from its file: lazy tier 0
// emits its function's C from the bytes read, after the file was removed.
TEST(ModuleBytes, ALargeModuleFileCompilesAndRunsAfterTheFileIsGone) {
  TempDir dir;
  std::string big(9 << 20, 'x');
  std::filesystem::path p = dir.path() / "big.wasm";
  {
    std::vector<uint8_t> w =
        wat(R"((module (memory 160) (data (i32.const 0) ")" + std::string(16, 'y') +
            R"(") (func (export "f") (result i32) (i32.load8_u (i32.const 1)))))");
    // Append a custom section of 9 MiB: the module stays valid and becomes large.
    w.push_back(0);
    const std::string payload = std::string("\x04pads") + big;
    size_t len = payload.size();
    do {
      uint8_t b = len & 0x7f;
      len >>= 7;
      w.push_back(static_cast<uint8_t>(b | (len ? 0x80 : 0)));
    } while (len);
    const size_t at = w.size();
    w.resize(at + payload.size());
    std::memcpy(w.data() + at, payload.data(), payload.size());
    write(p, w);
  }
  EngineConfig c;
  c.enable_tier1 = false;
  Engine engine(c);
  Module m = engine.compile_file(p);
  std::filesystem::remove(p);
  Instance inst = Linker().instantiate(m);
  EXPECT_EQ(inst.call("f").at(0).as_i32(), 'y');
}

}  // namespace
}  // namespace wisp::test
