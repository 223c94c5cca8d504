/* Themes: the built-in ones parse with every style set, colours read with their fallback, and
 * a bad line is an error naming file and line that changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "theme.h"

static void builtin_themes_parse(void **state)
{
    (void)state;
    static const char *const names[] = {"default", "light"};
    for (size_t i = 0; i < 2; i++) {
        ui_style_spec specs[UI_STYLE_COUNT];
        char err[300] = "";
        if (ui_theme_load(names[i], specs, err, sizeof err) != KV_OK)
            fail_msg("%s: %s", names[i], err);
        assert_int_equal(specs[UI_STYLE_JSON_KEY].fg16, COLOR_BLUE);
        assert_true(specs[UI_STYLE_SELECTED].mono & A_REVERSE);
        assert_true(specs[UI_STYLE_ERROR].attr & A_BOLD);
    }
}

static void colours_have_a_fallback(void **state)
{
    (void)state;
    ui_style_spec specs[UI_STYLE_COUNT];
    char err[300];
    const char *text = "json-number = 80/cyan underline\nok = green\nnormal = default\n"
                       "mono ok = bold dim # a comment\n";
    assert_int_equal(ui_theme_parse(text, strlen(text), "t", specs, err, sizeof err), KV_OK);
    assert_int_equal(specs[UI_STYLE_JSON_NUMBER].fg256, 80);
    assert_int_equal(specs[UI_STYLE_JSON_NUMBER].fg16, COLOR_CYAN);
    assert_true(specs[UI_STYLE_JSON_NUMBER].attr & A_UNDERLINE);
    assert_int_equal(specs[UI_STYLE_OK].fg256, COLOR_GREEN);
    assert_int_equal(specs[UI_STYLE_OK].mono, A_BOLD | A_DIM);
    assert_int_equal(specs[UI_STYLE_NORMAL].fg16, -1);
}

static void assert_error(const char *text, const char *expected)
{
    ui_style_spec specs[UI_STYLE_COUNT];
    memset(specs, 0x5a, sizeof specs);
    char err[300] = "";
    assert_int_equal(ui_theme_parse(text, strlen(text), "my.theme", specs, err, sizeof err),
                     KV_ERR_ARGUMENT);
    if (!strstr(err, expected))
        fail_msg("'%s' lacks '%s'", err, expected);
    assert_int_equal(specs[0].fg256, 0x5a5a); /* untouched */
}

static void errors_name_file_and_line(void **state)
{
    (void)state;
    assert_error("ok = green\ntitle = purple\n", "my.theme:2: bad colour 'purple'");
    assert_error("oops = green\n", "my.theme:1: unknown style 'oops'");
    assert_error("ok = green blink\n", "my.theme:1: unknown attribute 'blink'");
    assert_error("ok green\n", "my.theme:1: expected 'STYLE = COLOUR");
    assert_error("ok = 300/red\n", "my.theme:1: bad colour '300/red'");
    ui_style_spec specs[UI_STYLE_COUNT];
    char err[300];
    assert_int_equal(ui_theme_load("/nonexistent.theme", specs, err, sizeof err),
                     KV_ERR_ARGUMENT);
    assert_non_null(strstr(err, "no theme"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtin_themes_parse),
        cmocka_unit_test(colours_have_a_fallback),
        cmocka_unit_test(errors_name_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
