/* Label filter matching (see label-filter.h). Pure; never allocates. */
#include "label-filter.h"

#include <stdio.h>
#include <string.h>

static bool one(json_t *labels, const char *expr)
{
    const char *eq = strchr(expr, '=');
    char key[512];
    snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - expr) : (int)strlen(expr), expr);
    json_t *v = json_object_get(labels, key);
    return v && (!eq || (json_is_string(v) && strcmp(json_string_value(v), eq + 1) == 0));
}

bool labels_match(json_t *labels, json_t *filters)
{
    const char *keys[2] = {"label", "label!"};
    for (int neg = 0; neg < 2; neg++) {
        const char *expr;
        json_t *unused;
        json_object_foreach(json_object_get(filters, keys[neg]), expr, unused)
        {
            if (one(labels, expr) == (neg == 1))
                return false;
        }
    }
    return true;
}
