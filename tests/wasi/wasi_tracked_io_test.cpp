// WASI calls whose data the kernel writes straight into guest memory (fd_read's readv,
// random_get's getrandom) work on pages that write tracking made read-only, and every reset
// still brings the memory back to the snapshot (verified).
#include <gtest/gtest.h>

#include <fstream>

#include "wasi/wasi_support.hpp"

namespace wisp::test {
namespace {

class WasiTrackedIoTest : public ::testing::TestWithParam<Tier> {};

TEST_P(WasiTrackedIoTest, KernelWritesIntoTrackedPagesSucceedAndAreReset) {
  TempDir dir;
  const std::string text = "the kernel writes this into guest memory";
  std::ofstream(dir.path() / "input.txt") << text;
  int text_sum = 0;
  for (unsigned char c : text) text_sum += c;

  WasiConfig config;
  config.preopens = {{dir.path().string(), "/data", /*readonly=*/true}};
  Linker linker;
  add_wasi(linker);
  TemplateOptions o;
  o.tier = GetParam();
  o.snapshot.verify_reset = true;
  o.snapshot.init_export = "_initialize";
  o.host_state = WasiCtx::factory(config);
  Template t = linker.instantiate_template(
      wasi_engine(GetParam()).compile_file(wasi_guest("tracked_io")), o);
  t.instantiate();  // the capture instance
  Instance inst = t.instantiate();
  auto read_file_at = inst.func<int32_t(int32_t)>("read_file_at");
  auto random_at = inst.func<int32_t(int32_t)>("random_at");
  auto sum_at = inst.func<int32_t(int32_t, int32_t)>("sum_at");

  ASSERT_EQ(read_file_at(0), static_cast<int32_t>(text.size()));
  inst.reset();  // the pages written so far become the resident set; the rest is read-only
  ASSERT_TRUE(inst.usage().write_tracked);
  // Every round reads into a page outside the resident set (64 KiB apart), then resets.
  for (int32_t round = 1; round <= 3; ++round) {
    int32_t at = round * 65536 + 128;
    EXPECT_EQ(sum_at(at, 32), 0);
    EXPECT_EQ(read_file_at(at), static_cast<int32_t>(text.size())) << "round " << round;
    EXPECT_EQ(sum_at(at, static_cast<int32_t>(text.size())), text_sum);
    inst.reset();
    EXPECT_EQ(sum_at(at, static_cast<int32_t>(text.size())), 0);
    ASSERT_EQ(random_at(at + 4096), 0) << "round " << round;
    EXPECT_NE(sum_at(at + 4096, 32), 0);  // 32 zero bytes from getrandom: 2^-256
    inst.reset();
    EXPECT_EQ(sum_at(at + 4096, 32), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Tiers, WasiTrackedIoTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
