/* Themes as data: see theme.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "theme.h"
#include "themes_builtin.h"

enum { MAX_LINE = 512, MAX_WORDS = 16, MAX_FILE = 1 << 16 };

static const char *const STYLE_NAMES[UI_STYLE_COUNT] = {
    [UI_STYLE_NORMAL] = "normal",
    [UI_STYLE_SELECTED] = "selected",
    [UI_STYLE_TITLE] = "title",
    [UI_STYLE_HEADER] = "header",
    [UI_STYLE_DIM] = "dim",
    [UI_STYLE_ESCAPE] = "escape",
    [UI_STYLE_TTL_WARNING] = "ttl-warning",
    [UI_STYLE_OK] = "ok",
    [UI_STYLE_ERROR] = "error",
    [UI_STYLE_BADGE] = "badge",
    [UI_STYLE_JSON_KEY] = "json-key",
    [UI_STYLE_JSON_STRING] = "json-string",
    [UI_STYLE_JSON_NUMBER] = "json-number",
    [UI_STYLE_JSON_LITERAL] = "json-literal",
};

static const char *const COLOUR_NAMES[] = {"black", "red",     "green", "yellow",
                                           "blue",  "magenta", "cyan",  "white"};

static const struct {
    const char *name;
    attr_t attr;
} ATTRIBUTES[] = {{"bold", A_BOLD},
                  {"dim", A_DIM},
                  {"italic", A_ITALIC},
                  {"underline", A_UNDERLINE},
                  {"reverse", A_REVERSE}};

/* A file being parsed: the specs it builds and where it set each style, for duplicates. */
typedef struct theme_parse {
    ui_style_spec specs[UI_STYLE_COUNT];
    unsigned colour_line[UI_STYLE_COUNT];
    unsigned mono_line[UI_STYLE_COUNT];
} theme_parse;

const char *ui_theme_style_name(ui_style style)
{
    return style < UI_STYLE_COUNT ? STYLE_NAMES[style] : "?";
}

static int style_named(const char *name)
{
    for (int i = 0; i < UI_STYLE_COUNT; i++)
        if (strcmp(STYLE_NAMES[i], name) == 0)
            return i;
    return -1;
}

/* COLOR_* for a name, -1 for "default", -2 for anything else. */
static short colour_named(const char *name)
{
    for (short i = 0; i < 8; i++)
        if (strcmp(COLOUR_NAMES[i], name) == 0)
            return i;
    return strcmp(name, "default") == 0 ? -1 : -2;
}

/* The basic colour nearest to xterm colour N, for "json-key = 75" on an 8/16-colour terminal:
 * a channel of the 6x6x6 cube counts when it is over half the brightest one. */
static short basic_colour_of(long n)
{
    if (n < 16)
        return (short)(n % 8);
    if (n >= 232)
        return n >= 244 ? COLOR_WHITE : COLOR_BLACK;
    int r = (int)(n - 16) / 36, g = (int)(n - 16) / 6 % 6, b = (int)(n - 16) % 6;
    int max = r > g ? (r > b ? r : b) : (g > b ? g : b);
    if (max == 0)
        return COLOR_BLACK;
    return (short)((r * 2 > max ? 1 : 0) | (g * 2 > max ? 2 : 0) | (b * 2 > max ? 4 : 0));
}

/* "default", "cyan", "45" or "45/cyan" into SPEC; false when it is none of them. */
static bool parse_colour(const char *word, ui_style_spec *spec)
{
    if (word[0] < '0' || word[0] > '9') {
        spec->fg16 = spec->fg256 = colour_named(word);
        return spec->fg16 != -2;
    }
    char *end;
    long n = strtol(word, &end, 10);
    if (n > 255 || (*end && *end != '/'))
        return false;
    spec->fg256 = (short)n;
    spec->fg16 = *end ? colour_named(end + 1) : basic_colour_of(n);
    return spec->fg16 >= 0;
}

static bool parse_attributes(char **words, int count, attr_t *attr, const char **bad)
{
    *attr = A_NORMAL;
    for (int i = 0; i < count; i++) {
        size_t k = 0;
        while (k < sizeof ATTRIBUTES / sizeof ATTRIBUTES[0] && strcmp(ATTRIBUTES[k].name, words[i]))
            k++;
        if (k == sizeof ATTRIBUTES / sizeof ATTRIBUTES[0]) {
            *bad = words[i];
            return false;
        }
        *attr |= ATTRIBUTES[k].attr;
    }
    return true;
}

/* Split TEXT in place at any of SEPARATORS; -1 when there are more than MAX words. */
static int split_words(char *text, const char *separators, char **words, int max)
{
    int n = 0;
    for (char *p = text + strspn(text, separators); *p; p += strspn(p, separators)) {
        if (n == max)
            return -1;
        words[n++] = p;
        p += strcspn(p, separators);
        if (*p)
            *p++ = '\0';
    }
    return n;
}

/* The style named by the words left of '=' ("json-key" or "mono json-key"), or -1. */
static int parse_target(char *left, bool *mono, char *why, size_t why_len)
{
    char *words[3];
    int n = split_words(left, " \t\r", words, 2);
    *mono = n == 2 && strcmp(words[0], "mono") == 0;
    if (n != (*mono ? 2 : 1)) {
        kv_error_printf(why, why_len, KV_ERR_ARGUMENT,
                        "expected 'STYLE = COLOUR [ATTRIBUTE...]'"
                        " or 'mono STYLE = [ATTRIBUTE...]'");
        return -1;
    }
    int style = style_named(words[n - 1]);
    if (style < 0)
        kv_error_printf(why, why_len, KV_ERR_ARGUMENT, "unknown style '%s'", words[n - 1]);
    return style;
}

/* The colour and attributes right of '=' into SPEC (attributes only for a mono line). */
static kv_status parse_value(char *right, bool mono, ui_style_spec *spec, char *why, size_t why_len)
{
    char *words[MAX_WORDS];
    int n = split_words(right, " \t\r,", words, MAX_WORDS);
    if (n < 0)
        return kv_error_printf(why, why_len, KV_ERR_ARGUMENT, "more than %d words", MAX_WORDS);
    if (!mono && n == 0)
        return kv_error_printf(why, why_len, KV_ERR_ARGUMENT, "missing colour after '='");
    if (!mono && !parse_colour(words[0], spec))
        return kv_error_printf(why, why_len, KV_ERR_ARGUMENT,
                               "bad colour '%s' (default, a colour name, 0-255 or N/NAME)",
                               words[0]);
    int first = mono ? 0 : 1;
    const char *bad = NULL;
    if (!parse_attributes(words + first, n - first, mono ? &spec->mono : &spec->attr, &bad))
        return kv_error_printf(why, why_len, KV_ERR_ARGUMENT,
                               "unknown attribute '%s' (bold dim italic underline reverse)", bad);
    return KV_OK;
}

/* One line (comment already cut) into PARSE; a style set twice names the earlier line. */
static kv_status parse_line(char *line, unsigned number, theme_parse *parse, char *why,
                            size_t why_len)
{
    char *equals = strchr(line, '=');
    if (strspn(line, " \t\r") == strlen(line))
        return KV_OK;
    if (!equals)
        return kv_error_printf(why, why_len, KV_ERR_ARGUMENT,
                               "expected 'STYLE = COLOUR [ATTRIBUTE...]'");
    *equals = '\0';
    bool mono;
    int style = parse_target(line, &mono, why, why_len);
    if (style < 0)
        return KV_ERR_ARGUMENT;
    unsigned *set_at = mono ? &parse->mono_line[style] : &parse->colour_line[style];
    if (*set_at)
        return kv_error_printf(why, why_len, KV_ERR_ARGUMENT, "%s'%s' is already set at line %u",
                               mono ? "mono " : "", STYLE_NAMES[style], *set_at);
    *set_at = number;
    return parse_value(equals + 1, mono, &parse->specs[style], why, why_len);
}

kv_status ui_theme_parse(const char *text, size_t len, const char *source,
                         ui_style_spec specs[UI_STYLE_COUNT], char *errbuf, size_t errbuf_len)
{
    theme_parse parse = {0};
    memcpy(parse.specs, specs, sizeof parse.specs);
    unsigned number = 0;
    for (size_t start = 0; start < len;) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        char line[MAX_LINE], why[200];
        bool fits = end - start < sizeof line && !memchr(text + start, '\0', end - start);
        snprintf(line, sizeof line, "%.*s", (int)(end - start), text + start);
        start = end + 1;
        number++;
        line[strcspn(line, "#")] = '\0';
        if (!fits)
            snprintf(why, sizeof why, "line longer than %d bytes or with a NUL byte", MAX_LINE - 1);
        if (!fits || parse_line(line, number, &parse, why, sizeof why) != KV_OK)
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "%s:%u: %s", source, number,
                                   why);
    }
    memcpy(specs, parse.specs, sizeof parse.specs);
    return KV_OK;
}

static kv_status parse_builtin(size_t index, ui_style_spec *specs, char *errbuf, size_t errbuf_len)
{
    char source[64];
    snprintf(source, sizeof source, "assets/themes/%s.theme", THEMES_BUILTIN[index].name);
    return ui_theme_parse(THEMES_BUILTIN[index].text, THEMES_BUILTIN[index].len, source, specs,
                          errbuf, errbuf_len);
}

/* The index of the built-in theme NAME, or -1. */
static int builtin_named(const char *name)
{
    for (size_t i = 0; i < sizeof THEMES_BUILTIN / sizeof THEMES_BUILTIN[0]; i++)
        if (strcmp(THEMES_BUILTIN[i].name, name) == 0)
            return (int)i;
    return -1;
}

static kv_status parse_file(const char *path, ui_style_spec *specs, char *errbuf, size_t errbuf_len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                               "no theme '%s' (built in: default, light) and no such file", path);
    char *text = malloc(MAX_FILE + 1);
    if (!text)
        abort();
    size_t len = fread(text, 1, MAX_FILE + 1, f);
    bool failed = ferror(f);
    fclose(f);
    kv_status status;
    if (failed)
        status = kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "%s: cannot read", path);
    else if (len > MAX_FILE)
        status = kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "%s: larger than %d bytes",
                                 path, MAX_FILE);
    else
        status = ui_theme_parse(text, len, path, specs, errbuf, errbuf_len);
    free(text);
    return status;
}

kv_status ui_theme_load(const char *name, ui_style_spec specs[UI_STYLE_COUNT], char *errbuf,
                        size_t errbuf_len)
{
    for (int i = 0; i < UI_STYLE_COUNT; i++)
        specs[i] = (ui_style_spec){.fg256 = -1, .fg16 = -1, .attr = A_NORMAL, .mono = A_NORMAL};
    kv_status status = parse_builtin((size_t)builtin_named("default"), specs, errbuf, errbuf_len);
    if (status != KV_OK || strcmp(name, "default") == 0)
        return status;
    int builtin = builtin_named(name);
    return builtin >= 0 ? parse_builtin((size_t)builtin, specs, errbuf, errbuf_len)
                        : parse_file(name, specs, errbuf, errbuf_len);
}
