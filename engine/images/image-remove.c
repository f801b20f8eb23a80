/* Image removal and pruning with dockerd's rules: removing a name only
 * untags unless it was the last one; removing by ID needs -f when several
 * repositories refer to the image; layers go when no image uses them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "image-store.h"
#include "label-filter.h"
#include "reference.h"

static const char *hex_of(const char *digest)
{
    return digest + 7;
}

static bool used_by_container(struct image_store *s, const struct image *img, char *ret_container, size_t cap)
{
    return s->image_used && s->image_used(s->used_user, img->id, ret_container, cap);
}

/* True when name spells the image's ID (full, or a prefix of it). */
static bool names_id(const struct image *img, const char *name)
{
    const char *p = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;
    return reference_is_id_prefix(name) && strncmp(hex_of(img->id), p, strlen(p)) == 0;
}

/* All refs of the image belong to one repository (e.g. a:1 and a:2). */
static bool single_repository(const struct image *img)
{
    char first[600] = "";
    size_t k;
    json_t *r;
    json_array_foreach(img->refs, k, r)
    {
        const char *full = json_string_value(r);
        const char *colon = strrchr(full, ':');
        const char *slash = strrchr(full, '/');
        size_t n = colon && (!slash || colon > slash) ? (size_t)(colon - full) : strlen(full);
        if (!first[0])
            snprintf(first, sizeof(first), "%.*s", (int)n, full);
        else if (strlen(first) != n || strncmp(first, full, n) != 0)
            return false;
    }
    return true;
}

static void untag_all(struct image *img, json_t *report)
{
    json_t *arrays[2] = {img->refs, img->digests};
    for (int a = 0; a < 2; a++) {
        size_t k;
        json_t *r;
        json_array_foreach(arrays[a], k, r)
        {
            char fam[1200];
            image_familiar_ref(json_string_value(r), fam, sizeof(fam));
            json_array_append_new(report, json_pack("{s:s}", "Untagged", fam));
        }
        json_array_clear(arrays[a]);
    }
}

static bool has_children(struct image_store *s, const struct image *img)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i]->parent, img->id) == 0)
            return true;
    return false;
}

/* Drop img from the index and disk; report Deleted for it and its layers. */
static int delete_image(struct image_store *s, struct image *img, json_t *report, uint64_t *reclaimed)
{
    char name[80];
    snprintf(name, sizeof(name), "%s.json", hex_of(img->id));
    if (unlinkat(s->records_fd, name, 0) < 0 && errno != ENOENT)
        return err_set(-errno, "image %s: removing its record: %s", img->id, strerror(errno));
    fsync(s->records_fd);
    json_array_append_new(report, json_pack("{s:s}", "Deleted", img->id));
    for (size_t i = 0; i < img->n_layers; i++)
        img->layers[i]->refs--;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == img) {
            memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
            s->n--;
            break;
        }
    content_delete(&s->content, img->id);
    image_free(img);
    image_gc_layers(s, report, reclaimed);
    return 0;
}

/* Delete img, then (unless noprune) its untagged, childless parents. */
static int delete_with_parents(struct image_store *s, struct image *img, bool noprune, json_t *report)
{
    char parent[DIGEST_LEN];
    snprintf(parent, sizeof(parent), "%s", img->parent);
    int r = delete_image(s, img, report, NULL);
    while (r >= 0 && !noprune && parent[0]) {
        struct image *p = NULL;
        for (size_t i = 0; i < s->n; i++)
            if (strcmp(s->v[i]->id, parent) == 0)
                p = s->v[i];
        if (!p || json_array_size(p->refs) || json_array_size(p->digests) || has_children(s, p) ||
            used_by_container(s, p, NULL, 0))
            break;
        snprintf(parent, sizeof(parent), "%s", p->parent);
        r = delete_image(s, p, report, NULL);
    }
    return r;
}

int image_remove(struct image_store *s, const char *name, bool force, bool noprune, json_t **ret_report)
{
    struct image *img;
    int r = image_lookup(s, name, &img);
    if (r < 0)
        return r;
    json_auto_t *report = json_array();
    char sid[13], container[80] = "";
    image_short_id(img->id, sid);
    bool by_id = names_id(img, name);
    char full[1200];
    /* A hex string that is also a valid tag (e.g. "abc123") is a name when it tags this image. */
    if (by_id && image_normalize_ref(name, full, sizeof(full)) == 0)
        for (size_t k = 0; k < json_array_size(img->refs); k++)
            if (strcmp(json_string_value(json_array_get(img->refs, k)), full) == 0)
                by_id = false;

    if (!by_id) {
        char fam[1200];
        r = image_normalize_ref(name, full, sizeof(full));
        if (r < 0)
            return r;
        if (json_array_size(img->refs) + json_array_size(img->digests) == 1 && !force &&
            used_by_container(s, img, container, sizeof(container))) {
            return err_set(-EBUSY,
                           "conflict: unable to remove repository reference \"%s\" (must force) - container %s is "
                           "using its referenced image %s",
                           name, container, sid);
        }
        image_drop_ref(s, full);
        image_familiar_ref(full, fam, sizeof(fam));
        json_array_append_new(report, json_pack("{s:s}", "Untagged", fam));
        if (json_array_size(img->refs) + json_array_size(img->digests) > 0) {
            r = image_save_repositories(s);
            if (r >= 0)
                *ret_report = json_incref(report);
            return r;
        }
    } else {
        if (!force && json_array_size(img->refs) > 1 && !single_repository(img))
            return err_set(-EBUSY,
                           "conflict: unable to delete %s (must be forced) - image is referenced in multiple "
                           "repositories",
                           sid);
        if (!force && used_by_container(s, img, container, sizeof(container)))
            return err_set(-EBUSY,
                           "conflict: unable to delete %s (must be forced) - image is being used by stopped "
                           "container %s",
                           sid, container);
    }
    if (has_children(s, img))
        return err_set(-EBUSY, "conflict: unable to delete %s (cannot be forced) - image has dependent child images",
                       sid);
    if (used_by_container(s, img, container, sizeof(container)) && !force)
        return err_set(-EBUSY, "conflict: unable to delete %s (must be forced) - image is being used by container %s",
                       sid, container);
    untag_all(img, report);
    r = image_save_repositories(s);
    if (r >= 0)
        r = delete_with_parents(s, img, noprune, report);
    if (r < 0)
        return r;
    *ret_report = json_incref(report);
    return 0;
}

int image_prune(struct image_store *s, bool all, json_t *filters, int64_t until, json_t **ret_report)
{
    json_auto_t *deleted = json_array();
    uint64_t reclaimed = 0;
    bool again = true;
    while (again) {
        again = false;
        for (size_t i = 0; i < s->n; i++) {
            struct image *img = s->v[i];
            bool dangling = json_array_size(img->refs) == 0 && json_array_size(img->digests) == 0;
            if ((!all && !dangling) || used_by_container(s, img, NULL, 0) || has_children(s, img))
                continue;
            if (until > 0 && img->created / 1000000000LL >= until)
                continue;
            if (!labels_match(json_object_get(json_object_get(img->config, "config"), "Labels"), filters))
                continue;
            untag_all(img, deleted);
            int r = delete_image(s, img, deleted, &reclaimed);
            if (r < 0)
                return r;
            again = true;
            break;
        }
    }
    int r = image_save_repositories(s);
    if (r < 0)
        return r;
    *ret_report = json_pack("{s:O, s:I}", "ImagesDeleted", json_array_size(deleted) ? deleted : json_null(),
                            "SpaceReclaimed", (json_int_t)reclaimed);
    return 0;
}
