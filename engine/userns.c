/* --userns-remap for the whole daemon: resolves the remap user and its
 * subordinate ranges (creating dockerd's "dockremap" when asked for
 * "default"), keeps one user namespace with those maps for idmapped layer
 * mounts, and never chowns an image snapshot (layers are shared with
 * containers that are not remapped). */
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "log.h"

extern char **environ;

static bool parse_u32(const char *s, uint32_t *ret)
{
    if (!s || !*s)
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > UINT32_MAX || *s == '-' || *s == '+')
        return false;
    *ret = (uint32_t)v;
    return true;
}

int userns_subid_parse(const char *text, const char *name, const char *id, struct userns_range *ret, size_t cap)
{
    size_t n = 0;
    bool all = name && strcmp(name, "ALL") == 0;
    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char buf[512];
        if (len < sizeof(buf)) {
            memcpy(buf, line, len);
            buf[len] = '\0';
            char *f1 = strchr(buf, ':'), *f2 = f1 ? strchr(f1 + 1, ':') : NULL;
            struct userns_range r;
            if (f2 && buf[0] != '#') {
                *f1++ = '\0';
                *f2++ = '\0';
                f2[strcspn(f2, " \t\r")] = '\0';
                bool mine = all || (name && strcmp(buf, name) == 0) || (id && strcmp(buf, id) == 0);
                if (mine && parse_u32(f1, &r.start) && parse_u32(f2, &r.count) && r.count > 0) {
                    if (n == cap)
                        return -E2BIG;
                    size_t at = n++; /* insertion sort: the files are short */
                    while (at > 0 && ret[at - 1].start > r.start) {
                        ret[at] = ret[at - 1];
                        at--;
                    }
                    ret[at] = r;
                }
            }
        }
        line = eol ? eol + 1 : NULL;
    }
    return (int)n;
}

uint32_t userns_next_start(const struct userns_range *all, size_t n)
{
    /* dockerd moves past each (sorted) range the candidate would overlap;
     * a full interval test also catches small ranges inside the candidate. */
    uint64_t start = USERNS_RANGE_START;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = all[i].start, e = s + all[i].count;
        if (start < e && s < start + USERNS_RANGE_LEN)
            start = e;
    }
    return start > UINT32_MAX - USERNS_RANGE_LEN ? 0 : (uint32_t)start;
}

size_t userns_map_from_ranges(const struct userns_range *r, size_t n, struct userns_map *ret)
{
    uint64_t inside = 0;
    size_t k = 0;
    for (size_t i = 0; i < n && inside <= UINT32_MAX; i++) {
        uint64_t count = r[i].count;
        if (inside + count > (uint64_t)UINT32_MAX + 1)
            count = (uint64_t)UINT32_MAX + 1 - inside;
        ret[k++] = (struct userns_map){.inside = (uint32_t)inside, .outside = r[i].start, .count = (uint32_t)count};
        inside += count;
    }
    return k;
}

int64_t userns_map_host(const struct userns_map *m, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (id >= m[i].inside && (uint64_t)id < (uint64_t)m[i].inside + m[i].count)
            return (int64_t)m[i].outside + (id - m[i].inside);
    return -1;
}

void userns_map_text(const struct userns_map *m, size_t n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++) {
        int w = snprintf(buf + len, cap - len, "%u %u %u\n", m[i].inside, m[i].outside, m[i].count);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

json_t *userns_map_json(const struct userns_map *m, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:I, s:I, s:I}", "containerID", (json_int_t)m[i].inside, "hostID",
                                           (json_int_t)m[i].outside, "size", (json_int_t)m[i].count));
    return a;
}

/* --- the remap user ---------------------------------------------------- */

static int run_tool(const char *const argv[])
{
    pid_t pid;
    int r = posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv, environ);
    if (r != 0)
        return err_set(-r, "running %s: %s", argv[0], strerror(r));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return err_set(-errno, "waiting for %s: %s", argv[0], strerror(errno));
    size_t last = 0;
    while (argv[last + 1])
        last++;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return err_set(-EIO, "%s ... %s failed (exit status %d)", argv[0], argv[last], WEXITSTATUS(status));
    return 0;
}

static char *read_text(const char *path)
{
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    char *text = NULL;
    size_t cap = 0;
    if (!f || getdelim(&text, &cap, '\0', f) < 0) {
        free(text);
        return strdup("");
    }
    return text;
}

/* Give name a USERNS_RANGE_LEN range in file (/etc/subuid or /etc/subgid)
 * unless it has one, at the first free place from USERNS_RANGE_START. */
static int ensure_range(const char *file, const char *name, const char *id)
{
    _cleanup_free_ char *text = read_text(file);
    struct userns_range mine[USERNS_MAX_RANGES], *all = calloc(4096, sizeof(*all));
    if (!all)
        return err_set(-ENOMEM, "out of memory");
    int n = userns_subid_parse(text, name, id, mine, USERNS_MAX_RANGES);
    int n_all = n == 0 ? userns_subid_parse(text, "ALL", NULL, all, 4096) : 0;
    uint32_t start = n_all >= 0 ? userns_next_start(all, (size_t)n_all) : 0;
    free(all);
    if (n != 0)
        return 0;
    if (n_all < 0 || start == 0)
        return err_set(-ENOSPC, "%s: no free range of %u ids for %s; add a line \"%s:START:%u\" by hand", file,
                       USERNS_RANGE_LEN, name, name, USERNS_RANGE_LEN);
    _cleanup_close_ int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    char line[300];
    size_t tl = strlen(text);
    int len = snprintf(line, sizeof(line), "%s%s:%u:%u\n", tl && text[tl - 1] != '\n' ? "\n" : "", name, start,
                       USERNS_RANGE_LEN);
    if (fd < 0 || write(fd, line, (size_t)len) != len || fsync(fd) < 0)
        return err_set(-errno, "%s: cannot add a range for %s: %s", file, name, strerror(errno));
    log_info("userns-remap: gave %s the ids %u-%u in %s", name, start, start + USERNS_RANGE_LEN - 1, file);
    return 0;
}

/* dockerd's "default": the system user and group dockremap, created when
 * missing (no home, no login shell), with a range in both files. */
static int ensure_default_user(void)
{
    if (!getgrnam(USERNS_DEFAULT_USER)) {
        const char *argv[] = {"groupadd", "-r", USERNS_DEFAULT_USER, NULL};
        int r = run_tool(argv);
        if (r < 0)
            return err_set(r, "userns-remap default: cannot create the group %s: %s", USERNS_DEFAULT_USER, err_get());
    }
    if (!getpwnam(USERNS_DEFAULT_USER)) {
        const char *argv[] = {
            "useradd",           "-r", "-M", "-d", "/nonexistent", "-g", USERNS_DEFAULT_USER, "-s", "/bin/false",
            USERNS_DEFAULT_USER, NULL};
        int r = run_tool(argv);
        if (r < 0)
            return err_set(r, "userns-remap default: cannot create the user %s: %s", USERNS_DEFAULT_USER, err_get());
        log_info("userns-remap: created the system user %s", USERNS_DEFAULT_USER);
    }
    struct passwd *pw = getpwnam(USERNS_DEFAULT_USER);
    char id[32];
    snprintf(id, sizeof(id), "%u", pw ? (unsigned)pw->pw_uid : 0u);
    int r = ensure_range("/etc/subuid", USERNS_DEFAULT_USER, id);
    return r < 0 ? r : ensure_range("/etc/subgid", USERNS_DEFAULT_USER, id);
}

/* user, user:group, uid, uid:gid: names resolved as dockerd's
 * parseRemappedRoot does, with its messages. */
static int resolve_names(const char *spec, struct userns_remap *rm, uid_t *ret_uid)
{
    char user[256], group[256] = "";
    const char *colon = strchr(spec, ':');
    if (colon && strchr(colon + 1, ':'))
        return err_set(-EINVAL, "Invalid user/group specification in --userns-remap: \"%s\"", spec);
    snprintf(user, sizeof(user), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
    if (colon)
        snprintf(group, sizeof(group), "%s", colon + 1);
    uint32_t num;
    struct passwd *pw;
    struct group *gr;
    if (parse_u32(user, &num)) {
        if (!(pw = getpwuid(num)))
            return err_set(-ENOENT, "Uid %u has no entry in /etc/passwd: no matching entries in passwd file", num);
        snprintf(rm->user, sizeof(rm->user), "%s", pw->pw_name);
        if (!colon) {
            if (!(gr = getgrgid(num)))
                return err_set(-ENOENT, "Gid %u has no entry in /etc/group: no matching entries in group file", num);
            snprintf(rm->group, sizeof(rm->group), "%s", gr->gr_name);
        }
    } else {
        if (strcmp(user, "default") == 0) {
            int r = ensure_default_user();
            if (r < 0)
                return r;
            snprintf(user, sizeof(user), "%s", USERNS_DEFAULT_USER);
        }
        if (!(pw = getpwnam(user)))
            return err_set(-ENOENT, "Error during uid lookup for \"%s\": no matching entries in passwd file", user);
        snprintf(rm->user, sizeof(rm->user), "%s", pw->pw_name);
        if (!colon) {
            if (!(gr = getgrnam(user)))
                return err_set(-ENOENT, "Error during gid lookup for \"%s\": no matching entries in group file", user);
            snprintf(rm->group, sizeof(rm->group), "%s", gr->gr_name);
        }
    }
    *ret_uid = pw->pw_uid;
    if (colon) {
        if (parse_u32(group, &num)) {
            if (!(gr = getgrgid(num)))
                return err_set(-ENOENT, "Gid %u has no entry in /etc/passwd: no matching entries in group file", num);
        } else if (!(gr = getgrnam(group))) {
            return err_set(-ENOENT, "Error during groupname lookup for \"%s\": no matching entries in group file",
                           group);
        }
        snprintf(rm->group, sizeof(rm->group), "%s", gr->gr_name);
    }
    return 0;
}

/* Both maps come from the user's ranges (dockerd 20.10 looks the user up in
 * /etc/subgid too; the group only has to exist). */
static int load_maps(struct userns_remap *rm, uid_t uid)
{
    char id[32];
    snprintf(id, sizeof(id), "%u", (unsigned)uid);
    const char *files[2] = {"/etc/subuid", "/etc/subgid"};
    for (int k = 0; k < 2; k++) {
        _cleanup_free_ char *text = read_text(files[k]);
        struct userns_range r[USERNS_MAX_RANGES];
        int n = userns_subid_parse(text, rm->user, id, r, USERNS_MAX_RANGES);
        if (n == -E2BIG)
            return err_set(-E2BIG, "%s: more than %d ranges for user \"%s\"; merge them", files[k], USERNS_MAX_RANGES,
                           rm->user);
        if (n <= 0)
            return err_set(-ENOENT, "Can't create ID mappings: no %s ranges found for user \"%s\"",
                           k == 0 ? "subuid" : "subgid", rm->user);
        if (k == 0)
            rm->n_uids = userns_map_from_ranges(r, (size_t)n, rm->uids);
        else
            rm->n_gids = userns_map_from_ranges(r, (size_t)n, rm->gids);
    }
    rm->root_uid = (uint32_t)userns_map_host(rm->uids, rm->n_uids, 0);
    rm->root_gid = (uint32_t)userns_map_host(rm->gids, rm->n_gids, 0);
    return 0;
}

static int write_map(pid_t pid, const char *which, const struct userns_map *m, size_t n)
{
    char path[64], text[USERNS_MAX_RANGES * 40];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
    userns_map_text(m, n, text, sizeof(text));
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        return -errno;
    return 0;
}

/* A user namespace with the remap's maps, held by an fd: a child unshares
 * one and waits while we write its maps and open it. The child runs only
 * async-signal-safe calls (pouchd has threads by then). */
static int make_userns(const struct userns_remap *rm, int *ret_fd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return err_set(-errno, "userns-remap: pipe: %s", strerror(errno));
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0) {
        close(p[0]);
        close(p[1]);
        return err_set(-errno, "userns-remap: pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(p[1]); /* or the read below never sees the parent close it */
        close(ready[0]);
        char b = unshare(CLONE_NEWUSER) == 0 ? 'u' : 'e';
        if (write(ready[1], &b, 1) != 1)
            _exit(1);
        (void)!read(p[0], &b, 1);
        _exit(0);
    }
    close(p[0]);
    close(ready[1]);
    char b = 0;
    int r = pid < 0 ? -errno : read(ready[0], &b, 1) == 1 && b == 'u' ? 0 : -EPERM;
    close(ready[0]);
    if (r >= 0 && (r = write_map(pid, "uid_map", rm->uids, rm->n_uids)) >= 0 &&
        (r = write_map(pid, "gid_map", rm->gids, rm->n_gids)) >= 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
        *ret_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (*ret_fd < 0)
            r = -errno;
    }
    close(p[1]);
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
    if (r < 0)
        return err_set(r, "userns-remap: cannot create a user namespace with the maps of %s: %s", rm->user,
                       strerror(-r));
    return 0;
}

int userns_idmap_mount(int userns_fd, const char *src, const char *dst)
{
    _cleanup_close_ int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0)
        return -errno;
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd};
    if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
        return -errno;
    if (move_mount(tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return -errno;
    return 0;
}

/* Can overlay stack on idmapped mounts of directories of the data root?
 * Tried once at start on scratch dirs, so a host without it says so at
 * start rather than at the first docker run. */
static bool probe_idmap_overlay(const struct userns_remap *rm, const char *exec_root)
{
    char base[4096], l1[4200], l2[4200], m1[4200], m2[4200], merged[4200];
    snprintf(base, sizeof(base), "%s/userns-probe", exec_root);
    snprintf(l1, sizeof(l1), "%s/l1", base);
    snprintf(l2, sizeof(l2), "%s/l2", base);
    snprintf(m1, sizeof(m1), "%s/m1", base);
    snprintf(m2, sizeof(m2), "%s/m2", base);
    snprintf(merged, sizeof(merged), "%s/merged", base);
    const char *dirs[] = {base, l1, l2, m1, m2, merged};
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
        mkdir(dirs[i], 0700);
    char opts[9000];
    snprintf(opts, sizeof(opts), "lowerdir=%s:%s", m1, m2);
    int r = userns_idmap_mount(rm->userns_fd, l1, m1);
    if (r >= 0)
        r = userns_idmap_mount(rm->userns_fd, l2, m2);
    if (r >= 0 && mount("overlay", merged, "overlay", MS_RDONLY, opts) < 0)
        r = -errno;
    if (r < 0)
        log_warn("userns-remap: idmapped mounts under %s do not work here (%s)", exec_root, strerror(-r));
    umount2(merged, MNT_DETACH);
    umount2(m1, MNT_DETACH);
    umount2(m2, MNT_DETACH);
    for (size_t i = ARRAY_SIZE(dirs); i-- > 0;)
        rmdir(dirs[i]);
    return r >= 0;
}

int userns_open_dir(const struct userns_remap *r, const char *dir)
{
    if (chown(dir, 0, r->root_gid) < 0 || chmod(dir, 0710) < 0)
        return err_set(-errno, "userns-remap: cannot open %s to the remapped root (gid %u): %s", dir, r->root_gid,
                       strerror(errno));
    return 0;
}

/* The remapped root walks from / to every container's rootfs and files:
 * root dirs 0711 as dockerd's, and every parent must let it through. */
static int open_roots(const struct userns_remap *rm, const char *data_root, const char *exec_root)
{
    const char *roots[] = {data_root, exec_root};
    for (int k = 0; k < 2; k++) {
        if (chmod(roots[k], 0711) < 0)
            return err_set(-errno, "userns-remap: chmod 0711 %s: %s", roots[k], strerror(errno));
        char sub[4096];
        snprintf(sub, sizeof(sub), "%s/containers", roots[k]);
        mkdir(sub, 0710);
        int r = userns_open_dir(rm, sub);
        if (r < 0)
            return r;
        char path[4096];
        snprintf(path, sizeof(path), "%s", roots[k]);
        for (char *slash = strrchr(path, '/'); slash && slash != path; slash = strrchr(path, '/')) {
            *slash = '\0';
            struct stat st;
            if (stat(path, &st) < 0)
                continue;
            bool ok = (st.st_mode & 0001) || (st.st_uid == rm->root_uid && (st.st_mode & 0100)) ||
                      (st.st_gid == rm->root_gid && (st.st_mode & 0010));
            if (!ok)
                return err_set(-EACCES,
                               "a subdirectory in your graphroot path (%s) restricts access to the remapped root "
                               "uid/gid; please fix by allowing 'o+x' permissions on existing directories",
                               roots[k]);
        }
    }
    return 0;
}

int userns_remap_setup(const char *spec, const char *data_root, const char *exec_root, struct userns_remap **ret)
{
    *ret = NULL;
    if (!spec || !*spec)
        return 0;
    struct userns_remap *rm = calloc(1, sizeof(*rm));
    if (!rm)
        return err_set(-ENOMEM, "out of memory");
    rm->userns_fd = -1;
    uid_t uid = 0;
    int r = resolve_names(spec, rm, &uid);
    if (r >= 0 && strcmp(rm->user, "root") == 0) {
        log_warn("User namespaces: root cannot be remapped with itself; user namespaces are OFF");
        userns_remap_free(rm);
        return 0;
    }
    if (r >= 0)
        r = load_maps(rm, uid);
    if (r >= 0 && (userns_map_host(rm->uids, rm->n_uids, 0) < 0 || userns_map_host(rm->gids, rm->n_gids, 0) < 0))
        r = err_set(-EINVAL, "userns-remap: the ranges of %s do not map the container's root", rm->user);
    if (r >= 0)
        r = make_userns(rm, &rm->userns_fd);
    if (r >= 0)
        r = open_roots(rm, data_root, exec_root);
    if (r < 0) {
        userns_remap_free(rm);
        return r;
    }
    rm->idmap_layers = probe_idmap_overlay(rm, exec_root);
    log_info("User namespaces: ID ranges will be mapped to subuid/subgid ranges of: %s (container root is %u:%u on "
             "the host; root filesystems: %s)",
             rm->user, rm->root_uid, rm->root_gid,
             rm->idmap_layers ? "overlay over idmapped layers" : "unavailable, remapped containers cannot start");
    *ret = rm;
    return 0;
}

void userns_remap_free(struct userns_remap *r)
{
    if (!r)
        return;
    if (r->userns_fd >= 0)
        close(r->userns_fd);
    free(r);
}
