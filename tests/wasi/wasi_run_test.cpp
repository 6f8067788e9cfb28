// WASI processes: stdio buffers (input, collected output, output limit), null stdio, args and
// env, clocks/random/poll, fd edge cases, sockets, exit codes and traps, one context per
// instance, reactors, and the per-instance host state mechanism itself.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "support/fixture.hpp"
#include "wasi/wasi_support.hpp"

namespace wisp::test {
namespace {

namespace fs = std::filesystem;

TEST(WasiStdio, BufferedInputAndOutput) {
  GuestRun r = run_guest(Tier::tier0, "stdio", buffered_config({"stdio"}, "hello\nworld\n"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.exited);
  EXPECT_EQ(r.out, "HELLO\nWORLD\n");
  EXPECT_EQ(r.err, "read 12 bytes\n");
  EXPECT_FALSE(r.ctx->output_truncated());
  EXPECT_EQ(r.ctx->take_stdout(), "HELLO\nWORLD\n");
  EXPECT_EQ(r.ctx->stdout_data(), "");
}

TEST(WasiStdio, LargeInputStreamsThrough) {
  std::string input(300000, 'a');
  WasiConfig c = buffered_config({"stdio"}, input);
  c.stdout_stream = WasiStdio::buffer({}, 1 << 20);
  GuestRun r = run_guest(Tier::tier0, "stdio", c);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, std::string(300000, 'A'));
}

// Output past the limit: the write that finds no room fails with ENOSPC (documented in wasi.hpp);
// what fitted is kept.
TEST(WasiStdio, OutputLimitGivesEnospc) {
  WasiConfig c = buffered_config({"stdio", "flood", "100000"});
  c.stdout_stream = WasiStdio::buffer({}, 4096);
  GuestRun r = run_guest(Tier::tier0, "stdio", c);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(r.out.size(), 4096u);
  EXPECT_TRUE(r.ctx->output_truncated());
  EXPECT_NE(r.err.find("written 4096 errno ENOSPC"), std::string::npos) << r.err;
}

TEST(WasiStdio, NullStreams) {
  WasiConfig c;
  c.args = {"stdio"};
  c.stdin_stream = WasiStdio::null();
  c.stdout_stream = WasiStdio::null();
  c.stderr_stream = WasiStdio::buffer();
  GuestRun r = run_guest(Tier::tier0, "stdio", c);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "read 0 bytes\n");
}

TEST(WasiArgs, ArgumentsAndEnvironment) {
  WasiConfig c = buffered_config({"prog", "a b", "\xc3\xbc", ""});
  c.env = {"A=1", "HOME=/home/guest", "EMPTY="};
  GuestRun r = run_guest(Tier::tier0, "args_env", c);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "argc=4\narg[0]=prog\narg[1]=a b\narg[2]=\xc3\xbc\narg[3]=\n"
            "env A=1\nenv HOME=/home/guest\nenv EMPTY=\nHOME=/home/guest\n");
}

TEST(WasiArgs, NothingByDefault) {
  GuestRun r = run_guest(Tier::tier0, "args_env", buffered_config({}));
  EXPECT_EQ(r.out, "argc=0\nHOME=(unset)\n");
}

TEST(WasiClock, ClocksRandomAndPoll) {
  GuestRun r = run_guest(Tier::tier0, "clock", buffered_config({"clock"}, "ping"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "failures: 0\n");
}

TEST(WasiFd, DescriptorOperationsAndErrnos) {
  TempDir dir;
  WasiConfig c = buffered_config({"fdops"});
  c.preopens.push_back({dir.path().string(), "/sandbox", false});
  GuestRun r = run_guest(Tier::tier0, "fdops", c);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "failures: 0\n");
  EXPECT_TRUE(fs::is_directory(dir.path() / "d"));
  EXPECT_EQ(fs::file_size(dir.path() / "f.bin"), 12u);
}

TEST(WasiSock, HandedInSocket) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ASSERT_EQ(::write(sv[0], "hello", 5), 5);
  WasiConfig c = buffered_config({"sock"});
  c.sockets.push_back(sv[1]);
  GuestRun r = run_guest(Tier::tier0, "sock", c);
  ::close(sv[1]);  // the context holds its own duplicate
  r.ctx.reset();
  r.instance = Instance();
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "failures: 0\n");
  char buf[16] = {0};
  EXPECT_EQ(::read(sv[0], buf, sizeof buf), 5);
  EXPECT_STREQ(buf, "HELLO");
  EXPECT_EQ(::read(sv[0], buf, sizeof buf), 0);  // the guest shut down writing
  ::close(sv[0]);
}

// poll_oneoff over a host fd goes through ppoll: readiness with nbytes, then a clock.
TEST(WasiPoll, HostFdReadinessAndClock) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ASSERT_EQ(::write(sv[0], "x", 1), 1);
  WasiConfig c = buffered_config({"poll_fd"});
  c.sockets.push_back(sv[1]);
  GuestRun r = run_guest(Tier::tier0, "poll_fd", c);
  ::close(sv[0]);
  ::close(sv[1]);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "failures: 0\n");
}

TEST(WasiExitTest, ExitCodesEndTheCallAndMarkTheInstance) {
  for (int code : {0, 3, 125, 255}) {
    GuestRun r = run_guest(Tier::tier0, "exit", buffered_config({"exit", std::to_string(code)}));
    EXPECT_TRUE(r.exited);
    EXPECT_EQ(r.exit_code, code);
    EXPECT_EQ(r.ctx->exit_code(), code);
    EXPECT_EQ(r.out, "before exit\n");
    EXPECT_TRUE(r.instance.trapped());  // unusable after proc_exit
  }
  GuestRun ret = run_guest(Tier::tier0, "exit", buffered_config({"exit", "return"}));
  EXPECT_EQ(ret.exit_code, 7);  // wasi-libc's _start passes main's status to proc_exit
  GuestRun zero = run_guest(Tier::tier0, "hello", buffered_config({"hello"}));
  EXPECT_FALSE(zero.exited);
  EXPECT_FALSE(zero.instance.trapped());
  EXPECT_FALSE(zero.ctx->exit_code().has_value());
  EXPECT_EQ(zero.out, "hello, world\n");
}

TEST(WasiExitTest, TrapIsATrapNotAnExit) {
  try {
    run_guest(Tier::tier0, "exit", buffered_config({"exit", "trap"}));
    FAIL() << "no trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.kind(), TrapKind::unreachable);
  }
}

TEST(WasiCtxTest, InstanceWithoutContextTraps) {
  Module m = wasi_engine(Tier::tier0).compile_file(wasi_guest("hello"));
  Linker linker;
  add_wasi(linker);
  TemplateOptions o;
  o.tier = Tier::tier0;
  Instance inst = linker.instantiate(m, o);
  try {
    inst.call("_start");
    FAIL() << "no trap";
  } catch (const Trap& t) {
    EXPECT_EQ(t.kind(), TrapKind::host_error);
    EXPECT_NE(t.detail().find("WasiCtx"), std::string::npos) << t.detail();
  }
}

// One template, many instances, each with its own context: inputs and outputs never mix.
TEST(WasiCtxTest, EachInstanceOfATemplateHasItsOwnContext) {
  Module m = wasi_engine(Tier::tier0).compile_file(wasi_guest("stdio"));
  Linker linker;
  add_wasi(linker);
  TemplateOptions o;
  o.tier = Tier::tier0;
  Template t = linker.instantiate_template(m, o);
  std::vector<Instance> insts;
  std::vector<std::shared_ptr<WasiCtx>> ctxs;
  for (int i = 0; i < 4; ++i) {
    insts.push_back(t.instantiate());
    ctxs.push_back(
        WasiCtx::attach(insts.back(), buffered_config({"stdio"}, "req" + std::to_string(i))));
  }
  for (int i = 3; i >= 0; --i) insts[i].call("_start");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ctxs[i]->stdout_data(), "REQ" + std::to_string(i));
}

TEST(WasiCtxTest, ReactorInitializeThenExports) {
  Module m = wasi_engine(Tier::tier0).compile_file(wasi_guest("reactor"));
  Linker linker;
  add_wasi(linker);
  TemplateOptions o;
  o.tier = Tier::tier0;
  Instance inst = linker.instantiate(m, o);
  auto ctx = WasiCtx::attach(inst, buffered_config({"reactor"}));
  inst.call("_initialize");
  EXPECT_EQ(inst.func<int32_t(int32_t, int32_t)>("add")(2, 3), 5);
  EXPECT_EQ(inst.func<int32_t()>("greet")(), 42);
  EXPECT_EQ(ctx->stdout_data(), "hello from the reactor (41)\n");
}

TEST(WasiCtxTest, MissingPreopenIsAnError) {
  WasiConfig c;
  c.preopens.push_back({"/nonexistent/wisp-wasi-dir", "/x", false});
  try {
    WasiCtx::create(c);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/wisp-wasi-dir"), std::string::npos);
  }
}

TEST(HostState, OneSlotPerTypeReachableFromHostFunctions) {
  Linker linker;
  linker.define_func("env", "get", FuncType{{}, {ValType::i32}},
                     [](Caller& c, std::span<const Value>, std::span<Value> r) {
                       int* p = c.host_state<int>();
                       EXPECT_EQ(c.host_state<double>(), nullptr);
                       r[0] = Value::i32(p ? *p : -1);
                     });
  Module m =
      wasi_engine(Tier::tier0).compile(wat(R"((module (import "env" "get" (func $g (result i32)))
                   (func (export "f") (result i32) (call $g))))"));
  TemplateOptions o;
  o.tier = Tier::tier0;
  Template t = linker.instantiate_template(m, o);
  Instance a = t.instantiate(), b = t.instantiate();
  EXPECT_EQ(a.func<int32_t()>("f")(), -1);
  a.set_host_state(std::make_shared<int>(7));
  b.set_host_state(std::make_shared<int>(9));
  EXPECT_EQ(a.func<int32_t()>("f")(), 7);
  EXPECT_EQ(b.func<int32_t()>("f")(), 9);
  a.set_host_state(std::make_shared<int>(8));  // replaced
  EXPECT_EQ(*a.host_state<int>(), 8);
  EXPECT_EQ(a.func<int32_t()>("f")(), 8);
  EXPECT_EQ(a.host_state<double>(), nullptr);
}

}  // namespace
}  // namespace wisp::test

namespace wisp::test {
namespace {

// A guest blocked in poll_oneoff (a 30 s clock) is woken by InterruptHandle: the call ends with
// Trap(timeout) right away instead of sleeping on.
TEST(WasiPoll, InterruptEndsABlockingPoll) {
  Module m = wasi_engine(Tier::tier0).compile(wat(R"((module
    (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "sleep") (result i32)
      (i32.store (i32.const 16) (i32.const 1))                ;; clock id: monotonic
      (i64.store (i32.const 24) (i64.const 30000000000))      ;; 30 s, relative
      (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))"));
  Linker linker;
  add_wasi(linker);
  TemplateOptions o;
  o.tier = Tier::tier0;
  Instance inst = linker.instantiate(m, o);
  WasiCtx::attach(inst, buffered_config({}));
  InterruptHandle h = inst.interrupt_handle();
  std::thread t([&] {
    while (!h.current_call()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    h.interrupt();
  });
  auto t0 = std::chrono::steady_clock::now();
  try {
    inst.func<int32_t()>("sleep")();
    ADD_FAILURE() << "no trap";
  } catch (const Trap& e) {
    EXPECT_EQ(e.kind(), TrapKind::timeout);
  }
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

}  // namespace
}  // namespace wisp::test
