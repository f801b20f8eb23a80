/* The "escape" group of the security probe: attempts a container must not be
 * able to make by default (remounts, masked /proc files, host devices, kernel
 * modules, clock, reboot, host processes, leaked fds, setuid). Every attempt is
 * chosen so that even its success leaves the host as it was. */
#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/reboot.h>

/* remount PATH: make a read-only mount read-write (only the per-mount flag,
 * as an attacker would, with MS_REMOUNT|MS_BIND), then check it took. */
static int esc_remount(int argc, char **argv)
{
        if (argc != 2)
                return probe_usage("remount PATH");
        const char *path = argv[1];
        if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND, NULL) < 0)
                return probe_denied("remount", errno);
        struct statvfs sv;
        if (statvfs(path, &sv) < 0)
                return probe_usage("statvfs %s: %s", path, strerror(errno));
        if (sv.f_flag & ST_RDONLY)
                return probe_denied("remount", EROFS);
        return probe_ok("remount", "%s is read-write", path);
}

/* read PATH [BYTES]: read the first bytes of a file; an empty read (a masked
 * file is /dev/null) counts as denied. */
static int esc_read(int argc, char **argv)
{
        if (argc < 2 || argc > 3)
                return probe_usage("read PATH [BYTES]");
        size_t want = argc == 3 ? strtoul(argv[2], NULL, 0) : 64;
        char buf[4096];
        if (want == 0 || want > sizeof(buf))
                want = sizeof(buf);
        int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return probe_denied("read", errno);
        ssize_t n = read(fd, buf, want);
        int err = errno;
        close(fd);
        if (n < 0)
                return probe_denied("read", err);
        if (n == 0)
                return probe_denied("read", ENODATA);
        return probe_ok("read", "%zd bytes of %s", n, argv[1]);
}

/* rewrite PATH: read a (sysctl or cgroup) file and write the same value back,
 * so that success changes nothing. */
static int esc_rewrite(int argc, char **argv)
{
        if (argc != 2)
                return probe_usage("rewrite PATH");
        char buf[512];
        int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return probe_usage("open %s for reading: %s", argv[1], strerror(errno));
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return probe_usage("read %s: %s", argv[1], n < 0 ? strerror(errno) : "empty");
        fd = open(argv[1], O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return probe_denied("rewrite", errno);
        ssize_t w = write(fd, buf, (size_t)n);
        int err = errno;
        close(fd);
        if (w < 0)
                return probe_denied("rewrite", err);
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return probe_ok("rewrite", "%s = %s", argv[1], buf);
}

/* cgroup-mount CONTROLLER: mount a fresh v1 hierarchy (the whole host tree,
 * not the container's own subtree) on a temporary dir and look for
 * release_agent, which only the root of a hierarchy has. Unmounts again. */
static int esc_cgroup_mount(int argc, char **argv)
{
        if (argc != 2)
                return probe_usage("cgroup-mount CONTROLLER");
        char dir[] = "/tmp/probe-cg.XXXXXX";
        if (!mkdtemp(dir))
                return probe_usage("mkdtemp %s: %s", dir, strerror(errno));
        int r;
        if (mount("cgroup", dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, argv[1]) < 0) {
                r = probe_denied("cgroup-mount", errno);
        } else {
                char p[PATH_MAX];
                snprintf(p, sizeof(p), "%s/release_agent", dir);
                if (access(p, F_OK) == 0)
                        r = probe_ok("cgroup-mount", "the %s hierarchy's root is reachable", argv[1]);
                else
                        r = probe_denied("cgroup-mount", errno);
                umount2(dir, MNT_DETACH);
        }
        rmdir(dir);
        return r;
}

/* mknod-read MAJOR:MINOR: create a block device node and read its first
 * sector (the device cgroup must refuse the open). */
static int esc_mknod_read(int argc, char **argv)
{
        unsigned maj, min;
        if (argc != 2 || sscanf(argv[1], "%u:%u", &maj, &min) != 2)
                return probe_usage("mknod-read MAJOR:MINOR");
        char node[] = "/tmp/probe-blk.XXXXXX";
        int tfd = mkstemp(node);
        if (tfd < 0)
                return probe_usage("mkstemp: %s", strerror(errno));
        close(tfd);
        unlink(node);
        if (mknod(node, S_IFBLK | 0600, makedev(maj, min)) < 0)
                return probe_denied("mknod", errno);
        int fd = open(node, O_RDONLY | O_CLOEXEC);
        int err = errno;
        unlink(node);
        if (fd < 0)
                return probe_denied("mknod-read", err);
        char buf[512];
        ssize_t n = read(fd, buf, sizeof(buf));
        err = errno;
        close(fd);
        if (n <= 0)
                return probe_denied("mknod-read", n < 0 ? err : ENODATA);
        return probe_ok("mknod-read", "%zd bytes of block device %u:%u", n, maj, min);
}

/* init-module: hand the kernel a bogus module image. EPERM means the call was
 * refused; another error (ENOEXEC, EINVAL) means it got past the permission
 * checks, which counts as "ok". */
static int esc_init_module(int argc, char **argv)
{
        (void)argv;
        if (argc != 1)
                return probe_usage("init-module");
        static const char bogus[64] = "not an ELF module";
        long r = syscall(SYS_init_module, bogus, sizeof(bogus), "");
        if (r == 0)
                return probe_ok("init-module", "loaded?!");
        /* ENOSYS: a kernel without module support; nothing to escape to,
         * but it says nothing about the permission check either. */
        if (errno == EPERM || errno == ENOSYS)
                return probe_denied("init-module", errno);
        return probe_ok("init-module", "past the permission check (%s)", strerrorname_np(errno));
}

static int same_ns(const char *ino_text, const char *which)
{
        char p[64];
        struct stat st;
        snprintf(p, sizeof(p), "/proc/self/ns/%s", which);
        if (stat(p, &st) < 0)
                return -errno;
        return strtoull(ino_text, NULL, 0) == (unsigned long long)st.st_ino;
}

/* reboot-cad-off HOST_PIDNS_INODE: reboot(CAD_OFF). In a child pid namespace
 * the kernel answers EINVAL right after the CAP_SYS_BOOT check and changes
 * nothing; in the host's pid namespace it would change the host's
 * ctrl-alt-del setting, so the probe refuses to run there. */
static int esc_reboot(int argc, char **argv)
{
        if (argc != 2)
                return probe_usage("reboot-cad-off HOST_PIDNS_INODE");
        int same = same_ns(argv[1], "pid");
        if (same != 0)
                return probe_usage("refusing reboot() in the host's pid namespace (or cannot tell: %d)", same);
        if (reboot(LINUX_REBOOT_CMD_CAD_OFF) == 0)
                return probe_ok("reboot", "accepted");
        if (errno == EPERM)
                return probe_denied("reboot", errno);
        return probe_ok("reboot", "past the CAP_SYS_BOOT check (%s)", strerrorname_np(errno));
}

/* settime: settimeofday(NULL, NULL) is checked for CAP_SYS_TIME and then
 * sets nothing. */
static int esc_settime(int argc, char **argv)
{
        (void)argv;
        if (argc != 1)
                return probe_usage("settime");
        if (syscall(SYS_settimeofday, NULL, NULL) < 0)
                return probe_denied("settime", errno);
        return probe_ok("settime", "CAP_SYS_TIME granted (nothing set)");
}

/* kill PID: signal 0 (permission check only) to a process. */
static int esc_kill(int argc, char **argv)
{
        if (argc != 2)
                return probe_usage("kill PID");
        pid_t pid = (pid_t)strtol(argv[1], NULL, 10);
        if (pid <= 1)
                return probe_usage("kill: refusing pid %d", (int)pid);
        if (kill(pid, 0) < 0)
                return probe_denied("kill", errno);
        return probe_ok("kill", "may signal pid %d", (int)pid);
}

/* ptrace PID: attach to a process and detach at once. */
static int esc_ptrace(int argc, char **argv)
{
        if (argc != 2)
                return probe_usage("ptrace PID");
        pid_t pid = (pid_t)strtol(argv[1], NULL, 10);
        if (pid <= 1)
                return probe_usage("ptrace: refusing pid %d", (int)pid);
        if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
                return probe_denied("ptrace", errno);
        int st;
        waitpid(pid, &st, __WALL);
        ptrace(PTRACE_DETACH, pid, NULL, NULL);
        return probe_ok("ptrace", "attached to pid %d", (int)pid);
}

/* fds [PID]: list the open fds of a process (default: this one, minus the
 * directory fd used to list them). Any fd above 2 is a leak: "ok". */
static int esc_fds(int argc, char **argv)
{
        if (argc > 2)
                return probe_usage("fds [PID]");
        char dir[64];
        snprintf(dir, sizeof(dir), "/proc/%s/fd", argc == 2 ? argv[1] : "self");
        DIR *d = opendir(dir);
        if (!d)
                return probe_usage("opendir %s: %s", dir, strerror(errno));
        int self_fd = argc == 2 ? -1 : dirfd(d);
        int leaks = 0;
        char list[2048] = "";
        size_t used = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                int fd = atoi(de->d_name);
                if (fd == self_fd)
                        continue;
                char p[PATH_MAX], target[PATH_MAX];
                snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
                ssize_t n = readlink(p, target, sizeof(target) - 1);
                target[n > 0 ? n : 0] = '\0';
                if (used < sizeof(list))
                        used += (size_t)snprintf(list + used, sizeof(list) - used, " %d=%s", fd, target);
                if (fd > 2)
                        leaks++;
        }
        closedir(d);
        if (leaks)
                return probe_ok("fds", "%d fd(s) above 2:%s", leaks, list);
        printf("fds: only stdio:%s\n", list);
        return PROBE_DENIED;
}

/* euid: print the effective uid; "ok" (an escalation) when it is 0 while the
 * real uid is not. */
static int esc_euid(int argc, char **argv)
{
        (void)argv;
        if (argc != 1)
                return probe_usage("euid");
        uid_t r = getuid(), e = geteuid();
        if (e == 0 && r != 0)
                return probe_ok("euid", "uid %u euid 0", (unsigned)r);
        printf("euid: uid %u euid %u\n", (unsigned)r, (unsigned)e);
        return PROBE_DENIED;
}

/* open-by-handle PATH: the "shocker" escape: a file handle names an inode
 * on its filesystem whatever the caller's root; opening one needs
 * CAP_DAC_READ_SEARCH. The probe only opens a file it can already see. */
static int esc_open_by_handle(int argc, char **argv)
{
        if (argc != 2)
                return probe_usage("open-by-handle PATH");
        union {
                struct file_handle fh;
                char space[sizeof(struct file_handle) + MAX_HANDLE_SZ];
        } h;
        h.fh.handle_bytes = MAX_HANDLE_SZ;
        int mnt_id;
        if (name_to_handle_at(AT_FDCWD, argv[1], &h.fh, &mnt_id, 0) < 0) {
                if (errno == EPERM) /* dockerd's seccomp profile stops it here */
                        return probe_denied("name_to_handle_at", errno);
                return probe_usage("name_to_handle_at %s: %s", argv[1], strerror(errno));
        }
        /* any fd on the same filesystem names it (/etc/hostname is a bind
         * mount from the host's disk, not the image's overlay) */
        int mfd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (mfd < 0)
                return probe_usage("open %s: %s", argv[1], strerror(errno));
        int fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC);
        int err = errno;
        close(mfd);
        if (fd < 0)
                return probe_denied("open-by-handle", err);
        close(fd);
        return probe_ok("open-by-handle", "opened %s by its handle", argv[1]);
}

const struct probe_cmd probe_escape_cmds[] = {
        {"escape", "remount", "PATH", esc_remount},
        {"escape", "read", "PATH [BYTES]", esc_read},
        {"escape", "rewrite", "PATH", esc_rewrite},
        {"escape", "cgroup-mount", "CONTROLLER", esc_cgroup_mount},
        {"escape", "mknod-read", "MAJOR:MINOR", esc_mknod_read},
        {"escape", "init-module", "", esc_init_module},
        {"escape", "reboot-cad-off", "HOST_PIDNS_INODE", esc_reboot},
        {"escape", "settime", "", esc_settime},
        {"escape", "kill", "PID", esc_kill},
        {"escape", "ptrace", "PID", esc_ptrace},
        {"escape", "fds", "[PID]", esc_fds},
        {"escape", "euid", "", esc_euid},
        {"escape", "open-by-handle", "PATH", esc_open_by_handle},
        {NULL, NULL, NULL, NULL},
};
