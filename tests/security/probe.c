/* Entry point of the security probe: `probe GROUP NAME [ARGS...]` runs one
 * attempt from one group's table (probe-escape.c, and the syscall group) and
 * exits PROBE_OK/PROBE_DENIED/PROBE_USAGE. Built static: images have no libc. */
#include "probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int probe_denied(const char *what, int err)
{
        const char *name = strerrorname_np(err);
        printf("%s: %s (%s)\n", what, name ? name : "errno?", strerror(err));
        return PROBE_DENIED;
}

int probe_ok(const char *what, const char *fmt, ...)
{
        printf("%s: ok", what);
        if (fmt && *fmt) {
                va_list ap;
                va_start(ap, fmt);
                fputc(' ', stdout);
                vprintf(fmt, ap);
                va_end(ap);
        }
        fputc('\n', stdout);
        return PROBE_OK;
}

int probe_usage(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("probe: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        return PROBE_USAGE;
}

static const struct probe_cmd *const groups[] = {
        probe_escape_cmds,
        probe_syscall_cmds,
};

static void usage(void)
{
        fputs("usage: probe GROUP NAME [ARGS...]\n", stderr);
        for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
                for (const struct probe_cmd *c = groups[g]; c->name; c++)
                        fprintf(stderr, "  probe %s %s %s\n", c->group, c->name, c->args);
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc < 3) {
                usage();
                return PROBE_USAGE;
        }
        for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
                for (const struct probe_cmd *c = groups[g]; c->name; c++)
                        if (strcmp(c->group, argv[1]) == 0 && strcmp(c->name, argv[2]) == 0)
                                return c->run(argc - 2, argv + 2);
        fprintf(stderr, "probe: no subcommand '%s %s'\n", argv[1], argv[2]);
        usage();
        return PROBE_USAGE;
}
