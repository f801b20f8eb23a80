/* Runtime plugins isolate containers (namespaces, micro-VMs ...). The engine
 * writes an OCI runtime bundle (config.json plus a root filesystem) and hands
 * it to a runtime, which creates, starts, signals and deletes the container
 * it describes. Containers must outlive the daemon: a runtime keeps each one
 * in a monitor process of its own, and finds them again after a restart. */
#ifndef POUCH_RUNTIME_H
#define POUCH_RUNTIME_H

#include <stdint.h>

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every method takes the plugin's state (from init) first and returns >= 0
 * or a negative errno after reporting detail with host->error. JSON results
 * are allocated by the plugin and released with its free method. */
typedef struct pouch_runtime_ops {
    uint32_t size;     /* 1.0: sizeof(struct pouch_runtime_ops) as built */
    uint32_t reserved; /* 1.0: 0 */
    /* 1.0: create container id from bundle_dir (holding config.json; the
     * root filesystem is the spec's root.path). options_json:
     * {"log":{"driver":"json-file","path":"…","opts":{…}},"stdin":bool,"tty":bool,
     *  "exit_file":"…"}. The process is set up but not started. */
    int32_t (*create)(void *state, const char *id, const char *bundle_dir, const char *options_json);
    /* 1.0: start the created process. */
    int32_t (*start)(void *state, const char *id);
    /* 1.0: send signal to the container's init (all = 1: to every process). */
    int32_t (*kill)(void *state, const char *id, int32_t signal, int32_t all);
    /* 1.0: remove a stopped container's runtime state (force = 1: kill it first).
     * (Not named delete: the header must compile as C++.) */
    int32_t (*destroy)(void *state, const char *id, int32_t force);
    /* 1.0: {"status":"created"|"running"|"paused"|"stopped","pid":N,"exit_code":N,
     * "oom_killed":bool,"started_at":ns,"finished_at":ns,"error":"…"} */
    int32_t (*state)(void *state, const char *id, char **ret_json);
    /* 1.0: a unix socket path whose connections carry the container's stdio:
     * after connecting, the client writes one JSON line
     * {"stdin":bool,"stdout":bool,"stderr":bool,"stream":bool} and then reads
     * output (raw for a tty; else frames with docker's 8-byte header:
     * stream byte 1/2, 3 zero bytes, big-endian uint32 length) and may write
     * stdin bytes; shutting down its write side closes the container's stdin. */
    int32_t (*attach_path)(void *state, const char *id, char **ret_path);
    /* 1.0: resize the container's terminal. */
    int32_t (*resize)(void *state, const char *id, int32_t rows, int32_t cols);
    /* 1.0: the containers this runtime still has, after a daemon restart:
     * [{"id":"…","status":…}] as in state. */
    int32_t (*list)(void *state, char **ret_json);
    /* 1.0: free a JSON or path string returned by a method above. */
    void (*free)(void *state, void *ptr);
    /* 1.1: freeze every process of the container (cgroup freezer), and thaw
     * them. state then reports "paused" until resume. */
    int32_t (*pause)(void *state, const char *id);
    int32_t (*resume)(void *state, const char *id);
    /* 1.1: prepare an extra process exec_id in the running container id.
     * process_json is an OCI runtime-spec "process" object (terminal, user,
     * args, env, cwd, capabilities, noNewPrivileges, rlimits); the process
     * joins every namespace and the cgroup of the container and gets the
     * container's seccomp filter. options_json {"stdin":bool,"tty":bool}.
     * It waits for exec_start, so that an attach can connect first: the
     * attach handshake line then carries "exec":"<exec_id>". */
    int32_t (*exec_create)(void *state, const char *id, const char *exec_id, const char *process_json,
                           const char *options_json);
    /* 1.1: start a prepared exec process. */
    int32_t (*exec_start)(void *state, const char *id, const char *exec_id);
    /* 1.1: {"status":"created"|"running"|"stopped","pid":N,"exit_code":N,
     * "error":"…"} of an exec process (-ENOENT once forgotten). */
    int32_t (*exec_state)(void *state, const char *id, const char *exec_id, char **ret_json);
    /* 1.1: resize an exec process's terminal. */
    int32_t (*exec_resize)(void *state, const char *id, const char *exec_id, int32_t rows, int32_t cols);
    /* 1.1: change the limits of a live container; resources_json is an OCI
     * runtime-spec "linux.resources" object holding only what changes. */
    int32_t (*update)(void *state, const char *id, const char *resources_json);
    /* 1.1: resource usage now, in the Docker Engine API's stats shapes:
     * {"cpu_stats":{"cpu_usage":{"total_usage","usage_in_kernelmode",
     * "usage_in_usermode","percpu_usage"},"throttling_data":{…}},
     * "memory_stats":{"usage","max_usage","limit","failcnt","stats":{…}},
     * "pids_stats":{"current","limit"},"blkio_stats":{…}} (cgroup v2 keys
     * for memory "stats" on a v2 host, as dockerd). Times in ns. */
    int32_t (*stats)(void *state, const char *id, char **ret_json);
    /* 1.1: host PIDs of every process in the container: [N,…]. */
    int32_t (*pids)(void *state, const char *id, char **ret_json);
} pouch_runtime_ops;

#ifdef __cplusplus
}
#endif

#endif
