// An embedded control loop on wisp: each tick reads a (simulated) sensor, runs the sensor
// filter and the motor controller (two C modules in one WebAssembly instance, tier 1, memory
// locked) and drives a simulated motor. The same C built natively drives a second motor in the
// same loop, for comparison. Prints the latency of each tick's two calls (p50, p99, p99.9, max)
// and, at a fixed rate, the jitter of the tick start against its schedule.
//   control_loop CONTROL.wasm [--ticks N] [--hz RATE]   (RATE 0: flat out; default 1000)
// Exits 1 if the WebAssembly and native controllers disagree or the motor misses its setpoint.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "control.h"
#include "wisp/wisp.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// A DC motor's speed as a first-order system with a load disturbance, sensed with noise.
struct Motor {
  float speed = 0;
  uint32_t noise = 12345;
  float sense() {
    noise = noise * 1664525u + 1013904223u;
    return speed + (static_cast<float>(noise >> 8) / 16777216.0f - 0.5f) * 0.2f;
  }
  void drive(float volts, int tick) {
    const float load = tick > 1500 ? 0.5f : 0.0f;
    speed += 0.001f * (10.0f * volts - 4.0f * speed - 20.0f * load);
  }
};

struct Run {
  std::vector<int64_t> call_ns;  // per tick: the filter and controller calls
  std::vector<int64_t> late_ns;  // per tick: start against schedule (fixed rate only)
  float final_speed = 0;
  double output_sum = 0;  // every tick's controller output, summed (compared between runs)
};

// One controller: its call pair and the motor it drives.
template <typename Filter, typename Pid>
struct Loop {
  Filter filter;
  Pid pid;
  Motor motor;
  Run run;
  void tick(int t) {
    const float setpoint = 5.0f;
    const float raw = motor.sense();
    const Clock::time_point t0 = Clock::now();
    const float measured = filter(raw);
    const float volts = pid(setpoint, measured);
    run.call_ns.push_back((Clock::now() - t0).count());
    run.output_sum += volts;
    motor.drive(volts, t);
  }
};

// Runs both controllers in the same loop, each tick calling one then the other (alternating
// which goes first), so that both see the same machine: the same caches, frequency and
// interruptions, rather than one after the other.
template <typename A, typename B>
void control(int ticks, int hz, A& a, B& b) {
  for (Run* r : {&a.run, &b.run}) {
    r->call_ns.reserve(ticks);
    r->late_ns.reserve(ticks);
  }
  const auto period = hz > 0 ? std::chrono::nanoseconds(1'000'000'000 / hz) : Clock::duration{};
  const Clock::time_point start = Clock::now();
  for (int t = 0; t < ticks; ++t) {
    if (hz > 0) {
      const Clock::time_point due = start + period * t;
      std::this_thread::sleep_until(due);
      const int64_t late = (Clock::now() - due).count();
      a.run.late_ns.push_back(late);
      b.run.late_ns.push_back(late);
    }
    if (t % 2 == 0) {
      a.tick(t);
      b.tick(t);
    } else {
      b.tick(t);
      a.tick(t);
    }
  }
  a.run.final_speed = a.motor.speed;
  b.run.final_speed = b.motor.speed;
}

int64_t quantile(std::vector<int64_t> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

void report(const char* name, const Run& r) {
  std::printf("%-22s calls p50 %6lld ns  p99 %6lld ns  p99.9 %7lld ns  max %8lld ns", name,
              static_cast<long long>(quantile(r.call_ns, 0.5)),
              static_cast<long long>(quantile(r.call_ns, 0.99)),
              static_cast<long long>(quantile(r.call_ns, 0.999)),
              static_cast<long long>(quantile(r.call_ns, 1.0)));
  if (!r.late_ns.empty())
    std::printf("  | jitter p99 %6lld ns  max %8lld ns",
                static_cast<long long>(quantile(r.late_ns, 0.99)),
                static_cast<long long>(quantile(r.late_ns, 1.0)));
  std::printf("  | speed %.3f\n", static_cast<double>(r.final_speed));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: control_loop CONTROL.wasm [--ticks N] [--hz RATE]\n");
    return 2;
  }
  int ticks = 3000, hz = 1000;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--ticks") == 0) ticks = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--hz") == 0) hz = std::atoi(argv[i + 1]);
  }
  try {
    wisp::EngineConfig config;
    config.background_tier1 = false;  // tier 1 built before the loop starts
    wisp::Engine engine(config);
    wisp::TemplateOptions options;
    options.tier = wisp::Tier::tier1;
    wisp::Instance instance = wisp::Linker().instantiate(engine.compile_file(argv[1]), options);
    instance.lock_memory();  // no page fault inside the loop
    auto filter = instance.func<float(float)>("filter_sample");
    auto pid = instance.func<float(float, float)>("pid_step");
    auto wasm_filter = [&](float raw) { return filter(raw); };
    auto wasm_pid = [&](float sp, float m) { return pid(sp, m); };
    Loop<decltype(wasm_filter), decltype(wasm_pid)> wasm_loop{wasm_filter, wasm_pid, {}, {}};
    Loop<float (*)(float), float (*)(float, float)> native_loop{filter_sample, pid_step, {}, {}};
    control(ticks, hz, wasm_loop, native_loop);
    const Run& wasm = wasm_loop.run;
    const Run& native = native_loop.run;
    std::printf("%d ticks at %s\n", ticks,
                hz > 0 ? (std::to_string(hz) + " Hz").c_str() : "full speed");
    report("wisp (tier 1)", wasm);
    report("native", native);
    auto ratio = [&](double q) {
      return static_cast<double>(quantile(wasm.call_ns, q)) /
             static_cast<double>(std::max<int64_t>(1, quantile(native.call_ns, q)));
    };
    std::printf("wisp / native: p50 %.2fx  p99 %.2fx  p99.9 %.2fx\n", ratio(0.5), ratio(0.99),
                ratio(0.999));
    if (wasm.output_sum != native.output_sum || wasm.final_speed != native.final_speed) {
      std::printf("FAILED: the WebAssembly and native controllers disagree\n");
      return 1;
    }
    // The motor settles at its setpoint (5.0) after the load step, within the sensor noise.
    if (ticks >= 3000 && std::fabs(wasm.final_speed - 5.0f) > 0.1f) {
      std::printf("FAILED: the motor ended at %.3f, not at its setpoint 5\n",
                  static_cast<double>(wasm.final_speed));
      return 1;
    }
  } catch (const wisp::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
