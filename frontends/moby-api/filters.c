/* The filters query parameter every Moby list endpoint takes, parsed into
 * dockerd's map form. Input comes from the network: shapes are checked
 * before use and nothing here trusts a length it has not measured. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "filters.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

static int fail(char **ret_msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **ret_msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (ret_msg && vasprintf(ret_msg, fmt, ap) < 0)
        *ret_msg = NULL;
    va_end(ap);
    return -EINVAL;
}

static bool known_key(const char *const *keys, size_t n_keys, const char *key)
{
    if (!keys)
        return true;
    for (size_t i = 0; i < n_keys; i++)
        if (strcmp(keys[i], key) == 0)
            return true;
    return false;
}

/* One field's values, either {"v":bool,...} or the legacy ["v",...], as a
 * fresh map-form object; NULL when the shape is wrong. */
static json_t *field_values(json_t *val)
{
    _cleanup_json_ json_t *out = json_object();
    if (!out)
        return NULL;
    if (json_is_null(val))
        return TAKE_PTR(out);
    if (json_is_object(val)) {
        const char *k;
        json_t *b;
        json_object_foreach(val, k, b)
        {
            if (!json_is_boolean(b))
                return NULL;
            json_object_set(out, k, b);
        }
        return TAKE_PTR(out);
    }
    if (json_is_array(val)) {
        size_t i;
        json_t *s;
        json_array_foreach(val, i, s)
        {
            if (!json_is_string(s))
                return NULL;
            json_object_set_new(out, json_string_value(s), json_true());
        }
        return TAKE_PTR(out);
    }
    return NULL;
}

int filters_parse(const char *text, const char *const *keys, size_t n_keys, json_t **ret, char **ret_msg)
{
    if (ret_msg)
        *ret_msg = NULL;
    _cleanup_json_ json_t *fields = json_object();
    if (!fields)
        return -ENOMEM;
    if (text && *text) {
        json_error_t jerr;
        _cleanup_json_ json_t *root = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        if (!root)
            return fail(ret_msg,
                        "invalid filters: %s (at character %d); expected JSON like {\"type\":{\"container\":true}}",
                        jerr.text, jerr.position);
        /* dockerd accepts null as "no filters". */
        if (!json_is_null(root) && !json_is_object(root))
            return fail(ret_msg, "invalid filters: expected a JSON object like {\"type\":{\"container\":true}}");
        const char *key;
        json_t *val;
        json_object_foreach(root, key, val)
        {
            if (!known_key(keys, n_keys, key))
                return fail(ret_msg, "invalid filter '%s'", key);
            json_t *vals = field_values(val);
            if (!vals)
                return fail(ret_msg,
                            "invalid filters: the value of '%s' must be an object of booleans or a list of strings",
                            key);
            json_object_set_new(fields, key, vals);
        }
    }
    *ret = TAKE_PTR(fields);
    return 0;
}
