/* Recovery files: an unsaved edit written to disk comes back exactly (binary keys, the base for a
 * later merge, the CAS it was based on), privately (0700 folder, 0600 file), per store, and a
 * damaged file is refused rather than restored wrong. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "recovery.h"

static char state_dir[256];

static int make_state_dir(void **state)
{
    snprintf(state_dir, sizeof state_dir, "/tmp/kvtui-test-recovery-XXXXXX");
    assert_non_null(mkdtemp(state_dir));
    char nested[300];
    snprintf(nested, sizeof nested, "%s/state", state_dir); /* does not exist yet */
    setenv("XDG_STATE_HOME", nested, 1);
    return 0;
}

static int remove_state_dir(void **state)
{
    char command[300];
    snprintf(command, sizeof command, "rm -rf '%s'", state_dir);
    assert_int_equal(system(command), 0);
    return 0;
}

static ui_recovery sample(const char *store, const char *key, size_t key_len)
{
    ui_recovery r;
    memset(&r, 0, sizeof r);
    snprintf(r.store, sizeof r.store, "%s", store);
    memcpy(r.key, key, key_len);
    r.key_len = key_len;
    r.base_cas = 0x18ed2f00aa11ull;
    r.flags = KV_FLAGS_JSON;
    r.form = UI_EDIT_JSON;
    r.base_expiry = 1900000000;
    r.saved_at = 1800000000;
    r.mine = "{\"a\": 2,\n \"n\": 12345678901234567890}";
    r.mine_len = strlen(r.mine);
    r.base = "{\"a\": 1,\n \"n\": 12345678901234567890}";
    r.base_len = strlen(r.base);
    r.cursor = 6;
    return r;
}

static void an_edit_comes_back_exactly(void **state)
{
    static const char key[] = "user\0\x1b]0;x\x07\n1"; /* a NUL, an escape and a newline */
    ui_recovery r = sample("file:/tmp/a.kvdb", key, sizeof key - 1), back;
    char path[1200], errbuf[200];
    assert_int_equal(ui_recovery_write(&r, path, sizeof path, errbuf, sizeof errbuf), KV_OK);
    assert_int_equal(ui_recovery_read(path, &back, errbuf, sizeof errbuf), KV_OK);
    assert_string_equal(back.store, r.store);
    assert_int_equal(back.key_len, r.key_len);
    assert_memory_equal(back.key, key, r.key_len);
    assert_true(back.base_cas == r.base_cas);
    assert_int_equal(back.flags, KV_FLAGS_JSON);
    assert_int_equal(back.form, UI_EDIT_JSON);
    assert_int_equal(back.base_expiry, 1900000000);
    assert_int_equal(back.cursor, 6);
    assert_int_equal(back.mine_len, r.mine_len);
    assert_string_equal(back.mine, r.mine);
    assert_string_equal(back.base, r.base);
    ui_recovery_free(&back);
    assert_true(ui_recovery_remove(r.store, key, sizeof key - 1));
    assert_int_not_equal(access(path, F_OK), 0);
}

static void files_and_folder_are_private(void **state)
{
    ui_recovery r = sample("file:/tmp/a.kvdb", "k", 1);
    char path[1200], dir[1024], errbuf[200];
    umask(022);
    assert_int_equal(ui_recovery_write(&r, path, sizeof path, errbuf, sizeof errbuf), KV_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_true(ui_recovery_dir(dir, sizeof dir));
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_non_null(strstr(dir, "/state/kvtui/recovery"));
    ui_recovery_remove(r.store, "k", 1);
}

static void a_second_write_replaces_the_first(void **state)
{
    ui_recovery r = sample("file:/tmp/a.kvdb", "k", 1), back;
    char path[1200], errbuf[200];
    assert_int_equal(ui_recovery_write(&r, path, sizeof path, errbuf, sizeof errbuf), KV_OK);
    r.mine = "{}";
    r.mine_len = 2;
    r.cursor = 99; /* past the end: clamped when read */
    assert_int_equal(ui_recovery_write(&r, NULL, 0, errbuf, sizeof errbuf), KV_OK);
    char **paths;
    assert_int_equal(ui_recovery_pending(r.store, &paths), 1);
    assert_int_equal(ui_recovery_read(paths[0], &back, errbuf, sizeof errbuf), KV_OK);
    assert_string_equal(back.mine, "{}");
    assert_int_equal(back.cursor, 2);
    ui_recovery_free(&back);
    ui_recovery_list_free(paths, 1);
    ui_recovery_remove(r.store, "k", 1);
}

static void pending_lists_only_this_stores_files(void **state)
{
    ui_recovery a1 = sample("file:/tmp/a.kvdb", "k1", 2);
    ui_recovery a2 = sample("file:/tmp/a.kvdb", "k2", 2);
    ui_recovery b1 = sample("memcached://127.0.0.1:1", "k1", 2);
    char errbuf[200];
    assert_int_equal(ui_recovery_write(&a1, NULL, 0, errbuf, sizeof errbuf), KV_OK);
    assert_int_equal(ui_recovery_write(&a2, NULL, 0, errbuf, sizeof errbuf), KV_OK);
    assert_int_equal(ui_recovery_write(&b1, NULL, 0, errbuf, sizeof errbuf), KV_OK);
    char **paths;
    assert_int_equal(ui_recovery_pending("file:/tmp/a.kvdb", &paths), 2);
    ui_recovery_list_free(paths, 2);
    assert_int_equal(ui_recovery_pending("memcached://127.0.0.1:1", &paths), 1);
    ui_recovery_list_free(paths, 1);
    assert_int_equal(ui_recovery_pending("file:/tmp/other.kvdb", &paths), 0);
    assert_true(ui_recovery_remove(a1.store, "k1", 2));
    assert_true(ui_recovery_remove(a2.store, "k2", 2));
    assert_true(ui_recovery_remove(b1.store, "k1", 2));
    assert_false(ui_recovery_remove(b1.store, "k1", 2));
}

static void a_damaged_file_is_refused(void **state)
{
    ui_recovery r = sample("file:/tmp/a.kvdb", "k", 1), back;
    char path[1200], errbuf[200];
    assert_int_equal(ui_recovery_write(&r, path, sizeof path, errbuf, sizeof errbuf), KV_OK);
    assert_int_equal(truncate(path, 100 + (off_t)0), 0); /* cut inside the edit */
    assert_int_equal(ui_recovery_read(path, &back, errbuf, sizeof errbuf), KV_ERR_VALUE_FORMAT);
    assert_non_null(strstr(errbuf, "damaged"));
    FILE *f = fopen(path, "w");
    fputs("not a header\nbody", f);
    fclose(f);
    assert_int_equal(ui_recovery_read(path, &back, errbuf, sizeof errbuf), KV_ERR_VALUE_FORMAT);
    unlink(path);
}

static void every_form_survives(void **state)
{
    static const ui_edit_form forms[] = {UI_EDIT_JSON, UI_EDIT_TEXT, UI_EDIT_HEX,
                                         UI_EDIT_PICKLE_JSON};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        ui_recovery r = sample("s", "k", 1), back;
        r.form = forms[i];
        r.flags = 0xdeadbeef;
        char path[1200], errbuf[200];
        assert_int_equal(ui_recovery_write(&r, path, sizeof path, errbuf, sizeof errbuf), KV_OK);
        assert_int_equal(ui_recovery_read(path, &back, errbuf, sizeof errbuf), KV_OK);
        assert_int_equal(back.form, forms[i]);
        assert_int_equal(back.flags, 0xdeadbeef);
        ui_recovery_free(&back);
        unlink(path);
    }
}

/* A file of another kvtui that is running is its live edit: not offered, not found. Once that
 * process is gone, the file is a leftover like any other. */
static void a_running_kvtuis_files_are_left_alone(void **state)
{
    char sleeper[300], path[1200], theirs[1300], found[1200], errbuf[200];
    snprintf(sleeper, sizeof sleeper, "%s/kvtui", state_dir);
    char command[700];
    snprintf(command, sizeof command, "cp /bin/sleep '%s'", sleeper);
    assert_int_equal(system(command), 0);
    pid_t pid = fork();
    if (pid == 0) {
        execl(sleeper, "kvtui", "30", (char *)NULL);
        _exit(127);
    }
    usleep(100000);
    ui_recovery r = sample("file:/tmp/live.kvdb", "k", 1);
    assert_int_equal(ui_recovery_write(&r, path, sizeof path, errbuf, sizeof errbuf), KV_OK);
    snprintf(theirs, sizeof theirs, "%.*s-%ld.edit", (int)(strrchr(path, '-') - path), path,
             (long)pid);
    assert_int_equal(rename(path, theirs), 0);
    char **paths;
    assert_int_equal(ui_recovery_pending(r.store, &paths), 0);
    assert_false(ui_recovery_find(r.store, "k", 1, found, sizeof found));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    assert_int_equal(ui_recovery_pending(r.store, &paths), 1);
    ui_recovery_list_free(paths, 1);
    assert_true(ui_recovery_find(r.store, "k", 1, found, sizeof found));
    assert_string_equal(found, theirs);
    assert_false(ui_recovery_find(r.store, "other", 5, found, sizeof found));
    assert_true(ui_recovery_adopt(found, r.store, "k", 1)); /* now this process's own file */
    assert_int_not_equal(access(theirs, F_OK), 0);
    assert_true(ui_recovery_remove(r.store, "k", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_edit_comes_back_exactly),
        cmocka_unit_test(files_and_folder_are_private),
        cmocka_unit_test(a_second_write_replaces_the_first),
        cmocka_unit_test(pending_lists_only_this_stores_files),
        cmocka_unit_test(a_damaged_file_is_refused),
        cmocka_unit_test(every_form_survives),
        cmocka_unit_test(a_running_kvtuis_files_are_left_alone),
    };
    return cmocka_run_group_tests(tests, make_state_dir, remove_state_dir);
}
