// Write tracking (SnapshotOptions::track_writes): after a reset, the pages outside the resident
// set are read-only, so a reset after writes to resident pages only needs no scan; a write
// anywhere else (by the guest, by host code, or by the kernel on the host's behalf) must still
// succeed and be undone by the next reset. Every reset here is verified against the snapshot.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "snapshot/page_scan.hpp"
#include "support/fixture.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr uint32_t kWasmPage = 65536;

// 4 wasm pages (64 host pages), data in two of them; store/load at any address.
constexpr const char* kWat = R"((module
  (memory (export "memory") 4 8)
  (data (i32.const 16) "first page")
  (data (i32.const 131072) "third page")
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))))";

class WriteTrackingTest : public TierTest {
 protected:
  // The template's first instance captures the snapshot (its memory is built from scratch and
  // only maps the image from its first reset on): it is made and dropped here, so the instances
  // of a test all start mapping the image.
  Template make(uint32_t keep = 16, bool track = true) {
    TemplateOptions o = options();
    o.snapshot.verify_reset = true;
    o.snapshot.keep_resident_pages = keep;
    o.snapshot.track_writes = track;
    Template t = Linker().instantiate_template(compile(kWat), o);
    t.instantiate();
    return t;
  }
  static void store(Instance& i, uint32_t addr, int32_t v) {
    i.call("store", {Value::i32(static_cast<int32_t>(addr)), Value::i32(v)});
  }
  static int32_t load(Instance& i, uint32_t addr) {
    return i.call("load", {Value::i32(static_cast<int32_t>(addr))})[0].as_i32();
  }
};

TEST_P(WriteTrackingTest, ResetAfterWritesToResidentPagesNeedsNoScan) {
  Template t = make();
  Instance inst = t.instantiate();
  store(inst, 100, 7);  // page 0
  inst.reset();         // scans, keeps page 0 resident, arms the rest
  EXPECT_TRUE(inst.usage().write_tracked);
  EXPECT_EQ(inst.usage().resets_without_scan, 0u);
  for (int round = 1; round <= 20; ++round) {
    store(inst, 100, round);
    EXPECT_EQ(load(inst, 100), round);
    inst.reset();
    EXPECT_EQ(load(inst, 100), 0);
    EXPECT_TRUE(inst.usage().write_tracked);
  }
  EXPECT_EQ(inst.usage().resets, 21u);
  EXPECT_EQ(inst.usage().resets_without_scan, 20u);
}

TEST_P(WriteTrackingTest, GuestWriteOutsideTheResidentSetSucceedsAndIsReset) {
  Template t = make();
  Instance inst = t.instantiate();
  store(inst, 100, 1);
  inst.reset();
  ASSERT_TRUE(inst.usage().write_tracked);
  // A write to a page that is read-only now: caught, let through, and the slot disarmed.
  store(inst, 2 * kWasmPage + 1024, 12345);
  EXPECT_EQ(load(inst, 2 * kWasmPage + 1024), 12345);
  EXPECT_FALSE(inst.usage().write_tracked);
  store(inst, 3 * kWasmPage + 8, -1);  // writes after the disarm need no fault
  uint64_t before = inst.usage().resets_without_scan;
  inst.reset();  // verified: both pages are back to the snapshot
  EXPECT_EQ(inst.usage().resets_without_scan, before);
  EXPECT_EQ(load(inst, 2 * kWasmPage + 1024), 0);
  EXPECT_EQ(load(inst, 3 * kWasmPage + 8), 0);
  EXPECT_EQ(inst.memory().read_string(2 * kWasmPage, 10), "third page");
}

TEST_P(WriteTrackingTest, HostWritesToTrackedPagesSucceedAndAreReset) {
  Template t = make();
  Instance inst = t.instantiate();
  store(inst, 100, 1);
  inst.reset();
  ASSERT_TRUE(inst.usage().write_tracked);
  const std::string text = "written by the host";
  inst.memory().write(kWasmPage + 40, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  EXPECT_EQ(inst.memory().read_string(kWasmPage + 40, text.size()), text);
  inst.memory().store<uint32_t>(3 * kWasmPage, 99);
  EXPECT_EQ(load(inst, 3 * kWasmPage), 99);
  inst.reset();
  EXPECT_EQ(inst.memory().read_string(kWasmPage + 40, text.size()), std::string(text.size(), '\0'));
  EXPECT_EQ(load(inst, 3 * kWasmPage), 0);
}

// The kernel cannot take a write fault on the host's behalf: a read(2) into a read-only page
// fails with EFAULT. Memory::span() prepares its range for that; view() is for reading.
TEST_P(WriteTrackingTest, KernelWritesIntoASpanSucceedAndAreReset) {
  Template t = make();
  Instance inst = t.instantiate();
  store(inst, 100, 1);
  inst.reset();
  ASSERT_TRUE(inst.usage().write_tracked);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string msg = "from a pipe";
  ASSERT_EQ(write(fds[1], msg.data(), msg.size()), static_cast<ssize_t>(msg.size()));
  // Unprepared (a pointer from the read-only view): the tracked page makes the kernel refuse.
  auto* raw = const_cast<uint8_t*>(inst.memory().view(kWasmPage + 8, msg.size()).data());
  errno = 0;
  EXPECT_EQ(read(fds[0], raw, msg.size()), -1);
  EXPECT_EQ(errno, EFAULT);
  // Prepared by span(): the read succeeds.
  std::span<uint8_t> dst = inst.memory().span(kWasmPage + 8, msg.size());
  EXPECT_EQ(read(fds[0], dst.data(), dst.size()), static_cast<ssize_t>(msg.size()));
  EXPECT_EQ(inst.memory().read_string(kWasmPage + 8, msg.size()), msg);
  close(fds[0]);
  close(fds[1]);
  inst.reset();
  EXPECT_EQ(inst.memory().read_string(kWasmPage + 8, msg.size()), std::string(msg.size(), '\0'));
}

TEST_P(WriteTrackingTest, GrowthPastTheSnapshotIsUndoneWhileTracked) {
  Template t = make();
  Instance inst = t.instantiate();
  store(inst, 100, 1);
  inst.reset();
  ASSERT_TRUE(inst.usage().write_tracked);
  EXPECT_EQ(inst.call("grow", {Value::i32(2)})[0].as_i32(), 4);
  store(inst, 5 * kWasmPage, 5);  // grown memory: not part of the tracked image
  store(inst, 100, 2);            // resident
  EXPECT_TRUE(inst.usage().write_tracked);
  inst.reset();
  EXPECT_EQ(inst.memory().pages(), 4u);
  EXPECT_EQ(inst.call("grow", {Value::i32(2)})[0].as_i32(), 4);
  EXPECT_EQ(load(inst, 5 * kWasmPage), 0);
}

// A guest that writes a new page in every lease escapes every time: arming backs off, and
// resumes once the guest's writes stay within the resident set again.
TEST_P(WriteTrackingTest, EscapesBackOffAndTrackingResumes) {
  Template t = make();
  Instance inst = t.instantiate();
  for (uint32_t i = 0; i < 40; ++i) {
    store(inst, (i % 60) * 4096 + 4096, static_cast<int32_t>(i));
    inst.reset();
  }
  uint64_t tracked_before = inst.usage().resets_without_scan;
  EXPECT_LE(tracked_before, 2u);
  for (int i = 0; i < 600; ++i) {
    store(inst, 200, i);
    inst.reset();
  }
  EXPECT_GT(inst.usage().resets_without_scan, tracked_before + 200);
  EXPECT_TRUE(inst.usage().write_tracked);
}

// Pages written once stay resident (copied back on every reset) until the resident set is
// trimmed; the hot page then remains the only one.
TEST_P(WriteTrackingTest, ResidentSetShrinksToThePagesStillWritten) {
  Template t = make();
  Instance inst = t.instantiate();
  for (uint32_t p = 0; p < 10; ++p) store(inst, p * 4096 * 5 + 8, 1);  // 10 pages, 10 runs
  store(inst, 4, 1);
  inst.reset();
  EXPECT_GE(inst.usage().written_pages, 10u);
  for (int i = 0; i < 1000; ++i) {
    store(inst, 4, i);
    inst.reset();
  }
  EXPECT_LE(inst.usage().written_pages, 2u);
  EXPECT_GT(inst.usage().resets_without_scan, 900u);
}

TEST_P(WriteTrackingTest, OffMeansEveryResetScans) {
  Template t = make(16, /*track=*/false);
  Instance inst = t.instantiate();
  for (int i = 0; i < 5; ++i) {
    store(inst, 100, i);
    inst.reset();
    EXPECT_FALSE(inst.usage().write_tracked);
  }
  EXPECT_EQ(inst.usage().resets_without_scan, 0u);
}

// Slots carry their tracking state to the next instance of the template (slot affinity): a new
// instance in an armed slot starts tracked, and writes anywhere still work.
TEST_P(WriteTrackingTest, ANewInstanceInAnArmedSlotWorks) {
  Template t = make();
  {
    Instance a = t.instantiate();
    store(a, 100, 1);
    a.reset();
    ASSERT_TRUE(a.usage().write_tracked);
  }  // released: its slot stays armed
  for (int i = 0; i < 20; ++i) {
    Instance b = t.instantiate();
    EXPECT_EQ(load(b, 100), 0);
    EXPECT_EQ(load(b, 2 * kWasmPage + 1024), 0);
    store(b, 2 * kWasmPage + 1024, i + 1);  // outside the resident set
    store(b, 100, i + 1);
    EXPECT_EQ(load(b, 2 * kWasmPage + 1024), i + 1);
  }
}

// Kernels before 6.7 lack PAGEMAP_SCAN (Debian 12's own is 6.1): written pages are then found by
// reading /proc/self/pagemap. Both must find the same pages, and resets (tracked or not) must
// work the same with the fallback.
TEST_P(WriteTrackingTest, ThePagemapFallbackFindsTheSamePagesAndResetsWork) {
  struct Fallback {
    Fallback() { snap::use_pagemap_fallback_for_testing(true); }
    ~Fallback() { snap::use_pagemap_fallback_for_testing(false); }
  };
  Template t = make();
  Instance inst = t.instantiate();
  const uint32_t addrs[] = {8,        4096 * 3 + 1,         4096 * 5,
                            4096 * 9, 2 * kWasmPage + 2048, 4 * kWasmPage - 4};
  for (uint32_t a : addrs) store(inst, a, 1);
  load(inst, 3 * kWasmPage);  // a page only read: not written
  const uint8_t* base = inst.memory().view(0, 0).data();
  const uint64_t bytes = inst.memory().size();
  std::vector<snap::PageRange> by_ioctl, by_read;
  ASSERT_TRUE(snap::scan_written_pages(base, bytes, by_ioctl));
  {
    Fallback f;
    ASSERT_TRUE(snap::scan_written_pages(base, bytes, by_read));
  }
  ASSERT_EQ(by_ioctl.size(), 6u);  // each store's page, none adjacent
  ASSERT_EQ(by_read.size(), by_ioctl.size());
  for (size_t i = 0; i < by_ioctl.size(); ++i) {
    EXPECT_EQ(by_read[i].begin, by_ioctl[i].begin);
    EXPECT_EQ(by_read[i].end, by_ioctl[i].end);
  }
  Fallback f;
  inst.reset();
  EXPECT_TRUE(inst.usage().write_tracked);
  for (int round = 0; round < 50; ++round) {
    store(inst, 8, round);                                          // resident
    if (round % 10 == 0) store(inst, 2 * kWasmPage + 4096, round);  // escapes
    inst.reset();                                                   // verified
  }
  EXPECT_GT(inst.usage().resets_without_scan, 30u);
}

// A forked child (a pre-forking server's worker) must find its own written pages: the kernel
// binds an open /proc/self/pagemap to the process that opened it, so the child reopens it. With
// tracking off every reset scans; a missed page would fail the verification or the load.
TEST_P(WriteTrackingTest, ResetsInAForkedChildFindTheChildsOwnWrites) {
  for (bool track : {false, true}) {
    Template t = make(16, track);
    Instance parent = t.instantiate();
    store(parent, 100, 1);
    parent.reset();  // the parent has scanned (the pagemap is open) and, if tracking, armed
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int status = 0;
      try {
        for (int round = 1; round <= 3; ++round) {
          Instance child = t.instantiate();
          store(child, 2 * kWasmPage + 4096 * round, round);  // a page nobody wrote before
          store(child, 100, round);
          child.reset();  // verified against the snapshot
          if (load(child, 2 * kWasmPage + 4096 * round) != 0 || load(child, 100) != 0) status = 2;
        }
      } catch (...) {
        status = 1;
      }
      _exit(status);
    }
    int status = -1;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: a reset failed its verification, 2: a write survived"
                                      << (track ? " (tracked)" : " (untracked)");
  }
}

WISP_INSTANTIATE_TIERS(WriteTrackingTest);

}  // namespace
}  // namespace wisp::test
