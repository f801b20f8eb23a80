/* Host facts for /info and /version, read on demand (they may change while
 * pouchd runs: fds, threads, memory hot-plug). */
#include "sysinfo.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static struct utsname *uts(void)
{
    static struct utsname u;
    static int done;
    if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
        uname(&u);
        __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    }
    return &u;
}

const char *sysinfo_kernel_version(void)
{
    return uts()->release;
}

const char *sysinfo_arch(void)
{
    return uts()->machine;
}

const char *sysinfo_cgroup_version(void)
{
    struct statfs sfs;
    if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
        return "2";
    return "1";
}

/* Value of KEY= in /etc/os-release without quotes, into buf. */
static void os_release(const char *key, char *buf, size_t cap)
{
    buf[0] = '\0';
    _cleanup_fclose_ FILE *f = fopen("/etc/os-release", "re");
    if (!f)
        f = fopen("/usr/lib/os-release", "re");
    if (!f)
        return;
    char line[512];
    size_t klen = strlen(key);
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, klen) != 0 || line[klen] != '=')
            continue;
        char *v = line + klen + 1;
        v[strcspn(v, "\n")] = '\0';
        size_t len = strlen(v);
        if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
            v[len - 1] = '\0';
            v++;
        }
        snprintf(buf, cap, "%s", v);
        return;
    }
}

static long count_fds(void)
{
    _cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    long n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    return n > 0 ? n - 1 : 0; /* not counting the fd of the listing itself */
}

static long count_threads(void)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    long n = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "Threads: %ld", &n) == 1)
            break;
    return n;
}

void sysinfo_fill(json_t *obj)
{
    char pretty[256], version_id[64], host[256] = "";
    os_release("PRETTY_NAME", pretty, sizeof(pretty));
    os_release("VERSION_ID", version_id, sizeof(version_id));
    gethostname(host, sizeof(host) - 1);
    struct sysinfo si;
    long long mem = 0;
    if (sysinfo(&si) == 0)
        mem = (long long)si.totalram * si.mem_unit;

    json_object_set_new(obj, "KernelVersion", json_string(sysinfo_kernel_version()));
    json_object_set_new(obj, "OperatingSystem", json_string(pretty[0] ? pretty : "Linux"));
    json_object_set_new(obj, "OSVersion", json_string(version_id));
    json_object_set_new(obj, "Architecture", json_string(sysinfo_arch()));
    json_object_set_new(obj, "NCPU", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(obj, "MemTotal", json_integer(mem));
    json_object_set_new(obj, "Name", json_string(host));
    json_object_set_new(obj, "CgroupVersion", json_string(sysinfo_cgroup_version()));
    json_object_set_new(obj, "CgroupDriver", json_string("cgroupfs"));
    json_object_set_new(obj, "NFd", json_integer(count_fds()));
    json_object_set_new(obj, "NThreads", json_integer(count_threads()));
}
