// The dashboard's chart module (src/serve/dashboard/charts.c: the bytes `wisp serve` serves as
// /dashboard/charts.wasm) run by wisp itself, on both tiers: charts are contexts of one instance
// that keep their own samples, chart_draw renders one into the instance's framebuffer, sizes out
// of range are refused. tests/browser runs the same module in Chromium.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "serve/dashboard/assets.hpp"
#include "support/fixture.hpp"

namespace wisp::test {
namespace {

class DashboardChartsTest : public TierTest {};

TEST_P(DashboardChartsTest, ChartsAreContextsOfOneInstance) {
  Module m =
      engine().compile(std::span<const uint8_t>(detail::kChartsWasm, detail::kChartsWasmSize));
  Instance inst = Linker().instantiate(m, options());
  Memory mem = inst.memory();
  auto init = inst.func<int32_t(int32_t, int32_t, int32_t, int32_t)>("chart_init");
  auto color = inst.func<void(int32_t, int32_t, int32_t)>("chart_set_color");
  auto sample = inst.func<void(int32_t, int32_t, float)>("chart_sample");
  auto push = inst.func<void(int32_t)>("chart_push");
  auto count = inst.func<int32_t(int32_t)>("chart_count");
  auto value = inst.func<float(int32_t, int32_t, int32_t)>("chart_value");
  auto draw = inst.func<int32_t(int32_t)>("chart_draw");
  auto top = inst.func<float(int32_t)>("chart_top");

  // The page's allocator: contexts above the module's own memory, in a page grown for them.
  const int32_t size = inst.func<int32_t()>("chart_context_size")();
  const int32_t a = int32_t(mem.pages()) * 65536, b = a + (size + 15) / 16 * 16;
  ASSERT_TRUE(mem.grow(1));
  ASSERT_EQ(init(a, 100, 50, 2), 0);
  ASSERT_EQ(init(b, 40, 20, 1), 0);
  EXPECT_EQ(init(b, 1000, 20, 1), -1);  // wider than the framebuffer
  EXPECT_EQ(init(b, 40, 20, 6), -1);    // more series than a context holds
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float a1[] = {10, nan, 30};
  for (int i = 0; i < 3; ++i) {
    sample(a, 0, float(i + 1));
    sample(a, 1, a1[i]);
    push(a);
  }
  sample(b, 0, 7);
  push(b);
  EXPECT_EQ(count(a), 3);
  EXPECT_EQ(count(b), 1);
  EXPECT_EQ(value(a, 0, 2), 3.0f);
  EXPECT_TRUE(std::isnan(value(a, 1, 1)));
  EXPECT_EQ(value(b, 0, 0), 7.0f);
  EXPECT_TRUE(std::isnan(value(b, 1, 0)));  // a series not set in a sample: a gap
  for (int k = 0; k < 305; ++k) {           // b keeps the last 300 of 7, 0, 1, ..., 304
    sample(b, 0, float(k));
    push(b);
  }
  EXPECT_EQ(count(b), 300);
  EXPECT_EQ(value(b, 0, 0), 5.0f);
  EXPECT_EQ(value(b, 0, 299), 304.0f);
  EXPECT_EQ(count(a), 3);  // a's context untouched by b's

  color(a, 0, 0x1f77b4);
  color(a, 1, 0xd62728);
  const int32_t pixels = draw(a);
  EXPECT_EQ(top(a), 50.0f);  // the largest sample, 30, up to a round number
  const std::vector<uint8_t> px = mem.read(uint32_t(pixels), 100 * 50 * 4);
  auto at = [&](int x, int y) {
    const uint8_t* p = &px[size_t(y * 100 + x) * 4];
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
  };
  // The newest samples at the right edge, y = (height - 2) * (1 - v / top), rounded.
  EXPECT_EQ(at(99, 45), 0x1f77b4ffu);  // series 0's 3
  EXPECT_EQ(at(99, 19), 0xd62728ffu);  // series 1's 30, a lone sample (a NaN before it)
  EXPECT_EQ(at(50, 10), 0xffffffffu);  // background
  EXPECT_EQ(at(50, 12), 0xe6e6e6ffu);  // a grid line, at a quarter of the height
  EXPECT_EQ(draw(b), pixels);          // one framebuffer, for every chart in turn
}

INSTANTIATE_TEST_SUITE_P(Tiers, DashboardChartsTest, ::testing::Values(Tier::tier0, Tier::tier1),
                         [](const auto& info) { return tier_param_name(info.param); });

}  // namespace
}  // namespace wisp::test
