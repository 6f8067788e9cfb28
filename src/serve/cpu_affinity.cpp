// CPU affinity for the server's threads (see cpu_affinity.hpp).
#include "serve/cpu_affinity.hpp"

#include <pthread.h>
#include <sched.h>

namespace wisp::serve {
namespace {

std::string set_text(const cpu_set_t& set) {
  std::string out;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    int last = cpu;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    if (!out.empty()) out += ",";
    out += std::to_string(cpu);
    if (last > cpu) out += "-" + std::to_string(last);
    cpu = last;
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::string cpus_problem(const std::vector<unsigned>& cpus) {
  if (cpus.empty()) return "";
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return "";  // not knowable: try
  for (unsigned cpu : cpus) {
    if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed))
      return "CPU " + std::to_string(cpu) + " is not one this process may run on (" +
             set_text(allowed) + ")";
  }
  return "";
}

int pin_calling_thread(const std::vector<unsigned>& cpus) {
  if (cpus.empty()) return 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (unsigned cpu : cpus)
    if (cpu < CPU_SETSIZE) CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

}  // namespace wisp::serve
