// Times whole-process runs of two commands, alternating A B A B ... (so drift hits both), with
// their stdout and stderr sent to /dev/null. Prints min and median wall time of each and the
// median of the per-pair ratios A/B.
// usage: exec_timer RUNS WARMUP A-ARGV... --vs B-ARGV...
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// One run of argv; returns its wall time in ms (exits on a failure to start or a bad status).
static double run_once(char** argv) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  double t0 = now_ms();
  pid_t pid;
  if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
    fprintf(stderr, "exec_timer: cannot run %s\n", argv[0]);
    exit(2);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  double t = now_ms() - t0;
  posix_spawn_file_actions_destroy(&fa);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "exec_timer: %s failed (status %d)\n", argv[0], status);
    exit(1);
  }
  return t;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double median(double* v, int n) {
  qsort(v, n, sizeof *v, cmp);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: exec_timer RUNS WARMUP A-ARGV... --vs B-ARGV...\n");
    return 2;
  }
  int runs = atoi(argv[1]), warmup = atoi(argv[2]);
  char** a = argv + 3;
  char** b = NULL;
  for (int i = 3; i < argc; ++i) {
    if (!strcmp(argv[i], "--vs")) {
      argv[i] = NULL;
      b = argv + i + 1;
    }
  }
  if (runs < 1 || !b || !*b) {
    fprintf(stderr, "exec_timer: need RUNS >= 1 and a command after --vs\n");
    return 2;
  }
  double *ta = calloc(runs, sizeof *ta), *tb = calloc(runs, sizeof *tb),
         *ratio = calloc(runs, sizeof *ratio);
  for (int i = 0; i < warmup; ++i) run_once(a), run_once(b);
  for (int i = 0; i < runs; ++i) {
    ta[i] = run_once(a);
    tb[i] = run_once(b);
    ratio[i] = ta[i] / tb[i];
  }
  double ma = median(ta, runs), mb = median(tb, runs), mr = median(ratio, runs);
  printf("A: min %.3f ms, median %.3f ms  (%s)\n", ta[0], ma, a[0]);
  printf("B: min %.3f ms, median %.3f ms  (%s)\n", tb[0], mb, b[0]);
  printf("ratio A/B: median of %d pairs %.2f (min/min %.2f)\n", runs, mr, ta[0] / tb[0]);
  return 0;
}
