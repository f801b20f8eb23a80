/* Shared state of the moby-api frontend: listeners, requests, event streams.
 * Internal to this plugin; it must never include an engine header, only the
 * public ABI in plugin-api/include/pouch. */
#ifndef MOBY_API_H
#define MOBY_API_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <microhttpd.h>
#include <pouch/engine.h>
#include <pouch/host.h>

#include "router.h"

#ifndef MOBY_API_PLUGIN_VERSION
#define MOBY_API_PLUGIN_VERSION "0.0.0"
#endif

/* Largest request body a handler gets in memory; larger is a 413. */
#define MOBY_API_BODY_MAX (16u * 1024 * 1024)

enum listen_kind { LISTEN_UNIX, LISTEN_TCP };

struct listen_spec {
    enum listen_kind kind;
    char uri[512];  /* as configured, for messages */
    char path[108]; /* unix: socket path */
    char host[256]; /* tcp: address without brackets, "" = every address */
    char port[8];   /* tcp */
};

struct listener {
    struct listen_spec spec;
    int fd;
    bool tls;
    dev_t dev; /* of the socket file we created, so stop removes only ours */
    ino_t ino;
    bool created;
    struct MHD_Daemon *mhd;
    struct server *srv;
};

struct event_stream;

struct server {
    const pouch_host *host;
    char *socket_group;
    bool tls, tlsverify, debug;
    char *tls_key, *tls_cert, *tls_ca; /* PEM text, loaded at init */
    struct listener *listeners;
    size_t n_listeners;

    pthread_mutex_t lock; /* guards streams and stopping */
    struct event_stream *streams;
    size_t n_streams;
    bool stopping;
    bool started;
};

struct request {
    struct server *srv;
    struct listener *lst;
    struct MHD_Connection *conn;
    const char *method;
    char *url;
    struct route_result route;
    char *body;
    size_t body_len;
    bool body_too_large;
    bool responded;
    unsigned status;
    /* ROUTE_STREAM routes */
    int phase;                             /* 0 before the body, 1 after it */
    int body_fd;                           /* where body chunks go (a pipe), -1 when none */
    void *job;                             /* the handler's own state */
    void (*job_free)(struct request *req); /* called once the request is over */
};

/* listen.c */
int listen_spec_parse(const char *uri, bool tls, struct listen_spec *ret, char **ret_msg);
int listener_open(struct server *srv, struct listener *l);
void listener_remove_socket(struct listener *l);

/* http.c */
extern const struct route moby_routes[];
extern const size_t moby_routes_n;
enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls);
void http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe);
void http_common_headers(struct MHD_Response *resp);
int http_queue(struct request *req, unsigned status, struct MHD_Response *resp);
int http_send_json(struct request *req, unsigned status, const json_t *body);
int http_send_error(struct request *req, unsigned status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int http_send_errno(struct request *req, int err);
unsigned http_status_for_errno(int err);
/* First value of query parameter key, percent-decoded (NULL when absent).
 * malloc'd. */
char *http_query(struct request *req, const char *key);

/* The last engine JSON text and its Go-style rendering, for hot list
 * endpoints whose engine answer repeats while nothing changes. */
struct render_cache {
    pthread_mutex_t lock;
    char *in, *out;
    size_t out_len;
};
/* Send engine JSON text (borrowed) as a 200, rendered as Go would, reusing
 * cache when the text is the same as last time. */
int http_send_engine_json(struct request *req, struct render_cache *cache, const char *text);

/* All values of query parameter key, percent-decoded, as a JSON array. */
json_t *http_query_all(struct request *req, const char *key);
/* Query parameter as a boolean the way dockerd's httputils.BoolValue reads
 * it: "", "0", "no", "false", "none" are false, anything else true. */
bool http_query_bool(struct request *req, const char *key);

/* images.c */
int handle_images_load(struct request *req);
int handle_images_save_one(struct request *req);
int handle_images_save_many(struct request *req);
int handle_images_create(struct request *req);
int handle_images_list(struct request *req);
int handle_images_inspect(struct request *req);
int handle_images_history(struct request *req);
int handle_images_tag(struct request *req);
int handle_images_delete(struct request *req);
int handle_images_prune(struct request *req);
int handle_system_df(struct request *req);

/* system.c */
int handle_ping(struct request *req);
int handle_version(struct request *req);
int handle_info(struct request *req);

/* events.c */
int handle_events(struct request *req);
void events_stop_all(struct server *srv);

/* containers-parse.c: pure parsing for the /containers endpoints */
/* strconv.Atoi: 0, or -EINVAL/-ERANGE with Go's message in msg. */
int go_atoi(const char *text, long long *ret, char *msg, size_t cap);
/* Locate the first JSON value in buf as Go's json.Decoder reads it; on a
 * syntax error returns -EINVAL (-ENODATA when empty: "EOF") with Go's
 * message in msg. */
int go_json_first_value(const char *buf, size_t len, size_t *ret_start, size_t *ret_end, char *msg, size_t cap);
/* "KILL", "SIGkill", "9", "RTMIN+3" -> signal number; -EINVAL otherwise. */
int container_signal_parse(const char *text, int *ret_sig);
#define DETACH_KEYS_MAX 32
#define DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"
/* "ctrl-p,ctrl-q" -> bytes; -EINVAL on an unknown key. */
int detach_keys_parse(const char *text, unsigned char *buf, size_t cap, size_t *ret_len);
struct escape_matcher {
    unsigned char keys[DETACH_KEYS_MAX];
    size_t n_keys; /* 0: never detaches */
    size_t matched;
};
/* Filter stdin bytes; out must hold len + DETACH_KEYS_MAX bytes. Returns the
 * bytes to forward; *ret_detached when the sequence completed (the rest of
 * in is dropped). */
size_t escape_feed(struct escape_matcher *m, const unsigned char *in, size_t len, unsigned char *out,
                   bool *ret_detached);
/* dockerd's tail: "all", "", junk or negative -> -1, else N. */
int64_t logs_tail_parse(const char *text);

/* containers.c */
int handle_containers_create(struct request *req);
int handle_containers_start(struct request *req);
int handle_containers_stop(struct request *req);
int handle_containers_restart(struct request *req);
int handle_containers_kill(struct request *req);
int handle_containers_wait(struct request *req);
int handle_containers_delete(struct request *req);
int handle_containers_rename(struct request *req);
int handle_containers_prune(struct request *req);
int handle_containers_list(struct request *req);
int handle_containers_inspect(struct request *req);
int handle_containers_resize(struct request *req);

/* containers-logs.c */
int handle_containers_logs(struct request *req);

/* containers-attach.c */
int handle_containers_attach(struct request *req);
/* End srv's hijacked attach sessions and wait for them; call before
 * MHD_stop_daemon, which neither waits for nor wakes upgraded connections. */
void attach_stop_all(struct server *srv);

#endif
