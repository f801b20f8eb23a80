/* The engine API the core lends to frontend plugins (host->engine).
 * Frontends translate a wire protocol into these calls; the core owns every
 * object. Results cross as JSON text that the caller frees with host->free. */
#ifndef POUCH_ENGINE_H
#define POUCH_ENGINE_H

#include <stdint.h>

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every call returns >= 0 on success or a negative errno, with the message in
 * host->last_error(host). -ENOENT: no such object; -EINVAL: bad argument;
 * -EEXIST/-EBUSY: conflict; -ENOTSUP: not supported by this build. */
/* Receives progress of a long operation, one JSON object as text per call. */
typedef void (*pouch_progress_fn)(void *user, const char *json);

typedef struct pouch_engine_api {
    uint32_t size;     /* 1.0: sizeof(struct pouch_engine_api) as built */
    uint32_t reserved; /* 1.0: 0 */
    /* 1.0: engine version facts: {"Version","GitCommit","BuildTime","KernelVersion",
     * "Os","Arch","Components":[{"Name","Version","Details":{}}]}. */
    int32_t (*version)(const struct pouch_host *host, char **ret_json);
    /* 1.0: engine facts: {"ID","Name","DataRoot","ExecRoot","Debug","NCPU","MemTotal",
     * "KernelVersion","OperatingSystem","OSVersion","Architecture","CgroupVersion",
     * "CgroupDriver","NFd","NThreads","NEventsListener","Plugins":[{"Name","Kind",
     * "Version"}],"Containers":{"Total","Running","Paused","Stopped"},"Images",
     * "Labels":[],"Warnings":[],"SystemTime"}. */
    int32_t (*info)(const struct pouch_host *host, char **ret_json);
    /* 1.0: the daemon's effective options: {"hosts":[...],"tlsverify":bool,
     * "tlscacert","tlscert","tlskey","debug","log-level","data-root","exec-root"}. */
    int32_t (*daemon_config)(const struct pouch_host *host, char **ret_json);

    /* Images. Names are as docker takes them: "busybox", "host:5000/a/b:t",
     * "name@sha256:…", full or short IDs. */

    /* 1.0: load a docker save archive or OCI layout read from in_fd (borrowed,
     * read to EOF). progress gets {"kind":"layer","id","current","total"},
     * {"kind":"loaded","ref","id"} and {"kind":"loaded-id","id"}; *ret_json
     * lists [{"id","refs":[…]}]. */
    int32_t (*image_load)(const struct pouch_host *host, int32_t in_fd, pouch_progress_fn progress, void *user,
                          char **ret_json);
    /* 1.0: write the images named in names_json (a JSON array) to out_fd as a
     * docker save archive. */
    int32_t (*image_save)(const struct pouch_host *host, const char *names_json, int32_t out_fd);
    /* 1.0: import a root filesystem tarball from in_fd; options_json
     * {"repo","tag","message","changes":[…],"source"}; *ret_json {"id"}. */
    int32_t (*image_import)(const struct pouch_host *host, int32_t in_fd, const char *options_json, char **ret_json);
    /* 1.0: list images as GET /images/json does; options_json {"all":bool,
     * "filters":{name:{value:true}}}. */
    int32_t (*image_list)(const struct pouch_host *host, const char *options_json, char **ret_json);
    /* 1.0: one image in GET /images/{name}/json's shape. */
    int32_t (*image_inspect)(const struct pouch_host *host, const char *name, char **ret_json);
    /* 1.0: the image's history, newest first, as GET /images/{name}/history. */
    int32_t (*image_history)(const struct pouch_host *host, const char *name, char **ret_json);
    /* 1.0: point reference target ("repo[:tag]") at the image named source. */
    int32_t (*image_tag)(const struct pouch_host *host, const char *source, const char *target);
    /* 1.0: untag and/or delete as DELETE /images/{name}; *ret_json is the list
     * of {"Untagged"} and {"Deleted"} records. force and noprune are 0 or 1. */
    int32_t (*image_remove)(const struct pouch_host *host, const char *name, int32_t force, int32_t noprune,
                            char **ret_json);
    /* 1.0: options_json {"all":bool,"filters":{"label":{…},"until":{…}}};
     * *ret_json {"ImagesDeleted","SpaceReclaimed"}. */
    int32_t (*image_prune)(const struct pouch_host *host, const char *options_json, char **ret_json);
    /* 1.0: {"LayersSize", "Images":[…]} for GET /system/df. */
    int32_t (*disk_usage)(const struct pouch_host *host, char **ret_json);

    /* Containers. id is a full or unique short ID or a name (with or without
     * the leading "/"). Shapes are the Docker Engine API 1.41's. */

    /* 1.0: create from a POST /containers/create body; name may be NULL or "".
     * *ret_json {"Id","Warnings":[…]}. */
    int32_t (*container_create)(const struct pouch_host *host, const char *name, const char *config_json,
                                char **ret_json);
    /* 1.0: start (a running container: -EALREADY, which the frontend turns into 304). */
    int32_t (*container_start)(const struct pouch_host *host, const char *id);
    /* 1.0: stop: the stop signal, then SIGKILL after timeout seconds
     * (-1: the container's StopTimeout or 10). Stopped already: -EALREADY. */
    int32_t (*container_stop)(const struct pouch_host *host, const char *id, int32_t timeout);
    /* 1.0: send signal ("KILL", "SIGTERM", "9"; NULL = KILL). */
    int32_t (*container_kill)(const struct pouch_host *host, const char *id, const char *signal);
    /* 1.0: stop (as container_stop) then start. */
    int32_t (*container_restart)(const struct pouch_host *host, const char *id, int32_t timeout);
    /* 1.0: block until condition ("not-running" default, "next-exit",
     * "removed"); *ret_json {"StatusCode":N,"Error":null|{"Message":…}}. */
    int32_t (*container_wait)(const struct pouch_host *host, const char *id, const char *condition, char **ret_json);
    /* 1.0: remove (force: kill a running one first; volumes: remove anonymous volumes). */
    int32_t (*container_remove)(const struct pouch_host *host, const char *id, int32_t force, int32_t volumes);
    /* 1.0: rename to new_name. */
    int32_t (*container_rename)(const struct pouch_host *host, const char *id, const char *new_name);
    /* 1.0: remove stopped containers; filters_json is the map form. *ret_json
     * {"ContainersDeleted":[…]|null,"SpaceReclaimed":N}. */
    int32_t (*container_prune)(const struct pouch_host *host, const char *filters_json, char **ret_json);
    /* 1.0: GET /containers/json; options_json {"all":bool,"limit":N,"size":bool,
     * "filters":{…map form…}}. */
    int32_t (*container_list)(const struct pouch_host *host, const char *options_json, char **ret_json);
    /* 1.0: GET /containers/{id}/json; size = 1 adds SizeRw/SizeRootFs. */
    int32_t (*container_inspect)(const struct pouch_host *host, const char *id, int32_t size, char **ret_json);
    /* 1.0: write the container's logs to out_fd as GET /containers/{id}/logs
     * sends them (docker stream frames unless the container has a tty).
     * options_json {"stdout","stderr","since","until","tail","timestamps","follow"}
     * (since/until in ns, tail -1 = all). With follow it returns when the
     * container stops or *stop becomes non-zero. */
    int32_t (*container_logs)(const struct pouch_host *host, const char *id, const char *options_json, int32_t out_fd,
                              const volatile int32_t *stop);
    /* 1.0: where to connect for the container's stdio (runtime.h explains the
     * protocol): *ret_json {"path":"…","tty":bool}. An empty path means the
     * container could not be set up: the stream is empty and start will say why. */
    int32_t (*container_attach)(const struct pouch_host *host, const char *id, char **ret_json);
    /* 1.0: resize the container's tty. */
    int32_t (*container_resize)(const struct pouch_host *host, const char *id, int32_t rows, int32_t cols);

    /* Running containers (1.1). */

    /* 1.1: freeze / thaw every process (POST /containers/{id}/pause, unpause). */
    int32_t (*container_pause)(const struct pouch_host *host, const char *id);
    int32_t (*container_unpause)(const struct pouch_host *host, const char *id);
    /* 1.1: POST /containers/{id}/update: config_json is its body (resources
     * and RestartPolicy); *ret_json {"Warnings":[…]}. */
    int32_t (*container_update)(const struct pouch_host *host, const char *id, const char *config_json,
                                char **ret_json);
    /* 1.1: one sample of GET /containers/{id}/stats (stream=false,
     * one-shot=true shape: "read" set, "precpu_stats" empty); a stopped
     * container gives zeroed figures as dockerd does. */
    int32_t (*container_stats)(const struct pouch_host *host, const char *id, char **ret_json);
    /* 1.1: GET /containers/{id}/top: ps_args NULL or "" means "-ef";
     * *ret_json {"Titles":[…],"Processes":[[…],…]}. */
    int32_t (*container_top)(const struct pouch_host *host, const char *id, const char *ps_args, char **ret_json);
    /* 1.1: GET /containers/{id}/changes: [{"Path","Kind"}] or null. */
    int32_t (*container_changes)(const struct pouch_host *host, const char *id, char **ret_json);
    /* 1.1: write the container's whole filesystem to out_fd as a tar stream. */
    int32_t (*container_export)(const struct pouch_host *host, const char *id, int32_t out_fd);
    /* 1.1: stat path inside the container: {"name","size","mode","mtime",
     * "linkTarget"} (mode in Go's os.FileMode bits, as X-Docker-Container-
     * Path-Stat carries it). */
    int32_t (*container_path_stat)(const struct pouch_host *host, const char *id, const char *path, char **ret_json);
    /* 1.1: write path (a file or a tree) inside the container to out_fd as a
     * tar stream (GET /containers/{id}/archive). */
    int32_t (*container_archive_get)(const struct pouch_host *host, const char *id, const char *path, int32_t out_fd);
    /* 1.1: extract the tar stream read from in_fd into directory path inside
     * the container (PUT /containers/{id}/archive); options_json
     * {"noOverwriteDirNonDir":bool,"copyUIDGID":bool}. */
    int32_t (*container_archive_put)(const struct pouch_host *host, const char *id, const char *path, int32_t in_fd,
                                     const char *options_json);
    /* 1.1: POST /commit: options_json {"container","repo","tag","comment",
     * "author","pause":bool,"changes":[…],"config":{…}}; *ret_json {"Id"}. */
    int32_t (*container_commit)(const struct pouch_host *host, const char *options_json, char **ret_json);

    /* Exec (1.1). */

    /* 1.1: POST /containers/{id}/exec: config_json is its body;
     * *ret_json {"Id"}. */
    int32_t (*exec_create)(const struct pouch_host *host, const char *id, const char *config_json, char **ret_json);
    /* 1.1: set the exec process up in the runtime and say where its stdio is:
     * *ret_json {"path":"…","tty":bool,"exec":"<exec id>"} (runtime.h: the
     * attach handshake carries "exec"). A started exec: -EBUSY. */
    int32_t (*exec_prepare)(const struct pouch_host *host, const char *exec_id, char **ret_json);
    /* 1.1: start it (preparing it first when exec_prepare was not called). */
    int32_t (*exec_start)(const struct pouch_host *host, const char *exec_id);
    /* 1.1: GET /exec/{id}/json. */
    int32_t (*exec_inspect)(const struct pouch_host *host, const char *exec_id, char **ret_json);
    /* 1.1: POST /exec/{id}/resize. */
    int32_t (*exec_resize)(const struct pouch_host *host, const char *exec_id, int32_t rows, int32_t cols);
} pouch_engine_api;

#define POUCH_ENGINE_HAS(api, m) POUCH_HAS(api, struct pouch_engine_api, m)

#ifdef __cplusplus
}
#endif

#endif
