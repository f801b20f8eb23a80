/* Turns pouchd's command line into an options object with the same keys as
 * the config file, so flags override the file key by key. Flag names follow
 * dockerd wherever dockerd has the concept. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"
#include "error.h"

enum {
    OPT_DATA_ROOT = 1000,
    OPT_EXEC_ROOT,
    OPT_CONFIG_FILE,
    OPT_PLUGINS,
    OPT_PLUGIN_DIR,
    OPT_LOG_LEVEL,
    OPT_TLS,
    OPT_TLSVERIFY,
    OPT_TLSCACERT,
    OPT_TLSCERT,
    OPT_TLSKEY,
    OPT_LABEL,
    OPT_USERNS_REMAP,
};

static const struct option long_options[] = {
    {"data-root", required_argument, NULL, OPT_DATA_ROOT},
    {"exec-root", required_argument, NULL, OPT_EXEC_ROOT},
    {"config-file", required_argument, NULL, OPT_CONFIG_FILE},
    {"plugins", required_argument, NULL, OPT_PLUGINS},
    {"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
    {"host", required_argument, NULL, 'H'},
    {"pidfile", required_argument, NULL, 'p'},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"debug", no_argument, NULL, 'D'},
    {"tls", optional_argument, NULL, OPT_TLS},
    {"tlsverify", optional_argument, NULL, OPT_TLSVERIFY},
    {"tlscacert", required_argument, NULL, OPT_TLSCACERT},
    {"tlscert", required_argument, NULL, OPT_TLSCERT},
    {"tlskey", required_argument, NULL, OPT_TLSKEY},
    {"label", required_argument, NULL, OPT_LABEL},
    {"userns-remap", required_argument, NULL, OPT_USERNS_REMAP},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'v'},
    {0},
};

void cmdline_usage(FILE *out)
{
    fputs("Usage: pouchd [OPTIONS]          run the daemon\n"
          "       pouchd plugins [OPTIONS]  list the plugins pouchd can find\n"
          "\n"
          "Options:\n"
          "      --plugins NAME,...     plugins to load (default: the built-in set)\n"
          "      --plugin-dir DIR       search DIR for plugins first (repeatable;\n"
          "                             then $POUCH_PLUGIN_PATH, then the install dir)\n"
          "      --config-file FILE     daemon configuration (default /etc/pouch/pouchd.json)\n"
          "      --data-root DIR        persistent state (default /var/lib/pouch)\n"
          "      --exec-root DIR        runtime state (default /run/pouch)\n"
          "  -H, --host ADDR            listen on unix:///path or tcp://host:port (repeatable)\n"
          "  -p, --pidfile FILE         pid file (default /run/pouchd.pid)\n"
          "      --log-level LEVEL      debug, info, warn, error or fatal (default info)\n"
          "  -D, --debug                debug mode\n"
          "      --tls                  serve tcp listeners over TLS\n"
          "      --tlsverify            serve TLS and require client certificates signed by --tlscacert\n"
          "      --tlscacert FILE       CA that client certificates must be signed by\n"
          "      --tlscert FILE         server certificate\n"
          "      --tlskey FILE          server key\n"
          "      --label KEY=VALUE      daemon label (repeatable)\n"
          "      --userns-remap USER[:GROUP]  run containers in user namespaces mapped to USER's\n"
          "                             /etc/subuid and /etc/subgid ranges (\"default\": dockremap)\n"
          "  -h, --help                 this help\n"
          "  -v, --version              print the version\n",
          out);
}

static void append_str(json_t *flags, const char *key, const char *value)
{
    json_t *list = json_object_get(flags, key);
    if (!list) {
        list = json_array();
        json_object_set_new(flags, key, list);
    }
    json_array_append_new(list, json_string(value));
}

static int parse_bool_arg(const char *flag, const char *arg, json_t *flags, const char *key)
{
    if (!arg || strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0) {
        json_object_set_new(flags, key, json_true());
        return 0;
    }
    if (strcmp(arg, "false") == 0 || strcmp(arg, "0") == 0) {
        json_object_set_new(flags, key, json_false());
        return 0;
    }
    return err_set(-EINVAL, "flag --%s=%s: expected true or false", flag, arg);
}

static void append_list(json_t *flags, const char *key, const char *csv)
{
    _cleanup_free_ char *copy = strdup(csv);
    char *save = NULL;
    if (!json_object_get(flags, key))
        json_object_set_new(flags, key, json_array());
    for (char *n = strtok_r(copy, ",", &save); n; n = strtok_r(NULL, ",", &save))
        if (*n)
            append_str(flags, key, n);
}

int cmdline_parse(int argc, char **argv, struct cmdline *ret)
{
    json_t *flags = json_object();
    struct cmdline c = {.flags = flags};
    int r = 0;

    optind = 1;
    opterr = 0;
    for (;;) {
        int longidx = -1;
        int opt = getopt_long(argc, argv, ":H:p:Dhv", long_options, &longidx);
        if (opt == -1)
            break;
        switch (opt) {
        case OPT_DATA_ROOT:
            json_object_set_new(flags, "data-root", json_string(optarg));
            break;
        case OPT_EXEC_ROOT:
            json_object_set_new(flags, "exec-root", json_string(optarg));
            break;
        case OPT_CONFIG_FILE:
            json_object_set_new(flags, "config-file", json_string(optarg));
            break;
        case OPT_PLUGINS:
            append_list(flags, "plugins", optarg);
            break;
        case OPT_PLUGIN_DIR:
            append_str(flags, "plugin-dir", optarg);
            break;
        case 'H':
            append_str(flags, "hosts", optarg);
            break;
        case 'p':
            json_object_set_new(flags, "pidfile", json_string(optarg));
            break;
        case OPT_LOG_LEVEL:
            json_object_set_new(flags, "log-level", json_string(optarg));
            break;
        case 'D':
            json_object_set_new(flags, "debug", json_true());
            break;
        case OPT_TLS:
            r = parse_bool_arg("tls", optarg, flags, "tls");
            break;
        case OPT_TLSVERIFY:
            r = parse_bool_arg("tlsverify", optarg, flags, "tlsverify");
            break;
        case OPT_TLSCACERT:
            json_object_set_new(flags, "tlscacert", json_string(optarg));
            break;
        case OPT_TLSCERT:
            json_object_set_new(flags, "tlscert", json_string(optarg));
            break;
        case OPT_TLSKEY:
            json_object_set_new(flags, "tlskey", json_string(optarg));
            break;
        case OPT_LABEL:
            append_str(flags, "labels", optarg);
            break;
        case OPT_USERNS_REMAP:
            json_object_set_new(flags, "userns-remap", json_string(optarg));
            break;
        case 'h':
            c.help = true;
            break;
        case 'v':
            c.version = true;
            break;
        case ':':
            r = err_set(-EINVAL, "flag %s needs a value; see pouchd --help", argv[optind - 1]);
            break;
        default:
            r = err_set(-EINVAL, "unknown flag %s; see pouchd --help", argv[optind - 1]);
            break;
        }
        if (r < 0)
            break;
    }
    if (r >= 0 && optind < argc) {
        if (strcmp(argv[optind], "plugins") == 0 && optind + 1 == argc)
            c.command = "plugins";
        else
            r = err_set(-EINVAL, "unexpected argument \"%s\"; pouchd takes only flags, or the command \"plugins\"",
                        argv[optind]);
    }
    if (r >= 0) {
        /* config-file is a flag only; validate the rest like the file. */
        json_t *cf = json_incref(json_object_get(flags, "config-file"));
        json_object_del(flags, "config-file");
        r = config_validate(flags, "command line");
        if (cf)
            json_object_set_new(flags, "config-file", cf);
    }
    if (r < 0) {
        json_decref(flags);
        return r;
    }
    *ret = c;
    return 0;
}

void cmdline_done(struct cmdline *c)
{
    json_decref(c->flags);
    *c = (struct cmdline){0};
}
