/* Builds an image from a rootfs tarball: the stream is stored as a blob
 * first (so `docker save` can reproduce it byte for byte), then unpacked
 * from the blob under the same hostile-input rules as any layer. */
#include "import.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build-config.h"
#include "cleanup.h"
#include "error.h"
#include "layer-unpack.h"
#include "sysinfo.h"

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* Split on whitespace with double/single quotes and backslash escapes, as
 * the Dockerfile parser does for ENV/LABEL words. */
static json_t *split_words(const char *s)
{
    json_t *words = json_array();
    char buf[4096];
    size_t n = 0;
    bool in_word = false;
    char quote = 0;
    for (const char *p = s;; p++) {
        char c = *p;
        if (c == '\0' || (!quote && isspace((unsigned char)c))) {
            if (in_word) {
                buf[n] = '\0';
                json_array_append_new(words, json_string(buf));
            }
            n = 0;
            in_word = false;
            if (c == '\0')
                break;
            continue;
        }
        in_word = true;
        if (quote && c == quote) {
            quote = 0;
            continue;
        }
        if (!quote && (c == '"' || c == '\'')) {
            quote = c;
            continue;
        }
        if (c == '\\' && p[1] && quote != '\'')
            c = *++p;
        if (n < sizeof(buf) - 1)
            buf[n++] = c;
    }
    return words;
}

/* CMD/ENTRYPOINT: JSON array form, else shell form /bin/sh -c "…". */
static json_t *command_value(const char *args)
{
    json_error_t jerr;
    json_t *arr = json_loads(args, JSON_DECODE_ANY, &jerr);
    if (json_is_array(arr)) {
        size_t i;
        json_t *v;
        bool ok = true;
        json_array_foreach(arr, i, v) ok &= json_is_string(v);
        if (ok)
            return arr;
    }
    json_decref(arr);
    return json_pack("[s, s, s]", "/bin/sh", "-c", args);
}

/* KEY=VALUE pairs (several allowed) or the old "KEY VALUE" form. */
static int key_values(const char *instr, const char *args, json_t *out_obj, json_t *out_env)
{
    json_auto_t *words = split_words(args);
    if (json_array_size(words) == 0)
        return err_set(-EINVAL, "%s requires at least one argument", instr);
    const char *first = json_string_value(json_array_get(words, 0));
    if (!strchr(first, '=')) {
        /* legacy form: the first word is the key, the rest of the line the value */
        const char *rest = args;
        while (*rest && isspace((unsigned char)*rest))
            rest++;
        rest += strlen(first);
        _cleanup_free_ char *value = strdup(rest);
        char *v = trim(value);
        if (!*v && out_env)
            return err_set(-EINVAL, "ENV names can not be blank");
        if (out_env) {
            char kv[8192];
            snprintf(kv, sizeof(kv), "%s=%s", first, v);
            json_array_append_new(out_env, json_string(kv));
        } else {
            json_object_set_new(out_obj, first, json_string(v));
        }
        return 0;
    }
    size_t i;
    json_t *w;
    json_array_foreach(words, i, w)
    {
        const char *kv = json_string_value(w);
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv)
            return err_set(-EINVAL, "Syntax error - can't find = in \"%s\". Must be of the form: name=value", kv);
        if (out_env) {
            /* a later ENV of the same name replaces the earlier one */
            size_t klen = (size_t)(eq - kv) + 1;
            for (size_t k = 0; k < json_array_size(out_env); k++)
                if (strncmp(json_string_value(json_array_get(out_env, k)), kv, klen) == 0) {
                    json_array_remove(out_env, k);
                    break;
                }
            json_array_append_new(out_env, json_string(kv));
        } else {
            char key[1024];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
            json_object_set_new(out_obj, key, json_string(eq + 1));
        }
    }
    return 0;
}

static json_t *obj_field(json_t *config, const char *key)
{
    json_t *o = json_object_get(config, key);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(config, key, o);
    }
    return o;
}

int import_apply_change(json_t *config, const char *change)
{
    _cleanup_free_ char *copy = strdup(change ? change : "");
    char *line = trim(copy);
    char *sp = line;
    while (*sp && !isspace((unsigned char)*sp))
        sp++;
    char instr[32];
    snprintf(instr, sizeof(instr), "%.*s", (int)(sp - line), line);
    for (char *p = instr; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    char *args = trim(sp);
    if (!instr[0])
        return err_set(-EINVAL, "empty change: give an instruction such as CMD, ENV or LABEL");

    if (!strcmp(instr, "CMD") || !strcmp(instr, "ENTRYPOINT")) {
        json_object_set_new(config, !strcmp(instr, "CMD") ? "Cmd" : "Entrypoint", command_value(args));
        return 0;
    }
    if (!*args)
        return err_set(-EINVAL, "%s requires at least one argument", instr);
    if (!strcmp(instr, "ENV")) {
        json_t *env = json_object_get(config, "Env");
        if (!json_is_array(env)) {
            env = json_array();
            json_object_set_new(config, "Env", env);
        }
        return key_values(instr, args, NULL, env);
    }
    if (!strcmp(instr, "LABEL"))
        return key_values(instr, args, obj_field(config, "Labels"), NULL);
    if (!strcmp(instr, "WORKDIR")) {
        json_object_set_new(config, "WorkingDir", json_string(args));
        return 0;
    }
    if (!strcmp(instr, "USER")) {
        json_object_set_new(config, "User", json_string(args));
        return 0;
    }
    if (!strcmp(instr, "STOPSIGNAL")) {
        json_object_set_new(config, "StopSignal", json_string(args));
        return 0;
    }
    if (!strcmp(instr, "EXPOSE") || !strcmp(instr, "VOLUME")) {
        bool expose = !strcmp(instr, "EXPOSE");
        json_t *target = obj_field(config, expose ? "ExposedPorts" : "Volumes");
        json_auto_t *words = expose ? split_words(args) : command_value(args);
        if (!expose && json_array_size(words) == 3 && !strcmp(json_string_value(json_array_get(words, 0)), "/bin/sh")) {
            json_decref(words);
            words = split_words(args);
        }
        size_t i;
        json_t *w;
        json_array_foreach(words, i, w)
        {
            const char *v = json_string_value(w);
            char key[256];
            if (expose) {
                char *end;
                long port = strtol(v, &end, 10);
                if (end == v || port < 1 || port > 65535 || (*end && *end != '/'))
                    return err_set(-EINVAL, "invalid containerPort: %s", v);
                snprintf(key, sizeof(key), "%s%s", v, *end ? "" : "/tcp");
            } else {
                snprintf(key, sizeof(key), "%s", v);
            }
            json_object_set_new(target, key, json_object());
        }
        return 0;
    }
    if (!strcmp(instr, "ONBUILD")) {
        json_t *ob = json_object_get(config, "OnBuild");
        if (!json_is_array(ob)) {
            ob = json_array();
            json_object_set_new(config, "OnBuild", ob);
        }
        json_array_append_new(ob, json_string(args));
        return 0;
    }
    for (char *p = instr; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return err_set(-EINVAL, "%s is not a valid change command", instr);
}

static json_t *empty_container_config(void)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:n, s:n, s:s, s:n, s:s, s:n, s:n, s:n}",
                     "Hostname", "", "Domainname", "", "User", "", "AttachStdin", 0, "AttachStdout", 0, "AttachStderr",
                     0, "Tty", 0, "OpenStdin", 0, "StdinOnce", 0, "Env", "Cmd", "Image", "", "Volumes", "WorkingDir",
                     "", "Entrypoint", "OnBuild", "Labels");
}

static void now_rfc3339(char *buf, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%09ldZ", ts.tv_nsec);
}

static const char *go_arch(void)
{
    const char *m = sysinfo_arch();
    if (!strcmp(m, "x86_64"))
        return "amd64";
    if (!strcmp(m, "aarch64"))
        return "arm64";
    return m;
}

int image_import(struct image_store *s, int in_fd, json_t *options, char *ret_id)
{
    const char *repo = json_string_value(json_object_get(options, "repo"));
    const char *tag = json_string_value(json_object_get(options, "tag"));
    const char *message = json_string_value(json_object_get(options, "message"));
    const char *source = json_string_value(json_object_get(options, "source"));
    json_auto_t *refs = json_array();
    if (repo && *repo) {
        char name[1200], full[1200];
        snprintf(name, sizeof(name), "%s%s%s", repo, tag && *tag ? ":" : "", tag && *tag ? tag : "");
        int r = image_normalize_ref(name, full, sizeof(full));
        if (r < 0)
            return r;
        json_array_append_new(refs, json_string(full));
    }
    json_auto_t *config = empty_container_config();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(options, "changes"), i, c)
    {
        int r = json_is_string(c) ? import_apply_change(config, json_string_value(c))
                                  : err_set(-EINVAL, "changes must be strings");
        if (r < 0)
            return r;
    }

    /* Store the stream as it came, then unpack from the stored blob. */
    char blob[DIGEST_LEN];
    int r = content_put_fd(&s->content, in_fd, NULL, blob, NULL);
    if (r < 0)
        return r;
    _cleanup_close_ int blob_fd = content_open(&s->content, blob);
    if (blob_fd < 0)
        return blob_fd;
    struct image_layer_in layer = {0};
    _cleanup_close_ int dir_fd = -1;
    r = layer_stage_dir(&s->layers, &layer.stage, &dir_fd);
    if (r < 0)
        return r;
    struct layer_policy policy = s->policy;
    policy.label = "imported root filesystem";
    struct layer_result res;
    r = layer_unpack(blob_fd, dir_fd, &policy, &res);
    if (r >= 0) {
        snprintf(layer.diff_id, sizeof(layer.diff_id), "%s", res.diff_id);
        snprintf(layer.blob, sizeof(layer.blob), "%s", blob);
        layer.size = res.unpacked_size;

        char created[64], comment[512];
        now_rfc3339(created, sizeof(created));
        if (message && *message)
            snprintf(comment, sizeof(comment), "%s", message);
        else
            snprintf(comment, sizeof(comment), "Imported from %s", source && *source ? source : "-");
        json_auto_t *img =
            json_pack("{s:s, s:s, s:O, s:O, s:s, s:s, s:[{s:s, s:s}], s:s, s:{s:s, s:[s]}}", "architecture", go_arch(),
                      "comment", comment, "config", config, "container_config", config, "created", created,
                      "docker_version", "pouch-" POUCH_VERSION, "history", "created", created, "comment", comment, "os",
                      "linux", "rootfs", "type", "layers", "diff_ids", res.diff_id);
        _cleanup_free_ char *text = img ? json_dumps(img, JSON_COMPACT) : NULL;
        if (!text)
            r = err_set(-ENOMEM, "docker import: out of memory");
        if (r >= 0) {
            image_store_wrlock(s);
            r = image_store_add(s, text, strlen(text), &layer, 1, refs, NULL, ret_id);
            pthread_rwlock_unlock(&s->lock);
        }
    }
    if (layer.stage) {
        layer_stage_discard(&s->layers, layer.stage);
        free(layer.stage);
    }
    {
        /* A failed import, or one whose layer existed already (the same tree
         * compressed differently), leaves our blob used by no layer. */
        image_store_wrlock(s);
        bool used = false;
        for (size_t k = 0; k < s->layers.n; k++)
            used |= strcmp(s->layers.v[k]->blob, blob) == 0;
        if (!used)
            content_delete(&s->content, blob);
        pthread_rwlock_unlock(&s->lock);
    }
    return r;
}
