/* The "syscall" group of the security probe: one system call per subcommand,
 * to see what a seccomp profile lets through ("unshare: EPERM (...)" or
 * "unshare: ok"). Arguments are chosen so that success changes nothing
 * outside the container (invalid clock ids, empty keyrings, own children). */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int result(const char *what, long r)
{
    return r < 0 ? probe_denied(what, errno) : probe_ok(what, NULL);
}

/* unshare [uts|mount|net|ipc]: a new namespace for this process only. */
static int sc_unshare(int argc, char **argv)
{
    int flag = CLONE_NEWUTS;
    if (argc > 1)
        flag = !strcmp(argv[1], "mount") ? CLONE_NEWNS
               : !strcmp(argv[1], "net") ? CLONE_NEWNET
               : !strcmp(argv[1], "ipc") ? CLONE_NEWIPC
                                         : CLONE_NEWUTS;
    return result("unshare", unshare(flag));
}

/* mount [DIR]: a tmpfs on DIR (default /tmp/probe-mnt, created) in the
 * container's own mount namespace. */
static int sc_mount(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp/probe-mnt";
    mkdir("/tmp", 01777);
    mkdir(dir, 0755);
    long r = mount("probe", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k");
    if (r == 0)
        umount2(dir, MNT_DETACH);
    return result("mount", r);
}

/* keyctl: look up this process's session keyring (creating none). */
static int sc_keyctl(int argc, char **argv)
{
    (void)argc, (void)argv;
    return result("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0));
}

/* add_key: a user key in this process's own keyring, gone when it exits. */
static int sc_add_key(int argc, char **argv)
{
    (void)argc, (void)argv;
    return result("add_key", syscall(SYS_add_key, "user", "pouch-probe", "x", 1, -2 /* process keyring */));
}

/* kexec_load with no segments (needs CAP_SYS_BOOT even when let through). */
static int sc_kexec_load(int argc, char **argv)
{
    (void)argc, (void)argv;
    return result("kexec_load", syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL));
}

/* bpf: BPF_PROG_LOAD of nothing (fails with EINVAL when allowed and permitted). */
static int sc_bpf(int argc, char **argv)
{
    (void)argc, (void)argv;
    char attr[128] = {0};
    return result("bpf", syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, attr, sizeof(attr)));
}

/* clock_settime on clock -1: EINVAL from the kernel if let through, so the
 * clock is never touched. */
static int sc_clock_settime(int argc, char **argv)
{
    (void)argc, (void)argv;
    struct timespec ts = {0};
    return result("clock_settime", syscall(SYS_clock_settime, -1, &ts));
}

/* clone3 with no arguments: EINVAL/EFAULT when allowed, ENOSYS from the
 * default profile without CAP_SYS_ADMIN. */
static int sc_clone3(int argc, char **argv)
{
    (void)argc, (void)argv;
    return result("clone3", syscall(SYS_clone3, NULL, 0UL));
}

/* ptrace [PID]: attach to PID, or to a child of our own, then detach. */
static int sc_ptrace(int argc, char **argv)
{
    pid_t pid = argc > 1 ? (pid_t)strtol(argv[1], NULL, 10) : 0, child = 0;
    if (pid <= 0) {
        child = fork();
        if (child < 0)
            return probe_usage("fork: %s", strerror(errno));
        if (child == 0) {
            pause();
            _exit(0);
        }
        pid = child;
    }
    long r = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
    int err = errno;
    if (r == 0) {
        waitpid(pid, NULL, __WALL);
        ptrace(PTRACE_DETACH, pid, NULL, NULL);
    }
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    errno = err;
    return result("ptrace", r);
}

/* personality VALUE (hex or decimal): e.g. 0xffffffff only asks. */
static int sc_personality(int argc, char **argv)
{
    unsigned long v = argc > 1 ? strtoul(argv[1], NULL, 0) : 0xffffffffUL;
    return result("personality", syscall(SYS_personality, v));
}

static int sc_getpid(int argc, char **argv)
{
    (void)argc, (void)argv;
    return result("getpid", syscall(SYS_getpid));
}

/* read / write: one byte from or to /dev/null and /dev/zero. */
static int sc_read(int argc, char **argv)
{
    (void)argc, (void)argv;
    char b;
    int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return probe_usage("open /dev/zero: %s", strerror(errno));
    long r = syscall(SYS_read, fd, &b, 1);
    close(fd);
    return result("read", r);
}

static int sc_write(int argc, char **argv)
{
    (void)argc, (void)argv;
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return probe_usage("open /dev/null: %s", strerror(errno));
    long r = syscall(SYS_write, fd, "x", 1);
    close(fd);
    return result("write", r);
}

/* mkdir PATH / chmod PATH: on a path inside the container. */
static int sc_mkdir(int argc, char **argv)
{
    if (argc != 2)
        return probe_usage("mkdir PATH");
    return result("mkdir", syscall(SYS_mkdir, argv[1], 0755));
}

static int sc_chmod(int argc, char **argv)
{
    if (argc != 2)
        return probe_usage("chmod PATH");
    return result("chmod", syscall(SYS_chmod, argv[1], 0755));
}

/* nr N: system call number N with all-zero arguments, for calls newer
 * than this libc (452 fchmodat2 on x86_64: EFAULT on a NULL path). */
static int sc_nr(int argc, char **argv)
{
    if (argc != 2)
        return probe_usage("nr NUMBER");
    return result("nr", syscall(strtol(argv[1], NULL, 0), 0L, 0L, 0L, 0L, 0L, 0L));
}

const struct probe_cmd probe_syscall_cmds[] = {
    {"syscall", "unshare", "[uts|mount|net|ipc]", sc_unshare},
    {"syscall", "mount", "[DIR]", sc_mount},
    {"syscall", "keyctl", "", sc_keyctl},
    {"syscall", "add_key", "", sc_add_key},
    {"syscall", "kexec_load", "", sc_kexec_load},
    {"syscall", "bpf", "", sc_bpf},
    {"syscall", "clock_settime", "", sc_clock_settime},
    {"syscall", "clone3", "", sc_clone3},
    {"syscall", "ptrace", "[PID]", sc_ptrace},
    {"syscall", "personality", "[VALUE]", sc_personality},
    {"syscall", "getpid", "", sc_getpid},
    {"syscall", "read", "", sc_read},
    {"syscall", "write", "", sc_write},
    {"syscall", "mkdir", "PATH", sc_mkdir},
    {"syscall", "chmod", "PATH", sc_chmod},
    {"syscall", "nr", "NUMBER", sc_nr},
    {NULL, NULL, NULL, NULL},
};
