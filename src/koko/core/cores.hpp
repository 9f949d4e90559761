#pragma once
// How many cores this process may run on: its CPU affinity (taskset, a container's cpuset), not the machine's
// count, so the default number of threads never oversubscribes the cores it is given. At least 1.
namespace koko {

unsigned usable_cores();

}  // namespace koko
