/* The help screen's text: every action with a key shows up once per context with all of its
 * keys together, command bindings show their command, a user's rebinding shows the new key and
 * not the old one, and an unbound key is gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "help.h"

static ui_keymap load(const char *user)
{
    ui_keymap map = {0};
    char err[300] = "";
    assert_int_equal(ui_keymap_load_builtin(&map, "default", err, sizeof err), KV_OK);
    if (user && ui_keymap_parse(&map, user, strlen(user), "user", err, sizeof err) != KV_OK)
        fail_msg("%s", err);
    return map;
}

/* The line under heading CONTEXT whose text contains NEEDLE, or NULL. */
static const char *find_line(const ui_help *help, const char *context, const char *needle)
{
    bool inside = false;
    for (size_t i = 0; i < help->count; i++) {
        if (help->lines[i].title)
            inside = strcmp(help->lines[i].text, context) == 0;
        else if (inside && strstr(help->lines[i].text, needle))
            return help->lines[i].text;
    }
    return NULL;
}

static size_t count_lines(const ui_help *help, const char *context, const char *needle)
{
    size_t n = 0;
    bool inside = false;
    for (size_t i = 0; i < help->count; i++) {
        if (help->lines[i].title)
            inside = strcmp(help->lines[i].text, context) == 0;
        else if (inside && strstr(help->lines[i].text, needle))
            n++;
    }
    return n;
}

static void keys_of_one_action_share_a_line(void **state)
{
    (void)state;
    ui_keymap map = load(NULL);
    ui_help help = {0};
    ui_help_build(&help, &map);
    const char *down = find_line(&help, "keys", " move-down ");
    assert_non_null(down);
    assert_non_null(strstr(down, "Down"));
    assert_non_null(strstr(down, "j"));
    assert_int_equal(count_lines(&help, "keys", " move-down "), 1);
    const char *quit = find_line(&help, "global", " quit ");
    assert_non_null(quit);
    assert_non_null(strstr(quit, ui_action_lookup("quit")->help));
    ui_help_free(&help);
    ui_keymap_free(&map);
}

static void every_bound_action_is_listed(void **state)
{
    (void)state;
    ui_keymap map = load(NULL);
    ui_help help = {0};
    ui_help_build(&help, &map);
    for (size_t i = 0; i < map.count; i++) {
        const ui_binding *b = &map.items[i];
        if (b->action == UI_ACTION_NONE || b->action == UI_ACTION_COMMAND)
            continue;
        char needle[64];
        snprintf(needle, sizeof needle, " %s ", ui_action_get(b->action)->name);
        if (!find_line(&help, ui_context_name(b->context), needle))
            fail_msg("%s: %s missing", ui_context_name(b->context), needle);
    }
    ui_help_free(&help);
    ui_keymap_free(&map);
}

static void user_bindings_replace_defaults(void **state)
{
    (void)state;
    ui_keymap map = load("bind q none\nbind Q quit\nbind keys x remove %k\n");
    ui_help help = {0};
    ui_help_build(&help, &map);
    const char *quit = find_line(&help, "global", " quit ");
    assert_non_null(quit);
    assert_non_null(strstr(quit, "  Q "));
    assert_null(strstr(quit, "q,"));
    assert_null(strstr(quit, ", q"));
    assert_non_null(find_line(&help, "keys", ":remove"));
    ui_help_build(&help, &map); /* rebuilding frees the old text (ASan checks) */
    ui_help_free(&help);
    ui_help_free(&help);
    ui_keymap_free(&map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_of_one_action_share_a_line),
        cmocka_unit_test(every_bound_action_is_listed),
        cmocka_unit_test(user_bindings_replace_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
