/* pouchd's entry point: parse the command line and hand over to the daemon
 * or to `pouchd plugins`. Keeps no state of its own. */
#include <stdio.h>

#include "build-config.h"
#include "config.h"
#include "daemon.h"
#include "error.h"
#include "loader.h"
#include "log.h"

extern const struct builtin_plugin builtin_plugins[];

int main(int argc, char **argv)
{
    loader_set_builtins(builtin_plugins);
    struct cmdline cmd = {0};
    if (cmdline_parse(argc, argv, &cmd) < 0) {
        fprintf(stderr, "pouchd: %s\n", err_get());
        return 2;
    }
    int r = 0;
    if (cmd.help)
        cmdline_usage(stdout);
    else if (cmd.version)
        printf("pouchd version %s, build %s\n", POUCH_VERSION, POUCH_GIT_COMMIT);
    else if (cmd.command)
        r = daemon_list_plugins(&cmd);
    else
        r = daemon_main(&cmd);
    cmdline_done(&cmd);
    return r < 0 ? 1 : 0;
}
