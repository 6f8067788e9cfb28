// wasi-threads test guest (threads.h's shim). argv[1] picks the case:
//   count N K     N threads each add 1 to a shared counter K times; prints the total
//   limit N       spawns blocked threads until thread-spawn fails (at most N); prints how many
//                 ran and the error, releases them, joins, spawns as many again (pool reuse)
//   trap          a thread traps while main waits in memory.atomic.wait
//   exit CODE     a thread calls proc_exit(CODE) while main waits in memory.atomic.wait
//   busy CODE     a thread calls proc_exit(CODE) while main spins in a loop
//   main_exit     main calls proc_exit(3) while its threads wait
//   main_return   main returns 0 while its threads wait
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threads.h"

static int32_t g_counter;
static int32_t g_iterations;
static int32_t g_release;  // blocked threads wait while it is 0
static int32_t g_exit_code;
static int32_t g_started;

static void add_loop(struct thread* t) {
  (void)t;
  for (int32_t i = 0; i < g_iterations; ++i) __atomic_fetch_add(&g_counter, 1, __ATOMIC_SEQ_CST);
}

static void block(struct thread* t) {
  (void)t;
  __atomic_add_fetch(&g_started, 1, __ATOMIC_SEQ_CST);
  notify_all(&g_started);
  while (atomic_load32(&g_release) == 0) wait32(&g_release, 0);
}

static void trapper(struct thread* t) {
  (void)t;
  int32_t never = 0;
  __builtin_wasm_memory_atomic_wait32(&never, 0, 50 * 1000 * 1000);  // let main block first
  __builtin_trap();
}

static void exiter(struct thread* t) {
  (void)t;
  int32_t never = 0;
  __builtin_wasm_memory_atomic_wait32(&never, 0, 50 * 1000 * 1000);
  raw_puts("thread exits\n");
  raw_proc_exit(g_exit_code);
}

static _Noreturn void wait_forever(void) {
  int32_t never = 0;
  for (;;) wait32(&never, 0);
}

static void wait_started(int32_t n) {
  int32_t v;
  while ((v = atomic_load32(&g_started)) < n) wait32(&g_started, v);
}

// `patient`: a spawn refused for want of a host thread (-EAGAIN) is tried again for a while. A
// thread that signalled its end (join_all returned) is the host's again only once its
// wasi_thread_start has returned, a moment later.
static int spawn_blocked_until_failure(int max, int32_t* error, int patient) {
  int n = 0;
  for (; n < max; ++n) {
    int32_t tid = spawn(n, block);
    for (int tries = 0; patient && tid == -6 && tries < 100000; ++tries) {
      sched_yield();
      tid = spawn(n, block);
    }
    if (tid < 0) {
      *error = tid;
      break;
    }
  }
  return n;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "count") && argc > 3) {
    int n = atoi(argv[2]);
    g_iterations = atoi(argv[3]);
    for (int i = 0; i < n; ++i) {
      if (spawn(i, add_loop) <= 0) {
        printf("spawn %d failed\n", i);
        return 1;
      }
    }
    join_all();
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < i; ++j)
        if (g_threads[i].tid == g_threads[j].tid || g_threads[i].tid <= 0) {
          printf("bad tids\n");
          return 1;
        }
    printf("threads=%d counter=%d\n", n, (int)g_counter);
    return 0;
  }
  if (!strcmp(mode, "limit") && argc > 2) {
    int max = atoi(argv[2]);
    if (max > MAX_THREADS) max = MAX_THREADS;
    int32_t error = 0;
    int n = spawn_blocked_until_failure(max, &error, 0);
    wait_started(n);
    printf("spawned=%d error=%d\n", n, (int)error);
    __atomic_store_n(&g_release, 1, __ATOMIC_SEQ_CST);
    notify_all(&g_release);
    join_all();
    // The pool's threads are free again: as many spawns succeed as before.
    __atomic_store_n(&g_started, 0, __ATOMIC_SEQ_CST);
    int32_t error2 = 0;
    int again = spawn_blocked_until_failure(n, &error2, 1);
    wait_started(again);
    __atomic_store_n(&g_release, 1, __ATOMIC_SEQ_CST);
    notify_all(&g_release);
    join_all();
    printf("again=%d\n", again);
    return 0;
  }
  if (!strcmp(mode, "trap")) {
    spawn(0, trapper);
    printf("main waits\n");
    fflush(stdout);
    wait_forever();
  }
  if ((!strcmp(mode, "exit") || !strcmp(mode, "busy")) && argc > 2) {
    g_exit_code = atoi(argv[2]);
    spawn(0, exiter);
    printf("main waits\n");
    fflush(stdout);
    if (!strcmp(mode, "exit")) wait_forever();
    for (volatile int spin = 0;; spin = spin + 1) {
    }
  }
  if (!strcmp(mode, "main_exit") || !strcmp(mode, "main_return")) {
    int32_t error = 0;
    int n = spawn_blocked_until_failure(4, &error, 0);
    wait_started(n);
    printf("%d threads wait\n", n);
    fflush(stdout);
    if (!strcmp(mode, "main_exit")) exit(3);
    return 0;
  }
  printf(
      "usage: threads count N K | limit N | trap | exit CODE | busy CODE | main_exit | "
      "main_return\n");
  return 2;
}
