/* Version-independent cgroup code: detection, join, signal, removal.
 * Never writes a limit itself: cgroup-v1.c and cgroup-v2.c do. */
#include "cgroup.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

const char *cgroup_default_root(const char *override)
{
    if (override && *override)
        return override;
    const char *env = getenv("POUCH_CGROUP_ROOT");
    return env && *env ? env : "/sys/fs/cgroup";
}

int cgroup_detect(const char *root)
{
    const char *force = getenv("POUCH_CGROUP_VERSION");
    if (force && (*force == '1' || *force == '2'))
        return *force - '0';
    struct statfs sf;
    if (statfs(root, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
        return 2;
    return 1;
}

int cgroup_add_dir(cgroup *cg, const char *dir, const char *name)
{
    if (cg->n_dirs >= CGROUP_MAX_DIRS)
        return -E2BIG;
    cg->dirs[cg->n_dirs] = strdup(dir);
    cg->names[cg->n_dirs] = strdup(name);
    if (!cg->dirs[cg->n_dirs] || !cg->names[cg->n_dirs])
        return -ENOMEM;
    cg->n_dirs++;
    return 0;
}

int cgroup_create(const char *root, int version, const char *rel_path, cgroup **ret, rns_error *e)
{
    _cleanup_(cgroup_freep) cgroup *cg = calloc(1, sizeof(*cg));
    if (!cg)
        return -ENOMEM;
    cg->version = version;
    snprintf(cg->root, sizeof(cg->root), "%s", root);
    if (!rel_path || !*rel_path)
        return rns_err(e, -EINVAL, "config.json: linux.cgroupsPath is empty");
    if (strstr(rel_path, ".."))
        return rns_err(e, -EINVAL, "cgroupsPath %s must not contain '..'", rel_path);
    snprintf(cg->path, sizeof(cg->path), "%s%s", rel_path[0] == '/' ? "" : "/", rel_path);
    int r = version == 2 ? cgroup_v2_create(cg, e) : cgroup_v1_create(cg, e);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(cg);
    return 0;
}

int cgroup_apply(cgroup *cg, const spec_resources *res, rns_error *e)
{
    return cg->version == 2 ? cgroup_v2_apply(cg, res, e) : cgroup_v1_apply(cg, res, e);
}

/* v1 lists a co-mounted hierarchy (cpu,cpuacct) once per controller; a
 * migration costs the kernel a lock and often an RCU grace period, so each
 * directory is written once. pid 0 is the caller (an exec's child). */
int cgroup_enter(cgroup *cg, pid_t pid, rns_error *e)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%d", (int)pid);
    dev_t devs[CGROUP_MAX_DIRS];
    ino_t inos[CGROUP_MAX_DIRS];
    for (size_t i = 0; i < cg->n_dirs; i++) {
        struct stat st;
        int seen = 0;
        if (cg->n_dirs > 1 && stat(cg->dirs[i], &st) == 0) {
            for (size_t j = 0; j < i; j++)
                seen |= devs[j] == st.st_dev && inos[j] == st.st_ino;
            devs[i] = st.st_dev;
            inos[i] = st.st_ino;
        } else {
            devs[i] = 0;
            inos[i] = 0;
        }
        if (seen)
            continue;
        int r = rns_write_file_at(cg->dirs[i], "cgroup.procs", buf, e);
        if (r < 0)
            return r;
    }
    return 0;
}

int cgroup_kill_all(cgroup *cg, int sig)
{
    if (cg->n_dirs == 0)
        return 0;
    char path[2048];
    snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dirs[0]);
    _cleanup_free_ char *text = NULL;
    if (rns_read_file(path, &text, NULL) < 0)
        return 0;
    int n = 0;
    for (char *p = text, *end; *p; p = end) {
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        if (pid > 0 && kill((pid_t)pid, sig) == 0)
            n++;
        while (*end == '\n')
            end++;
    }
    return n;
}

int cgroup_oom_killed(cgroup *cg)
{
    return cg->version == 2 ? cgroup_v2_oom_killed(cg) : cgroup_v1_oom_killed(cg);
}

int cgroup_freeze(cgroup *cg, int freeze, rns_error *e)
{
    return cg->version == 2 ? cgroup_v2_freeze(cg, freeze, e) : cgroup_v1_freeze(cg, freeze, e);
}

int cgroup_frozen(cgroup *cg)
{
    char path[2048];
    _cleanup_free_ char *text = NULL;
    if (cg->version == 2) {
        snprintf(path, sizeof(path), "%s/cgroup.events", cg->dirs[0]);
        return rns_read_file(path, &text, NULL) == 0 && strstr(text, "frozen 1") != NULL;
    }
    for (size_t i = 0; i < cg->n_dirs; i++) {
        if (strcmp(cg->names[i], "freezer"))
            continue;
        snprintf(path, sizeof(path), "%s/freezer.state", cg->dirs[i]);
        return rns_read_file(path, &text, NULL) == 0 && !strncmp(text, "FROZEN", 6);
    }
    return 0;
}

static int rmdir_retry(const char *dir)
{
    for (int i = 0; i < 50; i++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY)
            return -errno;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -EBUSY;
}

int cgroup_destroy(cgroup *cg)
{
    int ret = 0;
    for (size_t i = 0; i < cg->n_dirs; i++) {
        int r = rmdir_retry(cg->dirs[i]);
        if (r < 0 && ret == 0)
            ret = r;
    }
    return ret;
}

int cgroup_save(const cgroup *cg, const char *file)
{
    char buf[CGROUP_MAX_DIRS * 1100] = "";
    size_t len = 0;
    for (size_t i = 0; i < cg->n_dirs; i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n", cg->dirs[i]);
    return rns_write_atomic(file, buf, len, 0600);
}

int cgroup_remove_listed(const char *file)
{
    _cleanup_free_ char *text = NULL;
    int r = rns_read_file(file, &text, NULL);
    if (r < 0)
        return r == -ENOENT ? 0 : r;
    int ret = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        r = rmdir_retry(line);
        if (r < 0 && ret == 0)
            ret = r;
    }
    return ret;
}

void cgroup_free(cgroup *cg)
{
    if (!cg)
        return;
    for (size_t i = 0; i < cg->n_dirs; i++) {
        free(cg->dirs[i]);
        free(cg->names[i]);
    }
    free(cg);
}

unsigned long cgroup_shares_to_weight(unsigned long shares)
{
    if (shares == 0)
        return 0;
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}

unsigned long cgroup_blkio_to_io_weight(unsigned long weight)
{
    if (weight == 0)
        return 0;
    if (weight < 10)
        weight = 10;
    if (weight > 1000)
        weight = 1000;
    return 1 + (weight - 10) * 9999 / 990;
}
