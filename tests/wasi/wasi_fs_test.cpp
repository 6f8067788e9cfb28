// WASI file system: guest programs exercising files and directories, escape attempts (which must
// fail and leave the host untouched), read-only preopens, and a symlink swapped by a host thread
// while the guest opens through it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <regex>
#include <thread>

#include "support/fixture.hpp"
#include "wasi/wasi_support.hpp"

namespace wisp::test {
namespace {

namespace fs = std::filesystem;

class WasiFsTest : public ::testing::TestWithParam<Tier> {};

TEST_P(WasiFsTest, FilesAndDirectories) {
  TempDir dir;
  fs::create_directory(dir.path() / "sb");
  WasiConfig c = buffered_config({"fs"});
  c.preopens.push_back({(dir.path() / "sb").string(), "/sandbox", false});
  GuestRun r = run_guest(GetParam(), "fs", c);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "failures: 0\n");
  // What the guest left behind, seen from the host.
  EXPECT_EQ(read_text(dir.path() / "sb" / "result.txt"), "done");
  EXPECT_EQ(read_text(dir.path() / "sb" / "a.txt"), "hel++");
  EXPECT_FALSE(fs::exists(dir.path() / "sb" / "dir"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir.path() / "sb" / "link")));
}

// The layout escape.c expects: a sandbox with links pointing out, a read-only dir, a secret
// outside both.
void make_escape_layout(const fs::path& root) {
  fs::create_directories(root / "sb" / "sub");
  fs::create_directory(root / "ro");
  write_text(root / "secret.txt", "SECRET");
  write_text(root / "sb" / "inside.txt", "inside");
  write_text(root / "ro" / "file.txt", "readonly");
  fs::create_symlink("../secret.txt", root / "sb" / "hostlink");
  fs::create_symlink(root / "secret.txt", root / "sb" / "abslink");
  fs::create_directory_symlink("..", root / "sb" / "dirlink");
  fs::create_symlink("inside.txt", root / "sb" / "goodlink");
  fs::create_symlink("../inside.txt", root / "sb" / "sub" / "uplink");
}

TEST_P(WasiFsTest, EscapesFailAndLeaveTheHostUntouched) {
  TempDir dir;
  const fs::path& root = dir.path();
  make_escape_layout(root);
  WasiConfig c = buffered_config({"escape"});
  c.preopens.push_back({(root / "sb").string(), "/sandbox", false});
  c.preopens.push_back({(root / "ro").string(), "/ro", true});
  GuestRun r = run_guest(GetParam(), "escape", c);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "failures: 0\n");
  // Nothing outside the sandbox changed; nothing in the read-only dir changed.
  EXPECT_EQ(read_text(root / "secret.txt"), "SECRET");
  std::vector<std::string> top;
  for (const auto& e : fs::directory_iterator(root)) top.push_back(e.path().filename().string());
  std::sort(top.begin(), top.end());
  EXPECT_EQ(top, (std::vector<std::string>{"ro", "sb", "secret.txt"}));
  std::vector<std::string> ro;
  for (const auto& e : fs::directory_iterator(root / "ro")) ro.push_back(e.path().filename());
  EXPECT_EQ(ro, std::vector<std::string>{"file.txt"});
  EXPECT_EQ(read_text(root / "ro" / "file.txt"), "readonly");
  EXPECT_EQ(read_text(root / "sb" / "inside.txt"), "inside");
}

INSTANTIATE_TEST_SUITE_P(Tiers, WasiFsTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

// A host thread atomically exchanges "link" (-> inside.txt) with a link pointing outside, and
// "swap" (a real directory) with a symlink to the outside directory, as fast as it can, while
// the guest opens "link" and "swap/secret.txt" thousands of times. openat2(RESOLVE_BENEATH)
// resolves each open in the kernel in one step: there is no check-then-use window.
TEST(WasiRace, SymlinkSwappedDuringOpensNeverEscapes) {
  TempDir dir;
  const fs::path root = dir.path();
  fs::create_directories(root / "sb" / "swap");
  fs::create_directories(root / "outside");
  write_text(root / "outside" / "secret.txt", "OUTSIDE");
  write_text(root / "sb" / "inside.txt", "inside");
  write_text(root / "sb" / "swap" / "secret.txt", "inside-swap");
  fs::create_symlink("inside.txt", root / "sb" / "link");
  fs::create_symlink("../outside/secret.txt", root / "sb" / "link_alt");
  fs::create_directory_symlink("../outside", root / "sb" / "swap_alt");

  std::atomic<bool> stop{false};
  std::atomic<long> swaps{0};
  std::thread swapper([&] {
    std::string a = (root / "sb" / "link").string(), b = (root / "sb" / "link_alt").string();
    std::string c = (root / "sb" / "swap").string(), d = (root / "sb" / "swap_alt").string();
    while (!stop.load()) {
      ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE);
      ::renameat2(AT_FDCWD, c.c_str(), AT_FDCWD, d.c_str(), RENAME_EXCHANGE);
      swaps.fetch_add(1);
    }
  });
  WasiConfig c = buffered_config({"race", "4000"});
  c.preopens.push_back({(root / "sb").string(), "/", false});
  GuestRun r;
  try {
    r = run_guest(Tier::tier0, "race", c);
  } catch (...) {
    stop = true;
    swapper.join();
    throw;
  }
  stop = true;
  swapper.join();
  EXPECT_EQ(r.exit_code, 0) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      r.out, m, std::regex("opened (\\d+) refused (\\d+) other (\\d+) escaped (\\d+)")))
      << r.out;
  EXPECT_EQ(std::stol(m[4]), 0) << r.out;
  EXPECT_GT(std::stol(m[1]), 0) << r.out;  // the safe state was seen...
  EXPECT_GT(std::stol(m[2]), 0) << r.out;  // ...and so was the hostile one, and refused
  EXPECT_GT(swaps.load(), 100);
}

}  // namespace
}  // namespace wisp::test
