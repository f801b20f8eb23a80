/* linux.seccomp -> BPF with libseccomp, in the shim, once per container;
 * then, in each child, one system call to install it. Follows runc 1.1:
 * unknown syscall names are skipped, rules that repeat the default action
 * are dropped, several conditions on one argument become separate rules.
 * Never call libseccomp (or malloc) between fork and exec. */
#include "seccomp-filter.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void ctx_releasep(scmp_filter_ctx *c)
{
    if (*c)
        seccomp_release(*c);
}

/* An action name with its errno (EPERM when none is given, as runc). */
static int action_of(const char *name, json_t *errno_ret, const char *where, uint32_t *ret, rns_error *e)
{
    uint32_t err = json_is_integer(errno_ret) ? (uint32_t)json_integer_value(errno_ret) : EPERM;
    if (!name)
        return rns_err(e, -EINVAL, "config.json: linux.seccomp.%s: the action is missing", where);
    if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
        *ret = SCMP_ACT_KILL_THREAD;
    else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
        *ret = SCMP_ACT_KILL_PROCESS;
    else if (!strcmp(name, "SCMP_ACT_TRAP"))
        *ret = SCMP_ACT_TRAP;
    else if (!strcmp(name, "SCMP_ACT_ERRNO"))
        *ret = SCMP_ACT_ERRNO(err);
    else if (!strcmp(name, "SCMP_ACT_TRACE"))
        *ret = SCMP_ACT_TRACE(err);
    else if (!strcmp(name, "SCMP_ACT_ALLOW"))
        *ret = SCMP_ACT_ALLOW;
    else if (!strcmp(name, "SCMP_ACT_LOG"))
        *ret = SCMP_ACT_LOG;
    else
        return rns_err(e, -EINVAL, "config.json: linux.seccomp.%s: unknown action \"%s\"", where, name);
    return 0;
}

static int operator_of(const char *name, enum scmp_compare *ret)
{
    static const struct {
        const char *name;
        enum scmp_compare op;
    } ops[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    for (size_t i = 0; name && i < ARRAY_SIZE(ops); i++)
        if (!strcmp(name, ops[i].name)) {
            *ret = ops[i].op;
            return 0;
        }
    return -EINVAL;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token for "x86_64". */
static uint32_t arch_of(const char *name)
{
    char lower[32];
    size_t n = 0;
    if (!name || strncmp(name, "SCMP_ARCH_", 10) != 0)
        return 0;
    for (const char *p = name + 10; *p && n < sizeof(lower) - 1; p++)
        lower[n++] = (char)tolower((unsigned char)*p);
    lower[n] = '\0';
    return seccomp_arch_resolve_name(lower);
}

static int add_architectures(scmp_filter_ctx ctx, json_t *arches, rns_error *e)
{
    size_t i;
    json_t *v;
    json_array_foreach(arches, i, v)
    {
        uint32_t a = arch_of(json_string_value(v));
        if (!a)
            return rns_err(e, -EINVAL, "config.json: linux.seccomp.architectures[%zu]: unknown architecture %s", i,
                           json_string_value(v) ? json_string_value(v) : "(not a string)");
        int r = seccomp_arch_add(ctx, a);
        if (r < 0 && r != -EEXIST)
            return rns_err(e, r, "seccomp: add architecture %s: %s", json_string_value(v), strerror(-r));
    }
    return 0;
}

/* args of one syscall entry -> conditions; *ret_repeats when two conditions
 * name the same argument (libseccomp cannot AND those). */
static int conditions(json_t *args, const char *where, struct scmp_arg_cmp *conds, unsigned *ret_n, int *ret_repeats,
                      rns_error *e)
{
    unsigned n = 0, seen = 0;
    *ret_repeats = 0;
    size_t i;
    json_t *a;
    json_array_foreach(args, i, a)
    {
        if (n == 6)
            return rns_err(e, -EINVAL, "config.json: linux.seccomp.%s: more than 6 argument conditions", where);
        json_t *index = json_object_get(a, "index");
        enum scmp_compare op;
        if (!json_is_integer(index) || json_integer_value(index) < 0 || json_integer_value(index) > 5)
            return rns_err(e, -EINVAL, "config.json: linux.seccomp.%s.args[%zu]: index must be 0 to 5", where, i);
        if (operator_of(json_string_value(json_object_get(a, "op")), &op) < 0)
            return rns_err(e, -EINVAL, "config.json: linux.seccomp.%s.args[%zu]: unknown operator %s", where, i,
                           json_string_value(json_object_get(a, "op")) ? json_string_value(json_object_get(a, "op"))
                                                                       : "(missing)");
        unsigned idx = (unsigned)json_integer_value(index);
        if (seen & (1u << idx))
            *ret_repeats = 1;
        seen |= 1u << idx;
        /* For MASKED_EQ, value is the mask and valueTwo the wanted result. */
        conds[n++] = (struct scmp_arg_cmp){
            .arg = idx,
            .op = op,
            .datum_a = (scmp_datum_t)json_integer_value(json_object_get(a, "value")),
            .datum_b = (scmp_datum_t)json_integer_value(json_object_get(a, "valueTwo")),
        };
    }
    *ret_n = n;
    return 0;
}

static int add_rules(scmp_filter_ctx ctx, json_t *call, size_t idx, uint32_t default_action, rns_error *e)
{
    char where[48];
    snprintf(where, sizeof(where), "syscalls[%zu]", idx);
    uint32_t act;
    int r = action_of(json_string_value(json_object_get(call, "action")), json_object_get(call, "errnoRet"), where,
                      &act, e);
    if (r < 0)
        return r;
    if (act == default_action) /* libseccomp refuses these; they change nothing */
        return 0;
    struct scmp_arg_cmp conds[6];
    unsigned n = 0;
    int repeats = 0;
    if ((r = conditions(json_object_get(call, "args"), where, conds, &n, &repeats, e)) < 0)
        return r;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(call, "names"), i, v)
    {
        const char *name = json_string_value(v);
        int nr = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
        if (nr == __NR_SCMP_ERROR)
            continue; /* not a syscall here (another architecture, a newer kernel) */
        if (!repeats) {
            r = seccomp_rule_add_array(ctx, act, nr, n, conds);
        } else {
            r = 0;
            for (unsigned k = 0; k < n && r >= 0; k++)
                r = seccomp_rule_add_array(ctx, act, nr, 1, &conds[k]);
        }
        if (r < 0)
            return rns_err(e, r, "config.json: linux.seccomp.%s: cannot add a rule for %s: %s", where, name,
                           strerror(-r));
    }
    return 0;
}

/* The compiled program, read back from libseccomp's export. */
static int export_program(scmp_filter_ctx ctx, spec *s, rns_error *e)
{
    _cleanup_close_ int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
    if (fd < 0)
        return rns_err(e, -errno, "seccomp: memfd_create: %s", strerror(errno));
    int r = seccomp_export_bpf(ctx, fd);
    if (r < 0)
        return rns_err(e, r, "seccomp: export the filter: %s", strerror(-r));
    struct stat st;
    if (fstat(fd, &st) < 0)
        return rns_err(e, -errno, "seccomp: fstat: %s", strerror(errno));
    size_t len = (size_t)st.st_size;
    if (len == 0 || len % sizeof(struct sock_filter) != 0 || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
        return rns_err(e, -E2BIG, "seccomp: the compiled filter has %zu bytes, which the kernel would refuse", len);
    _cleanup_free_ struct sock_filter *prog = malloc(len);
    if (!prog)
        return -ENOMEM;
    ssize_t got = pread(fd, prog, len, 0);
    if (got != (ssize_t)len)
        return rns_err(e, got < 0 ? -errno : -EIO, "seccomp: read back the filter: %s",
                       got < 0 ? strerror(errno) : "short read");
    s->seccomp_filter = TAKE_PTR(prog);
    s->seccomp_filter_len = len / sizeof(struct sock_filter);
    return 0;
}

/* ---- ENOSYS for system calls newer than the profile (runc's patchbpf)
 * A profile written before a syscall existed cannot name it, and its
 * default action (EPERM) would keep libcs from falling back to older calls,
 * which they do on ENOSYS only (glibc's fchmodat2, clone3 ...). So, per
 * architecture, a number above the highest one the profile names gives
 * ENOSYS: a small program run before libseccomp's. */

#define X32_SYSCALL_BIT 0x40000000u

struct stub {
    struct sock_filter insn[64];
    unsigned n;
    unsigned to_enosys[16], n_enosys; /* jgt instructions to point at ENOSYS */
    unsigned to_main[16], n_main;     /* ja instructions to point past the stub */
};

static void emit(struct stub *st, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
    if (st->n < ARRAY_SIZE(st->insn))
        st->insn[st->n] = (struct sock_filter){code, jt, jf, k};
    st->n++;
}

/* A = syscall number; ENOSYS above max, else on to libseccomp's program. */
static void emit_bound(struct stub *st, uint32_t max)
{
    if (st->n_enosys < ARRAY_SIZE(st->to_enosys))
        st->to_enosys[st->n_enosys++] = st->n;
    emit(st, BPF_JMP | BPF_JGT | BPF_K, 0, 0, max);
    if (st->n_main < ARRAY_SIZE(st->to_main))
        st->to_main[st->n_main++] = st->n;
    emit(st, BPF_JMP | BPF_JA, 0, 0, 0);
}

/* The highest number, on arch, of any syscall the profile names; -1: none. */
static int64_t highest_named(json_t *sc, uint32_t arch)
{
    int64_t max = -1;
    size_t i, k;
    json_t *call, *name;
    json_array_foreach(json_object_get(sc, "syscalls"), i, call)
        json_array_foreach(json_object_get(call, "names"), k, name)
    {
        int nr = json_string_value(name) ? seccomp_syscall_resolve_name_arch(arch, json_string_value(name))
                                         : __NR_SCMP_ERROR;
        if (nr < 0) /* not on this arch, or a multiplexed pseudo call */
            continue;
        if (arch == SCMP_ARCH_X32)
            nr &= (int)~X32_SYSCALL_BIT;
        if (nr > max)
            max = nr;
    }
    return max;
}

static int prepend_enosys_stub(spec *s, json_t *sc, uint32_t default_action, rns_error *e)
{
    if (default_action == SCMP_ACT_ALLOW || default_action == SCMP_ACT_LOG || default_action == SCMP_ACT_ERRNO(ENOSYS))
        return 0; /* an unknown call already gets through, or ENOSYS */
    uint32_t arches[20];
    size_t n_arches = 0;
    arches[n_arches++] = seccomp_arch_native();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(sc, "architectures"), i, v)
    {
        uint32_t a = arch_of(json_string_value(v));
        bool seen = false;
        for (size_t k = 0; k < n_arches; k++)
            seen |= arches[k] == a;
        if (a && !seen && n_arches < ARRAY_SIZE(arches))
            arches[n_arches++] = a;
    }
    int64_t x32_max = -1;
    for (size_t k = 0; k < n_arches; k++)
        if (arches[k] == SCMP_ARCH_X32)
            x32_max = highest_named(sc, SCMP_ARCH_X32);
    struct stub st = {0};
    emit(&st, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)offsetof(struct seccomp_data, arch));
    for (size_t k = 0; k < n_arches; k++) {
        /* x32 calls arrive as AUDIT_ARCH_X86_64 with X32_SYSCALL_BIT set */
        if (arches[k] == SCMP_ARCH_X32)
            continue;
        int64_t max = highest_named(sc, arches[k]);
        if (max < 0)
            continue;
        bool x86_64 = arches[k] == SCMP_ARCH_X86_64;
        /* body: x86_64 splits x32 numbers off first */
        unsigned body = x86_64 ? (x32_max >= 0 ? 7 : 5) : 3;
        emit(&st, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)body, arches[k]);
        emit(&st, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)offsetof(struct seccomp_data, nr));
        if (x86_64 && x32_max >= 0) {
            emit(&st, BPF_JMP | BPF_JSET | BPF_K, 0, 3, X32_SYSCALL_BIT);
            emit(&st, BPF_ALU | BPF_AND | BPF_K, 0, 0, ~X32_SYSCALL_BIT);
            emit_bound(&st, (uint32_t)x32_max);
        } else if (x86_64) {
            emit(&st, BPF_JMP | BPF_JSET | BPF_K, 0, 1, X32_SYSCALL_BIT);
            if (st.n_main < ARRAY_SIZE(st.to_main))
                st.to_main[st.n_main++] = st.n;
            emit(&st, BPF_JMP | BPF_JA, 0, 0, 0);
        }
        emit_bound(&st, (uint32_t)max);
    }
    unsigned enosys = st.n + 1; /* after the final "ja main" */
    if (st.n_main < ARRAY_SIZE(st.to_main))
        st.to_main[st.n_main++] = st.n;
    emit(&st, BPF_JMP | BPF_JA, 0, 0, 0);
    emit(&st, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS);
    if (st.n > ARRAY_SIZE(st.insn) || st.n_enosys == ARRAY_SIZE(st.to_enosys) || st.n_main == ARRAY_SIZE(st.to_main))
        return rns_err(e, -E2BIG, "seccomp: too many architectures for the ENOSYS stub");
    if (st.n == 3) /* no architecture had a bound: nothing to add */
        return 0;
    for (unsigned k = 0; k < st.n_enosys; k++) /* jt counts from the next instruction */
        st.insn[st.to_enosys[k]].jt = (uint8_t)(enosys - st.to_enosys[k] - 1);
    for (unsigned k = 0; k < st.n_main; k++)
        st.insn[st.to_main[k]].k = st.n - st.to_main[k] - 1;
    size_t total = st.n + s->seccomp_filter_len;
    if (total > BPF_MAXINSNS)
        return rns_err(e, -E2BIG, "seccomp: the filter has %zu instructions, more than the kernel takes", total);
    struct sock_filter *prog = malloc(total * sizeof(*prog));
    if (!prog)
        return -ENOMEM;
    memcpy(prog, st.insn, st.n * sizeof(*prog));
    memcpy(prog + st.n, s->seccomp_filter, s->seccomp_filter_len * sizeof(*prog));
    free(s->seccomp_filter);
    s->seccomp_filter = prog;
    s->seccomp_filter_len = total;
    return 0;
}

static int compile(spec *s, rns_error *e)
{
    json_t *sc = s->seccomp;
    uint32_t default_action;
    int r = action_of(json_string_value(json_object_get(sc, "defaultAction")), json_object_get(sc, "defaultErrnoRet"),
                      "defaultAction", &default_action, e);
    if (r < 0)
        return r;
    __attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx = seccomp_init(default_action);
    if (!ctx)
        return rns_err(e, -ENOMEM, "seccomp: cannot create a filter context");
    /* no_new_privs is the spec's business (noNewPrivileges), not the filter's */
    if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
        return rns_err(e, r, "seccomp: clear the no_new_privs attribute: %s", strerror(-r));
    if ((r = add_architectures(ctx, json_object_get(sc, "architectures"), e)) < 0)
        return r;
    size_t i;
    json_t *call;
    json_array_foreach(json_object_get(sc, "syscalls"), i,
                       call) if ((r = add_rules(ctx, call, i, default_action, e)) < 0) return r;
    if ((r = export_program(ctx, s, e)) < 0 || (r = prepend_enosys_stub(s, sc, default_action, e)) < 0) {
        free(s->seccomp_filter);
        s->seccomp_filter = NULL;
        s->seccomp_filter_len = 0;
    }
    return r;
}

/* ---- a cache of compiled programs
 * libseccomp needs ~50 ms to compile the default profile for its three x86
 * architectures, and most containers share that profile: programs are kept
 * in <runtime run dir>/.seccomp-cache, named by a hash of the exact
 * linux.seccomp text and libseccomp's version, and taken only when the text
 * stored with them is equal byte for byte and the checksum holds. The
 * directory is root's (0700), like the run dir above it. */

struct cache_header {
    char magic[8]; /* "PSECBPF2" */
    uint64_t text_len, n_insns, sum;
};

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

#define FNV_START 14695981039346656037ULL

/* The key: the profile as compact sorted JSON, libseccomp's version, the
 * machine. */
static char *cache_key(json_t *seccomp)
{
    _cleanup_free_ char *text = json_dumps(seccomp, JSON_COMPACT | JSON_SORT_KEYS);
    const struct scmp_version *v = seccomp_version();
    char *key = NULL;
    if (!text || asprintf(&key, "%s\nlibseccomp %u.%u.%u arch %u", text, v ? v->major : 0, v ? v->minor : 0,
                          v ? v->micro : 0, seccomp_arch_native()) < 0)
        return NULL;
    return key;
}

static int cache_path(const char *state_dir, const char *key, const char *suffix, char *buf, size_t cap)
{
    const char *slash = strrchr(state_dir, '/');
    if (!slash || slash == state_dir)
        return -EINVAL;
    int n = snprintf(buf, cap, "%.*s/.seccomp-cache/%016llx%s", (int)(slash - state_dir), state_dir,
                     (unsigned long long)fnv1a(FNV_START, key, strlen(key)), suffix);
    return n > 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

static int cache_load(const char *state_dir, const char *key, spec *s)
{
    char path[4096];
    if (cache_path(state_dir, key, ".bpf", path, sizeof(path)) < 0)
        return -EINVAL;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) || st.st_size > (1 << 20) ||
        (size_t)st.st_size < sizeof(struct cache_header))
        return -EINVAL;
    size_t size = (size_t)st.st_size;
    _cleanup_free_ char *buf = malloc(size);
    if (!buf || pread(fd, buf, size, 0) != (ssize_t)size)
        return -EIO;
    struct cache_header h;
    memcpy(&h, buf, sizeof(h));
    size_t klen = strlen(key);
    if (memcmp(h.magic, "PSECBPF2", 8) != 0 || h.text_len != klen || h.n_insns == 0 || h.n_insns > BPF_MAXINSNS ||
        size != sizeof(h) + klen + h.n_insns * sizeof(struct sock_filter) || memcmp(buf + sizeof(h), key, klen) != 0 ||
        fnv1a(FNV_START, buf + sizeof(h), size - sizeof(h)) != h.sum)
        return -EINVAL;
    size_t plen = (size_t)h.n_insns * sizeof(struct sock_filter);
    void *prog = malloc(plen);
    if (!prog)
        return -ENOMEM;
    memcpy(prog, buf + sizeof(h) + klen, plen);
    s->seccomp_filter = prog;
    s->seccomp_filter_len = (size_t)h.n_insns;
    return 0;
}

/* Best effort: a failure only means compiling again next time. */
static void cache_store(const char *state_dir, const char *key, const spec *s)
{
    char path[4096], tmp[4200];
    if (cache_path(state_dir, key, ".bpf", path, sizeof(path)) < 0)
        return;
    char *dir_end = strrchr(path, '/');
    *dir_end = '\0';
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return;
    *dir_end = '/';
    /* a name of our own: shims starting together must not share a temp file */
    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
    size_t klen = strlen(key), plen = s->seccomp_filter_len * sizeof(struct sock_filter);
    struct cache_header h = {.magic = "PSECBPF2", .text_len = klen, .n_insns = s->seccomp_filter_len};
    h.sum = fnv1a(fnv1a(FNV_START, key, klen), s->seccomp_filter, plen);
    _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (rns_write_all(fd, &h, sizeof(h)) < 0 || rns_write_all(fd, key, klen) < 0 ||
        rns_write_all(fd, s->seccomp_filter, plen) < 0 || rename(tmp, path) < 0)
        unlink(tmp);
}

int seccomp_filter_prepare(spec *s, const char *state_dir, rns_error *e)
{
    if (!s->seccomp || s->seccomp_filter)
        return 0;
    _cleanup_free_ char *key = state_dir ? cache_key(s->seccomp) : NULL;
    if (key && cache_load(state_dir, key, s) == 0)
        return 0;
    int r = compile(s, e);
    if (r >= 0 && key)
        cache_store(state_dir, key, s);
    return r;
}

int seccomp_filter_load(const spec *s, rns_error *e)
{
    if (!s->seccomp_filter)
        return 0;
    struct sock_fprog prog = {.len = (unsigned short)s->seccomp_filter_len, .filter = s->seccomp_filter};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
        return 0;
    if (errno == ENOSYS && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
        return 0;
    return rns_err(e, -errno, "load the seccomp filter (%zu instructions): %s%s", s->seccomp_filter_len,
                   strerror(errno), errno == EACCES ? " (without no_new_privs it needs CAP_SYS_ADMIN)" : "");
}
