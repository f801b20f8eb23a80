/* --security-opt parsing and seccomp profiles (dockerd's JSON format) turned
 * into the OCI spec's linux.seccomp. Pure JSON work, golden-tested: nothing
 * here compiles or loads a filter (the runtime does that). */
#ifndef POUCH_CONTAINERS_SECCOMP_H
#define POUCH_CONTAINERS_SECCOMP_H

#include <jansson.h>
#include <stdbool.h>

/* What HostConfig.SecurityOpt asks for, read as dockerd 20.10 reads it. */
struct security_opts {
    bool no_new_privileges;
    const char *seccomp; /* borrowed; NULL or "": the default profile, "unconfined", or a profile's JSON text */
};

/* Parse SecurityOpt (an array of strings, or NULL). Malformed options fail
 * with dockerd's message ("invalid --security-opt 1: \"foo\"") and -EIO,
 * since dockerd answers them with a 500. */
int security_opts_parse(json_t *security_opt, struct security_opts *ret);

/* dockerd 20.10's default profile, in the profile format (a new reference). */
json_t *seccomp_default_profile(void);

/* Translate a profile into linux.seccomp for a container whose bounding set
 * is bounding (["CAP_…"]): includes/excludes by capability, architecture
 * and minKernel, archMap narrowed to this machine. go_arch ("amd64", as
 * dockerd names architectures) and kernel ("6.1.0-…") default to this
 * machine's when NULL. *ret is NULL when the profile asks for no filter.
 * A bad profile fails with -EINVAL and a message naming the entry. */
int seccomp_translate(json_t *profile, json_t *bounding, const char *go_arch, const char *kernel, json_t **ret);

/* linux.seccomp for a container, or *ret = NULL for none (privileged,
 * seccomp=unconfined). profile is security_opts.seccomp. */
int seccomp_for_container(const char *profile, bool privileged, json_t *bounding, json_t **ret);

#endif
