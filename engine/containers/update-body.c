/* The body of POST /containers/{id}/update, as an API client sends it:
 * dockerd's platform checks (400s, warnings) and its translation into the
 * OCI resources a runtime applies. No container state here: the 409
 * conflicts with what is set live in ops.c. Outside input: fuzzed. */
#include "update-body.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"

static int64_t int_of(json_t *o, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(o, k));
}

/* "0-2,4" into a bit set; false on a malformed list. */
static bool cpuset_parse(const char *text, unsigned char *bits, size_t nbits)
{
    memset(bits, 0, nbits / 8);
    if (!*text)
        return true;
    const char *p = text;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || a < 0)
            return false;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1 || b < a)
                return false;
            p = end;
        }
        if (*p == ',')
            p++;
        else if (*p)
            return false;
        for (long i = a; i <= b; i++) {
            if ((size_t)i >= nbits)
                return false;
            bits[i / 8] |= (unsigned char)(1u << (i % 8));
        }
    }
    return true;
}

/* dockerd's check of a cpuset against what the host has online. */
static int cpuset_check(const char *want, const char *online_path, const char *what, const char *name)
{
    if (!want || !*want)
        return 0;
    unsigned char w[128], have[128];
    if (!cpuset_parse(want, w, 1024))
        return err_set(-EINVAL, "Invalid value %s for cpuset %s", want, name);
    char online[256] = "0";
    _cleanup_fclose_ FILE *f = fopen(online_path, "re");
    if (f && fgets(online, sizeof(online), f))
        online[strcspn(online, "\n")] = 0;
    if (!cpuset_parse(online, have, 1024))
        return 0;
    for (size_t i = 0; i < sizeof(w); i++)
        if (w[i] & ~have[i])
            return err_set(-EINVAL, "Requested %s are not available - requested %s, available: %s", what, want, online);
    return 0;
}

static bool blkio_weight_supported(void)
{
    return access("/sys/fs/cgroup/blkio/blkio.weight", F_OK) == 0 ||
           access("/sys/fs/cgroup/blkio/blkio.bfq.weight", F_OK) == 0 ||
           access("/sys/fs/cgroup/io.weight", F_OK) == 0 || access("/sys/fs/cgroup/io.bfq.weight", F_OK) == 0;
}

/* verifyPlatformContainerResources for an update: -EINVAL (400) errors, and
 * the warnings it adds (BlkioWeight dropped from body when unsupported). */
int update_verify(json_t *b, json_t *warnings)
{
    int64_t mem = int_of(b, "Memory"), swap = int_of(b, "MemorySwap"), resv = int_of(b, "MemoryReservation");
    int64_t kmem = int_of(b, "KernelMemory"), nano = int_of(b, "NanoCpus");
    int64_t period = int_of(b, "CpuPeriod"), quota = int_of(b, "CpuQuota");
    if (mem != 0 && mem < 6 * 1024 * 1024)
        return err_set(-EINVAL, "Minimum memory limit allowed is 6MB");
    if (mem > 0 && swap > 0 && swap < mem)
        return err_set(-EINVAL, "Minimum memoryswap limit should be larger than memory limit, see usage");
    if (mem > 0 && resv > 0 && mem < resv)
        return err_set(-EINVAL, "Minimum memory limit can not be less than memory reservation limit, see usage");
    if (kmem != 0 && kmem < 4 * 1024 * 1024)
        return err_set(-EINVAL, "Minimum kernel memory limit allowed is 4MB");
    if (kmem != 0)
        json_array_append_new(warnings,
                              json_string("Specifying a kernel memory limit is deprecated and will be removed in a "
                                          "future release."));
    if (nano > 0 && period > 0)
        return err_set(-EINVAL, "Conflicting options: Nano CPUs and CPU Period cannot both be set");
    if (nano > 0 && quota > 0)
        return err_set(-EINVAL, "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (nano < 0 || nano > (int64_t)ncpu * 1000000000LL)
        return err_set(-EINVAL, "Range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available", ncpu,
                       ncpu);
    if (period != 0 && (period < 1000 || period > 1000000))
        return err_set(-EINVAL, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
    if (quota > 0 && quota < 1000)
        return err_set(-EINVAL, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
    int r = cpuset_check(json_string_value(json_object_get(b, "CpusetCpus")), "/sys/devices/system/cpu/online", "CPUs",
                         "cpus");
    if (r >= 0)
        r = cpuset_check(json_string_value(json_object_get(b, "CpusetMems")), "/sys/devices/system/node/online",
                         "memory nodes", "mems");
    if (r < 0)
        return r;
    int64_t weight = int_of(b, "BlkioWeight");
    if (weight > 0 && !blkio_weight_supported()) {
        json_array_append_new(warnings, json_string("Your kernel does not support Block I/O weight or the cgroup is "
                                                     "not mounted. Weight discarded."));
        json_object_set_new(b, "BlkioWeight", json_integer(0));
    } else if (weight > 0 && (weight < 10 || weight > 1000)) {
        return err_set(-EINVAL, "Range of blkio weight is from 10 to 1000");
    }
    json_t *rp = json_object_get(b, "RestartPolicy");
    const char *name = json_string_value(json_object_get(rp, "Name"));
    int64_t retries = int_of(rp, "MaximumRetryCount");
    if (name && *name && strcmp(name, "no") && strcmp(name, "always") && strcmp(name, "unless-stopped") &&
        strcmp(name, "on-failure"))
        return err_set(-EINVAL, "invalid restart policy '%s'", name);
    if (name && *name && strcmp(name, "on-failure") && retries != 0)
        return err_set(-EINVAL, "maximum retry count cannot be used with restart policy '%s'", name);
    if (retries < 0)
        return err_set(-EINVAL, "maximum retry count cannot be negative");
    return 0;
}

/* toContainerdResources, keeping only what the request changes (the
 * runtime's update contract). */
json_t *update_resources(json_t *b)
{
    json_t *res = json_object(), *mem = json_object(), *cpu = json_object();
    if (int_of(b, "Memory"))
        json_object_set_new(mem, "limit", json_integer(int_of(b, "Memory")));
    if (int_of(b, "MemoryReservation"))
        json_object_set_new(mem, "reservation", json_integer(int_of(b, "MemoryReservation")));
    if (int_of(b, "MemorySwap") > 0 || int_of(b, "MemorySwap") == -1)
        json_object_set_new(mem, "swap", json_integer(int_of(b, "MemorySwap")));
    if (int_of(b, "KernelMemory"))
        json_object_set_new(mem, "kernel", json_integer(int_of(b, "KernelMemory")));
    if (int_of(b, "CpuShares"))
        json_object_set_new(cpu, "shares", json_integer(int_of(b, "CpuShares")));
    int64_t period = int_of(b, "CpuPeriod"), quota = int_of(b, "CpuQuota");
    if (int_of(b, "NanoCpus")) {
        period = 100000;
        quota = int_of(b, "NanoCpus") * period / 1000000000LL;
    }
    if (period)
        json_object_set_new(cpu, "period", json_integer(period));
    if (quota)
        json_object_set_new(cpu, "quota", json_integer(quota));
    const char *cpus = json_string_value(json_object_get(b, "CpusetCpus"));
    const char *mems = json_string_value(json_object_get(b, "CpusetMems"));
    if (cpus && *cpus)
        json_object_set_new(cpu, "cpus", json_string(cpus));
    if (mems && *mems)
        json_object_set_new(cpu, "mems", json_string(mems));
    if (json_object_size(mem))
        json_object_set(res, "memory", mem);
    if (json_object_size(cpu))
        json_object_set(res, "cpu", cpu);
    json_decref(mem);
    json_decref(cpu);
    if (json_is_integer(json_object_get(b, "PidsLimit"))) {
        int64_t lim = int_of(b, "PidsLimit");
        json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t)(lim <= 0 ? -1 : lim)));
    }
    if (int_of(b, "BlkioWeight"))
        json_object_set_new(res, "blockIO", json_pack("{s:I}", "weight", (json_int_t)int_of(b, "BlkioWeight")));
    return res;
}
