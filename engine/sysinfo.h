/* Facts about the host and this process, for /info and /version. Reads only
 * /proc, /sys and /etc; never changes anything. */
#ifndef POUCH_ENGINE_SYSINFO_H
#define POUCH_ENGINE_SYSINFO_H

#include <jansson.h>

/* Adds KernelVersion, OperatingSystem, OSVersion, Architecture, NCPU,
 * MemTotal, Name, CgroupVersion, CgroupDriver, NFd, NThreads to obj. */
void sysinfo_fill(json_t *obj);
/* "1" or "2": the cgroup version the host runs (hybrid counts as 1). */
const char *sysinfo_cgroup_version(void);
const char *sysinfo_kernel_version(void);
const char *sysinfo_arch(void);

#endif
