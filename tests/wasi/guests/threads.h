// A small spawn shim for wasi-threads test guests (no pthreads in Debian's wasi-libc): each
// thread gets a stack of its own from a static array, and joins by memory.atomic.wait/notify.
// wasi-libc is linked without atomics (-Wl,--no-check-features), so it is not thread-safe: only
// the main thread may call it; spawned threads use atomics and the raw WASI imports below.
#pragma once
#include <stdint.h>

#define MAX_THREADS 64
#define STACK_SIZE 8192

__attribute__((import_module("wasi"), import_name("thread-spawn"))) int32_t wasi_thread_spawn(
    int32_t start_arg);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_exit"))) _Noreturn void
raw_proc_exit(int32_t code);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_write"))) int32_t
raw_fd_write(int32_t fd, const void* iovs, int32_t iovs_len, int32_t* nwritten);

struct thread {
  uint32_t stack_top;  // read by wasi_thread_start (thread_start.s): must come first
  int index;
  int32_t tid;
  void (*fn)(struct thread*);
};

static _Alignas(16) unsigned char g_stacks[MAX_THREADS][STACK_SIZE];
static struct thread g_threads[MAX_THREADS];
static int32_t g_live;  // spawned threads that have not finished

static inline int32_t atomic_load32(int32_t* p) {
  return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
// Blocks while *p == v (no timeout); 0 woken, 1 not equal.
static inline int wait32(int32_t* p, int32_t v) {
  return __builtin_wasm_memory_atomic_wait32(p, v, -1);
}
static inline void notify_all(int32_t* p) {
  __builtin_wasm_memory_atomic_notify(p, -1);
}

// The C side of wasi_thread_start.
void thread_main(int32_t tid, struct thread* t) {
  t->tid = tid;
  t->fn(t);
  if (__atomic_sub_fetch(&g_live, 1, __ATOMIC_SEQ_CST) == 0) notify_all(&g_live);
}

// Spawns thread `index` running fn(t): the TID, or the host's negative error.
static int32_t spawn(int index, void (*fn)(struct thread*)) {
  struct thread* t = &g_threads[index];
  t->stack_top = (uint32_t)(uintptr_t)(g_stacks[index] + STACK_SIZE);
  t->index = index;
  t->fn = fn;
  __atomic_add_fetch(&g_live, 1, __ATOMIC_SEQ_CST);
  int32_t tid = wasi_thread_spawn((int32_t)(uintptr_t)t);
  if (tid < 0) __atomic_sub_fetch(&g_live, 1, __ATOMIC_SEQ_CST);
  return tid;
}

// Waits until every spawned thread has returned from its function.
static void join_all(void) {
  int32_t v;
  while ((v = atomic_load32(&g_live)) != 0) wait32(&g_live, v);
}

// Writes a string to stdout with the raw import (safe from any thread).
static void raw_puts(const char* s) {
  uint32_t len = 0;
  while (s[len]) ++len;
  struct {
    const void* buf;
    uint32_t len;
  } iov = {s, len};
  int32_t n;
  raw_fd_write(1, &iov, 1, &n);
}
