/* Unit tests of docker cp's filesystem view (archive-view.c, archive-tar.c,
 * archive-extract.c) and of docker diff's upper-dir walk (changes.c), on a
 * scratch directory standing in for a container root with hostile symlinks. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctr-fs.h"
#include "error.h"
#include "userns.h"

struct fx {
    char base[64], root[96], outside[96];
    int root_fd;
    struct fs_view v;
};

static void put(const char *dir, const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    FILE *f = fopen(p, "we");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void ln(const char *dir, const char *rel, const char *target)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    assert_int_equal(symlink(target, p), 0);
}

static void md(const char *dir, const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

/* base/root: etc/passwd, d/f, d/abs -> /etc, d/rel -> ../etc, d/up -> ../../..,
 * d/loop -> loop2, loop2 -> d/loop; base/outside/secret */
static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->base, sizeof(f->base), "/tmp/pouch-test-archive-XXXXXX");
    assert_non_null(mkdtemp(f->base));
    snprintf(f->root, sizeof(f->root), "%s/root", f->base);
    snprintf(f->outside, sizeof(f->outside), "%s/outside", f->base);
    assert_int_equal(mkdir(f->root, 0755), 0);
    assert_int_equal(mkdir(f->outside, 0755), 0);
    put(f->outside, "secret", "host secret\n");
    md(f->root, "etc");
    put(f->root, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    md(f->root, "d");
    put(f->root, "d/f", "hi\n");
    ln(f->root, "d/abs", "/etc");
    ln(f->root, "d/rel", "../etc");
    ln(f->root, "d/up", "../../..");
    ln(f->root, "d/out", "../../outside");
    ln(f->root, "d/loop", "/loop2");
    ln(f->root, "loop2", "/d/loop");
    f->root_fd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_true(f->root_fd >= 0);
    f->v.root_fd = f->root_fd;
    *state = f;
    return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(p);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    fs_view_free(&f->v);
    close(f->root_fd);
    nftw(f->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static char *resolved(struct fx *f, const char *path, unsigned flags, int *ret_err)
{
    char *p = NULL;
    int fd = -1;
    *ret_err = fs_resolve(&f->v, path, flags, &fd, &p);
    if (fd >= 0)
        close(fd);
    return p;
}

static void symlinks_stay_inside(void **state)
{
    struct fx *f = *state;
    int r;
    char *p = resolved(f, "/d/abs/passwd", 0, &r);
    assert_int_equal(r, 0);
    assert_string_equal(p, "/etc/passwd");
    free(p);
    p = resolved(f, "d/rel/./passwd", 0, &r);
    assert_string_equal(p, "/etc/passwd");
    free(p);
    /* ../../.. and a link to ../../outside climb no higher than the root */
    p = resolved(f, "/d/up/etc/passwd", 0, &r);
    assert_int_equal(r, 0);
    assert_string_equal(p, "/etc/passwd");
    free(p);
    p = resolved(f, "/d/out/secret", 0, &r);
    assert_int_equal(r, -ENOENT);
    free(p);
    p = resolved(f, "/../../outside/secret", 0, &r);
    assert_int_equal(r, -ENOENT);
    free(p);
    /* the last component is not followed unless asked */
    p = resolved(f, "/d/abs", 0, &r);
    assert_string_equal(p, "/d/abs");
    free(p);
    p = resolved(f, "/d/abs", FS_FOLLOW_LAST, &r);
    assert_string_equal(p, "/etc");
    free(p);
    p = resolved(f, "/d/loop/x", 0, &r);
    assert_int_equal(r, -ELOOP);
    free(p);
    p = resolved(f, "/d/f/x", 0, &r);
    assert_int_equal(r, -ENOTDIR);
    free(p);
    /* linkTarget of a dangling link: joined lexically, as dockerd does */
    p = resolved(f, "/d/out", FS_FOLLOW_LAST | FS_LEXICAL_REST, &r);
    assert_int_equal(r, 0);
    assert_string_equal(p, "/outside");
    free(p);
}

static void mounts_map_to_sources(void **state)
{
    struct fx *f = *state;
    assert_int_equal(fs_view_add_mount(&f->v, "/data/", f->outside, true), 0);
    md(f->root, "data");
    int r;
    char *p = resolved(f, "/d/abs/../data/secret", 0, &r);
    assert_int_equal(r, 0);
    assert_string_equal(p, "/data/secret");
    free(p);
    assert_non_null(fs_view_mount_of(&f->v, "/data/secret"));
    assert_null(fs_view_mount_of(&f->v, "/database"));
    json_t *st = NULL;
    assert_int_equal(fs_path_stat(&f->v, "/data/secret", &st), 0);
    assert_int_equal(json_integer_value(json_object_get(st, "size")), 12);
    json_decref(st);
    /* a read-only mount refuses extraction with dockerd's message */
    int fd = memfd_create("t", MFD_CLOEXEC);
    struct fs_extract_opts o = {.chown_uid = -1, .chown_gid = -1, .container_name = "c"};
    assert_int_equal(fs_extract(&f->v, "/data", fd, &o), -EROFS);
    assert_string_equal(err_get(), "mounted volume is marked read-only");
    close(fd);
}

static void go_modes(void **state)
{
    (void)state;
    assert_int_equal(fs_go_mode(S_IFDIR | 0755), 2147484141u);
    assert_int_equal(fs_go_mode(S_IFLNK | 0777), 134218239u);
    assert_int_equal(fs_go_mode(S_IFREG | 0644), 420u);
    assert_int_equal(fs_go_mode(S_IFREG | S_ISUID | 0755), (1u << 23) | 0755);
    assert_int_equal(fs_go_mode(S_IFCHR | 0666), (1u << 26) | (1u << 21) | 0666);
}

static void stat_link_target(void **state)
{
    struct fx *f = *state;
    json_t *st = NULL;
    assert_int_equal(fs_path_stat(&f->v, "/d/rel", &st), 0);
    assert_string_equal(json_string_value(json_object_get(st, "name")), "rel");
    assert_string_equal(json_string_value(json_object_get(st, "linkTarget")), "/etc");
    json_decref(st);
    assert_int_equal(fs_path_stat(&f->v, "/", &st), 0);
    assert_string_equal(json_string_value(json_object_get(st, "name")), "/");
    json_decref(st);
}

/* Build a tar in a memfd with libarchive: entries "type:name[:target]". */
static int tar_of(const char *const *entries)
{
    int fd = memfd_create("tar", MFD_CLOEXEC);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_open_fd(a, fd);
    struct archive_entry *e = archive_entry_new();
    for (size_t i = 0; entries[i]; i++) {
        char copy[256];
        snprintf(copy, sizeof(copy), "%s", entries[i]);
        char *type = copy, *name = strchr(copy, ':') + 1, *target = strchr(name, ':');
        name[-1] = '\0';
        if (target)
            *target++ = '\0';
        archive_entry_clear(e);
        archive_entry_set_pathname(e, name);
        archive_entry_set_mode(e, (*type == 'd' ? AE_IFDIR : *type == 'l' ? AE_IFLNK : AE_IFREG) | 0644);
        if (*type == 'l')
            archive_entry_set_symlink(e, target);
        if (*type == 'h') {
            archive_entry_set_hardlink(e, target);
            archive_entry_set_filetype(e, AE_IFREG);
        }
        archive_entry_set_size(e, *type == 'f' ? 2 : 0);
        archive_write_header(a, e);
        if (*type == 'f')
            archive_write_data(a, "x\n", 2);
    }
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static int extract(struct fx *f, const char *dest, const char *const *entries, bool no_overwrite)
{
    int fd = tar_of(entries);
    struct fs_extract_opts o = {.chown_uid = -1, .chown_gid = -1, .container_name = "c",
                                .no_overwrite_dir_non_dir = no_overwrite};
    int r = fs_extract(&f->v, dest, fd, &o);
    close(fd);
    return r;
}

static void extraction_refuses_escapes(void **state)
{
    struct fx *f = *state;
    char p[256];
    assert_int_equal(extract(f, "/d", (const char *const[]){"f:../../x", NULL}, false), -EIO);
    assert_non_null(strstr(err_get(), "is outside of"));
    assert_int_equal(extract(f, "/d", (const char *const[]){"l:s:../../x", NULL}, false), -EIO);
    assert_non_null(strstr(err_get(), "invalid symlink"));
    assert_int_equal(extract(f, "/d", (const char *const[]){"h:h:../etc/passwd", NULL}, false), -EIO);
    assert_non_null(strstr(err_get(), "invalid hardlink"));
    /* writing through the root's own escaping links stays inside the root:
     * out -> ../../outside names the root's /outside, which does not exist
     * (dockerd fails the same way); up -> ../../.. is the root */
    assert_int_equal(extract(f, "/d", (const char *const[]){"f:out/secret", NULL}, false), -EIO);
    assert_int_equal(extract(f, "/d", (const char *const[]){"f:up/new", NULL}, false), 0);
    md(f->root, "outside");
    assert_int_equal(extract(f, "/d", (const char *const[]){"f:out/secret", NULL}, false), 0);
    snprintf(p, sizeof(p), "%s/outside/secret", f->base);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 12);
    snprintf(p, sizeof(p), "%s/new", f->root);
    assert_int_equal(access(p, F_OK), 0);
    snprintf(p, sizeof(p), "%s/outside/secret", f->root);
    assert_int_equal(access(p, F_OK), 0);
    /* the target itself through a link: /d/abs -> /etc */
    assert_int_equal(extract(f, "/d/abs", (const char *const[]){"f:added", NULL}, false), 0);
    snprintf(p, sizeof(p), "%s/etc/added", f->root);
    assert_int_equal(access(p, F_OK), 0);
    assert_int_equal(extract(f, "/d/f", (const char *const[]){"f:x", NULL}, false), -ENOTDIR);
    assert_string_equal(err_get(), "extraction point is not a directory");
    assert_int_equal(extract(f, "/nope", (const char *const[]){"f:x", NULL}, false), -ENOENT);
    assert_string_equal(err_get(), "Could not find the file /nope in container c");
    /* overwrite rules */
    assert_int_equal(extract(f, "/", (const char *const[]){"f:etc", NULL}, true), -EIO);
    assert_non_null(strstr(err_get(), "cannot overwrite directory"));
    assert_int_equal(extract(f, "/", (const char *const[]){"d:d/f", NULL}, true), -EIO);
    assert_non_null(strstr(err_get(), "cannot overwrite non-directory"));
    assert_int_equal(extract(f, "/", (const char *const[]){"d:d/f", NULL}, false), 0);
    snprintf(p, sizeof(p), "%s/d/f", f->root);
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
}

static void tar_names_rebased(void **state)
{
    struct fx *f = *state;
    int fd = memfd_create("out", MFD_CLOEXEC);
    struct fs_tar *t;
    assert_int_equal(fs_tar_open(fd, &t), 0);
    assert_int_equal(fs_tar_path(t, &f->v, "/d/rel/"), 0);
    assert_int_equal(fs_tar_close(t, true), 0);
    lseek(fd, 0, SEEK_SET);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    assert_int_equal(archive_read_open_fd(a, fd, 4096), ARCHIVE_OK);
    struct archive_entry *e;
    char names[256] = "";
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        strcat(names, archive_entry_pathname(e));
        strcat(names, " ");
    }
    archive_read_free(a);
    close(fd);
    assert_string_equal(names, "rel/ rel/passwd ");
}

static void changes_of_upper(void **state)
{
    struct fx *f = *state;
    /* the root plays the lower layer, base/upper the container's writes */
    char upper[128], p[256];
    snprintf(upper, sizeof(upper), "%s/upper", f->base);
    md(f->base, "upper");
    md(upper, "etc");
    put(upper, "etc/passwd", "changed\n");
    put(upper, "etc/hostname", "engine's\n");
    md(upper, "new");
    put(upper, "new/f", "x");
    md(upper, "empty");
    snprintf(p, sizeof(p), "%s/gone", upper);
    assert_int_equal(mknod(p, S_IFCHR, makedev(0, 0)), 0);
    int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char *lower[] = {f->root};
    json_t *out = NULL;
    assert_int_equal(fs_changes(fd, lower, 1, &out), 0);
    char *text = json_dumps(out, JSON_COMPACT);
    assert_string_equal(text, "[{\"Path\":\"/empty\",\"Kind\":1},"
                              "{\"Path\":\"/etc\",\"Kind\":0},{\"Path\":\"/etc/passwd\",\"Kind\":0},"
                              "{\"Path\":\"/gone\",\"Kind\":2},{\"Path\":\"/new\",\"Kind\":1},"
                              "{\"Path\":\"/new/f\",\"Kind\":1}]");
    free(text);
    json_decref(out);
    close(fd);
}

/* --userns-remap: files land with host ids, archives carry container ids */
static void remapped_ids(void **state)
{
    struct fx *f = *state;
    static struct userns_remap rm;
    rm.uids[0] = (struct userns_map){.inside = 0, .outside = 100000, .count = 65536};
    rm.gids[0] = (struct userns_map){.inside = 0, .outside = 200000, .count = 65536};
    rm.n_uids = rm.n_gids = 1;
    assert_int_equal(fs_id_to_host(&rm, 5, false), 100005);
    assert_int_equal(fs_id_to_host(&rm, 70000, false), -ERANGE);
    assert_int_equal(fs_id_to_container(&rm, 200007, true), 7);
    assert_int_equal(fs_id_to_container(&rm, 3, true), 65534);
    f->v.remap = &rm;
    assert_int_equal(extract(f, "/d", (const char *const[]){"f:mapped", NULL}, false), 0);
    char p[256];
    snprintf(p, sizeof(p), "%s/d/mapped", f->root);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_uid, 100000);
    assert_int_equal(st.st_gid, 200000);
    int fd = memfd_create("out", MFD_CLOEXEC);
    struct fs_tar *t;
    assert_int_equal(fs_tar_open(fd, &t), 0);
    assert_int_equal(fs_tar_path(t, &f->v, "/d/mapped"), 0);
    assert_int_equal(fs_tar_close(t, true), 0);
    lseek(fd, 0, SEEK_SET);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    assert_int_equal(archive_read_open_fd(a, fd, 4096), ARCHIVE_OK);
    struct archive_entry *e;
    assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
    assert_int_equal(archive_entry_uid(e), 0);
    assert_int_equal(archive_entry_gid(e), 0);
    archive_read_free(a);
    close(fd);
    f->v.remap = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(symlinks_stay_inside, setup, teardown),
        cmocka_unit_test_setup_teardown(mounts_map_to_sources, setup, teardown),
        cmocka_unit_test(go_modes),
        cmocka_unit_test_setup_teardown(stat_link_target, setup, teardown),
        cmocka_unit_test_setup_teardown(extraction_refuses_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(tar_names_rebased, setup, teardown),
        cmocka_unit_test_setup_teardown(changes_of_upper, setup, teardown),
        cmocka_unit_test_setup_teardown(remapped_ids, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
