/* Container init setup between clone and exec (see container.h). Runs in
 * the child only: every failure is sent to the shim over the sync socket as
 * one message and the child exits; it never writes to the container's stdio. */
#include "container.h"
#include "seccomp-filter.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void note(const container_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const container_ctx *c, const char *fmt, ...)
{
    if (c->log_fd < 0)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    if (write(c->log_fd, buf, (size_t)n) < 0) {
        /* nothing to do: the note is best effort */
    }
}

static void reset_signals(void)
{
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    struct sigaction sa = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &sa, NULL);
}

int container_open_pty(int sync_fd, char *ret_name, size_t name_len, rns_error *e)
{
    int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, ret_name, name_len) != 0)
        return rns_err(e, -errno, "allocate a pty in the container: %s", strerror(errno));
    int slave = open(ret_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        int err = errno;
        close(master);
        return rns_err(e, -err, "open %s in the container: %s", ret_name, strerror(err));
    }
    sync_msg m = {.err = 0};
    snprintf(m.msg, sizeof(m.msg), "pty");
    char cbuf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &master, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sync_fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    int err = errno;
    close(master);
    if (n < 0) {
        close(slave);
        return rns_err(e, -err, "hand the pty to the shim: %s", strerror(err));
    }
    return slave;
}

/* The init's terminal, once its root and /dev/pts are in place: a pty of
 * the container's own devpts (so tty(1) names /dev/pts/N, as with runc),
 * also bound on /dev/console; the master goes to the shim. */
static int setup_tty(const container_ctx *c, rns_error *e)
{
    char name[128];
    int fd = container_open_pty(c->sync_fd, name, sizeof(name), e);
    if (fd < 0)
        return fd;
    if (ioctl(fd, TIOCSCTTY, 0) < 0)
        return rns_err(e, -errno, "set controlling tty: %s", strerror(errno));
    for (int i = 0; i < 3; i++)
        if (dup2(fd, i) < 0)
            return rns_err(e, -errno, "dup2 tty: %s", strerror(errno));
    if (fd > 2)
        close(fd);
    int cfd = open("/dev/console", O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC, 0600);
    if (cfd >= 0)
        close(cfd);
    if (mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
        note(c, "bind %s on /dev/console: %s", name, strerror(errno));
    return 0;
}

static int setup_stdio(const container_ctx *c, rns_error *e)
{
    if (setsid() < 0)
        return rns_err(e, -errno, "setsid: %s", strerror(errno));
    if (c->tty)
        return 0; /* setup_tty, after the root is set up */
    for (int i = 0; i < 3; i++)
        if (dup3(c->stdio[i], i, 0) < 0 && !(c->stdio[i] == i && fcntl(i, F_SETFD, 0) == 0))
            return rns_err(e, -errno, "dup2 stdio %d: %s", i, strerror(errno));
    return 0;
}

static int join_namespaces(const container_ctx *c, rns_error *e)
{
    for (int i = 0; i < c->n_join; i++)
        if (setns(c->join_fds[i], c->join_types[i]) < 0)
            return rns_err(e, -errno, "join namespace (type 0x%x): %s", c->join_types[i], strerror(errno));
    if (c->unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
        return rns_err(e, -errno, "unshare cgroup namespace: %s", strerror(errno));
    return 0;
}

static int apply_sysctls(const spec *s, rns_error *e)
{
    for (size_t i = 0; i < s->n_sysctl; i++) {
        char path[512];
        int n = snprintf(path, sizeof(path), "/proc/sys/%s", s->sysctl[i].key);
        for (char *p = path + 10; p < path + n; p++)
            if (*p == '.')
                *p = '/';
        if (strstr(path, ".."))
            return rns_err(e, -EINVAL, "sysctl %s: invalid name", s->sysctl[i].key);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, s->sysctl[i].value, strlen(s->sysctl[i].value)) < 0)
            return rns_err(e, -errno, "sysctl %s=%s: %s", s->sysctl[i].key, s->sysctl[i].value, strerror(errno));
    }
    return 0;
}

static int apply_rlimits(const spec *s, rns_error *e)
{
    for (size_t i = 0; i < s->n_rlimits; i++) {
        struct rlimit rl = {.rlim_cur = s->rlimits[i].soft, .rlim_max = s->rlimits[i].hard};
        if (setrlimit(s->rlimits[i].resource, &rl) < 0)
            return rns_err(e, -errno, "setrlimit %s soft=%llu hard=%llu: %s", s->rlimits[i].name,
                           (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, strerror(errno));
    }
    return 0;
}

/* A negative score needs CAP_SYS_RESOURCE, which some hosts lack: clamp to
 * the lowest value the kernel accepts and say so in the shim log. */
static void apply_oom_score(const container_ctx *c)
{
    const spec *s = c->s;
    if (!s->has_oom_score_adj)
        return;
    for (int v = s->oom_score_adj; v <= 1000; v = v < 0 ? v / 2 : v + 1) {
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d", v);
        _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd >= 0 && write(fd, buf, (size_t)n) == n) {
            if (v != s->oom_score_adj)
                note(c, "oom_score_adj %d refused by the kernel (no CAP_SYS_RESOURCE?); clamped to %d",
                     s->oom_score_adj, v);
            return;
        }
        if (v >= 0)
            break;
    }
    note(c, "oom_score_adj %d could not be set: %s", s->oom_score_adj, strerror(errno));
}

static int capset_all(uint64_t eff, uint64_t perm, uint64_t inh)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2] = {
        {.effective = (uint32_t)eff, .permitted = (uint32_t)perm, .inheritable = (uint32_t)inh},
        {.effective = (uint32_t)(eff >> 32), .permitted = (uint32_t)(perm >> 32), .inheritable = (uint32_t)(inh >> 32)},
    };
    return (int)syscall(SYS_capset, &h, d);
}

/* A non-root process must be able to reopen its own stdio (echo > /dev/stdout,
 * /proc/self/fd/N): hand the pipes or the tty to its uid, as runc does; the
 * group stays, and /dev/null is left alone. */
static void give_stdio_to(uid_t uid)
{
    struct stat null, st;
    if (stat("/dev/null", &null) < 0)
        return;
    for (int fd = 0; fd <= 2; fd++) {
        if (fstat(fd, &st) < 0 || st.st_uid == uid || (S_ISCHR(st.st_mode) && st.st_rdev == null.st_rdev))
            continue;
        if (fchown(fd, uid, (gid_t)-1) < 0) {
            /* EINVAL/EPERM: an fd the container cannot own (a host file) */
        }
    }
}

static int apply_user_and_caps(const spec *s, rns_error *e)
{
    give_stdio_to(s->uid);
    for (int cap = 0; cap < 64; cap++) {
        if (s->cap_bounding & (1ULL << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return rns_err(e, -errno, "drop capability %d from the bounding set: %s", cap, strerror(errno));
    }
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return rns_err(e, -errno, "prctl keepcaps: %s", strerror(errno));
    if (setgroups(s->n_additional_gids, s->additional_gids) < 0)
        return rns_err(e, -errno, "setgroups: %s", strerror(errno));
    if (setresgid(s->gid, s->gid, s->gid) < 0)
        return rns_err(e, -errno, "setgid %u: %s", (unsigned)s->gid, strerror(errno));
    if (setresuid(s->uid, s->uid, s->uid) < 0)
        return rns_err(e, -errno, "setuid %u: %s", (unsigned)s->uid, strerror(errno));
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (capset_all(s->cap_effective, s->cap_permitted, s->cap_inheritable) < 0)
        return rns_err(e, -errno, "capset: %s (are effective/inheritable capabilities a subset of permitted?)",
                       strerror(errno));
    for (int cap = 0; cap < 64; cap++)
        if ((s->cap_ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            return rns_err(e, -errno, "raise ambient capability %d: %s", cap, strerror(errno));
    if (s->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return rns_err(e, -errno, "prctl no_new_privs: %s", strerror(errno));
    return 0;
}

static int is_exec_file(const char *path, int *ret_errno)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        *ret_errno = errno;
        return 0;
    }
    if (S_ISDIR(st.st_mode) || access(path, X_OK) < 0) {
        *ret_errno = EACCES;
        return 0;
    }
    return 1;
}

int container_lookup(const char *arg0, const char *const *env, char *ret, size_t len, rns_error *e)
{
    int err = 0;
    if (!*arg0)
        return rns_err(e, -ENOENT, "exec: \"\": executable file not found in $PATH");
    if (strchr(arg0, '/')) {
        if (is_exec_file(arg0, &err)) {
            snprintf(ret, len, "%s", arg0);
            return 0;
        }
        if (err == EACCES)
            return rns_err(e, -EACCES, "exec: \"%s\": permission denied", arg0);
        return rns_err(e, -err, "exec: \"%s\": stat %s: %s", arg0, arg0, strerror(err));
    }
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const char *const *p = env; p && *p; p++)
        if (!strncmp(*p, "PATH=", 5))
            path = *p + 5;
    for (const char *dir = path;;) {
        size_t n = strcspn(dir, ":");
        snprintf(ret, len, "%.*s/%s", (int)(n ? n : 1), n ? dir : ".", arg0);
        if (is_exec_file(ret, &err))
            return 0;
        if (!dir[n])
            break;
        dir += n + 1;
    }
    return rns_err(e, -ENOENT, "exec: \"%s\": executable file not found in $PATH", arg0);
}

static int wait_byte(int fd, char want)
{
    char b = 0;
    ssize_t n;
    do
        n = recv(fd, &b, 1, 0);
    while (n < 0 && errno == EINTR);
    return n == 1 && b == want ? 0 : -EPIPE;
}

static int child_setup(container_ctx *c, char *exe, size_t exe_len, rns_error *e)
{
    const spec *s = c->s;
    reset_signals();
    if (wait_byte(c->sync_fd, SYNC_CGROUP_READY) < 0)
        return rns_err(e, -EPIPE, "the shim did not place the container in its cgroup");
    /* In a new user namespace (its maps written by now) become its root at
     * once, as runc does: what setup creates is then owned by the
     * container's root, and the host's root owns nothing we do. */
    if (s->n_uid_mappings && (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
        return rns_err(e, -errno, "become root of the container's user namespace: %s", strerror(errno));
    int r = join_namespaces(c, e);
    if (r < 0 || (r = setup_stdio(c, e)) < 0)
        return r;
    if (s->hostname && *s->hostname) {
        /* Without a UTS namespace of its own this would rename the host. */
        bool own_uts = false;
        for (size_t i = 0; i < s->n_namespaces; i++)
            own_uts |= s->namespaces[i].type == CLONE_NEWUTS && !s->namespaces[i].path;
        if (!own_uts)
            return rns_err(e, -EINVAL,
                           "config.json sets hostname %s but the container shares the host's UTS "
                           "namespace; set it only with a private UTS namespace",
                           s->hostname);
        if (sethostname(s->hostname, strlen(s->hostname)) < 0)
            return rns_err(e, -errno, "sethostname %s: %s", s->hostname, strerror(errno));
    }
    if ((r = rootfs_setup(c, e)) < 0 || (c->tty && (r = setup_tty(c, e)) < 0) || (r = apply_sysctls(s, e)) < 0 ||
        (r = rootfs_finish(s, e)) < 0 || (r = apply_rlimits(s, e)) < 0)
        return r;
    apply_oom_score(c);
    if (chdir(s->cwd) < 0) {
        if (errno != ENOENT || rns_mkdir_p(s->cwd, 0755) < 0 || chdir(s->cwd) < 0)
            return rns_err(e, -errno, "chdir to cwd (\"%s\") set in config.json failed: %s", s->cwd, strerror(errno));
    }
    /* Without no_new_privs the kernel takes a filter only from a process
     * with CAP_SYS_ADMIN: load it now, before the caps and uid go (runc's
     * order); the profile must then allow setresuid, capset, execve ... */
    if (!s->no_new_privileges && (r = seccomp_filter_load(s, e)) < 0)
        return r;
    if ((r = apply_user_and_caps(s, e)) < 0)
        return r;
    return container_lookup(s->args[0], s->env, exe, exe_len, e);
}

static void send_msg(int fd, int err, const char *msg)
{
    sync_msg m = {.err = err};
    snprintf(m.msg, sizeof(m.msg), "%s", msg);
    ssize_t n;
    do
        n = send(fd, &m, sizeof(m), MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
}

_Noreturn void container_child(container_ctx *c)
{
    rns_error e = {0};
    char exe[4096];
    int r = child_setup(c, exe, sizeof(exe), &e);
    if (r < 0) {
        send_msg(c->sync_fd, r, e.msg[0] ? e.msg : strerror(-r));
        _exit(127);
    }
    send_msg(c->sync_fd, 0, "");
    if (wait_byte(c->sync_fd, SYNC_START) < 0)
        _exit(0); /* deleted before start */
    /* With no_new_privs, as late as possible: the filter then constrains
     * nothing but the container's own program. */
    if (c->s->no_new_privileges && (r = seccomp_filter_load(c->s, &e)) < 0) {
        send_msg(c->sync_fd, r, e.msg);
        _exit(127);
    }
    execve(exe, (char *const *)c->s->args, (char *const *)c->s->env);
    int err = errno;
    char msg[1024];
    snprintf(msg, sizeof(msg), "exec: \"%s\": %s", c->s->args[0], strerror(err));
    send_msg(c->sync_fd, -err, msg);
    _exit(err == ENOENT ? 127 : 126);
}

/* For exec (exec.c): the same steps as the init's, on an exec's process. */
void container_reset_signals(void)
{
    reset_signals();
}

int container_set_rlimits(const spec *s, rns_error *e)
{
    return apply_rlimits(s, e);
}

int container_set_user_and_caps(const spec *s, rns_error *e)
{
    return apply_user_and_caps(s, e);
}
