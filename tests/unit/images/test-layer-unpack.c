/* Layer unpacking: a normal layer lands exactly, digests match an independent
 * SHA-256, whiteouts convert, and every hostile archive is refused by name
 * without a byte written beside the unpack directory. Run as root.
 * `test-layer-unpack --write-seeds DIR` writes the crafted archives as fuzz seeds. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "cleanup.h"
#include "error.h"
#include "layer-unpack.h"

/* ---- building archives in memory ---- */

struct buf {
    unsigned char *data;
    size_t len, cap;
};

static void buf_append(struct buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 4096;
        b->data = realloc(b->data, b->cap);
        assert_non_null(b->data);
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static la_ssize_t buf_write_cb(struct archive *a, void *data, const void *p, size_t n)
{
    buf_append(data, p, n);
    return (la_ssize_t)n;
}

static struct archive *writer(struct buf *out, bool gnu, int filter)
{
    struct archive *a = archive_write_new();
    assert_non_null(a);
    assert_int_equal(gnu ? archive_write_set_format_gnutar(a) : archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
    if (filter != ARCHIVE_FILTER_NONE)
        assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
    /* One block per write keeps the output byte-for-byte reproducible and unpadded. */
    archive_write_set_bytes_per_block(a, 0);
    assert_int_equal(archive_write_open(a, out, NULL, buf_write_cb, NULL), ARCHIVE_OK);
    return a;
}

static void finish(struct archive *a)
{
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

static struct archive_entry *entry(const char *path, unsigned type, mode_t perm)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_mtime(e, 1600000000, 0);
    return e;
}

/* Write e (freed) with data, its size taken from len unless already set. */
static void put(struct archive *a, struct archive_entry *e, const void *data, size_t len)
{
    if (!archive_entry_size_is_set(e) || archive_entry_size(e) == 0)
        archive_entry_set_size(e, (la_int64_t)len);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    if (len)
        assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
    archive_entry_free(e);
}

static void put_file(struct archive *a, const char *path, mode_t perm, const char *text)
{
    put(a, entry(path, AE_IFREG, perm), text, strlen(text));
}

static void put_dir(struct archive *a, const char *path, mode_t perm)
{
    put(a, entry(path, AE_IFDIR, perm), NULL, 0);
}

static void put_symlink(struct archive *a, const char *path, const char *target)
{
    struct archive_entry *e = entry(path, AE_IFLNK, 0777);
    archive_entry_set_symlink(e, target);
    put(a, e, NULL, 0);
}

static void put_hardlink(struct archive *a, const char *path, const char *target)
{
    struct archive_entry *e = entry(path, AE_IFREG, 0644);
    archive_entry_set_hardlink(e, target);
    put(a, e, NULL, 0);
}

/* Compress an existing stream without touching its bytes. */
static void compress(const struct buf *in, int filter, struct buf *out)
{
    struct archive *a = archive_write_new();
    assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
    assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
    if (filter == ARCHIVE_FILTER_GZIP) /* no timestamp: seeds stay reproducible */
        assert_int_equal(archive_write_set_filter_option(a, "gzip", "timestamp", NULL), ARCHIVE_OK);
    archive_write_set_bytes_per_block(a, 0);
    assert_int_equal(archive_write_open(a, out, NULL, buf_write_cb, NULL), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "data");
    archive_entry_set_filetype(e, AE_IFREG);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, in->data, in->len), (la_ssize_t)in->len);
    archive_entry_free(e);
    finish(a);
}

static void sha256_hex(const void *data, size_t len, char out[72])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, len, md);
    strcpy(out, "sha256:");
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

static int memfd_of(const struct buf *b)
{
    int fd = memfd_create("layer", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b->data, b->len), (ssize_t)b->len);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

/* ---- the unpack environment: tmp/{root,sentinel/keep} ---- */

struct env {
    char tmp[64];
    char root[96];
    char sentinel[96];
    int root_fd;
};

/* The environment in use, so a failed assertion still removes it in teardown. */
static struct env *active;

static void env_init(struct env *v)
{
    char path[160];
    snprintf(v->tmp, sizeof(v->tmp), "/tmp/pouch-test-layer-XXXXXX");
    assert_non_null(mkdtemp(v->tmp));
    snprintf(v->root, sizeof(v->root), "%s/root", v->tmp);
    snprintf(v->sentinel, sizeof(v->sentinel), "%s/sentinel", v->tmp);
    assert_int_equal(mkdir(v->root, 0755), 0);
    assert_int_equal(mkdir(v->sentinel, 0755), 0);
    snprintf(path, sizeof(path), "%s/keep", v->sentinel);
    FILE *f = fopen(path, "we");
    assert_non_null(f);
    fputs("untouched\n", f);
    fclose(f);
    v->root_fd = open(v->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(v->root_fd >= 0);
    active = v;
}

static int count_dir(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int n = 0;
    assert_non_null(d);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Nothing beside root changed: tmp holds root and sentinel, sentinel only keep. */
static void env_check_outside(const struct env *v)
{
    char path[160], text[32] = "";
    assert_int_equal(count_dir(v->tmp), 2);
    assert_int_equal(count_dir(v->sentinel), 1);
    snprintf(path, sizeof(path), "%s/keep", v->sentinel);
    FILE *f = fopen(path, "re");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof(text), f));
    fclose(f);
    assert_string_equal(text, "untouched\n");
}

static void env_done(struct env *v)
{
    char cmd[128];
    active = NULL;
    close(v->root_fd);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", v->tmp);
    assert_int_equal(system(cmd), 0);
}

static int unpack_buf(struct env *v, const struct buf *b, const struct layer_policy *p, struct layer_result *res)
{
    int fd = memfd_of(b);
    err_clear();
    int r = layer_unpack(fd, v->root_fd, p, res);
    close(fd);
    return r;
}

/* ---- the normal layer ---- */

static void build_normal(struct buf *out)
{
    struct archive *a = writer(out, false, ARCHIVE_FILTER_NONE);
    struct archive_entry *e;

    put_dir(a, "./", 0755);
    e = entry("etc/", AE_IFDIR, 0750);
    archive_entry_set_mtime(e, 1000000000, 0);
    put(a, e, NULL, 0);
    e = entry("etc/hosts", AE_IFREG, 0640);
    archive_entry_set_uid(e, 1000);
    archive_entry_set_gid(e, 1001);
    archive_entry_set_mtime(e, 1200000000, 123456789);
    archive_entry_xattr_add_entry(e, "user.note", "hello", 5);
    put(a, e, "127.0.0.1 localhost\n", 20);
    put_file(a, "/bin/tool", 04755, "#!/bin/sh\n");
    put_symlink(a, "etc/link", "hosts");
    put_symlink(a, "etc/abs", "/etc/hosts");
    put_hardlink(a, "etc/hosts2", "etc/hosts");
    e = entry("var/empty/", AE_IFDIR, 0700);
    archive_entry_set_mtime(e, 1100000000, 0);
    put(a, e, NULL, 0);
    put_file(a, "var/empty/inside", 0600, "x");
    put_file(a, "deep/er/file", 0644, "implicit parents");
    put(a, entry("run/fifo", AE_IFIFO, 0620), NULL, 0);
    put_dir(a, "etc/", 0755); /* a directory repeated is merged */
    finish(a);
}

static void check_normal_tree(int root)
{
    struct stat st;
    char text[64] = "";

    assert_int_equal(fstatat(root, "etc/hosts", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(st.st_uid, 1000);
    assert_int_equal(st.st_gid, 1001);
    assert_int_equal(st.st_size, 20);
    assert_int_equal(st.st_mtim.tv_sec, 1200000000);
    assert_int_equal(st.st_mtim.tv_nsec, 123456789);
    assert_int_equal(st.st_nlink, 2);
    ino_t ino = st.st_ino;
    int fd = openat(root, "etc/hosts", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, text, sizeof(text)), 20);
    assert_memory_equal(text, "127.0.0.1 localhost\n", 20);
    memset(text, 0, sizeof(text));
    assert_int_equal(fgetxattr(fd, "user.note", text, sizeof(text)), 5);
    assert_string_equal(text, "hello");
    close(fd);

    assert_int_equal(fstatat(root, "etc/hosts2", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.st_ino, ino);
    assert_int_equal(fstatat(root, "bin/tool", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.st_mode & 07777, 04755);
    assert_int_equal(fstatat(root, "bin", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.st_mode & 07777, 0755);

    memset(text, 0, sizeof(text));
    assert_int_equal(readlinkat(root, "etc/link", text, sizeof(text)), 5);
    assert_string_equal(text, "hosts");
    memset(text, 0, sizeof(text));
    assert_int_equal(readlinkat(root, "etc/abs", text, sizeof(text)), 10);
    assert_string_equal(text, "/etc/hosts");

    /* Directory times survive the writes into them; the repeated etc/ won. */
    assert_int_equal(fstatat(root, "etc", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(st.st_mtim.tv_sec, 1600000000);
    assert_int_equal(fstatat(root, "var/empty", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(st.st_mtim.tv_sec, 1100000000);
    assert_int_equal(fstatat(root, "deep/er/file", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(fstatat(root, "deep/er", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(fstatat(root, "run/fifo", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0620);
}

static void normal_layer(void **state)
{
    struct buf tar = {0}, gz = {0}, zst = {0}, xz = {0};
    struct layer_result plain, rgz, rzst, rxz, dig;
    char want[72];
    struct env v;

    build_normal(&tar);
    sha256_hex(tar.data, tar.len, want);

    env_init(&v);
    assert_int_equal(unpack_buf(&v, &tar, NULL, &plain), 0);
    check_normal_tree(v.root_fd);
    env_check_outside(&v);
    env_done(&v);
    assert_string_equal(plain.diff_id, want);
    assert_string_equal(plain.blob_digest, want);
    assert_string_equal(plain.compression, "none");
    assert_int_equal(plain.blob_size, tar.len);
    /* files plus symlink targets ("hosts", "/etc/hosts"), as dockerd sizes a layer */
    assert_int_equal(plain.unpacked_size, 20 + 10 + 1 + 16 + 5 + 10);

    compress(&tar, ARCHIVE_FILTER_GZIP, &gz);
    compress(&tar, ARCHIVE_FILTER_ZSTD, &zst);
    compress(&tar, ARCHIVE_FILTER_XZ, &xz);
    const struct {
        struct buf *b;
        struct layer_result *r;
        const char *name;
    } variants[] = {{&gz, &rgz, "gzip"}, {&zst, &rzst, "zstd"}, {&xz, &rxz, "xz"}};
    for (size_t i = 0; i < 3; i++) {
        char blob[72];
        env_init(&v);
        assert_int_equal(unpack_buf(&v, variants[i].b, NULL, variants[i].r), 0);
        check_normal_tree(v.root_fd);
        env_done(&v);
        sha256_hex(variants[i].b->data, variants[i].b->len, blob);
        assert_string_equal(variants[i].r->diff_id, want);
        assert_string_equal(variants[i].r->blob_digest, blob);
        assert_string_not_equal(variants[i].r->blob_digest, want);
        assert_string_equal(variants[i].r->compression, variants[i].name);
        assert_int_equal(variants[i].r->blob_size, variants[i].b->len);
        assert_int_equal(variants[i].r->unpacked_size, plain.unpacked_size);

        int fd = memfd_of(variants[i].b);
        assert_int_equal(layer_digest(fd, &dig), 0);
        close(fd);
        assert_memory_equal(&dig, variants[i].r, sizeof(dig));
    }
    assert_string_not_equal(rgz.blob_digest, rzst.blob_digest);
    free(tar.data);
    free(gz.data);
    free(zst.data);
    free(xz.data);
}

/* diff_id is the digest of the whole decompressed stream, bytes past the tar's
 * end marker included, as docker computes it; the blob digest covers the file. */
static void trailing_bytes(void **state)
{
    struct buf tar = {0}, gz = {0};
    struct layer_result res, dig;
    char want[72], blob[72];
    struct env v;
    static const char junk[] = "trailing junk after the end-of-archive blocks";

    struct archive *a = writer(&tar, false, ARCHIVE_FILTER_NONE);
    put_file(a, "f", 0644, "data");
    finish(a);
    buf_append(&tar, junk, sizeof(junk));
    sha256_hex(tar.data, tar.len, want);
    compress(&tar, ARCHIVE_FILTER_GZIP, &gz);
    sha256_hex(gz.data, gz.len, blob);

    env_init(&v);
    assert_int_equal(unpack_buf(&v, &gz, NULL, &res), 0);
    env_done(&v);
    assert_string_equal(res.diff_id, want);
    assert_string_equal(res.blob_digest, blob);
    int fd = memfd_of(&gz);
    assert_int_equal(layer_digest(fd, &dig), 0);
    close(fd);
    assert_memory_equal(&dig, &res, sizeof(res));
    free(tar.data);
    free(gz.data);
}

/* Empty layers, with the digests docker gives them: a zero-byte blob and the
 * 1024 zero bytes docker writes for a layer with no changes. */
static void empty_layers(void **state)
{
    static unsigned char zeros[1024];
    struct buf none = {0}, eoa = {0}, gz = {0};
    struct layer_result res;
    struct env v;

    buf_append(&eoa, zeros, sizeof(zeros));
    compress(&eoa, ARCHIVE_FILTER_GZIP, &gz);
    const struct {
        struct buf *b;
        const char *diff_id;
    } cases[] = {
        {&none, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {&eoa, "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"},
        {&gz, "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        env_init(&v);
        if (unpack_buf(&v, cases[i].b, NULL, &res) < 0)
            fail_msg("empty layer %zu: %s", i, err_get());
        assert_string_equal(res.diff_id, cases[i].diff_id);
        assert_int_equal(res.unpacked_size, 0);
        assert_int_equal(count_dir(v.root), 0);
        env_done(&v);
    }
    free(eoa.data);
    free(gz.data);
}

static void whiteouts(void **state)
{
    struct buf tar = {0};
    struct layer_result res;
    struct stat st;
    char val[8] = "";
    struct env v;

    struct archive *a = writer(&tar, false, ARCHIVE_FILTER_NONE);
    put_dir(a, "a/", 0755);
    put_file(a, "a/.wh.gone", 0644, "");
    put_file(a, "a/kept", 0644, "k");
    put_dir(a, "opq/", 0711);
    put_file(a, "opq/.wh..wh..opq", 0644, "");
    put_file(a, "opq/new", 0644, "n");
    put_file(a, "implicit/.wh..wh..opq", 0644, "");
    put_file(a, ".wh.topgone", 0644, "");
    put_dir(a, ".wh..wh.plnk/", 0700);
    put_file(a, ".wh..wh.plnk/1234", 0644, "aufs link dir");
    put_file(a, "b/.wh..wh.aufs", 0644, "");
    finish(a);

    env_init(&v);
    assert_int_equal(unpack_buf(&v, &tar, NULL, &res), 0);
    assert_int_equal(fstatat(v.root_fd, "a/gone", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(st.st_rdev, makedev(0, 0));
    assert_int_equal(fstatat(v.root_fd, "topgone", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(fstatat(v.root_fd, "a/.wh.gone", &st, AT_SYMLINK_NOFOLLOW), -1);
    assert_int_equal(fstatat(v.root_fd, "a/kept", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(fstatat(v.root_fd, ".wh..wh.plnk", &st, AT_SYMLINK_NOFOLLOW), -1);
    assert_int_equal(fstatat(v.root_fd, "b/.wh..wh.aufs", &st, AT_SYMLINK_NOFOLLOW), -1);
    assert_int_equal(fstatat(v.root_fd, "opq/.wh..wh..opq", &st, AT_SYMLINK_NOFOLLOW), -1);
    assert_int_equal(fstatat(v.root_fd, "opq", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.st_mode & 07777, 0711);

    char path[192];
    snprintf(path, sizeof(path), "%s/opq", v.root);
    assert_int_equal(lgetxattr(path, "trusted.overlay.opaque", val, sizeof(val)), 1);
    assert_int_equal(val[0], 'y');
    snprintf(path, sizeof(path), "%s/implicit", v.root);
    assert_int_equal(lgetxattr(path, "trusted.overlay.opaque", val, sizeof(val)), 1);
    snprintf(path, sizeof(path), "%s/a", v.root);
    assert_int_equal(lgetxattr(path, "trusted.overlay.opaque", val, sizeof(val)), -1);
    env_check_outside(&v);
    env_done(&v);
    free(tar.data);
}

static void devices_when_allowed(void **state)
{
    struct buf tar = {0};
    struct layer_result res;
    struct layer_policy p;
    struct stat st;
    struct env v;

    struct archive *a = writer(&tar, false, ARCHIVE_FILTER_NONE);
    struct archive_entry *e = entry("dev/null", AE_IFCHR, 0666);
    archive_entry_set_rdevmajor(e, 1);
    archive_entry_set_rdevminor(e, 3);
    put(a, e, NULL, 0);
    finish(a);

    layer_policy_init(&p);
    p.allow_devices = true;
    env_init(&v);
    assert_int_equal(unpack_buf(&v, &tar, &p, &res), 0);
    assert_int_equal(fstatat(v.root_fd, "dev/null", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(st.st_rdev, makedev(1, 3));
    assert_int_equal(st.st_mode & 07777, 0666);
    env_done(&v);
    free(tar.data);
}

/* ---- hostile archives ---- */

struct hostile {
    const char *name; /* also the seed file name */
    void (*build)(struct buf *out, const char *outside);
    const char *expect; /* must appear in the error message */
    bool strict;        /* run with allow_setuid false */
};

static void h_dotdot(struct buf *out, const char *outside)
{
    struct archive *a = writer(out, true, ARCHIVE_FILTER_NONE);
    put_file(a, "../escape", 0644, "out");
    finish(a);
}

static void h_dotdot_inner(struct buf *out, const char *outside)
{
    struct archive *a = writer(out, false, ARCHIVE_FILTER_NONE);
    put_dir(a, "a/", 0755);
    put_file(a, "a/../../escape", 0644, "out");
    finish(a);
}

static void h_symlink_abs(struct buf *out, const char *outside)
{
    struct archive *a = writer(out, false, ARCHIVE_FILTER_NONE);
    put_symlink(a, "evil", outside);
    put_file(a, "evil/file", 0644, "through the link");
    finish(a);
}

static void h_symlink_up(struct buf *out, const char *outside)
{
    struct archive *a = writer(out, false, ARCHIVE_FILTER_NONE);
    put_symlink(a, "up", "..");
    put_file(a, "up/escape", 0644, "through the link");
    finish(a);
}

static void h_hardlink_etc(struct buf *out, const char *outside)
{
    struct archive *a = writer(out, false, ARCHIVE_FILTER_NONE);
    put_hardlink(a, "passwd", "/etc/passwd");
    finish(a);
}

static void h_hardlink_up(struct buf *out, const char *outside)
{
    struct archive *a = writer(out, false, ARCHIVE_FILTER_NONE);
    put_hardlink(a, "keep", "../sentinel/keep");
    finish(a);
}

static void h_device(struct buf *out, const char *outside)
{
    struct archive *a = writer(out, false, ARCHIVE_FILTER_NONE);
    struct archive_entry *e = entry("dev/sda", AE_IFBLK, 0660);
    archive_entry_set_rdevmajor(e, 8);
    archive_entry_set_rdevminor(e, 0);
    put(a, e, NULL, 0);
    finish(a);
}

static void h_setuid(struct buf *out, const char *outside)
{
    struct archive *a = writer(out, false, ARCHIVE_FILTER_NONE);
    put_file(a, "bin/su", 04755, "#!/bin/sh\n");
    finish(a);
}

static void h_sparse_10g(struct buf *out, const char *outside)
{
    struct archive *a = writer(out, false, ARCHIVE_FILTER_NONE);
    const la_int64_t size = INT64_C(10) << 30;
    char data[4096];
    struct archive_entry *e = entry("huge", AE_IFREG, 0644);
    archive_entry_set_size(e, size);
    archive_entry_sparse_add_entry(e, size - (la_int64_t)sizeof(data), sizeof(data));
    memset(data, 'x', sizeof(data));
    put(a, e, data, sizeof(data));
    finish(a);
}

static void h_truncated(struct buf *out, const char *outside)
{
    static char data[65536];
    struct archive *a = writer(out, true, ARCHIVE_FILTER_NONE);
    memset(data, 'd', sizeof(data));
    put(a, entry("bigfile", AE_IFREG, 0644), data, sizeof(data));
    finish(a);
    out->len = 512 + 10000;
}

static void some_tar(struct buf *tar)
{
    char data[8192];
    struct archive *a = writer(tar, false, ARCHIVE_FILTER_NONE);
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)((i * 7919u) >> 3);
    put(a, entry("one", AE_IFREG, 0644), data, sizeof(data));
    put(a, entry("two", AE_IFREG, 0644), data, sizeof(data));
    finish(a);
}

static void h_corrupt_gzip(struct buf *out, const char *outside)
{
    struct buf tar = {0};
    some_tar(&tar);
    compress(&tar, ARCHIVE_FILTER_GZIP, out);
    free(tar.data);
    for (size_t i = out->len / 3; i < out->len / 3 + 16; i++)
        out->data[i] ^= 0x5a;
}

static void h_truncated_zstd(struct buf *out, const char *outside)
{
    struct buf tar = {0};
    some_tar(&tar);
    compress(&tar, ARCHIVE_FILTER_ZSTD, out);
    free(tar.data);
    out->len /= 2;
}

/* Incompressible data, so the cut falls in the middle of a file's data and
 * the decompressor fails mid-stream rather than while opening. */
static void h_truncated_gzip_mid(struct buf *out, const char *outside)
{
    static unsigned char data[96 * 1024];
    struct buf tar = {0};
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof(data); i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)x;
    }
    struct archive *a = writer(&tar, false, ARCHIVE_FILTER_NONE);
    put(a, entry("random", AE_IFREG, 0644), data, sizeof(data));
    finish(a);
    compress(&tar, ARCHIVE_FILTER_GZIP, out);
    free(tar.data);
    out->len = out->len * 2 / 3;
}

static void h_duplicate(struct buf *out, const char *outside)
{
    struct archive *a = writer(out, false, ARCHIVE_FILTER_NONE);
    put_file(a, "dup", 0644, "first");
    put_file(a, "dup", 0644, "second");
    finish(a);
}

static void h_whiteout_and_file(struct buf *out, const char *outside)
{
    struct archive *a = writer(out, false, ARCHIVE_FILTER_NONE);
    put_file(a, "d/name", 0644, "file");
    put_file(a, "d/.wh.name", 0644, "");
    finish(a);
}

static void h_overlay_xattr(struct buf *out, const char *outside)
{
    struct archive *a = writer(out, false, ARCHIVE_FILTER_NONE);
    struct archive_entry *e = entry("redir/", AE_IFDIR, 0755);
    archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/other", 6);
    put(a, e, NULL, 0);
    finish(a);
}

static void h_double_gzip(struct buf *out, const char *outside)
{
    struct buf tar = {0}, once = {0};
    some_tar(&tar);
    compress(&tar, ARCHIVE_FILTER_GZIP, &once);
    compress(&once, ARCHIVE_FILTER_GZIP, out);
    free(tar.data);
    free(once.data);
}

static void h_not_tar(struct buf *out, const char *outside)
{
    static const char text[] = "this is not a tar archive, just some words that go on for a while\n";
    for (int i = 0; i < 40; i++)
        buf_append(out, text, sizeof(text) - 1);
}

static const struct hostile hostiles[] = {
    {"dotdot.tar", h_dotdot, "entry ../escape: ", false},
    {"dotdot-inner.tar", h_dotdot_inner, "entry a/../../escape: ", false},
    {"symlink-abs.tar", h_symlink_abs, "entry evil/file: ", false},
    {"symlink-up.tar", h_symlink_up, "entry up/escape: ", false},
    {"hardlink-etc.tar", h_hardlink_etc, "entry passwd: hardlink target /etc/passwd", false},
    {"hardlink-up.tar", h_hardlink_up, "entry keep: hardlink target ../sentinel/keep lies outside", false},
    {"device.tar", h_device, "entry dev/sda: is a device node", false},
    {"setuid.tar", h_setuid, "entry bin/su: has the setuid", true},
    {"sparse-10g.tar", h_sparse_10g, "entry huge: claims 10737418240 bytes", false},
    {"truncated.tar", h_truncated, "at entry bigfile: ", false},
    {"corrupt.tar.gz", h_corrupt_gzip, "gzip stream is corrupt", false},
    {"truncated.tar.zst", h_truncated_zstd, "zstd stream is corrupt", false},
    {"truncated-mid.tar.gz", h_truncated_gzip_mid, "gzip stream is corrupt or truncated near entry random", false},
    {"duplicate.tar", h_duplicate, "entry dup: the path appears twice", false},
    {"whiteout-and-file.tar", h_whiteout_and_file, "entry d/.wh.name: the path appears twice", false},
    {"overlay-xattr.tar", h_overlay_xattr, "entry redir/: sets the reserved overlayfs attribute", false},
    {"double.tar.gz.gz", h_double_gzip, "compressed more than once", false},
    {"not-tar", h_not_tar, "the tar stream is corrupt", false},
};

static void refused(void **state)
{
    const struct hostile *h = *state;
    struct buf b = {0};
    struct layer_result res;
    struct layer_policy p;
    struct env v;

    env_init(&v);
    h->build(&b, v.sentinel);
    layer_policy_init(&p);
    p.allow_setuid = !h->strict;
    memset(&res, 0x55, sizeof(res));
    int r = unpack_buf(&v, &b, &p, &res);
    if (r >= 0 || !strstr(err_get(), h->expect))
        fail_msg("%s: r=%d, message \"%s\", wanted \"%s\"", h->name, r, err_get(), h->expect);
    print_message("refused: %s\n", err_get());
    /* ret untouched on failure */
    for (size_t i = 0; i < sizeof(res); i++)
        assert_int_equal(((unsigned char *)&res)[i], 0x55);
    env_check_outside(&v);
    env_done(&v);
    free(b.data);
}

/* Limits on the sum, and the two setuid cases the strict policy keeps. */
static void total_limit_and_setgid_dir(void **state)
{
    struct buf tar = {0};
    struct layer_result res;
    struct layer_policy p;
    struct stat st;
    struct env v;

    struct archive *a = writer(&tar, false, ARCHIVE_FILTER_NONE);
    put_dir(a, "shared/", 02775);
    put_file(a, "shared/a", 0644, "0123456789");
    put_file(a, "shared/b", 0644, "0123456789");
    finish(a);

    layer_policy_init(&p);
    p.allow_setuid = false;
    env_init(&v);
    assert_int_equal(unpack_buf(&v, &tar, &p, &res), 0);
    assert_int_equal(fstatat(v.root_fd, "shared", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.st_mode & 07777, 02775);
    env_done(&v);

    p.max_total_size = 15;
    env_init(&v);
    assert_true(unpack_buf(&v, &tar, &p, &res) < 0);
    assert_non_null(strstr(err_get(), "entry shared/b: takes the layer over its 15-byte limit"));
    env_check_outside(&v);
    env_done(&v);
    free(tar.data);
}

static int teardown(void **state)
{
    if (active)
        env_done(active);
    return 0;
}

static int write_seeds(const char *dir)
{
    for (size_t i = 0; i < ARRAY_SIZE(hostiles); i++) {
        struct buf b = {0};
        char path[512];
        hostiles[i].build(&b, "/tmp/pouch-fuzz-outside");
        snprintf(path, sizeof(path), "%s/%s", dir, hostiles[i].name);
        FILE *f = fopen(path, "we");
        if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
            perror(path);
            return 1;
        }
        free(b.data);
    }
    struct buf tar = {0}, gz = {0};
    build_normal(&tar);
    compress(&tar, ARCHIVE_FILTER_GZIP, &gz);
    const struct {
        const char *name;
        struct buf *b;
    } good[] = {{"normal.tar", &tar}, {"normal.tar.gz", &gz}};
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, good[i].name);
        FILE *f = fopen(path, "we");
        if (!f || fwrite(good[i].b->data, 1, good[i].b->len, f) != good[i].b->len || fclose(f) != 0) {
            perror(path);
            return 1;
        }
    }
    free(tar.data);
    free(gz.data);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
        return write_seeds(argv[2]);
    if (geteuid() != 0) {
        fprintf(stderr, "test-layer-unpack needs root (mknod, chown, trusted.* xattrs); skipping\n");
        return 77;
    }

    struct CMUnitTest tests[6 + ARRAY_SIZE(hostiles)];
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test_teardown(normal_layer, teardown);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test_teardown(trailing_bytes, teardown);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test_teardown(empty_layers, teardown);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test_teardown(whiteouts, teardown);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test_teardown(devices_when_allowed, teardown);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test_teardown(total_limit_and_setgid_dir, teardown);
    for (size_t i = 0; i < ARRAY_SIZE(hostiles); i++) {
        tests[n] =
            (struct CMUnitTest)cmocka_unit_test_prestate_setup_teardown(refused, NULL, teardown, (void *)&hostiles[i]);
        tests[n++].name = hostiles[i].name;
    }
    return _cmocka_run_group_tests("layer-unpack", tests, n, NULL, NULL);
}
