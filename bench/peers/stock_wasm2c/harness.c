// Peer harness: the bench guests fib.wasm and state.wasm translated by Debian's wasm2c CLI and
// run on its stock runtime (wasm-rt-impl.c), all built with gcc -O2. Never links wisp (the
// wasm_rt_* symbols would clash). Prints one JSON object per line; see bench/peers/README.md.
//
// Every measurement runs in a forked child: the stock wasm_rt_free_memory unmaps only the
// accessible part of each 8 GiB reservation, so one process can make only ~16k instances in
// its whole life; a fresh child per measurement keeps the figures independent of that leak.
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fib.h"
#include "state.h"
#include "wasm-rt.h"

#define RUNTIME "stock-wasm2c+gcc-O2"
#define STATE_PAGES 64  // state.wasm's table spans 64 wasm pages (4 MiB)
#define STATE_PAGE_WORDS 16384

static volatile uint64_t g_sink;  // results go here so gcc cannot drop the work

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static long rss_kib(void) {
  FILE* f = fopen("/proc/self/statm", "r");
  long size = 0, resident = 0;
  if (!f) return -1;
  if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  fclose(f);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void die(const char* what) {
  fprintf(stderr, "stock_wasm2c harness: %s\n", what);
  exit(3);
}

// One guest behind a small table of functions, so every measurement serves both modules.
typedef struct {
  const char* name;
  size_t size;  // of the instance struct
  void (*instantiate)(void*);
  void (*free)(void*);
  void (*initialize)(void*);
  uint32_t (*use)(void*);  // a call that checks the instance works; returns its result
} Guest;

static void fib_instantiate(void* p) {
  Z_fib_instantiate(p);
}
static void fib_free(void* p) {
  Z_fib_free(p);
}
static void fib_initialize(void* p) {
  Z_fibZ__initialize(p);
}
static uint32_t fib_use(void* p) {
  uint32_t r = Z_fibZ_fib(p, 10);
  if (r != 55) die("fib(10) != 55");
  return r;
}
static void state_instantiate(void* p) {
  Z_state_instantiate(p);
}
static void state_free(void* p) {
  Z_state_free(p);
}
static void state_initialize(void* p) {
  Z_stateZ__initialize(p);
}
static uint32_t g_state_word0;  // state_get(0) of a fresh instance
static uint32_t state_use(void* p) {
  uint32_t r = Z_stateZ_state_get(p, 0);
  if (r != g_state_word0 || r == 0) die("state_get(0) differs from a fresh instance's");
  return r;
}

static const Guest kFib = {"fib",    sizeof(Z_fib_instance_t), fib_instantiate,
                           fib_free, fib_initialize,           fib_use};
static const Guest kState = {"state",    sizeof(Z_state_instance_t), state_instantiate,
                             state_free, state_initialize,           state_use};

static void make(const Guest* g, void* inst) {
  g->instantiate(inst);
  g->initialize(inst);  // a reactor's _initialize (its constructors) belongs to instantiation
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static void print_stats(const char* bench, const char* module, int pages, double* v, int n,
                        const char* note) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  printf("{\"runtime\":\"%s\",\"bench\":\"%s\",\"module\":\"%s\"", RUNTIME, bench, module);
  if (pages >= 0) printf(",\"pages_touched\":%d", pages);
  printf(",\"median_us\":%.3f,\"min_us\":%.3f,\"n\":%d", v[n / 2], v[0], n);
  if (note) printf(",\"note\":\"%s\"", note);
  printf("}\n");
}

// Instantiate (with _initialize) alone, and instantiate + free, medians of n.
static void bench_instantiate(const Guest* g, int n) {
  void* inst = calloc(1, g->size);
  double* create = malloc(sizeof(double) * (size_t)n);
  double* cycle = malloc(sizeof(double) * (size_t)n);
  for (int i = 0; i < n; ++i) {
    double t0 = now_us();
    make(g, inst);
    double t1 = now_us();
    g_sink += g->use(inst);  // outside the timed region, but proves the instance works
    double t2 = now_us();
    g->free(inst);
    double t3 = now_us();
    create[i] = t1 - t0;
    cycle[i] = (t1 - t0) + (t3 - t2);
  }
  print_stats("instantiate", g->name, -1, create, n, "instantiate + _initialize");
  print_stats("instantiate_free", g->name, -1, cycle, n, NULL);
  free(create);
  free(cycle);
  free(inst);
}

// The stock runtime has no reset: the peer's equivalent is free + instantiate again.
static void bench_reinstantiate(int pages, int n) {
  Z_state_instance_t inst;
  double* v = malloc(sizeof(double) * (size_t)n);
  make(&kState, &inst);
  for (int i = 0; i < n; ++i) {
    for (int p = 0; p < pages; ++p) {
      uint32_t before = Z_stateZ_state_get(&inst, (uint32_t)(p * STATE_PAGE_WORDS));
      if (Z_stateZ_state_touch(&inst, (uint32_t)p) != before + 1) die("state_touch");
    }
    double t0 = now_us();
    kState.free(&inst);
    make(&kState, &inst);
    double t1 = now_us();
    g_sink += state_use(&inst);  // the fresh instance has the original table again
    v[i] = t1 - t0;
  }
  kState.free(&inst);
  print_stats("reinstantiate_after_touch", "state", pages, v, n,
              "no reset in the stock runtime: free + instantiate");
  free(v);
}

// Up to `target` live instances, stopping when the process RSS grew by cap_mib.
static void bench_live(const Guest* g, int target, long cap_mib) {
  char* all = calloc((size_t)target, g->size);
  if (!all) die("out of memory for instance structs");
  long rss0 = rss_kib();
  double t0 = now_us();
  int live = 0;
  const char* stopped = "reached target";
  while (live < target) {
    void* inst = all + (size_t)live * g->size;
    make(g, inst);
    g_sink += g->use(inst);
    ++live;
    if (live % 16 == 0 && rss_kib() - rss0 > cap_mib * 1024) {
      stopped = "RSS cap";
      break;
    }
  }
  double t1 = now_us();
  long rss1 = rss_kib();
  printf(
      "{\"runtime\":\"%s\",\"bench\":\"live_instances\",\"module\":\"%s\",\"target\":%d,"
      "\"live\":%d,\"stopped\":\"%s\",\"rss_cap_mib\":%ld,\"rss_delta_mib\":%.1f,"
      "\"rss_per_instance_kib\":%.1f,\"create_all_ms\":%.1f}\n",
      RUNTIME, g->name, target, live, stopped, cap_mib, (double)(rss1 - rss0) / 1024.0,
      (double)(rss1 - rss0) / live, (t1 - t0) / 1e3);
  for (int i = 0; i < live; ++i) g->free(all + (size_t)i * g->size);
  free(all);
}

// How many instantiate + free cycles one process survives (the leak PEERS.md describes).
// Runs in its own child, which is expected to abort; the count comes back in shared memory.
static void bench_cycles_until_failure(int limit) {
  volatile int* count =
      mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (count == MAP_FAILED) die("mmap");
  *count = 0;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int devnull_fd = fileno(fopen("/dev/null", "w"));
    dup2(devnull_fd, 2);  // the runtime prints "os_mmap failed" before it aborts
    Z_fib_instance_t inst;
    for (int i = 0; i < limit; ++i) {
      make(&kFib, &inst);
      g_sink += fib_use(&inst);
      kFib.free(&inst);
      *count = i + 1;
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const char* outcome = WIFSIGNALED(status)        ? strsignal(WTERMSIG(status))
                        : WEXITSTATUS(status) == 0 ? "survived the limit"
                                                   : "exited with an error";
  printf(
      "{\"runtime\":\"%s\",\"bench\":\"instantiate_free_cycles_in_one_process\",\"module\":"
      "\"fib\",\"limit\":%d,\"cycles\":%d,\"outcome\":\"%s\"}\n",
      RUNTIME, limit, *count, outcome);
}

static long env_long(const char* name, long fallback) {
  const char* v = getenv(name);
  return v && *v ? strtol(v, NULL, 10) : fallback;
}

// Runs fn(arg) in a forked child (a fresh address space for every measurement).
static void in_child(void (*fn)(const void*), const void* arg) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    fn(arg);
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("a measurement failed");
}

static long g_cap_mib, g_live_target;
static void run_inst_fib(const void* a) {
  (void)a, bench_instantiate(&kFib, 5000);
}
static void run_inst_state(const void* a) {
  (void)a, bench_instantiate(&kState, 300);
}
static void run_reinst_1(const void* a) {
  (void)a, bench_reinstantiate(1, 300);
}
static void run_reinst_64(const void* a) {
  (void)a, bench_reinstantiate(64, 200);
}
static void run_live_fib(const void* a) {
  (void)a, bench_live(&kFib, (int)g_live_target, g_cap_mib);
}
static void run_live_state(const void* a) {
  (void)a, bench_live(&kState, (int)g_live_target, g_cap_mib);
}

int main(void) {
  g_cap_mib = env_long("PEERS_RSS_CAP_MIB", 8192);
  g_live_target = env_long("PEERS_LIVE_INSTANCES", 10000);
  wasm_rt_init();
  Z_fib_init_module();
  Z_state_init_module();
  {
    Z_state_instance_t probe;
    make(&kState, &probe);
    g_state_word0 = Z_stateZ_state_get(&probe, 0);
    kState.free(&probe);
  }
  in_child(run_inst_fib, NULL);
  in_child(run_inst_state, NULL);
  in_child(run_reinst_1, NULL);
  in_child(run_reinst_64, NULL);
  in_child(run_live_fib, NULL);
  in_child(run_live_state, NULL);
  bench_cycles_until_failure((int)env_long("PEERS_CYCLE_LIMIT", 40000));
  wasm_rt_free();
  return 0;
}
