// Times commands to their first output with a cold cache: every run gets a fresh, empty
// XDG_CACHE_HOME (removed afterwards), stdin from /dev/null, stdout and stderr read through one
// pipe (the first byte on either is "first output": some programs print their banner on stderr).
// Rounds alternate the commands (A B C, A B C, ...) so that drift of a shared machine hits all
// of them. Prints, per command, min and median of time to first output and to exit, the median
// CPU time (user + system) and peak RSS of the process (wait4's rusage: the command's own
// process, not its children), the median of the per-round ratios to the first command, and the
// first line it printed.
// usage: first_output RUNS -- NAME ARGV... [-- NAME ARGV...]...
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

enum { kMaxCommands = 16, kMaxRuns = 100, kLine = 120 };

struct Command {
  const char* name;
  char** argv;
  double first_ms[kMaxRuns], exit_ms[kMaxRuns], cpu_s[kMaxRuns], rss_mb[kMaxRuns];
  int failures;
  char line[kLine + 1];
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int remove_entry(const char* path, const struct stat* sb, int flag, struct FTW* ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

// The environment with XDG_CACHE_HOME replaced by `cache`.
static char** env_with_cache(const char* cache) {
  size_t n = 0;
  while (environ[n]) ++n;
  char** env = calloc(n + 2, sizeof *env);
  size_t k = 0;
  for (size_t i = 0; i < n; ++i)
    if (strncmp(environ[i], "XDG_CACHE_HOME=", 15) != 0) env[k++] = environ[i];
  static char var[4200];
  snprintf(var, sizeof var, "XDG_CACHE_HOME=%s", cache);
  env[k] = var;
  return env;
}

// One run of `c` (run number `r`); false if it did not start or exited non-zero.
static int run_once(struct Command* c, int r) {
  char cache[] = "/tmp/wisp-cold-cache-XXXXXX";
  if (!mkdtemp(cache)) {
    perror("first_output: mkdtemp");
    exit(1);
  }
  char** env = env_with_cache(cache);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    perror("first_output: pipe");
    exit(1);
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, out[1], 2);
  double t0 = now_ms();
  pid_t pid;
  int spawned = posix_spawnp(&pid, c->argv[0], &fa, NULL, c->argv, env) == 0;
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  free(env);
  double first = -1;
  char buf[65536];
  size_t kept = 0;
  if (spawned) {
    for (;;) {
      ssize_t got = read(out[0], buf, sizeof buf);
      if (got <= 0) break;
      if (first < 0) first = now_ms() - t0;
      for (ssize_t i = 0; i < got && kept < kLine && r == 0; ++i) {
        if (buf[i] == '\n')
          kept = kLine;
        else
          c->line[kept++] = buf[i];
      }
    }
  }
  close(out[0]);
  int status = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  if (spawned) wait4(pid, &status, 0, &ru);
  double end = now_ms() - t0;
  nftw(cache, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  if (!spawned || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || first < 0) {
    fprintf(stderr, "first_output: %s: %s (status %d)\n", c->name,
            !spawned    ? "cannot start"
            : first < 0 ? "no output"
                        : "failed",
            status);
    c->failures++;
    return 0;
  }
  c->first_ms[r] = first;
  c->exit_ms[r] = end;
  c->cpu_s[r] =
      ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  c->rss_mb[r] = ru.ru_maxrss / 1024.0;
  return 1;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double median(const double* v, int n, double* min) {
  double s[kMaxRuns];
  memcpy(s, v, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp);
  if (min) *min = s[0];
  return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

int main(int argc, char** argv) {
  if (argc < 4 || strcmp(argv[2], "--") != 0) {
    fprintf(stderr, "usage: first_output RUNS -- NAME ARGV... [-- NAME ARGV...]...\n");
    return 2;
  }
  int runs = atoi(argv[1]);
  if (runs < 1 || runs > kMaxRuns) {
    fprintf(stderr, "first_output: RUNS must be 1..%d\n", kMaxRuns);
    return 2;
  }
  static struct Command cmds[kMaxCommands];
  int n = 0;
  for (int i = 2; i < argc; ++i) {
    if (strcmp(argv[i], "--") != 0) continue;
    argv[i] = NULL;  // ends the previous command's argv
    if (i + 2 >= argc || n == kMaxCommands) {
      fprintf(stderr, "first_output: each -- needs NAME and a command (at most %d)\n",
              kMaxCommands);
      return 2;
    }
    cmds[n].name = argv[i + 1];
    cmds[n].argv = &argv[i + 2];
    ++n;
  }
  int ok = 1;
  for (int r = 0; r < runs && ok; ++r)
    for (int k = 0; k < n; ++k) ok &= run_once(&cmds[k], r);
  if (!ok) return 1;
  printf(
      "| command | first output ms min / median | exit ms min / median | CPU s | peak RSS MB "
      "| first output vs %s | first line |\n|---|---|---|---|---|---|---|\n",
      cmds[0].name);
  for (int k = 0; k < n; ++k) {
    double fmin, emin, ratio[kMaxRuns];
    double fmed = median(cmds[k].first_ms, runs, &fmin);
    double emed = median(cmds[k].exit_ms, runs, &emin);
    for (int r = 0; r < runs; ++r) ratio[r] = cmds[k].first_ms[r] / cmds[0].first_ms[r];
    printf("| %s | %.0f / %.0f | %.0f / %.0f | %.2f | %.0f | %.3gx | %s |\n", cmds[k].name, fmin,
           fmed, emin, emed, median(cmds[k].cpu_s, runs, NULL), median(cmds[k].rss_mb, runs, NULL),
           median(ratio, runs, NULL), cmds[k].line);
  }
  return 0;
}
