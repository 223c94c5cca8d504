/* Key maps: the built-in files parse, every action has a default key, errors name file and line,
 * lookups fall back to global, and key names read and print the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <curses.h>
#include <locale.h>

#include "keymap.h"

static void builtin_maps_parse(void **state)
{
    (void)state;
    static const char *const names[] = {"default", "vim", "emacs"};
    for (size_t i = 0; i < 3; i++) {
        ui_keymap map = {0};
        char err[300] = "";
        assert_int_equal(ui_keymap_load_builtin(&map, "default", err, sizeof err), KV_OK);
        if (ui_keymap_load_builtin(&map, names[i], err, sizeof err) != KV_OK)
            fail_msg("%s: %s", names[i], err);
        ui_keymap_free(&map);
    }
}

static bool bound(const ui_keymap *map, ui_action action)
{
    for (size_t i = 0; i < map->count; i++)
        if (map->items[i].action == action)
            return true;
    return false;
}

static void every_action_has_a_default_key(void **state)
{
    (void)state;
    ui_keymap map = {0};
    char err[300];
    assert_int_equal(ui_keymap_load_builtin(&map, "default", err, sizeof err), KV_OK);
    for (int a = UI_ACTION_QUIT; a < UI_ACTION_COUNT; a++)
        if (!bound(&map, (ui_action)a))
            fail_msg("no default key for %s", ui_action_get((ui_action)a)->name);
    ui_keymap_free(&map);
}

static void assert_error(const char *text, const char *expected)
{
    ui_keymap map = {0};
    char err[300] = "";
    assert_int_equal(ui_keymap_parse(&map, text, strlen(text), "my.keys", err, sizeof err),
                     KV_ERR_ARGUMENT);
    if (!strstr(err, expected))
        fail_msg("'%s' lacks '%s'", err, expected);
    assert_int_equal(map.count, 0); /* a file with an error changes nothing */
    ui_keymap_free(&map);
}

static void errors_name_file_and_line(void **state)
{
    (void)state;
    assert_error("bind q quit\nbind x quitt\n", "my.keys:2: unknown action or command 'quitt'");
    assert_error("bind keys j move-down\n\nbind keys j move-up\n",
                 "my.keys:3: 'j' is already bound in keys at line 1");
    assert_error("bind Hyper-x quit\n", "my.keys:1: unknown key name 'Hyper-x'");
    assert_error("bind q\n", "my.keys:1: bind needs a key and an action");
    assert_error("bind q quit now\n", "takes no arguments");
    assert_error("unbind q\n", "my.keys:1: unknown statement 'unbind'");
    assert_error("bind q 'quit\n", "my.keys:1:");
}

static void later_maps_override_and_lookup_falls_back(void **state)
{
    (void)state;
    ui_keymap map = {0};
    char err[300];
    const char *base = "bind q quit\nbind keys j move-down\n# comment\n";
    const char *mine = "bind keys j move-up\nbind q none\nbind keys x remove %k --quiet\n";
    assert_int_equal(ui_keymap_parse(&map, base, strlen(base), "a", err, sizeof err), KV_OK);
    assert_int_equal(ui_keymap_parse(&map, mine, strlen(mine), "b", err, sizeof err), KV_OK);
    ui_key j = {.code = 'j'}, q = {.code = 'q'}, x = {.code = 'x'};
    assert_int_equal(ui_keymap_lookup(&map, UI_CONTEXT_KEYS, &j)->action, UI_ACTION_MOVE_UP);
    assert_null(ui_keymap_lookup(&map, UI_CONTEXT_KEYS, &q)); /* unbound by "none" */
    assert_null(ui_keymap_lookup(&map, UI_CONTEXT_DOCUMENT, &j));
    const ui_binding *b = ui_keymap_lookup(&map, UI_CONTEXT_KEYS, &x);
    assert_int_equal(b->action, UI_ACTION_COMMAND);
    assert_string_equal(b->command, "remove %k --quiet");
    ui_keymap_free(&map);
}

static void global_bindings_apply_in_every_context(void **state)
{
    (void)state;
    ui_keymap map = {0};
    char err[300];
    const char *text = "bind Enter open\nbind C-s filter\n";
    assert_int_equal(ui_keymap_parse(&map, text, strlen(text), "a", err, sizeof err), KV_OK);
    ui_key enter_curses = {.code = KEY_ENTER, .function = true}, newline = {.code = '\n'};
    ui_key ctrl_s = {.code = 0x13};
    assert_non_null(ui_keymap_lookup(&map, UI_CONTEXT_DOCUMENT, &enter_curses));
    assert_non_null(ui_keymap_lookup(&map, UI_CONTEXT_KEYS, &newline));
    assert_int_equal(ui_keymap_lookup(&map, UI_CONTEXT_CONFLICT, &ctrl_s)->action,
                     UI_ACTION_FILTER);
    ui_keymap_free(&map);
}

static void key_names_round_trip(void **state)
{
    (void)state;
    static const char *const names[] = {"j", "G", "?", "C-s", "Enter", "Escape", "Tab", "BTab",
                                        "Space", "Backspace", "Delete", "Up", "PgDn", "F1",
                                        "F12", "é"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ui_key key;
        char back[32];
        if (!ui_key_parse(names[i], &key))
            fail_msg("cannot parse %s", names[i]);
        ui_key_name(&key, back, sizeof back);
        assert_string_equal(back, names[i]);
    }
    ui_key key;
    assert_false(ui_key_parse("F13", &key));
    assert_false(ui_key_parse("ab", &key));
    assert_false(ui_key_parse("", &key));
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtin_maps_parse),
        cmocka_unit_test(every_action_has_a_default_key),
        cmocka_unit_test(errors_name_file_and_line),
        cmocka_unit_test(later_maps_override_and_lookup_falls_back),
        cmocka_unit_test(global_bindings_apply_in_every_context),
        cmocka_unit_test(key_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
