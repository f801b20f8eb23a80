/* The security probe: a small static program the security tests run inside
 * containers. Each subcommand makes exactly one attempt and reports it on one
 * line; it must never do anything that could harm the host if it succeeds. */
#pragma once

/* Exit codes of every subcommand. */
enum {
        PROBE_OK = 0,      /* the attempt succeeded ("<what>: ok ...") */
        PROBE_DENIED = 1,  /* the attempt failed ("<what>: EPERM ...") */
        PROBE_USAGE = 2,   /* bad arguments or a failure to set the attempt up */
};

struct probe_cmd {
        const char *group; /* "syscall", "escape" */
        const char *name;
        const char *args; /* usage text of the arguments, "" if none */
        int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
};

/* NULL-terminated tables, one per group. */
extern const struct probe_cmd probe_escape_cmds[];
extern const struct probe_cmd probe_syscall_cmds[];

/* probe_denied WHAT ERR: print "WHAT: EPERM (Operation not permitted)" for
 * the positive errno ERR and return PROBE_DENIED. */
int probe_denied(const char *what, int err);
/* probe_ok WHAT FMT...: print "WHAT: ok" plus optional detail; PROBE_OK. */
int probe_ok(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* probe_usage FMT...: print to stderr; PROBE_USAGE. */
int probe_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
