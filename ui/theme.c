/* Themes as data: see theme.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "theme.h"
#include "themes_builtin.h"

static const char *const STYLE_NAMES[UI_STYLE_COUNT] = {
    [UI_STYLE_NORMAL] = "normal",           [UI_STYLE_SELECTED] = "selected",
    [UI_STYLE_TITLE] = "title",             [UI_STYLE_HEADER] = "header",
    [UI_STYLE_DIM] = "dim",                 [UI_STYLE_ESCAPE] = "escape",
    [UI_STYLE_TTL_WARNING] = "ttl-warning", [UI_STYLE_OK] = "ok",
    [UI_STYLE_ERROR] = "error",             [UI_STYLE_BADGE] = "badge",
    [UI_STYLE_JSON_KEY] = "json-key",       [UI_STYLE_JSON_STRING] = "json-string",
    [UI_STYLE_JSON_NUMBER] = "json-number", [UI_STYLE_JSON_LITERAL] = "json-literal",
};

static const char *const COLOUR_NAMES[] = {"black", "red",     "green", "yellow",
                                           "blue",  "magenta", "cyan",  "white"};

static const struct {
    const char *name;
    attr_t attr;
} ATTRIBUTES[] = {{"bold", A_BOLD}, {"dim", A_DIM}, {"underline", A_UNDERLINE},
                  {"reverse", A_REVERSE}};

static int style_named(const char *name)
{
    for (int i = 0; i < UI_STYLE_COUNT; i++)
        if (strcmp(STYLE_NAMES[i], name) == 0)
            return i;
    return -1;
}

static short colour_named(const char *name)
{
    for (short i = 0; i < 8; i++)
        if (strcmp(COLOUR_NAMES[i], name) == 0)
            return i;
    return strcmp(name, "default") == 0 ? -1 : -2;
}

/* "default", "cyan" or "45/cyan" into SPEC; false when it is none of them. */
static bool parse_colour(const char *word, ui_style_spec *spec)
{
    const char *slash = strchr(word, '/');
    if (!slash) {
        spec->fg16 = spec->fg256 = colour_named(word);
        return spec->fg16 != -2;
    }
    char *end;
    long n = strtol(word, &end, 10);
    spec->fg16 = colour_named(slash + 1);
    spec->fg256 = (short)n;
    return end == slash && end != word && n >= 0 && n <= 255 && spec->fg16 != -2;
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

/* One "STYLE = COLOUR ATTR..." or "mono STYLE = ATTR..." line, split into words. */
static kv_status parse_words(char **w, int n, ui_style_spec *specs, char *why, size_t why_len)
{
    bool mono = n > 0 && strcmp(w[0], "mono") == 0;
    int at = mono ? 1 : 0;
    if (n - at < 2 || strcmp(w[at + 1], "=") != 0)
        return kv_error_printf(why, why_len, KV_ERR_ARGUMENT,
                               "expected 'STYLE = COLOUR [ATTRIBUTE...]'");
    int style = style_named(w[at]);
    if (style < 0)
        return kv_error_printf(why, why_len, KV_ERR_ARGUMENT, "unknown style '%s'", w[at]);
    ui_style_spec *spec = &specs[style];
    int first_attr = at + (mono ? 2 : 3);
    if (!mono && (n < at + 3 || !parse_colour(w[at + 2], spec)))
        return kv_error_printf(why, why_len, KV_ERR_ARGUMENT, "bad colour '%s'",
                               n > at + 2 ? w[at + 2] : "");
    const char *bad = NULL;
    if (!parse_attributes(w + first_attr, n - first_attr, mono ? &spec->mono : &spec->attr, &bad))
        return kv_error_printf(why, why_len, KV_ERR_ARGUMENT, "unknown attribute '%s'", bad);
    return KV_OK;
}

static int split_words(char *line, char **words, int max)
{
    int n = 0;
    for (char *word = strtok(line, " \t\r"); word && n < max; word = strtok(NULL, " \t\r"))
        words[n++] = word;
    return n;
}

kv_status ui_theme_parse(const char *text, size_t len, const char *source,
                         ui_style_spec specs[UI_STYLE_COUNT], char *errbuf, size_t errbuf_len)
{
    ui_style_spec parsed[UI_STYLE_COUNT];
    for (int i = 0; i < UI_STYLE_COUNT; i++)
        parsed[i] = (ui_style_spec){.fg256 = -1, .fg16 = -1, .attr = A_NORMAL, .mono = A_NORMAL};
    unsigned number = 0;
    for (size_t start = 0; start < len;) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        char line[512], why[200], *words[16];
        snprintf(line, sizeof line, "%.*s", (int)(end - start), text + start);
        start = end + 1;
        number++;
        char *comment = strchr(line, '#');
        if (comment)
            *comment = '\0';
        int n = split_words(line, words, 16);
        if (n > 0 && parse_words(words, n, parsed, why, sizeof why) != KV_OK)
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "%s:%u: %s", source,
                                   number, why);
    }
    memcpy(specs, parsed, sizeof parsed);
    return KV_OK;
}

kv_status ui_theme_load(const char *name, ui_style_spec specs[UI_STYLE_COUNT], char *errbuf,
                        size_t errbuf_len)
{
    for (size_t i = 0; i < sizeof THEMES_BUILTIN / sizeof THEMES_BUILTIN[0]; i++)
        if (strcmp(THEMES_BUILTIN[i].name, name) == 0) {
            char source[64];
            snprintf(source, sizeof source, "assets/themes/%s.theme", name);
            return ui_theme_parse(THEMES_BUILTIN[i].text, THEMES_BUILTIN[i].len, source, specs,
                                  errbuf, errbuf_len);
        }
    FILE *f = fopen(name, "rb");
    if (!f)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                               "no theme '%s' (built in: default, light) and no such file", name);
    char *text = malloc(1 << 16);
    size_t len = text ? fread(text, 1, (1 << 16) - 1, f) : 0;
    fclose(f);
    if (!text)
        abort();
    kv_status status = ui_theme_parse(text, len, name, specs, errbuf, errbuf_len);
    free(text);
    return status;
}
