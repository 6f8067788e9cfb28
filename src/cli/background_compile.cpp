// Filling the tier-1 cache without holding the user: `wisp run` and `wisp call` run a module on
// tier 0 when its tier-1 object is not cached, and leave the build to a detached, low-priority
// `wisp compile --background` process that outlives them.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/cli.hpp"

namespace wisp::cli {

void spawn_background_compile(const std::string& module_file) {
  if (const char* off = std::getenv("WISP_NO_BACKGROUND_COMPILE"); off && *off && *off != '0')
    return;
  std::error_code ec;
  std::string path = std::filesystem::absolute(module_file, ec).string();
  if (ec) return;
  std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) return;
  std::vector<std::string> args = {self, "compile", "--background", path};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t child = ::fork();
  if (child < 0) return;  // no process to spare: the next run builds it
  if (child == 0) {
    // The child starts a new session and forks the builder, which init then adopts: nothing of
    // it waits on the user's process, and no zombie is left behind.
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
    }
    ::setpriority(PRIO_PROCESS, 0, 10);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace wisp::cli
