/* Seccomp profiles in dockerd's format -> OCI linux.seccomp, the way
 * dockerd 20.10 does it (capabilities, architectures and kernel decide
 * which entries apply), plus the checks runc would only make at start, so
 * a bad profile is refused at create naming its entry. No I/O but uname. */
#include "seccomp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "cleanup.h"
#include "error.h"

/* --- SecurityOpt ------------------------------------------------------- */

/* strconv.ParseBool's spellings. */
static int parse_go_bool(const char *s, bool *ret)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *ret = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0) {
            *ret = false;
            return 0;
        }
    }
    return -EINVAL;
}

int security_opts_parse(json_t *security_opt, struct security_opts *ret)
{
    struct security_opts o = {0};
    size_t i;
    json_t *v;
    json_array_foreach(security_opt, i, v)
    {
        const char *opt = json_string_value(v);
        if (!opt)
            return err_set(-EINVAL, "SecurityOpt[%zu] must be a string", i);
        if (strcmp(opt, "no-new-privileges") == 0) {
            o.no_new_privileges = true;
            continue;
        }
        if (strcmp(opt, "disable") == 0) /* an SELinux label option; no SELinux here */
            continue;
        /* "key=value", or the deprecated "key:value"; a profile's JSON text
         * after "seccomp=" keeps its own '=' and ':' */
        const char *sep = strchr(opt, '=');
        if (!sep)
            sep = strchr(opt, ':');
        if (!sep)
            return err_set(-EIO, "invalid --security-opt 1: \"%s\"", opt);
        size_t klen = (size_t)(sep - opt);
        const char *val = sep + 1;
        if (klen == 5 && strncmp(opt, "label", 5) == 0)
            continue;
        if (klen == 8 && strncmp(opt, "apparmor", 8) == 0) /* no AppArmor support: accepted, as without it */
            continue;
        if (klen == 7 && strncmp(opt, "seccomp", 7) == 0) {
            o.seccomp = val;
            continue;
        }
        if (klen == 17 && strncmp(opt, "no-new-privileges", 17) == 0 && parse_go_bool(val, &o.no_new_privileges) == 0)
            continue;
        return err_set(-EIO, "invalid --security-opt 2: \"%s\"", opt);
    }
    *ret = o;
    return 0;
}

/* --- names the runtime understands (runc 1.1's lists) ------------------ */

static const char *const actions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          NULL,
};

static const char *const operators[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};

static const char *const architectures[] = {
    "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",
    "SCMP_ARCH_ARM",      "SCMP_ARCH_AARCH64",     "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE",     "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",    "SCMP_ARCH_RISCV64",     NULL,
};

static bool in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static bool in_json_list(json_t *a, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return true;
    return false;
}

/* This machine as dockerd names it: Go's GOARCH, and libseccomp's name. */
static const char *native_go_arch(void)
{
#if defined(__x86_64__)
    return "amd64";
#elif defined(__i386__)
    return "386";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__arm__)
    return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return "ppc64le";
#elif defined(__s390x__)
    return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64";
#else
    return "";
#endif
}

static const char *seccomp_arch_of(const char *go_arch)
{
    static const char *const map[][2] = {
        {"amd64", "SCMP_ARCH_X86_64"},    {"386", "SCMP_ARCH_X86"},         {"arm64", "SCMP_ARCH_AARCH64"},
        {"arm", "SCMP_ARCH_ARM"},         {"ppc64le", "SCMP_ARCH_PPC64LE"}, {"s390x", "SCMP_ARCH_S390X"},
        {"riscv64", "SCMP_ARCH_RISCV64"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (strcmp(map[i][0], go_arch) == 0)
            return map[i][1];
    return NULL;
}

/* --- reading the profile ------------------------------------------------ */

/* Go's encoding/json matches field names case-insensitively; so do we. */
static json_t *field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (v || !json_is_object(o))
        return v;
    const char *k;
    json_object_foreach(o, k, v) if (strcasecmp(k, key) == 0) return v;
    return NULL;
}

static bool is_absent(json_t *v)
{
    return !v || json_is_null(v);
}

static int string_list(json_t *v, const char *what, json_t **ret)
{
    *ret = NULL;
    if (is_absent(v))
        return 0;
    if (!json_is_array(v))
        return err_set(-EINVAL, "seccomp profile: %s must be an array of strings", what);
    size_t i;
    json_t *s;
    json_array_foreach(v, i, s) if (!json_is_string(s)) return err_set(
        -EINVAL, "seccomp profile: %s[%zu] must be a string", what, i);
    *ret = v;
    return 0;
}

static int version_parse(const char *s, int *ret_major, int *ret_minor)
{
    char *end;
    long major = strtol(s, &end, 10);
    if (end == s || *end != '.')
        return -EINVAL;
    const char *p = end + 1;
    long minor = strtol(p, &end, 10);
    if (end == p || major < 0 || minor < 0)
        return -EINVAL;
    *ret_major = (int)major;
    *ret_minor = (int)minor;
    return 0;
}

/* kernel >= min_kernel ("4.8")? */
static int kernel_at_least(const char *kernel, const char *min_kernel, const char *where, bool *ret)
{
    int want_major, want_minor, have_major, have_minor;
    if (version_parse(min_kernel, &want_major, &want_minor) < 0)
        return err_set(-EINVAL,
                       "seccomp profile: %s.minKernel: invalid kernel version \"%s\"; write it as "
                       "<version>.<major revision>, e.g. \"4.8\"",
                       where, min_kernel);
    if (version_parse(kernel, &have_major, &have_minor) < 0)
        return err_set(-EINVAL, "seccomp profile: %s.minKernel: cannot read this kernel's version \"%s\"", where,
                       kernel);
    *ret = have_major > want_major || (have_major == want_major && have_minor >= want_minor);
    return 0;
}

struct ctx {
    json_t *bounding;
    const char *go_arch;
    const char *kernel;
};

/* Does an includes/excludes filter match this container? excludes match if
 * any condition holds; includes only if all hold (dockerd's semantics). */
static int filter_matches(const struct ctx *c, json_t *filter, const char *where, bool any, bool *ret)
{
    json_t *caps, *arches;
    int r;
    if (is_absent(filter)) {
        *ret = !any;
        return 0;
    }
    if (!json_is_object(filter))
        return err_set(-EINVAL, "seccomp profile: %s must be an object", where);
    char what[96];
    snprintf(what, sizeof(what), "%s.caps", where);
    if ((r = string_list(field(filter, "caps"), what, &caps)) < 0)
        return r;
    snprintf(what, sizeof(what), "%s.arches", where);
    if ((r = string_list(field(filter, "arches"), what, &arches)) < 0)
        return r;
    json_t *mk = field(filter, "minKernel");
    if (!is_absent(mk) && !json_is_string(mk))
        return err_set(-EINVAL, "seccomp profile: %s.minKernel must be a string like \"4.8\"", where);
    bool all_hold = true, some_holds = false;
    if (json_array_size(arches)) {
        bool hit = in_json_list(arches, c->go_arch);
        all_hold &= hit;
        some_holds |= hit;
    }
    size_t i;
    json_t *cap;
    json_array_foreach(caps, i, cap)
    {
        bool hit = in_json_list(c->bounding, json_string_value(cap));
        all_hold &= hit;
        some_holds |= hit;
    }
    if (json_is_string(mk) && *json_string_value(mk)) {
        bool hit = false;
        if ((r = kernel_at_least(c->kernel, json_string_value(mk), where, &hit)) < 0)
            return r;
        all_hold &= hit;
        some_holds |= hit;
    }
    *ret = any ? some_holds : all_hold;
    return 0;
}

static int check_action(json_t *v, const char *where, const char **ret)
{
    const char *a = json_string_value(v);
    if (!a)
        return err_set(-EINVAL, "seccomp profile: %s: the action must be a string such as \"SCMP_ACT_ERRNO\"", where);
    if (strcmp(a, "SCMP_ACT_NOTIFY") == 0)
        return err_set(-EINVAL,
                       "seccomp profile: %s: action \"SCMP_ACT_NOTIFY\" needs a seccomp agent, which pouch does not "
                       "support; use SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
                       where);
    if (!in_list(actions, a))
        return err_set(-EINVAL,
                       "seccomp profile: %s: unknown action \"%s\"; use one of SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, "
                       "SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_TRACE, "
                       "SCMP_ACT_LOG",
                       where, a);
    *ret = a;
    return 0;
}

static int check_errno(json_t *v, const char *where, json_t **ret)
{
    *ret = NULL;
    if (is_absent(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 4095)
        return err_set(-EINVAL, "seccomp profile: %s must be an errno number between 0 and 4095", where);
    *ret = v;
    return 0;
}

static int translate_args(json_t *args, const char *where, json_t **ret)
{
    *ret = NULL;
    if (is_absent(args))
        return 0;
    if (!json_is_array(args))
        return err_set(-EINVAL, "seccomp profile: %s.args must be an array", where);
    json_auto_t *out = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(args, i, a)
    {
        json_t *index = field(a, "index"), *value = field(a, "value"), *two = field(a, "valueTwo");
        const char *op = json_string_value(field(a, "op"));
        if (!json_is_object(a) || !json_is_integer(index) || json_integer_value(index) < 0 ||
            json_integer_value(index) > 5)
            return err_set(-EINVAL, "seccomp profile: %s.args[%zu]: index must be an argument number from 0 to 5",
                           where, i);
        if ((!is_absent(value) && !json_is_integer(value)) || (!is_absent(two) && !json_is_integer(two)) ||
            json_integer_value(value) < 0 || json_integer_value(two) < 0)
            return err_set(-EINVAL, "seccomp profile: %s.args[%zu]: value and valueTwo must be unsigned integers",
                           where, i);
        if (!op || !in_list(operators, op))
            return err_set(-EINVAL,
                           "seccomp profile: %s.args[%zu]: unknown operator \"%s\"; use one of SCMP_CMP_EQ, "
                           "SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_GT, SCMP_CMP_GE, SCMP_CMP_MASKED_EQ",
                           where, i, op ? op : "");
        json_t *o = json_pack("{s:O, s:I}", "index", index, "value", (json_int_t)json_integer_value(value));
        if (json_integer_value(two))
            json_object_set(o, "valueTwo", two);
        json_object_set_new(o, "op", json_string(op));
        json_array_append_new(out, o);
    }
    if (json_array_size(out))
        *ret = json_incref(out);
    return 0;
}

/* One entry of "syscalls": NULL in *ret when it does not apply here. */
static int translate_syscall(const struct ctx *c, json_t *call, size_t idx, json_t **ret)
{
    char where[64], what[96];
    int r;
    *ret = NULL;
    snprintf(where, sizeof(where), "syscalls[%zu]", idx);
    if (!json_is_object(call))
        return err_set(-EINVAL, "seccomp profile: %s must be an object", where);
    const char *action;
    json_t *errno_ret, *names, *args;
    snprintf(what, sizeof(what), "%s.names", where);
    if ((r = check_action(field(call, "action"), where, &action)) < 0 ||
        (r = string_list(field(call, "names"), what, &names)) < 0)
        return r;
    snprintf(what, sizeof(what), "%s.errnoRet", where);
    if ((r = check_errno(field(call, "errnoRet"), what, &errno_ret)) < 0 ||
        (r = translate_args(field(call, "args"), where, &args)) < 0)
        return r;
    json_auto_t *args_ref = args;
    json_t *name = field(call, "name");
    if (!is_absent(name) && !json_is_string(name))
        return err_set(-EINVAL, "seccomp profile: %s.name must be a string", where);
    if (json_is_string(name) && *json_string_value(name) && json_array_size(names))
        return err_set(-EINVAL, "seccomp profile: %s: use either 'name' or 'names'", where);
    bool excluded, included;
    snprintf(what, sizeof(what), "%s.excludes", where);
    if ((r = filter_matches(c, field(call, "excludes"), what, true, &excluded)) < 0)
        return r;
    snprintf(what, sizeof(what), "%s.includes", where);
    if ((r = filter_matches(c, field(call, "includes"), what, false, &included)) < 0)
        return r;
    if (excluded || !included)
        return 0;
    json_t *out_names = json_is_string(name) && *json_string_value(name) ? json_pack("[O]", name)
                        : names                                          ? json_deep_copy(names)
                                                                         : json_array();
    json_t *o = json_pack("{s:o, s:s}", "names", out_names, "action", action);
    if (errno_ret)
        json_object_set(o, "errnoRet", errno_ret);
    if (args)
        json_object_set(o, "args", args);
    *ret = o;
    return 0;
}

static int translate_arches(const struct ctx *c, json_t *profile, json_t *out)
{
    json_t *list, *map = field(profile, "archMap");
    int r = string_list(field(profile, "architectures"), "architectures", &list);
    if (r < 0)
        return r;
    if (json_array_size(list) && json_array_size(map))
        return err_set(-EINVAL, "both 'architectures' and 'archMap' are specified in the seccomp profile, use "
                                "either 'architectures' or 'archMap'");
    json_auto_t *arches = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) json_array_append(arches, v);
    if (!is_absent(map) && !json_is_array(map))
        return err_set(-EINVAL, "seccomp profile: archMap must be an array");
    const char *native = seccomp_arch_of(c->go_arch);
    json_array_foreach(map, i, v)
    {
        const char *arch = json_string_value(field(v, "architecture"));
        json_t *subs;
        char what[64];
        snprintf(what, sizeof(what), "archMap[%zu].subArchitectures", i);
        if (!arch)
            return err_set(-EINVAL, "seccomp profile: archMap[%zu].architecture must be a string", i);
        if ((r = string_list(field(v, "subArchitectures"), what, &subs)) < 0)
            return r;
        if (!native || strcmp(arch, native) != 0)
            continue;
        json_array_append(arches, field(v, "architecture"));
        if (subs)
            json_array_extend(arches, subs);
    }
    json_array_foreach(arches, i, v)
    {
        if (!in_list(architectures, json_string_value(v)))
            return err_set(-EINVAL, "seccomp profile: unknown architecture \"%s\"; use names such as SCMP_ARCH_X86_64",
                           json_string_value(v));
    }
    if (json_array_size(arches))
        json_object_set(out, "architectures", arches);
    return 0;
}

static const char *this_kernel(char *buf, size_t cap)
{
    struct utsname u;
    snprintf(buf, cap, "%s", uname(&u) == 0 ? u.release : "0.0");
    return buf;
}

int seccomp_translate(json_t *profile, json_t *bounding, const char *go_arch, const char *kernel, json_t **ret)
{
    char release[65];
    struct ctx c = {.bounding = bounding,
                    .go_arch = go_arch ? go_arch : native_go_arch(),
                    .kernel = kernel ? kernel : this_kernel(release, sizeof(release))};
    if (!json_is_object(profile))
        return err_set(-EINVAL, "Decoding seccomp profile failed: the profile must be a JSON object");
    json_t *dflt = field(profile, "defaultAction"), *syscalls = field(profile, "syscalls");
    if (!is_absent(syscalls) && !json_is_array(syscalls))
        return err_set(-EINVAL, "seccomp profile: syscalls must be an array");
    /* No default action and no rules: dockerd takes that as no filter. */
    if ((is_absent(dflt) || (json_is_string(dflt) && !*json_string_value(dflt))) && !json_array_size(syscalls)) {
        *ret = NULL;
        return 0;
    }
    const char *action;
    json_t *errno_ret;
    int r = check_action(dflt, "defaultAction", &action);
    if (r < 0 || (r = check_errno(field(profile, "defaultErrnoRet"), "defaultErrnoRet", &errno_ret)) < 0)
        return r;
    json_auto_t *out = json_pack("{s:s}", "defaultAction", action);
    if (errno_ret)
        json_object_set(out, "defaultErrnoRet", errno_ret);
    if ((r = translate_arches(&c, profile, out)) < 0)
        return r;
    json_auto_t *calls = json_array();
    size_t i;
    json_t *call;
    json_array_foreach(syscalls, i, call)
    {
        json_t *o;
        if ((r = translate_syscall(&c, call, i, &o)) < 0)
            return r;
        if (o)
            json_array_append_new(calls, o);
    }
    if (json_array_size(calls))
        json_object_set(out, "syscalls", calls);
    *ret = json_incref(out);
    return 0;
}

int seccomp_for_container(const char *profile, bool privileged, json_t *bounding, json_t **ret)
{
    *ret = NULL;
    if (privileged || (profile && strcmp(profile, "unconfined") == 0))
        return 0;
    json_auto_t *p = NULL;
    if (profile && *profile) {
        json_error_t je;
        p = json_loads(profile, 0, &je);
        if (!p)
            return err_set(-EINVAL, "Decoding seccomp profile failed: %s (line %d, column %d)", je.text, je.line,
                           je.column);
    } else {
        p = seccomp_default_profile();
        if (!p)
            return err_set(-ENOMEM, "building the default seccomp profile: out of memory");
    }
    return seccomp_translate(p, bounding, NULL, NULL, ret);
}
