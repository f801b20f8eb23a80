/* The image store end to end below the API: load a docker save archive
 * built here, list, inspect, tag, untag, remove, prune, save, and load the
 * saved archive into a fresh store with the same image IDs. Also the
 * store's state after a refused archive: exactly as before. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "archive-load.h"
#include "archive-save.h"
#include "error.h"
#include "image-views.h"
#include "import.h"
#include "log.h"
#include "sha256.h"

struct buf {
    char *data;
    size_t len;
};

static la_ssize_t buf_write(struct archive *a, void *user, const void *data, size_t n)
{
    struct buf *b = user;
    b->data = realloc(b->data, b->len + n);
    memcpy(b->data + b->len, data, n);
    b->len += n;
    return (la_ssize_t)n;
}

static int buf_close(struct archive *a, void *user)
{
    return ARCHIVE_OK;
}

/* A tar in memory from (path, content) pairs; content NULL means a directory. */
static struct buf make_tar(const char *const *pairs)
{
    struct buf b = {0};
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open(a, &b, NULL, buf_write, buf_close);
    for (size_t i = 0; pairs[i]; i += 2) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, pairs[i]);
        const char *content = pairs[i + 1];
        archive_entry_set_filetype(e, content ? AE_IFREG : AE_IFDIR);
        archive_entry_set_perm(e, content ? 0644 : 0755);
        archive_entry_set_size(e, content ? (la_int64_t)strlen(content) : 0);
        archive_entry_set_mtime(e, 1700000000, 0);
        archive_write_header(a, e);
        if (content)
            archive_write_data(a, content, strlen(content));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return b;
}

/* Add a file with given bytes to an archive being built with tar_add. */
static void tar_add(struct archive *a, const char *path, const void *data, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_write_header(a, e);
    archive_write_data(a, data, len);
    archive_entry_free(e);
}

/* A legacy docker save archive of one image with two layers. */
static struct buf make_image_archive(const char *tag, const char *label, char *ret_id, int corrupt_layer)
{
    const char *l1[] = {"bin/", NULL, "bin/sh", "#!fake shell\n", "etc/", NULL, "etc/hostname", "base\n", NULL};
    const char *l2[] = {"etc/", NULL, "etc/motd", label, "etc/.wh.hostname", "", NULL};
    struct buf t1 = make_tar(l1), t2 = make_tar(l2);
    char d1[SHA256_DIGEST_STRLEN], d2[SHA256_DIGEST_STRLEN];
    sha256_buffer(t1.data, t1.len, d1);
    sha256_buffer(t2.data, t2.len, d2);
    if (corrupt_layer)
        t2.data[t2.len / 3] ^= 0x55; /* the layer no longer matches its diff_id */
    char config[2048];
    snprintf(config, sizeof(config),
             "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-02T03:04:05Z\","
             "\"config\":{\"Cmd\":[\"sh\"],\"Labels\":{\"test\":\"%s\"}},"
             "\"history\":[{\"created\":\"2024-01-02T03:04:05Z\",\"created_by\":\"ADD base\"},"
             "{\"created\":\"2024-01-02T03:04:05Z\",\"created_by\":\"ADD motd\"}],"
             "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\",\"%s\"]}}",
             label, d1, d2);
    sha256_buffer(config, strlen(config), ret_id);
    char manifest[1024];
    snprintf(manifest, sizeof(manifest),
             "[{\"Config\":\"%s.json\",\"RepoTags\":[\"%s\"],\"Layers\":[\"l1/layer.tar\",\"l2/layer.tar\"]}]",
             ret_id + 7, tag);

    struct buf out = {0};
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_open(a, &out, NULL, buf_write, buf_close);
    char cfgname[100];
    snprintf(cfgname, sizeof(cfgname), "%s.json", ret_id + 7);
    tar_add(a, cfgname, config, strlen(config));
    tar_add(a, "l1/layer.tar", t1.data, t1.len);
    tar_add(a, "l2/layer.tar", t2.data, t2.len);
    tar_add(a, "manifest.json", manifest, strlen(manifest));
    archive_write_close(a);
    archive_write_free(a);
    free(t1.data);
    free(t2.data);
    return out;
}

/* An fd reading the buffer (a memfd). */
static int buf_fd(const struct buf *b)
{
    int fd = memfd_create("archive", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b->data, b->len), (ssize_t)b->len);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static char root[64];

static int setup(void **state)
{
    snprintf(root, sizeof(root), "/tmp/pouch-test-images-XXXXXX");
    assert_non_null(mkdtemp(root));
    struct image_store *s;
    assert_int_equal(image_store_open(root, &s), 0);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    image_store_free(*state);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd);
}

static int load(struct image_store *s, const struct buf *b)
{
    int fd = buf_fd(b);
    json_t *loaded = NULL;
    int r = archive_load(s, fd, NULL, NULL, &loaded);
    json_decref(loaded);
    close(fd);
    return r;
}

static int count_files(const char *sub)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "find '%s/%s' -mindepth 1 | wc -l", root, sub);
    FILE *p = popen(cmd, "r");
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static void load_list_inspect(void **state)
{
    struct image_store *s = *state;
    char id[SHA256_DIGEST_STRLEN];
    struct buf a = make_image_archive("busybox:test", "one", id, 0);
    assert_int_equal(load(s, &a), 0);
    free(a.data);

    json_t *list = NULL;
    json_t *opts = json_object();
    assert_int_equal(image_view_list(s, opts, &list), 0);
    assert_int_equal(json_array_size(list), 1);
    json_t *e = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(e, "Id")), id);
    assert_string_equal(json_string_value(json_array_get(json_object_get(e, "RepoTags"), 0)), "busybox:test");
    json_decref(list);
    json_decref(opts);

    json_t *insp = NULL;
    assert_int_equal(image_view_inspect(s, "busybox:test", &insp), 0);
    assert_string_equal(json_string_value(json_object_get(insp, "Id")), id);
    assert_int_equal(json_array_size(json_object_get(json_object_get(insp, "RootFS"), "Layers")), 2);
    const char *upper =
        json_string_value(json_object_get(json_object_get(json_object_get(insp, "GraphDriver"), "Data"), "UpperDir"));
    assert_non_null(upper);
    /* the whiteout of the upper layer became an overlay whiteout (char 0/0) */
    char path[512];
    snprintf(path, sizeof(path), "%s/etc/hostname", upper);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(st.st_rdev, 0);
    json_decref(insp);

    /* short ID and full ID find it too */
    struct image *img;
    char shortid[13];
    snprintf(shortid, sizeof(shortid), "%s", id + 7);
    assert_int_equal(image_lookup(s, shortid, &img), 0);
    assert_int_equal(image_lookup(s, id, &img), 0);
    assert_int_equal(image_lookup(s, "busybox", &img), -ENOENT); /* :latest is not tagged */
    assert_non_null(strstr(err_get(), "No such image: busybox"));
}

static void tag_untag_remove(void **state)
{
    struct image_store *s = *state;
    char id[SHA256_DIGEST_STRLEN];
    struct buf a = make_image_archive("app:1", "two", id, 0);
    assert_int_equal(load(s, &a), 0);
    free(a.data);
    assert_int_equal(image_tag(s, "app:1", "other/app:2"), 0);
    struct image *img;
    assert_int_equal(image_lookup(s, "docker.io/other/app:2", &img), 0);

    json_t *report = NULL;
    /* by ID with tags in two repositories needs force */
    assert_int_equal(image_remove(s, id, false, false, &report), -EBUSY);
    assert_non_null(strstr(err_get(), "referenced in multiple repositories"));
    /* by name: only untags */
    assert_int_equal(image_remove(s, "other/app:2", false, false, &report), 0);
    assert_int_equal(json_array_size(report), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(report, 0), "Untagged")), "other/app:2");
    json_decref(report);
    assert_int_equal(image_lookup(s, id, &img), 0);
    /* the last tag: untag and delete, layers too */
    assert_int_equal(image_remove(s, "app:1", false, false, &report), 0);
    assert_int_equal(json_array_size(report), 1 + 1 + 2);
    json_decref(report);
    assert_int_equal(image_lookup(s, id, &img), -ENOENT);
    assert_int_equal(count_files("images/layers"), 0);
    assert_int_equal(count_files("images/records"), 0);
    assert_int_equal(count_files("images/blobs/sha256"), 0);
}

static void corrupt_layer_leaves_store_unchanged(void **state)
{
    struct image_store *s = *state;
    char id[SHA256_DIGEST_STRLEN];
    struct buf good = make_image_archive("keep:1", "three", id, 0);
    assert_int_equal(load(s, &good), 0);
    free(good.data);
    int layers = count_files("images/layers"), blobs = count_files("images/blobs/sha256");

    struct buf bad = make_image_archive("bad:1", "four", id, 1);
    assert_int_not_equal(load(s, &bad), 0);
    free(bad.data);
    assert_int_equal(count_files("images/layers"), layers);
    assert_int_equal(count_files("images/blobs/sha256"), blobs);
    assert_int_equal(count_files("images/tmp") - count_files("images/tmp/blobs"), 1); /* only the blobs dir */
    struct image *img;
    assert_int_equal(image_lookup(s, "bad:1", &img), -ENOENT);
    assert_int_equal(s->n, 1);
}

static void save_and_reload_keeps_ids(void **state)
{
    struct image_store *s = *state;
    char id1[SHA256_DIGEST_STRLEN], id2[SHA256_DIGEST_STRLEN];
    struct buf a = make_image_archive("one:1", "five", id1, 0), b = make_image_archive("two:2", "six", id2, 0);
    assert_int_equal(load(s, &a), 0);
    assert_int_equal(load(s, &b), 0);
    free(a.data);
    free(b.data);

    int out = memfd_create("saved", MFD_CLOEXEC);
    json_t *names = json_pack("[s, s]", "one:1", "two:2"), *ids = NULL;
    assert_int_equal(archive_save(s, names, out, &ids), 0);
    json_decref(names);
    json_decref(ids);

    /* a second, empty store loads it back */
    char root2[80];
    snprintf(root2, sizeof(root2), "%s/second", root);
    mkdir(root2, 0700);
    struct image_store *s2;
    assert_int_equal(image_store_open(root2, &s2), 0);
    lseek(out, 0, SEEK_SET);
    json_t *loaded = NULL;
    assert_int_equal(archive_load(s2, out, NULL, NULL, &loaded), 0);
    json_decref(loaded);
    close(out);
    struct image *img;
    assert_int_equal(image_lookup(s2, "one:1", &img), 0);
    assert_string_equal(img->id, id1);
    assert_int_equal(image_lookup(s2, "two:2", &img), 0);
    assert_string_equal(img->id, id2);
    /* the base layer is shared between both images */
    assert_int_equal(s2->layers.n, 3);
    image_store_free(s2);
}

static void store_survives_reopen(void **state)
{
    struct image_store *s = *state;
    char id[SHA256_DIGEST_STRLEN];
    struct buf a = make_image_archive("persist:1", "seven", id, 0);
    assert_int_equal(load(s, &a), 0);
    free(a.data);
    image_store_free(s);
    assert_int_equal(image_store_open(root, &s), 0);
    *state = s;
    assert_int_equal(s->n, 1);
    assert_int_equal(json_array_size(s->v[0]->refs), 1);
    struct image *img;
    assert_int_equal(image_lookup(s, "persist:1", &img), 0);
    assert_string_equal(img->id, id);
    assert_int_equal(img->n_layers, 2);
}

static void prune_dangling(void **state)
{
    struct image_store *s = *state;
    char id[SHA256_DIGEST_STRLEN], id2[SHA256_DIGEST_STRLEN];
    struct buf a = make_image_archive("dang:1", "eight", id, 0), b = make_image_archive("dang:1", "nine", id2, 0);
    assert_int_equal(load(s, &a), 0);
    assert_int_equal(load(s, &b), 0); /* takes the tag; the first becomes dangling */
    free(a.data);
    free(b.data);
    json_t *report = NULL;
    assert_int_equal(image_prune(s, false, NULL, 0, &report), 0);
    json_t *deleted = json_object_get(report, "ImagesDeleted");
    assert_string_equal(json_string_value(json_object_get(json_array_get(deleted, 0), "Deleted")), id);
    json_decref(report);
    assert_int_equal(s->n, 1);
}

static void import_with_changes(void **state)
{
    struct image_store *s = *state;
    const char *files[] = {"bin/", NULL, "bin/true", "x", NULL};
    struct buf t = make_tar(files);
    int fd = buf_fd(&t);
    json_t *opts = json_pack("{s:s, s:s, s:[s, s, s, s]}", "repo", "imported", "tag", "v1", "changes",
                             "CMD [\"/bin/true\"]", "ENV A=1 B=\"two words\"", "EXPOSE 80 53/udp", "LABEL k=v");
    char id[DIGEST_LEN];
    assert_int_equal(image_import(s, fd, opts, id), 0);
    close(fd);
    free(t.data);
    json_decref(opts);
    struct image *img;
    assert_int_equal(image_lookup(s, "imported:v1", &img), 0);
    json_t *c = json_object_get(img->config, "config");
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "Cmd"), 0)), "/bin/true");
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "Env"), 1)), "B=two words");
    assert_non_null(json_object_get(json_object_get(c, "ExposedPorts"), "80/tcp"));
    assert_non_null(json_object_get(json_object_get(c, "ExposedPorts"), "53/udp"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "Labels"), "k")), "v");

    json_t *cfg = json_object();
    assert_int_equal(import_apply_change(cfg, "ADD x y"), -EINVAL);
    assert_non_null(strstr(err_get(), "add is not a valid change command"));
    json_decref(cfg);
}

int main(void)
{
    log_set_level(POUCH_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(load_list_inspect, setup, teardown),
        cmocka_unit_test_setup_teardown(tag_untag_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupt_layer_leaves_store_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(save_and_reload_keeps_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(store_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(prune_dangling, setup, teardown),
        cmocka_unit_test_setup_teardown(import_with_changes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
