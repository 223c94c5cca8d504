/* Key maps: the built-in files parse and give DESIGN.md's keys, every action
 * has a default key, errors name file and line and change nothing, user files
 * override key by key, lookups fall back to global, key names read and print
 * the same, command bindings keep their words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curses.h>
#include <locale.h>

#include "command.h"
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
    static const char *const names[] = {"j",    "G",    "?",     "C-s",       "Enter",  "Escape",
                                        "Tab",  "BTab", "Space", "Backspace", "Delete", "Up",
                                        "PgDn", "F1",   "F12",   "é"};
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

/* The binding a user gets for KEY (a key name) in CONTEXT, as the loop would
 * look it up. */
static const char *action_for(const ui_keymap *map, ui_context context, const char *key)
{
    ui_key k;
    if (!ui_key_parse(key, &k))
        fail_msg("cannot parse key name %s", key);
    const ui_binding *b = ui_keymap_lookup(map, context, &k);
    return b ? ui_action_get(b->action)->name : "(unbound)";
}

static void expect_action(const ui_keymap *map, ui_context context, const char *key,
                          const char *action)
{
    const char *got = action_for(map, context, key);
    if (strcmp(got, action) != 0)
        fail_msg("%s %s: %s, want %s", ui_context_name(context), key, got, action);
}

static void design_section_7_defaults(void **state)
{
    (void)state;
    ui_keymap map = {0};
    char err[300];
    assert_int_equal(ui_keymap_load_builtin(&map, "default", err, sizeof err), KV_OK);
    static const struct {
        ui_context context;
        const char *key, *action;
    } want[] = {
        {UI_CONTEXT_KEYS, "q", "quit"},
        {UI_CONTEXT_DOCUMENT, "q", "quit"},
        {UI_CONTEXT_KEYS, "?", "help"},
        {UI_CONTEXT_KEYS, ":", "command-line"},
        {UI_CONTEXT_KEYS, "/", "filter"},
        {UI_CONTEXT_KEYS, "Tab", "switch-pane"},
        {UI_CONTEXT_DOCUMENT, "Tab", "switch-pane"},
        {UI_CONTEXT_KEYS, "Up", "move-up"},
        {UI_CONTEXT_KEYS, "k", "move-up"},
        {UI_CONTEXT_KEYS, "Down", "move-down"},
        {UI_CONTEXT_KEYS, "j", "move-down"},
        {UI_CONTEXT_DOCUMENT, "Up", "move-up"},
        {UI_CONTEXT_DOCUMENT, "j", "move-down"},
        {UI_CONTEXT_KEYS, "Enter", "open"},
        {UI_CONTEXT_KEYS, "e", "edit"},
        {UI_CONTEXT_DOCUMENT, "e", "edit"},
        {UI_CONTEXT_KEYS, "E", "edit-external"},
        {UI_CONTEXT_KEYS, "d", "delete"},
        {UI_CONTEXT_KEYS, "t", "set-ttl"},
        {UI_CONTEXT_KEYS, "+", "counter-increment"},
        {UI_CONTEXT_KEYS, "-", "counter-decrement"},
        {UI_CONTEXT_KEYS, "n", "new-document"},
        {UI_CONTEXT_KEYS, "r", "reload"},
        {UI_CONTEXT_CONFLICT, "o", "overwrite"},
        {UI_CONTEXT_CONFLICT, "t", "take-theirs"},
        {UI_CONTEXT_CONFLICT, "m", "merge"},
        {UI_CONTEXT_CONFLICT, "e", "keep-editing"},
        {UI_CONTEXT_EDITOR, "C-s", "save"},
        {UI_CONTEXT_EDITOR, "Escape", "leave"},
        {UI_CONTEXT_EDITOR, "q", "(unbound)"}, /* typed: global keys do not apply in the editor */
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        expect_action(&map, want[i].context, want[i].key, want[i].action);
    ui_keymap_free(&map);
}

static void vim_and_emacs_add_their_keys_over_the_defaults(void **state)
{
    (void)state;
    ui_keymap map = {0};
    char err[300];
    assert_int_equal(ui_keymap_load_builtin(&map, "default", err, sizeof err), KV_OK);
    assert_int_equal(ui_keymap_load_builtin(&map, "vim", err, sizeof err), KV_OK);
    expect_action(&map, UI_CONTEXT_KEYS, "C-f", "page-down");
    expect_action(&map, UI_CONTEXT_DOCUMENT, "C-b", "page-up");
    expect_action(&map, UI_CONTEXT_KEYS, "i", "edit");
    expect_action(&map, UI_CONTEXT_KEYS, "q", "quit"); /* defaults stay */
    ui_keymap_free(&map);
    assert_int_equal(ui_keymap_load_builtin(&map, "default", err, sizeof err), KV_OK);
    assert_int_equal(ui_keymap_load_builtin(&map, "emacs", err, sizeof err), KV_OK);
    expect_action(&map, UI_CONTEXT_KEYS, "C-n", "move-down");
    expect_action(&map, UI_CONTEXT_DOCUMENT, "C-p", "move-up");
    expect_action(&map, UI_CONTEXT_KEYS, "j", "move-down");
    ui_keymap_free(&map);
    assert_int_equal(ui_keymap_load_builtin(&map, "vi", err, sizeof err), KV_ERR_ARGUMENT);
    assert_non_null(strstr(err, "'vi'"));
}

static void action_table_names_each_action_once(void **state)
{
    (void)state;
    for (int a = 0; a < UI_ACTION_COUNT; a++) {
        const ui_action_info *info = ui_action_get((ui_action)a);
        assert_non_null(info);
        assert_int_equal(info->id, a);
        assert_true(info->name[0] && info->help[0]);
        assert_ptr_equal(ui_action_lookup(info->name), info); /* so names are unique */
    }
    assert_null(ui_action_get(UI_ACTION_COUNT));
    assert_null(ui_action_lookup("quitt"));
    for (int c = 0; c < UI_CONTEXT_COUNT; c++)
        assert_int_equal(ui_context_lookup(ui_context_name((ui_context)c)), c);
    assert_int_equal(ui_context_lookup("editr"), UI_CONTEXT_COUNT);
}

/* Every key the built-in maps bind is shown in the help under a name that reads
 * back as it. */
static void bound_key_names_read_back(void **state)
{
    (void)state;
    static const char *const names[] = {"default", "vim", "emacs"};
    for (size_t i = 0; i < 3; i++) {
        ui_keymap map = {0};
        char err[300];
        assert_int_equal(ui_keymap_load_builtin(&map, names[i], err, sizeof err), KV_OK);
        for (size_t b = 0; b < map.count; b++) {
            char name[32];
            ui_key back;
            ui_key_name(&map.items[b].key, name, sizeof name);
            if (!ui_key_parse(name, &back) || back.code != map.items[b].key.code ||
                back.function != map.items[b].key.function)
                fail_msg("%s: key %s does not read back", names[i], name);
        }
        ui_keymap_free(&map);
    }
}

static char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/kvtui-keys-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void user_file_overrides_key_by_key(void **state)
{
    (void)state;
    ui_keymap map = {0};
    char err[300];
    assert_int_equal(ui_keymap_load_builtin(&map, "default", err, sizeof err), KV_OK);
    char *path = write_temp("# mine\r\nbind q help\r\nbind keys q quit\r\nbind keys d none\r\n");
    kv_status status = ui_keymap_load_file(&map, path, err, sizeof err);
    unlink(path);
    if (status != KV_OK)
        fail_msg("%s", err);
    expect_action(&map, UI_CONTEXT_KEYS, "q", "quit");
    expect_action(&map, UI_CONTEXT_DOCUMENT, "q", "help");
    expect_action(&map, UI_CONTEXT_KEYS, "d", "(unbound)");
    expect_action(&map, UI_CONTEXT_DOCUMENT, "d", "delete"); /* only keys' d was unbound */
    expect_action(&map, UI_CONTEXT_KEYS, "j", "move-down");
    ui_keymap_free(&map);
}

static void a_refused_file_keeps_the_loaded_map(void **state)
{
    (void)state;
    ui_keymap map = {0};
    char err[300];
    assert_int_equal(ui_keymap_load_builtin(&map, "default", err, sizeof err), KV_OK);
    size_t count = map.count;
    char *path = write_temp("bind q help\nbind j move-up\n\n# a comment\nbind x quitt\n");
    assert_int_equal(ui_keymap_load_file(&map, path, err, sizeof err), KV_ERR_ARGUMENT);
    char expected[300];
    snprintf(expected, sizeof expected, "%s:5: unknown action or command 'quitt'", path);
    unlink(path);
    assert_string_equal(err, expected);
    assert_int_equal(map.count, count);
    expect_action(&map, UI_CONTEXT_KEYS, "q", "quit"); /* line 1 was not applied */
    expect_action(&map, UI_CONTEXT_KEYS, "j", "move-down");
    assert_int_equal(ui_keymap_load_file(&map, "/nonexistent/keys", err, sizeof err),
                     KV_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "/nonexistent/keys"));
    ui_keymap_free(&map);
}

static void same_key_spelled_twice_is_a_duplicate(void **state)
{
    (void)state;
    assert_error("bind C-i quit\nbind Tab help\n",
                 "my.keys:2: 'Tab' is already bound in global at line 1");
    assert_error("bind Enter open\n# x\nbind C-m quit\n", "my.keys:3: 'Enter' is already bound");
    assert_error("bind keys Backspace delete\nbind keys C-h quit\n",
                 "my.keys:2: 'Backspace' is already bound in keys at line 1");
    ui_keymap map = {0};
    char err[300];
    const char *text = "bind keys j move-down\nbind document j move-down\nbind j quit\n";
    assert_int_equal(ui_keymap_parse(&map, text, strlen(text), "a", err, sizeof err), KV_OK);
    assert_int_equal(map.count, 3); /* one key in three contexts is no duplicate */
    ui_keymap_free(&map);
}

static void command_bindings_keep_their_words(void **state)
{
    (void)state;
    ui_keymap map = {0};
    char err[300];
    const char *text = "bind keys x upsert %k '{\"a\": 1}' --ttl 60 # trailing comment\n"
                       "bind keys X remove %k\n";
    assert_int_equal(ui_keymap_parse(&map, text, strlen(text), "a", err, sizeof err), KV_OK);
    ui_key x = {.code = 'x'}, X = {.code = 'X'};
    const ui_binding *b = ui_keymap_lookup(&map, UI_CONTEXT_KEYS, &x);
    assert_int_equal(b->action, UI_ACTION_COMMAND);
    int argc = 0;
    char **argv = NULL;
    size_t column;
    assert_int_equal(kv_command_split(b->command, &argc, &argv, &column, err, sizeof err), KV_OK);
    assert_int_equal(argc, 5);
    assert_string_equal(argv[1], "%k");
    assert_string_equal(argv[2], "{\"a\": 1}");
    assert_string_equal(argv[4], "60");
    kv_command_argv_free(argv);
    assert_string_equal(ui_keymap_lookup(&map, UI_CONTEXT_KEYS, &X)->command, "remove %k");
    assert_null(ui_keymap_lookup(&map, UI_CONTEXT_DOCUMENT, &x)); /* bound in keys only */
    ui_keymap_free(&map);
}

static void control_key_names_read_back(void **state)
{
    (void)state;
    for (int code = 0; code < 0x20; code++) {
        ui_key key = {.code = code}, back;
        char name[32];
        ui_key_name(&key, name, sizeof name);
        if (!ui_key_parse(name, &back) || back.code != code)
            fail_msg("control code %d is named '%s', which does not read back", code, name);
    }
    static const struct {
        const char *name;
        int code;
    } spellings[] = {{"C-_", 0x1f}, {"C-Space", 0}, {"C-@", 0}, {"C-\\", 0x1c},
                     {"C-]", 0x1d}, {"C-[", 27},    {"C-a", 1}};
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
        ui_key key;
        assert_true(ui_key_parse(spellings[i].name, &key));
        assert_int_equal(key.code, spellings[i].code);
    }
    ui_key key;
    assert_false(ui_key_parse("C-S", &key));
    assert_false(ui_key_parse("C-1", &key));
}

/* The command a binding stores, split again, is the words the user wrote. */
static void assert_command_words(const char *line, const char *const *words, int count)
{
    ui_keymap map = {0};
    char err[300];
    assert_int_equal(ui_keymap_parse(&map, line, strlen(line), "a", err, sizeof err), KV_OK);
    int argc = 0;
    char **argv = NULL;
    size_t column;
    if (kv_command_split(map.items[0].command, &argc, &argv, &column, err, sizeof err) != KV_OK)
        fail_msg("'%s' does not split: %s", map.items[0].command, err);
    assert_int_equal(argc, count);
    for (int i = 0; i < count; i++)
        assert_string_equal(argv[i], words[i]);
    kv_command_argv_free(argv);
    ui_keymap_free(&map);
}

static void command_bindings_survive_quotes(void **state)
{
    (void)state;
    static const char *const apostrophe[] = {"upsert", "%k", "it's a \"test\""};
    assert_command_words("bind x upsert %k \"it's a \\\"test\\\"\"\n", apostrophe, 3);
    static const char *const hash[] = {"append", "%k", "#1 \\ ", ""};
    assert_command_words("bind x append %k '#1 \\ ' ''\n", hash, 4);
    /* %k stays outside the quotes: the loop quotes the selected key itself. */
    ui_keymap map = {0};
    char err[300];
    const char *line = "bind x upsert \"pre %k post\" v\n";
    assert_int_equal(ui_keymap_parse(&map, line, strlen(line), "a", err, sizeof err), KV_OK);
    assert_string_equal(map.items[0].command, "upsert 'pre '%k' post' v");
    ui_keymap_free(&map);
}

static void overlong_lines_and_missing_keys_are_errors(void **state)
{
    (void)state;
    char text[1200];
    snprintf(text, sizeof text, "bind q quit\nbind x upsert %%k '%01100d'\n", 0);
    assert_error(text, "my.keys:2: line longer than 1023 bytes");
    assert_error("bind keys q\n", "my.keys:1: bind needs a key and an action");
    assert_error("bind keys\n", "my.keys:1: bind needs a key and an action");
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
        cmocka_unit_test(design_section_7_defaults),
        cmocka_unit_test(vim_and_emacs_add_their_keys_over_the_defaults),
        cmocka_unit_test(action_table_names_each_action_once),
        cmocka_unit_test(bound_key_names_read_back),
        cmocka_unit_test(user_file_overrides_key_by_key),
        cmocka_unit_test(a_refused_file_keeps_the_loaded_map),
        cmocka_unit_test(same_key_spelled_twice_is_a_duplicate),
        cmocka_unit_test(command_bindings_keep_their_words),
        cmocka_unit_test(control_key_names_read_back),
        cmocka_unit_test(command_bindings_survive_quotes),
        cmocka_unit_test(overlong_lines_and_missing_keys_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
