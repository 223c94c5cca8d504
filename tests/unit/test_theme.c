/* Themes: the built-in ones parse with every style set, colours read with their fallback, a theme
 * file is applied over the default one, a bad line is an error naming file and line that changes
 * nothing, and on a (fake) terminal the styles get colours, the 8-colour fallback or, with
 * NO_COLOR, attributes only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "theme.h"

static void builtin_themes_parse(void **state)
{
    (void)state;
    static const char *const names[] = {"default", "light"};
    short json_key[2];
    for (size_t i = 0; i < 2; i++) {
        ui_style_spec specs[UI_STYLE_COUNT];
        char err[300] = "";
        if (ui_theme_load(names[i], specs, err, sizeof err) != KV_OK)
            fail_msg("%s: %s", names[i], err);
        assert_int_equal(specs[UI_STYLE_JSON_KEY].fg16, COLOR_BLUE);
        assert_true(specs[UI_STYLE_SELECTED].mono & A_REVERSE);
        assert_true(specs[UI_STYLE_SELECTED].attr & A_REVERSE);
        assert_true(specs[UI_STYLE_ERROR].attr & A_BOLD);
        assert_true(specs[UI_STYLE_ESCAPE].mono != A_NORMAL); /* escapes stand out without colour */
        json_key[i] = specs[UI_STYLE_JSON_KEY].fg256;
    }
    assert_int_not_equal(json_key[0], json_key[1]); /* light is darker */
}

static void parse_over_defaults(const char *text, ui_style_spec *specs)
{
    char err[300] = "";
    assert_int_equal(ui_theme_load("default", specs, err, sizeof err), KV_OK);
    if (ui_theme_parse(text, strlen(text), "t", specs, err, sizeof err) != KV_OK)
        fail_msg("%s", err);
}

static void colours_have_a_fallback(void **state)
{
    (void)state;
    ui_style_spec specs[UI_STYLE_COUNT];
    parse_over_defaults("json-number = 80/cyan underline\nok = green\nnormal = default\n"
                        "mono ok = bold dim # a comment\n",
                        specs);
    assert_int_equal(specs[UI_STYLE_JSON_NUMBER].fg256, 80);
    assert_int_equal(specs[UI_STYLE_JSON_NUMBER].fg16, COLOR_CYAN);
    assert_true(specs[UI_STYLE_JSON_NUMBER].attr & A_UNDERLINE);
    assert_int_equal(specs[UI_STYLE_OK].fg256, COLOR_GREEN);
    assert_int_equal(specs[UI_STYLE_OK].mono, A_BOLD | A_DIM);
    assert_int_equal(specs[UI_STYLE_NORMAL].fg16, -1);
}

static void bare_numbers_pick_the_nearest_basic_colour(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        short fg16;
    } cases[] = {{"196", COLOR_RED},    {"21", COLOR_BLUE},   {"28", COLOR_GREEN},
                 {"226", COLOR_YELLOW}, {"51", COLOR_CYAN},   {"201", COLOR_MAGENTA},
                 {"9", COLOR_RED},      {"232", COLOR_BLACK}, {"255", COLOR_WHITE},
                 {"16", COLOR_BLACK},   {"231", COLOR_WHITE}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ui_style_spec specs[UI_STYLE_COUNT];
        char line[64];
        snprintf(line, sizeof line, "title = %s,bold,italic\n", cases[i].value);
        parse_over_defaults(line, specs);
        assert_int_equal(specs[UI_STYLE_TITLE].fg256, atoi(cases[i].value));
        if (specs[UI_STYLE_TITLE].fg16 != cases[i].fg16)
            fail_msg("colour %s: fallback %d, want %d", cases[i].value, specs[UI_STYLE_TITLE].fg16,
                     cases[i].fg16);
        assert_int_equal(specs[UI_STYLE_TITLE].attr, A_BOLD | A_ITALIC);
    }
}

static void a_theme_file_changes_only_what_it_names(void **state)
{
    (void)state;
    char path[] = "/tmp/kvtui-theme-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "json-key = 33\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    ui_style_spec mine[UI_STYLE_COUNT], base[UI_STYLE_COUNT];
    char err[300] = "";
    assert_int_equal(ui_theme_load("default", base, err, sizeof err), KV_OK);
    if (ui_theme_load(path, mine, err, sizeof err) != KV_OK)
        fail_msg("%s", err);
    unlink(path);
    assert_int_equal(mine[UI_STYLE_JSON_KEY].fg256, 33);
    assert_int_equal(mine[UI_STYLE_JSON_KEY].attr, A_NORMAL); /* the line set it */
    assert_int_equal(mine[UI_STYLE_JSON_KEY].mono, base[UI_STYLE_JSON_KEY].mono); /* kept */
    assert_memory_equal(&mine[UI_STYLE_SELECTED], &base[UI_STYLE_SELECTED], sizeof *mine);
    assert_memory_equal(&mine[UI_STYLE_ERROR], &base[UI_STYLE_ERROR], sizeof *mine);
}

static void assert_error_len(const char *text, size_t len, const char *expected)
{
    ui_style_spec specs[UI_STYLE_COUNT];
    memset(specs, 0x5a, sizeof specs);
    char err[300] = "";
    assert_int_equal(ui_theme_parse(text, len, "my.theme", specs, err, sizeof err),
                     KV_ERR_ARGUMENT);
    if (!strstr(err, expected))
        fail_msg("'%s' lacks '%s'", err, expected);
    for (int i = 0; i < UI_STYLE_COUNT; i++)
        assert_int_equal(specs[i].fg256, 0x5a5a); /* untouched */
}

static void assert_error(const char *text, const char *expected)
{
    assert_error_len(text, strlen(text), expected);
}

static void errors_name_file_and_line(void **state)
{
    (void)state;
    assert_error("ok = green\ntitle = purple\n", "my.theme:2: bad colour 'purple'");
    assert_error("oops = green\n", "my.theme:1: unknown style 'oops'");
    assert_error("ok = green blink\n", "my.theme:1: unknown attribute 'blink'");
    assert_error("ok green\n", "my.theme:1: expected 'STYLE = COLOUR");
    assert_error("ok = 300/red\n", "my.theme:1: bad colour '300/red'");
    assert_error("ok = 256\n", "my.theme:1: bad colour '256'");
    assert_error("ok = 12/\n", "my.theme:1: bad colour '12/'");
    assert_error("ok = 12x\n", "my.theme:1: bad colour '12x'");
    assert_error("ok = -1\n", "my.theme:1: bad colour '-1'");
    assert_error("ok =\n", "my.theme:1: missing colour");
    assert_error("= red\n", "my.theme:1: expected 'STYLE = COLOUR");
    assert_error("ok title = red\n", "my.theme:1: expected 'STYLE = COLOUR");
    assert_error("mono ok = red\n", "my.theme:1: unknown attribute 'red'");
    assert_error("# c\nok = green\n\nok = red\n", "my.theme:4: 'ok' is already set at line 2");
    assert_error("mono ok = bold\nmono ok = dim\n",
                 "my.theme:2: mono 'ok' is already set at line 1");
    char long_line[700];
    memset(long_line, ' ', sizeof long_line);
    memcpy(long_line, "ok = red", 8);
    long_line[sizeof long_line - 1] = '\0';
    assert_error(long_line, "my.theme:1: line longer than 511 bytes");
    assert_error_len("ok = red\nerror = red\0bold\n", 22, "my.theme:2: line longer");
}

static void missing_or_bad_files_name_the_file(void **state)
{
    (void)state;
    ui_style_spec specs[UI_STYLE_COUNT];
    char err[300];
    assert_int_equal(ui_theme_load("/nonexistent.theme", specs, err, sizeof err), KV_ERR_ARGUMENT);
    assert_non_null(strstr(err, "no theme '/nonexistent.theme'"));
    char path[] = "/tmp/kvtui-theme-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "ok = red\nok = blue\n", 19), 19);
    close(fd);
    assert_int_equal(ui_theme_load(path, specs, err, sizeof err), KV_ERR_ARGUMENT);
    unlink(path);
    char expected[300];
    snprintf(expected, sizeof expected, "%s:2: 'ok' is already set at line 1", path);
    assert_string_equal(err, expected);
}

/* A curses screen of terminal type TERM writing to /dev/null, with the default theme applied;
 * NULL when this system lacks the terminfo entry. */
static SCREEN *fake_terminal(const char *term, FILE **out, FILE **in)
{
    *out = fopen("/dev/null", "w");
    *in = fopen("/dev/null", "r");
    SCREEN *screen = *out && *in ? newterm(term, *out, *in) : NULL;
    if (!screen) {
        fclose(*out);
        fclose(*in);
        return NULL;
    }
    ui_style_spec specs[UI_STYLE_COUNT];
    char err[300];
    assert_int_equal(ui_theme_load("default", specs, err, sizeof err), KV_OK);
    ui_styles_init(specs);
    return screen;
}

static void close_fake_terminal(SCREEN *screen, FILE *out, FILE *in)
{
    endwin();
    delscreen(screen);
    fclose(out);
    fclose(in);
}

/* The foreground of STYLE's colour pair, or -2 when it has none. */
static short style_foreground(ui_style style)
{
    short pair = (short)PAIR_NUMBER(ui_style_attr(style)), fg, bg;
    if (pair == 0)
        return -2;
    assert_int_equal(pair_content(pair, &fg, &bg), OK);
    return fg;
}

static void check_terminal(const char *term, const char *no_color, short json_key_fg, bool *ran)
{
    if (no_color)
        setenv("NO_COLOR", no_color, 1);
    else
        unsetenv("NO_COLOR");
    FILE *out, *in;
    SCREEN *screen = fake_terminal(term, &out, &in);
    if (!screen)
        return;
    *ran = true;
    short fg = style_foreground(UI_STYLE_JSON_KEY);
    attr_t selected = ui_style_attr(UI_STYLE_SELECTED);
    attr_t json_key = ui_style_attr(UI_STYLE_JSON_KEY);
    close_fake_terminal(screen, out, in);
    if (fg != json_key_fg)
        fail_msg("%s, NO_COLOR=%s: json-key colour %d, want %d", term, no_color ? no_color : "-",
                 fg, json_key_fg);
    assert_true(selected & A_REVERSE);
    assert_true(json_key & A_BOLD);
    if (json_key_fg == -2) /* without colours: exactly the mono attributes */
        assert_int_equal(json_key, A_BOLD);
}

static void terminals_get_colours_fallbacks_or_attributes(void **state)
{
    (void)state;
    bool ran = false;
    check_terminal("xterm-256color", NULL, 75, &ran);
    check_terminal("xterm-256color", "", 75, &ran); /* NO_COLOR counts only when not empty */
    check_terminal("xterm-256color", "1", -2, &ran);
    check_terminal("xterm", NULL, COLOR_BLUE, &ran);
    check_terminal("xterm", "yes", -2, &ran);
    check_terminal("vt100", NULL, -2, &ran);
    unsetenv("NO_COLOR");
    if (!ran) {
        print_message("terminal checks not run: no terminfo for xterm-256color, xterm, vt100\n");
        skip();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtin_themes_parse),
        cmocka_unit_test(colours_have_a_fallback),
        cmocka_unit_test(bare_numbers_pick_the_nearest_basic_colour),
        cmocka_unit_test(a_theme_file_changes_only_what_it_names),
        cmocka_unit_test(errors_name_file_and_line),
        cmocka_unit_test(missing_or_bad_files_name_the_file),
        cmocka_unit_test(terminals_get_colours_fallbacks_or_attributes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
