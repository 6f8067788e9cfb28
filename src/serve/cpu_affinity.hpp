// CPU affinity for the server's threads (Linux): a route's workers, or the HTTP threads, kept to
// the CPUs the configuration names (RouteConfig::cpus, ServerConfig::cpus), so that a heavy
// route on cores of its own takes no CPU time from the other routes' requests.
#pragma once

#include <string>
#include <vector>

namespace wisp::serve {

// Why `cpus` cannot be used by this process ("" if it can, and for an empty list): a CPU it may
// not run on (outside its affinity mask: offline, or left out by taskset or a cgroup).
std::string cpus_problem(const std::vector<unsigned>& cpus);

// Keeps the calling thread to `cpus` (nothing for an empty list); 0, or the error number.
int pin_calling_thread(const std::vector<unsigned>& cpus);

}  // namespace wisp::serve
