/* State store atomicity: records replace whole, temp files a crash left are
 * removed at start-up and never mistaken for records. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "state-store.h"

static char dir[64];
static int dirfd_;

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/pouch-test-state-XXXXXX");
    assert_non_null(mkdtemp(dir));
    dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dirfd_ >= 0);
    return 0;
}

static int teardown(void **state)
{
    close(dirfd_);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd);
}

static int count_entries(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static void write_then_read(void **state)
{
    assert_int_equal(state_write(dirfd_, "rec", "hello", 5), 0);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(state_read(dirfd_, "rec", &data, &len), 0);
    assert_int_equal(len, 5);
    assert_string_equal(data, "hello");
    free(data);
    assert_int_equal(state_write(dirfd_, "rec", "hi", 2), 0);
    assert_int_equal(state_read(dirfd_, "rec", &data, &len), 0);
    assert_string_equal(data, "hi");
    free(data);
    assert_int_equal(count_entries(), 1); /* no temp file left behind */
}

static void leftover_temp_is_repaired(void **state)
{
    assert_int_equal(state_write(dirfd_, "container-1", "{\"ok\":1}", 8), 0);
    /* A crash between writing the temp file and renaming it leaves this: */
    int fd = openat(dirfd_, STATE_TMP_PREFIX "container-1-deadbeef", O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{\"half", 6), 6);
    close(fd);
    assert_int_equal(count_entries(), 2);

    assert_int_equal(state_repair(dirfd_), 1);
    assert_int_equal(count_entries(), 1);
    char *data = NULL;
    assert_int_equal(state_read(dirfd_, "container-1", &data, NULL), 0);
    assert_string_equal(data, "{\"ok\":1}"); /* the acknowledged record survived whole */
    free(data);
    assert_int_equal(state_repair(dirfd_), 0);
}

static void bad_names_are_refused(void **state)
{
    assert_int_equal(state_write(dirfd_, "../escape", "x", 1), -EINVAL);
    assert_int_equal(state_write(dirfd_, STATE_TMP_PREFIX "x", "x", 1), -EINVAL);
    assert_int_equal(state_write(dirfd_, "", "x", 1), -EINVAL);
    assert_int_equal(count_entries(), 0);
}

static void remove_is_idempotent(void **state)
{
    assert_int_equal(state_write(dirfd_, "gone", "x", 1), 0);
    assert_int_equal(state_remove(dirfd_, "gone"), 0);
    assert_int_equal(state_remove(dirfd_, "gone"), 0);
    char *data = NULL;
    assert_int_equal(state_read(dirfd_, "gone", &data, NULL), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(write_then_read, setup, teardown),
        cmocka_unit_test_setup_teardown(leftover_temp_is_repaired, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_names_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(remove_is_idempotent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
