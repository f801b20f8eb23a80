/* libFuzzer target: seccomp profiles as users send them (--security-opt
 * seccomp=<JSON>), through the engine's SecurityOpt parser and translator.
 * A profile that translates must give a linux.seccomp that translates to
 * itself (it is a profile without conditions), on every architecture. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "seccomp.h"

static void check_fixed_point(json_t *out, const char *arch)
{
    json_t *again = NULL, *no_caps = json_array();
    int r = seccomp_translate(out, no_caps, arch, "5.10", &again);
    json_decref(no_caps);
    if (r < 0 || !json_equal(out, again)) {
        char *a = json_dumps(out, JSON_COMPACT), *b = again ? json_dumps(again, JSON_COMPACT) : NULL;
        fprintf(stderr, "fuzz-seccomp-profile: %s: not a fixed point (%s)\n%s\n%s\n", arch, err_get(), a,
                b ? b : "(error)");
        abort();
    }
    json_decref(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (256u << 10))
        return 0;
    char *opt = malloc(size + 9);
    if (!opt)
        return 0;
    memcpy(opt, "seccomp=", 8);
    memcpy(opt + 8, data, size);
    opt[size + 8] = '\0';
    json_t *list = json_pack("[s, s]", "no-new-privileges:false", opt);
    json_t *bounding = json_pack("[s, s, s]", "CAP_CHOWN", "CAP_SYS_CHROOT", "CAP_SYS_ADMIN");
    struct security_opts so;
    json_t *out = NULL;
    err_clear();
    int r = list ? security_opts_parse(list, &so) : -1;
    if (r == 0)
        r = seccomp_for_container(so.seccomp, false, bounding, &out);
    if (r < 0 && list && !*err_get()) {
        fprintf(stderr, "fuzz-seccomp-profile: a refusal without a message\n");
        abort();
    }
    if (out)
        check_fixed_point(out, "amd64");
    json_decref(out);
    /* the same text as a parsed profile on other architectures and kernels */
    json_t *profile = json_loadb((const char *)data, size, 0, NULL);
    static const char *const arches[] = {"arm64", "s390x", "386", "riscv64", "mips"};
    for (size_t i = 0; profile && i < sizeof(arches) / sizeof(arches[0]); i++) {
        out = NULL;
        if (seccomp_translate(profile, bounding, arches[i], i % 2 ? "3.10.0-1160" : "6.1", &out) == 0 && out)
            check_fixed_point(out, arches[i]);
        json_decref(out);
    }
    json_decref(profile);
    json_decref(bounding);
    json_decref(list);
    free(opt);
    err_clear();
    return 0;
}
